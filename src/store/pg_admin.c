/*
 * The PostgreSQL backend's smaller tables: collections, status resources,
 * tokens and the audit log (same rules as sqlite_admin.c: a partner sees a
 * collection only through a grant; an unseen one is reported as missing).
 *
 * The audit chain is appended inside the caller's write transaction, which
 * holds the write advisory lock (pg.c): entries from every node form one
 * chain, in one order.
 */
#include "store/pg_int.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

static const char *collection_select =
    "SELECT c.rid, c.id, c.title, c.description, c.alias, c.default_tlp,"
    " coalesce(g.can_read, 0), coalesce(g.can_write, 0) FROM collection c"
    " LEFT JOIN grant_right g ON g.coll = c.rid AND g.partner = $1::bigint"
    " WHERE ($2::boolean OR g.can_read <> 0 OR g.can_write <> 0)";

static int collection_row(const PGresult *r, int i, const struct store_policy *p, struct arena *a,
                          struct store_collection *c)
{
    memset(c, 0, sizeof *c);
    c->rid = pg_int(r, i, 0);
    c->id = pg_text(r, i, 1, a);
    c->title = pg_text(r, i, 2, a);
    c->description = pg_text(r, i, 3, a);
    c->alias = pg_text(r, i, 4, a);
    c->default_tlp = (int)pg_int(r, i, 5);
    c->can_read = p->all || pg_int(r, i, 6);
    c->can_write = p->all || pg_int(r, i, 7);
    return c->id && c->title ? 0 : LIA_ENOMEM;
}

int pgstore_collection_add(struct store *s, const char *title, const char *description,
                           const char *alias, int default_tlp, struct arena *a,
                           struct store_collection *out, struct lia_err *err)
{
    char id[37];
    lia_uuid4(id);
    struct pg_params p;
    pg_param_reset(&p);
    pg_param_text(&p, id);
    pg_param_text(&p, title);
    pg_param_text(&p, description);
    pg_param_text(&p, alias);
    pg_param_int(&p, default_tlp);
    pg_param_int(&p, lia_now_us());
    PGresult *r;
    int rc =
        pg_exec_once(s, -1,
                     "INSERT INTO collection(id, title, description, alias, default_tlp, created)"
                     " VALUES($1, $2, $3, $4, $5::integer, $6::bigint) RETURNING rid",
                     &p, &r, "add collection", err);
    if (rc == LIA_ECONFLICT)
        return lia_err_set(err, LIA_ECONFLICT, "a collection with alias '%s' exists already",
                           alias ? alias : "");
    if (rc)
        return rc;
    memset(out, 0, sizeof *out);
    out->rid = pg_int(r, 0, 0);
    PQclear(r);
    out->id = arena_strndup(a, id, strlen(id));
    out->title = arena_strndup(a, title, strlen(title));
    out->default_tlp = default_tlp;
    out->can_read = out->can_write = true;
    return 0;
}

int pgstore_collection_list(struct store *s, const struct store_policy *pol, struct arena *a,
                            struct store_collection **out, size_t *n, struct lia_err *err)
{
    char sql[512];
    snprintf(sql, sizeof sql, "%s ORDER BY c.rid", collection_select);
    struct pg_params p;
    pg_param_reset(&p);
    pg_param_int(&p, pol->partner);
    pg_param_text(&p, pol->all ? "true" : "false");
    PGresult *r;
    *n = 0;
    *out = NULL;
    int rc = pg_exec_once(s, -1, sql, &p, &r, "list collections", err);
    if (rc)
        return rc;
    int rows = PQntuples(r);
    *out = arena_alloc(a, ((size_t)rows + 1) * sizeof **out);
    if (!*out)
        rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    for (int i = 0; i < rows && rc == 0; i++, (*n)++)
        if (collection_row(r, i, pol, a, &(*out)[i]))
            rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    PQclear(r);
    return rc;
}

int pgstore_collection_get(struct store *s, const struct store_policy *pol, const char *id_or_alias,
                           struct arena *a, struct store_collection *out, struct lia_err *err)
{
    char sql[512];
    snprintf(sql, sizeof sql, "%s AND (c.id = $3 OR c.alias = $3)", collection_select);
    struct pg_params p;
    pg_param_reset(&p);
    pg_param_int(&p, pol->partner);
    pg_param_text(&p, pol->all ? "true" : "false");
    pg_param_text(&p, id_or_alias);
    PGresult *r;
    int rc = pg_exec_once(s, PGS_COLLECTION_GET, sql, &p, &r, "read collection", err);
    if (rc)
        return rc;
    if (PQntuples(r) == 0)
        rc = lia_err_set(err, LIA_ENOTFOUND, "no such collection");
    else if (collection_row(r, 0, pol, a, out))
        rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    PQclear(r);
    return rc;
}

int pgstore_status_put(struct store_txn *t, const char *id, const char *owner, const char *json,
                       struct lia_err *err)
{
    struct pg_params p;
    pg_param_reset(&p);
    pg_param_text(&p, id);
    pg_param_text(&p, owner);
    pg_param_int(&p, lia_now_us());
    pg_param_text(&p, json);
    return pg_run(t->store, t->pg, PGS_STATUS_PUT,
                  "INSERT INTO status(id, owner, created, json) VALUES($1, $2, $3::bigint, $4)"
                  " ON CONFLICT(id) DO UPDATE SET owner = excluded.owner,"
                  " created = excluded.created, json = excluded.json",
                  &p, "store status", err);
}

int pgstore_status_get(struct store *s, const char *id, const char *owner, struct arena *a,
                       char **json, struct lia_err *err)
{
    struct pg_params p;
    pg_param_reset(&p);
    pg_param_text(&p, id);
    pg_param_text(&p, owner);
    PGresult *r;
    int rc =
        pg_exec_once(s, PGS_STATUS_GET,
                     "SELECT json FROM status WHERE id = $1 AND ($2::text IS NULL OR owner = $2)",
                     &p, &r, "read status", err);
    if (rc)
        return rc;
    if (PQntuples(r) == 0)
        rc = lia_err_set(err, LIA_ENOTFOUND, "no such status");
    else if (!(*json = pg_text(r, 0, 0, a)))
        rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    PQclear(r);
    return rc;
}

int pgstore_token_put(struct store *s, const struct store_token *tok, struct lia_err *err)
{
    struct pg_params p;
    pg_param_reset(&p);
    pg_param_text(&p, tok->id);
    pg_param_bytes(&p, tok->hash, sizeof tok->hash);
    pg_param_int(&p, tok->partner);
    pg_param_int(&p, tok->admin);
    pg_param_int(&p, tok->read_only);
    pg_param_int(&p, tok->created);
    pg_param_int(&p, tok->expires);
    pg_param_text(&p, tok->label);
    PGresult *r;
    int rc = pg_exec_once(s, -1,
                          "INSERT INTO token(id, hash, partner, admin, read_only, created, expires,"
                          " revoked, label) VALUES($1, $2::bytea, $3::bigint, $4::integer,"
                          " $5::integer, $6::bigint, $7::bigint, 0, $8)",
                          &p, &r, "store token", err);
    PQclear(r);
    return rc;
}

static const char *token_select = "SELECT id, hash, partner, admin, read_only, created, expires,"
                                  " revoked, label FROM token";

static int token_row(const PGresult *r, int i, struct arena *a, void *dst)
{
    struct store_token *t = dst;
    memset(t, 0, sizeof *t);
    t->id = pg_text(r, i, 0, a);
    pg_bytes(r, i, 1, t->hash, sizeof t->hash);
    t->partner = pg_int(r, i, 2);
    t->admin = pg_int(r, i, 3) != 0;
    t->read_only = pg_int(r, i, 4) != 0;
    t->created = pg_int(r, i, 5);
    t->expires = pg_int(r, i, 6);
    t->revoked = pg_int(r, i, 7) != 0;
    t->label = pg_text(r, i, 8, a);
    return t->id ? 0 : LIA_ENOMEM;
}

int pgstore_token_get(struct store *s, const char *id, struct arena *a, struct store_token *out,
                      struct lia_err *err)
{
    char sql[256];
    snprintf(sql, sizeof sql, "%s WHERE id = $1", token_select);
    struct pg_params p;
    pg_param_reset(&p);
    pg_param_text(&p, id);
    PGresult *r;
    int rc = pg_exec_once(s, PGS_TOKEN_GET, sql, &p, &r, "read token", err);
    if (rc)
        return rc;
    if (PQntuples(r) == 0)
        rc = lia_err_set(err, LIA_ENOTFOUND, "no such token");
    else if (token_row(r, 0, a, out))
        rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    PQclear(r);
    return rc;
}

int pgstore_token_list(struct store *s, struct arena *a, struct store_token **out, size_t *n,
                       struct lia_err *err)
{
    char sql[256];
    snprintf(sql, sizeof sql, "%s ORDER BY created", token_select);
    PGresult *r;
    *n = 0;
    *out = NULL;
    int rc = pg_exec_once(s, -1, sql, NULL, &r, "list tokens", err);
    if (rc)
        return rc;
    void *rows = NULL;
    rc = pg_collect(r, a, sizeof **out, &rows, n, token_row, err);
    *out = rows;
    PQclear(r);
    return rc;
}

int pgstore_token_revoke(struct store *s, const char *id, struct lia_err *err)
{
    struct pg_params p;
    pg_param_reset(&p);
    pg_param_text(&p, id);
    PGresult *r;
    int rc = pg_exec_once(s, -1, "UPDATE token SET revoked = 1 WHERE id = $1", &p, &r,
                          "revoke token", err);
    if (rc)
        return rc;
    if (!strcmp(PQcmdTuples(r), "0"))
        rc = lia_err_set(err, LIA_ENOTFOUND, "no token with id %s", id);
    PQclear(r);
    return rc;
}

int pgstore_audit_last(struct store_txn *t, int64_t *seq, unsigned char hash[32],
                       struct lia_err *err)
{
    PGresult *r;
    int rc =
        pg_exec(t->store, t->pg, PGS_AUDIT_LAST,
                "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", NULL, &r, "audit", err);
    if (rc)
        return rc;
    *seq = 0;
    memset(hash, 0, 32);
    if (PQntuples(r) == 1) {
        *seq = pg_int(r, 0, 0);
        pg_bytes(r, 0, 1, hash, 32);
    }
    PQclear(r);
    return 0;
}

int pgstore_audit_insert(struct store_txn *t, const struct store_audit_entry *e, const char *head,
                         struct lia_err *err)
{
    struct pg_params p;
    pg_param_reset(&p);
    pg_param_int(&p, e->seq);
    pg_param_int(&p, e->ts);
    pg_param_text(&p, e->actor);
    pg_param_text(&p, e->action);
    pg_param_text(&p, e->detail);
    pg_param_bytes(&p, e->prev, 32);
    pg_param_bytes(&p, e->hash, 32);
    int rc = pg_run(t->store, t->pg, PGS_AUDIT_INSERT,
                    "INSERT INTO audit(seq, ts, actor, action, detail, prev, hash)"
                    " VALUES($1::bigint, $2::bigint, $3, $4, $5, $6::bytea, $7::bytea)",
                    &p, "append audit", err);
    return rc ? rc : pgstore_txn_meta_set(t, STORE_AUDIT_HEAD, head, err);
}

/* Reads the log in batches so that a long log never sits in memory at once. */
int pgstore_audit_scan(struct store *s, int64_t after,
                       int (*fn)(const struct store_audit_entry *e, void *ctx), void *ctx,
                       struct lia_err *err)
{
    int rc = 0;
    for (;;) {
        struct pg_params p;
        pg_param_reset(&p);
        pg_param_int(&p, after);
        PGresult *r;
        rc = pg_exec_once(s, -1,
                          "SELECT seq, ts, actor, action, detail, prev, hash FROM audit"
                          " WHERE seq > $1::bigint ORDER BY seq LIMIT 10000",
                          &p, &r, "read audit", err);
        if (rc)
            return rc;
        int rows = PQntuples(r);
        for (int i = 0; i < rows && rc == 0; i++) {
            struct store_audit_entry e = {0};
            e.seq = pg_int(r, i, 0);
            e.ts = pg_int(r, i, 1);
            e.actor = PQgetvalue(r, i, 2);
            e.action = PQgetvalue(r, i, 3);
            e.detail = PQgetvalue(r, i, 4);
            pg_bytes(r, i, 5, e.prev, 32);
            pg_bytes(r, i, 6, e.hash, 32);
            after = e.seq;
            rc = fn(&e, ctx);
        }
        PQclear(r);
        if (rc || rows < 10000)
            return rc;
    }
}
