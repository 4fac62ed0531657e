/*
 * Nisbas and demonyms: the adjectives that name a country without its name (issue 22).
 *
 *  - With a state head noun they name that state's body, as before: السلطات الجزائرية,
 *    Algerian authorities, l'armée malienne -> the Algerian government, Mali's armed forces.
 *  - As adjectives they name the country too (mention `via: demonym`): الساحل الليبي,
 *    مصادر ليبية, the Libyan border, la frontière turque.
 *  - Never when the word names a people (الجزائريون, المغاربة, Algerians, les Maliens): those
 *    are nouns, and a people is not a place. Nor inside a person's name (أبو وليد
 *    الصحراوي, al-Sahrawi) or an organisation's (Turkish Airlines, l'Observatoire syrien).
 *
 * How an adjective is told from a noun:
 *  - Arabic: it follows a noun and agrees with it in definiteness (الجيش المالي, مصادر
 *    ليبية); a nisba after a word of the other kind is a noun or part of a name (قال
 *    الجزائريون, أبو وليد الصحراوي, وزارة المالية = the ministry of finance). After أبو/ابن
 *    it is a name. A nisba that is also a common word (المالية, اليمني) needs a state head.
 *  - English: capitalised, before a lower-case word that is not a function word (Algerian
 *    troops), or before a capitalised word a state body begins with (Somali National Army);
 *    not after al-/Abu/bin (al-Sahrawi). "Rwandan and Mozambican troops": each.
 *  - French: lower case, after a lower-case noun (l'armée malienne, des soldats maliens);
 *    not after a capitalised word inside a sentence (l'Observatoire syrien, la Fédération
 *    algérienne de football), nor after an article (les russes).
 */
#include "intake/intake_int.h"

#include <string.h>

/* يا: the indefinite accusative (رهينة فرنسيا); the country names that end so (سوريا,
 * روسيا, ليبيا) are aliases and matched before this. */
static const char *const nisba_suffixes[] = {"يتان", "يتين", "يات", "يان", "يين",
                                             "يون",  "يه",   "يا",  "ي"};

static bool word_in(const char *w, size_t n, const char *const *list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (strlen(list[i]) == n && !memcmp(list[i], w, n))
            return true;
    return false;
}

static bool is_word(const struct intake_matcher *m, size_t i, const char *const *list, size_t count)
{
    return word_in(intake_ttext(m, i), m->tl->v[i].nlen, list, count);
}
#define IS_WORD(m, i, list) is_word(m, i, list, sizeof(list) / sizeof((list)[0]))

/* Country entry of an Arabic nisba form (article allowed), or -1; *flags gets its DM_ and
 * AL_CONTEXT flags. */
static int32_t nisba_country(const struct intake_gazetteer *g, const char *f, size_t n,
                             uint32_t *flags)
{
    if (n >= 4 && !memcmp(f, "ال", 4)) {
        f += 4;
        n -= 4;
    }
    for (size_t s = 0; s < sizeof(nisba_suffixes) / sizeof(nisba_suffixes[0]); s++) {
        size_t sl = strlen(nisba_suffixes[s]);
        if (n < sl + 4 || memcmp(f + n - sl, nisba_suffixes[s], sl))
            continue;
        const struct hslot *d = hmap_get(&g->demonyms, f, n - sl);
        if (d && (d->flags & DM_AR)) {
            *flags = d->flags;
            return d->val;
        }
    }
    return -1;
}

/* Definite: the article, alone or after و ف ب ك ل (والجيش, بالسلطات), or لل (للسلطات). */
static bool ar_definite(const char *t, size_t n)
{
    static const char *const pre[] = {"",   "و",  "ف",  "ب",  "ك",  "وب",  "فب",
                                      "وك", "فك", "ول", "فل", "لل", "ولل", "فلل"};
    for (size_t i = 0; i < sizeof(pre) / sizeof(pre[0]); i++) {
        size_t pl = strlen(pre[i]);
        bool ll = pl >= 4 && !memcmp(pre[i] + pl - 4, "لل", 4);
        if (ll && n > pl + 2 && !memcmp(t, pre[i], pl))
            return true;
        if (!ll && n > pl + 6 && !memcmp(t, pre[i], pl) && !memcmp(t + pl, "ال", 4))
            return true;
    }
    return false;
}

/* A country mention over token i, written as an adjective; skip: clitic code points. */
static int push_country(struct intake_matcher *m, int32_t ci, size_t i, int skip)
{
    const struct text_token *t = &m->tl->v[i];
    int rc = intake_push(m, ci, i, i + 1, skip, t->ob, t->ob, false);
    if (rc == 0)
        m->v[m->n - 1].m.via = INTAKE_VIA_DEMONYM;
    return rc;
}

/* Words that make the nisba after them part of a person's name. */
static const char *const kin[] = {"ابو", "ابي", "ابا", "ابن", "بن", "بنت", "ام"};

int intake_try_nisba(struct intake_matcher *m, size_t i, size_t min_head)
{
    const struct text_token *t = &m->tl->v[i];
    if (t->script != TEXT_SCRIPT_ARABIC || i == 0 || (t->flags & TEXT_TOK_BREAK_BEFORE) ||
        t->nlen < 6)
        return 0;
    /* a nisba ends in ي, ه (ية), ن (يان يين يون ...), ت (يات) or ا (يا) */
    const unsigned char *last = (const unsigned char *)intake_ttext(m, i) + t->nlen - 2;
    if (last[0] != 0xD9 || (last[1] != 0x8A && last[1] != 0x87 && last[1] != 0x86)) {
        if (!(last[0] == 0xD8 && (last[1] == 0xAA || last[1] == 0xA7)))
            return 0;
    }
    struct text_clitic_cand c[12];
    int nc = intake_clitic_candidates(m->g, intake_ttext(m, i), t->nlen, c, 12, false);
    int32_t ci = -1;
    uint32_t flags = 0;
    int which = 0;
    for (int k = 0; k < nc && ci < 0; k++)
        if (k == 0 || !strstr(c[k].prefix, "ال") || !memcmp(c[k].form, "ال", 4)) {
            ci = nisba_country(m->g, c[k].form, c[k].len, &flags);
            which = k;
        }
    if (ci < 0)
        return 0;
    if (m->tl->v[i - 1].script != TEXT_SCRIPT_ARABIC || IS_WORD(m, i - 1, kin) ||
        (i >= 2 && !(m->tl->v[i - 1].flags & TEXT_TOK_BREAK_BEFORE) && IS_WORD(m, i - 2, kin)))
        return 0; /* أبو وليد الصحراوي: a name */
    for (size_t len = 2; len >= 1; len--) {
        if (i < len || i - len < min_head)
            continue;
        size_t h = i - len;
        struct text_clitic_cand hc[12];
        const struct text_token *ht = &m->tl->v[h];
        int nh = intake_clitic_candidates(m->g, intake_ttext(m, h), ht->nlen, hc, 12, false);
        for (int k = 0; k < nh; k++) {
            size_t o = hc[k].len;
            memcpy(m->key, hc[k].form, o);
            bool ok = true;
            for (size_t q = h + 1; q < i && ok; q++) {
                const struct text_token *qt = &m->tl->v[q];
                if ((qt->flags & TEXT_TOK_BREAK_BEFORE) || o + qt->nlen + 1 >= sizeof(m->key))
                    ok = false;
                else {
                    m->key[o++] = ' ';
                    memcpy(m->key + o, intake_ttext(m, q), qt->nlen);
                    o += qt->nlen;
                }
            }
            int32_t cls;
            if (ok && intake_rule(m->g, 'H', "", m->key, o, &cls)) {
                int32_t body = m->g->entries[ci].body_of[cls];
                if (body < 0)
                    return 0;
                int rc = intake_push(m, body, h, i + 1, hc[k].skip, ht->ob, ht->ob, false);
                if (rc == 0)
                    rc = push_country(m, ci, i, c[which].skip);
                return rc < 0 ? rc : 1;
            }
        }
    }
    /* a nisba that is also a common word (المالية = financial) needs a state head */
    if (flags & AL_CONTEXT)
        return 0;
    const struct text_token *p = &m->tl->v[i - 1];
    if (ar_definite(intake_ttext(m, i - 1), p->nlen) != ar_definite(intake_ttext(m, i), t->nlen))
        return 0; /* قال الجزائريون, وزارة المالية: not an adjective */
    /* بين الأمريكيين والجزائريين: a nisba joined by و to one that was a noun is a noun too */
    uint32_t pf;
    bool prev_adjective =
        m->n > 0 && m->v[m->n - 1].ti == i - 1 && m->v[m->n - 1].m.via == INTAKE_VIA_DEMONYM;
    if (c[which].prefix[0] && !prev_adjective &&
        nisba_country(m->g, intake_ttext(m, i - 1), p->nlen, &pf) >= 0)
        return 0;
    int rc = push_country(m, ci, i, c[which].skip);
    return rc < 0 ? rc : 1;
}

/* English words after which a capitalised demonym is a name (al-Sahrawi, Abu ...). */
static const char *const en_name_particles[] = {"al",  "el",   "abu", "bin",  "ibn",
                                                "ben", "ould", "ag",  "abou", "umm"};
/* English function words: a demonym before one of them is a noun (the Somali who ...). */
static const char *const en_stop[] = {
    "is",   "was",   "are",     "were",    "be",     "been",  "and",   "or",     "who",   "which",
    "that", "has",   "have",    "had",     "said",   "says",  "say",   "to",     "of",    "in",
    "on",   "at",    "by",      "for",     "from",   "with",  "as",    "but",    "the",   "a",
    "an",   "it",    "its",     "not",     "also",   "will",  "would", "could",  "may",   "might",
    "can",  "than",  "then",    "there",   "this",   "these", "those", "their",  "they",  "he",
    "she",  "we",    "if",      "after",   "before", "since", "while", "during", "over",  "under",
    "into", "about", "between", "against", "did",    "do",    "does",  "when",   "where", "whose"};
/* Capitalised words a state body's name starts with (Somali National Army, Nigerian Army). */
static const char *const en_state_words[] = {
    "army",        "national",   "police",   "government",   "ministry", "forces",    "armed",
    "security",    "navy",       "air",      "defence",      "defense",  "interior",  "guard",
    "gendarmerie", "presidency", "military", "troops",       "soldiers", "officials", "authorities",
    "border",      "capital",    "coast",    "intelligence", "special",  "foreign"};

static bool en_demonym(const struct intake_matcher *m, size_t i, int32_t *ci)
{
    const struct text_token *t = &m->tl->v[i];
    if (t->script != TEXT_SCRIPT_LATIN)
        return false;
    const struct hslot *d = hmap_get(&m->g->demonyms, intake_ttext(m, i), t->nlen);
    if (!d || !(d->flags & DM_EN))
        return false;
    if ((d->flags & AL_CASE) ? !(t->flags & TEXT_TOK_ALLCAPS) : !(t->flags & TEXT_TOK_CAPITAL))
        return false;
    *ci = d->val;
    return true;
}

int intake_try_demonym_en(struct intake_matcher *m, size_t i)
{
    int32_t ci[8];
    size_t at[8], n = 0;
    if (!en_demonym(m, i, &ci[0]) || intake_alias_end(m, i) > i + 1)
        return 0; /* Tunisian National Guard is a name: the alias, then its demonym */
    if (i > 0 && !(m->tl->v[i].flags & TEXT_TOK_BREAK_BEFORE) &&
        IS_WORD(m, i - 1, en_name_particles))
        return 0;
    at[n++] = i;
    /* Rwandan and Mozambican troops */
    size_t k = i;
    while (
        n < 8 && k + 2 < m->tl->n && !(m->tl->v[k + 1].flags & TEXT_TOK_BREAK_BEFORE) &&
        !(m->tl->v[k + 2].flags & TEXT_TOK_BREAK_BEFORE) &&
        (intake_is_word(m->g, m->tl, k + 1, "and") || intake_is_word(m->g, m->tl, k + 1, "or")) &&
        en_demonym(m, k + 2, &ci[n])) {
        at[n++] = k + 2;
        k += 2;
    }
    size_t next = k + 1;
    if (next >= m->tl->n || (m->tl->v[next].flags & TEXT_TOK_BREAK_BEFORE))
        return 0;
    int rc = 0;
    for (size_t len = 3; len >= 1; len--) {
        int32_t cls;
        if (next + len > m->tl->n || !intake_phrase_rule(m, 'H', "", next, next + len, &cls))
            continue;
        for (size_t x = 0; rc == 0 && x < n; x++) {
            int32_t body = m->g->entries[ci[x]].body_of[cls];
            const struct text_token *t = &m->tl->v[at[x]];
            if (body >= 0)
                rc = intake_push(m, body, at[x], x + 1 == n ? next + len : at[x] + 1, 0, t->ob,
                                 t->ob, false);
            if (rc == 0)
                rc = push_country(m, ci[x], at[x], 0);
        }
        return rc < 0 ? rc : (int)(next + len - i);
    }
    const struct text_token *nt = &m->tl->v[next];
    if (nt->script != TEXT_SCRIPT_LATIN)
        return 0;
    bool adjective = (nt->flags & TEXT_TOK_CAPITAL) ? IS_WORD(m, next, en_state_words)
                                                    : !IS_WORD(m, next, en_stop);
    if (!adjective)
        return 0;
    for (size_t x = 0; rc == 0 && x < n; x++)
        rc = push_country(m, ci[x], at[x], 0);
    return rc < 0 ? rc : (int)(next - i);
}

/* French words after which a lower-case demonym is a noun (les russes) or not an adjective. */
static const char *const fr_stop[] = {"le",  "la",   "les",  "des",  "du",   "de",    "un",
                                      "une", "et",   "ou",   "en",   "au",   "aux",   "a",
                                      "par", "pour", "sur",  "dans", "avec", "sans",  "que",
                                      "qui", "est",  "sont", "ces",  "ses",  "leurs", "nos"};

int intake_try_demonym_fr(struct intake_matcher *m, size_t i, size_t min_head)
{
    const struct text_token *t = &m->tl->v[i];
    if (t->script != TEXT_SCRIPT_LATIN || i == 0 ||
        (t->flags & (TEXT_TOK_BREAK_BEFORE | TEXT_TOK_CAPITAL)))
        return 0;
    const struct hslot *d = hmap_get(&m->g->demonyms, intake_ttext(m, i), t->nlen);
    if (!d || !(d->flags & DM_FR))
        return 0;
    const struct text_token *p = &m->tl->v[i - 1];
    if (p->script != TEXT_SCRIPT_LATIN || IS_WORD(m, i - 1, fr_stop))
        return 0;
    /* a capital inside a sentence: an organisation's name (l'Observatoire syrien) */
    bool starts = i - 1 == 0 || (p->flags & TEXT_TOK_BREAK_BEFORE);
    if ((p->flags & TEXT_TOK_CAPITAL) && !starts)
        return 0;
    int32_t ci = d->val;
    for (size_t len = 3; len >= 1; len--) {
        int32_t cls;
        if (i < len || i - len < min_head || !intake_phrase_rule(m, 'H', "", i - len, i, &cls))
            continue;
        const struct text_token *ht = &m->tl->v[i - len];
        if ((ht->flags & TEXT_TOK_CAPITAL) &&
            !(i - len == 0 || (ht->flags & TEXT_TOK_BREAK_BEFORE)))
            continue;
        int32_t body = m->g->entries[ci].body_of[cls];
        int rc = body >= 0 ? intake_push(m, body, i - len, i + 1, 0, ht->ob, ht->ob, false) : 0;
        if (rc == 0)
            rc = push_country(m, ci, i, 0);
        return rc < 0 ? rc : 1;
    }
    if (d->flags & AL_CONTEXT)
        return 0;
    int rc = push_country(m, ci, i, 0);
    return rc < 0 ? rc : 1;
}

int intake_body_demonym(struct intake_matcher *m, int32_t body, size_t i, size_t j)
{
    /* a body names its own country only; a region any (الجنوب الليبي) */
    const char *cc = m->g->entries[body].type == INTAKE_BODY ? m->g->entries[body].country : "";
    if (m->g->entries[body].type == INTAKE_BODY && !cc[0])
        return 0;
    for (size_t k = i; k < j; k++) {
        const struct text_token *t = &m->tl->v[k];
        int32_t ci = -1;
        uint32_t flags = 0;
        if (t->script == TEXT_SCRIPT_ARABIC && k > i) {
            /* شمال مالي: a country's own name is nested_country's, not a nisba */
            const struct hslot *a = hmap_get(&m->g->aliases, intake_ttext(m, k), t->nlen);
            if (!(a && (a->flags & AL_FULL)))
                ci = nisba_country(m->g, intake_ttext(m, k), t->nlen, &flags);
        } else if (t->script == TEXT_SCRIPT_LATIN) {
            const struct hslot *d = hmap_get(&m->g->demonyms, intake_ttext(m, k), t->nlen);
            ci = d && (d->flags & (DM_EN | DM_FR)) ? d->val : -1;
        }
        if (ci >= 0 && (!cc[0] || !strcmp(m->g->entries[ci].country, cc)))
            return push_country(m, ci, k, 0);
    }
    return 0;
}
