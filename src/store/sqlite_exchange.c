/*
 * The exchange tables of the SQLite backend: peers (remote TAXII servers and
 * the partner each stands for), checkpoints (how far each configured pull or
 * push got, when it last succeeded, its last error) and provenance (who sent
 * each stored version, and how). docs/exchange.md describes their use.
 *
 * Checkpoints and provenance are written inside the caller's transaction:
 * a pull commits a page of objects, their provenance and the position after
 * them together, so a crash leaves either all of it or none (resume is then
 * exact). Peer tokens are stored because pulls must present them; this file
 * never logs them.
 */
#include "store/pg_int.h"

#include <string.h>

static const char *peer_select = "SELECT rid, name, url, api_root, partner, token, client_cert,"
                                 " client_key, ca, created FROM peer";

static int peer_row(sqlite3_stmt *st, struct arena *a, struct store_peer *p)
{
    memset(p, 0, sizeof *p);
    p->rid = sqlite3_column_int64(st, 0);
    p->name = sqlite_column_dup(st, 1, a);
    p->url = sqlite_column_dup(st, 2, a);
    p->api_root = sqlite_column_dup(st, 3, a);
    p->partner = sqlite3_column_int64(st, 4);
    p->token = sqlite_column_dup(st, 5, a);
    p->client_cert = sqlite_column_dup(st, 6, a);
    p->client_key = sqlite_column_dup(st, 7, a);
    p->ca = sqlite_column_dup(st, 8, a);
    p->created = sqlite3_column_int64(st, 9);
    return p->name && p->url ? 0 : LIA_ENOMEM;
}

int store_peer_add(struct store *s, const struct store_peer *p, int64_t *rid, struct lia_err *err)
{
    if (s->pg)
        return pgstore_peer_add(s, p, rid, err);
    struct sqlite_conn *c;
    int rc = sqlite_acquire(s, &c, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL;
    int src =
        sqlite3_prepare_v2(c->db,
                           "INSERT INTO peer(name, url, api_root, partner, token, client_cert,"
                           " client_key, ca, created) VALUES(?,?,?,?,?,?,?,?,?)",
                           -1, &st, NULL);
    if (src == SQLITE_OK) {
        sqlite3_bind_text(st, 1, p->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, p->url, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, p->api_root, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, p->partner);
        sqlite3_bind_text(st, 5, p->token, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, p->client_cert, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, p->client_key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 8, p->ca, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 9, lia_now_us());
        src = sqlite3_step(st);
        sqlite3_finalize(st);
    }
    if (src == SQLITE_CONSTRAINT)
        rc = lia_err_set(err, LIA_ECONFLICT, "a peer named '%s' exists already", p->name);
    else if (src != SQLITE_DONE)
        rc = sqlite_fail(c->db, src, err, "add peer");
    else
        *rid = sqlite3_last_insert_rowid(c->db);
    sqlite_release(s, c);
    return rc;
}

int store_peer_get(struct store *s, int64_t rid, const char *key, struct arena *a,
                   struct store_peer *out, struct lia_err *err)
{
    if (s->pg)
        return pgstore_peer_get(s, rid, key, a, out, err);
    struct sqlite_conn *c;
    int rc = sqlite_acquire(s, &c, err);
    if (rc)
        return rc;
    char *sql = arena_printf(a, "%s WHERE %s = ?", peer_select, key ? "name" : "rid");
    sqlite3_stmt *st = NULL;
    int src = sql ? sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) : SQLITE_NOMEM;
    if (src == SQLITE_OK) {
        if (key)
            sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        else
            sqlite3_bind_int64(st, 1, rid);
        src = sqlite3_step(st);
        if (src == SQLITE_ROW)
            rc = peer_row(st, a, out) ? lia_err_set(err, LIA_ENOMEM, "out of memory") : 0;
        else if (src == SQLITE_DONE)
            rc = lia_err_set(err, LIA_ENOTFOUND, "no peer '%s' (see `liaison peer list`)",
                             key ? key : "?");
        else
            rc = sqlite_fail(c->db, src, err, "read peer");
    } else {
        rc = sqlite_fail(c->db, src, err, "read peer");
    }
    sqlite3_finalize(st);
    sqlite_release(s, c);
    return rc;
}

/* Runs sql (no parameters but an optional peer rowid) and collects rows with fn. */
static int list_rows(struct store *s, const char *sql, int64_t bind, struct arena *a, size_t size,
                     void **out, size_t *n,
                     int (*row)(sqlite3_stmt *st, struct arena *a, void *dst, void *ctx),
                     const char *what, struct lia_err *err)
{
    return sqlite_list(s, sql, &bind, bind ? 1 : 0, a, size, row, NULL, out, n, what, err);
}

static int peer_row_any(sqlite3_stmt *st, struct arena *a, void *dst, void *ctx)
{
    (void)ctx;
    return peer_row(st, a, dst);
}

int store_peer_list(struct store *s, struct arena *a, struct store_peer **out, size_t *n,
                    struct lia_err *err)
{
    if (s->pg)
        return pgstore_peer_list(s, a, out, n, err);
    char *sql = arena_printf(a, "%s ORDER BY rid", peer_select);
    if (!sql)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    void *rows = NULL;
    int rc = list_rows(s, sql, 0, a, sizeof **out, &rows, n, peer_row_any, "list peers", err);
    *out = rows;
    return rc;
}

int store_peer_remove(struct store *s, int64_t rid, struct lia_err *err)
{
    if (s->pg)
        return pgstore_peer_remove(s, rid, err);
    struct store_txn *t;
    int rc = store_begin(s, &t, err);
    if (rc)
        return rc;
    static const char *const sqls[] = {"DELETE FROM checkpoint WHERE peer = ?",
                                       "DELETE FROM peer WHERE rid = ?"};
    for (size_t i = 0; i < 2 && rc == 0; i++) {
        sqlite3_stmt *st = NULL;
        int src = sqlite3_prepare_v2(t->conn->db, sqls[i], -1, &st, NULL);
        if (src == SQLITE_OK) {
            sqlite3_bind_int64(st, 1, rid);
            src = sqlite3_step(st);
            sqlite3_finalize(st);
        }
        if (src != SQLITE_DONE)
            rc = sqlite_fail(t->conn->db, src, err, "remove peer");
        else if (i == 1 && sqlite3_changes(t->conn->db) == 0)
            rc = lia_err_set(err, LIA_ENOTFOUND, "no such peer");
    }
    if (rc) {
        store_rollback(t);
        return rc;
    }
    return store_commit(t, err);
}

static const char *checkpoint_select =
    "SELECT peer, direction, remote_coll, local_coll, position, last_ok, last_error, updated,"
    " objects FROM checkpoint";

static int checkpoint_row(sqlite3_stmt *st, struct arena *a, void *dst, void *ctx)
{
    (void)ctx;
    struct store_checkpoint *c = dst;
    memset(c, 0, sizeof *c);
    c->peer = sqlite3_column_int64(st, 0);
    c->direction = sqlite_column_dup(st, 1, a);
    c->remote_coll = sqlite_column_dup(st, 2, a);
    c->local_coll = sqlite3_column_int64(st, 3);
    c->position = sqlite_column_dup(st, 4, a);
    c->last_ok = sqlite3_column_int64(st, 5);
    c->last_error = sqlite_column_dup(st, 6, a);
    c->updated = sqlite3_column_int64(st, 7);
    c->objects = sqlite3_column_int64(st, 8);
    return c->direction && c->remote_coll ? 0 : LIA_ENOMEM;
}

int store_checkpoint_put(struct store_txn *t, const struct store_checkpoint *c, struct lia_err *err)
{
    if (t->pg)
        return pgstore_checkpoint_put(t, c, err);
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(t->conn->db,
                                 "INSERT OR REPLACE INTO checkpoint(peer, direction, remote_coll,"
                                 " local_coll, position, last_ok, last_error, updated, objects)"
                                 " VALUES(?,?,?,?,?,?,?,?,?)",
                                 -1, &st, NULL);
    if (src == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, c->peer);
        sqlite3_bind_text(st, 2, c->direction, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, c->remote_coll, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, c->local_coll);
        sqlite3_bind_text(st, 5, c->position, -1, SQLITE_STATIC);
        if (c->last_ok)
            sqlite3_bind_int64(st, 6, c->last_ok);
        sqlite3_bind_text(st, 7, c->last_error, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 8, lia_now_us());
        sqlite3_bind_int64(st, 9, c->objects);
        src = sqlite3_step(st);
        sqlite3_finalize(st);
    }
    return src == SQLITE_DONE ? 0 : sqlite_fail(t->conn->db, src, err, "write checkpoint");
}

int store_checkpoint_get(struct store *s, int64_t peer, const char *direction,
                         const char *remote_coll, int64_t local_coll, struct arena *a,
                         struct store_checkpoint *out, struct lia_err *err)
{
    if (s->pg)
        return pgstore_checkpoint_get(s, peer, direction, remote_coll, local_coll, a, out, err);
    struct sqlite_conn *c;
    int rc = sqlite_acquire(s, &c, err);
    if (rc)
        return rc;
    char *sql = arena_printf(a,
                             "%s WHERE peer = ? AND direction = ? AND remote_coll = ? AND"
                             " local_coll = ?",
                             checkpoint_select);
    sqlite3_stmt *st = NULL;
    int src = sql ? sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) : SQLITE_NOMEM;
    if (src == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, peer);
        sqlite3_bind_text(st, 2, direction, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, remote_coll, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, local_coll);
        src = sqlite3_step(st);
        if (src == SQLITE_ROW)
            rc = checkpoint_row(st, a, out, NULL) ? lia_err_set(err, LIA_ENOMEM, "out of memory")
                                                  : 0;
        else if (src == SQLITE_DONE)
            rc = lia_err_set(err, LIA_ENOTFOUND, "no such checkpoint");
        else
            rc = sqlite_fail(c->db, src, err, "read checkpoint");
    } else {
        rc = sqlite_fail(c->db, src, err, "read checkpoint");
    }
    sqlite3_finalize(st);
    sqlite_release(s, c);
    return rc;
}

int store_checkpoint_list(struct store *s, int64_t peer, struct arena *a,
                          struct store_checkpoint **out, size_t *n, struct lia_err *err)
{
    if (s->pg)
        return pgstore_checkpoint_list(s, peer, a, out, n, err);
    char *sql = arena_printf(a, "%s%s ORDER BY peer, direction, remote_coll, local_coll",
                             checkpoint_select, peer ? " WHERE peer = ?" : "");
    if (!sql)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    void *rows = NULL;
    int rc =
        list_rows(s, sql, peer, a, sizeof **out, &rows, n, checkpoint_row, "list checkpoints", err);
    *out = rows;
    return rc;
}

int store_provenance_put(struct store_txn *t, const int64_t *date_added, size_t n, int64_t peer,
                         int64_t partner, int64_t received, const char *trust, const char *via,
                         struct lia_err *err)
{
    if (t->pg)
        return pgstore_provenance_put(t, date_added, n, peer, partner, received, trust, via, err);
    if (n == 0)
        return 0;
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(t->conn->db,
                                 "INSERT OR IGNORE INTO provenance(obj, peer, partner, received,"
                                 " trust, via) VALUES(?,?,?,?,?,?)",
                                 -1, &st, NULL);
    for (size_t i = 0; i < n && src == SQLITE_OK; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, date_added[i]);
        if (peer)
            sqlite3_bind_int64(st, 2, peer);
        else
            sqlite3_bind_null(st, 2);
        sqlite3_bind_int64(st, 3, partner);
        sqlite3_bind_int64(st, 4, received);
        sqlite3_bind_text(st, 5, trust, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, via, -1, SQLITE_STATIC);
        src = sqlite3_step(st);
        if (src == SQLITE_DONE)
            src = SQLITE_OK;
    }
    int rc = src == SQLITE_OK ? 0 : sqlite_fail(t->conn->db, src, err, "write provenance");
    sqlite3_finalize(st);
    return rc;
}

int store_txn_meta_get(struct store_txn *t, const char *key, struct arena *a, char **value,
                       struct lia_err *err)
{
    if (t->pg)
        return pgstore_txn_meta_get(t, key, a, value, err);
    sqlite3_stmt *st = NULL;
    int rc = sqlite_stmt(t->conn, STMT_META_GET, "SELECT value FROM meta WHERE key=?", &st, err);
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        *value = sqlite_column_dup(st, 0, a);
        rc = *value ? 0 : lia_err_set(err, LIA_ENOMEM, "out of memory");
    } else if (step == SQLITE_DONE) {
        rc = lia_err_set(err, LIA_ENOTFOUND, "store: no setting %s", key);
    } else {
        rc = sqlite_fail(t->conn->db, step, err, "read setting");
    }
    sqlite3_reset(st);
    return rc;
}
