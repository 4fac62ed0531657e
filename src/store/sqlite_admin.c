/*
 * The SQLite backend's smaller tables: collections, status resources,
 * tokens and the audit log. Collection visibility follows the same rule as
 * object reads: a partner sees a collection only through a grant, and an
 * unseen collection is reported exactly like a missing one.
 */
#include "store/pg_int.h"

#include <stdio.h>
#include <stddef.h>
#include <string.h>

#include <sodium.h>

static int collection_row(sqlite3_stmt *st, const struct store_policy *p, struct arena *a,
                          struct store_collection *c)
{
    memset(c, 0, sizeof *c);
    c->rid = sqlite3_column_int64(st, 0);
    c->id = sqlite_column_dup(st, 1, a);
    c->title = sqlite_column_dup(st, 2, a);
    c->description = sqlite_column_dup(st, 3, a);
    c->alias = sqlite_column_dup(st, 4, a);
    c->default_tlp = sqlite3_column_int(st, 5);
    c->can_read = p->all || sqlite3_column_int(st, 6);
    c->can_write = p->all || sqlite3_column_int(st, 7);
    return c->id && c->title ? 0 : LIA_ENOMEM;
}

static int collection_row_any(sqlite3_stmt *st, struct arena *a, void *dst, void *ctx)
{
    return collection_row(st, ctx, a, dst);
}

static const char *collection_select =
    "SELECT c.rid, c.id, c.title, c.description, c.alias, c.default_tlp,"
    " coalesce(g.can_read, 0), coalesce(g.can_write, 0) FROM collection c"
    " LEFT JOIN grant_right g ON g.coll = c.rid AND g.partner = ?1"
    " WHERE (?2 OR g.can_read OR g.can_write)";

int store_collection_add(struct store *s, const char *title, const char *description,
                         const char *alias, int default_tlp, struct arena *a,
                         struct store_collection *out, struct lia_err *err)
{
    if (s->pg)
        return pgstore_collection_add(s, title, description, alias, default_tlp, a, out, err);
    struct sqlite_conn *c;
    int rc = sqlite_acquire(s, &c, err);
    if (rc)
        return rc;
    char id[37];
    lia_uuid4(id);
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(c->db,
                                 "INSERT INTO collection(id, title, description, alias,"
                                 " default_tlp, created) VALUES(?,?,?,?,?,?)",
                                 -1, &st, NULL);
    if (src == SQLITE_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, title, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, description, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, alias, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 5, default_tlp);
        sqlite3_bind_int64(st, 6, lia_now_us());
        src = sqlite3_step(st);
        sqlite3_finalize(st);
    }
    if (src == SQLITE_CONSTRAINT)
        rc = lia_err_set(err, LIA_ECONFLICT, "a collection with alias '%s' exists already",
                         alias ? alias : "");
    else if (src != SQLITE_DONE)
        rc = sqlite_fail(c->db, src, err, "add collection");
    if (rc == 0) {
        memset(out, 0, sizeof *out);
        out->rid = sqlite3_last_insert_rowid(c->db);
        out->id = arena_strndup(a, id, strlen(id));
        out->title = arena_strndup(a, title, strlen(title));
        out->default_tlp = default_tlp;
        out->can_read = out->can_write = true;
    }
    sqlite_release(s, c);
    return rc;
}

int store_collection_list(struct store *s, const struct store_policy *p, struct arena *a,
                          struct store_collection **out, size_t *n, struct lia_err *err)
{
    if (s->pg)
        return pgstore_collection_list(s, p, a, out, n, err);
    char sql[512];
    snprintf(sql, sizeof sql, "%s ORDER BY c.rid", collection_select);
    const int64_t binds[] = {p->partner, p->all};
    void *rows;
    int rc = sqlite_list(s, sql, binds, 2, a, sizeof **out, collection_row_any, (void *)p, &rows, n,
                         "list collections", err);
    *out = rows;
    return rc;
}

int store_collection_get(struct store *s, const struct store_policy *p, const char *id_or_alias,
                         struct arena *a, struct store_collection *out, struct lia_err *err)
{
    if (s->pg)
        return pgstore_collection_get(s, p, id_or_alias, a, out, err);
    struct sqlite_conn *c;
    int rc = sqlite_acquire(s, &c, err);
    if (rc)
        return rc;
    static const size_t strs[] = {
        offsetof(struct store_collection, id), offsetof(struct store_collection, title),
        offsetof(struct store_collection, description), offsetof(struct store_collection, alias)};
    if (sqlite_cache_get(c, CACHE_COLLECTION, p->partner, p->all, id_or_alias, out, sizeof *out,
                         strs, 4, a)) {
        sqlite_release(s, c);
        return 0;
    }
    char sql[512];
    snprintf(sql, sizeof sql, "%s AND (c.id = ?3 OR c.alias = ?3)", collection_select);
    sqlite3_stmt *st = NULL;
    int src = sqlite_stmt(c, STMT_COLLECTION_GET, sql, &st, NULL) ? SQLITE_ERROR : SQLITE_OK;
    if (src == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, p->partner);
        sqlite3_bind_int(st, 2, p->all);
        sqlite3_bind_text(st, 3, id_or_alias, -1, SQLITE_STATIC);
        src = sqlite3_step(st);
        if (src == SQLITE_ROW) {
            rc = collection_row(st, p, a, out) ? lia_err_set(err, LIA_ENOMEM, "out of memory") : 0;
            if (rc == 0)
                sqlite_cache_put(c, CACHE_COLLECTION, p->partner, p->all, id_or_alias, out,
                                 sizeof *out, strs, 4);
        } else if (src == SQLITE_DONE) {
            rc = lia_err_set(err, LIA_ENOTFOUND, "no such collection");
        } else {
            rc = sqlite_fail(c->db, src, err, "read collection");
        }
    } else {
        rc = sqlite_fail(c->db, src, err, "read collection");
    }
    sqlite3_reset(st);
    sqlite_release(s, c);
    return rc;
}

int store_status_put(struct store_txn *t, const char *id, const char *owner, const char *json,
                     struct lia_err *err)
{
    if (t->pg)
        return pgstore_status_put(t, id, owner, json, err);
    sqlite3_stmt *st = NULL;
    int rc = sqlite_stmt(t->conn, STMT_STATUS_PUT,
                         "INSERT OR REPLACE INTO status(id, owner, created, json) VALUES(?,?,?,?)",
                         &st, err);
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, owner, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, lia_now_us());
    sqlite3_bind_text(st, 4, json, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    sqlite3_reset(st);
    return step == SQLITE_DONE ? 0 : sqlite_fail(t->conn->db, step, err, "store status");
}

int store_status_get(struct store *s, const char *id, const char *owner, struct arena *a,
                     char **json, struct lia_err *err)
{
    if (s->pg)
        return pgstore_status_get(s, id, owner, a, json, err);
    struct sqlite_conn *c;
    int rc = sqlite_acquire(s, &c, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = sqlite_stmt(c, STMT_STATUS_GET,
                     "SELECT json FROM status WHERE id = ?1 AND (?2 IS NULL OR owner = ?2)", &st,
                     err);
    if (rc == 0) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (owner)
            sqlite3_bind_text(st, 2, owner, -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW)
            rc = (*json = sqlite_column_dup(st, 0, a)) ? 0 : lia_err_set(err, LIA_ENOMEM, "oom");
        else if (step == SQLITE_DONE)
            rc = lia_err_set(err, LIA_ENOTFOUND, "no such status");
        else
            rc = sqlite_fail(c->db, step, err, "read status");
        sqlite3_reset(st);
    }
    sqlite_release(s, c);
    return rc;
}

int store_token_put(struct store *s, const struct store_token *tok, struct lia_err *err)
{
    if (s->pg)
        return pgstore_token_put(s, tok, err);
    struct sqlite_conn *c;
    int rc = sqlite_acquire(s, &c, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(c->db,
                                 "INSERT INTO token(id, hash, partner, admin, read_only, created,"
                                 " expires, revoked, label) VALUES(?,?,?,?,?,?,?,0,?)",
                                 -1, &st, NULL);
    if (src == SQLITE_OK) {
        sqlite3_bind_text(st, 1, tok->id, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 2, tok->hash, sizeof tok->hash, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, tok->partner);
        sqlite3_bind_int(st, 4, tok->admin);
        sqlite3_bind_int(st, 5, tok->read_only);
        sqlite3_bind_int64(st, 6, tok->created);
        sqlite3_bind_int64(st, 7, tok->expires);
        sqlite3_bind_text(st, 8, tok->label, -1, SQLITE_STATIC);
        src = sqlite3_step(st);
        sqlite3_finalize(st);
    }
    if (src != SQLITE_DONE)
        rc = sqlite_fail(c->db, src, err, "store token");
    sqlite_release(s, c);
    return rc;
}

static const char *token_select = "SELECT id, hash, partner, admin, read_only, created, expires,"
                                  " revoked, label FROM token";

static int token_row(sqlite3_stmt *st, struct arena *a, struct store_token *t)
{
    memset(t, 0, sizeof *t);
    t->id = sqlite_column_dup(st, 0, a);
    if (sqlite3_column_bytes(st, 1) == sizeof t->hash)
        memcpy(t->hash, sqlite3_column_blob(st, 1), sizeof t->hash);
    t->partner = sqlite3_column_int64(st, 2);
    t->admin = sqlite3_column_int(st, 3);
    t->read_only = sqlite3_column_int(st, 4);
    t->created = sqlite3_column_int64(st, 5);
    t->expires = sqlite3_column_int64(st, 6);
    t->revoked = sqlite3_column_int(st, 7);
    t->label = sqlite_column_dup(st, 8, a);
    return t->id ? 0 : LIA_ENOMEM;
}

static int token_row_any(sqlite3_stmt *st, struct arena *a, void *dst, void *ctx)
{
    (void)ctx;
    return token_row(st, a, dst);
}

int store_token_get(struct store *s, const char *id, struct arena *a, struct store_token *out,
                    struct lia_err *err)
{
    if (s->pg)
        return pgstore_token_get(s, id, a, out, err);
    struct sqlite_conn *c;
    int rc = sqlite_acquire(s, &c, err);
    if (rc)
        return rc;
    static const size_t strs[] = {offsetof(struct store_token, id),
                                  offsetof(struct store_token, label)};
    if (sqlite_cache_get(c, CACHE_TOKEN, 0, 0, id, out, sizeof *out, strs, 2, a)) {
        sqlite_release(s, c);
        return 0;
    }
    sqlite3_stmt *st = NULL;
    char sql[256];
    snprintf(sql, sizeof sql, "%s WHERE id = ?", token_select);
    rc = sqlite_stmt(c, STMT_TOKEN_GET, sql, &st, err);
    if (rc == 0) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            rc = token_row(st, a, out) ? lia_err_set(err, LIA_ENOMEM, "out of memory") : 0;
            if (rc == 0)
                sqlite_cache_put(c, CACHE_TOKEN, 0, 0, id, out, sizeof *out, strs, 2);
        } else if (step == SQLITE_DONE)
            rc = lia_err_set(err, LIA_ENOTFOUND, "no such token");
        else
            rc = sqlite_fail(c->db, step, err, "read token");
        sqlite3_reset(st);
    }
    sqlite_release(s, c);
    return rc;
}

int store_token_list(struct store *s, struct arena *a, struct store_token **out, size_t *n,
                     struct lia_err *err)
{
    if (s->pg)
        return pgstore_token_list(s, a, out, n, err);
    char sql[256];
    snprintf(sql, sizeof sql, "%s ORDER BY created", token_select);
    void *rows;
    int rc = sqlite_list(s, sql, NULL, 0, a, sizeof **out, token_row_any, NULL, &rows, n,
                         "list tokens", err);
    *out = rows;
    return rc;
}

int store_token_revoke(struct store *s, const char *id, struct lia_err *err)
{
    if (s->pg)
        return pgstore_token_revoke(s, id, err);
    struct sqlite_conn *c;
    int rc = sqlite_acquire(s, &c, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(c->db, "UPDATE token SET revoked = 1 WHERE id = ?", -1, &st, NULL);
    if (src == SQLITE_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        src = sqlite3_step(st);
        sqlite3_finalize(st);
    }
    if (src != SQLITE_DONE)
        rc = sqlite_fail(c->db, src, err, "revoke token");
    else if (sqlite3_changes(c->db) == 0)
        rc = lia_err_set(err, LIA_ENOTFOUND, "no token with id %s", id);
    sqlite_release(s, c);
    return rc;
}

int store_audit_last(struct store_txn *t, int64_t *seq, unsigned char hash[32], struct lia_err *err)
{
    if (t->pg)
        return pgstore_audit_last(t, seq, hash, err);
    sqlite3_stmt *st = NULL;
    int rc = sqlite_stmt(t->conn, STMT_AUDIT_LAST,
                         "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", &st, err);
    if (rc)
        return rc;
    *seq = 0;
    memset(hash, 0, 32);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        *seq = sqlite3_column_int64(st, 0);
        if (sqlite3_column_bytes(st, 1) == 32)
            memcpy(hash, sqlite3_column_blob(st, 1), 32);
    }
    sqlite3_reset(st);
    return step == SQLITE_ROW || step == SQLITE_DONE ? 0
                                                     : sqlite_fail(t->conn->db, step, err, "audit");
}

int store_audit_insert(struct store_txn *t, const struct store_audit_entry *e, const char *head,
                       struct lia_err *err)
{
    if (t->pg)
        return pgstore_audit_insert(t, e, head, err);
    sqlite3_stmt *st = NULL;
    int rc = sqlite_stmt(t->conn, STMT_AUDIT_INSERT,
                         "INSERT INTO audit(seq, ts, actor, action, detail, prev, hash)"
                         " VALUES(?,?,?,?,?,?,?)",
                         &st, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, e->seq);
    sqlite3_bind_int64(st, 2, e->ts);
    sqlite3_bind_text(st, 3, e->actor, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, e->action, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, e->detail, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 6, e->prev, 32, SQLITE_STATIC);
    sqlite3_bind_blob(st, 7, e->hash, 32, SQLITE_STATIC);
    int step = sqlite3_step(st);
    sqlite3_reset(st);
    if (step != SQLITE_DONE)
        return sqlite_fail(t->conn->db, step, err, "append audit");
    t->audit_rows += sqlite3_changes64(t->conn->db);
    rc = store_txn_meta_set(t, STORE_AUDIT_HEAD, head, err);
    if (rc == 0)
        t->audit_rows += sqlite3_changes64(t->conn->db); /* the head is the log's own */
    return rc;
}

int store_audit_scan(struct store *s, int64_t after,
                     int (*fn)(const struct store_audit_entry *e, void *ctx), void *ctx,
                     struct lia_err *err)
{
    if (s->pg)
        return pgstore_audit_scan(s, after, fn, ctx, err);
    struct sqlite_conn *c;
    int rc = sqlite_acquire(s, &c, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(c->db,
                                 "SELECT seq, ts, actor, action, detail, prev, hash FROM audit"
                                 " WHERE seq > ? ORDER BY seq",
                                 -1, &st, NULL);
    if (src == SQLITE_OK)
        sqlite3_bind_int64(st, 1, after);
    while (src == SQLITE_OK || src == SQLITE_ROW) {
        src = sqlite3_step(st);
        if (src != SQLITE_ROW)
            break;
        struct store_audit_entry e = {0};
        e.seq = sqlite3_column_int64(st, 0);
        e.ts = sqlite3_column_int64(st, 1);
        e.actor = (const char *)sqlite3_column_text(st, 2);
        e.action = (const char *)sqlite3_column_text(st, 3);
        e.detail = (const char *)sqlite3_column_text(st, 4);
        if (sqlite3_column_bytes(st, 5) == 32)
            memcpy(e.prev, sqlite3_column_blob(st, 5), 32);
        if (sqlite3_column_bytes(st, 6) == 32)
            memcpy(e.hash, sqlite3_column_blob(st, 6), 32);
        if (!e.actor)
            e.actor = "";
        if (!e.action)
            e.action = "";
        if (!e.detail)
            e.detail = "";
        rc = fn(&e, ctx);
        if (rc)
            break;
    }
    sqlite3_finalize(st);
    if (rc == 0 && src != SQLITE_DONE)
        rc = sqlite_fail(c->db, src, err, "read audit");
    sqlite_release(s, c);
    return rc;
}
