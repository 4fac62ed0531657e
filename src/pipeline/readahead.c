/*
 * Read-ahead: the next page of a paged TAXII listing (objects, manifest,
 * versions), made while the client reads the page it was just sent
 * (docs/architecture.md, "Read-ahead").
 *
 * A client pages by asking again with the `next` token of the last answer,
 * and until it has read that answer the server has nothing to do. So when an
 * answer has a next page, the request that page will be (the same path,
 * parameters, Accept and credentials, with next= the new token) is queued,
 * and a read-ahead thread answers it through pipeline_run (PIPELINE_AHEAD): the
 * same authentication, the same routing, the same store query with the
 * caller's policy in it (design.md invariant 1). The answer is kept under the request's
 * key (answer.c) and sent when that request comes, if it is still right:
 *   - the store's commit generation has not moved since it was read (any
 *     commit but a disclosure record moves it: an object stored or deleted, a
 *     grant, token or partner changed, by this server or a CLI beside it);
 *   - it is younger than response_cache_ms and the token has not expired.
 * A page made for a partner goes on record (design.md invariant 5) when it is
 * made, before it is kept: its disclosure entry is committed, and synced, by
 * the read-ahead thread, while the client is still reading the page before;
 * so no page is ever sent that is not on record, and the sync no longer
 * stands between a partner's request and its answer. A page made and then
 * not sent (not asked for within response_cache_ms, made stale by a commit,
 * pushed out for room, refused by the rate limit, or held at shutdown) gets
 * a withdrawal entry naming the disclosure it takes back. The log
 * can so say more than was sent, never less: should the server stop before
 * the withdrawal is written, the page counts as disclosed.
 * The request that finds its page still queued makes it itself; one that
 * finds it being made waits for it. The rate limit, metrics and the request
 * log count the request, not the read-ahead. Answers made ahead take at most
 * readahead_bytes; the least recently made go first. PostgreSQL stores have
 * no commit generation here, so no read-ahead.
 */
#include "pipeline/pipeline_int.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/prctl.h>

#include <sodium.h>

#define SLOTS 16
#define MAX_THREADS 16

enum { SLOT_FREE, SLOT_QUEUED, SLOT_RUNNING, SLOT_READY };

/* The request to make, with everything it points to in its own arena. */
struct job {
    struct arena arena;
    struct http_request req;
    struct http_param headers[2]; /* Accept, Authorization: all a TAXII GET reads */
};

struct slot {
    int state;
    unsigned char key[32];
    uint64_t seq;                /* when it was queued: the oldest is made first */
    struct job *job;             /* QUEUED */
    struct pipeline_answer *ans; /* READY */
    uint64_t gen;                /* READY: the store's generation it was made from */
    int64_t born_us;             /* READY: when its making began */
};

struct pipeline_readahead {
    struct pipeline *p;
    pthread_mutex_t lock;
    pthread_cond_t work; /* a slot was queued, or stop */
    pthread_cond_t done; /* a slot stopped being made */
    struct slot s[SLOTS];
    uint64_t seq;
    size_t bytes; /* held by READY answers */
    bool stop;
    size_t n_threads;
    pthread_t threads[MAX_THREADS];
};

static void job_free(struct job *j)
{
    if (!j)
        return;
    arena_release(&j->arena);
    free(j);
}

/* Frees slot s; returns the answer it held (on record, for a partner: see withdraw), or NULL. */
static struct pipeline_answer *slot_clear(struct pipeline_readahead *ra, struct slot *s)
{
    struct pipeline_answer *a = s->ans;
    job_free(s->job);
    if (a)
        ra->bytes -= a->size;
    memset(s, 0, sizeof *s);
    return a;
}

/* An answer made and not sent: its disclosure record, if it has one, is taken back on record.
 * Never under ra->lock: it commits, and may wait for other requests' records. */
void pipeline_readahead_withdraw(struct pipeline *p, struct pipeline_answer *a, const char *reason)
{
    if (!a)
        return;
    struct lia_err err;
    lia_err_clear(&err);
    /* On failure the log says more was disclosed than was: the safe side. */
    if (audit_ticket_withdraw(p->recorder, &a->ticket, reason, &err) != 0)
        lia_log(LIA_LOG_WARN, "withdraw_failed", "\"reason\":\"%s\"", err.msg);
    pipeline_count(PIPELINE_AHEAD_DISCARDED, 1);
    pipeline_answer_free(a);
}

static struct slot *find(struct pipeline_readahead *ra, const unsigned char key[32])
{
    for (size_t i = 0; i < SLOTS; i++)
        if (ra->s[i].state != SLOT_FREE && sodium_memcmp(ra->s[i].key, key, 32) == 0)
            return &ra->s[i];
    return NULL;
}

/* The oldest answer made and not taken, other than keep; NULL when there is none. */
static struct slot *oldest_ready(struct pipeline_readahead *ra, const struct slot *keep)
{
    struct slot *old = NULL;
    for (size_t i = 0; i < SLOTS; i++)
        if (ra->s[i].state == SLOT_READY && &ra->s[i] != keep && (!old || ra->s[i].seq < old->seq))
            old = &ra->s[i];
    return old;
}

static const char *copy(struct arena *a, const char *s)
{
    return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

/* The request for the page after the one c answered: c's, with next= its token. */
static struct job *job_new(const struct pipeline_call *c)
{
    const struct http_request *in = c->req;
    struct job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    arena_init(&j->arena, 0);
    struct arena *a = &j->arena;
    struct http_request *r = &j->req;
    r->arena = NULL; /* the making gets an arena of its own, bounded like a request's */
    r->method = "GET";
    r->path = copy(a, in->path);
    bool ok = r->path != NULL;
    for (size_t i = 0; i < in->n_params && ok; i++) {
        if (!strcmp(in->params[i].key, "next"))
            continue;
        if (r->n_params == HTTP_MAX_PARAMS - 1) {
            ok = false;
            break;
        }
        r->params[r->n_params].key = copy(a, in->params[i].key);
        r->params[r->n_params].value = copy(a, in->params[i].value);
        ok = r->params[r->n_params].key && (!in->params[i].value || r->params[r->n_params].value);
        r->n_params++;
    }
    if (ok) {
        r->params[r->n_params].key = "next";
        r->params[r->n_params].value = copy(a, c->next);
        ok = r->params[r->n_params++].value != NULL;
    }
    const char *names[2] = {"Accept", "Authorization"};
    for (size_t i = 0; i < 2 && ok; i++) {
        const char *v = http_header(in, names[i]);
        if (!v)
            continue;
        j->headers[r->n_headers].key = names[i];
        j->headers[r->n_headers].value = copy(a, v);
        ok = j->headers[r->n_headers++].value != NULL;
    }
    r->headers = j->headers;
    r->client_addr = copy(a, in->client_addr);
    r->tls = in->tls;
    r->client_cert_fingerprint = copy(a, in->client_cert_fingerprint);
    r->client_cert_subject = copy(a, in->client_cert_subject);
    if (!ok || (in->client_addr && !r->client_addr) ||
        (in->client_cert_fingerprint && !r->client_cert_fingerprint) ||
        (in->client_cert_subject && !r->client_cert_subject)) {
        job_free(j);
        return NULL;
    }
    return j;
}

void pipeline_readahead_schedule(struct pipeline *p, struct pipeline_call *c)
{
    struct pipeline_readahead *ra = p->ahead;
    uint64_t gen;
    if (!ra || !c->next || c->resp->status != 200 || c->resp->stream ||
        strcmp(c->req->method, "GET") != 0 || !store_generation(p->store, &gen))
        return;
    /* Queued before this answer is sent, so that the next request, on whichever connection,
     * finds it (queued, being made or made): never makes it twice. */
    struct job *j = job_new(c);
    if (!j)
        return;
    unsigned char key[32];
    pipeline_request_key(p->instance, &j->req, key);
    pthread_mutex_lock(&ra->lock);
    struct slot *s = NULL;
    struct pipeline_answer *evicted = NULL;
    if (!ra->stop && !find(ra, key)) {
        for (size_t i = 0; i < SLOTS && !s; i++)
            if (ra->s[i].state == SLOT_FREE)
                s = &ra->s[i];
        if (!s && (s = oldest_ready(ra, NULL)) != NULL)
            evicted = slot_clear(ra, s); /* made, never asked for: the newest matters more */
    }
    if (s) {
        s->state = SLOT_QUEUED;
        memcpy(s->key, key, sizeof s->key);
        s->seq = ++ra->seq;
        s->job = j;
        j = NULL;
        pthread_cond_signal(&ra->work);
    }
    pthread_mutex_unlock(&ra->lock);
    job_free(j);
    pipeline_readahead_withdraw(p, evicted, "room for a newer page");
}

/* Answers job as its request would be answered; the answer, on record, or NULL when it is
 * not one to keep (not a 200, too large, or the store changed while it was made). */
static struct pipeline_answer *make(struct pipeline_readahead *ra, struct job *j, uint64_t *gen)
{
    struct pipeline *p = ra->p;
    struct arena a;
    arena_init(&a, p->cfg.request_memory);
    j->req.arena = &a;
    struct http_response resp;
    memset(&resp, 0, sizeof resp);
    dbuf_init(&resp.body, p->cfg.max_response);
    struct pipeline_call call;
    pipeline_call_init(&call, PIPELINE_AHEAD, &j->req, &resp);
    pipeline_run(p, &call);
    struct pipeline_answer *ans = call.ahead;
    call.ahead = NULL;
    *gen = call.gen; /* what it was made from: pipeline_run checked it had not moved since */
    pipeline_finish(p, &call);
    dbuf_release(&resp.body);
    arena_release(&a);
    j->req.arena = NULL;
    return ans;
}

/* The answers a pass of run gives up, withdrawn after the lock: at most every slot's and the
 * one just made. */
struct dropped {
    struct pipeline_answer *a[SLOTS + 1];
    const char *why[SLOTS + 1];
    size_t n;
};

static void drop(struct dropped *d, struct pipeline_answer *a, const char *why)
{
    if (!a)
        return;
    if (d->n == SLOTS + 1) { /* cannot happen; were it to, the page stays on record as sent */
        pipeline_answer_free(a);
        return;
    }
    d->a[d->n] = a;
    d->why[d->n++] = why;
}

static void withdraw_all(struct pipeline *p, struct dropped *d)
{
    for (size_t i = 0; i < d->n; i++)
        pipeline_readahead_withdraw(p, d->a[i], d->why[i]);
    d->n = 0;
}

/* Gives up answers kept longer than response_cache_ms: their clients stopped paging. */
static void sweep(struct pipeline_readahead *ra, struct dropped *d, int64_t *next_us)
{
    int64_t now = lia_now_us(), max_us = (int64_t)ra->p->cfg.response_cache_ms * 1000;
    *next_us = 0;
    for (size_t i = 0; i < SLOTS; i++) {
        struct slot *s = &ra->s[i];
        if (s->state != SLOT_READY)
            continue;
        if (now - s->born_us >= max_us)
            drop(d, slot_clear(ra, s), "not asked for in time");
        else if (!*next_us || s->born_us + max_us < *next_us)
            *next_us = s->born_us + max_us;
    }
}

static void *run(void *arg)
{
    struct pipeline_readahead *ra = arg;
    struct pipeline *p = ra->p;
    size_t budget = p->cfg.readahead_bytes;
    prctl(PR_SET_NAME, "readahead", 0, 0, 0); /* for top -H and ps -L */
    struct dropped d = {.n = 0};
    pthread_mutex_lock(&ra->lock);
    for (;;) {
        struct slot *s = NULL;
        while (!ra->stop) {
            int64_t next_us;
            sweep(ra, &d, &next_us);
            if (d.n) { /* withdrawals commit: not under the lock */
                pthread_mutex_unlock(&ra->lock);
                withdraw_all(p, &d);
                pthread_mutex_lock(&ra->lock);
                continue;
            }
            for (size_t i = 0; i < SLOTS; i++)
                if (ra->s[i].state == SLOT_QUEUED && (!s || ra->s[i].seq < s->seq))
                    s = &ra->s[i];
            if (s)
                break;
            if (next_us) {                /* wake when the oldest kept answer is due to go */
                int64_t at = next_us + 1; /* lia_now_us: CLOCK_REALTIME, the condition's clock */
                struct timespec ts = {.tv_sec = (time_t)(at / 1000000),
                                      .tv_nsec = (long)(at % 1000000) * 1000};
                pthread_cond_timedwait(&ra->work, &ra->lock, &ts);
            } else {
                pthread_cond_wait(&ra->work, &ra->lock);
            }
        }
        if (ra->stop)
            break;
        /* RUNNING: nobody else touches the slot until it is READY or FREE again. */
        s->state = SLOT_RUNNING;
        struct job *j = s->job;
        s->job = NULL;
        pthread_mutex_unlock(&ra->lock);
        int64_t born = lia_now_us();
        uint64_t gen = 0;
        struct pipeline_answer *a = make(ra, j, &gen);
        job_free(j);
        pthread_mutex_lock(&ra->lock);
        if (a && a->size <= budget && !ra->stop) {
            struct slot *old;
            while (ra->bytes + a->size > budget && (old = oldest_ready(ra, s)) != NULL)
                drop(&d, slot_clear(ra, old), "room for a newer page");
        }
        if (a && ra->bytes + a->size <= budget && !ra->stop) {
            s->state = SLOT_READY;
            s->ans = a;
            s->gen = gen;
            s->born_us = born;
            ra->bytes += a->size;
            a = NULL;
            pipeline_count(PIPELINE_AHEAD_MADE, 1);
        } else {
            slot_clear(ra, s);
            drop(&d, a, ra->stop ? "server stopping" : "no room");
        }
        pthread_cond_broadcast(&ra->done);
        pthread_mutex_unlock(&ra->lock);
        withdraw_all(p, &d);
        pthread_mutex_lock(&ra->lock);
    }
    pthread_mutex_unlock(&ra->lock);
    return NULL;
}

struct pipeline_answer *pipeline_readahead_take(struct pipeline *p, struct pipeline_call *c,
                                                const unsigned char *key_known)
{
    struct pipeline_readahead *ra = p->ahead;
    const struct http_request *req = c->req;
    if (!ra || strcmp(req->method, "GET") != 0 || req->body_len || req->body_too_big ||
        req->too_many_params || strncmp(req->path, "/taxii2/", 8) != 0)
        return NULL;
    bool paging = false; /* only a request with next= can have been made ahead */
    for (size_t i = 0; i < req->n_params && !paging; i++)
        paging = !strcmp(req->params[i].key, "next");
    if (!paging)
        return NULL;
    unsigned char key[32];
    if (key_known) /* the response cache's probe hashed the same things */
        memcpy(key, key_known, sizeof key);
    else
        pipeline_request_key(p->instance, req, key);
    struct pipeline_answer *a = NULL;
    uint64_t gen = 0;
    int64_t born = 0;
    pthread_mutex_lock(&ra->lock);
    struct slot *s;
    while ((s = find(ra, key)) != NULL && s->state == SLOT_RUNNING)
        pthread_cond_wait(&ra->done, &ra->lock);
    if (s && s->state == SLOT_READY) {
        gen = s->gen;
        born = s->born_us;
    }
    if (s) /* taken; or queued and not begun: this request makes it itself */
        a = slot_clear(ra, s);
    pthread_mutex_unlock(&ra->lock);
    if (!a)
        return NULL;
    uint64_t now_gen;
    int64_t now = lia_now_us();
    const char *stale =
        !store_generation(p->store, &now_gen) || now_gen != gen  ? "the store changed"
        : now - born >= (int64_t)p->cfg.response_cache_ms * 1000 ? "not asked for in time"
        : a->expires_us && a->expires_us <= now                  ? "token expired"
                                                                 : NULL;
    if (stale) {
        pipeline_readahead_withdraw(p, a, stale);
        return NULL;
    }
    pipeline_answer_who(c, a);
    return a;
}

int pipeline_readahead_start(struct pipeline *p, struct lia_err *err)
{
    uint64_t gen;
    size_t n = p->cfg.readahead_threads;
    if (n == 0 || p->cfg.readahead_bytes == 0 || !store_generation(p->store, &gen))
        return 0;
    if (n > MAX_THREADS)
        return lia_err_set(err, LIA_EINVAL, "readahead_threads: at most %d", MAX_THREADS);
    struct pipeline_readahead *ra = calloc(1, sizeof *ra);
    if (!ra)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    ra->p = p;
    pthread_mutex_init(&ra->lock, NULL);
    pthread_cond_init(&ra->work, NULL);
    pthread_cond_init(&ra->done, NULL);
    /* The threads take no signal: a SIGTERM that came while the server starts would otherwise
     * kill it, delivered to a thread that blocks none (the server waits for it with sigwait
     * in one thread, and blocks it in the others it starts after). */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (; ra->n_threads < n; ra->n_threads++)
        if (pthread_create(&ra->threads[ra->n_threads], NULL, run, ra) != 0)
            break;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    p->ahead = ra;
    if (ra->n_threads == 0) { /* nothing to join, nothing made: stop only frees */
        pipeline_readahead_stop(p);
        return lia_err_set(err, LIA_ENOMEM, "cannot start the read-ahead threads");
    }
    return 0;
}

void pipeline_readahead_stop(struct pipeline *p)
{
    struct pipeline_readahead *ra = p->ahead;
    if (!ra)
        return;
    pthread_mutex_lock(&ra->lock);
    ra->stop = true;
    pthread_cond_broadcast(&ra->work);
    pthread_mutex_unlock(&ra->lock);
    for (size_t i = 0; i < ra->n_threads; i++)
        pthread_join(ra->threads[i], NULL);
    for (size_t i = 0; i < SLOTS; i++)
        pipeline_readahead_withdraw(p, slot_clear(ra, &ra->s[i]), "server stopping");
    pthread_cond_destroy(&ra->done);
    pthread_cond_destroy(&ra->work);
    pthread_mutex_destroy(&ra->lock);
    free(ra);
    p->ahead = NULL;
}
