/*
 * intake_analyze: text -> entities with mentions and the relationships the text supports.
 *
 * Steps: check the input (limit, UTF-8, NUL), tokenise, match, keep context-dependent
 * mentions only for entries named elsewhere without needing context, listed beside a
 * confirmed name, or (a country) holding a confirmed place of the text; group mentions per
 * entry in order of first appearance, then three conservative relationship patterns:
 *   - a state body (identity) is located-at its country, when that country is mentioned;
 *   - "<group> في|in <place>" and "<group> ب<place>": threat-actor located-at location;
 *   - "<group> ... <attack verb> ... <place or body>" within one sentence and a few tokens:
 *     threat-actor targets location/identity.
 */
#include "intake/intake_int.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* Text is analysed in chunks cut at line ends (names never cross one), so working memory
 * stays proportional to a chunk, not to the whole input. */
#define CHUNK_MIN (64u << 10)
#define CHUNK_MAX (512u << 10)

struct entry_rel {
    int32_t source, target;
    const char *type;
};

struct doc {
    struct raw_mention *v;
    size_t n, cap;
    struct entry_rel *rels;
    size_t n_rels, cap_rels;
    struct raw_flow *flows;
    size_t n_flows, cap_flows;
};

/* A flow naming only where it passes takes the route of a flow ending at most this many
 * bytes before it (the sentence before, in practice). */
#define INHERIT_BYTES 600

static bool is_place(enum intake_type t)
{
    return t == INTAKE_COUNTRY || t == INTAKE_REGION || t == INTAKE_ADMIN1 || t == INTAKE_CITY;
}

static int add_relation(struct intake_result *res, size_t *cap, size_t s, size_t t,
                        const char *type)
{
    if (s == t)
        return 0;
    for (size_t i = 0; i < res->n_relations; i++)
        if (res->relations[i].source == s && res->relations[i].target == t &&
            !strcmp(res->relations[i].type, type))
            return 0;
    if (res->n_relations == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        struct intake_relation *v = realloc(res->relations, nc * sizeof(*v));
        if (!v)
            return LIA_ENOMEM;
        res->relations = v;
        *cap = nc;
    }
    res->relations[res->n_relations++] = (struct intake_relation){s, t, type};
    return 0;
}

/* True when tokens [a, b) only join two items of a list: nothing (a comma, a prefixed و),
 * or up to two joining words (and, or, و, أو, et, ou, and the French articles: "le Nigeria,
 * le Niger et le Tchad"). */
static bool list_gap(const struct intake_gazetteer *g, struct text_token_list *tl, size_t a,
                     size_t b)
{
    static const char *const joins[] = {"and", "or", "و",   "او", "et", "ou",
                                        "le",  "la", "les", "du", "des"};
    if (b - a > 2)
        return false;
    for (size_t k = a; k < b; k++) {
        bool ok = false;
        for (size_t w = 0; w < sizeof(joins) / sizeof(joins[0]) && !ok; w++)
            ok = intake_is_word(g, tl, k, joins[w]);
        if (!ok)
            return false;
    }
    return true;
}

static int add_entry_rel(struct doc *d, int32_t s, int32_t t, const char *type)
{
    for (size_t i = 0; i < d->n_rels; i++)
        if (d->rels[i].source == s && d->rels[i].target == t && !strcmp(d->rels[i].type, type))
            return 0;
    if (d->n_rels == d->cap_rels) {
        size_t nc = d->cap_rels ? d->cap_rels * 2 : 16;
        struct entry_rel *r = realloc(d->rels, nc * sizeof(*r));
        if (!r)
            return LIA_ENOMEM;
        d->rels = r;
        d->cap_rels = nc;
    }
    d->rels[d->n_rels++] = (struct entry_rel){s, t, type};
    return 0;
}

/* The threat-actor patterns of one chunk; v/n are the chunk's mentions (token indexes
 * local to tl). */
static int group_relations(const struct intake_gazetteer *g, const char *text,
                           struct text_token_list *tl, struct raw_mention *v, size_t n,
                           struct doc *d)
{
    int rc = 0;
    for (size_t a = 0; rc == 0 && a < n; a++) {
        if (g->entries[v[a].entry].type != INTAKE_GROUP)
            continue;
        uint32_t sent = tl->v[v[a].tj - 1].sentence;
        if (a + 1 < n && is_place(g->entries[v[a + 1].entry].type) &&
            tl->v[v[a + 1].ti].sentence == sent) {
            const struct raw_mention *b = &v[a + 1];
            size_t gap = b->ti - v[a].tj;
            bool in_word = gap == 1 && (intake_is_word(g, tl, v[a].tj, "في") ||
                                        intake_is_word(g, tl, v[a].tj, "in"));
            const char *pf = text + b->m.prefix_byte_start;
            size_t pl = b->m.prefix_byte_end - b->m.prefix_byte_start;
            bool bi =
                gap == 0 && pl >= 2 && (!memcmp(pf, "ب", 2) || (pl >= 4 && !memcmp(pf, "وب", 4)));
            if (in_word || bi)
                rc = add_entry_rel(d, v[a].entry, b->entry, "located-at");
        }
        for (size_t k = v[a].tj; rc == 0 && k < tl->n && k < v[a].tj + 6; k++) {
            if (tl->v[k].sentence != sent)
                break;
            size_t vl;
            if (!intake_is_verb(g, tl, text, k, &vl))
                continue;
            for (size_t b = a + 1; b < n; b++) {
                if (v[b].ti < k + vl)
                    continue;
                if (v[b].ti > k + vl + 4 || tl->v[v[b].ti].sentence != sent)
                    break;
                enum intake_type bt = g->entries[v[b].entry].type;
                if (is_place(bt) || bt == INTAKE_BODY) {
                    rc = add_entry_rel(d, v[a].entry, v[b].entry, "targets");
                    break;
                }
            }
            break;
        }
    }
    return rc;
}

/* Tokenises and matches text[cs, ce) whose first code point is number cbase. */
static int analyze_chunk(const struct intake_gazetteer *g, enum intake_lang lang, const char *text,
                         size_t cs, size_t ce, uint32_t cbase, struct text_token_list *tl,
                         struct doc *d, struct lia_err *err)
{
    tl->n = 0;
    dbuf_reset(&tl->text);
    int rc = text_tokenize(text + cs, ce - cs, tl, err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < tl->n; i++) {
        tl->v[i].ob += (uint32_t)cs;
        tl->v[i].oe += (uint32_t)cs;
        tl->v[i].oc += cbase;
        tl->v[i].oce += cbase;
    }
    struct raw_mention *v;
    size_t n;
    rc = intake_match_tokens(g, text, tl, &v, &n, err);
    if (rc < 0)
        return rc;
    for (size_t i = 1; i < n; i++)
        v[i].list_prev = g->entries[v[i - 1].entry].type == g->entries[v[i].entry].type &&
                         list_gap(g, tl, v[i - 1].tj, v[i].ti);
    if (group_relations(g, text, tl, v, n, d) < 0 ||
        intake_find_flows(g, lang, text, tl, v, n, &d->flows, &d->n_flows, &d->cap_flows) < 0)
        rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    if (rc == 0 && d->n + n > d->cap) {
        size_t nc = d->cap ? d->cap : 64;
        while (nc < d->n + n)
            nc *= 2;
        struct raw_mention *nv = realloc(d->v, nc * sizeof(*nv));
        if (!nv)
            rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
        else {
            d->v = nv;
            d->cap = nc;
        }
    }
    if (rc == 0 && n) {
        memcpy(d->v + d->n, v, n * sizeof(*v));
        d->n += n;
    }
    free(v);
    return rc;
}

/* End of the chunk starting at cs: a line end after CHUNK_MIN bytes, else a space, else any
 * code point boundary at CHUNK_MAX. */
static size_t chunk_end(const char *text, size_t len, size_t cs)
{
    if (len - cs <= CHUNK_MAX)
        return len;
    const char *nl = memchr(text + cs + CHUNK_MIN, '\n', CHUNK_MAX - CHUNK_MIN);
    if (nl)
        return (size_t)(nl - text) + 1;
    for (size_t i = cs + CHUNK_MAX; i > cs + CHUNK_MIN; i--)
        if (text[i - 1] == ' ')
            return i;
    size_t i = cs + CHUNK_MAX;
    while (i > cs && ((unsigned char)text[i] & 0xC0) == 0x80)
        i--;
    return i;
}

static uint32_t count_cps(const char *s, size_t n)
{
    uint32_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += ((unsigned char)s[i] & 0xC0) != 0x80;
    return k;
}

/* The flows whose places were kept (res_of: entry -> entity index, negative when dropped):
 * a route named only by where it passes takes the one before it; the same flow said twice is
 * one flow with two mentions. */
static int build_flows(struct doc *d, struct intake_result *res, const int *res_of)
{
    res->flows = calloc(d->n_flows + 1, sizeof(*res->flows));
    if (!res->flows)
        return LIA_ENOMEM;
    const struct raw_flow *last = NULL;
    for (size_t i = 0; i < d->n_flows; i++) {
        struct raw_flow *f = &d->flows[i];
        bool inherited = f->from < 0;
        if (inherited) {
            if (!last || f->m.byte_start > last->m.byte_end + INHERIT_BYTES)
                continue;
            f->from = last->from;
            f->to = last->to;
        }
        int from = res_of[f->from], to = res_of[f->to];
        if (from < 0 || to < 0)
            continue;
        if (!inherited)
            last = f;
        struct intake_flow nf = {.commodities = f->commodities,
                                 .from = (size_t)from,
                                 .to = (size_t)to,
                                 .inherited = inherited};
        for (size_t k = 0; k < f->n_via; k++) {
            int via = res_of[f->via[k]];
            if (via >= 0 && via != from && via != to)
                nf.via[nf.n_via++] = (size_t)via;
        }
        struct intake_flow *same = NULL;
        for (size_t k = 0; k < res->n_flows && !same; k++) {
            struct intake_flow *o = &res->flows[k];
            if (o->from == nf.from && o->to == nf.to && o->commodities == nf.commodities)
                same = o;
        }
        if (!same) {
            same = &res->flows[res->n_flows++];
            *same = nf;
        } else {
            for (size_t k = 0; k < nf.n_via && same->n_via < INTAKE_FLOW_MAX_VIA; k++) {
                bool have = false;
                for (size_t j = 0; j < same->n_via; j++)
                    have |= same->via[j] == nf.via[k];
                if (!have)
                    same->via[same->n_via++] = nf.via[k];
            }
        }
        if (same->n_mentions < INTAKE_FLOW_MAX_MENTIONS)
            same->mentions[same->n_mentions++] = f->m;
    }
    return 0;
}

/* Keeps the mentions that need no context or got it, groups them per entry, resolves the
 * relationships. */
static int build_result(const struct intake_gazetteer *g, struct doc *d, struct intake_result *res,
                        struct lia_err *err)
{
    struct raw_mention *v = d->v;
    size_t n = d->n;
    int *res_of = malloc((g->n_entries + 1) * sizeof(*res_of));
    size_t *count = calloc(g->n_entries + 1, sizeof(*count));
    res->entities = calloc(n + 1, sizeof(*res->entities));
    int rc = 0;
    if (!res_of || !count || !res->entities)
        rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    for (size_t i = 0; rc == 0 && i < g->n_entries; i++)
        res_of[i] = -1;
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (!v[i].pending)
            res_of[v[i].entry] = -2;
    /* a pending name listed next to a confirmed one of the same type (Nigeria, Niger, Chad
     * and Cameroon) is confirmed by the list */
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (!v[i].pending)
            continue;
        if ((v[i].list_prev && !v[i - 1].pending) ||
            (i + 1 < n && v[i + 1].list_prev && !v[i + 1].pending)) {
            v[i].pending = false;
            res_of[v[i].entry] = -2;
        }
    }
    /* a pending country is confirmed by a place inside it (Jordan ... Amman) */
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const struct gz_entry *e = &g->entries[v[i].entry];
        if (!v[i].pending || e->type != INTAKE_COUNTRY || res_of[v[i].entry] == -2)
            continue;
        for (size_t x = 0; x < n; x++) {
            const struct gz_entry *p = &g->entries[v[x].entry];
            if (!v[x].pending && (p->type == INTAKE_CITY || p->type == INTAKE_ADMIN1) &&
                !strcmp(p->country, e->country)) {
                res_of[v[i].entry] = -2;
                break;
            }
        }
    }
    size_t k = 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (res_of[v[i].entry] == -2)
            v[k++] = v[i];
    n = k;
    for (size_t i = 0; rc == 0 && i < n; i++)
        count[v[i].entry]++;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        int32_t ei = v[i].entry;
        if (res_of[ei] < 0) {
            struct intake_entity *e = &res->entities[res->n_entities];
            const struct gz_entry *ge = &g->entries[ei];
            e->key = ge->key;
            e->type = ge->type;
            e->name = ge->name;
            e->country = ge->country;
            e->first = res->n_entities;
            e->mentions = malloc(count[ei] * sizeof(*e->mentions));
            if (!e->mentions) {
                rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
                break;
            }
            res_of[ei] = (int)res->n_entities++;
        }
        struct intake_entity *e = &res->entities[res_of[ei]];
        e->mentions[e->n_mentions++] = v[i].m;
    }
    size_t cap = 0;
    for (size_t x = 0; rc == 0 && x < res->n_entities; x++) {
        const struct intake_entity *e = &res->entities[x];
        if (e->type != INTAKE_BODY || !e->country[0])
            continue;
        for (size_t y = 0; rc == 0 && y < res->n_entities; y++)
            if (res->entities[y].type == INTAKE_COUNTRY &&
                !strcmp(res->entities[y].country, e->country))
                rc = add_relation(res, &cap, x, y, "located-at");
    }
    for (size_t i = 0; rc == 0 && i < d->n_rels; i++) {
        int s = res_of[d->rels[i].source], t = res_of[d->rels[i].target];
        if (s >= 0 && t >= 0)
            rc = add_relation(res, &cap, (size_t)s, (size_t)t, d->rels[i].type);
    }
    if (rc == 0)
        rc = build_flows(d, res, res_of);
    if (rc < 0 && !err->code)
        lia_err_set(err, rc, "out of memory");
    free(res_of);
    free(count);
    return rc;
}

int intake_check_input(const char *text, size_t len, struct lia_err *err)
{
    if (len == 0)
        return lia_err_set(err, INTAKE_EREFUSED, "empty input: nothing to analyse");
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        if (s[i] < 0x80) {
            if (s[i] == 0)
                return lia_err_set(err, INTAKE_EREFUSED,
                                   "binary data: NUL byte at byte %zu (expected UTF-8 text)", i);
            i++;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &cp);
        if (n <= 0 || cp < 0)
            return lia_err_set(err, INTAKE_EREFUSED, "invalid UTF-8 at byte %zu", i);
        i += (size_t)n;
    }
    return 0;
}

/* Arabic when Arabic letters are at least a third as many as Latin ones; otherwise French
 * when its function words (le, la, les, des, du, une, est, dans, pour, à...) outnumber
 * English ones (the, of, and, to, is, for, with...). */
static enum intake_lang detect_lang(const char *text, size_t len)
{
    size_t ar = 0, lat = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == 0xD8 || c == 0xD9 || c == 0xDA || c == 0xDB)
            ar++;
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
            lat++;
    }
    if (ar >= lat / 3 && ar > 0)
        return INTAKE_LANG_AR;
    static const char *const fr[] = {"le",   "la",   "les", "des",   "du",  "une", "est",
                                     "dans", "pour", "sur", "selon", "aux", "qui", "et"};
    static const char *const en[] = {"the", "of",   "and", "to",   "is",   "for", "with",
                                     "was", "that", "by",  "from", "said", "on",  "has"};
    size_t nfr = 0, nen = 0, scanned = 0;
    for (size_t i = 0; i < len && scanned < 4096;) {
        while (i < len && !((text[i] | 0x20) >= 'a' && (text[i] | 0x20) <= 'z'))
            i++;
        size_t j = i;
        while (j < len && (text[j] | 0x20) >= 'a' && (text[j] | 0x20) <= 'z')
            j++;
        char w[8];
        size_t n = j - i;
        if (n > 0 && n < sizeof(w)) {
            for (size_t k = 0; k < n; k++)
                w[k] = (char)(text[i + k] | 0x20);
            w[n] = '\0';
            for (size_t k = 0; k < sizeof(fr) / sizeof(fr[0]); k++)
                nfr += !strcmp(w, fr[k]);
            for (size_t k = 0; k < sizeof(en) / sizeof(en[0]); k++)
                nen += !strcmp(w, en[k]);
        }
        scanned++;
        i = j;
    }
    return nfr > nen ? INTAKE_LANG_FR : INTAKE_LANG_EN;
}

int intake_lang_parse(const char *s, enum intake_lang *out)
{
    static const char *const names[] = {"auto", "ar", "en", "fr"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(s, names[i])) {
            *out = (enum intake_lang)i;
            return 0;
        }
    return -1;
}

const char *intake_lang_name(enum intake_lang l)
{
    static const char *const names[] = {"auto", "ar", "en", "fr"};
    return (unsigned)l < sizeof(names) / sizeof(names[0]) ? names[l] : "auto";
}

int intake_analyze(const struct intake_gazetteer *g, const char *text, size_t len,
                   const struct intake_options *opt, struct intake_result *res, struct lia_err *err)
{
    memset(res, 0, sizeof(*res));
    size_t max = opt && opt->max_input ? opt->max_input : INTAKE_DEFAULT_MAX_INPUT;
    if (len > max)
        return lia_err_set(err, LIA_ETOOBIG, "input is %zu bytes, over the %zu byte limit", len,
                           max);
    int rc = intake_check_input(text, len, err);
    if (rc < 0)
        return rc;
    res->lang = opt && opt->lang != INTAKE_LANG_AUTO ? opt->lang : detect_lang(text, len);
    struct text_token_list tl;
    memset(&tl, 0, sizeof(tl));
    dbuf_init(&tl.text, 40 * CHUNK_MAX); /* NFKC can expand one code point to 18 */
    struct doc d;
    memset(&d, 0, sizeof(d));
    uint32_t cbase = 0;
    for (size_t cs = 0; rc == 0 && cs < len;) {
        size_t ce = chunk_end(text, len, cs);
        rc = analyze_chunk(g, res->lang, text, cs, ce, cbase, &tl, &d, err);
        cbase += count_cps(text + cs, ce - cs);
        cs = ce;
    }
    text_tokens_release(&tl);
    if (rc == 0)
        rc = build_result(g, &d, res, err);
    free(d.v);
    free(d.rels);
    free(d.flows);
    if (rc < 0)
        intake_result_release(res);
    return rc;
}

void intake_result_release(struct intake_result *res)
{
    for (size_t i = 0; res->entities && i < res->n_entities; i++)
        free(res->entities[i].mentions);
    free(res->entities);
    free(res->relations);
    free(res->flows);
    memset(res, 0, sizeof(*res));
}
