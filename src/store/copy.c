/*
 * Whole-store copy, for `liaison store copy` (moving an instance between
 * SQLite and PostgreSQL, either way). Every table is read in key order and
 * written row by row with its keys, so date_added values, rowids and the
 * audit chain arrive unchanged; the CLI then reads both stores again and
 * compares counts and hashes (cli/cmd_storecopy.c).
 *
 * The table list below is the one place that knows both schemas' columns:
 * a table added to the schema must be added here too, or copies will lack
 * it (the copy test compares every table the CLI lists).
 */
#include "store/pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* Column kinds: i integer (decimal text), t text, b bytes. */
struct copy_table {
    const char *name;
    const char *cols;
    const char *kinds;
    const char *order;       /* SQLite ORDER BY */
    const char *pg_order;    /* PostgreSQL ORDER BY: byte order for text keys, like SQLite's */
    const char *identity;    /* column with a PostgreSQL identity sequence, or NULL */
    const char *sqlite_cols; /* SQLite's names for cols, when they differ, or NULL */
};

static const struct copy_table tables[] = {
    {"meta", "key, value", "tt", "key", "key COLLATE \"C\"", NULL, NULL},
    {"collection", "rid, id, title, description, alias, default_tlp, created", "ittttii", "rid",
     "rid", "rid", NULL},
    {"partner",
     "rid, identity_id, name, country, clearance, trust, disabled, pubkey, cert_fingerprint,"
     " cert_subject, identity_json, created",
     "itttititttti", "rid", "rid", "rid", NULL},
    {"grant_right", "coll, partner, can_read, can_write", "iiii", "coll, partner", "coll, partner",
     NULL, NULL},
    {"object",
     "date_added, coll, id, type, spec_version, created, modified, modified_text, created_by_ref,"
     " tlp, restricted, json",
     "iitttiittiit", "date_added", "date_added", NULL, NULL},
    /* SQLite's search is an FTS5 table keyed by rowid (= object.date_added); PostgreSQL's
     * is a plain table keyed by obj. */
    {"search", "obj, body", "it", "rowid", "obj", NULL, "rowid, body"},
    {"audience", "obj, kind, partner", "iii", "obj, kind, partner", "obj, kind, partner", NULL,
     NULL},
    {"status", "id, owner, created, json", "ttit", "id", "id COLLATE \"C\"", NULL, NULL},
    {"token", "id, hash, partner, admin, read_only, created, expires, revoked, label", "tbiiiiiit",
     "id", "id COLLATE \"C\"", NULL, NULL},
    {"peer", "rid, name, url, api_root, partner, token, client_cert, client_key, ca, created",
     "ittttittti", "rid", "rid", "rid", NULL},
    {"checkpoint",
     "peer, direction, remote_coll, local_coll, position, last_ok, last_error, updated, objects",
     "ittititii", "peer, direction, remote_coll, local_coll",
     "peer, direction COLLATE \"C\", remote_coll COLLATE \"C\", local_coll", NULL, NULL},
    {"provenance", "obj, peer, partner, received, trust, via", "iiiitt", "obj", "obj", NULL, NULL},
    {"watch", "rid, id, owner, name, query, webhook, secret, created", "ititttti", "rid", "rid",
     "rid", NULL},
    {"watch_event",
     "seq, watch, obj_date_added, coll, obj_id, obj_modified, summary, created, hook_state,"
     " attempts, next_attempt, last_error",
     "iiiititiiiit", "seq", "seq", "seq", NULL},
    {"audit", "seq, ts, actor, action, detail, prev, hash", "iitttbb", "seq", "seq", NULL, NULL},
};
#define N_TABLES (sizeof tables / sizeof tables[0])
#define MAX_COLS 16
_Static_assert(N_TABLES <= 32, "pg_conn.copy_prepared has one bit per table");

static const char *sqlite_cols(const struct copy_table *tb)
{
    return tb->sqlite_cols ? tb->sqlite_cols : tb->cols;
}

const char *const *store_copy_tables(void)
{
    static const char *names[N_TABLES + 1];
    for (size_t i = 0; i < N_TABLES; i++)
        names[i] = tables[i].name;
    return names;
}

static const struct copy_table *find_table(const char *name, size_t *index)
{
    for (size_t i = 0; i < N_TABLES; i++)
        if (!strcmp(tables[i].name, name)) {
            *index = i;
            return &tables[i];
        }
    return NULL;
}

static int sqlite_copy_read(struct store *s, const struct copy_table *tb,
                            int (*fn)(const struct store_copy_value *row, size_t n, void *ctx),
                            void *ctx, struct lia_err *err)
{
    struct sqlite_conn *c;
    int rc = sqlite_acquire(s, &c, err);
    if (rc)
        return rc;
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT %s FROM %s%s ORDER BY %s", sqlite_cols(tb), tb->name,
             strcmp(tb->name, "meta") ? "" : " WHERE key <> 'schema_version'", tb->order);
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
    size_t n = strlen(tb->kinds);
    struct store_copy_value row[MAX_COLS];
    while (src == SQLITE_OK || src == SQLITE_ROW) {
        src = sqlite3_step(st);
        if (src != SQLITE_ROW)
            break;
        for (size_t i = 0; i < n; i++) {
            int col = (int)i;
            if (sqlite3_column_type(st, col) == SQLITE_NULL) {
                row[i].ptr = NULL;
                row[i].len = 0;
            } else if (tb->kinds[i] == 'b') {
                row[i].ptr = sqlite3_column_blob(st, col);
                row[i].len = (size_t)sqlite3_column_bytes(st, col);
                if (!row[i].ptr)
                    row[i].ptr = "";
            } else {
                row[i].ptr = (const char *)sqlite3_column_text(st, col);
                row[i].len = (size_t)sqlite3_column_bytes(st, col);
            }
        }
        rc = fn(row, n, ctx);
        if (rc)
            break;
    }
    sqlite3_finalize(st);
    if (rc == 0 && src != SQLITE_DONE)
        rc = sqlite_fail(c->db, src, err, "copy: read");
    sqlite_release(s, c);
    return rc;
}

/* Reads through a cursor in batches: a large table never sits in memory, and stopping
 * early (fn non-zero) costs nothing. */
static int pg_copy_read(struct store *s, const struct copy_table *tb,
                        int (*fn)(const struct store_copy_value *row, size_t n, void *ctx),
                        void *ctx, struct lia_err *err)
{
    struct pg_conn *c;
    int rc = pg_acquire(s, &c, err);
    if (rc)
        return rc;
    char sql[600];
    snprintf(sql, sizeof sql,
             "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;"
             " DECLARE copy_cursor NO SCROLL CURSOR FOR SELECT %s FROM %s%s ORDER BY %s",
             tb->cols, tb->name, strcmp(tb->name, "meta") ? "" : " WHERE key <> 'schema_version'",
             tb->pg_order);
    rc = pg_run(s, c, -1, sql, NULL, "copy: read", err);
    size_t n = strlen(tb->kinds);
    struct store_copy_value row[MAX_COLS];
    unsigned char *bytes[MAX_COLS] = {0};
    while (rc == 0) {
        PGresult *r;
        rc = pg_exec(s, c, -1, "FETCH 2000 FROM copy_cursor", NULL, &r, "copy: read", err);
        if (rc)
            break;
        int rows = PQntuples(r);
        for (int i = 0; i < rows && rc == 0; i++) {
            for (size_t k = 0; k < n; k++) {
                int col = (int)k;
                row[k].ptr = PQgetisnull(r, i, col) ? NULL : PQgetvalue(r, i, col);
                row[k].len = (size_t)PQgetlength(r, i, col);
                if (row[k].ptr && tb->kinds[k] == 'b') {
                    /* bytea in hex text form: \x0a1b... */
                    size_t hex = row[k].len > 2 ? row[k].len - 2 : 0;
                    free(bytes[k]);
                    bytes[k] = malloc(hex / 2 + 1);
                    size_t got = 0;
                    if (!bytes[k] || sodium_hex2bin(bytes[k], hex / 2 + 1, row[k].ptr + 2, hex,
                                                    NULL, &got, NULL) != 0)
                        rc = lia_err_set(err, LIA_EIO, "copy: bad bytea in %s", tb->name);
                    row[k].ptr = (const char *)bytes[k];
                    row[k].len = got;
                }
            }
            if (rc == 0)
                rc = fn(row, n, ctx);
        }
        PQclear(r);
        if (rows == 0)
            break;
    }
    for (size_t k = 0; k < MAX_COLS; k++)
        free(bytes[k]);
    if (c->db && PQtransactionStatus(c->db) != PQTRANS_IDLE)
        PQclear(PQexec(c->db, "ROLLBACK"));
    pg_release(s, c);
    return rc;
}

int store_copy_read(struct store *s, const char *table,
                    int (*fn)(const struct store_copy_value *row, size_t n, void *ctx), void *ctx,
                    struct lia_err *err)
{
    size_t index;
    const struct copy_table *tb = find_table(table, &index);
    if (!tb)
        return lia_err_set(err, LIA_EINTERNAL, "copy: unknown table %s", table);
    return s->pg ? pg_copy_read(s, tb, fn, ctx, err) : sqlite_copy_read(s, tb, fn, ctx, err);
}

static int insert_sql(const struct copy_table *tb, bool pg, char *sql, size_t len)
{
    size_t n = strlen(tb->kinds);
    int k = snprintf(sql, len, "INSERT %sINTO %s(%s) VALUES(",
                     !pg && !strcmp(tb->name, "meta") ? "OR REPLACE " : "", tb->name,
                     pg ? tb->cols : sqlite_cols(tb));
    for (size_t i = 0; i < n && k > 0 && (size_t)k < len; i++) {
        if (pg)
            k += snprintf(sql + k, len - (size_t)k, "%s$%zu", i ? "," : "", i + 1);
        else
            k += snprintf(sql + k, len - (size_t)k, "%s?", i ? "," : "");
    }
    if (k > 0 && (size_t)k < len)
        k += snprintf(sql + k, len - (size_t)k, ")%s",
                      pg && !strcmp(tb->name, "meta")
                          ? " ON CONFLICT(key) DO UPDATE SET value = excluded.value"
                          : "");
    return k > 0 && (size_t)k < len ? 0 : LIA_EINTERNAL;
}

int store_copy_write(struct store_txn *t, const char *table, const struct store_copy_value *row,
                     size_t n, struct lia_err *err)
{
    size_t index;
    const struct copy_table *tb = find_table(table, &index);
    if (!tb || (n != strlen(tb->kinds) && n != 0))
        return lia_err_set(err, LIA_EINTERNAL, "copy: unknown table %s", table);
    char sql[1024];
    if (n == 0) {
        /* Empties the table (a fresh store's own settings), schema_version excepted. */
        snprintf(sql, sizeof sql, "DELETE FROM %s%s", tb->name,
                 strcmp(tb->name, "meta") ? "" : " WHERE key <> 'schema_version'");
        if (t->pg)
            return pg_run(t->store, t->pg, -1, sql, NULL, "copy", err);
        int src = sqlite3_exec(t->conn->db, sql, NULL, NULL, NULL);
        return src == SQLITE_OK ? 0 : sqlite_fail(t->conn->db, src, err, "copy");
    }
    if (insert_sql(tb, t->pg != NULL, sql, sizeof sql))
        return lia_err_set(err, LIA_EINTERNAL, "copy: statement too long");
    if (t->pg) {
        struct pg_conn *c = t->pg;
        char name[32];
        snprintf(name, sizeof name, "copy_%s", tb->name);
        if (!(c->copy_prepared & (1u << index))) {
            PGresult *r = PQprepare(c->db, name, sql, 0, NULL);
            int rc =
                PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : pg_fail(t->store, c, r, "copy", err);
            PQclear(r);
            if (rc)
                return rc;
            c->copy_prepared |= 1u << index;
        }
        const char *v[MAX_COLS];
        int len[MAX_COLS], fmt[MAX_COLS];
        for (size_t i = 0; i < n; i++) {
            v[i] = row[i].ptr;
            len[i] = (int)row[i].len;
            fmt[i] = tb->kinds[i] == 't' || tb->kinds[i] == 'b'; /* binary: exact bytes */
        }
        PGresult *r = PQexecPrepared(c->db, name, (int)n, v, len, fmt, 0);
        int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : pg_fail(t->store, c, r, "copy", err);
        PQclear(r);
        return rc;
    }
    sqlite3_stmt *st;
    int rc = sqlite_stmt_sql(t->conn, sql, strlen(sql), &st, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        int col = (int)i + 1;
        if (!row[i].ptr)
            sqlite3_bind_null(st, col);
        else if (tb->kinds[i] == 'i')
            sqlite3_bind_int64(st, col, strtoll(row[i].ptr, NULL, 10));
        else if (tb->kinds[i] == 'b')
            sqlite3_bind_blob(st, col, row[i].ptr, (int)row[i].len, SQLITE_STATIC);
        else
            sqlite3_bind_text(st, col, row[i].ptr, (int)row[i].len, SQLITE_STATIC);
    }
    int step = sqlite3_step(st);
    sqlite3_reset(st);
    return step == SQLITE_DONE ? 0 : sqlite_fail(t->conn->db, step, err, "copy");
}

int store_copy_finish(struct store_txn *t, struct lia_err *err)
{
    if (!t->pg) {
        /* superseded/preceded and the audience masks are SQLite's own, not copied:
         * computed from the versions and the audience rows. */
        int src = sqlite3_exec(t->conn->db, sqlite_reflag_sql, NULL, NULL, NULL);
        if (src == SQLITE_OK)
            src = sqlite3_exec(t->conn->db, sqlite_remask_sql, NULL, NULL, NULL);
        return src == SQLITE_OK ? 0 : sqlite_fail(t->conn->db, src, err, "copy: version flags");
    }
    for (size_t i = 0; i < N_TABLES; i++) {
        if (!tables[i].identity)
            continue;
        char sql[300];
        snprintf(sql, sizeof sql,
                 "SELECT setval(pg_get_serial_sequence('%s', '%s'), coalesce(max(%s), 0) + 1,"
                 " false) FROM %s",
                 tables[i].name, tables[i].identity, tables[i].identity, tables[i].name);
        int rc = pg_run(t->store, t->pg, -1, sql, NULL, "copy: sequences", err);
        if (rc)
            return rc;
    }
    /* Statistics for the tables just filled, committed with them: never analysed, the planner
     * takes the object table for a few hundred rows and pages by reading the whole collection
     * and sorting it (O(N) a page) until autovacuum gets to it. */
    return pg_run(t->store, t->pg, -1, "ANALYZE", NULL, "copy: statistics", err);
}
