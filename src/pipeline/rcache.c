/*
 * The response cache: recent answers to TAXII GETs, kept per worker thread
 * and replayed while nothing in the store has changed (docs/architecture.md,
 * "Response cache").
 *
 * A small GET (an object by id, a collection) spends more in beginning and
 * ending its SQLite read transaction (the WAL read lock, taken through shared
 * memory, a process mutex and fcntl) than in its query. So an answer made by
 * the full path, through authentication and the policy in the store query, is
 * kept under a hash of everything it was made from: this API instance, the
 * path, every query parameter, the Accept header (the only request header a
 * TAXII GET reads besides the credentials) and the credentials themselves
 * (the Authorization header, or the verified client certificate). It is
 * replayed only while
 *   - the store's commit generation is the one read before the answer's
 *     transaction began, which had not moved by the time the answer was made
 *     (any commit by the server or by a CLI command beside it moves it: an
 *     object stored or deleted, a token revoked, a grant or partner changed;
 *     all but one that only appends to the audit log, which no answer shows);
 *   - the token it was made for has not expired;
 *   - it is younger than response_cache_ms, a bound on what the generation
 *     cannot see (another program editing the database).
 * Only 200 answers to body-less GETs under /taxii2/ are kept, and never one
 * that disclosed objects to a partner: that read writes its disclosure record
 * (design.md invariant 5), so it goes the full path, and on record, every
 * time. The rate limit, metrics and request log apply to replays as to any
 * other answer.
 */
#include "pipeline/pipeline_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define SLOTS 64

struct entry {
    unsigned char key[32];
    uint64_t gen;
    int64_t born_us;
    uint64_t used;
    struct pipeline_answer *ans; /* NULL: a free slot */
};

struct rcache {
    struct entry e[SLOTS];
    uint64_t clock;
    size_t bytes;
};

static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static atomic_ullong next_instance = 1;

static void drop(struct rcache *rc, struct entry *e)
{
    if (!e->ans)
        return;
    rc->bytes -= e->ans->size;
    pipeline_answer_free(e->ans);
    memset(e, 0, sizeof *e);
}

static void cache_free(void *p)
{
    struct rcache *rc = p;
    for (size_t i = 0; i < SLOTS; i++)
        drop(rc, &rc->e[i]);
    free(rc);
}

static void tls_setup(void)
{
    if (pthread_key_create(&tls_key, cache_free) != 0)
        abort(); /* only at the first request, and only when the process is out of keys */
}

static struct rcache *thread_cache(void)
{
    pthread_once(&tls_once, tls_setup);
    struct rcache *rc = pthread_getspecific(tls_key);
    if (!rc) {
        rc = calloc(1, sizeof *rc);
        if (rc && pthread_setspecific(tls_key, rc) != 0) {
            free(rc);
            rc = NULL;
        }
    }
    return rc;
}

uint64_t pipeline_rcache_instance(void)
{
    return atomic_fetch_add(&next_instance, 1);
}

/* The least recently used kept answer, or NULL when none is kept. */
static struct entry *oldest(struct rcache *rc)
{
    struct entry *old = NULL;
    for (size_t i = 0; i < SLOTS; i++)
        if (rc->e[i].ans && (!old || rc->e[i].used < old->used))
            old = &rc->e[i];
    return old;
}

static struct entry *find(struct rcache *rc, const unsigned char key[32])
{
    for (size_t i = 0; i < SLOTS; i++)
        if (rc->e[i].ans && sodium_memcmp(rc->e[i].key, key, 32) == 0)
            return &rc->e[i];
    return NULL;
}

bool pipeline_rcache_find(struct pipeline *pl, struct pipeline_call *c, struct pipeline_probe *p)
{
    memset(p, 0, sizeof *p);
    const struct http_request *req = c->req;
    if (!pl->cfg.response_cache_bytes || strcmp(req->method, "GET") != 0 || req->body_len ||
        req->body_too_big || req->too_many_params || strncmp(req->path, "/taxii2/", 8) != 0 ||
        !store_generation(pl->store, &p->gen))
        return false;
    pipeline_request_key(pl->instance, req, p->key);
    p->on = true;
    p->at_us = lia_now_us();

    struct rcache *rc = thread_cache();
    struct entry *e = rc ? find(rc, p->key) : NULL;
    if (!e) {
        pipeline_count(PIPELINE_CACHE_MISS, 1);
        return false;
    }
    int64_t now = p->at_us;
    if (e->gen != p->gen || now - e->born_us >= (int64_t)pl->cfg.response_cache_ms * 1000 ||
        (e->ans->expires_us && e->ans->expires_us <= now)) {
        drop(rc, e);
        pipeline_count(PIPELINE_CACHE_MISS, 1);
        return false;
    }
    e->used = ++rc->clock;
    p->hit = e->ans;
    pipeline_answer_who(c, e->ans); /* who asked: for the rate limit and the request log */
    pipeline_count(PIPELINE_CACHE_HIT, 1);
    return true;
}

void pipeline_rcache_keep(struct pipeline *pl, struct pipeline_call *c,
                          const struct pipeline_probe *p)
{
    const struct http_response *resp = c->resp;
    size_t budget = pl->cfg.response_cache_bytes;
    uint64_t now_gen;
    if (!p->on || p->hit || resp->status != 200 || resp->stream || c->ticket.n_parts ||
        !store_generation(pl->store, &now_gen) || now_gen != p->gen)
        return;
    size_t need = pipeline_answer_size(c, false);
    if (need > budget / 8)
        return; /* pages of objects: too big to be worth keeping */
    struct rcache *rc = thread_cache();
    if (!rc)
        return;
    struct entry *slot = find(rc, p->key);
    if (slot)
        drop(rc, slot);
    while (rc->bytes + need > budget) { /* least recently used first */
        struct entry *old = oldest(rc);
        if (!old)
            return;
        drop(rc, old);
    }
    for (size_t i = 0; i < SLOTS && !slot; i++)
        if (!rc->e[i].ans)
            slot = &rc->e[i];
    if (!slot) { /* every slot taken: the least recently used goes */
        slot = oldest(rc);
        drop(rc, slot);
    }
    struct pipeline_answer *a = pipeline_answer_pack(c, false);
    if (!a)
        return;
    memcpy(slot->key, p->key, sizeof slot->key);
    slot->ans = a;
    slot->gen = p->gen;
    slot->born_us = p->at_us; /* made from what the store held then */
    slot->used = ++rc->clock;
    rc->bytes += a->size;
}
