/*
 * Matching tokens against the gazetteer: longest multi-token alias first, with the clitic
 * lattice on the first token only, detached proclitics (لـ"داعش"), context rules; nisbas and
 * demonyms are demonym.c's (الأجهزة الأمنية الجزائرية, Algerian authorities, l'armée
 * malienne).
 *
 * Context: an alias flagged context=1 is accepted when a trigger word of its type stands
 * just before or after it, when its clitic prefix is a trigger (بالساحل), or when the same
 * entry is named elsewhere in the text without needing context (second pass). Everything
 * is linear in the number of tokens: each token costs a handful of hash lookups.
 */
#include "intake/intake_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *ttext(const struct intake_matcher *m, size_t i)
{
    return intake_ttext(m, i);
}

static const char *const detached_forms[] = {"و",   "ف",   "ب",   "ل",  "ك",   "وب",
                                             "ول",  "فب",  "فل",  "وك", "ال",  "وال",
                                             "بال", "فال", "كال", "لل", "ولل", "فلل"};

/* A proclitic written apart from its word: لـ"داعش", بـ«القاعدة», لـISIS, لـ داعش. */
static bool is_detached_clitic(const struct intake_matcher *m, size_t i)
{
    const struct text_token *t = &m->tl->v[i];
    if (t->script != TEXT_SCRIPT_ARABIC || t->nlen > 6 || i + 1 >= m->tl->n)
        return false;
    if (!(t->flags & (TEXT_TOK_TATWEEL_END | TEXT_TOK_QUOTE_AFTER)) &&
        m->tl->v[i + 1].script != TEXT_SCRIPT_LATIN)
        return false;
    for (size_t k = 0; k < sizeof(detached_forms) / sizeof(detached_forms[0]); k++)
        if (strlen(detached_forms[k]) == t->nlen &&
            !memcmp(detached_forms[k], ttext(m, i), t->nlen))
            return true;
    return false;
}

/* Original offsets of the skip-th normalised code point of token i. */
static void offset_in_token(const struct intake_matcher *m, size_t i, int skip, uint32_t *ob,
                            uint32_t *oc)
{
    const struct text_token *t = &m->tl->v[i];
    *ob = t->ob;
    *oc = t->oc;
    if (skip <= 0)
        return;
    struct text_norm_iter it;
    text_norm_iter_init(&it, m->text + t->ob, t->oe - t->ob);
    struct text_norm_cp c;
    int seen = 0;
    while (text_norm_iter_next(&it, &c)) {
        if (c.cp == 0x0640)
            continue;
        if (seen++ == skip) {
            *ob = t->ob + c.ob;
            *oc = t->oc + c.oc;
            return;
        }
    }
}

/* The elided word and apostrophe just before byte at (l', d’, qu'): [*b, *e). */
static void elided_prefix(const char *text, uint32_t at, uint32_t *b, uint32_t *e)
{
    const unsigned char *u = (const unsigned char *)text;
    uint32_t p = at;
    if (p >= 1 && u[p - 1] == '\'')
        p -= 1;
    else if (p >= 3 && u[p - 3] == 0xE2 && u[p - 2] == 0x80 &&
             (u[p - 1] == 0x99 || u[p - 1] == 0x98))
        p -= 3;
    else if (p >= 2 &&
             ((u[p - 2] == 0xC2 && u[p - 1] == 0xB4) || (u[p - 2] == 0xCA && u[p - 1] == 0xBC)))
        p -= 2;
    else
        return;
    while (p > 0 && ((u[p - 1] | 0x20) >= 'a' && (u[p - 1] | 0x20) <= 'z'))
        p--;
    *b = p;
    *e = at;
}

int intake_push(struct intake_matcher *m, int32_t entry, size_t ti, size_t tj, int skip,
                uint32_t pfx_b, uint32_t pfx_e, bool pending)
{
    if (m->n == m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 64;
        struct raw_mention *v = realloc(m->v, nc * sizeof(*v));
        if (!v)
            return LIA_ENOMEM;
        m->v = v;
        m->cap = nc;
    }
    struct raw_mention *r = &m->v[m->n++];
    memset(r, 0, sizeof(*r));
    r->entry = entry;
    r->ti = (uint32_t)ti;
    r->tj = (uint32_t)tj;
    r->pending = pending;
    offset_in_token(m, ti, skip, &r->m.byte_start, &r->m.start);
    r->m.byte_end = m->tl->v[tj - 1].oe;
    r->m.end = m->tl->v[tj - 1].oce;
    /* a trailing tatweel belongs to the layout, not the name */
    while (r->m.byte_end > r->m.byte_start && r->m.byte_end >= 2 &&
           !memcmp(m->text + r->m.byte_end - 2, "\xd9\x80", 2)) {
        r->m.byte_end -= 2;
        r->m.end--;
    }
    if (skip > 0) {
        pfx_b = m->tl->v[ti].ob;
        pfx_e = r->m.byte_start;
    } else if (pfx_b == pfx_e && (m->tl->v[ti].flags & TEXT_TOK_ELIDED)) {
        elided_prefix(m->text, m->tl->v[ti].ob, &pfx_b, &pfx_e); /* l'EIGS: prefix l' */
    }
    r->m.prefix_byte_start = pfx_b;
    r->m.prefix_byte_end = pfx_e;
    return 0;
}

/* Joins the normalised text of tokens [i, j) after `first` (the first token's reading). */
bool intake_phrase_rule(const struct intake_matcher *m, char tag, const char *arg, size_t i,
                        size_t j, int32_t *val)
{
    size_t o = 0;
    for (size_t k = i; k < j; k++) {
        const struct text_token *t = &m->tl->v[k];
        if (o + t->nlen + 1 >= sizeof(((struct intake_matcher *)0)->key))
            return false;
        if (k > i && (t->flags & TEXT_TOK_BREAK_BEFORE))
            return false;
        char *buf = (char *)m->key;
        if (k > i)
            buf[o++] = ' ';
        memcpy(buf + o, ttext(m, k), t->nlen);
        o += t->nlen;
    }
    return intake_rule(m->g, tag, arg, m->key, o, val);
}

/* form_len: bytes of the name read after the clitic prefix; a prefix is context only for a
 * name of 4 letters or more (وبشأن is not و + ب + شان, Shan State). */
static bool context_ok(const struct intake_matcher *m, const struct gz_entry *e, size_t i, size_t j,
                       const char *prefix, size_t form_len)
{
    const char *type = intake_type_name(e->type);
    if (prefix[0] && form_len >= 8 && intake_rule(m->g, 'P', type, prefix, strlen(prefix), NULL))
        return true;
    if (i > 0 && !(m->tl->v[i].flags & TEXT_TOK_BREAK_BEFORE)) {
        size_t p = i - 1;
        if (is_detached_clitic(m, p))
            return intake_rule(m->g, 'P', type, ttext(m, p), m->tl->v[p].nlen, NULL);
        if (intake_phrase_rule(m, 'B', type, p, i, NULL) ||
            (p > 0 && intake_phrase_rule(m, 'B', type, p - 1, i, NULL)))
            return true;
        struct text_clitic_cand c[12];
        int nc = intake_clitic_candidates(m->g, ttext(m, p), m->tl->v[p].nlen, c, 12, false);
        for (int k = 1; k < nc; k++)
            if (intake_rule(m->g, 'B', type, c[k].form, c[k].len, NULL))
                return true;
    }
    if (j < m->tl->n && !(m->tl->v[j].flags & TEXT_TOK_BREAK_BEFORE) &&
        intake_phrase_rule(m, 'A', type, j, j + 1, NULL))
        return true;
    return false;
}

static bool blocked(const struct intake_matcher *m, const struct gz_entry *e, size_t j)
{
    return j < m->tl->n && intake_phrase_rule(m, 'K', e->key, j, j + 1, NULL);
}

struct hit {
    int32_t entry;
    size_t j;
    uint32_t flags;
};

/* Longest alias from token i read as `form`; fills hits (shortest first), returns count. */
static int walk(struct intake_matcher *m, const char *form, size_t flen, size_t i, struct hit *hits,
                int max)
{
    if (flen >= sizeof(m->key))
        return 0;
    uint32_t h = text_hash(form, flen);
    /* the filter holds aliases' first tokens: a form of two (a list head's "منطقه موبتي")
     * goes to the table */
    if (!memchr(form, ' ', flen) && !text_filter_maybe(m->g->alias_filter, h))
        return 0;
    const struct hslot *first = hmap_get_h(&m->g->aliases, form, flen, h);
    if (!first)
        return 0;
    memcpy(m->key, form, flen);
    size_t o = flen;
    int nh = 0;
    size_t j = i + 1;
    for (;;) {
        const struct hslot *s = hmap_get(&m->g->aliases, m->key, o);
        if (!s)
            break;
        if ((s->flags & AL_FULL) && nh < max)
            hits[nh++] = (struct hit){s->val, j, s->flags};
        if (!(s->flags & AL_PREFIX) || j >= m->tl->n)
            break;
        const struct text_token *t = &m->tl->v[j];
        if ((t->flags & TEXT_TOK_BREAK_BEFORE) || o + 1 + t->nlen >= sizeof(m->key))
            break;
        m->key[o++] = ' ';
        memcpy(m->key + o, ttext(m, j), t->nlen);
        o += t->nlen;
        j++;
    }
    return nh;
}

/* End (exclusive token index) of the longest alias read literally from token i, or 0. */
static size_t longest_end(struct intake_matcher *m, size_t i)
{
    struct hit h[8];
    int nh = walk(m, ttext(m, i), m->tl->v[i].nlen, i, h, 8);
    return nh ? h[nh - 1].j : 0;
}

size_t intake_alias_end(struct intake_matcher *m, size_t i)
{
    return longest_end(m, i);
}

/* A multi-token region name that contains a country (شمال مالي, northern Mali) names that
 * country too: one more mention, for the inner tokens [i, j) read literally. */
static int nested_country(struct intake_matcher *m, size_t i, size_t j)
{
    for (size_t k = i; k < j; k++) {
        struct hit h[8];
        int nh = walk(m, ttext(m, k), m->tl->v[k].nlen, k, h, 8);
        for (int b = nh - 1; b >= 0; b--) {
            const struct gz_entry *e = &m->g->entries[h[b].entry];
            if (e->type == INTAKE_COUNTRY && h[b].j <= j && !(h[b].flags & AL_CASE))
                return intake_push(m, h[b].entry, k, h[b].j, 0, m->tl->v[k].ob, m->tl->v[k].ob,
                                   false);
        }
    }
    return 0;
}

/* A one-token Latin place name inside a person's name: after a given name of rules.tsv
 * (Jordan Henderson, Florence Turner), or, when it needs context, before another capitalised
 * word (Chad Smith, Jordan Henderson). */
static bool part_of_person(const struct intake_matcher *m, size_t i, size_t j, uint32_t flags,
                           const struct gz_entry *e)
{
    const struct text_token *t = &m->tl->v[i];
    if (j != i + 1)
        return false;
    if (i > 0 && !(t->flags & TEXT_TOK_BREAK_BEFORE) &&
        (m->tl->v[i - 1].flags & TEXT_TOK_CAPITAL) &&
        intake_rule(m->g, 'G', "", ttext(m, i - 1), m->tl->v[i - 1].nlen, NULL))
        return true;
    if ((flags & AL_CONTEXT) && j < m->tl->n) {
        const struct text_token *n = &m->tl->v[j];
        if (n->script == TEXT_SCRIPT_LATIN && (n->flags & TEXT_TOK_CAPITAL) &&
            !(n->flags & (TEXT_TOK_BREAK_BEFORE | TEXT_TOK_ALLCAPS)) &&
            !intake_rule(m->g, 'A', intake_type_name(e->type), ttext(m, j), n->nlen, NULL))
            return true;
    }
    return false;
}

/* A Latin place name is a proper noun: a one-token name is capitalised (mobile phones, a
 * nice day; "northern Mali", "lac Tchad" are phrases of the gazetteer), not part of a
 * person's name, not part of an organisation's (Kenya Airways, Air Algérie: rules.tsv
 * org-after, org-before). */
static bool latin_place_ok(const struct intake_matcher *m, size_t i, size_t j, uint32_t flags,
                           const struct gz_entry *e)
{
    const struct text_token *t = &m->tl->v[i];
    if (!(t->flags & (TEXT_TOK_CAPITAL | TEXT_TOK_ALLCAPS)) && j == i + 1)
        return false;
    if (j < m->tl->n && !(m->tl->v[j].flags & TEXT_TOK_BREAK_BEFORE) &&
        (m->tl->v[j].flags & TEXT_TOK_CAPITAL) &&
        intake_rule(m->g, 'O', "", ttext(m, j), m->tl->v[j].nlen, NULL))
        return false;
    if (i > 0 && !(t->flags & TEXT_TOK_BREAK_BEFORE) &&
        (m->tl->v[i - 1].flags & TEXT_TOK_CAPITAL) &&
        intake_rule(m->g, 'Q', "", ttext(m, i - 1), m->tl->v[i - 1].nlen, NULL))
        return false;
    return !part_of_person(m, i, j, flags, e);
}

/* Tries a gazetteer name at token i. Returns tokens consumed (0 = none) or < 0 on error. */
static int try_alias(struct intake_matcher *m, size_t i)
{
    const struct text_token *t = &m->tl->v[i];
    struct text_clitic_cand c[12];
    int nc;
    uint32_t pb = t->ob, pe = t->ob;
    const char *det = NULL;
    if (i > 0 && is_detached_clitic(m, i - 1) && !(t->flags & TEXT_TOK_BREAK_BEFORE)) {
        const struct text_token *p = &m->tl->v[i - 1];
        det = ttext(m, i - 1);
        pb = p->ob;
        pe = p->oe;
        char dp[16];
        snprintf(dp, sizeof(dp), "%.*s", (int)p->nlen, det);
        nc = 0;
        if (p->nlen >= 4 && !memcmp(dp + p->nlen - 4, "ال", 4))
            /* cppcheck-suppress legacyUninitvar ; c[0].form is written here, not read */
            nc = 1, snprintf(c[0].form, sizeof(c[0].form), "ال%.*s", (int)t->nlen, ttext(m, i)),
            c[0].len = strlen(c[0].form), c[0].skip = 0, snprintf(c[0].prefix, 16, "%s", dp);
        memcpy(c[nc].form, ttext(m, i), t->nlen < 255 ? t->nlen : 255);
        c[nc].len = t->nlen < 255 ? t->nlen : 255;
        c[nc].skip = 0;
        snprintf(c[nc].prefix, 16, "%s", dp);
        nc++;
    } else {
        nc = intake_clitic_candidates(m->g, ttext(m, i), t->nlen, c, 12, true);
    }
    struct hit best[8];
    int nbest = 0, bestc = -1;
    for (int k = 0; k < nc; k++) {
        struct hit h[8];
        int nh = walk(m, c[k].form, c[k].len, i, h, 8);
        if (nh == 0)
            continue;
        if (bestc < 0 || h[nh - 1].j > best[nbest - 1].j) {
            memcpy(best, h, sizeof(h[0]) * (size_t)nh);
            nbest = nh;
            bestc = k;
        }
        if (k == 0 && !det)
            break; /* the token itself is a name: never strip (وهران) */
    }
    if (nbest > 0 && !det && i + 1 < m->tl->n && best[nbest - 1].j > i + 1 &&
        !(m->tl->v[i + 1].flags & TEXT_TOK_BREAK_BEFORE) &&
        longest_end(m, i + 1) > best[nbest - 1].j)
        return 0; /* تنظيم داعش في الصحراء الكبرى: the name starting one token later is longer */
    for (int b = nbest - 1; b >= 0; b--) {
        const struct gz_entry *e = &m->g->entries[best[b].entry];
        size_t j = best[b].j;
        if ((best[b].flags & AL_CASE) && !(t->flags & TEXT_TOK_ALLCAPS))
            continue;
        /* an ambiguous English name (Chad, Turkey) is a name only when capitalised */
        if ((best[b].flags & AL_CONTEXT) && t->script == TEXT_SCRIPT_LATIN &&
            !(t->flags & TEXT_TOK_CAPITAL))
            continue;
        if (t->script == TEXT_SCRIPT_LATIN && e->type != INTAKE_GROUP && e->type != INTAKE_BODY &&
            !latin_place_ok(m, i, j, best[b].flags, e))
            continue;
        if (blocked(m, e, j))
            continue;
        bool pending =
            (best[b].flags & AL_CONTEXT) && !context_ok(m, e, i, j, c[bestc].prefix, c[bestc].len);
        int rc = intake_push(m, best[b].entry, i, j, c[bestc].skip, pb, det ? pe : pb, pending);
        if (rc == 0 && (e->type == INTAKE_REGION || e->type == INTAKE_ADMIN1) && j - i > 1)
            rc = nested_country(m, i + 1, j);
        if (rc == 0 && !pending && j - i > 1 &&
            (e->type == INTAKE_BODY || e->type == INTAKE_REGION || e->type == INTAKE_ADMIN1))
            rc = intake_body_demonym(m, best[b].entry, i, j);
        return rc < 0 ? rc : (int)(j - i);
    }
    return 0;
}

/* Arabic head nouns that announce two or more places: dual (منطقتي موبتي وسيغو) or plural
 * (ولايات بورنو ويوبي وأداماوا). sing: the singular an area's name is stored with
 * ("منطقه موبتي" is an alias of the Mopti region); "" for heads of towns. */
static const struct {
    const char *form, *sing;
} list_heads[] = {
    {"منطقتي", "منطقه"},   {"مناطق", "منطقه"},    {"ولايتي", "ولايه"}, {"ولايات", "ولايه"},
    {"محافظتي", "محافظه"}, {"محافظات", "محافظه"}, {"اقليمي", "اقليم"}, {"اقاليم", "اقليم"},
    {"مقاطعتي", "مقاطعه"}, {"مقاطعات", "مقاطعه"}, {"جهتي", "جهه"},     {"مدينتي", ""},
    {"مدن", ""},           {"بلدتي", ""},         {"بلدات", ""},       {"مدينتا", ""},
};

/* The place named at token j, read with its clitics, after a list head whose singular is
 * sing: the area "sing + name" when there is one, else the place of that name. */
static int list_member(struct intake_matcher *m, size_t j, const char *sing, bool first)
{
    struct text_clitic_cand c[12];
    int nc = intake_clitic_candidates(m->g, ttext(m, j), m->tl->v[j].nlen, c, 12, false);
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 0 && !sing[0])
            continue;
        for (int k = 0; k < nc; k++) {
            /* a member right after the previous one carries و (وسيغو, والدار البيضاء) */
            if (!first && strcmp(c[k].prefix, "و"))
                continue;
            char form[300];
            int fl = pass == 0 ? snprintf(form, sizeof(form), "%s %s", sing, c[k].form)
                               : snprintf(form, sizeof(form), "%s", c[k].form);
            if (fl <= 0 || (size_t)fl >= sizeof(form))
                continue;
            struct hit h[8];
            int nh = walk(m, form, (size_t)fl, j, h, 8);
            for (int b = nh - 1; b >= 0; b--) {
                enum intake_type t = m->g->entries[h[b].entry].type;
                if (t != INTAKE_CITY && t != INTAKE_ADMIN1)
                    continue;
                const struct text_token *tt = &m->tl->v[j];
                int rc = intake_push(m, h[b].entry, j, h[b].j, c[k].skip, tt->ob, tt->ob, false);
                return rc < 0 ? rc : (int)(h[b].j - j);
            }
        }
    }
    return 0;
}

/* "بمدينتي طنجة والدار البيضاء", "منطقتي موبتي وسيغو", "ولايات بورنو، يوبي وأداماوا": the
 * head makes each member a place of its kind, the second and later ones joined by و (as a
 * prefix or a word) or a comma. Returns the tokens consumed, 0 when i is no such head. */
static int try_head_list(struct intake_matcher *m, size_t i)
{
    const struct text_token *t = &m->tl->v[i];
    if (t->script != TEXT_SCRIPT_ARABIC || i + 1 >= m->tl->n)
        return 0;
    struct text_clitic_cand c[12];
    int nc = intake_clitic_candidates(m->g, ttext(m, i), t->nlen, c, 12, false);
    const char *sing = NULL;
    for (int k = 0; k < nc && !sing; k++)
        for (size_t h = 0; h < sizeof(list_heads) / sizeof(list_heads[0]) && !sing; h++)
            if (strlen(list_heads[h].form) == c[k].len &&
                !memcmp(list_heads[h].form, c[k].form, c[k].len))
                sing = list_heads[h].sing;
    if (!sing)
        return 0;
    size_t j = i + 1;
    int members = 0;
    while (j < m->tl->n && m->tl->v[j].sentence == t->sentence) {
        bool free_start = members == 0;
        if (members == 0 && (m->tl->v[j].flags & TEXT_TOK_BREAK_BEFORE))
            break;
        if (members > 0 && intake_is_word(m->g, m->tl, j, "و") && j + 1 < m->tl->n) {
            j++;
            free_start = true;
        } else if (members > 0 && (m->tl->v[j].flags & TEXT_TOK_BREAK_BEFORE)) {
            free_start = true; /* a comma */
        }
        int k = list_member(m, j, sing, free_start);
        if (k < 0)
            return k;
        if (k == 0)
            break;
        members++;
        j += (size_t)k;
    }
    return members ? (int)(j - i) : 0;
}

int intake_match_tokens(const struct intake_gazetteer *g, const char *text,
                        struct text_token_list *tl, struct raw_mention **out, size_t *n_out,
                        struct lia_err *err)
{
    struct intake_matcher m;
    memset(&m, 0, sizeof(m));
    m.g = g;
    m.text = text;
    m.tl = tl;
    size_t last_end = 0;
    int rc = 0;
    for (size_t i = 0; i < tl->n;) {
        if (is_detached_clitic(&m, i)) {
            i++;
            continue;
        }
        int k = intake_try_demonym_en(&m, i);
        if (k == 0)
            k = try_head_list(&m, i);
        if (k == 0)
            k = try_alias(&m, i);
        if (k == 0)
            k = intake_try_nisba(&m, i, last_end);
        if (k == 0)
            k = intake_try_demonym_fr(&m, i, last_end);
        if (k < 0) {
            rc = lia_err_set(err, k, "out of memory while matching");
            break;
        }
        if (k > 0) {
            i += (size_t)k;
            last_end = i;
        } else {
            i++;
        }
    }
    if (rc < 0) {
        free(m.v);
        return rc;
    }
    *out = m.v;
    *n_out = m.n;
    return 0;
}

bool intake_is_verb(const struct intake_gazetteer *g, struct text_token_list *tl, const char *text,
                    size_t i, size_t *len)
{
    struct intake_matcher m;
    memset(&m, 0, sizeof(m));
    m.g = g;
    m.text = text;
    m.tl = tl;
    for (size_t l = 2; l >= 1; l--) {
        if (i + l <= tl->n && intake_phrase_rule(&m, 'V', "targets", i, i + l, NULL)) {
            *len = l;
            return true;
        }
    }
    return false;
}

bool intake_is_word(const struct intake_gazetteer *g, struct text_token_list *tl, size_t i,
                    const char *w)
{
    (void)g;
    const struct text_token *t = &tl->v[i];
    return strlen(w) == t->nlen && !memcmp(tl->text.ptr + t->noff, w, t->nlen);
}
