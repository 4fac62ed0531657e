/*
 * Whole-file I/O: bounded reads, and atomic writes (temp file, fsync,
 * rename) that leave either the old file or the new one.
 */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int lia_read_file(const char *path, size_t max, char **out, size_t *len, struct lia_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return lia_err_set(err, errno == ENOENT ? LIA_ENOTFOUND : LIA_EIO, "cannot open %s: %s",
                           path, strerror(errno));
    struct dbuf b;
    dbuf_init(&b, max);
    char chunk[65536];
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = dbuf_append(&b, chunk, n);
    if (rc == 0 && ferror(f))
        rc = LIA_EIO;
    fclose(f);
    if (rc) {
        dbuf_release(&b);
        return lia_err_set(err, rc,
                           rc == LIA_ETOOBIG ? "%s is larger than %zu bytes" : "cannot read %s",
                           path, max);
    }
    *out = dbuf_detach(&b, len);
    return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int lia_write_file(const char *path, const void *data, size_t len, int mode, struct lia_err *err)
{
    /* A device, pipe or socket is written in place: renaming over it would replace it
     * (a rename over /dev/null makes it a regular file for every process). */
    struct stat sb;
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        if (S_ISDIR(sb.st_mode))
            return lia_err_set(err, LIA_EINVAL, "%s is a directory", path);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            return lia_err_set(err, LIA_EIO, "cannot open %s: %s", path, strerror(errno));
        int rc = write_all(fd, data, len);
        int saved = errno;
        close(fd);
        return rc ? lia_err_set(err, LIA_EIO, "cannot write %s: %s", path, strerror(saved)) : 0;
    }
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid()) >= sizeof tmp)
        return lia_err_set(err, LIA_EINVAL, "path too long: %s", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return lia_err_set(err, LIA_EIO, "cannot create %s: %s", tmp, strerror(errno));
    if (write_all(fd, data, len) != 0) {
        int saved = errno;
        close(fd);
        unlink(tmp);
        return lia_err_set(err, LIA_EIO, "cannot write %s: %s", tmp, strerror(saved));
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        unlink(tmp);
        return lia_err_set(err, LIA_EIO, "cannot sync %s: %s", tmp, strerror(errno));
    }
    if (rename(tmp, path) != 0) {
        unlink(tmp);
        return lia_err_set(err, LIA_EIO, "cannot rename %s: %s", tmp, strerror(errno));
    }
    return 0;
}
