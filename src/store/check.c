/*
 * store_check: is a store intact? (`liaison store check`, and serve before it
 * opens a SQLite store.) It never writes and never needs store_open to
 * succeed first: a damaged store is exactly the one store_open may refuse.
 *
 * SQLite: the file exists and is not empty (SQLite would take an empty file
 * for a new database), then PRAGMA integrity_check (full: every page of every
 * B-tree, every index against its table, free list, constraints) or
 * PRAGMA quick_check (the same without the index cross-checks: about twice
 * as fast), then the liaison schema version. The check opens the file
 * read-only, so it also runs beside a serving server (it reads one snapshot).
 *
 * PostgreSQL has no single equivalent. What is meaningful from a client: every
 * liaison table is read whole (a sequential scan reads every heap page, and
 * with data_checksums on, PostgreSQL verifies each page's checksum as it reads
 * it: a damaged page is an error here), each table's indexes are checked with
 * the amcheck extension's bt_index_check when that extension is installed
 * (full only), and the schema version. With data_checksums off a damaged heap
 * page may go unseen: the report says so.
 */
#include "store/pg_int.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

struct check {
    void (*each)(void *ctx, const char *problem);
    void *ctx;
    struct store_check_report *out;
};

static void problem(struct check *k, const char *what)
{
    if (!k->out->problems)
        snprintf(k->out->first, sizeof k->out->first, "%.*s", (int)sizeof k->out->first - 1,
                 what); /* the first problem, cut to the report's room */
    k->out->problems++;
    if (k->each)
        k->each(k->ctx, what);
}

static int check_sqlite(const char *path, bool full, struct check *k, struct lia_err *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return lia_err_set(err, LIA_ENOTFOUND,
                           "store: %s does not exist (run `liaison init --data DIR` first)", path);
    k->out->method = full ? "PRAGMA integrity_check" : "PRAGMA quick_check";
    if (S_ISREG(sb.st_mode) && sb.st_size == 0) {
        problem(k, "the database file is empty (0 bytes): truncated, or never written");
        return 0;
    }
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        rc = lia_err_set(err, LIA_EIO, "store: cannot open %s: %s", path,
                         db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return rc;
    }
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(db, full ? "PRAGMA integrity_check(1000)" : "PRAGMA quick_check(1000)",
                            -1, &st, NULL);
    int step = rc == SQLITE_OK ? sqlite3_step(st) : rc;
    for (; step == SQLITE_ROW; step = sqlite3_step(st)) {
        const char *msg = (const char *)sqlite3_column_text(st, 0);
        if (msg && strcmp(msg, "ok") != 0)
            problem(k, msg);
    }
    if (step != SQLITE_DONE) { /* not even the check could read it: damage too */
        char msg[600];
        snprintf(msg, sizeof msg, "the database cannot be read: %s", sqlite3_errmsg(db));
        problem(k, msg);
    }
    sqlite3_finalize(st);
    st = NULL;
    if (!k->out->problems &&
        sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_step(st) != SQLITE_ROW)
        problem(k, "no liaison schema version: not a liaison store, or its metadata is gone");
    else if (!st && !k->out->problems)
        problem(k, "no liaison metadata table: not a liaison store");
    sqlite3_finalize(st);
    sqlite3_close(db);
    return 0;
}

static int check_pg(struct store *s, bool full, struct check *k, struct lia_err *err)
{
    struct pg_conn *c;
    int rc = pg_acquire(s, &c, err);
    if (rc)
        return rc;
    k->out->method =
        full ? "every table read whole, amcheck on every index" : "every table read whole";
    PGresult *r = NULL;
    if (pg_exec(s, c, -1, "SHOW data_checksums", NULL, &r, "read data_checksums", err) == 0 &&
        PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "on") != 0)
        snprintf(k->out->note, sizeof k->out->note,
                 "data_checksums is off on this cluster: a damaged table page may read without "
                 "error (pg_checksums --enable turns them on)");
    PQclear(r);
    lia_err_clear(err);
    rc = pg_exec(s, c, -1,
                 "SELECT c.relname, c.oid FROM pg_class c WHERE c.relnamespace = "
                 "current_schema()::regnamespace AND c.relkind = 'r' ORDER BY 1",
                 NULL, &r, "list tables", err);
    for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
        char sql[256];
        /* Every tuple turned to text: every heap page and every TOAST chunk is read (a bare
         * count(*) may be answered from an index). */
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s AS t WHERE length(t::text) >= 0",
                 PQgetvalue(r, i, 0));
        struct lia_err e2;
        lia_err_clear(&e2);
        if (pg_run(s, c, -1, sql, NULL, "read table", &e2)) {
            char msg[700];
            snprintf(msg, sizeof msg, "table %s cannot be read whole: %s", PQgetvalue(r, i, 0),
                     e2.msg);
            problem(k, msg);
        }
    }
    PQclear(r);
    r = NULL;
    bool amcheck = false;
    if (rc == 0 && full &&
        pg_exec(s, c, -1, "SELECT 1 FROM pg_extension WHERE extname = 'amcheck'", NULL, &r,
                "find amcheck", err) == 0)
        amcheck = PQntuples(r) == 1;
    lia_err_clear(err);
    PQclear(r);
    r = NULL;
    if (rc == 0 && full && !amcheck) {
        size_t used = strlen(k->out->note);
        snprintf(k->out->note + used, sizeof k->out->note - used,
                 "%sthe amcheck extension is not "
                 "installed in this database: indexes were not checked (CREATE EXTENSION amcheck)",
                 used ? "; " : "");
    }
    if (rc == 0 && amcheck) {
        k->out->method = "every table read whole, amcheck's bt_index_check on every index";
        rc = pg_exec(s, c, -1,
                     "SELECT i.relname, i.oid FROM pg_class i JOIN pg_am a ON a.oid = i.relam "
                     "WHERE i.relnamespace = current_schema()::regnamespace AND i.relkind = 'i' "
                     "AND a.amname = 'btree' ORDER BY 1",
                     NULL, &r, "list indexes", err);
        for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
            char sql[128];
            snprintf(sql, sizeof sql, "SELECT bt_index_check(%s)", PQgetvalue(r, i, 1));
            struct lia_err e2;
            lia_err_clear(&e2);
            if (pg_run(s, c, -1, sql, NULL, "check index", &e2)) {
                char msg[700];
                snprintf(msg, sizeof msg, "index %s: %s", PQgetvalue(r, i, 0), e2.msg);
                problem(k, msg);
            }
        }
    }
    PQclear(r);
    pg_release(s, c);
    return rc;
}

int store_check(const char *location, bool full, void (*each)(void *ctx, const char *problem),
                void *ctx, struct store_check_report *out, struct lia_err *err)
{
    memset(out, 0, sizeof *out);
    struct check k = {each, ctx, out};
    if (!pgstore_is_url(location))
        return check_sqlite(strncmp(location, "sqlite:", 7) ? location : location + 7, full, &k,
                            err);
    struct store *s = NULL;
    struct store_options opt = {.pool_size = 1, .busy_timeout_ms = 10000};
    int rc = store_open(location, &opt, &s, err); /* refuses an unknown schema version */
    if (rc)
        return rc;
    rc = check_pg(s, full, &k, err);
    store_close(s);
    return rc;
}
