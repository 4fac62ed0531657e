/*
 * Partners and grants in the SQLite backend, and the two look-ups the write
 * rules need inside a transaction: who created an object, and what a
 * marking-definition says.
 */
#include "store/pg_int.h"

#include <stdio.h>
#include <stddef.h>
#include <string.h>

static const char *partner_select =
    "SELECT rid, identity_id, identity_json, name, country, clearance, trust, disabled, pubkey,"
    " cert_fingerprint, cert_subject, created FROM partner";

static int partner_row(sqlite3_stmt *st, struct arena *a, struct store_partner *p)
{
    memset(p, 0, sizeof *p);
    p->rid = sqlite3_column_int64(st, 0);
    p->identity_id = sqlite_column_dup(st, 1, a);
    p->identity_json = sqlite_column_dup(st, 2, a);
    p->name = sqlite_column_dup(st, 3, a);
    p->country = sqlite_column_dup(st, 4, a);
    p->clearance = sqlite3_column_int(st, 5);
    p->trust = sqlite_column_dup(st, 6, a);
    p->disabled = sqlite3_column_int(st, 7);
    p->pubkey = sqlite_column_dup(st, 8, a);
    p->cert_fingerprint = sqlite_column_dup(st, 9, a);
    p->cert_subject = sqlite_column_dup(st, 10, a);
    p->created = sqlite3_column_int64(st, 11);
    return p->identity_id && p->name && p->identity_json ? 0 : LIA_ENOMEM;
}

static int partner_row_any(sqlite3_stmt *st, struct arena *a, void *dst, void *ctx)
{
    (void)ctx;
    return partner_row(st, a, dst);
}

int store_partner_add(struct store *s, const struct store_partner *p, int64_t *rid,
                      struct lia_err *err)
{
    if (s->pg)
        return pgstore_partner_add(s, p, rid, err);
    struct sqlite_conn *c;
    int rc = sqlite_acquire(s, &c, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(c->db,
                                 "INSERT INTO partner(identity_id, identity_json, name, country,"
                                 " clearance, trust, disabled, created) VALUES(?,?,?,?,?,?,0,?)",
                                 -1, &st, NULL);
    if (src == SQLITE_OK) {
        sqlite3_bind_text(st, 1, p->identity_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, p->identity_json, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, p->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, p->country, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 5, p->clearance);
        sqlite3_bind_text(st, 6, p->trust, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 7, lia_now_us());
        src = sqlite3_step(st);
        sqlite3_finalize(st);
    }
    if (src == SQLITE_CONSTRAINT)
        rc = lia_err_set(err, LIA_ECONFLICT, "a partner named '%s' exists already", p->name);
    else if (src != SQLITE_DONE)
        rc = sqlite_fail(c->db, src, err, "add partner");
    else
        *rid = sqlite3_last_insert_rowid(c->db);
    sqlite_release(s, c);
    return rc;
}

int store_partner_get(struct store *s, int64_t rid, const char *field, const char *key,
                      struct arena *a, struct store_partner *out, struct lia_err *err)
{
    if (s->pg)
        return pgstore_partner_get(s, rid, field, key, a, out, err);
    const char *col = "rid";
    if (field && !strcmp(field, "identity"))
        col = "identity_id";
    else if (field && !strcmp(field, "name"))
        col = "name";
    else if (field && !strcmp(field, "fingerprint"))
        col = "cert_fingerprint";
    else if (field && !strcmp(field, "subject"))
        col = "cert_subject";
    else if (field)
        return lia_err_set(err, LIA_EINTERNAL, "store_partner_get: unknown field %s", field);
    struct sqlite_conn *c;
    int rc = sqlite_acquire(s, &c, err);
    if (rc)
        return rc;
    static const size_t strs[] = {offsetof(struct store_partner, identity_id),
                                  offsetof(struct store_partner, identity_json),
                                  offsetof(struct store_partner, name),
                                  offsetof(struct store_partner, country),
                                  offsetof(struct store_partner, trust),
                                  offsetof(struct store_partner, pubkey),
                                  offsetof(struct store_partner, cert_fingerprint),
                                  offsetof(struct store_partner, cert_subject)};
    const size_t n_strs = sizeof strs / sizeof strs[0];
    /* The column name tells the lookups apart in the cache: k1 is the rowid, key the value. */
    char ckey[640];
    const char *cache_key = NULL;
    if (field && strlen(col) + strlen(key) + 2 <= sizeof ckey) {
        size_t cl = strlen(col), kl = strlen(key);
        memcpy(ckey, col, cl);
        ckey[cl] = '=';
        memcpy(ckey + cl + 1, key, kl + 1);
        cache_key = ckey;
    }
    bool cacheable = !field || cache_key;
    if (cacheable && sqlite_cache_get(c, CACHE_PARTNER, field ? 0 : rid, 0, cache_key, out,
                                      sizeof *out, strs, n_strs, a)) {
        sqlite_release(s, c);
        return 0;
    }
    char sql[512];
    int sql_len = snprintf(sql, sizeof sql, "%s WHERE %s = ?", partner_select, col);
    sqlite3_stmt *st = NULL;
    int src = sqlite_stmt_sql(c, sql, (size_t)sql_len, &st, NULL) ? SQLITE_ERROR : SQLITE_OK;
    if (src == SQLITE_OK) {
        if (field)
            sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        else
            sqlite3_bind_int64(st, 1, rid);
        src = sqlite3_step(st);
        if (src == SQLITE_ROW) {
            rc = partner_row(st, a, out) ? lia_err_set(err, LIA_ENOMEM, "out of memory") : 0;
            if (rc == 0 && cacheable)
                sqlite_cache_put(c, CACHE_PARTNER, field ? 0 : rid, 0, cache_key, out, sizeof *out,
                                 strs, n_strs);
        } else if (src == SQLITE_DONE)
            rc = lia_err_set(err, LIA_ENOTFOUND, "no such partner");
        else
            rc = sqlite_fail(c->db, src, err, "read partner");
    } else {
        rc = sqlite_fail(c->db, src, err, "read partner");
    }
    if (st)
        sqlite3_reset(st); /* cached by the connection: reset, never finalize */
    sqlite_release(s, c);
    return rc;
}

int store_partner_list(struct store *s, struct arena *a, struct store_partner **out, size_t *n,
                       struct lia_err *err)
{
    if (s->pg)
        return pgstore_partner_list(s, a, out, n, err);
    char sql[512];
    snprintf(sql, sizeof sql, "%s ORDER BY rid", partner_select);
    void *rows;
    int rc = sqlite_list(s, sql, NULL, 0, a, sizeof **out, partner_row_any, NULL, &rows, n,
                         "list partners", err);
    *out = rows;
    return rc;
}

int store_partner_update(struct store *s, int64_t rid, const char *field, const char *value,
                         struct lia_err *err)
{
    if (s->pg)
        return pgstore_partner_update(s, rid, field, value, err);
    static const char *const fields[] = {
        "disabled", "pubkey", "cert_fingerprint", "cert_subject", "clearance", "trust", NULL};
    const char *const *f = fields;
    while (*f && strcmp(*f, field) != 0)
        f++;
    if (!*f)
        return lia_err_set(err, LIA_EINTERNAL, "store_partner_update: unknown field %s", field);
    struct sqlite_conn *c;
    int rc = sqlite_acquire(s, &c, err);
    if (rc)
        return rc;
    char sql[128];
    snprintf(sql, sizeof sql, "UPDATE partner SET %s = ? WHERE rid = ?", *f);
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
    if (src == SQLITE_OK) {
        sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, rid);
        src = sqlite3_step(st);
        sqlite3_finalize(st);
    }
    if (src == SQLITE_CONSTRAINT)
        rc = lia_err_set(err, LIA_ECONFLICT, "another partner has that %s already", field);
    else if (src != SQLITE_DONE)
        rc = sqlite_fail(c->db, src, err, "update partner");
    else if (sqlite3_changes(c->db) == 0)
        rc = lia_err_set(err, LIA_ENOTFOUND, "no such partner");
    sqlite_release(s, c);
    return rc;
}

int store_partner_rids(struct store_txn *t, const char *const *identities, size_t n, int64_t *rids,
                       size_t *n_rids, struct lia_err *err)
{
    if (t->pg)
        return pgstore_partner_rids(t, identities, n, rids, n_rids, err);
    *n_rids = 0;
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *st = NULL;
        int rc = sqlite_stmt(t->conn, STMT_PARTNER_RID,
                             "SELECT rid FROM partner WHERE identity_id = ?", &st, err);
        if (rc)
            return rc;
        sqlite3_bind_text(st, 1, identities[i], -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW)
            rids[(*n_rids)++] = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        if (step != SQLITE_ROW && step != SQLITE_DONE)
            return sqlite_fail(t->conn->db, step, err, "find partner");
    }
    return 0;
}

int store_grant_set(struct store *s, int64_t coll, int64_t partner, bool read, bool write,
                    struct lia_err *err)
{
    if (s->pg)
        return pgstore_grant_set(s, coll, partner, read, write, err);
    struct sqlite_conn *c;
    int rc = sqlite_acquire(s, &c, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL;
    const char *sql = read || write ? "INSERT OR REPLACE INTO grant_right(coll, partner, can_read,"
                                      " can_write) VALUES(?,?,?,?)"
                                    : "DELETE FROM grant_right WHERE coll = ? AND partner = ?";
    int src = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
    if (src == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, coll);
        sqlite3_bind_int64(st, 2, partner);
        if (read || write) {
            sqlite3_bind_int(st, 3, read);
            sqlite3_bind_int(st, 4, write);
        }
        src = sqlite3_step(st);
        sqlite3_finalize(st);
    }
    if (src != SQLITE_DONE)
        rc = sqlite_fail(c->db, src, err, "set grant");
    sqlite_release(s, c);
    return rc;
}

int store_object_creator(struct store_txn *t, int64_t coll, const char *id, struct arena *a,
                         const char **creator, struct lia_err *err)
{
    if (t->pg)
        return pgstore_object_creator(t, coll, id, a, creator, err);
    sqlite3_stmt *st = NULL;
    int rc = sqlite_stmt(t->conn, STMT_CREATOR,
                         "SELECT created_by_ref FROM object WHERE coll = ? AND id = ?"
                         " ORDER BY modified DESC LIMIT 1",
                         &st, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, coll);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        *creator = sqlite_column_dup(st, 0, a);
    else if (step == SQLITE_DONE)
        rc = lia_err_set(err, LIA_ENOTFOUND, "no such object");
    else
        rc = sqlite_fail(t->conn->db, step, err, "find creator");
    sqlite3_reset(st);
    return rc;
}

int store_object_text(struct store_txn *t, const char *id, const char *type, struct arena *a,
                      const char **json, struct lia_err *err)
{
    if (t->pg)
        return pgstore_object_text(t, id, type, a, json, err);
    /* The type is written into the SQL so that SQLite can use the partial index. */
    sqlite3_stmt *st = NULL;
    int rc;
    if (!strcmp(type, "marking-definition"))
        rc = sqlite_stmt(t->conn, STMT_MARKING,
                         "SELECT json FROM object WHERE id = ? AND type = 'marking-definition'"
                         " ORDER BY modified DESC LIMIT 1",
                         &st, err);
    else if (!strcmp(type, "liaison-rfi"))
        rc = sqlite_stmt(t->conn, STMT_RFI,
                         "SELECT json FROM object WHERE id = ? AND type = 'liaison-rfi'"
                         " ORDER BY modified DESC LIMIT 1",
                         &st, err);
    else
        rc = lia_err_set(err, LIA_EINTERNAL, "store_object_text: %s is not indexed", type);
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = (*json = sqlite_column_dup(st, 0, a)) ? 0 : lia_err_set(err, LIA_ENOMEM, "oom");
    else if (step == SQLITE_DONE)
        rc = lia_err_set(err, LIA_ENOTFOUND, "unknown %s %s", type, id);
    else
        rc = sqlite_fail(t->conn->db, step, err, "find object");
    sqlite3_reset(st);
    return rc;
}
