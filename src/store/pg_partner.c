/*
 * Partners, grants and the exchange tables (peers, checkpoints, provenance)
 * in the PostgreSQL backend; the contracts are store.h's and the behaviour
 * that of sqlite_partner.c and sqlite_exchange.c. Peer tokens are stored
 * because pulls must present them; this file never logs them.
 */
#include "store/pg_int.h"

#include <stdio.h>
#include <string.h>

static const char *partner_select =
    "SELECT rid, identity_id, identity_json, name, country, clearance, trust, disabled, pubkey,"
    " cert_fingerprint, cert_subject, created FROM partner";

static int partner_row(const PGresult *r, int i, struct arena *a, void *dst)
{
    struct store_partner *p = dst;
    memset(p, 0, sizeof *p);
    p->rid = pg_int(r, i, 0);
    p->identity_id = pg_text(r, i, 1, a);
    p->identity_json = pg_text(r, i, 2, a);
    p->name = pg_text(r, i, 3, a);
    p->country = pg_text(r, i, 4, a);
    p->clearance = (int)pg_int(r, i, 5);
    p->trust = pg_text(r, i, 6, a);
    p->disabled = pg_int(r, i, 7) != 0;
    p->pubkey = pg_text(r, i, 8, a);
    p->cert_fingerprint = pg_text(r, i, 9, a);
    p->cert_subject = pg_text(r, i, 10, a);
    p->created = pg_int(r, i, 11);
    return p->identity_id && p->name && p->identity_json ? 0 : LIA_ENOMEM;
}

int pgstore_partner_add(struct store *s, const struct store_partner *p, int64_t *rid,
                        struct lia_err *err)
{
    struct pg_params b;
    pg_param_reset(&b);
    pg_param_text(&b, p->identity_id);
    pg_param_text(&b, p->identity_json);
    pg_param_text(&b, p->name);
    pg_param_text(&b, p->country);
    pg_param_int(&b, p->clearance);
    pg_param_text(&b, p->trust);
    pg_param_int(&b, lia_now_us());
    PGresult *r;
    int rc =
        pg_exec_once(s, -1,
                     "INSERT INTO partner(identity_id, identity_json, name, country, clearance,"
                     " trust, disabled, created) VALUES($1, $2, $3, $4, $5::integer, $6, 0,"
                     " $7::bigint) RETURNING rid",
                     &b, &r, "add partner", err);
    if (rc == LIA_ECONFLICT)
        return lia_err_set(err, LIA_ECONFLICT, "a partner named '%s' exists already", p->name);
    if (rc)
        return rc;
    *rid = pg_int(r, 0, 0);
    PQclear(r);
    return 0;
}

int pgstore_partner_get(struct store *s, int64_t rid, const char *field, const char *key,
                        struct arena *a, struct store_partner *out, struct lia_err *err)
{
    const char *col = "rid = $1::bigint";
    if (field && !strcmp(field, "identity"))
        col = "identity_id = $1";
    else if (field && !strcmp(field, "name"))
        col = "name = $1";
    else if (field && !strcmp(field, "fingerprint"))
        col = "cert_fingerprint = $1";
    else if (field && !strcmp(field, "subject"))
        col = "cert_subject = $1";
    else if (field)
        return lia_err_set(err, LIA_EINTERNAL, "store_partner_get: unknown field %s", field);
    char sql[512];
    snprintf(sql, sizeof sql, "%s WHERE %s", partner_select, col);
    struct pg_params b;
    pg_param_reset(&b);
    if (field)
        pg_param_text(&b, key);
    else
        pg_param_int(&b, rid);
    PGresult *r;
    int rc = pg_exec_once(s, -1, sql, &b, &r, "read partner", err);
    if (rc)
        return rc;
    if (PQntuples(r) == 0)
        rc = lia_err_set(err, LIA_ENOTFOUND, "no such partner");
    else if (partner_row(r, 0, a, out))
        rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    PQclear(r);
    return rc;
}

int pgstore_partner_list(struct store *s, struct arena *a, struct store_partner **out, size_t *n,
                         struct lia_err *err)
{
    char sql[512];
    snprintf(sql, sizeof sql, "%s ORDER BY rid", partner_select);
    PGresult *r;
    *n = 0;
    *out = NULL;
    int rc = pg_exec_once(s, -1, sql, NULL, &r, "list partners", err);
    if (rc)
        return rc;
    void *rows = NULL;
    rc = pg_collect(r, a, sizeof **out, &rows, n, partner_row, err);
    *out = rows;
    PQclear(r);
    return rc;
}

int pgstore_partner_update(struct store *s, int64_t rid, const char *field, const char *value,
                           struct lia_err *err)
{
    /* Integer columns take the decimal text SQLite would have converted. */
    static const char *const fields[][2] = {{"disabled", "$1::integer"},  {"pubkey", "$1"},
                                            {"cert_fingerprint", "$1"},   {"cert_subject", "$1"},
                                            {"clearance", "$1::integer"}, {"trust", "$1"}};
    size_t i = 0;
    while (i < sizeof fields / sizeof fields[0] && strcmp(fields[i][0], field) != 0)
        i++;
    if (i == sizeof fields / sizeof fields[0])
        return lia_err_set(err, LIA_EINTERNAL, "store_partner_update: unknown field %s", field);
    char sql[128];
    snprintf(sql, sizeof sql, "UPDATE partner SET %s = %s WHERE rid = $2::bigint", fields[i][0],
             fields[i][1]);
    struct pg_params b;
    pg_param_reset(&b);
    pg_param_text(&b, value);
    pg_param_int(&b, rid);
    PGresult *r;
    int rc = pg_exec_once(s, -1, sql, &b, &r, "update partner", err);
    if (rc == LIA_ECONFLICT)
        return lia_err_set(err, LIA_ECONFLICT, "another partner has that %s already", field);
    if (rc)
        return rc;
    if (!strcmp(PQcmdTuples(r), "0"))
        rc = lia_err_set(err, LIA_ENOTFOUND, "no such partner");
    PQclear(r);
    return rc;
}

int pgstore_partner_rids(struct store_txn *t, const char *const *identities, size_t n,
                         int64_t *rids, size_t *n_rids, struct lia_err *err)
{
    *n_rids = 0;
    for (size_t i = 0; i < n; i++) {
        struct pg_params b;
        pg_param_reset(&b);
        pg_param_text(&b, identities[i]);
        PGresult *r;
        int rc =
            pg_exec(t->store, t->pg, PGS_PARTNER_RID,
                    "SELECT rid FROM partner WHERE identity_id = $1", &b, &r, "find partner", err);
        if (rc)
            return rc;
        if (PQntuples(r) == 1)
            rids[(*n_rids)++] = pg_int(r, 0, 0);
        PQclear(r);
    }
    return 0;
}

int pgstore_grant_set(struct store *s, int64_t coll, int64_t partner, bool read, bool write,
                      struct lia_err *err)
{
    struct pg_params b;
    pg_param_reset(&b);
    pg_param_int(&b, coll);
    pg_param_int(&b, partner);
    if (read || write) {
        pg_param_int(&b, read);
        pg_param_int(&b, write);
    }
    PGresult *r;
    int rc =
        pg_exec_once(s, -1,
                     read || write ? "INSERT INTO grant_right(coll, partner, can_read, can_write)"
                                     " VALUES($1::bigint, $2::bigint, $3::integer, $4::integer)"
                                     " ON CONFLICT(coll, partner) DO UPDATE SET can_read ="
                                     " excluded.can_read, can_write = excluded.can_write"
                                   : "DELETE FROM grant_right WHERE coll = $1::bigint AND"
                                     " partner = $2::bigint",
                     &b, &r, "set grant", err);
    PQclear(r);
    return rc;
}

static const char *peer_select = "SELECT rid, name, url, api_root, partner, token, client_cert,"
                                 " client_key, ca, created FROM peer";

static int peer_row(const PGresult *r, int i, struct arena *a, void *dst)
{
    struct store_peer *p = dst;
    memset(p, 0, sizeof *p);
    p->rid = pg_int(r, i, 0);
    p->name = pg_text(r, i, 1, a);
    p->url = pg_text(r, i, 2, a);
    p->api_root = pg_text(r, i, 3, a);
    p->partner = pg_int(r, i, 4);
    p->token = pg_text(r, i, 5, a);
    p->client_cert = pg_text(r, i, 6, a);
    p->client_key = pg_text(r, i, 7, a);
    p->ca = pg_text(r, i, 8, a);
    p->created = pg_int(r, i, 9);
    return p->name && p->url ? 0 : LIA_ENOMEM;
}

int pgstore_peer_add(struct store *s, const struct store_peer *p, int64_t *rid, struct lia_err *err)
{
    struct pg_params b;
    pg_param_reset(&b);
    pg_param_text(&b, p->name);
    pg_param_text(&b, p->url);
    pg_param_text(&b, p->api_root);
    pg_param_int(&b, p->partner);
    pg_param_text(&b, p->token);
    pg_param_text(&b, p->client_cert);
    pg_param_text(&b, p->client_key);
    pg_param_text(&b, p->ca);
    pg_param_int(&b, lia_now_us());
    PGresult *r;
    int rc = pg_exec_once(s, -1,
                          "INSERT INTO peer(name, url, api_root, partner, token, client_cert,"
                          " client_key, ca, created) VALUES($1, $2, $3, $4::bigint, $5, $6, $7, $8,"
                          " $9::bigint) RETURNING rid",
                          &b, &r, "add peer", err);
    if (rc == LIA_ECONFLICT)
        return lia_err_set(err, LIA_ECONFLICT, "a peer named '%s' exists already", p->name);
    if (rc)
        return rc;
    *rid = pg_int(r, 0, 0);
    PQclear(r);
    return 0;
}

int pgstore_peer_get(struct store *s, int64_t rid, const char *key, struct arena *a,
                     struct store_peer *out, struct lia_err *err)
{
    char sql[512];
    snprintf(sql, sizeof sql, "%s WHERE %s", peer_select, key ? "name = $1" : "rid = $1::bigint");
    struct pg_params b;
    pg_param_reset(&b);
    if (key)
        pg_param_text(&b, key);
    else
        pg_param_int(&b, rid);
    PGresult *r;
    int rc = pg_exec_once(s, -1, sql, &b, &r, "read peer", err);
    if (rc)
        return rc;
    if (PQntuples(r) == 0)
        rc = lia_err_set(err, LIA_ENOTFOUND, "no peer '%s' (see `liaison peer list`)",
                         key ? key : "?");
    else if (peer_row(r, 0, a, out))
        rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    PQclear(r);
    return rc;
}

int pgstore_peer_list(struct store *s, struct arena *a, struct store_peer **out, size_t *n,
                      struct lia_err *err)
{
    char sql[512];
    snprintf(sql, sizeof sql, "%s ORDER BY rid", peer_select);
    PGresult *r;
    *n = 0;
    *out = NULL;
    int rc = pg_exec_once(s, -1, sql, NULL, &r, "list peers", err);
    if (rc)
        return rc;
    void *rows = NULL;
    rc = pg_collect(r, a, sizeof **out, &rows, n, peer_row, err);
    *out = rows;
    PQclear(r);
    return rc;
}

int pgstore_peer_remove(struct store *s, int64_t rid, struct lia_err *err)
{
    struct store_txn *t;
    int rc = pgstore_begin(s, &t, err);
    if (rc)
        return rc;
    struct pg_params b;
    pg_param_reset(&b);
    pg_param_int(&b, rid);
    rc = pg_run(s, t->pg, -1, "DELETE FROM checkpoint WHERE peer = $1::bigint", &b, "remove peer",
                err);
    PGresult *r = NULL;
    if (rc == 0)
        rc = pg_exec(s, t->pg, -1, "DELETE FROM peer WHERE rid = $1::bigint", &b, &r, "remove peer",
                     err);
    if (rc == 0 && !strcmp(PQcmdTuples(r), "0"))
        rc = lia_err_set(err, LIA_ENOTFOUND, "no such peer");
    PQclear(r);
    if (rc) {
        pgstore_rollback(t);
        return rc;
    }
    return pgstore_commit(t, err);
}

static const char *checkpoint_select =
    "SELECT peer, direction, remote_coll, local_coll, position, last_ok, last_error, updated,"
    " objects FROM checkpoint";

static int checkpoint_row(const PGresult *r, int i, struct arena *a, void *dst)
{
    struct store_checkpoint *c = dst;
    memset(c, 0, sizeof *c);
    c->peer = pg_int(r, i, 0);
    c->direction = pg_text(r, i, 1, a);
    c->remote_coll = pg_text(r, i, 2, a);
    c->local_coll = pg_int(r, i, 3);
    c->position = pg_text(r, i, 4, a);
    c->last_ok = pg_int(r, i, 5);
    c->last_error = pg_text(r, i, 6, a);
    c->updated = pg_int(r, i, 7);
    c->objects = pg_int(r, i, 8);
    return c->direction && c->remote_coll ? 0 : LIA_ENOMEM;
}

int pgstore_checkpoint_put(struct store_txn *t, const struct store_checkpoint *c,
                           struct lia_err *err)
{
    struct pg_params b;
    pg_param_reset(&b);
    pg_param_int(&b, c->peer);
    pg_param_text(&b, c->direction);
    pg_param_text(&b, c->remote_coll);
    pg_param_int(&b, c->local_coll);
    pg_param_text(&b, c->position);
    if (c->last_ok)
        pg_param_int(&b, c->last_ok);
    else
        pg_param_text(&b, NULL);
    pg_param_text(&b, c->last_error);
    pg_param_int(&b, lia_now_us());
    pg_param_int(&b, c->objects);
    return pg_run(t->store, t->pg, -1,
                  "INSERT INTO checkpoint(peer, direction, remote_coll, local_coll, position,"
                  " last_ok, last_error, updated, objects) VALUES($1::bigint, $2, $3, $4::bigint,"
                  " $5, $6::bigint, $7, $8::bigint, $9::bigint)"
                  " ON CONFLICT(peer, direction, remote_coll, local_coll) DO UPDATE SET"
                  " position = excluded.position, last_ok = excluded.last_ok,"
                  " last_error = excluded.last_error, updated = excluded.updated,"
                  " objects = excluded.objects",
                  &b, "write checkpoint", err);
}

int pgstore_checkpoint_get(struct store *s, int64_t peer, const char *direction,
                           const char *remote_coll, int64_t local_coll, struct arena *a,
                           struct store_checkpoint *out, struct lia_err *err)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "%s WHERE peer = $1::bigint AND direction = $2 AND remote_coll = $3 AND"
             " local_coll = $4::bigint",
             checkpoint_select);
    struct pg_params b;
    pg_param_reset(&b);
    pg_param_int(&b, peer);
    pg_param_text(&b, direction);
    pg_param_text(&b, remote_coll);
    pg_param_int(&b, local_coll);
    PGresult *r;
    int rc = pg_exec_once(s, -1, sql, &b, &r, "read checkpoint", err);
    if (rc)
        return rc;
    if (PQntuples(r) == 0)
        rc = lia_err_set(err, LIA_ENOTFOUND, "no such checkpoint");
    else if (checkpoint_row(r, 0, a, out))
        rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    PQclear(r);
    return rc;
}

int pgstore_checkpoint_list(struct store *s, int64_t peer, struct arena *a,
                            struct store_checkpoint **out, size_t *n, struct lia_err *err)
{
    char sql[512];
    /* COLLATE "C": the same order as SQLite's byte-wise comparison. */
    snprintf(sql, sizeof sql,
             "%s%s ORDER BY peer, direction COLLATE \"C\", remote_coll COLLATE \"C\", local_coll",
             checkpoint_select, peer ? " WHERE peer = $1::bigint" : "");
    struct pg_params b;
    pg_param_reset(&b);
    if (peer)
        pg_param_int(&b, peer);
    PGresult *r;
    *n = 0;
    *out = NULL;
    int rc = pg_exec_once(s, -1, sql, &b, &r, "list checkpoints", err);
    if (rc)
        return rc;
    void *rows = NULL;
    rc = pg_collect(r, a, sizeof **out, &rows, n, checkpoint_row, err);
    *out = rows;
    PQclear(r);
    return rc;
}

int pgstore_provenance_put(struct store_txn *t, const int64_t *date_added, size_t n, int64_t peer,
                           int64_t partner, int64_t received, const char *trust, const char *via,
                           struct lia_err *err)
{
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct pg_params b;
        pg_param_reset(&b);
        pg_param_int(&b, date_added[i]);
        if (peer)
            pg_param_int(&b, peer);
        else
            pg_param_text(&b, NULL);
        pg_param_int(&b, partner);
        pg_param_int(&b, received);
        pg_param_text(&b, trust);
        pg_param_text(&b, via);
        rc = pg_run(t->store, t->pg, -1,
                    "INSERT INTO provenance(obj, peer, partner, received, trust, via)"
                    " VALUES($1::bigint, $2::bigint, $3::bigint, $4::bigint, $5, $6)"
                    " ON CONFLICT DO NOTHING",
                    &b, "write provenance", err);
    }
    return rc;
}
