/*
 * Disclosures to partners go on record (design.md invariant 5): when a page
 * of objects, manifest entries or versions is about to be sent to a partner,
 * the versions in it (by store key, with a digest of their ids and versions:
 * audit/disclosure.c) are appended to the audit log and committed first. If
 * that fails, nothing is sent.
 */
#include "api/api_int.h"

#include <pthread.h>
#include <string.h>

#include "audit/audit.h"

const char *api_owner(struct api_call *c)
{
    if (c->who.partner)
        return arena_printf(c->req->arena, "partner:%s", c->who.name);
    return c->who.actor;
}

/* Group commit. Every page sent to a partner waits for a synced commit of its record, and
 * these commits serialise on the store's write lock: 16 partner clients reading objects by id
 * got ~1,500 answers a second between them, each waiting for its own fsync. So a request
 * queues its record and, when no other request is committing, becomes the leader: it takes
 * every record queued (up to DISCLOSE_GROUP), appends them in one transaction and commits
 * once, then wakes their requests with the outcome; records queued meanwhile go with the next
 * leader. A lone request is its own leader and commits at once, as before. Every request
 * still sends nothing until its own record is committed; when a group fails (other than by
 * the store staying busy), each of its records is tried again alone, so one bad record cannot
 * fail the others. */
#define DISCLOSE_GROUP 64

struct api_disclosure {
    const char *actor;
    const char *action; /* objects.disclose, or objects.withdraw (readahead.c) */
    const char *detail;
    int rc;
    struct lia_err err;
    bool done;
    struct api_disclosure *next;
};

static int commit_records(struct store *s, struct api_disclosure *first, size_t n,
                          struct lia_err *err)
{
    struct store_txn *t = NULL;
    int rc = store_begin(s, &t, err);
    struct api_disclosure *r = first;
    for (size_t i = 0; i < n && rc == 0; i++, r = r->next)
        rc = audit_append(t, r->actor, r->action, r->detail, err);
    if (rc == 0)
        rc = store_commit(t, err);
    else if (t)
        store_rollback(t);
    return rc;
}

static void commit_group(struct store *s, struct api_disclosure *group, size_t n)
{
    struct lia_err err;
    lia_err_clear(&err);
    int rc = commit_records(s, group, n, &err);
    /* Alone again only for a failure one record may have caused, not for a store that stayed
     * locked past busy_timeout: that would wait as long again for each record. */
    bool retry = rc && rc != LIA_EBUSY && n > 1;
    struct api_disclosure *r = group;
    for (size_t i = 0; i < n; i++, r = r->next) {
        if (retry) {
            lia_err_clear(&r->err);
            r->rc = commit_records(s, r, 1, &r->err);
        } else {
            r->rc = rc;
            r->err = err;
        }
    }
}

static int record_disclosure(struct api *api, struct api_disclosure *me)
{
    pthread_mutex_lock(&api->disclose_lock);
    struct api_disclosure **tail = &api->disclose_queue;
    while (*tail)
        tail = &(*tail)->next;
    *tail = me;
    while (!me->done) {
        if (api->disclose_leader) {
            pthread_cond_wait(&api->disclose_cond, &api->disclose_lock);
            continue;
        }
        /* Lead: take up to DISCLOSE_GROUP records from the head of the queue, this one among
         * them unless more were ahead of it (then it leads again: it is still not done). */
        api->disclose_leader = true;
        struct api_disclosure *group = api->disclose_queue, *last = group;
        size_t n = 1;
        while (last->next && n < DISCLOSE_GROUP) {
            last = last->next;
            n++;
        }
        api->disclose_queue = last->next;
        last->next = NULL;
        pthread_mutex_unlock(&api->disclose_lock);
        commit_group(api->store, group, n);
        pthread_mutex_lock(&api->disclose_lock);
        for (struct api_disclosure *r = group; r; r = r->next)
            r->done = true;
        api->disclose_leader = false;
        pthread_cond_broadcast(&api->disclose_cond);
    }
    pthread_mutex_unlock(&api->disclose_lock);
    return me->rc;
}

int api_disclosure_record(struct api *api, const char *actor, const char *action,
                          const char *detail, struct lia_err *err)
{
    struct api_disclosure me = {.actor = actor, .action = action, .detail = detail};
    int rc = record_disclosure(api, &me);
    if (rc)
        *err = me.err;
    return rc;
}

int api_disclosure_commit(struct api_call *c, const char *detail, size_t n)
{
    c->disclosed = true; /* never cached, even should the record fail */
    struct lia_err err;
    lia_err_clear(&err);
    if (api_disclosure_record(c->api, c->who.actor, "objects.disclose", detail, &err)) {
        api_fail_err(c, &err);
        return -1;
    }
    api_metrics_disclosed(n);
    return 0;
}

int api_audit_disclosure(struct api_call *c, const char *collection, const char *what,
                         const struct store_page *page)
{
    if (!c->who.partner || page->n == 0)
        return 0;
    c->disclosed = true; /* never cached, even should the record fail */
    struct dbuf d;
    dbuf_init(&d, 64 * 1024 * 1024);
    int rc = audit_disclosure_detail(collection, what, page->rows, page->n, &d);
    if (rc) {
        struct lia_err err;
        lia_err_set(&err, rc, "audit record too large");
        dbuf_release(&d);
        return api_fail_err(c, &err);
    }
    if (c->ahead) {
        /* Made ahead of its request (readahead.c): the record goes with the answer, and the
         * read-ahead thread commits it before it keeps the answer (withdrawing it if the
         * answer is never sent). One page per answer. */
        if (c->ahead_record)
            rc = api_fail(c, 500, "Internal error", "two disclosures in one answer made ahead");
        else if (!(c->ahead_record = arena_strndup(c->req->arena, d.ptr, d.len)))
            rc = api_fail(c, 500, "Internal error", "out of memory");
        c->ahead_disclosed = page->n;
        dbuf_release(&d);
        return rc;
    }
    /* The page has been read: end the request's read transaction first, so that the record
     * is written on the connection that read the page. A write on a second connection made
     * the reading one drop its whole page cache at its next read (the store changed under
     * it), and the two swapped roles on every page: 0.7 to 1 ms of server CPU per 1,000-object
     * page (bench/RESULTS.md, run 7). Nothing is read after this. */
    store_read_end(c->api->store);
    rc = api_disclosure_commit(c, d.ptr, page->n);
    dbuf_release(&d);
    return rc;
}

char *api_delete_detail(struct api_call *c, const char *collection, const char *id,
                        const struct store_row *gone, size_t n)
{
    struct dbuf d;
    dbuf_init(&d, 64 * 1024 * 1024);
    int rc = dbuf_puts(&d, "{\"collection\":");
    rc = rc ? rc : dbuf_json_string(&d, collection, strlen(collection));
    rc = rc ? rc : dbuf_puts(&d, ",\"id\":");
    rc = rc ? rc : dbuf_json_string(&d, id, strlen(id));
    rc = rc ? rc : dbuf_printf(&d, ",\"versions\":%zu,\"removed\":[", n);
    for (size_t i = 0; i < n && !rc; i++) {
        const char *m = gone[i].modified ? gone[i].modified : "";
        rc = dbuf_printf(&d, "%s[%lld,", i ? "," : "", (long long)gone[i].date_added);
        rc = rc ? rc : dbuf_json_string(&d, m, strlen(m));
        rc = rc ? rc : dbuf_puts(&d, "]");
    }
    rc = rc ? rc : dbuf_puts(&d, "]}");
    char *out = rc ? NULL : arena_strndup(c->req->arena, d.ptr, d.len);
    dbuf_release(&d);
    return out;
}
