/*
 * The store's smaller tables: settings, collections, status resources, tokens and the audit
 * log. Collection visibility follows the rule of object reads: a partner sees a collection
 * only through a grant, and an unseen collection is reported exactly like a missing one.
 *
 * The audit chain is appended inside the caller's write transaction, which holds the write
 * lock: entries from every writer (every node, on PostgreSQL) form one chain, in one order.
 */
#include "store/store_int.h"

#include <stdio.h>

struct sq store_meta_get_sql = SQ("SELECT value FROM meta WHERE key = ?");
struct sq store_meta_set_sql = SQ("INSERT INTO meta(key, value) VALUES(?, ?)"
                                  " ON CONFLICT(key) DO UPDATE SET value = excluded.value");

int store_meta_get(struct store *s, const char *key, struct arena *a, char **value,
                   struct lia_err *err)
{
    char nf[160];
    snprintf(nf, sizeof nf, "store: no setting %s", key);
    return store_get(s, &store_meta_get_sql, SV(sv_text(key)), store_row_str, a, value, nf,
                     "read setting", err);
}

int store_meta_set(struct store *s, const char *key, const char *value, struct lia_err *err)
{
    return store_run(s, &store_meta_set_sql, SV(sv_text(key), sv_text(value)), NULL,
                     "write setting", err);
}

int store_txn_meta_set(struct store_txn *t, const char *key, const char *value, struct lia_err *err)
{
    return store_do(t->conn, &store_meta_set_sql, SV(sv_text(key), sv_text(value)), NULL,
                    "write setting", err);
}

#define COLLECTION_SELECT                                                                          \
    "SELECT * FROM (SELECT c.rid, c.id, c.title, c.description, c.alias, c.default_tlp,"           \
    " " STORE_RIGHT("read", "?1") " AS r, " STORE_RIGHT(                                           \
        "write",                                                                                   \
        "?1") " AS w"                                                                              \
              " FROM collection c LEFT JOIN grant_right g ON g.coll = c.rid AND g.partner = ?1) x" \
              " WHERE (?2 <> 0 OR x.r <> 0 OR x.w <> 0)"
#define C(m, k) FIELD(struct store_collection, m, k)
static const struct store_field collection_fields[] = {
    C(rid, 'i'),   C(id, 't'),          C(title, 't'),    C(description, 't'),
    C(alias, 't'), C(default_tlp, 'n'), C(can_read, 'b'), C(can_write, 'b')};

STORE_ROW_FN(collection_row, collection_fields)

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
    static struct sq q = SQ(COLLECTION_SELECT " ORDER BY x.rid");
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
    static struct sq q = SQ(COLLECTION_SELECT " AND (x.id = ?3 OR x.alias = ?3)");
    struct store_conn *c;
    int rc = store_acquire(s, &c, err);
    if (rc)
        return rc;
    if (!store_cache_get(s, c, CACHE_COLLECTION, p->partner, p->all, id_or_alias, out, sizeof *out,
                         collection_fields, N_FIELDS(collection_fields), a)) {
        rc = store_one(c, &q, SV(sv_int(p->partner), sv_int(p->all), sv_text(id_or_alias)),
                       collection_row, a, out, "no such collection", "read collection", err);
        if (rc == 0 && p->all)
            out->can_read = out->can_write = true;
        if (rc == 0)
            store_cache_put(s, c, CACHE_COLLECTION, p->partner, p->all, id_or_alias, out,
                            sizeof *out, collection_fields, N_FIELDS(collection_fields));
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
#define T(m, k) FIELD(struct store_token, m, k)
static const struct store_field token_fields[] = {
    T(id, 't'),      T(hash, 'h'),    T(partner, 'i'), T(admin, 'b'), T(read_only, 'b'),
    T(created, 'i'), T(expires, 'i'), T(revoked, 'b'), T(label, 't')};

STORE_ROW_FN(token_row, token_fields)

int store_token_get(struct store *s, const char *id, struct arena *a, struct store_token *out,
                    struct lia_err *err)
{
    static struct sq q = SQ(TOKEN_SELECT " WHERE id = ?");
    struct store_conn *c;
    int rc = store_acquire(s, &c, err);
    if (rc)
        return rc;
    if (!store_cache_get(s, c, CACHE_TOKEN, 0, 0, id, out, sizeof *out, token_fields,
                         N_FIELDS(token_fields), a)) {
        rc = store_one(c, &q, SV(sv_text(id)), token_row, a, out, "no such token", "read token",
                       err);
        if (rc == 0)
            store_cache_put(s, c, CACHE_TOKEN, 0, 0, id, out, sizeof *out, token_fields,
                            N_FIELDS(token_fields));
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

#define A(m, k) FIELD(struct store_audit_entry, m, k)
static const struct store_field audit_fields[] = {A(seq, 'i'),    A(ts, 'i'),     A(actor, 't'),
                                                  A(action, 't'), A(detail, 't'), A(prev, 'h'),
                                                  A(hash, 'h')};

static int last_row(struct store_cur *cur, struct arena *a, void *dst)
{
    static const struct store_field f[] = {A(seq, 'i'), A(prev, 'h')};
    return store_decode(cur, a, dst, f, 2);
}

int store_audit_last(struct store_txn *t, int64_t *seq, unsigned char hash[32], struct lia_err *err)
{
    static struct sq q = SQ("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
    struct store_audit_entry e = {0};
    int rc = store_one(t->conn, &q, SV_NONE, last_row, NULL, &e, "", "audit", err);
    *seq = e.seq;
    memcpy(hash, e.prev, 32);
    return rc == LIA_ENOTFOUND ? 0 : rc;
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
        rc = store_do(t->conn, &store_meta_set_sql, SV(sv_text(STORE_AUDIT_HEAD), sv_text(head)),
                      &n2, "write setting", err);
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
        struct arena a;
        arena_init(&a, 0);
        rows = 0;
        rc = store_exec(c, &q, SV(sv_int(after)), &cur, "read audit", err);
        while (rc == 0 && (rc = store_step(&cur, err)) == 1) {
            struct store_audit_entry e = {0};
            rc = store_decode(&cur, &a, &e, audit_fields, N_FIELDS(audit_fields));
            e.actor = e.actor ? e.actor : "";
            e.action = e.action ? e.action : "";
            e.detail = e.detail ? e.detail : "";
            after = e.seq;
            rows++;
            rc = rc ? lia_err_set(err, rc, "out of memory") : fn(&e, ctx);
            arena_release(&a);
        }
        store_end(&cur);
        arena_release(&a);
    }
    if (c)
        store_release(s, c);
    return rc;
}

/* Checkpoints of partners' audit logs that they sent us (audit/anchor.c). */
#define W(m, k) FIELD(struct store_witness, m, k)
static const struct store_field witness_fields[] = {W(partner, 'i'), W(seq, 'i'), W(hash, 't'),
                                                    W(line, 't'), W(received, 'i')};
STORE_ROW_FN(witness_row, witness_fields)

int store_witness_put(struct store *s, const struct store_witness *w, bool *added,
                      struct lia_err *err)
{
    static struct sq q = SQ("INSERT INTO audit_witness(partner, seq, hash, line, received)"
                            " VALUES(?, ?, ?, ?, ?) ON CONFLICT DO NOTHING");
    int64_t n = 0;
    int rc = store_run(s, &q,
                       SV(sv_int(w->partner), sv_int(w->seq), sv_text(w->hash), sv_text(w->line),
                          sv_int(w->received)),
                       &n, "keep checkpoint", err);
    *added = rc == 0 && n > 0;
    return rc;
}

int store_witness_list(struct store *s, int64_t partner, struct arena *a,
                       struct store_witness **out, size_t *n, struct lia_err *err)
{
    static struct sq q = SQ("SELECT partner, seq, hash, line, received FROM audit_witness"
                            " WHERE partner = ? ORDER BY seq, received");
    void *rows;
    int rc = store_list(s, &q, SV(sv_int(partner)), sizeof **out, witness_row, a, &rows, n,
                        "list checkpoints", err);
    *out = rows;
    return rc;
}

int store_collection_remove(struct store_txn *t, int64_t rid, int64_t *left, struct lia_err *err)
{
    static struct sq count = SQ("SELECT count(*) FROM object WHERE coll = ?");
    static struct sq drops[] = {SQ("DELETE FROM grant_right WHERE coll = ?"),
                                SQ("DELETE FROM checkpoint WHERE local_coll = ?"),
                                SQ("DELETE FROM watch_event WHERE coll = ?"),
                                SQ("DELETE FROM collection WHERE rid = ?")};
    *left = 0;
    int rc = store_one(t->conn, &count, SV(sv_int(rid)), store_row_int, NULL, left, "",
                       "count objects", err);
    if (rc == 0 && *left)
        return lia_err_set(err, LIA_ECONFLICT, "the collection holds %lld object versions",
                           (long long)*left);
    int64_t gone = 0;
    for (size_t i = 0; rc == 0 && i < sizeof drops / sizeof drops[0]; i++)
        rc = store_do(t->conn, &drops[i], SV(sv_int(rid)), i == 3 ? &gone : NULL,
                      "remove collection", err);
    return rc ? rc : gone ? 0 : lia_err_set(err, LIA_ENOTFOUND, "no such collection");
}
