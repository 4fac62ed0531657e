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
#include "api/api_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define SLOTS 64

struct entry {
    unsigned char key[32];
    bool live;
    uint64_t gen;
    int64_t born_us, expires_us;
    uint64_t used;
    char *block; /* one allocation: the strings and the body */
    size_t size;
    int status;
    const char *content_type;
    size_t n_headers;
    const char *names[HTTP_MAX_RESP_HEADERS];
    const char *values[HTTP_MAX_RESP_HEADERS];
    const char *actor, *token_id, *name;
    int64_t partner;
    const char *body;
    size_t body_len;
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
    if (!e->live)
        return;
    rc->bytes -= e->size;
    free(e->block);
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

uint64_t api_rcache_instance(void)
{
    return atomic_fetch_add(&next_instance, 1);
}

static void hash_field(crypto_generichash_state *st, const char *s)
{
    uint64_t n = s ? strlen(s) : UINT64_MAX; /* absent differs from empty */
    crypto_generichash_update(st, (const unsigned char *)&n, sizeof n);
    if (s)
        crypto_generichash_update(st, (const unsigned char *)s, (size_t)n);
}

/* The least recently used kept answer, or NULL when none is kept. */
static struct entry *oldest(struct rcache *rc)
{
    struct entry *old = NULL;
    for (size_t i = 0; i < SLOTS; i++)
        if (rc->e[i].live && (!old || rc->e[i].used < old->used))
            old = &rc->e[i];
    return old;
}

static struct entry *find(struct rcache *rc, const unsigned char key[32])
{
    for (size_t i = 0; i < SLOTS; i++)
        if (rc->e[i].live && sodium_memcmp(rc->e[i].key, key, 32) == 0)
            return &rc->e[i];
    return NULL;
}

bool api_rcache_find(struct api_call *c, struct api_rcache_probe *p)
{
    memset(p, 0, sizeof *p);
    const struct http_request *req = c->req;
    if (!c->api->cfg.response_cache_bytes || strcmp(req->method, "GET") != 0 || req->body_len ||
        req->body_too_big || req->too_many_params || strncmp(req->path, "/taxii2/", 8) != 0 ||
        !store_generation(c->api->store, &p->gen))
        return false;
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof p->key);
    crypto_generichash_update(&st, (const unsigned char *)&c->api->instance,
                              sizeof c->api->instance);
    hash_field(&st, req->path);
    uint64_t n = req->n_params;
    crypto_generichash_update(&st, (const unsigned char *)&n, sizeof n);
    for (size_t i = 0; i < req->n_params; i++) {
        hash_field(&st, req->params[i].key);
        hash_field(&st, req->params[i].value);
    }
    hash_field(&st, http_header(req, "Accept"));
    hash_field(&st, http_header(req, "Authorization"));
    hash_field(&st, req->client_cert_fingerprint);
    hash_field(&st, req->client_cert_subject);
    crypto_generichash_final(&st, p->key, sizeof p->key);
    p->on = true;
    p->at_us = lia_now_us();

    struct rcache *rc = thread_cache();
    struct entry *e = rc ? find(rc, p->key) : NULL;
    if (!e) {
        api_metrics_rcache(false);
        return false;
    }
    int64_t now = p->at_us;
    if (e->gen != p->gen || now - e->born_us >= (int64_t)c->api->cfg.response_cache_ms * 1000 ||
        (e->expires_us && e->expires_us <= now)) {
        drop(rc, e);
        api_metrics_rcache(false);
        return false;
    }
    e->used = ++rc->clock;
    p->hit = e;
    /* Who asked: for the rate limit and the request log. */
    c->who.actor = e->actor;
    c->who.token_id = e->token_id;
    c->who.name = e->name;
    c->who.partner = e->partner;
    c->who.expires = e->expires_us;
    api_metrics_rcache(true);
    return true;
}

void api_rcache_replay(struct api_call *c, const struct api_rcache_probe *p)
{
    const struct entry *e = p->hit;
    if (!e)
        return;
    struct http_response *resp = c->resp;
    if (e->body_len && dbuf_append(&resp->body, e->body, e->body_len)) {
        api_fail(c, 500, "Internal error", "out of memory");
        return;
    }
    resp->status = e->status;
    resp->content_type = e->content_type;
    for (size_t i = 0; i < e->n_headers; i++)
        http_add_header(resp, e->names[i], e->values[i]);
}

/* Copies s into the block at *at. */
static const char *put(char **at, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    memcpy(*at, s, n);
    const char *r = *at;
    *at += n;
    return r;
}

static size_t len0(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

void api_rcache_keep(struct api_call *c, const struct api_rcache_probe *p)
{
    const struct http_response *resp = c->resp;
    size_t budget = c->api->cfg.response_cache_bytes;
    uint64_t now_gen;
    if (!p->on || p->hit || resp->status != 200 || resp->stream || c->disclosed ||
        !store_generation(c->api->store, &now_gen) || now_gen != p->gen)
        return;
    size_t need = sizeof(struct entry) + resp->body.len + len0(resp->content_type) +
                  len0(c->who.actor) + len0(c->who.token_id) + len0(c->who.name);
    for (size_t i = 0; i < resp->n_headers; i++)
        need += len0(resp->header_names[i]) + len0(resp->header_values[i]);
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
        if (!rc->e[i].live)
            slot = &rc->e[i];
    if (!slot) { /* every slot taken: the least recently used goes */
        slot = oldest(rc);
        drop(rc, slot);
    }
    char *block = malloc(need - sizeof(struct entry));
    if (!block)
        return;
    char *at = block;
    struct entry *e = slot;
    memcpy(e->key, p->key, sizeof e->key);
    e->block = block;
    e->size = need;
    e->gen = p->gen;
    e->born_us = p->at_us; /* made from what the store held then */
    e->expires_us = c->who.expires;
    e->status = resp->status;
    e->body = at;
    if (resp->body.len)
        memcpy(at, resp->body.ptr, resp->body.len);
    at += resp->body.len;
    e->body_len = resp->body.len;
    e->content_type = put(&at, resp->content_type);
    e->n_headers = resp->n_headers;
    for (size_t i = 0; i < resp->n_headers; i++) {
        e->names[i] = put(&at, resp->header_names[i]);
        e->values[i] = put(&at, resp->header_values[i]);
    }
    e->actor = put(&at, c->who.actor);
    e->token_id = put(&at, c->who.token_id);
    e->name = put(&at, c->who.name);
    e->partner = c->who.partner;
    e->used = ++rc->clock;
    e->live = true;
    rc->bytes += need;
}
