/*
 * The clitic lattice of intake-notes.md (Clitics): the readings of the first token of a
 * candidate name with its proclitics (و ف ب ل ك and the article, stacked conj + prep +
 * article) taken off. Each reading is only a dictionary lookup for the matcher; it keeps
 * whichever hits. Inner tokens of a name are never stripped (rule 1).
 *
 *  - at least 3 letters must remain (بشأن is not ب + شان; the no-clitic list adds more);
 *  - a prefix ending in ال gives ال + rest and rest (بالجزائر -> الجزائر, جزائر);
 *  - لل gives ال + t[2:], ال + t[1:] and t[1:] (للجزائر, للاذقية, لليبيا);
 *  - the bare article alone is never stripped (المالي must not become مالي).
 */
#include "text/text.h"

#include <stdio.h>
#include <string.h>

/* Normalised prefixes, longest first. Arabic letters are 2 bytes each in UTF-8. */
static const char *const prefixes[] = {
    "وبال", "فبال", "وكال", "ولل", "فلل", "وال", "فال", "بال", "كال", "لل",
    "وب",   "ول",   "فب",   "فل",  "وك",  "و",   "ف",   "ب",   "ل",   "ك",
};

static bool ends_with(const char *p, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && !memcmp(p + n - k, suffix, k);
}

/* want_filter: the filter of alias first tokens when the caller wants only readings that may
 * hit (NULL = all readings). */
static int add(struct text_clitic_cand *out, int n, int max, const char *art, const char *rest,
               size_t rn, int skip, const char *prefix, const uint64_t *want_filter)
{
    if (n >= max)
        return n;
    if (want_filter && n > 0) {
        uint32_t h = 2166136261u; /* text_hash of art + rest, without copying */
        for (const char *p = art; *p; p++)
            h = (h ^ (unsigned char)*p) * 16777619u;
        for (size_t i = 0; i < rn; i++)
            h = (h ^ (unsigned char)rest[i]) * 16777619u;
        if (!text_filter_maybe(want_filter, h ? h : 1))
            return n;
    }
    size_t al = art[0] ? 4 : 0; /* "" or "ال" */
    if (al + rn >= sizeof(out[n].form))
        return n;
    memcpy(out[n].form, art, al);
    memcpy(out[n].form + al, rest, rn);
    out[n].len = al + rn;
    out[n].form[out[n].len] = '\0';
    for (int i = 0; i < n; i++)
        if (out[i].len == out[n].len && !memcmp(out[i].form, out[n].form, out[n].len))
            return n;
    out[n].skip = skip;
    size_t pl = strlen(prefix);
    memcpy(out[n].prefix, prefix, pl + 1);
    return n + 1;
}

int text_clitic_readings(const char *tok, size_t n, struct text_clitic_cand *out, int max,
                         const uint64_t *filter,
                         bool (*keep_whole)(const void *ctx, const char *tok, size_t n),
                         const void *ctx)
{
    int k = add(out, 0, max, "", tok, n, 0, "", filter);
    const unsigned char *u = (const unsigned char *)tok;
    /* every proclitic starts with و ف ب ل ك (UTF-8 d9 88, d9 81, d8 a8, d9 84, d9 83) */
    if (n < 8 ||
        !((u[0] == 0xD9 && (u[1] == 0x88 || u[1] == 0x81 || u[1] == 0x84 || u[1] == 0x83)) ||
          (u[0] == 0xD8 && u[1] == 0xA8)))
        return k;
    if (keep_whole && keep_whole(ctx, tok, n))
        return k;
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        const char *p = prefixes[i];
        size_t pl = strlen(p);
        if (n < pl + 6 || memcmp(tok, p, pl))
            continue; /* fewer than 3 letters would remain */
        int pcp = (int)(pl / 2);
        if (ends_with(p, pl, "لل")) {
            k = add(out, k, max, "ال", tok + pl, n - pl, pcp - 1, p, filter);
            k = add(out, k, max, "ال", tok + pl - 2, n - pl + 2, pcp - 1, p, filter);
            k = add(out, k, max, "", tok + pl - 2, n - pl + 2, pcp - 1, p, filter);
        } else if (ends_with(p, pl, "ال")) {
            k = add(out, k, max, "ال", tok + pl, n - pl, pcp - 2, p, filter);
            k = add(out, k, max, "", tok + pl, n - pl, pcp, p, filter);
        } else {
            k = add(out, k, max, "", tok + pl, n - pl, pcp, p, filter);
        }
    }
    return k;
}
