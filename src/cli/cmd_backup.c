/*
 * `liaison backup` and `liaison restore` (docs/backup.md): an instance in one file, and back.
 *
 * backup takes a consistent copy of a SQLite store while the server keeps writing (VACUUM
 * INTO reads one snapshot: every transaction committed before it is in the copy, whole, and
 * none after it), verifies the copy's audit chain and records its head, and writes one file:
 *
 *   LIAISON-BACKUP 1\n
 *   {"format":1, "liaison":..., "created":..., "schema_version":N, "audit":{"entries":N,
 *    "head":"seq:hash"}, "files":[{"name":"liaison.db","bytes":N,"mode":384,"sha256":...},
 *    ...], "sha256":...}\n
 *   the bytes of each file, in order, nothing after them.
 *
 * The files are the store and the small files of the data directory (configuration, signing
 * and TLS keys): the file holds secrets, so it is written 0600, under a temporary name that is
 * renamed only once it is complete and on disk. The header's own "sha256" covers everything
 * before it in the header line (with "sha256" last), so a damaged header is found too.
 *
 * restore refuses a file that is damaged, truncated or has bytes after its end, and a target
 * directory that is not empty; it writes every file under a temporary name, checks each
 * checksum, checks the store (quick_check) and its audit chain, whose head must be the one the
 * header recorded, and only then gives the files their names. Anything that fails removes
 * what restore wrote (the directory too, when restore made it).
 */
#include "cli/cli_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#define BACKUP_MAGIC "LIAISON-BACKUP 1\n"
#define BACKUP_MAX_FILES 32
#define BACKUP_HEADER_MAX (64 * 1024)
#define BACKUP_SMALL_FILE_MAX (16 * 1024 * 1024) /* a data directory file other than the store */

static void backup_usage(FILE *out)
{
    fprintf(out, "usage: liaison backup --data DIR --out FILE\n\n"
                 "Writes a consistent copy of DIR's store, taken while the server may keep\n"
                 "writing, with DIR's configuration and keys, into FILE (mode 0600: it holds\n"
                 "the signing key). The copy's audit chain is verified and its head recorded,\n"
                 "with a SHA-256 checksum of every part. FILE appears only once complete.\n"
                 "A PostgreSQL store is backed up with pg_dump (docs/backup.md).\n\n"
                 "  --data DIR   the data directory\n"
                 "  --out FILE   the backup file to write (must not exist)\n");
}

static void restore_usage(FILE *out)
{
    fprintf(out, "usage: liaison restore FILE --data DIR\n\n"
                 "Restores a file written by `liaison backup` into DIR, which must not exist\n"
                 "or be empty. Refuses a damaged, truncated or partial file, changing nothing;\n"
                 "checks the restored store and verifies its audit chain up to the head the\n"
                 "backup recorded. A backup of an older schema is migrated (docs/upgrades.md).\n\n"
                 "  --data DIR   the data directory to create\n");
}

struct part {
    char name[128];
    char path[4400];
    uint64_t bytes;
    int mode;
    char sha[65];
};

static void hex_digest(crypto_hash_sha256_state *h, char out[65])
{
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(h, d);
    sodium_bin2hex(out, 65, d, sizeof d);
}

/* Streams src (or, out NULL, only hashes it): its size and SHA-256. */
static int copy_stream(FILE *src, FILE *out, uint64_t limit, uint64_t *n, char sha[65],
                       struct lia_err *err)
{
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    static unsigned char buf[1 << 16];
    *n = 0;
    for (;;) {
        size_t want = sizeof buf;
        if (limit != UINT64_MAX && limit - *n < want)
            want = (size_t)(limit - *n);
        if (want == 0)
            break;
        size_t got = fread(buf, 1, want, src);
        if (got == 0)
            break;
        crypto_hash_sha256_update(&h, buf, got);
        if (out && fwrite(buf, 1, got, out) != got)
            return lia_err_set(err, errno == ENOSPC ? LIA_ENOSPC : LIA_EIO, "write: %s",
                               strerror(errno));
        *n += got;
    }
    if (ferror(src))
        return lia_err_set(err, LIA_EIO, "read: %s", strerror(errno));
    hex_digest(&h, sha);
    return 0;
}

static int hash_file(struct part *p, struct lia_err *err)
{
    FILE *f = fopen(p->path, "rb");
    if (!f)
        return lia_err_set(err, LIA_EIO, "%s: %s", p->path, strerror(errno));
    struct stat sb;
    p->mode = fstat(fileno(f), &sb) == 0 ? (int)(sb.st_mode & 0777) : 0600;
    int rc = copy_stream(f, NULL, UINT64_MAX, &p->bytes, p->sha, err);
    fclose(f);
    return rc;
}

/* The small files of the data directory a restore needs: not the store and its companions. */
static bool wanted(const char *dir, const char *name)
{
    static const char *const skip[] = {"liaison.db", "liaison.db-wal", "liaison.db-shm",
                                       "liaison.db-gen", "liaison.db-journal"};
    if (name[0] == '.' || strlen(name) >= sizeof((struct part *)0)->name)
        return false;
    for (size_t i = 0; i < sizeof skip / sizeof *skip; i++)
        if (!strcmp(name, skip[i]))
            return false;
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return false;
    if (!S_ISREG(sb.st_mode) || sb.st_size > BACKUP_SMALL_FILE_MAX)
        fprintf(stderr, "liaison backup: note: %s is not in the backup (%s)\n", path,
                S_ISREG(sb.st_mode) ? "larger than 16 MiB" : "not a regular file");
    return S_ISREG(sb.st_mode) && sb.st_size <= BACKUP_SMALL_FILE_MAX;
}

static int header_json(const struct part *parts, size_t n, int schema, const struct audit_report *r,
                       char **out)
{
    json_t *files = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(files, json_pack("{s:s, s:I, s:i, s:s}", "name", parts[i].name,
                                               "bytes", (json_int_t)parts[i].bytes, "mode",
                                               parts[i].mode, "sha256", parts[i].sha));
    char now[32];
    lia_format_ts(lia_now_us(), 3, now);
    json_t *h = json_pack("{s:i, s:s, s:s, s:i, s:{s:I, s:s}, s:o}", "format", 1, "liaison",
                          LIAISON_VERSION, "created", now, "schema_version", schema, "audit",
                          "entries", (json_int_t)r->entries, "head", r->head, "files", files);
    char *text = h ? json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(h);
    if (!text)
        return LIA_ENOMEM;
    /* The header's checksum: of the header up to it (text without its closing brace). */
    crypto_hash_sha256_state hs;
    crypto_hash_sha256_init(&hs);
    crypto_hash_sha256_update(&hs, (const unsigned char *)text, strlen(text) - 1);
    char sha[65];
    hex_digest(&hs, sha);
    size_t len = strlen(text) + 100;
    *out = malloc(len);
    if (*out)
        snprintf(*out, len, "%.*s,\"sha256\":\"%s\"}", (int)strlen(text) - 1, text, sha);
    free(text);
    return *out ? 0 : LIA_ENOMEM;
}

static int do_backup(const char *dir, const char *out)
{
    struct stat sb;
    if (stat(out, &sb) == 0)
        return cli_error(CLI_REFUSED, "backup", "%s exists; nothing written", out);
    struct store *s = NULL;
    int code = cli_open_store("backup", dir, 2, &s);
    if (code)
        return code;
    struct lia_err err;
    lia_err_clear(&err);
    struct part parts[BACKUP_MAX_FILES];
    size_t n = 0;
    char tmp[4200], snap[4300];
    if (strlen(out) > 4000 || strlen(dir) > 4000) {
        store_close(s);
        return cli_error(CLI_USAGE, "backup", "path too long");
    }
    snprintf(tmp, sizeof tmp, "%s.partial-XXXXXX", out);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        store_close(s);
        return cli_error(CLI_FAIL, "backup", "cannot create %s: %s", tmp, strerror(errno));
    }
    fchmod(fd, 0600);
    snprintf(snap, sizeof snap, "%s.db", tmp);
    int sfd = open(snap, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    int rc =
        sfd < 0 ? lia_err_set(&err, LIA_EIO, "cannot create %s: %s", snap, strerror(errno)) : 0;
    if (sfd >= 0)
        close(sfd);
    rc = rc ? rc : store_snapshot(s, snap, &err);
    /* The copy's own audit chain, verified, and its head: what restore must find. */
    struct audit_report report;
    memset(&report, 0, sizeof report);
    int schema = 0, now = 0;
    struct store *copy = NULL;
    if (rc == 0) {
        struct store_options o = {.pool_size = 1, .busy_timeout_ms = 10000};
        rc = store_open(snap, &o, &copy, &err);
    }
    rc = rc ? rc : audit_verify(copy, &report, &err);
    if (rc == 0 && report.bad_seq)
        rc = lia_err_set(&err, LIA_EIO,
                         "the store's audit chain does not verify (%s): back up with `cp` after "
                         "stopping the server if you must; `liaison audit verify` tells more",
                         report.problem);
    if (copy)
        store_schema_version(copy, &schema, &now);
    store_close(copy);
    static const char *const leftovers[] = {"-wal", "-shm", "-gen"};
    for (size_t i = 0; i < 3; i++) {
        char p[4400];
        snprintf(p, sizeof p, "%s%s", snap, leftovers[i]);
        unlink(p);
    }
    if (rc == 0) {
        snprintf(parts[n].name, sizeof parts[n].name, "liaison.db");
        snprintf(parts[n].path, sizeof parts[n].path, "%s", snap);
        rc = hash_file(&parts[n++], &err);
        parts[0].mode = 0600;
    }
    DIR *d = rc == 0 ? opendir(dir) : NULL;
    for (struct dirent *e; d && rc == 0 && (e = readdir(d));) {
        if (!wanted(dir, e->d_name))
            continue;
        if (n == BACKUP_MAX_FILES) {
            rc = lia_err_set(&err, LIA_ETOOBIG, "%s holds more than %d files", dir,
                             BACKUP_MAX_FILES);
            break;
        }
        snprintf(parts[n].name, sizeof parts[n].name, "%.*s", (int)sizeof parts[n].name - 1,
                 e->d_name); /* wanted(): it fits */
        snprintf(parts[n].path, sizeof parts[n].path, "%s/%s", dir, e->d_name);
        rc = hash_file(&parts[n++], &err);
    }
    if (d)
        closedir(d);
    char *header = NULL;
    if (rc == 0 && header_json(parts, n, schema, &report, &header))
        rc = lia_err_set(&err, LIA_ENOMEM, "out of memory");
    FILE *f = fdopen(fd, "wb");
    if (!f)
        close(fd);
    if (rc == 0 && (!f || fputs(BACKUP_MAGIC, f) < 0 || fputs(header, f) < 0 || fputc('\n', f) < 0))
        rc = lia_err_set(&err, LIA_EIO, "write %s: %s", tmp, strerror(errno));
    for (size_t i = 0; i < n && rc == 0; i++) {
        FILE *src = fopen(parts[i].path, "rb");
        uint64_t got;
        char sha[65];
        rc = src ? copy_stream(src, f, parts[i].bytes, &got, sha, &err)
                 : lia_err_set(&err, LIA_EIO, "%s: %s", parts[i].path, strerror(errno));
        if (src)
            fclose(src);
        if (rc == 0 && (got != parts[i].bytes || strcmp(sha, parts[i].sha)))
            rc = lia_err_set(&err, LIA_EIO, "%s changed while it was copied; try again",
                             parts[i].path);
    }
    if (rc == 0 && (fflush(f) != 0 || fsync(fileno(f)) != 0))
        rc = lia_err_set(&err, errno == ENOSPC ? LIA_ENOSPC : LIA_EIO, "write %s: %s", tmp,
                         strerror(errno));
    if (f)
        fclose(f);
    unlink(snap);
    if (rc == 0 && link(tmp, out) != 0) /* never over a file that appeared meanwhile */
        rc = lia_err_set(&err, LIA_EIO, "cannot create %s: %s", out, strerror(errno));
    unlink(tmp);
    if (rc == 0) {
        char detail[512]; /* the header's own checksum: it names every part's */
        snprintf(detail, sizeof detail, "{\"head\":\"%s\",\"sha256\":\"%.64s\"}", report.head,
                 header + strlen(header) - 66);
        rc = cli_audit(s, "store.backup", detail, &err);
    }
    store_close(s);
    if (rc) {
        free(header);
        return cli_error(cli_exit_for(rc), "backup", "%s; nothing written", err.msg);
    }
    printf("Backed up %s into %s: schema version %d, %lld audit entries, chain verified, "
           "head %s.\n",
           dir, out, schema, (long long)report.entries, report.head);
    free(header);
    return CLI_OK;
}

int cli_backup(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *dir = NULL, *out = NULL;
    int ch;
    cli_reset_getopt();
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == 'd')
            dir = optarg;
        else if (ch == 'o')
            out = optarg;
        else if (ch == 'h')
            return backup_usage(stdout), CLI_OK;
        else
            return backup_usage(stderr), CLI_USAGE;
    }
    if (!dir || !out || optind != argc)
        return backup_usage(stderr), CLI_USAGE;
    return do_backup(dir, out);
}

/* What restore wrote, to take back if it fails. */
struct written {
    char dir[4096];
    bool made_dir, db_placed; /* db_placed: DIR/liaison.db is restore's */
    char tmp[BACKUP_MAX_FILES][4300];
    size_t n;
};

static void take_back(struct written *w)
{
    for (size_t i = 0; i < w->n; i++)
        unlink(w->tmp[i]);
    static const char *const extra[] = {"liaison.db", "liaison.db-wal", "liaison.db-shm",
                                        "liaison.db-gen"};
    for (size_t i = 0; i < 4 && w->db_placed; i++) {
        char p[4200];
        snprintf(p, sizeof p, "%s/%s", w->dir, extra[i]);
        unlink(p);
    }
    if (w->made_dir)
        rmdir(w->dir);
}

/* Reads FILE's header; checks its checksum, its parts' names and that FILE is exactly as long
 * as they say. *at: where the first part begins. */
static int read_header(FILE *f, const char *file, struct part *parts, size_t *n, json_t **hdr,
                       struct lia_err *err)
{
    char magic[sizeof BACKUP_MAGIC];
    if (fread(magic, 1, sizeof magic - 1, f) != sizeof magic - 1 ||
        memcmp(magic, BACKUP_MAGIC, sizeof magic - 1))
        return lia_err_set(err, LIA_EINVAL, "%s is not a liaison backup (or its start is damaged)",
                           file);
    static char line[BACKUP_HEADER_MAX];
    if (!fgets(line, sizeof line, f) || !strchr(line, '\n'))
        return lia_err_set(err, LIA_EINVAL, "%s: the header is truncated or damaged", file);
    size_t len = strlen(line) - 1;
    line[len] = '\0';
    /* the header's own checksum closes it: ,"sha256":"<64 hex>"} */
    const char *mark =
        len > 77 && !strncmp(line + len - 77, ",\"sha256\":\"", 11) ? line + len - 77 : NULL;
    crypto_hash_sha256_state hs;
    crypto_hash_sha256_init(&hs);
    char sha[65];
    if (mark) {
        crypto_hash_sha256_update(&hs, (const unsigned char *)line, (size_t)(mark - line));
        hex_digest(&hs, sha);
    }
    if (!mark || strncmp(mark + 11, sha, 64) || strcmp(mark + 75, "\"}"))
        return lia_err_set(err, LIA_EINVAL, "%s: the header is damaged (its checksum differs)",
                           file);
    json_error_t je;
    *hdr = json_loads(line, 0, &je);
    json_t *files = json_object_get(*hdr, "files");
    if (!json_is_array(files) || json_array_size(files) == 0 ||
        json_array_size(files) > BACKUP_MAX_FILES ||
        json_integer_value(json_object_get(*hdr, "format")) != 1)
        return lia_err_set(err, LIA_EINVAL, "%s: unknown backup format", file);
    uint64_t total = (uint64_t)ftello(f);
    *n = 0;
    for (size_t i = 0; i < json_array_size(files); i++) {
        json_t *e = json_array_get(files, i);
        const char *name = json_string_value(json_object_get(e, "name"));
        const char *fsha = json_string_value(json_object_get(e, "sha256"));
        json_int_t bytes = json_integer_value(json_object_get(e, "bytes"));
        struct part *p = &parts[(*n)++];
        if (!name || !fsha || strlen(fsha) != 64 || bytes < 0 || !cli_valid_name(name, "") ||
            name[0] == '.' || strlen(name) >= sizeof p->name ||
            (i == 0) != !strcmp(name, "liaison.db"))
            return lia_err_set(err, LIA_EINVAL, "%s: the header names a bad part", file);
        snprintf(p->name, sizeof p->name, "%s", name);
        snprintf(p->sha, sizeof p->sha, "%s", fsha);
        p->bytes = (uint64_t)bytes;
        p->mode = (int)(json_integer_value(json_object_get(e, "mode")) & 0644);
        total += p->bytes;
    }
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0)
        return lia_err_set(err, LIA_EIO, "%s: %s", file, strerror(errno));
    if ((uint64_t)sb.st_size < total)
        return lia_err_set(err, LIA_EINVAL, "%s is truncated: %lld of %llu bytes (a partial copy?)",
                           file, (long long)sb.st_size, (unsigned long long)total);
    if ((uint64_t)sb.st_size > total)
        return lia_err_set(err, LIA_EINVAL, "%s has %llu bytes after its end: damaged", file,
                           (unsigned long long)((uint64_t)sb.st_size - total));
    return 0;
}

static int do_restore(const char *file, const char *dir)
{
    struct lia_err err;
    lia_err_clear(&err);
    FILE *f = fopen(file, "rb");
    if (!f)
        return cli_error(CLI_NOTFOUND, "restore", "%s: %s", file, strerror(errno));
    struct part parts[BACKUP_MAX_FILES];
    size_t n = 0;
    json_t *hdr = NULL;
    int rc = read_header(f, file, parts, &n, &hdr, &err);
    static struct written w;
    memset(&w, 0, sizeof w);
    snprintf(w.dir, sizeof w.dir, "%s", dir);
    if (rc == 0) {
        DIR *d = opendir(dir);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d)) && rc == 0)
                if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                    rc = lia_err_set(&err, LIA_ECONFLICT,
                                     "%s is not empty (it holds %s); restore into a new "
                                     "directory",
                                     dir, e->d_name);
            closedir(d);
        } else if (errno == ENOENT && mkdir(dir, 0700) == 0) {
            w.made_dir = true;
        } else {
            rc = lia_err_set(&err, LIA_EIO, "cannot create %s: %s", dir, strerror(errno));
        }
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        snprintf(w.tmp[i], sizeof w.tmp[i], "%.4000s/.%.255s.restoring", dir, parts[i].name);
        int fd = open(w.tmp[i], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) {
            rc = lia_err_set(&err, LIA_EIO, "cannot create %s: %s", w.tmp[i], strerror(errno));
            break;
        }
        w.n = i + 1;
        FILE *out = fdopen(fd, "wb");
        uint64_t got;
        char sha[65];
        rc = out ? copy_stream(f, out, parts[i].bytes, &got, sha, &err) : LIA_ENOMEM;
        if (rc == 0 && (fflush(out) != 0 || fsync(fd) != 0))
            rc = lia_err_set(&err, LIA_EIO, "write %s: %s", w.tmp[i], strerror(errno));
        if (out)
            fclose(out);
        else
            close(fd);
        if (rc == 0 && (got != parts[i].bytes || strcmp(sha, parts[i].sha)))
            rc = lia_err_set(&err, LIA_EINVAL,
                             "%s is damaged: %s's checksum differs from the one recorded", file,
                             parts[i].name);
    }
    fclose(f);
    /* The store, checked and opened under its own name (the other parts wait). */
    char db[4200];
    snprintf(db, sizeof db, "%s/liaison.db", dir);
    if (rc == 0 && rename(w.tmp[0], db) != 0)
        rc = lia_err_set(&err, LIA_EIO, "rename %s: %s", db, strerror(errno));
    w.db_placed = rc == 0;
    struct store_check_report check;
    if (rc == 0 && store_check(db, false, NULL, NULL, &check, &err) == 0 && check.problems)
        rc = lia_err_set(&err, LIA_EIO, "the restored store is damaged: %s", check.first);
    int schema = (int)json_integer_value(json_object_get(hdr, "schema_version")), found = 0,
        now = 0;
    struct store *s = NULL;
    if (rc == 0) {
        struct store_options o = {.pool_size = 1, .busy_timeout_ms = 10000, .migrate = true};
        rc = store_open(db, &o, &s, &err);
    }
    struct audit_report report;
    memset(&report, 0, sizeof report);
    rc = rc ? rc : audit_verify(s, &report, &err);
    const char *head = json_string_value(json_object_get(json_object_get(hdr, "audit"), "head"));
    if (rc == 0 && report.bad_seq)
        rc = lia_err_set(&err, LIA_EIO, "the restored audit chain does not verify: %s",
                         report.problem);
    if (rc == 0 && (!head || strcmp(head, report.head)))
        rc = lia_err_set(&err, LIA_EIO,
                         "the restored audit chain ends at %s, not at %s as the backup recorded",
                         report.head, head ? head : "(none)");
    if (s)
        store_schema_version(s, &found, &now);
    store_close(s);
    for (size_t i = 1; i < n && rc == 0; i++) {
        char to[4300];
        snprintf(to, sizeof to, "%s/%s", dir, parts[i].name);
        if (chmod(w.tmp[i], (mode_t)(parts[i].mode ? parts[i].mode : 0600)) != 0 ||
            rename(w.tmp[i], to) != 0)
            rc = lia_err_set(&err, LIA_EIO, "rename %s: %s", to, strerror(errno));
    }
    json_decref(hdr);
    if (rc) {
        take_back(&w);
        return cli_error(cli_exit_for(rc), "restore", "%s; nothing restored", err.msg);
    }
    printf("Restored %s into %s: %lld audit entries, chain verified up to the recorded head %s.\n",
           file, dir, (long long)report.entries, report.head);
    if (found && found != now)
        printf("The backup had schema version %d; migrated to %d.\n", schema, now);
    printf("Start it with: liaison serve --data %s\n", dir);
    return CLI_OK;
}

int cli_restore(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *dir = NULL;
    int ch;
    cli_reset_getopt();
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == 'd')
            dir = optarg;
        else if (ch == 'h')
            return restore_usage(stdout), CLI_OK;
        else
            return restore_usage(stderr), CLI_USAGE;
    }
    if (!dir || optind != argc - 1)
        return restore_usage(stderr), CLI_USAGE;
    return do_restore(argv[optind], dir);
}
