/*
 * store_check: is a store intact? (`liaison store check`, and serve before it opens a SQLite
 * store.) It never writes and never needs store_open to succeed first: a damaged store is
 * exactly the one store_open may refuse. What each backend can check is its own
 * (sqlite/sqlite.c, pg/pg.c: the `check` of its interface).
 */
#include "store/store_int.h"

#include <stdio.h>

void store_check_problem(struct store_checker *k, const char *what)
{
    if (!k->out->problems)
        snprintf(k->out->first, sizeof k->out->first, "%.*s", (int)sizeof k->out->first - 1,
                 what); /* the first problem, cut to the report's room */
    k->out->problems++;
    if (k->each)
        k->each(k->ctx, what);
}

struct version_row {
    int64_t added;
    const char *id, *modified, *json, *digest;
};
static const struct store_field version_fields[] = {
    FIELD(struct version_row, added, 'i'), FIELD(struct version_row, id, 't'),
    FIELD(struct version_row, modified, 't'), FIELD(struct version_row, json, 't'),
    FIELD(struct version_row, digest, 't')};
STORE_ROW_FN(version_row, version_fields)

/* Each object version's text against the digest taken when it was written (issue 16): every
 * version (full), or the newest thousand. A store the backend found damaged, or one that needs
 * a migration, is not opened for it. */
static void check_digests(const char *location, bool full, struct store_checker *k)
{
    struct store_options o = {.pool_size = 1, .busy_timeout_ms = 10000};
    struct store *s = NULL;
    struct lia_err err;
    lia_err_clear(&err);
    if (store_open(location, &o, &s, &err)) {
        snprintf(k->out->note, sizeof k->out->note, "object digests not checked: %.*s",
                 (int)sizeof k->out->note - 40, err.msg);
        return;
    }
    static struct sq all = SQ("SELECT date_added, id, modified_text, json, digest FROM object"
                              " WHERE date_added > ? ORDER BY date_added LIMIT 1000");
    static struct sq newest = SQ("SELECT date_added, id, modified_text, json, digest FROM object"
                                 " WHERE date_added > ? ORDER BY date_added DESC LIMIT 1000");
    int64_t after = INT64_MIN;
    size_t checked = 0, n = 1;
    while (n) {
        struct arena a;
        arena_init(&a, 0);
        struct version_row *rows = NULL;
        n = 0;
        int rc = store_list(s, full ? &all : &newest, SV(sv_int(after)), sizeof *rows, version_row,
                            &a, (void **)&rows, &n, "check digests", &err);
        if (rc)
            store_check_problem(k, err.msg);
        for (size_t i = 0; i < n && rc == 0; i++) {
            char d[STORE_DIGEST_HEX], what[400];
            after = rows[i].added;
            checked++;
            if (!rows[i].digest)
                continue; /* written before digests: migration 6 fills them */
            store_digest(rows[i].json, strlen(rows[i].json), d);
            if (strcmp(d, rows[i].digest)) {
                snprintf(what, sizeof what,
                         "object %.100s version %.40s (date_added %lld): its stored text differs "
                         "from the digest taken when it was written",
                         rows[i].id, rows[i].modified ? rows[i].modified : "-",
                         (long long)rows[i].added);
                store_check_problem(k, what);
            }
        }
        arena_release(&a);
        if (rc || !full)
            break;
    }
    store_close(s);
    (void)checked;
}

int store_check(const char *location, bool full, void (*each)(void *ctx, const char *problem),
                void *ctx, struct store_check_report *out, struct lia_err *err)
{
    memset(out, 0, sizeof *out);
    struct store_checker k = {each, ctx, out};
    int rc;
    if (!store_is_pg(location))
        rc = store_sqlite.check(strncmp(location, "sqlite:", 7) ? location : location + 7, full, &k,
                                err);
    else
        rc = store_pg.check(location, full, &k, err);
    if (rc == 0 && out->problems == 0)
        check_digests(location, full, &k);
    return rc;
}
