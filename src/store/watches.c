/*
 * The watch tables (docs/watches.md): standing queries (`watch`) and the events they fired
 * (`watch_event`).
 *
 * UNIQUE(watch, obj_date_added) is what makes a watch fire once per object version: the
 * engine inserts with ON CONFLICT DO NOTHING, so a second engine (another node, or the same
 * one after a crash between the insert and the cursor update) records nothing new. Events
 * are recorded in write transactions, which hold the write lock, so seq (the row id, which
 * doubles as the id of a server-sent event) grows in commit order and Last-Event-ID resumes
 * exactly. Secrets are read only for deliveries (store_watch_events_due) and never logged.
 */
#include "store/store_int.h"

int store_watch_add(struct store *s, const struct store_watch *w, size_t max, int64_t *rid,
                    struct lia_err *err)
{
    static struct sq count = SQ("SELECT count(*) FROM watch WHERE owner = ?");
    static struct sq add = SQ("INSERT INTO watch(id, owner, name, query, webhook, secret, created)"
                              " VALUES(?, ?, ?, ?, ?, ?, ?) RETURNING rid");
    struct store_txn *t;
    int rc = store_begin(s, &t, err);
    if (rc)
        return rc;
    int64_t have = 0;
    rc = store_one(t->conn, &count, SV(sv_int(w->owner)), store_row_int, NULL, &have, "",
                   "add watch", err);
    if (rc == 0 && (size_t)have >= max)
        rc = lia_err_set(err, LIA_ETOOBIG,
                         "this principal has %lld watches already, the most allowed "
                         "(watch_max_per_principal)",
                         (long long)have);
    if (rc == 0)
        rc = store_one(t->conn, &add,
                       SV(sv_text(w->id), sv_int(w->owner), sv_text(w->name), sv_text(w->query),
                          sv_text(w->webhook), sv_text(w->secret), sv_int(lia_now_us())),
                       store_row_int, NULL, rid, "", "add watch", err);
    if (rc == LIA_ECONFLICT)
        lia_err_set(err, LIA_ECONFLICT, "a watch named '%s' exists already", w->name);
    if (rc) {
        store_rollback(t);
        return rc;
    }
    return store_commit(t, err);
}

#define WATCH_SELECT                                                                               \
    "SELECT w.rid, w.id, w.owner, w.name, w.query, w.webhook, w.secret, w.created,"                \
    " (SELECT count(*) FROM watch_event e WHERE e.watch = w.rid),"                                 \
    " (SELECT count(*) FROM watch_event e WHERE e.watch = w.rid AND e.hook_state = 3)"             \
    " FROM watch w"

#define W(m, k) FIELD(struct store_watch, m, k)
static const struct store_field watch_fields[] = {
    W(rid, 'i'),     W(id, 't'),     W(owner, 'i'),   W(name, 't'),   W(query, 't'),
    W(webhook, 't'), W(secret, 't'), W(created, 'i'), W(events, 'i'), W(failed, 'i')};

STORE_ROW_FN(watch_row, watch_fields)

int store_watch_list(struct store *s, int64_t owner, struct arena *a, struct store_watch **out,
                     size_t *n, struct lia_err *err)
{
    static struct sq q = SQ(WATCH_SELECT " WHERE ?1 < 0 OR w.owner = ?1 ORDER BY w.rid");
    void *rows;
    int rc = store_list(s, &q, SV(sv_int(owner)), sizeof **out, watch_row, a, &rows, n,
                        "list watches", err);
    *out = rows;
    return rc;
}

int store_watch_get(struct store *s, int64_t owner, const char *id, struct arena *a,
                    struct store_watch *out, struct lia_err *err)
{
    static struct sq q = SQ(WATCH_SELECT " WHERE w.id = ?1 AND (?2 < 0 OR w.owner = ?2)");
    return store_get(s, &q, SV(sv_text(id), sv_int(owner)), watch_row, a, out, "no such watch",
                     "read watch", err);
}

int store_watch_remove(struct store *s, int64_t owner, const char *id, struct lia_err *err)
{
    static struct sq find = SQ("SELECT rid FROM watch WHERE id = ?1 AND (?2 < 0 OR owner = ?2)");
    static struct sq events = SQ("DELETE FROM watch_event WHERE watch = ?");
    static struct sq watch = SQ("DELETE FROM watch WHERE rid = ?");
    static struct sq token = SQ("DELETE FROM watch_token WHERE watch = ?");
    struct store_txn *t;
    int rc = store_begin(s, &t, err);
    if (rc)
        return rc;
    int64_t rid = 0;
    rc = store_one(t->conn, &find, SV(sv_text(id), sv_int(owner)), store_row_int, NULL, &rid,
                   "no such watch", "find watch", err);
    rc = rc ? rc : store_do(t->conn, &events, SV(sv_int(rid)), NULL, "remove watch", err);
    rc = rc ? rc : store_do(t->conn, &watch, SV(sv_int(rid)), NULL, "remove watch", err);
    rc = rc ? rc : store_do(t->conn, &token, SV(sv_text(id)), NULL, "remove watch", err);
    if (rc) {
        store_rollback(t);
        return rc;
    }
    return store_commit(t, err);
}

int store_watch_event_put(struct store_txn *t, const struct store_watch_event *e, bool *inserted,
                          struct lia_err *err)
{
    static struct sq q = SQ("INSERT INTO watch_event(watch, obj_date_added, coll, obj_id,"
                            " obj_modified, summary, created, hook_state, next_attempt)"
                            " VALUES(?, ?, ?, ?, ?, ?, ?7, ?, ?7) ON CONFLICT DO NOTHING");
    int64_t changed = 0;
    int rc = store_do(t->conn, &q,
                      SV(sv_int(e->watch), sv_int(e->obj_date_added), sv_int(e->coll),
                         sv_text(e->obj_id), sv_int(e->obj_modified), sv_text(e->summary),
                         sv_int(lia_now_us()), sv_int(e->hook_state)),
                      &changed, "record watch event", err);
    *inserted = changed > 0;
    return rc;
}

#define EVENT_SELECT                                                                               \
    "SELECT e.seq, e.watch, w.id, w.owner, e.obj_date_added, e.coll, e.obj_id, e.obj_modified,"    \
    " e.summary, e.created, e.hook_state, e.attempts, e.next_attempt, e.last_error, w.webhook,"    \
    " w.secret FROM watch_event e JOIN watch w ON w.rid = e.watch"

#define E(m, k) FIELD(struct store_watch_event, m, k)
static const struct store_field event_fields[] = {
    E(seq, 'i'),          E(watch, 'i'),          E(watch_id, 't'),
    E(owner, 'i'),        E(obj_date_added, 'i'), E(coll, 'i'),
    E(obj_id, 't'),       E(obj_modified, 'i'),   E(summary, 't'),
    E(created, 'i'),      E(hook_state, 'n'),     E(attempts, 'n'),
    E(next_attempt, 'i'), E(last_error, 't'),     E(webhook, 't'),
    E(secret, 't')};

/* Without the webhook and its secret (the last two columns), but for deliveries. */
static int event_row(struct store_cur *cur, struct arena *a, void *dst)
{
    return store_decode(cur, a, dst, event_fields, N_FIELDS(event_fields) - 2);
}

STORE_ROW_FN(event_secret_row, event_fields)

int store_watch_events(struct store *s, int64_t owner, int64_t after, size_t limit, struct arena *a,
                       struct store_watch_event **out, size_t *n, struct lia_err *err)
{
    static struct sq q = SQ(EVENT_SELECT " WHERE w.owner = ? AND e.seq > ? ORDER BY e.seq LIMIT ?");
    void *rows;
    int rc = store_list(s, &q, SV(sv_int(owner), sv_int(after), sv_int((int64_t)limit)),
                        sizeof **out, event_row, a, &rows, n, "read watch events", err);
    *out = rows;
    return rc;
}

int store_watch_fired(struct store *s, int64_t owner, const char *watch_id, int64_t before,
                      size_t limit, struct arena *a, struct store_watch_event **out, size_t *n,
                      struct lia_err *err)
{
    static struct sq q = SQ(EVENT_SELECT " WHERE w.owner = ? AND w.id = ? AND (? = 0 OR e.seq < ?)"
                                         " ORDER BY e.seq DESC LIMIT ?");
    void *rows;
    int rc = store_list(s, &q,
                        SV(sv_int(owner), sv_text(watch_id), sv_int(before), sv_int(before),
                           sv_int((int64_t)limit)),
                        sizeof **out, event_row, a, &rows, n, "read a watch's events", err);
    *out = rows;
    return rc;
}

int store_watch_event_last(struct store *s, int64_t owner, int64_t *seq, struct lia_err *err)
{
    static struct sq q = SQ("SELECT coalesce(max(e.seq), 0) FROM watch_event e JOIN watch w"
                            " ON w.rid = e.watch WHERE w.owner = ?");
    return store_get(s, &q, SV(sv_int(owner)), store_row_int, NULL, seq, "",
                     "read last watch event", err);
}

int store_watch_events_due(struct store *s, int64_t now, size_t limit, struct arena *a,
                           struct store_watch_event **out, size_t *n, struct lia_err *err)
{
    static struct sq q = SQ(EVENT_SELECT " WHERE e.hook_state = 1 AND e.next_attempt <= ?"
                                         " ORDER BY e.next_attempt, e.seq LIMIT ?");
    void *rows;
    int rc = store_list(s, &q, SV(sv_int(now), sv_int((int64_t)limit)), sizeof **out,
                        event_secret_row, a, &rows, n, "read watch events", err);
    *out = rows;
    return rc;
}

int store_watch_event_update(struct store *s, int64_t seq, int hook_state, int attempts,
                             int64_t next_attempt, const char *last_error, struct lia_err *err)
{
    static struct sq q = SQ("UPDATE watch_event SET hook_state = ?, attempts = ?,"
                            " next_attempt = ?, last_error = ? WHERE seq = ?");
    return store_run(s, &q,
                     SV(sv_int(hook_state), sv_int(attempts), sv_int(next_attempt),
                        sv_text(last_error), sv_int(seq)),
                     NULL, "record delivery", err);
}

#define V(m, k) FIELD(struct store_watch_version, m, k)
static const struct store_field version_fields[] = {
    V(date_added, 'i'), V(coll, 'i'),        V(coll_id, 't'),  V(id, 't'),
    V(type, 't'),       V(modified_us, 'i'), V(modified, 't'), V(tlp, 'n')};

static int version_row(struct store_cur *cur, struct arena *a, void *dst)
{
    struct store_watch_version *v = dst;
    int rc = store_decode(cur, a, dst, version_fields, N_FIELDS(version_fields));
    v->json = store_col_dupn(cur, 8, a, &v->json_len);
    return rc || !v->json ? LIA_ENOMEM : 0;
}

/* Every version after a cursor, for the engine, which shows nothing of one to an owner before
 * store_query_objects with that owner's policy has returned it. */
int store_watch_versions(struct store *s, int64_t after, size_t limit, struct arena *a,
                         struct store_watch_version **out, size_t *n, struct lia_err *err)
{
    static struct sq q = SQ("SELECT o.date_added, o.coll, c.id, o.id, o.type, o.modified,"
                            " o.modified_text, CASE WHEN o.tlp < 0 THEN c.default_tlp ELSE o.tlp"
                            " END, o.json FROM object o JOIN collection c ON c.rid = o.coll"
                            " WHERE o.date_added > ? ORDER BY o.date_added LIMIT ?");
    void *rows;
    int rc = store_list(s, &q, SV(sv_int(after), sv_int((int64_t)limit)), sizeof **out, version_row,
                        a, &rows, n, "read new versions", err);
    *out = rows;
    return rc;
}

int store_watch_token_set(struct store *s, const char *watch, const char *token,
                          struct lia_err *err)
{
    static struct sq q = SQ("INSERT INTO watch_token(watch, token) VALUES(?, ?)"
                            " ON CONFLICT(watch) DO UPDATE SET token = excluded.token");
    return store_run(s, &q, SV(sv_text(watch), sv_text(token)), NULL, "record watch token", err);
}

int store_watch_token_get(struct store *s, const char *watch, struct arena *a, char **token,
                          struct lia_err *err)
{
    static struct sq q = SQ("SELECT token FROM watch_token WHERE watch = ?");
    return store_get(s, &q, SV(sv_text(watch)), store_row_str, a, token, "no token recorded",
                     "read watch token", err);
}
