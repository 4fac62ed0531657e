/*
 * Parse arenas: speed machinery only, no meaning. The trees of a large POSTed envelope are
 * built by the two parsing threads (stream.c) from per-thread bump arenas instead of one
 * malloc per JSON value, and their memory goes back in whole chunks when the envelope is
 * released. Profiles of ingest showed a third of the server's CPU in jansson, about half of
 * it allocating and freeing (docs/architecture.md, "The path of a POST"; bench/RESULTS.md).
 *
 * How it stays correct:
 *  - jansson allocates through stix_json_malloc / stix_json_free (json_set_alloc_funcs, set
 *    once). Without an arena in use on the calling thread they are malloc and free, so every
 *    value made anywhere else is a heap value as before, and json_dumps' text is freed with
 *    free() as jansson documents.
 *  - Arena memory lies in one reserved range of address space (parse_arena_bytes; 0 turns all
 *    of this off). stix_json_free of a pointer in that range does nothing; any other pointer is
 *    free()d. So a tree may mix both kinds (the writer adds a created_by_ref to an arena tree):
 *    json_decref still walks it and frees exactly the heap parts.
 *  - An arena is in use only around json_loadb on a parsing thread (stix_arena_use), never
 *    around code that could keep a value or return jansson-allocated memory to its caller.
 *  - Chunks go back after the tree was walked (stix_arena_release). The envelope owns them;
 *    a value borrowed from it lives as long as the envelope, as before.
 *  - When the range is used up, or one value is large, allocation falls back to malloc.
 *  - Under AddressSanitizer a chunk is poisoned while no arena holds it.
 */
#include "stix/stix_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define CHUNK ((size_t)256 * 1024)
#define LARGE (CHUNK / 8) /* a value at least this large is malloc'd */
#define WARM_MAX 32       /* released chunks kept with their pages (8 MiB); the rest madvise'd */

static size_t wanted = (size_t)256 << 20; /* stix_set_parse_arena */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static _Atomic uintptr_t lo, hi; /* the reserved range; empty until reserved */

static struct {
    pthread_mutex_t lock;
    char *base;   /* the reserved range: set once, before any chunk is handed out */
    size_t fresh; /* chunks [fresh, n) never handed out */
    size_t n;     /* chunks in the range */
    char *warm;   /* released chunks with pages, each linked through its first word */
    size_t n_warm;
    char *cold; /* released chunks whose pages were given back */
} pool = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0, NULL, 0, NULL};

static _Thread_local struct stix_arena *current;

void *stix_json_malloc(size_t n);
void stix_json_free(void *p);

static void reserve(void)
{
    size_t bytes = wanted / CHUNK * CHUNK;
    if (bytes == 0)
        return;
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED)
        return;
    POISON(p, bytes);
    pool.base = p;
    pool.n = bytes / CHUNK;
    atomic_store_explicit(&lo, (uintptr_t)p, memory_order_relaxed);
    atomic_store_explicit(&hi, (uintptr_t)p + bytes, memory_order_release); /* lo is set */
    /* Safe to set at any time: without an arena these are malloc and free. */
    json_set_alloc_funcs(stix_json_malloc, stix_json_free);
}

void stix_set_parse_arena(size_t bytes)
{
    wanted = bytes;
    if (bytes) /* the server calls this before its threads start: jansson's functions change then */
        pthread_once(&once, reserve);
}

bool stix_arena_ready(void)
{
    if (wanted == 0)
        return false;
    pthread_once(&once, reserve);
    return atomic_load_explicit(&hi, memory_order_relaxed) != 0;
}

static bool in_range(const void *p)
{
    uintptr_t u = (uintptr_t)p, end = atomic_load_explicit(&hi, memory_order_acquire);
    return end && u < end && u >= atomic_load_explicit(&lo, memory_order_relaxed);
}

/* A chunk from the pool, or NULL when the range is used up. */
static char *chunk_get(void)
{
    char *c = NULL;
    pthread_mutex_lock(&pool.lock);
    if (pool.warm) {
        c = pool.warm;
        UNPOISON(c, sizeof(char *));
        pool.warm = *(char **)c;
        pool.n_warm--;
    } else if (pool.cold) {
        c = pool.cold;
        UNPOISON(c, sizeof(char *));
        pool.cold = *(char **)c;
    } else if (pool.fresh < pool.n) {
        c = pool.base + pool.fresh++ * CHUNK;
    }
    pthread_mutex_unlock(&pool.lock);
    if (c)
        UNPOISON(c, CHUNK);
    return c;
}

void *stix_json_malloc(size_t n)
{
    struct stix_arena *a = current;
    if (!a || n >= LARGE)
        return malloc(n);
    n = (n + 7) & ~(size_t)7; /* jansson's values hold nothing wider than 8 bytes */
    if (!a->at || (size_t)(a->end - a->at) < n) {
        char *c = chunk_get();
        if (!c)
            return malloc(n);
        *(char **)c = a->chunks; /* the first word links the arena's chunks */
        a->chunks = c;
        a->at = c + 8;
        a->end = c + CHUNK;
    }
    void *p = a->at;
    a->at += n;
    return p;
}

void stix_json_free(void *p)
{
    if (p && !in_range(p))
        free(p);
}

void stix_arena_use(struct stix_arena *a)
{
    current = a;
}

void stix_arena_release(struct stix_arena *a)
{
    if (!a)
        return;
    char *c = a->chunks;
    a->chunks = a->at = a->end = NULL;
    while (c) {
        char *next = *(char **)c;
        POISON(c, CHUNK);
        pthread_mutex_lock(&pool.lock);
        bool warm = pool.n_warm < WARM_MAX;
        if (warm) {
            UNPOISON(c, sizeof(char *));
            *(char **)c = pool.warm;
            POISON(c, sizeof(char *));
            pool.warm = c;
            pool.n_warm++;
        }
        pthread_mutex_unlock(&pool.lock);
        if (!warm) {
            madvise(c, CHUNK, MADV_DONTNEED);
            pthread_mutex_lock(&pool.lock);
            UNPOISON(c, sizeof(char *));
            *(char **)c = pool.cold;
            POISON(c, sizeof(char *));
            pool.cold = c;
            pthread_mutex_unlock(&pool.lock);
        }
        c = next;
    }
}

void stix_arenas_free(struct stix_arena *a)
{
    if (!a)
        return;
    stix_arena_release(&a[0]);
    stix_arena_release(&a[1]);
    free(a);
}
