/*
 * The watch tables in the PostgreSQL backend (docs/watches.md), behaving as
 * sqlite_watch.c does. UNIQUE(watch, obj_date_added) makes a watch fire once
 * per object version even with an engine on every node: the second insert
 * (ON CONFLICT DO NOTHING) records nothing, so the node that lost the race
 * sends nothing. Events are recorded in write transactions, which hold the
 * write advisory lock (pg.c): seq (an identity) is assigned in commit order,
 * so a reader resuming after a seq never misses an event committed later.
 */
#include "store/pg_int.h"

#include <stdio.h>
#include <string.h>

int pgstore_watch_add(struct store *s, const struct store_watch *w, size_t max, int64_t *rid,
                      struct lia_err *err)
{
    struct store_txn *t;
    int rc = pgstore_begin(s, &t, err);
    if (rc)
        return rc;
    struct pg_params p;
    pg_param_reset(&p);
    pg_param_int(&p, w->owner);
    PGresult *r = NULL;
    rc = pg_exec(s, t->pg, -1, "SELECT count(*) FROM watch WHERE owner = $1::bigint", &p, &r,
                 "add watch", err);
    if (rc == 0 && (size_t)pg_int(r, 0, 0) >= max)
        rc = lia_err_set(err, LIA_ETOOBIG,
                         "this principal has %lld watches already, the most allowed "
                         "(watch_max_per_principal)",
                         (long long)pg_int(r, 0, 0));
    PQclear(r);
    r = NULL;
    pg_param_reset(&p);
    pg_param_text(&p, w->id);
    pg_param_int(&p, w->owner);
    pg_param_text(&p, w->name);
    pg_param_text(&p, w->query);
    pg_param_text(&p, w->webhook);
    pg_param_text(&p, w->secret);
    pg_param_int(&p, lia_now_us());
    if (rc == 0)
        rc = pg_exec(s, t->pg, -1,
                     "INSERT INTO watch(id, owner, name, query, webhook, secret, created)"
                     " VALUES($1, $2::bigint, $3, $4, $5, $6, $7::bigint) RETURNING rid",
                     &p, &r, "add watch", err);
    if (rc == LIA_ECONFLICT)
        lia_err_set(err, LIA_ECONFLICT, "a watch named '%s' exists already", w->name);
    if (rc == 0)
        *rid = pg_int(r, 0, 0);
    PQclear(r);
    if (rc) {
        pgstore_rollback(t);
        return rc;
    }
    return pgstore_commit(t, err);
}

static const char *watch_columns =
    "SELECT w.rid, w.id, w.owner, w.name, w.query, w.webhook, w.secret, w.created,"
    " (SELECT count(*) FROM watch_event e WHERE e.watch = w.rid),"
    " (SELECT count(*) FROM watch_event e WHERE e.watch = w.rid AND e.hook_state = 3)"
    " FROM watch w";

static int watch_row(const PGresult *r, int i, struct arena *a, void *dst)
{
    struct store_watch *w = dst;
    memset(w, 0, sizeof *w);
    w->rid = pg_int(r, i, 0);
    w->id = pg_text(r, i, 1, a);
    w->owner = pg_int(r, i, 2);
    w->name = pg_text(r, i, 3, a);
    w->query = pg_text(r, i, 4, a);
    w->webhook = pg_text(r, i, 5, a);
    w->secret = pg_text(r, i, 6, a);
    w->created = pg_int(r, i, 7);
    w->events = pg_int(r, i, 8);
    w->failed = pg_int(r, i, 9);
    return w->id && w->name && w->query ? 0 : LIA_ENOMEM;
}

int pgstore_watch_list(struct store *s, int64_t owner, struct arena *a, struct store_watch **out,
                       size_t *n, struct lia_err *err)
{
    *out = NULL;
    *n = 0;
    char sql[600];
    snprintf(sql, sizeof sql, "%s WHERE $1::bigint < 0 OR w.owner = $1::bigint ORDER BY w.rid",
             watch_columns);
    struct pg_params p;
    pg_param_reset(&p);
    pg_param_int(&p, owner);
    PGresult *r;
    int rc = pg_exec_once(s, -1, sql, &p, &r, "list watches", err);
    if (rc)
        return rc;
    void *rows = NULL;
    rc = pg_collect(r, a, sizeof **out, &rows, n, watch_row, err);
    *out = rows;
    PQclear(r);
    return rc;
}

int pgstore_watch_get(struct store *s, int64_t owner, const char *id, struct arena *a,
                      struct store_watch *out, struct lia_err *err)
{
    char sql[600];
    snprintf(sql, sizeof sql, "%s WHERE w.id = $1 AND ($2::bigint < 0 OR w.owner = $2::bigint)",
             watch_columns);
    struct pg_params p;
    pg_param_reset(&p);
    pg_param_text(&p, id);
    pg_param_int(&p, owner);
    PGresult *r;
    int rc = pg_exec_once(s, -1, sql, &p, &r, "read watch", err);
    if (rc)
        return rc;
    if (PQntuples(r) == 0)
        rc = lia_err_set(err, LIA_ENOTFOUND, "no such watch");
    else if (watch_row(r, 0, a, out))
        rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    PQclear(r);
    return rc;
}

int pgstore_watch_remove(struct store *s, int64_t owner, const char *id, struct lia_err *err)
{
    struct store_txn *t;
    int rc = pgstore_begin(s, &t, err);
    if (rc)
        return rc;
    struct pg_params p;
    pg_param_reset(&p);
    pg_param_text(&p, id);
    pg_param_int(&p, owner);
    PGresult *r = NULL;
    rc = pg_exec(s, t->pg, -1,
                 "WITH w AS (SELECT rid FROM watch WHERE id = $1 AND ($2::bigint < 0 OR"
                 " owner = $2::bigint)), e AS (DELETE FROM watch_event WHERE watch IN"
                 " (SELECT rid FROM w)) DELETE FROM watch WHERE rid IN (SELECT rid FROM w)",
                 &p, &r, "remove watch", err);
    if (rc == 0 && !strcmp(PQcmdTuples(r), "0"))
        rc = lia_err_set(err, LIA_ENOTFOUND, "no such watch");
    PQclear(r);
    if (rc) {
        pgstore_rollback(t);
        return rc;
    }
    return pgstore_commit(t, err);
}

int pgstore_watch_versions(struct store *s, int64_t after, size_t limit, struct arena *a,
                           struct store_watch_version **out, size_t *n, struct lia_err *err)
{
    *n = 0;
    *out = arena_alloc(a, (limit ? limit : 1) * sizeof **out);
    if (!*out)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    struct pg_params p;
    pg_param_reset(&p);
    pg_param_int(&p, after);
    pg_param_int(&p, (int64_t)limit);
    PGresult *r;
    int rc = pg_exec_once(s, -1,
                          "SELECT o.date_added, o.coll, c.id, o.id, o.type, o.modified,"
                          " o.modified_text, CASE WHEN o.tlp < 0 THEN c.default_tlp ELSE o.tlp END,"
                          " o.json FROM object o JOIN collection c ON c.rid = o.coll"
                          " WHERE o.date_added > $1::bigint ORDER BY o.date_added LIMIT $2::bigint",
                          &p, &r, "read new versions", err);
    if (rc)
        return rc;
    int rows = PQntuples(r);
    for (int i = 0; i < rows && rc == 0; i++) {
        struct store_watch_version *v = &(*out)[*n];
        v->date_added = pg_int(r, i, 0);
        v->coll = pg_int(r, i, 1);
        v->coll_id = pg_text(r, i, 2, a);
        v->id = pg_text(r, i, 3, a);
        v->type = pg_text(r, i, 4, a);
        v->modified_us = pg_int(r, i, 5);
        v->modified = pg_text(r, i, 6, a);
        v->tlp = (int)pg_int(r, i, 7);
        v->json_len = (size_t)PQgetlength(r, i, 8);
        v->json = pg_text(r, i, 8, a);
        if (!v->coll_id || !v->id || !v->type || !v->json)
            rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
        else
            (*n)++;
    }
    PQclear(r);
    return rc;
}

int pgstore_watch_event_put(struct store_txn *t, const struct store_watch_event *e, bool *inserted,
                            struct lia_err *err)
{
    int64_t now = lia_now_us();
    struct pg_params p;
    pg_param_reset(&p);
    pg_param_int(&p, e->watch);
    pg_param_int(&p, e->obj_date_added);
    pg_param_int(&p, e->coll);
    pg_param_text(&p, e->obj_id);
    pg_param_int(&p, e->obj_modified);
    pg_param_text(&p, e->summary);
    pg_param_int(&p, now);
    pg_param_int(&p, e->hook_state);
    pg_param_int(&p, now);
    PGresult *r;
    int rc = pg_exec(t->store, t->pg, -1,
                     "INSERT INTO watch_event(watch, obj_date_added, coll, obj_id, obj_modified,"
                     " summary, created, hook_state, next_attempt) VALUES($1::bigint,"
                     " $2::bigint, $3::bigint, $4, $5::bigint, $6, $7::bigint, $8::integer,"
                     " $9::bigint) ON CONFLICT(watch, obj_date_added) DO NOTHING",
                     &p, &r, "record watch event", err);
    if (rc)
        return rc;
    *inserted = strcmp(PQcmdTuples(r), "0") != 0;
    PQclear(r);
    return 0;
}

static const char *event_columns =
    "SELECT e.seq, e.watch, w.id, w.owner, e.obj_date_added, e.coll, e.obj_id, e.obj_modified,"
    " e.summary, e.created, e.hook_state, e.attempts, e.next_attempt, e.last_error, w.webhook,"
    " w.secret FROM watch_event e JOIN watch w ON w.rid = e.watch";

static int event_rows(PGresult *r, bool with_secret, struct arena *a,
                      struct store_watch_event **out, size_t *n, struct lia_err *err)
{
    int rows = PQntuples(r);
    *n = 0;
    *out = arena_alloc(a, ((size_t)rows + 1) * sizeof **out);
    if (!*out)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    for (int i = 0; i < rows; i++) {
        struct store_watch_event *e = &(*out)[*n];
        memset(e, 0, sizeof *e);
        e->seq = pg_int(r, i, 0);
        e->watch = pg_int(r, i, 1);
        e->watch_id = pg_text(r, i, 2, a);
        e->owner = pg_int(r, i, 3);
        e->obj_date_added = pg_int(r, i, 4);
        e->coll = pg_int(r, i, 5);
        e->obj_id = pg_text(r, i, 6, a);
        e->obj_modified = pg_int(r, i, 7);
        e->summary = pg_text(r, i, 8, a);
        e->created = pg_int(r, i, 9);
        e->hook_state = (int)pg_int(r, i, 10);
        e->attempts = (int)pg_int(r, i, 11);
        e->next_attempt = pg_int(r, i, 12);
        e->last_error = pg_text(r, i, 13, a);
        if (with_secret) {
            e->webhook = pg_text(r, i, 14, a);
            e->secret = pg_text(r, i, 15, a);
        }
        if (!e->watch_id || !e->obj_id || !e->summary)
            return lia_err_set(err, LIA_ENOMEM, "out of memory");
        (*n)++;
    }
    return 0;
}

int pgstore_watch_events(struct store *s, int64_t owner, int64_t after, size_t limit,
                         struct arena *a, struct store_watch_event **out, size_t *n,
                         struct lia_err *err)
{
    char sql[700];
    snprintf(sql, sizeof sql,
             "%s WHERE w.owner = $1::bigint AND e.seq > $2::bigint ORDER BY e.seq"
             " LIMIT $3::bigint",
             event_columns);
    struct pg_params p;
    pg_param_reset(&p);
    pg_param_int(&p, owner);
    pg_param_int(&p, after);
    pg_param_int(&p, (int64_t)limit);
    PGresult *r;
    *n = 0;
    int rc = pg_exec_once(s, -1, sql, &p, &r, "read watch events", err);
    if (rc)
        return rc;
    rc = event_rows(r, false, a, out, n, err);
    PQclear(r);
    return rc;
}

int pgstore_watch_event_last(struct store *s, int64_t owner, int64_t *seq, struct lia_err *err)
{
    struct pg_params p;
    pg_param_reset(&p);
    pg_param_int(&p, owner);
    PGresult *r;
    int rc = pg_exec_once(s, -1,
                          "SELECT coalesce(max(e.seq), 0) FROM watch_event e JOIN watch w"
                          " ON w.rid = e.watch WHERE w.owner = $1::bigint",
                          &p, &r, "read last watch event", err);
    if (rc)
        return rc;
    *seq = pg_int(r, 0, 0);
    PQclear(r);
    return 0;
}

int pgstore_watch_events_due(struct store *s, int64_t now, size_t limit, struct arena *a,
                             struct store_watch_event **out, size_t *n, struct lia_err *err)
{
    char sql[700];
    snprintf(sql, sizeof sql,
             "%s WHERE e.hook_state = 1 AND e.next_attempt <= $1::bigint"
             " ORDER BY e.next_attempt, e.seq LIMIT $2::bigint",
             event_columns);
    struct pg_params p;
    pg_param_reset(&p);
    pg_param_int(&p, now);
    pg_param_int(&p, (int64_t)limit);
    PGresult *r;
    *n = 0;
    int rc = pg_exec_once(s, -1, sql, &p, &r, "read due deliveries", err);
    if (rc)
        return rc;
    rc = event_rows(r, true, a, out, n, err);
    PQclear(r);
    return rc;
}

int pgstore_watch_event_update(struct store *s, int64_t seq, int hook_state, int attempts,
                               int64_t next_attempt, const char *last_error, struct lia_err *err)
{
    struct pg_params p;
    pg_param_reset(&p);
    pg_param_int(&p, hook_state);
    pg_param_int(&p, attempts);
    pg_param_int(&p, next_attempt);
    pg_param_text(&p, last_error);
    pg_param_int(&p, seq);
    PGresult *r;
    int rc = pg_exec_once(s, -1,
                          "UPDATE watch_event SET hook_state = $1::integer, attempts = $2::integer,"
                          " next_attempt = $3::bigint, last_error = $4 WHERE seq = $5::bigint",
                          &p, &r, "record delivery", err);
    PQclear(r);
    return rc;
}
