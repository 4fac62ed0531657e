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
#include "intake/intake_int.h"

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

static int add(struct clitic_cand *out, int n, int max, const char *art, const char *rest,
               size_t rn, int skip, const char *prefix)
{
    if (n >= max)
        return n;
    size_t al = strlen(art);
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
    snprintf(out[n].prefix, sizeof(out[n].prefix), "%s", prefix);
    return n + 1;
}

int intake_clitic_candidates(const struct intake_gazetteer *g, const char *tok, size_t n,
                             struct clitic_cand *out, int max)
{
    int k = add(out, 0, max, "", tok, n, 0, "");
    if (n < 2 || (unsigned char)tok[0] < 0xD8 || (unsigned char)tok[0] > 0xDB)
        return k; /* not Arabic */
    if (g && intake_rule(g, 'S', "", tok, n, NULL))
        return k;
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        const char *p = prefixes[i];
        size_t pl = strlen(p);
        if (n < pl + 6 || memcmp(tok, p, pl))
            continue; /* fewer than 3 letters would remain */
        int pcp = (int)(pl / 2);
        if (ends_with(p, pl, "لل")) {
            k = add(out, k, max, "ال", tok + pl, n - pl, pcp - 1, p);
            k = add(out, k, max, "ال", tok + pl - 2, n - pl + 2, pcp - 1, p);
            k = add(out, k, max, "", tok + pl - 2, n - pl + 2, pcp - 1, p);
        } else if (ends_with(p, pl, "ال")) {
            k = add(out, k, max, "ال", tok + pl, n - pl, pcp - 2, p);
            k = add(out, k, max, "", tok + pl, n - pl, pcp, p);
        } else {
            k = add(out, k, max, "", tok + pl, n - pl, pcp, p);
        }
    }
    return k;
}
