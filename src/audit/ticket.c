/*
 * Disclosure tickets: the one writer of disclosure records (design.md
 * invariant 5; audit.h).
 *
 * A route names what it is about to send to a partner in a ticket as it reads
 * it (audit_ticket_add), and commits the ticket before anything of it leaves;
 * whatever sends (the request pipeline's response writer, the watch engine,
 * push, export) refuses a ticket that is not sendable. So a new route cannot
 * send without a record: it has nothing to send that is not in its ticket.
 *
 * Group commit. Every page sent to a partner waits for a synced commit of its
 * record, and these commits serialise on the store's write lock: 16 partner
 * clients reading objects by id got ~1,500 answers a second between them, each
 * waiting for its own fsync. So a committing thread queues its ticket and,
 * when no other thread is committing, becomes the leader: it takes every
 * ticket queued (up to GROUP), appends their entries in one transaction and
 * commits once, then wakes their threads with the outcome; tickets queued
 * meanwhile go with the next leader. A lone thread is its own leader and
 * commits at once. Every thread still sends nothing until its own ticket is
 * committed; when a group fails (other than by the store staying busy), each
 * of its tickets is tried again alone, so one bad record cannot fail the
 * others.
 */
#include "audit/audit_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define GROUP 64

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

int audit_ticket_init(struct audit_ticket *t, enum audit_route route, const char *actor,
                      const char *partner, struct lia_err *err)
{
    memset(t, 0, sizeof *t);
    t->route = route;
    t->actor = dup_or_null(actor ? actor : "");
    t->partner = dup_or_null(partner ? partner : "");
    if (!t->actor || !t->partner) {
        audit_ticket_release(t);
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    }
    return 0;
}

int audit_ticket_note(struct audit_ticket *t, const char *key, const char *value, int64_t number,
                      struct lia_err *err)
{
    struct dbuf d;
    dbuf_init(&d, 1u << 20);
    int rc = dbuf_puts(&d, t->notes ? t->notes : "");
    rc = rc ? rc : dbuf_puts(&d, ",");
    rc = rc ? rc : dbuf_json_string(&d, key, strlen(key));
    rc = rc ? rc : dbuf_puts(&d, ":");
    if (value)
        rc = rc ? rc : dbuf_json_string(&d, value, strlen(value));
    else
        rc = rc ? rc : dbuf_printf(&d, "%lld", (long long)number);
    if (rc) {
        dbuf_release(&d);
        return lia_err_set(err, rc, "audit note too large");
    }
    size_t len;
    free(t->notes);
    t->notes = dbuf_detach(&d, &len);
    return t->notes ? 0 : lia_err_set(err, LIA_ENOMEM, "out of memory");
}

/* The part not yet on record for collection and endpoint, made when there is none. */
static struct audit_part *part_for(struct audit_ticket *t, const char *collection,
                                   const char *endpoint)
{
    for (size_t i = t->n_committed; i < t->n_parts; i++)
        if (!strcmp(t->parts[i].collection, collection) && !strcmp(t->parts[i].endpoint, endpoint))
            return &t->parts[i];
    if (t->n_parts == t->cap_parts) {
        size_t cap = t->cap_parts ? t->cap_parts * 2 : 2;
        struct audit_part *p = realloc(t->parts, cap * sizeof *p);
        if (!p)
            return NULL;
        t->parts = p;
        t->cap_parts = cap;
    }
    struct audit_part *p = &t->parts[t->n_parts];
    memset(p, 0, sizeof *p);
    p->collection = strdup(collection);
    p->endpoint = strdup(endpoint);
    if (!p->collection || !p->endpoint) {
        audit_part_release(p);
        return NULL;
    }
    t->n_parts++;
    return p;
}

int audit_ticket_add(struct audit_ticket *t, const char *collection, const char *endpoint,
                     const struct store_row *rows, size_t n, struct lia_err *err)
{
    if (n == 0)
        return 0;
    if (!t->actor)
        return lia_err_set(err, LIA_EINTERNAL, "disclosure ticket used before audit_ticket_init");
    struct audit_part *p = part_for(t, collection, endpoint);
    int rc = p ? audit_part_add(p, rows, n) : LIA_ENOMEM;
    if (rc)
        return lia_err_set(err, rc, "disclosure record too large");
    t->count += n;
    return 0;
}

int audit_ticket_add_keys(struct audit_ticket *t, struct store *s, const char *endpoint,
                          const int64_t *keys, size_t n, struct lia_err *err)
{
    struct arena a;
    arena_init(&a, 0);
    struct store_keyed *v = n ? arena_alloc(&a, n * sizeof *v) : NULL;
    int rc = n && !v ? lia_err_set(err, LIA_ENOMEM, "out of memory") : 0;
    if (rc == 0 && n)
        rc = store_versions_by_key(s, keys, n, &a, v, err);
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!v[i].id) {
            rc = lia_err_set(err, LIA_ENOTFOUND, "the version to disclose is no longer stored");
            break;
        }
        struct store_row row = {.date_added = keys[i], .id = v[i].id, .modified = v[i].modified};
        rc = audit_ticket_add(t, v[i].collection, endpoint, &row, 1, err);
    }
    arena_release(&a);
    return rc;
}

bool audit_ticket_sendable(const struct audit_ticket *t)
{
    return t->n_committed == t->n_parts;
}

size_t audit_ticket_size(const struct audit_ticket *t)
{
    size_t n = sizeof *t + t->cap_parts * sizeof *t->parts;
    n += (t->actor ? strlen(t->actor) : 0) + (t->partner ? strlen(t->partner) : 0) +
         (t->notes ? strlen(t->notes) : 0);
    for (size_t i = 0; i < t->n_parts; i++)
        n += (t->parts[i].detail ? strlen(t->parts[i].detail) : 0) + t->parts[i].keys.cap +
             t->parts[i].digest.cap;
    return n;
}

void audit_ticket_release(struct audit_ticket *t)
{
    for (size_t i = 0; i < t->n_parts; i++)
        audit_part_release(&t->parts[i]);
    free(t->parts);
    free(t->actor);
    free(t->partner);
    free(t->notes);
    memset(t, 0, sizeof *t);
}

/* ---- committing: one ticket's entries, or its withdrawal, queued for a group ---- */

struct audit_pending {
    struct audit_ticket *t;
    const char *withdraw; /* the reason, when the ticket is being withdrawn */
    int rc;
    struct lia_err err;
    bool done;
    struct audit_pending *next;
};

void audit_recorder_init(struct audit_recorder *r, struct store *s)
{
    memset(r, 0, sizeof *r);
    r->store = s;
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->cond, NULL);
}

void audit_recorder_release(struct audit_recorder *r)
{
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->lock);
}

static int append_withdrawal(struct store_txn *txn, const struct audit_ticket *t,
                             const char *reason, struct lia_err *err)
{
    int rc = 0;
    for (size_t i = 0; i < t->n_committed && rc == 0; i++) {
        const char *detail = t->parts[i].detail;
        struct dbuf d;
        dbuf_init(&d, strlen(detail) + 1024);
        rc = dbuf_puts(&d, "{\"reason\":");
        rc = rc ? rc : dbuf_json_string(&d, reason, strlen(reason));
        rc = rc ? rc : dbuf_puts(&d, ",\"disclosure\":");
        rc = rc ? rc : dbuf_puts(&d, detail);
        rc = rc ? rc : dbuf_puts(&d, "}");
        rc = rc ? lia_err_set(err, rc, "out of memory")
                : audit_append(txn, t->actor, AUDIT_WITHDRAW, d.ptr, err);
        dbuf_release(&d);
    }
    return rc;
}

static int append_pending(struct store_txn *txn, const struct audit_pending *p, struct lia_err *err)
{
    const struct audit_ticket *t = p->t;
    if (p->withdraw)
        return append_withdrawal(txn, t, p->withdraw, err);
    int rc = 0;
    const char *action = audit_route_action(t->route);
    for (size_t i = t->n_committed; i < t->n_parts && rc == 0; i++)
        rc = audit_append(txn, t->actor, action, t->parts[i].detail, err);
    return rc;
}

static int commit_records(struct store *s, struct audit_pending *first, size_t n,
                          struct lia_err *err)
{
    struct store_txn *txn = NULL;
    int rc = store_begin(s, &txn, err);
    struct audit_pending *p = first;
    for (size_t i = 0; i < n && rc == 0; i++, p = p->next)
        rc = append_pending(txn, p, err);
    if (rc == 0)
        rc = store_commit(txn, err);
    else if (txn)
        store_rollback(txn);
    return rc;
}

static void commit_group(struct store *s, struct audit_pending *group, size_t n)
{
    struct lia_err err;
    lia_err_clear(&err);
    int rc = commit_records(s, group, n, &err);
    /* Alone again only for a failure one record may have caused, not for a store that stayed
     * locked past busy_timeout: that would wait as long again for each record. */
    bool retry = rc && rc != LIA_EBUSY && n > 1;
    struct audit_pending *p = group;
    for (size_t i = 0; i < n; i++, p = p->next) {
        if (retry) {
            lia_err_clear(&p->err);
            p->rc = commit_records(s, p, 1, &p->err);
        } else {
            p->rc = rc;
            p->err = err;
        }
    }
}

static int record(struct audit_recorder *r, struct audit_pending *me, struct lia_err *err)
{
    pthread_mutex_lock(&r->lock);
    struct audit_pending **tail = &r->queue;
    while (*tail)
        tail = &(*tail)->next;
    *tail = me;
    while (!me->done) {
        if (r->leader) {
            pthread_cond_wait(&r->cond, &r->lock);
            continue;
        }
        /* Lead: take up to GROUP from the head of the queue, this one among them unless more
         * were ahead of it (then it leads again: it is still not done). */
        r->leader = true;
        struct audit_pending *group = r->queue, *last = group;
        size_t n = 1;
        while (last->next && n < GROUP) {
            last = last->next;
            n++;
        }
        r->queue = last->next;
        last->next = NULL;
        pthread_mutex_unlock(&r->lock);
        commit_group(r->store, group, n);
        pthread_mutex_lock(&r->lock);
        for (struct audit_pending *p = group; p; p = p->next)
            p->done = true;
        r->leader = false;
        pthread_cond_broadcast(&r->cond);
    }
    pthread_mutex_unlock(&r->lock);
    if (me->rc && err)
        *err = me->err;
    return me->rc;
}

int audit_ticket_commit(struct audit_recorder *r, struct audit_ticket *t, struct lia_err *err)
{
    if (audit_ticket_sendable(t))
        return 0;
    /* Each entry's detail is made before the queue: the leader's transaction only appends. */
    for (size_t i = t->n_committed; i < t->n_parts; i++) {
        int rc = audit_part_detail(&t->parts[i], t->partner, t->notes);
        if (rc)
            return lia_err_set(err, rc, "disclosure record too large");
    }
    struct audit_pending me = {.t = t};
    int rc = record(r, &me, err);
    if (rc == 0)
        t->n_committed = t->n_parts;
    return rc;
}

int audit_ticket_withdraw(struct audit_recorder *r, struct audit_ticket *t, const char *reason,
                          struct lia_err *err)
{
    if (t->n_committed == 0)
        return 0;
    struct audit_pending me = {.t = t, .withdraw = reason};
    return record(r, &me, err);
}

void audit_entry_recipient(const struct store_audit_entry *e, struct arena *a, const char **partner,
                           const char **peer)
{
    *partner = *peer = NULL;
    bool withdraw = !strcmp(e->action, AUDIT_WITHDRAW);
    if (!withdraw && !audit_action_discloses(e->action))
        return;
    json_t *d = json_loads(e->detail, 0, NULL);
    json_t *of = withdraw ? json_object_get(d, "disclosure") : d;
    const char *p = json_string_value(json_object_get(of, "partner"));
    const char *q = json_string_value(json_object_get(of, "peer"));
    if (p)
        *partner = arena_strndup(a, p, strlen(p));
    else if (q)
        *peer = arena_strndup(a, q, strlen(q));
    json_decref(d);
}
