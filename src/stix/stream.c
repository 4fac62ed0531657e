/*
 * Parallel parse of a large envelope: the same strictness, on two cores.
 *
 * The span scanner runs first, on bytes not yet known to be JSON, and the text is split in
 * two: the skeleton, where element i of the "objects" array is replaced by the number i,
 * and the elements themselves. The skeleton is parsed strictly and must hold exactly the
 * numbers 0..n-1 as its "objects" elements; each element is parsed strictly, by one of two
 * threads, and must be a JSON object. The scanner tells strings apart exactly as
 * JSON does, so a number it wrote lies outside every string of the skeleton; then the text
 * is the skeleton with valid objects put where valid numbers were, so it is valid JSON with
 * the same tree, duplicate keys having been looked for at every level. Anything else
 * (a scanner confused by broken input, an element that does not parse) falls back to the
 * one strict parse of the whole text, which gives the error its exact position.
 */
#include "stix/stix_internal.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* stix_set_fast_parse: speed machinery only, on and off measured in bench/ (bench/ingest_ab). */
static atomic_bool fast_parse_on = true;

void stix_set_fast_parse(bool on)
{
    atomic_store(&fast_parse_on, on);
}

static size_t split_min_items = 64, split_min_bytes = 64 * 1024;

void stix_set_split_thresholds(size_t min_items, size_t min_bytes)
{
    split_min_items = min_items ? min_items : 1;
    split_min_bytes = min_bytes;
}

static pthread_once_t seed_once = PTHREAD_ONCE_INIT;
static void seed_jansson(void)
{
    json_object_seed(0); /* before two threads may build objects at once */
}

static atomic_ulong parallel_parses;

unsigned long stix_parallel_parses(void)
{
    return atomic_load(&parallel_parses);
}

/*
 * The stream: two threads parse the elements (even and odd ones, so they come out nearly in
 * order) while the caller may already work on those that are ready (api/post.c), or just
 * waits for all (stix_parse_envelope). Only the skeleton is checked before the first
 * element is handed out; an element that fails makes the caller start over with the whole
 * parse, which gives the exact error.
 */
struct stix_stream {
    const char *text;
    size_t n;
    struct stix_span *spans;
    json_t **objs;
    struct stix_checked *checked; /* validation of each parsed item */
    unsigned char *state;         /* 0 pending, 1 parsed, 2 failed; guarded by lock */
    json_t *root;                 /* the skeleton */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t th[2];
    int threads;
    bool stop;
    bool validate;                /* also run stix_validate_object on each item */
    struct stix_arena *arenas;    /* the two threads' (parse_arena.c), or NULL: the heap */
    struct stix_stream_work work; /* size 0: none */
    unsigned char *slots;         /* n slots of work.size bytes */
    struct arena work_a[2];       /* each thread's, for its work */
};

struct stream_worker {
    struct stix_stream *s;
    size_t first;
};

static void *stream_main(void *arg)
{
    struct stream_worker *w = arg;
    struct stix_stream *s = w->s;
    for (size_t i = w->first; i < s->n; i += 2) {
        pthread_mutex_lock(&s->lock);
        bool stop = s->stop;
        pthread_mutex_unlock(&s->lock);
        if (stop)
            break;
        json_error_t je;
        stix_arena_use(s->arenas ? &s->arenas[w->first] : NULL);
        const char *at = s->text + s->spans[i].start;
        size_t len = s->spans[i].end - s->spans[i].start;
        /* what it does not take, jansson decides */
        json_t *o = atomic_load(&fast_parse_on) ? stix_fast_parse_object(at, len) : NULL;
        if (!o)
            o = json_loadb(at, len, JSON_REJECT_DUPLICATES, &je);
        stix_arena_use(NULL); /* only the parse: nothing else may take arena memory */
        bool ok = json_is_object(o);
        if (!ok) {
            json_decref(o);
            o = NULL;
        } else if (s->validate) { /* validation is pure: done here, off the storing thread */
            struct stix_checked *ck = &s->checked[i];
            lia_err_clear(&ck->why);
            ck->rc = stix_validate_object(o, &ck->info, &ck->why);
            void *slot = s->slots ? s->slots + i * s->work.size : NULL;
            if (ck->rc == 0 && slot &&
                s->work.fn(o, &ck->info, s->text + s->spans[i].start,
                           s->spans[i].end - s->spans[i].start, slot, &s->work_a[w->first]))
                ck->slot = slot;
        }
        pthread_mutex_lock(&s->lock);
        s->objs[i] = o;
        s->state[i] = ok ? 1 : 2;
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
    }
    free(w);
    return NULL;
}

static void stream_free(struct stix_stream *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    pthread_mutex_unlock(&s->lock);
    for (int i = 0; i < s->threads; i++)
        pthread_join(s->th[i], NULL);
    if (s->objs)
        for (size_t i = 0; i < s->n; i++)
            json_decref(s->objs[i]);
    free(s->objs);
    free(s->checked);
    free(s->state);
    free(s->spans);
    json_decref(s->root);
    stix_arenas_free(s->arenas); /* after every tree built in them */
    free(s->slots);
    arena_release(&s->work_a[0]);
    arena_release(&s->work_a[1]);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s);
}

int stix_stream_start(const char *text, size_t len, const struct stix_limits *limits, bool validate,
                      const struct stix_stream_work *work, struct stix_stream **out,
                      size_t *n_items)
{
    *out = NULL;
    *n_items = 0;
    struct stix_json_limits lim = stix_effective_limits(limits);
    if (!text || len < split_min_bytes || stix_prescan(text, len, &lim, NULL) != LIA_OK)
        return -1;
    struct stix_span *spans;
    size_t n = stix_scan_spans(text, len, &spans, lim.objects);
    if (n == 0 || n < split_min_items) {
        free(spans);
        return -1;
    }
    struct stix_stream *s = calloc(1, sizeof *s);
    char *skel = malloc(len + 32);
    if (!s || !skel) {
        free(s);
        free(skel);
        free(spans);
        return -1;
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    s->text = text;
    s->n = n;
    s->spans = spans;
    s->validate = validate;
    s->objs = calloc(n, sizeof(json_t *));
    s->checked = calloc(n, sizeof *s->checked);
    s->state = calloc(n, 1);
    s->arenas = stix_arena_ready() ? calloc(2, sizeof *s->arenas) : NULL;
    /* The work's memory is bounded by the text's size; past that, the caller does it. */
    for (int t = 0; t < 2; t++)
        arena_init(&s->work_a[t], 2 * len + (1u << 20));
    if (validate && work && work->size && work->fn) {
        s->work = *work;
        s->slots = calloc(n, work->size);
    }
    size_t k = 0, at = 0;
    bool ok = s->objs && s->state && s->checked && (!s->work.size || s->slots);
    for (size_t i = 0; ok && i < n; i++) {
        memcpy(skel + k, text + at, spans[i].start - at);
        k += spans[i].start - at;
        k += (size_t)snprintf(skel + k, 24, "%zu", i);
        at = spans[i].end;
        ok = k <= at;
    }
    if (ok) {
        memcpy(skel + k, text + at, len - at);
        k += len - at;
        json_error_t je;
        s->root = json_loadb(skel, k, JSON_REJECT_DUPLICATES, &je);
        json_t *list = json_object_get(s->root, "objects");
        struct stix_envelope probe = {0};
        ok = json_is_object(s->root) && json_is_array(list) && json_array_size(list) == n &&
             stix_check_envelope_root(s->root, &probe, false, NULL) == LIA_OK;
        for (size_t i = 0; ok && i < n; i++) {
            json_t *e = json_array_get(list, i);
            ok = json_is_integer(e) && json_integer_value(e) == (json_int_t)i;
        }
    }
    free(skel);
    if (!ok) {
        stream_free(s);
        return -1;
    }
    pthread_once(&seed_once, seed_jansson);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* signals stay with the server's own threads */
    for (size_t t = 0; t < 2; t++) {
        struct stream_worker *w = malloc(sizeof *w);
        if (!w)
            break;
        w->s = s;
        w->first = t;
        if (pthread_create(&s->th[s->threads], NULL, stream_main, w) != 0) {
            free(w);
            break;
        }
        s->threads++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (s->threads < 2) {
        stream_free(s);
        return -1;
    }
    *out = s;
    *n_items = n;
    return 0;
}

json_t *stix_stream_item(struct stix_stream *s, size_t i, const char **text, size_t *len,
                         const struct stix_checked **checked)
{
    if (i >= s->n)
        return NULL;
    pthread_mutex_lock(&s->lock);
    while (s->state[i] == 0)
        pthread_cond_wait(&s->cond, &s->lock);
    json_t *o = s->state[i] == 1 ? s->objs[i] : NULL;
    pthread_mutex_unlock(&s->lock);
    *text = s->text + s->spans[i].start;
    *len = s->spans[i].end - s->spans[i].start;
    if (checked)
        *checked = &s->checked[i];
    return o;
}

int stix_stream_finish(struct stix_stream *s, struct stix_envelope *env, struct lia_err *err)
{
    memset(env, 0, sizeof *env);
    int rc = -1;
    const size_t n = s->n;
    if (n == 0) { /* stix_stream_start never makes one: the whole parse decides */
        stream_free(s);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *t;
        size_t l;
        if (!stix_stream_item(s, i, &t, &l, NULL))
            goto out;
    }
    for (int i = 0; i < s->threads; i++)
        pthread_join(s->th[i], NULL);
    s->threads = 0;
    json_t *list = json_object_get(s->root, "objects");
    for (size_t i = 0; i < n; i++) {
        if (json_array_set_new(list, i, s->objs[i]) != 0)
            goto out;
        s->objs[i] = NULL;
    }
    rc = stix_check_envelope_root(s->root, env, true, err);
    if (rc == LIA_OK) {
        env->items = calloc(n, sizeof *env->items);
        if (!env->items) {
            rc = lia_err_set(err, LIA_ENOMEM, "out of memory splitting %zu objects", n);
        } else {
            for (size_t i = 0; i < n; i++) {
                env->items[i].obj = json_array_get(list, i);
                env->items[i].text = s->text + s->spans[i].start;
                env->items[i].len = s->spans[i].end - s->spans[i].start;
            }
            env->n_items = n;
            env->root = s->root;
            s->root = NULL;
            env->arenas = s->arenas;
            s->arenas = NULL;
            atomic_fetch_add(&parallel_parses, 1);
        }
    }
out:
    if (rc != LIA_OK)
        memset(env, 0, sizeof *env);
    stream_free(s);
    return rc;
}

void stix_stream_abort(struct stix_stream *s)
{
    stream_free(s);
}
