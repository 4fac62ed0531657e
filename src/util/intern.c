/*
 * Strings made unique (util.h, struct lia_interner): equal texts become one pointer and a
 * number (first come, first numbered), so that rows repeating a few hundred words compare and
 * sort as integers. Open addressing, kept at most half full, grown by doubling.
 */
#include "util/util.h"

#include <stdlib.h>
#include <string.h>

/* A word at a time: the strings are ids and keys of a few dozen bytes. */
static uint64_t intern_hash(const char *s, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
    for (; n >= 8; s += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 29;
    }
    uint64_t w = 0;
    memcpy(&w, s, n);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 32);
}

int lia_intern_init(struct lia_interner *t, size_t cap, struct arena *a)
{
    size_t c = 16;
    while (c < cap)
        c *= 2;
    *t = (struct lia_interner){.a = a};
    t->slot = arena_alloc(a, c * sizeof *t->slot); /* zeroed: every slot empty */
    t->len = arena_alloc(a, c * sizeof *t->len);
    t->num = arena_alloc(a, c * sizeof *t->num);
    if (!t->slot || !t->len || !t->num)
        return -1;
    t->cap = c;
    return 0;
}

static size_t slot_of(const struct lia_interner *t, const char *s, size_t n)
{
    size_t i = (size_t)intern_hash(s, n) & (t->cap - 1);
    while (t->slot[i] && (t->len[i] != n || memcmp(t->slot[i], s, n)))
        i = (i + 1) & (t->cap - 1);
    return i;
}

const char *lia_intern(struct lia_interner *t, const char *s, size_t n, bool copy, uint32_t *num)
{
    if (!s || !t->cap)
        return NULL;
    if (2 * (t->n + 1) > t->cap) {
        struct lia_interner g;
        if (lia_intern_init(&g, 2 * t->cap, t->a))
            return NULL;
        for (size_t k = 0; k < t->cap; k++)
            if (t->slot[k]) {
                size_t i = slot_of(&g, t->slot[k], t->len[k]);
                g.slot[i] = t->slot[k], g.len[i] = t->len[k], g.num[i] = t->num[k];
            }
        g.n = t->n;
        *t = g;
    }
    size_t i = slot_of(t, s, n);
    if (!t->slot[i]) {
        const char *kept = copy ? arena_strndup(t->a, s, n) : s;
        if (!kept)
            return NULL;
        t->slot[i] = kept, t->len[i] = n, t->num[i] = (uint32_t)t->n++;
    }
    if (num)
        *num = t->num[i];
    return t->slot[i];
}

const char *lia_intern_find(const struct lia_interner *t, const char *s, size_t n, uint32_t *num)
{
    if (!s || !t->cap)
        return NULL;
    size_t i = slot_of(t, s, n);
    if (t->slot[i] && num)
        *num = t->num[i];
    return t->slot[i];
}

struct ranked {
    const char *s;
    size_t len;
    uint32_t num;
};

/* Byte order: the common prefix, then the shorter first. */
static int by_bytes(const void *x, const void *y)
{
    const struct ranked *a = x, *b = y;
    int c = memcmp(a->s, b->s, a->len < b->len ? a->len : b->len);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

uint32_t *lia_intern_ranks(const struct lia_interner *t, struct arena *a)
{
    struct ranked *v = arena_alloc(a, (t->n + 1) * sizeof *v);
    uint32_t *rank = arena_alloc(a, (t->n + 1) * sizeof *rank);
    if (!v || !rank)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < t->cap; i++)
        if (t->slot[i])
            v[k++] = (struct ranked){t->slot[i], t->len[i], t->num[i]};
    qsort(v, k, sizeof *v, by_bytes);
    for (size_t r = 0; r < k; r++)
        rank[v[r].num] = (uint32_t)r;
    return rank;
}
