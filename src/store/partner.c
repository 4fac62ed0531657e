/*
 * Partners and grants, and the exchange tables (docs/exchange.md): peers (remote TAXII
 * servers and the partner each stands for), checkpoints (how far each configured pull or push
 * got, when it last succeeded, its last error) and provenance (who sent each stored version,
 * and how).
 *
 * Checkpoints and provenance are written inside the caller's transaction: a pull commits a
 * page of objects, their provenance and the position after them together, so a crash leaves
 * either all of it or none (resume is then exact). Peer tokens are stored because pulls must
 * present them; this file never logs them.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>

#define PARTNER_SELECT                                                                             \
    "SELECT rid, identity_id, identity_json, name, country, clearance, trust, disabled, pubkey,"   \
    " cert_fingerprint, cert_subject, created FROM partner"

#define P(m, k) FIELD(struct store_partner, m, k)
static const struct store_field partner_fields[] = {
    P(rid, 'i'),     P(identity_id, 't'),      P(identity_json, 't'), P(name, 't'),
    P(country, 't'), P(clearance, 'n'),        P(trust, 't'),         P(disabled, 'b'),
    P(pubkey, 't'),  P(cert_fingerprint, 't'), P(cert_subject, 't'),  P(created, 'i')};

STORE_ROW_FN(partner_row, partner_fields)

int store_partner_add(struct store *s, const struct store_partner *p, int64_t *rid,
                      struct lia_err *err)
{
    static struct sq q = SQ("INSERT INTO partner(identity_id, identity_json, name, country,"
                            " clearance, trust, disabled, created) VALUES(?, ?, ?, ?, ?, ?, 0, ?)"
                            " RETURNING rid");
    int rc = store_get(s, &q,
                       SV(sv_text(p->identity_id), sv_text(p->identity_json), sv_text(p->name),
                          sv_text(p->country), sv_int(p->clearance), sv_text(p->trust),
                          sv_int(lia_now_us())),
                       store_row_int, NULL, rid, "", "add partner", err);
    if (rc == LIA_ECONFLICT)
        return lia_err_set(err, LIA_ECONFLICT, "a partner named '%s' exists already", p->name);
    return rc;
}

int store_partner_get(struct store *s, int64_t rid, const char *field, const char *key,
                      struct arena *a, struct store_partner *out, struct lia_err *err)
{
    static struct sq by[] = {
        SQ(PARTNER_SELECT " WHERE rid = ?"), SQ(PARTNER_SELECT " WHERE identity_id = ?"),
        SQ(PARTNER_SELECT " WHERE name = ?"), SQ(PARTNER_SELECT " WHERE cert_fingerprint = ?"),
        SQ(PARTNER_SELECT " WHERE cert_subject = ?")};
    static const char *const fields[] = {"identity", "name", "fingerprint", "subject"};
    size_t f = 0;
    while (field && f < 4 && strcmp(fields[f], field) != 0)
        f++;
    if (field && f == 4)
        return lia_err_set(err, LIA_EINTERNAL, "store_partner_get: unknown field %s", field);
    f = field ? f + 1 : 0;
    /* The field tells the look-ups apart in the cache: k1 is the rowid, k2 the field. */
    struct store_conn *c;
    int rc = store_acquire(s, &c, err);
    if (rc)
        return rc;
    if (!store_cache_get(s, c, CACHE_PARTNER, field ? 0 : rid, (int64_t)f, key, out, sizeof *out,
                         partner_fields, N_FIELDS(partner_fields), a)) {
        rc = store_one(c, &by[f], SV(field ? sv_text(key) : sv_int(rid)), partner_row, a, out,
                       "no such partner", "read partner", err);
        if (rc == 0)
            store_cache_put(s, c, CACHE_PARTNER, field ? 0 : rid, (int64_t)f, key, out, sizeof *out,
                            partner_fields, N_FIELDS(partner_fields));
    }
    store_release(s, c);
    return rc;
}

int store_partner_list(struct store *s, struct arena *a, struct store_partner **out, size_t *n,
                       struct lia_err *err)
{
    static struct sq q = SQ(PARTNER_SELECT " ORDER BY rid");
    void *rows;
    int rc =
        store_list(s, &q, SV_NONE, sizeof **out, partner_row, a, &rows, n, "list partners", err);
    *out = rows;
    return rc;
}

int store_partner_update(struct store *s, int64_t rid, const char *field, const char *value,
                         struct lia_err *err)
{
#define SET(col) SQ("UPDATE partner SET " col " = ? WHERE rid = ?")
    static struct sq set[] = {SET("disabled"),         SET("clearance"),    SET("pubkey"),
                              SET("cert_fingerprint"), SET("cert_subject"), SET("trust"),
                              SET("country")};
#undef SET
    static const char *const fields[] = {"disabled",     "clearance", "pubkey", "cert_fingerprint",
                                         "cert_subject", "trust",     "country"};
    size_t f = 0;
    while (f < 7 && strcmp(fields[f], field) != 0)
        f++;
    if (f == 7)
        return lia_err_set(err, LIA_EINTERNAL, "store_partner_update: unknown field %s", field);
    /* The first two are integers: the decimal text the caller gives. */
    struct store_val v = f < 2 ? sv_int(value ? strtoll(value, NULL, 10) : 0) : sv_text(value);
    int64_t changed = 0;
    int rc = store_run(s, &set[f], SV(v, sv_int(rid)), &changed, "update partner", err);
    if (rc == LIA_ECONFLICT)
        return lia_err_set(err, LIA_ECONFLICT, "another partner has that %s already", field);
    return rc ? rc : changed ? 0 : lia_err_set(err, LIA_ENOTFOUND, "no such partner");
}

int store_grant_set(struct store *s, int64_t coll, int64_t partner, bool read, bool write,
                    struct lia_err *err)
{
    static struct sq set = SQ("INSERT INTO grant_right(coll, partner, can_read, can_write)"
                              " VALUES(?, ?, ?, ?) ON CONFLICT(coll, partner) DO UPDATE SET"
                              " can_read = excluded.can_read, can_write = excluded.can_write");
    static struct sq drop = SQ("DELETE FROM grant_right WHERE coll = ? AND partner = ?");
    return read || write
               ? store_run(s, &set, SV(sv_int(coll), sv_int(partner), sv_int(read), sv_int(write)),
                           NULL, "set grant", err)
               : store_run(s, &drop, SV(sv_int(coll), sv_int(partner)), NULL, "set grant", err);
}

#define PEER_SELECT                                                                                \
    "SELECT rid, name, url, api_root, partner, token, client_cert, client_key, ca, created"        \
    " FROM peer"

#define R(m, k) FIELD(struct store_peer, m, k)
static const struct store_field peer_fields[] = {
    R(rid, 'i'),   R(name, 't'),        R(url, 't'),        R(api_root, 't'), R(partner, 'i'),
    R(token, 't'), R(client_cert, 't'), R(client_key, 't'), R(ca, 't'),       R(created, 'i')};

STORE_ROW_FN(peer_row, peer_fields)

struct setting {
    const char *name, *value;
};
static const struct store_field setting_fields[] = {FIELD(struct setting, name, 't'),
                                                    FIELD(struct setting, value, 't')};
STORE_ROW_FN(setting_row, setting_fields)

/* Fills the peer_setting members of p. */
static int peer_settings(struct store *s, struct store_peer *p, struct arena *a,
                         struct lia_err *err)
{
    static struct sq q = SQ("SELECT name, value FROM peer_setting WHERE peer = ?");
    void *rows;
    size_t n;
    p->basic_user = NULL;
    p->timeout_s = p->connect_timeout_s = 0;
    int rc = store_list(s, &q, SV(sv_int(p->rid)), sizeof(struct setting), setting_row, a, &rows,
                        &n, "read peer settings", err);
    const struct setting *set = rows;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        int64_t v = 0;
        if (strcmp(set[i].name, "basic_user") &&
            lia_parse_i64(set[i].value, strlen(set[i].value), 1, 86400, &v))
            v = 0;
        if (!strcmp(set[i].name, "basic_user"))
            p->basic_user = set[i].value;
        else if (!strcmp(set[i].name, "timeout"))
            p->timeout_s = v;
        else if (!strcmp(set[i].name, "connect_timeout"))
            p->connect_timeout_s = v;
    }
    return rc;
}

static struct sq drop_settings = SQ("DELETE FROM peer_setting WHERE peer = ?");

/* peer's settings rows (peer_setting) as p gives them, after removing those it had. */
static int put_settings(struct store_txn *t, int64_t peer, const struct store_peer *p,
                        struct lia_err *err)
{
    static struct sq set = SQ("INSERT INTO peer_setting(peer, name, value) VALUES(?, ?, ?)");
    int rc = store_do(t->conn, &drop_settings, SV(sv_int(peer)), NULL, "peer settings", err);
    char tv[2][24];
    snprintf(tv[0], sizeof tv[0], "%lld", (long long)p->timeout_s);
    snprintf(tv[1], sizeof tv[1], "%lld", (long long)p->connect_timeout_s);
    const char *names[] = {"basic_user", "timeout", "connect_timeout"};
    const char *values[] = {p->basic_user, p->timeout_s ? tv[0] : NULL,
                            p->connect_timeout_s ? tv[1] : NULL};
    for (size_t i = 0; i < 3 && rc == 0; i++)
        if (values[i])
            rc = store_do(t->conn, &set, SV(sv_int(peer), sv_text(names[i]), sv_text(values[i])),
                          NULL, "peer settings", err);
    return rc;
}

int store_peer_add(struct store *s, const struct store_peer *p, int64_t *rid, struct lia_err *err)
{
    static struct sq q = SQ("INSERT INTO peer(name, url, api_root, partner, token, client_cert,"
                            " client_key, ca, created) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)"
                            " RETURNING rid");
    struct store_txn *t;
    int rc = store_begin(s, &t, err);
    if (rc)
        return rc;
    rc = store_one(t->conn, &q,
                   SV(sv_text(p->name), sv_text(p->url), sv_text(p->api_root), sv_int(p->partner),
                      sv_text(p->token), sv_text(p->client_cert), sv_text(p->client_key),
                      sv_text(p->ca), sv_int(lia_now_us())),
                   store_row_int, NULL, rid, "", "add peer", err);
    rc = rc ? rc : put_settings(t, *rid, p, err);
    if (rc) {
        store_rollback(t);
        if (rc == LIA_ECONFLICT)
            return lia_err_set(err, LIA_ECONFLICT, "a peer named '%s' exists already", p->name);
        return rc;
    }
    return store_commit(t, err);
}

int store_peer_set(struct store *s, const struct store_peer *p, struct lia_err *err)
{
    static struct sq q = SQ("UPDATE peer SET url = ?, api_root = ?, partner = ?, token = ?,"
                            " client_cert = ?, client_key = ?, ca = ? WHERE rid = ?");
    struct store_txn *t;
    int rc = store_begin(s, &t, err);
    if (rc)
        return rc;
    int64_t changed = 0;
    rc = store_do(t->conn, &q,
                  SV(sv_text(p->url), sv_text(p->api_root), sv_int(p->partner), sv_text(p->token),
                     sv_text(p->client_cert), sv_text(p->client_key), sv_text(p->ca),
                     sv_int(p->rid)),
                  &changed, "update peer", err);
    if (rc == 0 && !changed)
        rc = lia_err_set(err, LIA_ENOTFOUND, "no such peer");
    rc = rc ? rc : put_settings(t, p->rid, p, err);
    if (rc) {
        store_rollback(t);
        return rc;
    }
    return store_commit(t, err);
}

int store_peer_get(struct store *s, int64_t rid, const char *key, struct arena *a,
                   struct store_peer *out, struct lia_err *err)
{
    static struct sq by_rid = SQ(PEER_SELECT " WHERE rid = ?");
    static struct sq by_name = SQ(PEER_SELECT " WHERE name = ?");
    char nf[200];
    snprintf(nf, sizeof nf, "no peer '%s' (see `liaison peer list`)", key ? key : "?");
    memset(out, 0, sizeof *out);
    int rc = store_get(s, key ? &by_name : &by_rid, SV(key ? sv_text(key) : sv_int(rid)), peer_row,
                       a, out, nf, "read peer", err);
    return rc ? rc : peer_settings(s, out, a, err);
}

int store_peer_list(struct store *s, struct arena *a, struct store_peer **out, size_t *n,
                    struct lia_err *err)
{
    static struct sq q = SQ(PEER_SELECT " ORDER BY rid");
    void *rows;
    int rc = store_list(s, &q, SV_NONE, sizeof **out, peer_row, a, &rows, n, "list peers", err);
    *out = rows;
    for (size_t i = 0; rc == 0 && i < *n; i++)
        rc = peer_settings(s, &(*out)[i], a, err);
    return rc;
}

int store_peer_remove(struct store *s, int64_t rid, struct lia_err *err)
{
    static struct sq checkpoints = SQ("DELETE FROM checkpoint WHERE peer = ?");
    static struct sq peer = SQ("DELETE FROM peer WHERE rid = ?");
    struct store_txn *t;
    int rc = store_begin(s, &t, err);
    if (rc)
        return rc;
    int64_t changed = 0;
    rc = store_do(t->conn, &checkpoints, SV(sv_int(rid)), NULL, "remove peer", err);
    rc = rc ? rc : store_do(t->conn, &drop_settings, SV(sv_int(rid)), NULL, "remove peer", err);
    rc = rc ? rc : store_do(t->conn, &peer, SV(sv_int(rid)), &changed, "remove peer", err);
    if (rc == 0 && !changed)
        rc = lia_err_set(err, LIA_ENOTFOUND, "no such peer");
    if (rc) {
        store_rollback(t);
        return rc;
    }
    return store_commit(t, err);
}

#define CHECKPOINT_SELECT                                                                          \
    "SELECT peer, direction, remote_coll, local_coll, position, last_ok, last_error, updated,"     \
    " objects FROM checkpoint"

#define K(m, k) FIELD(struct store_checkpoint, m, k)
static const struct store_field checkpoint_fields[] = {
    K(peer, 'i'),    K(direction, 't'),  K(remote_coll, 't'), K(local_coll, 'i'), K(position, 't'),
    K(last_ok, 'i'), K(last_error, 't'), K(updated, 'i'),     K(objects, 'i')};

STORE_ROW_FN(checkpoint_row, checkpoint_fields)

int store_checkpoint_put(struct store_txn *t, const struct store_checkpoint *c, struct lia_err *err)
{
    static struct sq q = SQ("INSERT INTO checkpoint(peer, direction, remote_coll, local_coll,"
                            " position, last_ok, last_error, updated, objects)"
                            " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)"
                            " ON CONFLICT(peer, direction, remote_coll, local_coll) DO UPDATE SET"
                            " position = excluded.position, last_ok = excluded.last_ok,"
                            " last_error = excluded.last_error, updated = excluded.updated,"
                            " objects = excluded.objects");
    return store_do(t->conn, &q,
                    SV(sv_int(c->peer), sv_text(c->direction), sv_text(c->remote_coll),
                       sv_int(c->local_coll), sv_text(c->position),
                       c->last_ok ? sv_int(c->last_ok) : sv_null_int(), sv_text(c->last_error),
                       sv_int(lia_now_us()), sv_int(c->objects)),
                    NULL, "write checkpoint", err);
}

int store_checkpoint_get(struct store *s, int64_t peer, const char *direction,
                         const char *remote_coll, int64_t local_coll, struct arena *a,
                         struct store_checkpoint *out, struct lia_err *err)
{
    static struct sq q = SQ(CHECKPOINT_SELECT " WHERE peer = ? AND direction = ?"
                                              " AND remote_coll = ? AND local_coll = ?");
    return store_get(s, &q,
                     SV(sv_int(peer), sv_text(direction), sv_text(remote_coll), sv_int(local_coll)),
                     checkpoint_row, a, out, "no such checkpoint", "read checkpoint", err);
}

int store_checkpoint_list(struct store *s, int64_t peer, struct arena *a,
                          struct store_checkpoint **out, size_t *n, struct lia_err *err)
{
    static struct sq q = SQ(CHECKPOINT_SELECT " WHERE ?1 = 0 OR peer = ?1 ORDER BY peer,"
                                              " direction COLLATE BINARY,"
                                              " remote_coll COLLATE BINARY, local_coll");
    void *rows;
    int rc = store_list(s, &q, SV(sv_int(peer)), sizeof **out, checkpoint_row, a, &rows, n,
                        "list checkpoints", err);
    *out = rows;
    return rc;
}

int store_provenance_put(struct store_txn *t, const int64_t *date_added, size_t n, int64_t peer,
                         int64_t partner, int64_t received, const char *trust, const char *via,
                         struct lia_err *err)
{
    /* Many rows per statement (PostgreSQL: one round trip per 500 versions). */
    struct arena a;
    arena_init(&a, 0);
    struct dbuf q;
    dbuf_init(&q, 64 * 1024);
    int rc = 0;
    for (size_t base = 0; base < n && rc == 0; base += 500) {
        struct store_args b;
        store_args_init(&b, &a);
        dbuf_reset(&q);
        rc = dbuf_puts(&q, "INSERT INTO provenance(obj, peer, partner, received, trust, via)"
                           " VALUES");
        for (size_t i = base; i < n && i < base + 500 && rc == 0; i++) {
            rc = dbuf_puts(&q, i > base ? ",(?, ?, ?, ?, ?, ?)" : "(?, ?, ?, ?, ?, ?)");
            struct store_val v[] = {sv_int(date_added[i]), peer ? sv_int(peer) : sv_null_int(),
                                    sv_int(partner),       sv_int(received),
                                    sv_text(trust),        sv_text(via)};
            for (size_t k = 0; k < 6 && rc == 0; k++)
                rc = store_args_add(&b, v[k]);
        }
        rc = rc ? lia_err_set(err, rc, "out of memory") : dbuf_puts(&q, " ON CONFLICT DO NOTHING");
        struct store_cur cur = {0};
        if (rc == 0)
            rc = store_exec_text(t->conn, q.ptr, q.len, &b, false, &cur, "write provenance", err);
        while (rc == 0 && (rc = store_step(&cur, err)) == 1)
            rc = 0;
        store_end(&cur);
        arena_release(&a);
    }
    dbuf_release(&q);
    return rc;
}

int store_partner_key_rotate(struct store_txn *t, int64_t partner, const char *old_key,
                             const char *new_key, int64_t until, struct lia_err *err)
{
    static struct sq set = SQ("UPDATE partner SET pubkey = ? WHERE rid = ? AND lower(pubkey) = ?");
    static struct sq keep = SQ("INSERT INTO partner_key(partner, pubkey, until, rotated)"
                               " VALUES(?, ?, ?, ?) ON CONFLICT(partner, pubkey) DO UPDATE SET"
                               " until = excluded.until, rotated = excluded.rotated");
    int64_t changed = 0;
    int rc = store_do(t->conn, &set, SV(sv_text(new_key), sv_int(partner), sv_text(old_key)),
                      &changed, "rotate partner key", err);
    if (rc == 0 && !changed)
        return lia_err_set(err, LIA_ECONFLICT, "the partner's key changed meanwhile");
    return rc ? rc
              : store_do(t->conn, &keep,
                         SV(sv_int(partner), sv_text(old_key), sv_int(until), sv_int(lia_now_us())),
                         NULL, "rotate partner key", err);
}

struct old_key {
    int64_t partner, until;
};
static const struct store_field old_key_fields[] = {FIELD(struct old_key, partner, 'i'),
                                                    FIELD(struct old_key, until, 'i')};
STORE_ROW_FN(old_key_row, old_key_fields)

int store_partner_key_old(struct store *s, const char *pubkey, int64_t now, int64_t *partner,
                          int64_t *until, struct lia_err *err)
{
    static struct sq q = SQ("SELECT partner, until FROM partner_key WHERE pubkey = ? AND until > ?"
                            " ORDER BY until DESC");
    now = now ? now : INT64_MIN;
    struct old_key k = {0};
    int rc = store_get(s, &q, SV(sv_text(pubkey), sv_int(now)), old_key_row, NULL, &k,
                       "no partner has this key", "read partner keys", err);
    *partner = k.partner;
    *until = k.until;
    return rc;
}

int store_checkpoint_remove(struct store *s, int64_t peer, const char *direction,
                            const char *remote_coll, int64_t local_coll, int64_t *removed,
                            struct lia_err *err)
{
    static struct sq by_remote =
        SQ("DELETE FROM checkpoint WHERE peer = ? AND direction = ? AND remote_coll = ?");
    static struct sq by_local =
        SQ("DELETE FROM checkpoint WHERE peer = ? AND direction = ? AND local_coll = ?");
    return store_run(s, remote_coll ? &by_remote : &by_local,
                     SV(sv_int(peer), sv_text(direction),
                        remote_coll ? sv_text(remote_coll) : sv_int(local_coll)),
                     removed, "remove exchange", err);
}

int store_provenance_partner(struct store *s, int64_t date_added, int64_t *partner,
                             struct lia_err *err)
{
    static struct sq q = SQ("SELECT partner FROM provenance WHERE obj = ?");
    *partner = 0;
    int rc = store_get(s, &q, SV(sv_int(date_added)), store_row_int, NULL, partner, "",
                       "read provenance", err);
    return rc == LIA_ENOTFOUND ? 0 : rc;
}
