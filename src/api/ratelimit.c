/*
 * Per-principal request rate limit: a token bucket per principal (a
 * partner, or a local token), refilled at rate_limit requests per second up
 * to rate_burst. The buckets live in a fixed table, so a flood of distinct
 * principals cannot grow memory. A principal's bucket is found by hashing its
 * key and probing a few slots from there (every request pays a look-up, so no
 * scan of the whole table); when all of them belong to others, the least
 * recently used of them is reused (its owner starts again with a full burst,
 * which only errs towards serving).
 *
 * Failed authentications are throttled per client address the same way
 * (auth_failure_rate per minute, auth_failure_burst at once), in a table of
 * their own: while an address's bucket is empty, its requests are answered
 * 429 with Retry-After before their credentials are even looked at, so that
 * guessing gets no answer at all, right or wrong. A legitimate client behind
 * the same address (a NAT) waits too; that is the price. Requests built in
 * memory (fuzzing, no address) are not throttled.
 */
#include "api/api_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define BUCKETS 1024
#define PROBES 8 /* slots a principal may hash to */

struct bucket {
    char key[64];
    double tokens;
    int64_t last_us;
};

static struct bucket buckets[BUCKETS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static struct bucket failures[BUCKETS]; /* per client address, under lock */
static atomic_ullong n_auth_failed, n_auth_blocked;

/* The bucket of key in table (made full when absent). Caller holds lock. */
static struct bucket *bucket_find(struct bucket *table, const char *key, double burst, int64_t now)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *p = key; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    struct bucket *b = NULL, *oldest = &table[h % BUCKETS];
    for (size_t i = 0; i < PROBES && !b; i++) {
        struct bucket *cand = &table[(h + i) % BUCKETS];
        if (!strcmp(cand->key, key))
            b = cand;
        else if (cand->last_us < oldest->last_us)
            oldest = cand;
    }
    if (!b) {
        b = oldest;
        snprintf(b->key, sizeof b->key, "%s", key);
        b->tokens = burst;
        b->last_us = now;
    }
    return b;
}

/* Refills b at rate per second up to burst. */
static void bucket_refill(struct bucket *b, double rate, double burst, int64_t now)
{
    b->tokens += (double)(now - b->last_us) / 1e6 * rate;
    if (b->tokens > burst)
        b->tokens = burst;
    b->last_us = now;
}

/* The failure bucket of c's address, refilled to now, with lock held (the caller unlocks);
 * NULL (lock not taken) when failures are not throttled for c. *rate: per second. */
static struct bucket *failure_bucket(struct api_call *c, double *rate)
{
    const struct api_config *cfg = &c->api->cfg;
    if (!cfg->auth_failure_rate || !c->req->client_addr)
        return NULL;
    *rate = (double)cfg->auth_failure_rate / 60.0;
    double burst = (double)(cfg->auth_failure_burst ? cfg->auth_failure_burst : 1);
    int64_t now = lia_now_us();
    pthread_mutex_lock(&lock);
    struct bucket *b = bucket_find(failures, c->req->client_addr, burst, now);
    bucket_refill(b, *rate, burst, now);
    return b;
}

bool api_auth_blocked(struct api_call *c, int64_t *retry_after_s)
{
    double rate;
    struct bucket *b = failure_bucket(c, &rate);
    if (!b)
        return false;
    bool blocked = b->tokens < 1.0;
    if (blocked)
        *retry_after_s = (int64_t)((1.0 - b->tokens) / rate) + 1;
    pthread_mutex_unlock(&lock);
    if (blocked)
        atomic_fetch_add(&n_auth_blocked, 1);
    return blocked;
}

void api_auth_failed(struct api_call *c)
{
    atomic_fetch_add(&n_auth_failed, 1);
    double rate;
    struct bucket *b = failure_bucket(c, &rate);
    if (!b)
        return;
    b->tokens = b->tokens >= 1.0 ? b->tokens - 1.0 : 0.0;
    pthread_mutex_unlock(&lock);
}

int api_ratelimit_metrics(struct dbuf *b)
{
    struct http_counters h;
    http_counters_get(&h);
    return dbuf_printf(
        b,
        "# HELP liaison_auth_failures_total Requests whose credentials were refused (401).\n"
        "# TYPE liaison_auth_failures_total counter\n"
        "liaison_auth_failures_total %llu\n"
        "# HELP liaison_auth_throttled_total Requests refused (429) because their address "
        "failed to authenticate too often.\n"
        "# TYPE liaison_auth_throttled_total counter\n"
        "liaison_auth_throttled_total %llu\n"
        "# HELP liaison_connections_refused_total Connections refused at once because "
        "unauthenticated addresses held all but reserved_connections.\n"
        "# TYPE liaison_connections_refused_total counter\n"
        "liaison_connections_refused_total %llu\n"
        "# HELP liaison_connections_closed_late_total Connections closed because a request's "
        "head (header_timeout) or body (body_timeout) was not complete in time.\n"
        "# TYPE liaison_connections_closed_late_total counter\n"
        "liaison_connections_closed_late_total{phase=\"head\"} %llu\n"
        "liaison_connections_closed_late_total{phase=\"body\"} %llu\n"
        "# HELP liaison_requests_refused_framing_total Requests refused for ambiguous "
        "framing (Content-Length with Transfer-Encoding, repeated lengths, folded headers, "
        "unknown codings).\n"
        "# TYPE liaison_requests_refused_framing_total counter\n"
        "liaison_requests_refused_framing_total %llu\n"
        "# HELP liaison_discarded_bytes_total Body bytes of refused requests read and "
        "thrown away.\n"
        "# TYPE liaison_discarded_bytes_total counter\n"
        "liaison_discarded_bytes_total %llu\n",
        atomic_load(&n_auth_failed), atomic_load(&n_auth_blocked),
        (unsigned long long)h.refused_reserved, (unsigned long long)h.closed_header_late,
        (unsigned long long)h.closed_body_late, (unsigned long long)h.refused_framing,
        (unsigned long long)h.discarded_bytes);
}

int api_rate_check(struct api_call *c, int64_t *retry_after_s)
{
    const struct api_config *cfg = &c->api->cfg;
    if (cfg->rate_limit == 0)
        return 0;
    char key[64];
    if (c->who->partner)
        snprintf(key, sizeof key, "p:%lld", (long long)c->who->partner);
    else
        snprintf(key, sizeof key, "t:%s", c->who->token_id ? c->who->token_id : "");
    int64_t now = lia_now_us();
    double rate = (double)cfg->rate_limit, burst = (double)(cfg->rate_burst ? cfg->rate_burst : 1);
    int allowed = 1;
    pthread_mutex_lock(&lock);
    struct bucket *b = bucket_find(buckets, key, burst, now);
    bucket_refill(b, rate, burst, now);
    if (b->tokens >= 1.0) {
        b->tokens -= 1.0;
    } else {
        allowed = 0;
        double wait = (1.0 - b->tokens) / rate;
        *retry_after_s = (int64_t)wait + 1;
    }
    pthread_mutex_unlock(&lock);
    return allowed ? 0 : -1;
}
