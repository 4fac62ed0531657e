/*
 * Helpers every command uses: opening the store of a data directory, the
 * option parser set-up, and printing errors the same way everywhere.
 */
#include "cli/cli_int.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rfi/rfi.h"
#include "stix/stix.h"

int cli_error(int code, const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "liaison %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

static const char *store_override; /* --store URL given to a command that takes --data */

void cli_set_store_override(const char *location)
{
    store_override = location;
}

int cli_refuse_password(const char *cmd, const char *location)
{
    if (!location || !store_location_has_password(location))
        return 0;
    return cli_error(CLI_USAGE, cmd,
                     "the store URL holds a password, which the process list and files would "
                     "show: leave it out, and put it in ~/.pgpass (or the file PGPASSFILE "
                     "names), a service file (?service=NAME) or PGPASSWORD "
                     "(docs/scale-out.md); nothing was done");
}

int cli_open_store(const char *cmd, const char *dir, int pool, struct store **out)
{
    return cli_open_store_at(cmd, dir, NULL, pool, out);
}

int cli_open_store_at(const char *cmd, const char *dir, const char *location, int pool,
                      struct store **out)
{
    char path[4096];
    if ((!location || !*location) && store_override)
        location = store_override;
    if (location && *location) {
        if (strlen(location) >= sizeof path)
            return cli_error(CLI_USAGE, cmd, "store location too long");
        memcpy(path, location, strlen(location) + 1);
    } else if (!dir) {
        return cli_error(CLI_USAGE, cmd, "--data DIR is required");
    } else if (store_location_for_dir(dir, path, sizeof path)) {
        return cli_error(CLI_USAGE, cmd, "data directory path or its store location too long");
    }
    struct store_options opt = {.pool_size = pool, .busy_timeout_ms = 10000, .create = false};
    struct lia_err err;
    lia_err_clear(&err);
    int rc = store_open(path, &opt, out, &err);
    if (rc)
        return cli_error(cli_exit_for(rc), cmd, "%s", err.msg);
    /* Every head this process appends is signed when the instance's key is here (an older
     * data directory without one keeps unsigned heads). */
    if (dir && audit_signer_load(*out, dir, &err) != 0)
        audit_signer_set(NULL, NULL);
    /* RFI responses stored before "action" became response_type (once per store). */
    lia_err_clear(&err);
    rc = rfi_upgrade_responses(*out, &err);
    if (rc) {
        store_close(*out);
        *out = NULL;
        return cli_error(cli_exit_for(rc), cmd, "renaming stored RFI responses: %s", err.msg);
    }
    return 0;
}

bool cli_valid_name(const char *n, const char *extra)
{
    size_t len = strlen(n);
    if (len == 0 || len > 100)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)n[i];
        if (ch < 0x20 || ch == 0x7f || ch == '/' || ch == '"' || ch == '\\' || strchr(extra, ch))
            return false;
    }
    return true;
}

bool cli_is_hex(const char *s, size_t len)
{
    if (strlen(s) != len)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

void cli_reset_getopt(void)
{
    optind = 0;
    opterr = 1;
}

int cli_audit(struct store *s, const char *action, const char *detail, struct lia_err *err)
{
    struct store_txn *t;
    int rc = store_begin(s, &t, err);
    if (rc)
        return rc;
    rc = audit_append(t, "cli", action, detail, err);
    if (rc) {
        store_rollback(t);
        return rc;
    }
    return store_commit(t, err);
}

void cli_note_withheld(struct store *s, const char *cmd, int64_t coll)
{
    int64_t n = 0;
    struct lia_err err;
    lia_err_clear(&err);
    if (store_group_foreign(s, coll, &n, &err) == 0 && n > 0)
        fprintf(stderr,
                "liaison %s: %lld object version(s) not sent: their originator released them to "
                "a sharing group of its own, which this instance does not pass on (originator "
                "control, docs/groups.md)\n",
                cmd, (long long)n);
}

/* "90d" -> microseconds. */
int cli_parse_duration(const char *s, int64_t *us)
{
    size_t n = strlen(s);
    if (n < 2)
        return -1;
    int64_t v;
    if (lia_parse_i64(s, n - 1, 1, 100000000, &v) != 0)
        return -1;
    int64_t unit;
    switch (s[n - 1]) {
    case 's':
        unit = 1;
        break;
    case 'm':
        unit = 60;
        break;
    case 'h':
        unit = 3600;
        break;
    case 'd':
        unit = 86400;
        break;
    default:
        return -1;
    }
    if (v > INT64_MAX / 1000000 / unit)
        return -1;
    *us = v * unit * 1000000;
    return 0;
}

int cli_parse_flags(int argc, char **argv, const struct cli_flag *f, size_t n, void *base,
                    const char **positional, void (*usage)(FILE *out))
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help"))
            return usage(stdout), -1;
        size_t k = 0;
        while (k < n && strcmp(argv[i], f[k].name))
            k++;
        if (k < n && f[k].is_bool) {
            *(bool *)((char *)base + f[k].off) = true;
            continue;
        }
        const char **slot = k < n ? (const char **)((char *)base + f[k].off) : positional;
        if (k == n && argv[i][0] == '-')
            return usage(stderr), CLI_USAGE;
        if (k < n && i + 1 >= argc)
            return usage(stderr), CLI_USAGE;
        if (!slot || *slot)
            return usage(stderr), CLI_USAGE;
        *slot = k < n ? argv[++i] : argv[i];
    }
    return 0;
}

int cli_parse_since(const char *text, int64_t *us, struct lia_err *err)
{
    char full[40];
    const char *t = text;
    if (strlen(text) == 10 && text[4] == '-' && text[7] == '-') {
        snprintf(full, sizeof full, "%sT00:00:00Z", text);
        t = full;
    }
    int digits;
    struct lia_err why;
    lia_err_clear(&why);
    if (stix_parse_timestamp(t, strlen(t), us, &digits, &why) != 0)
        return lia_err_set(err, LIA_EINVAL,
                           "\"%.40s\" is not a date (YYYY-MM-DD) or an RFC 3339 time in UTC "
                           "(2027-01-31T12:00:00Z)",
                           text);
    return 0;
}

int cli_print_answer(const char *cmd, int rc, struct dbuf *out, struct arena *a, struct store *s,
                     const struct lia_err *err)
{
    if (rc == 0)
        printf("%.*s\n", (int)out->len, out->ptr);
    dbuf_release(out);
    arena_release(a);
    store_close(s);
    if (rc)
        return cli_error(rc == LIA_EINVAL      ? CLI_USAGE
                         : rc == LIA_ENOTFOUND ? CLI_NOTFOUND
                                               : CLI_FAIL,
                         cmd, "%s", err->msg);
    return CLI_OK;
}
