/*
 * Flows in text (docs/flows.md, "Intake drafts flows"): "تهريب الأسلحة من ليبيا إلى شمال
 * مالي", "fighters travelling from Libya to northern Mali", "le financement des groupes
 * armés transite via le Niger".
 *
 * Within one sentence, the words of flows.tsv give events in text order: a commodity (what
 * moves), or a marker (from, to, to-after-from, via) followed, over head words only (de la,
 * the, الأراضي), by a place the matcher found. A French "d'" split off a place is a from
 * marker. The events make flows:
 *   - the commodities seen since the last flow are what the next route carries, when the
 *     route begins at most MAX_GAP tokens after them (what moves is written before where it
 *     goes: "the minister flew from Algiers to Bamako to discuss weapons trafficking" is no
 *     flow);
 *   - a route has a from place and a to place (to-after-from words only count right after
 *     the from place: "du Mali au Burkina Faso", but "au Niger" alone is "in Niger") and any
 *     via places; a commodity after a route closes it;
 *   - a route with neither from nor to but via places takes the route of the flow before it,
 *     if one was found within INHERIT_BYTES of text (analyze.c resolves it: "... de la Libye
 *     vers le nord du Mali. Le financement des groupes armés transite via le Niger.").
 * Precision first: no commodity, no flow; one end missing, no flow.
 */
#include "intake/intake_int.h"

#include <stdlib.h>
#include <string.h>

#include "stix/stix.h"

#define MAX_GAP 12     /* tokens from the last commodity to the route's first marker */
#define MAX_HEADS 3    /* head words between a marker and its place */
#define MAX_PHRASE 3   /* tokens in a flows.tsv phrase */
#define MAX_READINGS 8 /* clitic readings of a first token */

/* hslot flag: the word is written without accents, so it only matches text written without
 * them (French "armés", armed, is not "armes", weapons: the normaliser folds both alike). */
#define FLOW_WORD_ASCII 1u

static char lang_letter(enum intake_lang l)
{
    return l == INTAKE_LANG_AR ? 'a' : l == INTAKE_LANG_FR ? 'f' : 'e';
}

int intake_flow_word_row(struct intake_gazetteer *g, char **c, int nc, struct lia_err *err)
{
    static const struct {
        const char *kind;
        int32_t val;
    } markers[] = {{"from", FW_FROM},
                   {"to", FW_TO},
                   {"to-after-from", FW_TO_AFTER_FROM},
                   {"via", FW_VIA},
                   {"head", FW_HEAD}};
    if (nc < 3)
        return lia_err_set(err, LIA_EINVAL, "expected 3 columns (kind, lang, word)");
    int32_t val = -1;
    size_t n_comm;
    const char *const *comm = stix_flow_commodities(&n_comm);
    for (size_t i = 0; i < n_comm; i++)
        if (!strcmp(c[0], comm[i]))
            val = (int32_t)i;
    for (size_t i = 0; val < 0 && i < sizeof markers / sizeof markers[0]; i++)
        if (!strcmp(c[0], markers[i].kind))
            val = markers[i].val;
    if (val < 0)
        return lia_err_set(err, LIA_EINVAL, "unknown flow word kind '%s'", c[0]);
    enum intake_lang lang;
    if (intake_lang_parse(c[1], &lang) || lang == INTAKE_LANG_AUTO)
        return lia_err_set(err, LIA_EINVAL, "flow word language '%s' is not ar, en or fr", c[1]);
    size_t n;
    int nt;
    char *norm = text_normalize_phrase(&g->arena, c[2], strlen(c[2]), &n, &nt, NULL);
    if (!norm || nt > MAX_PHRASE || n + 7 > 256)
        return lia_err_set(err, LIA_EINVAL, "flow word '%s': 1 to %d words", c[2], MAX_PHRASE);
    /* Arabic nouns also with their article: the clitic lattice never takes a bare article off
     * (docs/intake.md), so الأسلحة is looked up whole. */
    bool article = lang == INTAKE_LANG_AR && (val < FW_FROM || val == FW_HEAD) &&
                   strncmp(norm, "\xd8\xa7\xd9\x84", 4) != 0;
    for (int pass = 0; pass < (article ? 2 : 1); pass++) {
        char key[260];
        size_t kl = 0;
        key[kl++] = lang_letter(lang);
        key[kl++] = '|';
        if (pass) {
            memcpy(key + kl, "\xd8\xa7\xd9\x84", 4);
            kl += 4;
        }
        memcpy(key + kl, norm, n);
        kl += n;
        struct hslot *s = hmap_find(&g->flow_words, &g->arena, key, kl, true);
        if (!s)
            return LIA_ENOMEM;
        s->val = val;
        bool ascii = true;
        for (const char *q = c[2]; *q && ascii; q++)
            ascii = (unsigned char)*q < 0x80;
        if (ascii)
            s->flags |= FLOW_WORD_ASCII;
        const char *sp = memchr(key + 2, ' ', kl - 2);
        text_filter_add(g->flow_filter, text_hash(key + 2, sp ? (size_t)(sp - key - 2) : kl - 2));
    }
    return 0;
}

/* The flow word that starts at token i of sentence sent (longest phrase first; the first
 * token read with its proclitics taken off); -1 when none. *len gets its token count. */
static bool ascii_tokens(const char *text, const struct text_token_list *tl, size_t i, size_t j)
{
    for (size_t k = i; k < j; k++)
        for (uint32_t b = tl->v[k].ob; b < tl->v[k].oe; b++)
            if ((unsigned char)text[b] >= 0x80)
                return false;
    return true;
}

static int32_t word_at(const struct intake_gazetteer *g, char lang, const char *text,
                       struct text_token_list *tl, size_t i, size_t *len)
{
    const char *tok = text_token_text(tl, i);
    size_t tn = tl->v[i].nlen;
    struct text_clitic_cand cand[MAX_READINGS];
    int nr = text_clitic_readings(tok, tn, cand, MAX_READINGS, g->flow_filter, NULL, NULL);
    if (nr <= 0)
        return -1;
    for (size_t want = MAX_PHRASE; want >= 1; want--) {
        if (i + want > tl->n)
            continue;
        bool joined = true;
        for (size_t k = i + 1; k < i + want && joined; k++)
            joined =
                tl->v[k].sentence == tl->v[i].sentence && !(tl->v[k].flags & TEXT_TOK_BREAK_BEFORE);
        if (!joined)
            continue;
        for (int r = 0; r < nr; r++) {
            char key[512];
            size_t kl = 0;
            key[kl++] = lang;
            key[kl++] = '|';
            if (cand[r].len + 2 >= sizeof key)
                continue;
            memcpy(key + kl, cand[r].form, cand[r].len);
            kl += cand[r].len;
            bool fits = true;
            for (size_t k = i + 1; k < i + want && fits; k++) {
                size_t nl = tl->v[k].nlen;
                fits = kl + 1 + nl < sizeof key;
                if (fits) {
                    key[kl++] = ' ';
                    memcpy(key + kl, text_token_text(tl, k), nl);
                    kl += nl;
                }
            }
            const struct hslot *s = fits ? hmap_get(&g->flow_words, key, kl) : NULL;
            if (s && (s->flags & FLOW_WORD_ASCII) && !ascii_tokens(text, tl, i, i + want))
                s = NULL;
            if (s) {
                *len = want;
                return s->val;
            }
        }
    }
    return -1;
}

/* A cheap first look at an Arabic token: may it, or it without one or two proclitics (و ف ب
 * ل ك, two bytes each in UTF-8; لل also as ال), be a flow word? Most tokens are not, and the
 * clitic lattice (word_at) is only built for those that may be. */
static bool arabic_maybe(const struct intake_gazetteer *g, const char *t, size_t n)
{
    static const char *const pro[] = {"\xd9\x88", "\xd9\x81", "\xd8\xa8", "\xd9\x84", "\xd9\x83"};
    if (text_filter_maybe(g->flow_filter, text_hash(t, n)))
        return true;
    for (size_t off = 2; off <= 4 && off + 2 <= n; off += 2) {
        bool is_pro = false;
        for (size_t k = 0; k < 5 && !is_pro; k++)
            is_pro = !memcmp(t + off - 2, pro[k], 2);
        if (!is_pro)
            return false;
        if (text_filter_maybe(g->flow_filter, text_hash(t + off, n - off)))
            return true;
        if (!memcmp(t + off - 2, "\xd9\x84", 2) && n - off >= 2 &&
            !memcmp(t + off, "\xd9\x84", 2)) {
            char buf[256];
            if (n - off + 2 > sizeof buf)
                return false;
            memcpy(buf, "\xd8\xa7", 2); /* لل: the article's alef elided */
            memcpy(buf + 2, t + off, n - off);
            if (text_filter_maybe(g->flow_filter, text_hash(buf, n - off + 2)))
                return true;
        }
    }
    return false;
}

static bool is_place_entry(const struct intake_gazetteer *g, int32_t e)
{
    enum intake_type t = g->entries[e].type;
    return t == INTAKE_COUNTRY || t == INTAKE_REGION || t == INTAKE_ADMIN1 || t == INTAKE_CITY;
}

/* A French "d'" (or d’) split off the place's first word: "d'Algérie". */
static bool elided_from(const char *text, const struct raw_mention *m)
{
    size_t pl = m->m.prefix_byte_end - m->m.prefix_byte_start;
    const char *p = text + m->m.prefix_byte_start;
    return pl >= 2 && (p[0] == 'd' || p[0] == 'D') &&
           (p[1] == '\'' || (pl >= 4 && !memcmp(p + 1, "\xe2\x80\x99", 3)));
}

struct event {
    int32_t kind;  /* commodity index, or FW_FROM / FW_TO / FW_TO_AFTER_FROM / FW_VIA */
    int32_t entry; /* the place, for markers */
    size_t ti, tj; /* tokens [ti, tj) */
};

struct route {
    bool open;
    uint32_t commodities;
    int32_t from, to, via[INTAKE_FLOW_MAX_VIA];
    uint8_t n_via;
    size_t ti, tj, from_end;
};

static int emit(const struct route *r, struct text_token_list *tl, struct raw_flow **out,
                size_t *n_out, size_t *cap)
{
    bool full = r->from >= 0 && r->to >= 0 && r->from != r->to;
    bool via_only = r->from < 0 && r->to < 0 && r->n_via > 0;
    if (!r->open || !r->commodities || !(full || via_only))
        return 0;
    if (*n_out == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        struct raw_flow *v = realloc(*out, nc * sizeof *v);
        if (!v)
            return LIA_ENOMEM;
        *out = v;
        *cap = nc;
    }
    struct raw_flow *f = &(*out)[(*n_out)++];
    memset(f, 0, sizeof *f);
    f->commodities = r->commodities;
    f->from = r->from;
    f->to = r->to;
    memcpy(f->via, r->via, sizeof f->via);
    f->n_via = r->n_via;
    const struct text_token *a = &tl->v[r->ti], *b = &tl->v[r->tj - 1];
    f->m.start = a->oc;
    f->m.end = b->oce;
    f->m.byte_start = a->ob;
    f->m.byte_end = b->oe;
    f->m.prefix_byte_start = f->m.prefix_byte_end = a->ob;
    return 0;
}

/* Turns one sentence's events into flows. */
static int assemble(const struct event *ev, size_t ne, struct text_token_list *tl,
                    struct raw_flow **out, size_t *n_out, size_t *cap)
{
    struct route r = {.from = -1, .to = -1};
    uint32_t pending = 0;
    size_t pend_ti = 0, last_comm = 0;
    int rc = 0;
    for (size_t i = 0; i < ne && rc == 0; i++) {
        const struct event *e = &ev[i];
        if (e->kind < FW_FROM) {
            if (r.open) {
                rc = emit(&r, tl, out, n_out, cap);
                r = (struct route){.from = -1, .to = -1};
                pending = 0;
            }
            if (!pending)
                pend_ti = e->ti;
            pending |= 1u << e->kind;
            last_comm = e->tj;
            continue;
        }
        if (!r.open) {
            r.open = true;
            r.ti = pend_ti;
            if (pending && e->ti <= last_comm + MAX_GAP)
                r.commodities = pending;
            else
                r.ti = e->ti;
        }
        switch (e->kind) {
        case FW_FROM:
            if (r.from >= 0 && r.to >= 0) { /* a second route for the same things */
                uint32_t c = r.commodities;
                rc = emit(&r, tl, out, n_out, cap);
                r = (struct route){
                    .open = true, .commodities = c, .from = -1, .to = -1, .ti = e->ti};
            }
            if (r.from < 0) {
                r.from = e->entry;
                r.from_end = e->tj;
            }
            break;
        case FW_TO_AFTER_FROM:
            if (r.from < 0 || r.to >= 0 || e->ti > r.from_end + 1)
                continue;
            /* fall through */
        case FW_TO:
            if (r.to < 0)
                r.to = e->entry;
            break;
        default:
            if (r.n_via < INTAKE_FLOW_MAX_VIA)
                r.via[r.n_via++] = e->entry;
            break;
        }
        r.tj = e->tj;
    }
    return rc ? rc : emit(&r, tl, out, n_out, cap);
}

int intake_find_flows(const struct intake_gazetteer *g, enum intake_lang lang, const char *text,
                      struct text_token_list *tl, const struct raw_mention *v, size_t n,
                      struct raw_flow **out, size_t *n_out, size_t *cap)
{
    char ll = lang_letter(lang);
    struct event *ev = NULL;
    size_t ne = 0, evcap = 0, mi = 0;
    int rc = 0;
    uint32_t sent = tl->n ? tl->v[0].sentence : 0;
    for (size_t i = 0; i <= tl->n && rc == 0;) {
        if (i == tl->n || tl->v[i].sentence != sent) {
            rc = assemble(ev, ne, tl, out, n_out, cap);
            ne = 0;
            if (i == tl->n)
                break;
            sent = tl->v[i].sentence;
        }
        while (mi < n && v[mi].ti < i)
            mi++;
        struct event e = {.kind = -1, .entry = -1, .ti = i, .tj = i + 1};
        size_t len = 1;
        int32_t w = -1;
        if (mi < n && v[mi].ti == i && is_place_entry(g, v[mi].entry) &&
            elided_from(text, &v[mi])) {
            e.kind = FW_FROM;
            e.entry = v[mi].entry;
            e.tj = v[mi].tj;
        } else if (tl->v[i].script == TEXT_SCRIPT_ARABIC
                       ? arabic_maybe(g, text_token_text(tl, i), tl->v[i].nlen)
                       : text_filter_maybe(g->flow_filter,
                                           text_hash(text_token_text(tl, i), tl->v[i].nlen))) {
            w = word_at(g, ll, text, tl, i, &len);
        }
        if (w >= 0 && w < FW_FROM) {
            e.kind = w;
            e.tj = i + len;
        } else if (w >= FW_FROM && w != FW_HEAD) {
            /* the place after the marker, over head words */
            size_t j = i + len, heads = 0;
            size_t hl;
            while (j < tl->n && heads < MAX_HEADS && tl->v[j].sentence == sent &&
                   word_at(g, ll, text, tl, j, &hl) == FW_HEAD) {
                j += hl;
                heads++;
            }
            size_t k = mi;
            while (k < n && v[k].ti < j)
                k++;
            if (k < n && v[k].ti == j && tl->v[j].sentence == sent &&
                is_place_entry(g, v[k].entry)) {
                e.kind = w;
                e.entry = v[k].entry;
                e.tj = v[k].tj;
            }
        }
        if (e.kind >= 0) {
            if (ne == evcap) {
                size_t nc = evcap ? evcap * 2 : 16;
                struct event *nv = realloc(ev, nc * sizeof *nv);
                if (!nv) {
                    rc = LIA_ENOMEM;
                    break;
                }
                ev = nv;
                evcap = nc;
            }
            ev[ne++] = e;
            i = e.tj;
        } else {
            i++;
        }
    }
    free(ev);
    return rc;
}
