/*
 * The store's smaller tables: settings, collections, status resources, tokens and the audit
 * log. Collection visibility follows the rule of object reads: a partner sees a collection
 * only through a grant, and an unseen collection is reported exactly like a missing one.
 *
 * The audit chain is appended inside the caller's write transaction, which holds the write
 * lock: entries from every writer (every node, on PostgreSQL) form one chain, in one order.
 */
#include "store/store_int.h"

#include <stddef.h>
#include <stdio.h>

static struct sq meta_get = SQ("SELECT value FROM meta WHERE key = ?");
static struct sq meta_set = SQ("INSERT INTO meta(key, value) VALUES(?, ?)"
                               " ON CONFLICT(key) DO UPDATE SET value = excluded.value");

static int meta_read(struct store *s, struct store_conn *c, const char *key, struct arena *a,
                     char **value, struct lia_err *err)
{
    char nf[160];
    snprintf(nf, sizeof nf, "store: no setting %s", key);
    return c ? store_one(c, &meta_get, SV(sv_text(key)), store_row_str, a, value, nf,
                         "read setting", err)
             : store_get(s, &meta_get, SV(sv_text(key)), store_row_str, a, value, nf,
                         "read setting", err);
}

int store_meta_get(struct store *s, const char *key, struct arena *a, char **value,
                   struct lia_err *err)
{
    return meta_read(s, NULL, key, a, value, err);
}

int store_txn_meta_get(struct store_txn *t, const char *key, struct arena *a, char **value,
                       struct lia_err *err)
{
    return meta_read(t->store, t->conn, key, a, value, err);
}

int store_meta_set(struct store *s, const char *key, const char *value, struct lia_err *err)
{
    return store_run(s, &meta_set, SV(sv_text(key), sv_text(value)), NULL, "write setting", err);
}

int store_txn_meta_set(struct store_txn *t, const char *key, const char *value, struct lia_err *err)
{
    return store_do(t->conn, &meta_set, SV(sv_text(key), sv_text(value)), NULL, "write setting",
                    err);
}

#define COLLECTION_SELECT                                                                          \
    "SELECT c.rid, c.id, c.title, c.description, c.alias, c.default_tlp,"                          \
    " coalesce(g.can_read, 0), coalesce(g.can_write, 0) FROM collection c"                         \
    " LEFT JOIN grant_right g ON g.coll = c.rid AND g.partner = ?1"                                \
    " WHERE (?2 <> 0 OR g.can_read <> 0 OR g.can_write <> 0)"

static int collection_row(struct store_cur *cur, struct arena *a, void *dst)
{
    struct store_collection *c = dst;
    bool all = c->can_read; /* the caller's policy->all, passed in */
    memset(c, 0, sizeof *c);
    c->rid = store_col_int(cur, 0);
    c->id = store_col_dup(cur, 1, a);
    c->title = store_col_dup(cur, 2, a);
    c->description = store_col_dup(cur, 3, a);
    c->alias = store_col_dup(cur, 4, a);
    c->default_tlp = (int)store_col_int(cur, 5);
    c->can_read = all || store_col_int(cur, 6);
    c->can_write = all || store_col_int(cur, 7);
    return c->id && c->title ? 0 : LIA_ENOMEM;
}

int store_collection_add(struct store *s, const char *title, const char *description,
                         const char *alias, int default_tlp, struct arena *a,
                         struct store_collection *out, struct lia_err *err)
{
    static struct sq q = SQ("INSERT INTO collection(id, title, description, alias, default_tlp,"
                            " created) VALUES(?, ?, ?, ?, ?, ?) RETURNING rid");
    char id[37];
    lia_uuid4(id);
    memset(out, 0, sizeof *out);
    int rc = store_get(s, &q,
                       SV(sv_text(id), sv_text(title), sv_text(description), sv_text(alias),
                          sv_int(default_tlp), sv_int(lia_now_us())),
                       store_row_int, a, &out->rid, "", "add collection", err);
    if (rc == LIA_ECONFLICT)
        return lia_err_set(err, LIA_ECONFLICT, "a collection with alias '%s' exists already",
                           alias ? alias : "");
    out->id = arena_strndup(a, id, strlen(id));
    out->title = arena_strndup(a, title, strlen(title));
    out->default_tlp = default_tlp;
    out->can_read = out->can_write = true;
    return rc;
}

int store_collection_list(struct store *s, const struct store_policy *p, struct arena *a,
                          struct store_collection **out, size_t *n, struct lia_err *err)
{
    static struct sq q = SQ(COLLECTION_SELECT " ORDER BY c.rid");
    void *rows;
    int rc = store_list(s, &q, SV(sv_int(p->partner), sv_int(p->all)), sizeof **out, collection_row,
                        a, &rows, n, "list collections", err);
    *out = rows;
    for (size_t i = 0; i < *n && p->all; i++)
        (*out)[i].can_read = (*out)[i].can_write = true;
    return rc;
}

int store_collection_get(struct store *s, const struct store_policy *p, const char *id_or_alias,
                         struct arena *a, struct store_collection *out, struct lia_err *err)
{
    static struct sq q = SQ(COLLECTION_SELECT " AND (c.id = ?3 OR c.alias = ?3)");
    static const size_t strs[] = {
        offsetof(struct store_collection, id), offsetof(struct store_collection, title),
        offsetof(struct store_collection, description), offsetof(struct store_collection, alias)};
    struct store_conn *c;
    int rc = store_acquire(s, &c, err);
    if (rc)
        return rc;
    if (!store_cache_get(s, c, CACHE_COLLECTION, p->partner, p->all, id_or_alias, out, sizeof *out,
                         strs, 4, a)) {
        out->can_read = p->all;
        rc = store_one(c, &q, SV(sv_int(p->partner), sv_int(p->all), sv_text(id_or_alias)),
                       collection_row, a, out, "no such collection", "read collection", err);
        if (rc == 0)
            store_cache_put(s, c, CACHE_COLLECTION, p->partner, p->all, id_or_alias, out,
                            sizeof *out, strs, 4);
    }
    store_release(s, c);
    return rc;
}

int store_status_put(struct store_txn *t, const char *id, const char *owner, const char *json,
                     struct lia_err *err)
{
    static struct sq q = SQ("INSERT INTO status(id, owner, created, json) VALUES(?, ?, ?, ?)"
                            " ON CONFLICT(id) DO UPDATE SET owner = excluded.owner,"
                            " created = excluded.created, json = excluded.json");
    return store_do(t->conn, &q,
                    SV(sv_text(id), sv_text(owner), sv_int(lia_now_us()), sv_text(json)), NULL,
                    "store status", err);
}

int store_status_get(struct store *s, const char *id, const char *owner, struct arena *a,
                     char **json, struct lia_err *err)
{
    static struct sq q = SQ("SELECT json FROM status WHERE id = ?1 AND (?2 IS NULL OR owner = ?2)");
    return store_get(s, &q, SV(sv_text(id), sv_text(owner)), store_row_str, a, json,
                     "no such status", "read status", err);
}

int store_token_put(struct store *s, const struct store_token *tok, struct lia_err *err)
{
    static struct sq q = SQ("INSERT INTO token(id, hash, partner, admin, read_only, created,"
                            " expires, revoked, label) VALUES(?, ?, ?, ?, ?, ?, ?, 0, ?)");
    return store_run(s, &q,
                     SV(sv_text(tok->id), sv_blob(tok->hash, sizeof tok->hash),
                        sv_int(tok->partner), sv_int(tok->admin), sv_int(tok->read_only),
                        sv_int(tok->created), sv_int(tok->expires), sv_text(tok->label)),
                     NULL, "store token", err);
}

#define TOKEN_SELECT                                                                               \
    "SELECT id, hash, partner, admin, read_only, created, expires, revoked, label FROM token"

static int token_row(struct store_cur *cur, struct arena *a, void *dst)
{
    struct store_token *t = dst;
    memset(t, 0, sizeof *t);
    t->id = store_col_dup(cur, 0, a);
    store_col_bytes(cur, 1, t->hash, sizeof t->hash);
    t->partner = store_col_int(cur, 2);
    t->admin = store_col_int(cur, 3) != 0;
    t->read_only = store_col_int(cur, 4) != 0;
    t->created = store_col_int(cur, 5);
    t->expires = store_col_int(cur, 6);
    t->revoked = store_col_int(cur, 7) != 0;
    t->label = store_col_dup(cur, 8, a);
    return t->id ? 0 : LIA_ENOMEM;
}

int store_token_get(struct store *s, const char *id, struct arena *a, struct store_token *out,
                    struct lia_err *err)
{
    static struct sq q = SQ(TOKEN_SELECT " WHERE id = ?");
    static const size_t strs[] = {offsetof(struct store_token, id),
                                  offsetof(struct store_token, label)};
    struct store_conn *c;
    int rc = store_acquire(s, &c, err);
    if (rc)
        return rc;
    if (!store_cache_get(s, c, CACHE_TOKEN, 0, 0, id, out, sizeof *out, strs, 2, a)) {
        rc = store_one(c, &q, SV(sv_text(id)), token_row, a, out, "no such token", "read token",
                       err);
        if (rc == 0)
            store_cache_put(s, c, CACHE_TOKEN, 0, 0, id, out, sizeof *out, strs, 2);
    }
    store_release(s, c);
    return rc;
}

int store_token_list(struct store *s, struct arena *a, struct store_token **out, size_t *n,
                     struct lia_err *err)
{
    static struct sq q = SQ(TOKEN_SELECT " ORDER BY created");
    void *rows;
    int rc = store_list(s, &q, SV_NONE, sizeof **out, token_row, a, &rows, n, "list tokens", err);
    *out = rows;
    return rc;
}

int store_token_revoke(struct store *s, const char *id, struct lia_err *err)
{
    static struct sq q = SQ("UPDATE token SET revoked = 1 WHERE id = ?");
    int64_t changed = 0;
    int rc = store_run(s, &q, SV(sv_text(id)), &changed, "revoke token", err);
    return rc ? rc : changed ? 0 : lia_err_set(err, LIA_ENOTFOUND, "no token with id %s", id);
}

int store_audit_last(struct store_txn *t, int64_t *seq, unsigned char hash[32], struct lia_err *err)
{
    static struct sq q = SQ("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
    struct store_cur cur;
    *seq = 0;
    memset(hash, 0, 32);
    int rc = store_exec(t->conn, &q, SV_NONE, &cur, "audit", err);
    if (rc == 0 && (rc = store_step(&cur, err)) == 1) {
        *seq = store_col_int(&cur, 0);
        store_col_bytes(&cur, 1, hash, 32);
        rc = 0;
    }
    store_end(&cur);
    return rc;
}

int store_audit_insert(struct store_txn *t, const struct store_audit_entry *e, const char *head,
                       struct lia_err *err)
{
    static struct sq q = SQ("INSERT INTO audit(seq, ts, actor, action, detail, prev, hash)"
                            " VALUES(?, ?, ?, ?, ?, ?, ?)");
    int64_t n1 = 0, n2 = 0;
    int rc = store_do(t->conn, &q,
                      SV(sv_int(e->seq), sv_int(e->ts), sv_text(e->actor), sv_text(e->action),
                         sv_text(e->detail), sv_blob(e->prev, 32), sv_blob(e->hash, 32)),
                      &n1, "append audit", err);
    if (rc == 0) /* the head is the log's own */
        rc = store_do(t->conn, &meta_set, SV(sv_text(STORE_AUDIT_HEAD), sv_text(head)), &n2,
                      "write setting", err);
    t->audit_rows += n1 + n2;
    return rc;
}

/* Reads the log in batches so that a long log never sits in memory at once. */
int store_audit_scan(struct store *s, int64_t after,
                     int (*fn)(const struct store_audit_entry *e, void *ctx), void *ctx,
                     struct lia_err *err)
{
    static struct sq q = SQ("SELECT seq, ts, actor, action, detail, prev, hash FROM audit"
                            " WHERE seq > ? ORDER BY seq LIMIT 10000");
    struct store_conn *c;
    int rc = store_acquire(s, &c, err);
    for (int rows = 10000; rc == 0 && rows == 10000;) {
        struct store_cur cur;
        rows = 0;
        rc = store_exec(c, &q, SV(sv_int(after)), &cur, "read audit", err);
        struct arena a;
        arena_init(&a, 0);
        while (rc == 0 && (rc = store_step(&cur, err)) == 1) {
            struct store_audit_entry e = {0};
            e.seq = after = store_col_int(&cur, 0);
            e.ts = store_col_int(&cur, 1);
            e.actor = store_col_dup(&cur, 2, &a);
            e.action = store_col_dup(&cur, 3, &a);
            e.detail = store_col_dup(&cur, 4, &a);
            store_col_bytes(&cur, 5, e.prev, 32);
            store_col_bytes(&cur, 6, e.hash, 32);
            e.actor = e.actor ? e.actor : "";
            e.action = e.action ? e.action : "";
            e.detail = e.detail ? e.detail : "";
            rows++;
            rc = fn(&e, ctx);
            arena_release(&a);
        }
        store_end(&cur);
        arena_release(&a);
    }
    if (c)
        store_release(s, c);
    return rc;
}
