/*
 * `liaison intake FILE|-`: reads one article (bounded: a file over the limit is refused
 * from its size, standard input stops reading one byte past it), analyses it and prints
 * the draft STIX bundle, or stores it (--publish COLLECTION --data DIR) as this instance.
 */
#include "intake/intake.h"

#include <errno.h>
#include "access/access.h"
#include "audit/audit.h"
#include "store/store.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: liaison intake FILE|- [--lang auto|ar|en|fr] [--out FILE] [--gazetteer DIR]\n"
            "                      [--max-bytes N]\n"
            "                      [--publish COLLECTION --data DIR [--marking LEVEL]]\n\n"
            "Turns a news article (UTF-8 text, Arabic or English) into a draft STIX 2.1 bundle:\n"
            "a report, the places, state bodies and armed groups it names, with every mention\n"
            "as character offsets (extension %s).\n\n"
            "  --lang L        language of the report (default: detected)\n"
            "  --out FILE      write the bundle there instead of standard output\n"
            "  --gazetteer DIR gazetteer directory (default $LIAISON_GAZETTEER or the built-in)\n"
            "  --max-bytes N   largest input accepted (default %u)\n"
            "  --publish C     store the draft in collection C of --data DIR as this instance:\n"
            "                  entities already there are reused; prints what was stored\n"
            "  --marking LEVEL TLP of the new objects (clear, green, amber (default),\n"
            "                  amber+strict, red)\n\n"
            "exit codes: 0 ok, 1 failure, 2 usage, 4 input refused (not UTF-8 text, empty, too "
            "big)\n",
            INTAKE_EXTENSION_ID, INTAKE_DEFAULT_MAX_INPUT);
}

/* Reads the whole input up to max bytes; LIA_ETOOBIG past it (without reading it all). */
static int read_input(const char *path, size_t max, char **out, size_t *len, struct lia_err *err)
{
    int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
    if (fd < 0)
        return lia_err_set(err, LIA_EIO, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fd != 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size > max) {
        close(fd);
        return lia_err_set(err, LIA_ETOOBIG,
                           "%s is %lld bytes, over the %zu byte input limit "
                           "(raise it with --max-bytes)",
                           path, (long long)st.st_size, max);
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    int rc = buf ? 0 : lia_err_set(err, LIA_ENOMEM, "out of memory");
    while (rc == 0) {
        if (n == cap) {
            if (cap > max) {
                rc = lia_err_set(err, LIA_ETOOBIG,
                                 "input is over the %zu byte limit (raise it with --max-bytes)",
                                 max);
                break;
            }
            size_t nc = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *nb = realloc(buf, nc + 1);
            if (!nb) {
                rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
                break;
            }
            buf = nb;
            cap = nc;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            rc = lia_err_set(err, LIA_EIO, "cannot read %s: %s", path, strerror(errno));
        if (r <= 0)
            break;
        n += (size_t)r;
        if (n > max)
            rc = lia_err_set(err, LIA_ETOOBIG,
                             "input is over the %zu byte limit (raise it with --max-bytes)", max);
    }
    if (fd != 0)
        close(fd);
    if (rc < 0) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

/* Writes the bundle to path: atomically (temp + rename) for a regular file or a new one,
 * straight into anything else (/dev/stdout, a pipe), which a rename would replace. */
static int write_out(const char *path, const char *data, size_t len, struct lia_err *err)
{
    struct stat st;
    if (stat(path, &st) < 0 || S_ISREG(st.st_mode))
        return lia_write_file(path, data, len, 0644, err);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return lia_err_set(err, LIA_EIO, "cannot open %s: %s", path, strerror(errno));
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = errno;
            close(fd);
            return lia_err_set(err, LIA_EIO, "cannot write %s: %s", path, strerror(e));
        }
        off += (size_t)w;
    }
    if (close(fd) < 0)
        return lia_err_set(err, LIA_EIO, "cannot write %s: %s", path, strerror(errno));
    return 0;
}

/* Stores the draft as this instance; prints the publish report. Returns the exit code. */
static int publish_draft(const char *dir, const char *collection, int tlp, const char *bundle,
                         size_t len)
{
    char path[4096];
    struct lia_err err = {0};
    if (store_location_for_dir(dir, path, sizeof path)) {
        fprintf(stderr, "intake: data directory path too long\n");
        return 2;
    }
    struct store_options sopt = {.pool_size = 2, .busy_timeout_ms = 10000, .create = false};
    struct store *s = NULL;
    if (store_open(path, &sopt, &s, &err) < 0) {
        fprintf(stderr, "intake: %s\n", err.msg);
        return 1;
    }
    if (audit_signer_load(s, dir, &err) != 0) /* heads it appends are signed (audit/anchor.c) */
        audit_signer_set(NULL, NULL);
    struct access_principal who = {0};
    who.actor = "cli";
    who.admin = true;
    who.identity = access_instance_identity(s);
    who.policy.all = true;
    who.policy.clearance = STORE_TLP_RED;
    struct arena a;
    arena_init(&a, 0);
    struct dbuf out;
    dbuf_init(&out, 64u << 20);
    int rc = intake_publish(s, &who, collection, tlp, bundle, len, &a, &out, &err);
    int code = 0;
    if (rc < 0) {
        fprintf(stderr, "intake: %s\n", err.msg);
        code = rc == LIA_ENOTFOUND ? 3 : rc == LIA_EFORBIDDEN ? 4 : 1;
    } else {
        printf("%s\n", out.ptr);
    }
    dbuf_release(&out);
    arena_release(&a);
    store_close(s);
    return code;
}

int intake_cli_main(int argc, char **argv)
{
    const char *input = NULL, *out_path = NULL, *gdir = NULL, *publish = NULL, *data = NULL;
    int tlp = STORE_TLP_AMBER;
    struct intake_options opt = {0};
    opt.max_input = INTAKE_DEFAULT_MAX_INPUT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        /* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker): argv[i] set */
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--lang") && v) {
            if (intake_lang_parse(v, &opt.lang) < 0) {
                fprintf(stderr, "intake: --lang must be auto, ar, en or fr, not '%s'\n", v);
                return 2;
            }
            i++;
        } else if (!strcmp(a, "--out") && v) {
            out_path = v;
            i++;
        } else if (!strcmp(a, "--publish") && v) {
            publish = v;
            i++;
        } else if (!strcmp(a, "--data") && v) {
            data = v;
            i++;
        } else if (!strcmp(a, "--marking") && v) {
            tlp = access_tlp_parse(v);
            if (tlp < STORE_TLP_CLEAR) {
                fprintf(stderr, "intake: unknown marking '%s'\n", v);
                return 2;
            }
            i++;
        } else if (!strcmp(a, "--gazetteer") && v) {
            gdir = v;
            i++;
        } else if (!strcmp(a, "--max-bytes") && v) {
            int64_t n;
            if (lia_parse_i64(v, strlen(v), 1, INT64_C(1) << 32, &n) < 0) {
                fprintf(stderr, "intake: --max-bytes needs a number of bytes from 1 to 4 GiB\n");
                return 2;
            }
            opt.max_input = (size_t)n;
            i++;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "intake: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        } else if (!input) {
            input = a;
        } else {
            fprintf(stderr, "intake: one input only ('%s' and '%s')\n", input, a);
            return 2;
        }
    }
    if (!input) {
        usage(stderr);
        return 2;
    }
    if (!!publish != !!data) {
        fprintf(stderr, "intake: --publish COLLECTION and --data DIR go together\n");
        return 2;
    }
    struct lia_err err = {0};
    char *text = NULL;
    size_t len = 0;
    int rc = read_input(input, opt.max_input, &text, &len, &err);
    if (rc < 0) {
        fprintf(stderr, "intake: %s\n", err.msg);
        return rc == LIA_ETOOBIG ? 4 : 1;
    }
    rc = intake_check_input(text, len, &err);
    if (rc < 0) {
        fprintf(stderr, "intake: %s: %s\n", strcmp(input, "-") ? input : "standard input", err.msg);
        free(text);
        return 4;
    }
    char dirbuf[4096];
    struct intake_gazetteer *g = NULL;
    rc = intake_gazetteer_load(gdir ? gdir : intake_default_gazetteer_dir(dirbuf, sizeof(dirbuf)),
                               &g, &err);
    if (rc < 0) {
        fprintf(stderr, "intake: %s\n", err.msg);
        free(text);
        return 1;
    }
    struct dbuf b;
    dbuf_init(&b, len * 8 + (1u << 20));
    rc = intake_extract(g, text, len, &opt, &b, &err);
    int code = 0;
    if (rc < 0) {
        fprintf(stderr, "intake: %s\n", err.msg);
        code = rc == INTAKE_EREFUSED || rc == LIA_ETOOBIG ? 4 : 1;
    } else if (publish) {
        code = publish_draft(data, publish, tlp, b.ptr, b.len);
    } else if (out_path) {
        if (write_out(out_path, b.ptr, b.len, &err) < 0) {
            fprintf(stderr, "intake: %s\n", err.msg);
            code = 1;
        }
    } else if (fwrite(b.ptr, 1, b.len, stdout) != b.len || fflush(stdout) != 0) {
        fprintf(stderr, "intake: cannot write standard output\n");
        code = 1;
    }
    dbuf_release(&b);
    intake_gazetteer_free(g);
    free(text);
    return code;
}
