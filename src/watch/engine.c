/*
 * The watch engine: one thread follows the object versions stored after a cursor and records
 * the events of the watches that select them; another delivers events to webhooks.
 *
 * Matching. The cursor (store setting watch_cursor) is a date_added. Writers take the store's
 * write lock in turn and assign date_added under it, so the versions a reader sees always
 * form a prefix of date_added order: nothing can appear later behind the cursor. For each
 * version after it and each watch created before the version was stored, the filters are
 * tested on the stored text; when they select it, the store's one gate decides whether the
 * watch's owner may see that exact version (store_query_objects with the owner's policy, the
 * version's id, modified and date_added). Only then is an event recorded. Events and the new
 * cursor are committed in one transaction; the store keeps events unique per (watch,
 * version), so a crash between two steps, or a second node running the same engine, fires
 * nothing twice.
 *
 * Streams. Subscribers (the server-sent-event streams of api/) are woken, under the engine's
 * lock, when their owner's watches fired and every keepalive_ms; they read the events
 * themselves (watch_events_sse). watch_unsubscribe takes the same lock, so no wake runs after
 * it returns.
 *
 * Deliveries. Pending webhook events are posted oldest first, one at a time; a failure or a
 * non-2xx answer is retried after retry_base_ms, doubling, up to max_attempts; each attempt's
 * outcome is recorded on the event. Before each attempt the event is checked through the gate
 * again: what the owner may no longer see is not sent.
 */
#include "watch/watch_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#define CURSOR_KEY "watch_cursor"
#define BATCH 256
#define DUE_BATCH 8
#define MAX_RETRY_DELAY_US (3600LL * 1000000)

struct watch_subscriber {
    int64_t owner;
    void (*wake)(void *ctx);
    void *ctx;
    struct watch_subscriber *next;
};

struct watch_engine {
    struct store *s;
    struct audit_recorder recorder; /* a partner's events go on record before a webhook */
    struct watch_engine_config cfg;
    pthread_mutex_t lock;
    pthread_cond_t match_cond;
    pthread_cond_t hook_cond;
    bool stop;
    bool hook_kick; /* new webhook events: look now */
    pthread_t matcher, deliverer;
    bool have_matcher, have_deliverer;
    struct watch_subscriber *subs;
    size_t n_subs;
};

/* A watch as the matcher holds it for one pass. */
struct loaded {
    const struct store_watch *w;
    struct watch_query q;
    struct store_policy policy;
    bool usable;
};

/* A found match, waiting for the pass's transaction. */
struct found {
    struct store_watch_event ev;
    int64_t owner;
};

static void wait_ms(struct watch_engine *e, pthread_cond_t *cond, int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(cond, &e->lock, &ts);
}

static int read_cursor(struct watch_engine *e, const struct store_watch *ws, size_t nw,
                       int64_t *cursor, struct lia_err *err)
{
    struct arena a;
    arena_init(&a, 0);
    char *v = NULL;
    int rc = store_meta_get(e->s, CURSOR_KEY, &a, &v, err);
    if (rc == 0 && lia_parse_i64(v, strlen(v), 0, INT64_MAX, cursor) != 0)
        rc = lia_err_set(err, LIA_EIO, "store: %s is corrupt", CURSOR_KEY);
    if (rc == LIA_ENOTFOUND) {
        /* First run: from the oldest watch's creation (nothing older can fire), or now. */
        lia_err_clear(err);
        rc = 0;
        *cursor = lia_now_us();
        for (size_t i = 0; i < nw; i++)
            if (ws[i].created - 1 < *cursor)
                *cursor = ws[i].created - 1;
    }
    arena_release(&a);
    return rc;
}

/* Tests every loaded watch against version v; appends the matches to *found. */
static int match_version(struct watch_engine *e, struct loaded *ls, size_t nw,
                         const struct store_watch_version *v, struct arena *a, struct found **found,
                         size_t *n_found, size_t *cap, struct lia_err *err)
{
    json_t *obj = json_loadb(v->json, v->json_len, 0, NULL);
    if (!obj)
        return 0; /* stored text is validated JSON; nothing to match if it is not */
    int rc = 0;
    for (size_t i = 0; i < nw && rc == 0; i++) {
        struct loaded *l = &ls[i];
        if (!l->usable || v->date_added <= l->w->created ||
            !watch_query_selects(&l->q, v->type, v->tlp, obj))
            continue;
        bool visible = false;
        rc = watch_visible(e->s, &l->policy, v->coll, v->id, v->modified_us, v->date_added,
                           &visible, err);
        if (rc == 0 && visible && l->q.into)
            rc = watch_flow_into(e->s, &l->policy, &l->q, v->coll, v->date_added, &visible, err);
        if (rc || !visible)
            continue;
        struct dbuf sum;
        dbuf_init(&sum, 64 * 1024);
        if (watch_summary(&sum, l->w->id, l->w->name, obj, v->id, v->type, v->modified,
                          v->date_added, v->coll_id) != 0) {
            dbuf_release(&sum);
            continue; /* a name too long for a summary: cannot happen with validated input */
        }
        if (*n_found == *cap) {
            size_t ncap = *cap ? *cap * 2 : 64;
            struct found *grown = arena_alloc(a, ncap * sizeof *grown);
            if (!grown) {
                dbuf_release(&sum);
                rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
                break;
            }
            if (*n_found)
                memcpy(grown, *found, *n_found * sizeof *grown);
            *found = grown;
            *cap = ncap;
        }
        struct found *f = &(*found)[(*n_found)++];
        memset(f, 0, sizeof *f);
        f->owner = l->w->owner;
        f->ev.watch = l->w->rid;
        f->ev.obj_date_added = v->date_added;
        f->ev.coll = v->coll;
        f->ev.obj_id = v->id;
        f->ev.obj_modified = v->modified_us;
        f->ev.summary = arena_strndup(a, sum.ptr, sum.len);
        f->ev.hook_state = l->w->webhook ? STORE_HOOK_PENDING : STORE_HOOK_NONE;
        dbuf_release(&sum);
        if (!f->ev.summary)
            rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    }
    json_decref(obj);
    return rc;
}

/* Wakes the streams of owners that got events (owners NULL: every stream). Under e->lock. */
static void wake_locked(struct watch_engine *e, const int64_t *owners, size_t n)
{
    for (struct watch_subscriber *sub = e->subs; sub; sub = sub->next) {
        bool hit = owners == NULL;
        for (size_t i = 0; i < n && !hit; i++)
            hit = owners[i] == sub->owner;
        if (hit)
            sub->wake(sub->ctx);
    }
}

/* One pass: the versions after the cursor (at most BATCH). *more when there may be others. */
static int match_pass(struct watch_engine *e, bool *more, struct lia_err *err)
{
    *more = false;
    struct arena a;
    arena_init(&a, 0);
    struct store_watch *ws = NULL;
    size_t nw = 0, nv = 0, n_found = 0, cap = 0;
    struct store_watch_version *vs = NULL;
    struct found *found = NULL;
    struct loaded *ls = NULL;
    int64_t cursor = 0;
    int rc = store_watch_list(e->s, -1, &a, &ws, &nw, err);
    if (rc == 0)
        rc = read_cursor(e, ws, nw, &cursor, err);
    /* No watch, nothing to match: the versions are not even read (the cursor of the first
     * watch starts at its creation, so nothing is missed). */
    if (rc == 0 && nw)
        rc = store_watch_versions(e->s, cursor, BATCH, &a, &vs, &nv, err);
    if (rc == 0 && nw && nv) {
        ls = arena_alloc(&a, nw * sizeof *ls);
        if (!ls)
            rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
        for (size_t i = 0; i < nw && rc == 0; i++) {
            ls[i].w = &ws[i];
            struct lia_err werr;
            lia_err_clear(&werr);
            /* A disabled owner, or a query this version cannot read, fires nothing. */
            ls[i].usable = watch_owner_policy(e->s, ws[i].owner, &ls[i].policy, &werr) == 0 &&
                           watch_query_parse(ws[i].query, &ls[i].q, &werr) == 0;
            if (werr.code && werr.code != LIA_ENOTFOUND && werr.code != LIA_EINVAL)
                rc = lia_err_set(err, werr.code, "%s", werr.msg);
        }
    }
    for (size_t i = 0; i < nv && rc == 0 && nw; i++)
        rc = match_version(e, ls, nw, &vs[i], &a, &found, &n_found, &cap, err);
    for (size_t i = 0; ls && i < nw; i++)
        watch_query_release(&ls[i].q);

    int64_t *owners = NULL;
    size_t n_owners = 0;
    bool hooks = false;
    if (rc == 0 && nv) {
        struct store_txn *t = NULL;
        rc = store_begin(e->s, &t, err);
        owners = rc == 0 && n_found ? arena_alloc(&a, n_found * sizeof *owners) : NULL;
        for (size_t i = 0; i < n_found && rc == 0; i++) {
            bool inserted = false;
            rc = store_watch_event_put(t, &found[i].ev, &inserted, err);
            if (rc || !inserted)
                continue;
            hooks |= found[i].ev.hook_state == STORE_HOOK_PENDING;
            if (owners)
                owners[n_owners++] = found[i].owner;
        }
        char buf[24];
        snprintf(buf, sizeof buf, "%lld", (long long)vs[nv - 1].date_added);
        if (rc == 0)
            rc = store_txn_meta_set(t, CURSOR_KEY, buf, err);
        if (rc == 0)
            rc = store_commit(t, err);
        else if (t)
            store_rollback(t);
        *more = rc == 0 && nv == BATCH;
    } else if (rc == 0 && nv == 0) {
        /* Keep the first-run cursor, so that later versions are measured from it. */
        char buf[24];
        snprintf(buf, sizeof buf, "%lld", (long long)cursor);
        struct arena b;
        arena_init(&b, 0);
        char *have = NULL;
        struct lia_err ignore;
        lia_err_clear(&ignore);
        if (store_meta_get(e->s, CURSOR_KEY, &b, &have, &ignore) == LIA_ENOTFOUND)
            rc = store_meta_set(e->s, CURSOR_KEY, buf, err);
        arena_release(&b);
    }
    if (rc == 0 && (n_owners || hooks)) {
        pthread_mutex_lock(&e->lock);
        wake_locked(e, owners, n_owners);
        if (hooks) {
            e->hook_kick = true;
            pthread_cond_signal(&e->hook_cond);
        }
        pthread_mutex_unlock(&e->lock);
    }
    arena_release(&a);
    return rc;
}

static void *matcher_main(void *arg)
{
    struct watch_engine *e = arg;
    int64_t last_keepalive = lia_now_us(), last_recheck = last_keepalive;
    int last_failure = 0; /* the same failure again is not logged again */
    pthread_mutex_lock(&e->lock);
    while (!e->stop) {
        pthread_mutex_unlock(&e->lock);
        bool more = false;
        struct lia_err err;
        lia_err_clear(&err);
        int rc = match_pass(e, &more, &err);
        if (rc == 0) {
            last_failure = 0;
        } else if (rc != last_failure) {
            last_failure = rc;
            struct dbuf m;
            dbuf_init(&m, 1024);
            dbuf_json_string(&m, err.msg, strlen(err.msg));
            lia_log(LIA_LOG_WARN, "watch_match_failed", "\"error\":%s", m.ptr ? m.ptr : "\"\"");
            dbuf_release(&m);
        }
        pthread_mutex_lock(&e->lock);
        int64_t now = lia_now_us();
        if (now - last_keepalive >= e->cfg.keepalive_ms * 1000 ||
            now - last_recheck >= e->cfg.recheck_ms * 1000) {
            /* Every stream: a keep-alive is due, or a check that its caller's token, partner,
             * grants and groups are as they were (a revocation ends it within recheck_ms). */
            wake_locked(e, NULL, 0);
            last_recheck = now;
            if (now - last_keepalive >= e->cfg.keepalive_ms * 1000)
                last_keepalive = now;
        }
        if (!more && !e->stop) {
            int64_t until_keepalive = (last_keepalive + e->cfg.keepalive_ms * 1000 - now) / 1000;
            int64_t until_recheck = (last_recheck + e->cfg.recheck_ms * 1000 - now) / 1000;
            int64_t ms = e->cfg.poll_ms;
            ms = until_keepalive < ms ? until_keepalive : ms;
            ms = e->subs && until_recheck < ms ? until_recheck : ms;
            wait_ms(e, &e->match_cond, ms > 0 ? ms : 1);
        }
    }
    pthread_mutex_unlock(&e->lock);
    return NULL;
}

/* Whether the token a watch was made with (if one was recorded) still works (issue 27.1). */
static bool watch_token_valid(struct store *s, const char *watch_id)
{
    struct arena a;
    arena_init(&a, 0);
    struct lia_err err;
    lia_err_clear(&err);
    char *token = NULL;
    int rc = store_watch_token_get(s, watch_id, &a, &token, &err);
    bool ok = rc == LIA_ENOTFOUND;
    if (rc == 0 && token) {
        struct store_token t;
        ok = store_token_get(s, token, &a, &t, &err) == 0 && !t.revoked &&
             (!t.expires || t.expires > lia_now_us());
    }
    arena_release(&a);
    return ok;
}

/* One delivery attempt of ev; records the outcome. */
static int deliver(struct watch_engine *e, const struct store_watch_event *ev, struct lia_err *err)
{
    struct store_policy p;
    struct lia_err why;
    lia_err_clear(&why);
    int64_t now = lia_now_us();
    if (!ev->webhook || !ev->secret)
        return store_watch_event_update(e->s, ev->seq, STORE_HOOK_NONE, ev->attempts, now, NULL,
                                        err);
    int rc = watch_owner_policy(e->s, ev->owner, &p, &why);
    if (rc == LIA_ENOTFOUND)
        return store_watch_event_update(e->s, ev->seq, STORE_HOOK_FAILED, ev->attempts, now,
                                        "withheld: the owner is disabled or removed", err);
    if (rc == 0 && !watch_token_valid(e->s, ev->watch_id))
        return store_watch_event_update(e->s, ev->seq, STORE_HOOK_FAILED, ev->attempts, now,
                                        "withheld: the token the watch was made with is revoked "
                                        "or expired",
                                        err);
    if (rc)
        return lia_err_set(err, rc, "%s", why.msg);
    bool visible = false;
    rc = watch_visible(e->s, &p, ev->coll, ev->obj_id, ev->obj_modified, ev->obj_date_added,
                       &visible, err);
    if (rc)
        return rc;
    if (!visible)
        return store_watch_event_update(e->s, ev->seq, STORE_HOOK_FAILED, ev->attempts, now,
                                        "withheld: the owner may no longer see the object", err);
    int attempts = ev->attempts + 1;
    /* On record before the first attempt; later attempts send what the record names. */
    struct audit_ticket t = {0};
    if (ev->attempts == 0 && (rc = watch_audit_disclosure(&e->recorder, ev, "webhook", &t, err)))
        return rc; /* not on record, not sent: tried again on the next round */
    bool on_record = audit_ticket_sendable(&t);
    audit_ticket_release(&t);
    if (!on_record)
        return lia_err_set(err, LIA_EINTERNAL, "an event's disclosure is not on record");
    rc = watch_webhook_post(ev->webhook, ev->secret, ev->seq, ev->summary, e->cfg.webhook_timeout_s,
                            &why);
    if (rc == 0)
        return store_watch_event_update(e->s, ev->seq, STORE_HOOK_DELIVERED, attempts, now, NULL,
                                        err);
    int64_t delay = e->cfg.retry_base_ms * 1000;
    for (int i = 1; i < attempts && delay < MAX_RETRY_DELAY_US; i++)
        delay *= 2;
    if (delay > MAX_RETRY_DELAY_US)
        delay = MAX_RETRY_DELAY_US;
    bool give_up = attempts >= e->cfg.max_attempts;
    struct dbuf m;
    dbuf_init(&m, 1024);
    dbuf_json_string(&m, why.msg, strlen(why.msg));
    lia_log(LIA_LOG_WARN, "watch_webhook_failed",
            "\"watch\":\"%s\",\"event\":%lld,\"attempts\":%d,\"final\":%s,\"error\":%s",
            ev->watch_id, (long long)ev->seq, attempts, give_up ? "true" : "false",
            m.ptr ? m.ptr : "\"\"");
    dbuf_release(&m);
    return store_watch_event_update(e->s, ev->seq, give_up ? STORE_HOOK_FAILED : STORE_HOOK_PENDING,
                                    attempts, now + delay, why.msg, err);
}

static void *deliverer_main(void *arg)
{
    struct watch_engine *e = arg;
    pthread_mutex_lock(&e->lock);
    while (!e->stop) {
        e->hook_kick = false;
        pthread_mutex_unlock(&e->lock);
        struct arena a;
        arena_init(&a, 0);
        struct store_watch_event *ev = NULL;
        size_t n = 0;
        struct lia_err err;
        lia_err_clear(&err);
        int rc = store_watch_events_due(e->s, lia_now_us(), DUE_BATCH, &a, &ev, &n, &err);
        for (size_t i = 0; i < n && rc == 0; i++) {
            pthread_mutex_lock(&e->lock);
            bool stop = e->stop;
            pthread_mutex_unlock(&e->lock);
            if (stop)
                break;
            rc = deliver(e, &ev[i], &err);
        }
        if (rc)
            lia_log(LIA_LOG_WARN, "watch_delivery_failed", "\"code\":\"%s\"", lia_rc_name(rc));
        arena_release(&a);
        pthread_mutex_lock(&e->lock);
        if (!e->stop && !e->hook_kick && (rc || n < DUE_BATCH))
            wait_ms(e, &e->hook_cond, e->cfg.poll_ms);
    }
    pthread_mutex_unlock(&e->lock);
    return NULL;
}

int watch_engine_start(struct store *s, const struct watch_engine_config *cfg,
                       struct watch_engine **out, struct lia_err *err)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct watch_engine *e = calloc(1, sizeof *e);
    if (!e)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    e->s = s;
    audit_recorder_init(&e->recorder, s);
    e->cfg = *cfg;
    if (e->cfg.poll_ms <= 0)
        e->cfg.poll_ms = 500;
    if (e->cfg.keepalive_ms <= 0)
        e->cfg.keepalive_ms = 15000;
    if (e->cfg.recheck_ms <= 0)
        e->cfg.recheck_ms = 500;
    if (e->cfg.max_attempts <= 0)
        e->cfg.max_attempts = 1;
    if (e->cfg.retry_base_ms <= 0)
        e->cfg.retry_base_ms = 1000;
    if (e->cfg.webhook_timeout_s <= 0)
        e->cfg.webhook_timeout_s = 10;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&e->lock, NULL);
    pthread_cond_init(&e->match_cond, &ca);
    pthread_cond_init(&e->hook_cond, &ca);
    pthread_condattr_destroy(&ca);
    e->have_matcher = pthread_create(&e->matcher, NULL, matcher_main, e) == 0;
    e->have_deliverer =
        e->have_matcher && pthread_create(&e->deliverer, NULL, deliverer_main, e) == 0;
    if (!e->have_deliverer) {
        watch_engine_stop(e);
        return lia_err_set(err, LIA_EINTERNAL, "cannot start the watch engine's threads");
    }
    *out = e;
    return 0;
}

int64_t watch_engine_keepalive_ms(const struct watch_engine *e)
{
    return e->cfg.keepalive_ms;
}

void watch_engine_stop(struct watch_engine *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&e->lock);
    e->stop = true;
    pthread_cond_broadcast(&e->match_cond);
    pthread_cond_broadcast(&e->hook_cond);
    pthread_mutex_unlock(&e->lock);
    if (e->have_matcher)
        pthread_join(e->matcher, NULL);
    if (e->have_deliverer)
        pthread_join(e->deliverer, NULL);
    while (e->subs) { /* streams the caller left: nothing wakes them any more */
        struct watch_subscriber *next = e->subs->next;
        free(e->subs);
        e->subs = next;
    }
    pthread_cond_destroy(&e->match_cond);
    pthread_cond_destroy(&e->hook_cond);
    pthread_mutex_destroy(&e->lock);
    audit_recorder_release(&e->recorder);
    free(e);
}

int watch_subscribe(struct watch_engine *e, int64_t owner, void (*wake)(void *ctx), void *ctx,
                    struct watch_subscriber **out, struct lia_err *err)
{
    struct watch_subscriber *sub = calloc(1, sizeof *sub);
    if (!sub)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    sub->owner = owner;
    sub->wake = wake;
    sub->ctx = ctx;
    pthread_mutex_lock(&e->lock);
    if (e->n_subs >= e->cfg.max_streams) {
        pthread_mutex_unlock(&e->lock);
        free(sub);
        return lia_err_set(err, LIA_EBUSY,
                           "%zu event streams are open, the most allowed (sse_max_streams)",
                           e->cfg.max_streams);
    }
    sub->next = e->subs;
    e->subs = sub;
    e->n_subs++;
    pthread_mutex_unlock(&e->lock);
    *out = sub;
    return 0;
}

void watch_unsubscribe(struct watch_engine *e, struct watch_subscriber *sub)
{
    if (!sub)
        return;
    pthread_mutex_lock(&e->lock);
    for (struct watch_subscriber **p = &e->subs; *p; p = &(*p)->next) {
        if (*p == sub) {
            *p = sub->next;
            e->n_subs--;
            break;
        }
    }
    pthread_mutex_unlock(&e->lock);
    free(sub);
}
