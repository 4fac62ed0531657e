/*
 * The watch tables of the SQLite backend (docs/watches.md): standing queries
 * (`watch`) and the events they fired (`watch_event`).
 *
 * UNIQUE(watch, obj_date_added) is what makes a watch fire once per object
 * version: the engine inserts with OR IGNORE, so a second engine (another node,
 * or the same one after a crash between the insert and the cursor update)
 * records nothing new. Event seq is the rowid, increasing, and doubles as the
 * id of a server-sent event, so Last-Event-ID resumes exactly.
 *
 * store_watch_versions reads object versions without a policy: it feeds the
 * engine, which passes every version through store_query_objects with the
 * owner's policy before recording or sending anything about it. Secrets are
 * read only for deliveries (store_watch_events_due) and never logged.
 *
 * On PostgreSQL every function here hands over to its twin in pg_watch.c.
 */
#include "store/pg_int.h"

#include <string.h>

/* Prepares sql on c (cached by text), or fails into err. */
static int prepare(struct sqlite_conn *c, const char *sql, sqlite3_stmt **st, struct lia_err *err)
{
    return sqlite_stmt_sql(c, sql, strlen(sql), st, err);
}

int store_watch_add(struct store *s, const struct store_watch *w, size_t max, int64_t *rid,
                    struct lia_err *err)
{
    if (s->pg)
        return pgstore_watch_add(s, w, max, rid, err);
    struct store_txn *t;
    int rc = store_begin(s, &t, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = prepare(t->conn, "SELECT count(*) FROM watch WHERE owner = ?", &st, err);
    if (rc == 0) {
        sqlite3_bind_int64(st, 1, w->owner);
        int64_t have = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        sqlite3_reset(st);
        if ((size_t)have >= max)
            rc = lia_err_set(err, LIA_ETOOBIG,
                             "this principal has %lld watches already, the most allowed "
                             "(watch_max_per_principal)",
                             (long long)have);
    }
    if (rc == 0)
        rc = prepare(t->conn,
                     "INSERT INTO watch(id, owner, name, query, webhook, secret, created)"
                     " VALUES(?,?,?,?,?,?,?)",
                     &st, err);
    if (rc == 0) {
        sqlite3_bind_text(st, 1, w->id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, w->owner);
        sqlite3_bind_text(st, 3, w->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, w->query, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, w->webhook, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, w->secret, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 7, lia_now_us());
        int step = sqlite3_step(st);
        sqlite3_reset(st);
        if (step == SQLITE_CONSTRAINT)
            rc = lia_err_set(err, LIA_ECONFLICT, "a watch named '%s' exists already", w->name);
        else if (step != SQLITE_DONE)
            rc = sqlite_fail(t->conn->db, step, err, "add watch");
        else
            *rid = sqlite3_last_insert_rowid(t->conn->db);
    }
    if (rc) {
        store_rollback(t);
        return rc;
    }
    return store_commit(t, err);
}

static const char *watch_columns =
    "SELECT w.rid, w.id, w.owner, w.name, w.query, w.webhook, w.secret, w.created,"
    " (SELECT count(*) FROM watch_event e WHERE e.watch = w.rid),"
    " (SELECT count(*) FROM watch_event e WHERE e.watch = w.rid AND e.hook_state = 3)"
    " FROM watch w";

static int watch_row(sqlite3_stmt *st, struct arena *a, struct store_watch *w)
{
    memset(w, 0, sizeof *w);
    w->rid = sqlite3_column_int64(st, 0);
    w->id = sqlite_column_dup(st, 1, a);
    w->owner = sqlite3_column_int64(st, 2);
    w->name = sqlite_column_dup(st, 3, a);
    w->query = sqlite_column_dup(st, 4, a);
    w->webhook = sqlite_column_dup(st, 5, a);
    w->secret = sqlite_column_dup(st, 6, a);
    w->created = sqlite3_column_int64(st, 7);
    w->events = sqlite3_column_int64(st, 8);
    w->failed = sqlite3_column_int64(st, 9);
    return w->id && w->name && w->query ? 0 : LIA_ENOMEM;
}

static int watch_row_any(sqlite3_stmt *st, struct arena *a, void *dst, void *ctx)
{
    (void)ctx;
    return watch_row(st, a, dst);
}

int store_watch_list(struct store *s, int64_t owner, struct arena *a, struct store_watch **out,
                     size_t *n, struct lia_err *err)
{
    if (s->pg)
        return pgstore_watch_list(s, owner, a, out, n, err);
    *out = NULL;
    *n = 0;
    char *sql = arena_printf(a, "%s WHERE ? < 0 OR w.owner = ? ORDER BY w.rid", watch_columns);
    if (!sql)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    const int64_t binds[] = {owner, owner};
    void *rows = NULL;
    int rc = sqlite_list(s, sql, binds, 2, a, sizeof **out, watch_row_any, NULL, &rows, n,
                         "list watches", err);
    *out = rows;
    return rc;
}

int store_watch_get(struct store *s, int64_t owner, const char *id, struct arena *a,
                    struct store_watch *out, struct lia_err *err)
{
    if (s->pg)
        return pgstore_watch_get(s, owner, id, a, out, err);
    struct sqlite_conn *c;
    int rc = sqlite_acquire(s, &c, err);
    if (rc)
        return rc;
    char *sql = arena_printf(a, "%s WHERE w.id = ? AND (? < 0 OR w.owner = ?)", watch_columns);
    sqlite3_stmt *st = NULL;
    rc = sql ? prepare(c, sql, &st, err) : lia_err_set(err, LIA_ENOMEM, "out of memory");
    if (rc == 0) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, owner);
        sqlite3_bind_int64(st, 3, owner);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW)
            rc = watch_row(st, a, out) ? lia_err_set(err, LIA_ENOMEM, "out of memory") : 0;
        else if (step == SQLITE_DONE)
            rc = lia_err_set(err, LIA_ENOTFOUND, "no such watch");
        else
            rc = sqlite_fail(c->db, step, err, "read watch");
        sqlite3_reset(st);
    }
    sqlite_release(s, c);
    return rc;
}

int store_watch_remove(struct store *s, int64_t owner, const char *id, struct lia_err *err)
{
    if (s->pg)
        return pgstore_watch_remove(s, owner, id, err);
    struct store_txn *t;
    int rc = store_begin(s, &t, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL;
    int64_t rid = 0;
    rc = prepare(t->conn, "SELECT rid FROM watch WHERE id = ? AND (? < 0 OR owner = ?)", &st, err);
    if (rc == 0) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, owner);
        sqlite3_bind_int64(st, 3, owner);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW)
            rid = sqlite3_column_int64(st, 0);
        else if (step == SQLITE_DONE)
            rc = lia_err_set(err, LIA_ENOTFOUND, "no such watch");
        else
            rc = sqlite_fail(t->conn->db, step, err, "find watch");
        sqlite3_reset(st);
    }
    static const char *const del[2] = {"DELETE FROM watch_event WHERE watch = ?",
                                       "DELETE FROM watch WHERE rid = ?"};
    for (int i = 0; i < 2 && rc == 0; i++) {
        rc = prepare(t->conn, del[i], &st, err);
        if (rc)
            break;
        sqlite3_bind_int64(st, 1, rid);
        int step = sqlite3_step(st);
        sqlite3_reset(st);
        if (step != SQLITE_DONE)
            rc = sqlite_fail(t->conn->db, step, err, "remove watch");
    }
    if (rc) {
        store_rollback(t);
        return rc;
    }
    return store_commit(t, err);
}

int store_watch_versions(struct store *s, int64_t after, size_t limit, struct arena *a,
                         struct store_watch_version **out, size_t *n, struct lia_err *err)
{
    if (s->pg)
        return pgstore_watch_versions(s, after, limit, a, out, n, err);
    *n = 0;
    *out = arena_alloc(a, (limit ? limit : 1) * sizeof **out);
    if (!*out)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    struct sqlite_conn *c;
    int rc = sqlite_acquire(s, &c, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = prepare(c,
                 "SELECT o.date_added, o.coll, c.id, o.id, o.type, o.modified, o.modified_text,"
                 " CASE WHEN o.tlp < 0 THEN c.default_tlp ELSE o.tlp END, o.json"
                 " FROM object o JOIN collection c ON c.rid = o.coll"
                 " WHERE o.date_added > ? ORDER BY o.date_added LIMIT ?",
                 &st, err);
    if (rc == 0) {
        sqlite3_bind_int64(st, 1, after);
        sqlite3_bind_int64(st, 2, (int64_t)limit);
    }
    while (rc == 0 && *n < limit) {
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE)
            break;
        if (step != SQLITE_ROW) {
            rc = sqlite_fail(c->db, step, err, "read new versions");
            break;
        }
        struct store_watch_version *v = &(*out)[*n];
        v->date_added = sqlite3_column_int64(st, 0);
        v->coll = sqlite3_column_int64(st, 1);
        v->coll_id = sqlite_column_dup(st, 2, a);
        v->id = sqlite_column_dup(st, 3, a);
        v->type = sqlite_column_dup(st, 4, a);
        v->modified_us = sqlite3_column_int64(st, 5);
        v->modified = sqlite_column_dup(st, 6, a);
        v->tlp = sqlite3_column_int(st, 7);
        v->json_len = (size_t)sqlite3_column_bytes(st, 8);
        v->json = arena_strndup(a, (const char *)sqlite3_column_text(st, 8), v->json_len);
        if (!v->coll_id || !v->id || !v->type || !v->json) {
            rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
            break;
        }
        (*n)++;
    }
    if (st)
        sqlite3_reset(st);
    sqlite_release(s, c);
    return rc;
}

int store_watch_event_put(struct store_txn *t, const struct store_watch_event *e, bool *inserted,
                          struct lia_err *err)
{
    if (t->pg)
        return pgstore_watch_event_put(t, e, inserted, err);
    sqlite3_stmt *st = NULL;
    int rc = prepare(t->conn,
                     "INSERT OR IGNORE INTO watch_event(watch, obj_date_added, coll, obj_id,"
                     " obj_modified, summary, created, hook_state, next_attempt)"
                     " VALUES(?,?,?,?,?,?,?,?,?)",
                     &st, err);
    if (rc)
        return rc;
    int64_t now = lia_now_us();
    sqlite3_bind_int64(st, 1, e->watch);
    sqlite3_bind_int64(st, 2, e->obj_date_added);
    sqlite3_bind_int64(st, 3, e->coll);
    sqlite3_bind_text(st, 4, e->obj_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, e->obj_modified);
    sqlite3_bind_text(st, 6, e->summary, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, now);
    sqlite3_bind_int(st, 8, e->hook_state);
    sqlite3_bind_int64(st, 9, now);
    int step = sqlite3_step(st);
    sqlite3_reset(st);
    if (step != SQLITE_DONE)
        return sqlite_fail(t->conn->db, step, err, "record watch event");
    *inserted = sqlite3_changes(t->conn->db) > 0;
    return 0;
}

static const char *event_columns =
    "SELECT e.seq, e.watch, w.id, w.owner, e.obj_date_added, e.coll, e.obj_id, e.obj_modified,"
    " e.summary, e.created, e.hook_state, e.attempts, e.next_attempt, e.last_error, w.webhook,"
    " w.secret FROM watch_event e JOIN watch w ON w.rid = e.watch";

/* Reads the rows of st (bound by the caller) into out; with_secret keeps webhook and secret. */
static int event_rows(struct sqlite_conn *c, sqlite3_stmt *st, size_t limit, bool with_secret,
                      struct arena *a, struct store_watch_event **out, size_t *n,
                      struct lia_err *err)
{
    *n = 0;
    *out = arena_alloc(a, (limit ? limit : 1) * sizeof **out);
    if (!*out)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    while (*n < limit) {
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE)
            break;
        if (step != SQLITE_ROW)
            return sqlite_fail(c->db, step, err, "read watch events");
        struct store_watch_event *e = &(*out)[*n];
        e->seq = sqlite3_column_int64(st, 0);
        e->watch = sqlite3_column_int64(st, 1);
        e->watch_id = sqlite_column_dup(st, 2, a);
        e->owner = sqlite3_column_int64(st, 3);
        e->obj_date_added = sqlite3_column_int64(st, 4);
        e->coll = sqlite3_column_int64(st, 5);
        e->obj_id = sqlite_column_dup(st, 6, a);
        e->obj_modified = sqlite3_column_int64(st, 7);
        e->summary = sqlite_column_dup(st, 8, a);
        e->created = sqlite3_column_int64(st, 9);
        e->hook_state = sqlite3_column_int(st, 10);
        e->attempts = sqlite3_column_int(st, 11);
        e->next_attempt = sqlite3_column_int64(st, 12);
        e->last_error = sqlite_column_dup(st, 13, a);
        if (with_secret) {
            e->webhook = sqlite_column_dup(st, 14, a);
            e->secret = sqlite_column_dup(st, 15, a);
        }
        if (!e->watch_id || !e->obj_id || !e->summary)
            return lia_err_set(err, LIA_ENOMEM, "out of memory");
        (*n)++;
    }
    return 0;
}

int store_watch_events(struct store *s, int64_t owner, int64_t after, size_t limit, struct arena *a,
                       struct store_watch_event **out, size_t *n, struct lia_err *err)
{
    if (s->pg)
        return pgstore_watch_events(s, owner, after, limit, a, out, n, err);
    struct sqlite_conn *c;
    int rc = sqlite_acquire(s, &c, err);
    if (rc)
        return rc;
    char *sql =
        arena_printf(a, "%s WHERE w.owner = ? AND e.seq > ? ORDER BY e.seq LIMIT ?", event_columns);
    sqlite3_stmt *st = NULL;
    rc = sql ? prepare(c, sql, &st, err) : lia_err_set(err, LIA_ENOMEM, "out of memory");
    if (rc == 0) {
        sqlite3_bind_int64(st, 1, owner);
        sqlite3_bind_int64(st, 2, after);
        sqlite3_bind_int64(st, 3, (int64_t)limit);
        rc = event_rows(c, st, limit, false, a, out, n, err);
        sqlite3_reset(st);
    }
    sqlite_release(s, c);
    return rc;
}

int store_watch_event_last(struct store *s, int64_t owner, int64_t *seq, struct lia_err *err)
{
    if (s->pg)
        return pgstore_watch_event_last(s, owner, seq, err);
    struct sqlite_conn *c;
    int rc = sqlite_acquire(s, &c, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = prepare(c,
                 "SELECT coalesce(max(e.seq), 0) FROM watch_event e JOIN watch w"
                 " ON w.rid = e.watch WHERE w.owner = ?",
                 &st, err);
    if (rc == 0) {
        sqlite3_bind_int64(st, 1, owner);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW)
            *seq = sqlite3_column_int64(st, 0);
        else
            rc = sqlite_fail(c->db, step, err, "read last watch event");
        sqlite3_reset(st);
    }
    sqlite_release(s, c);
    return rc;
}

int store_watch_events_due(struct store *s, int64_t now, size_t limit, struct arena *a,
                           struct store_watch_event **out, size_t *n, struct lia_err *err)
{
    if (s->pg)
        return pgstore_watch_events_due(s, now, limit, a, out, n, err);
    struct sqlite_conn *c;
    int rc = sqlite_acquire(s, &c, err);
    if (rc)
        return rc;
    char *sql = arena_printf(a,
                             "%s WHERE e.hook_state = 1 AND e.next_attempt <= ?"
                             " ORDER BY e.next_attempt, e.seq LIMIT ?",
                             event_columns);
    sqlite3_stmt *st = NULL;
    rc = sql ? prepare(c, sql, &st, err) : lia_err_set(err, LIA_ENOMEM, "out of memory");
    if (rc == 0) {
        sqlite3_bind_int64(st, 1, now);
        sqlite3_bind_int64(st, 2, (int64_t)limit);
        rc = event_rows(c, st, limit, true, a, out, n, err);
        sqlite3_reset(st);
    }
    sqlite_release(s, c);
    return rc;
}

int store_watch_event_update(struct store *s, int64_t seq, int hook_state, int attempts,
                             int64_t next_attempt, const char *last_error, struct lia_err *err)
{
    if (s->pg)
        return pgstore_watch_event_update(s, seq, hook_state, attempts, next_attempt, last_error,
                                          err);
    struct sqlite_conn *c;
    int rc = sqlite_acquire(s, &c, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = prepare(c,
                 "UPDATE watch_event SET hook_state = ?, attempts = ?, next_attempt = ?,"
                 " last_error = ? WHERE seq = ?",
                 &st, err);
    if (rc == 0) {
        sqlite3_bind_int(st, 1, hook_state);
        sqlite3_bind_int(st, 2, attempts);
        sqlite3_bind_int64(st, 3, next_attempt);
        sqlite3_bind_text(st, 4, last_error, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, seq);
        int step = sqlite3_step(st);
        if (step != SQLITE_DONE)
            rc = sqlite_fail(c->db, step, err, "record delivery");
        sqlite3_reset(st);
    }
    sqlite_release(s, c);
    return rc;
}
