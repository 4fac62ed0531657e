/*
 * The per-connection cache of authentication rows (on SQLite, whose schema has auth_gen):
 * tokens, partners, collections and collection rights, the rows every request
 * reads before its object query.
 *
 * Correctness comes first: a cached row is used only inside a read
 * transaction held for a request (store_read_begin), and only after the
 * transaction has read auth_gen.gen, a counter that triggers on token,
 * partner, collection and grant_right raise in the same transaction as any
 * change to them (schema version 3). The read and the rows it vouches for
 * belong to one snapshot, so a revocation, a disabled partner or a withdrawn
 * grant committed by anyone (this server, another node, the CLI in another
 * process) is seen by the next transaction that starts after its commit,
 * exactly as without the cache. Outside a held read transaction (writes,
 * the CLI) nothing is cached. Each connection has its own cache: no locks.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#define CACHE_SLOTS 64

struct cache_slot {
    int kind; /* 0: empty */
    int64_t k1, k2;
    char *key; /* inside mem, or NULL */
    void *row; /* inside mem: the row, its strings after it */
    uint64_t used;
    void *mem;
};

struct store_cache {
    int64_t gen;      /* auth_gen.gen the entries were read under */
    uint64_t checked; /* the read transaction (store_conn.read_no) gen was read in */
    bool usable;      /* gen read in this read transaction, and the entries are its */
    uint64_t clock;
    struct cache_slot slot[CACHE_SLOTS];
};

static void slot_clear(struct cache_slot *sl)
{
    free(sl->mem);
    memset(sl, 0, sizeof *sl);
}

void store_cache_free(struct store_conn *c)
{
    if (!c->cache)
        return;
    for (int i = 0; i < CACHE_SLOTS; i++)
        slot_clear(&c->cache->slot[i]);
    free(c->cache);
    c->cache = NULL;
}

/* True when cached rows may answer on this connection now: checks the generation once per
 * read transaction, dropping every entry when it moved. */
static bool cache_ready(struct store *s, struct store_conn *c)
{
    if (!c->in_read || !s->be->auth_cache)
        return false;
    if (!c->cache) {
        c->cache = calloc(1, sizeof *c->cache);
        if (!c->cache)
            return false;
        c->cache->gen = -1;
    }
    struct store_cache *k = c->cache;
    if (k->checked == c->read_no)
        return k->usable;
    k->checked = c->read_no;
    k->usable = false;
    static struct sq q = SQ("SELECT gen FROM auth_gen WHERE k = 1");
    struct store_cur cur;
    int64_t gen = -1;
    if (store_exec(c, &q, SV_NONE, &cur, "auth cache", NULL) == 0 && store_step(&cur, NULL) == 1)
        gen = store_col_int(&cur, 0);
    store_end(&cur);
    if (gen < 0)
        return false; /* no counter (should not happen after schema 3): never cache */
    if (gen != k->gen) {
        for (int i = 0; i < CACHE_SLOTS; i++)
            slot_clear(&k->slot[i]);
        k->gen = gen;
    }
    k->usable = true;
    return true;
}

static struct cache_slot *find(struct store_cache *k, int kind, int64_t k1, int64_t k2,
                               const char *key)
{
    for (int i = 0; i < CACHE_SLOTS; i++) {
        struct cache_slot *sl = &k->slot[i];
        if (sl->kind == kind && sl->k1 == k1 && sl->k2 == k2 &&
            (key ? sl->key && !strcmp(sl->key, key) : !sl->key))
            return sl;
    }
    return NULL;
}

bool store_cache_get(struct store *s, struct store_conn *c, int kind, int64_t k1, int64_t k2,
                     const char *key, void *out, size_t size, const struct store_field *f,
                     size_t nf, struct arena *a)
{
    if (!cache_ready(s, c))
        return false;
    struct cache_slot *sl = find(c->cache, kind, k1, k2, key);
    if (!sl)
        return false;
    memcpy(out, sl->row, size);
    for (size_t i = 0; i < nf; i++) {
        const char **t = (const char **)(void *)((char *)out + f[i].off);
        if (f[i].kind == 't' && *t && !(*t = arena_strndup(a, *t, strlen(*t))))
            return false; /* the caller reads the store instead */
    }
    sl->used = ++c->cache->clock;
    return true;
}

void store_cache_put(struct store *s, struct store_conn *c, int kind, int64_t k1, int64_t k2,
                     const char *key, const void *row, size_t size, const struct store_field *f,
                     size_t nf)
{
    if (!cache_ready(s, c))
        return;
    struct store_cache *k = c->cache;
    size_t total = size + (key ? strlen(key) + 1 : 0);
    for (size_t i = 0; i < nf; i++) {
        const char *const *v = (const char *const *)(const void *)((const char *)row + f[i].off);
        total += f[i].kind == 't' && *v ? strlen(*v) + 1 : 0;
    }
    char *mem = malloc(total);
    if (!mem)
        return;
    memcpy(mem, row, size);
    char *p = mem + size;
    for (size_t i = 0; i < nf; i++) {
        const char **t = (const char **)(void *)(mem + f[i].off);
        if (f[i].kind == 't' && *t) {
            size_t n = strlen(*t) + 1;
            memcpy(p, *t, n);
            *t = p;
            p += n;
        }
    }
    if (key)
        memcpy(p, key, strlen(key) + 1);
    struct cache_slot *victim = find(k, kind, k1, k2, key);
    for (int i = 0; !victim && i < CACHE_SLOTS; i++)
        if (!k->slot[i].kind)
            victim = &k->slot[i];
    if (!victim) { /* the least recently used */
        victim = &k->slot[0];
        for (int i = 1; i < CACHE_SLOTS; i++)
            if (k->slot[i].used < victim->used)
                victim = &k->slot[i];
    }
    slot_clear(victim);
    victim->kind = kind;
    victim->k1 = k1;
    victim->k2 = k2;
    victim->key = key ? p : NULL;
    victim->row = mem;
    victim->mem = mem;
    victim->used = ++k->clock;
}
