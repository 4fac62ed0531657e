/*
 * Per-principal request rate limit: a token bucket per principal (a
 * partner, or a local token), refilled at rate_limit requests per second up
 * to rate_burst. The buckets live in a fixed table, so a flood of distinct
 * principals cannot grow memory. A principal's bucket is found by hashing its
 * key and probing a few slots from there (every request pays a look-up, so no
 * scan of the whole table); when all of them belong to others, the least
 * recently used of them is reused (its owner starts again with a full burst,
 * which only errs towards serving).
 */
#include "api/api_int.h"

#include <pthread.h>
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
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *p = key; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    pthread_mutex_lock(&lock);
    struct bucket *b = NULL, *oldest = &buckets[h % BUCKETS];
    for (size_t i = 0; i < PROBES && !b; i++) {
        struct bucket *cand = &buckets[(h + i) % BUCKETS];
        if (!strcmp(cand->key, key))
            b = cand;
        else if (cand->last_us < oldest->last_us)
            oldest = cand;
    }
    if (!b) {
        b = oldest;
        memcpy(b->key, key, sizeof key);
        b->tokens = burst;
        b->last_us = now;
    }
    b->tokens += (double)(now - b->last_us) / 1e6 * rate;
    if (b->tokens > burst)
        b->tokens = burst;
    b->last_us = now;
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
