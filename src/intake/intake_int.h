/*
 * Private header of src/intake/: the gazetteer's tables, the matcher's mentions.
 * Nothing outside src/intake/ (and its unit tests) includes this file.
 */
#ifndef LIAISON_INTAKE_INT_H
#define LIAISON_INTAKE_INT_H

#include "intake/intake.h"
#include "text/text.h"

/* Open-addressing string map; keys live in the owner's arena. */
struct hslot {
    const char *key;
    uint32_t klen, hash;
    int32_t val;
    uint32_t flags;
};
struct hmap {
    struct hslot *slots;
    size_t cap, n;
};
/* Returns the slot for key, inserting an empty one (val -1, flags 0) when create is set. */
struct hslot *hmap_find(struct hmap *m, struct arena *a, const char *key, size_t n, bool create);
const struct hslot *hmap_get(const struct hmap *m, const char *key, size_t n);
/* The same with the key's text_hash already computed. */
const struct hslot *hmap_get_h(const struct hmap *m, const char *key, size_t n, uint32_t h);
void hmap_release(struct hmap *m);

enum alias_flag {
    AL_FULL = 1,    /* the key is a whole alias */
    AL_PREFIX = 2,  /* a longer alias starts with these tokens */
    AL_CONTEXT = 4, /* needs context (rules.tsv) */
    AL_CASE = 8,    /* Latin acronym: only when written in capitals */
};
/* Languages of a demonym form (flags of the demonyms map, beside AL_CONTEXT and AL_CASE). */
enum demonym_flag {
    DM_AR = 16, /* an Arabic nisba stem */
    DM_EN = 32, /* an English adjective, before its noun */
    DM_FR = 64, /* a French adjective, after its noun */
};

enum head_class { HEAD_GOVERNMENT, HEAD_ARMED_FORCES, HEAD_SECURITY, N_HEAD_CLASSES };

struct gz_entry {
    const char *key, *name, *country, *info;
    double lat, lon;
    bool has_coord;
    enum intake_type type;
    const char **aliases; /* display forms, original spelling */
    size_t n_aliases;
    int body_of[N_HEAD_CLASSES]; /* for countries: the synthesised identity entries */
};

struct intake_gazetteer {
    struct arena arena;
    struct gz_entry *entries;
    size_t n_entries, cap_entries;
    size_t n_aliases;
    struct hmap aliases; /* normalised alias -> entry (AL_* flags) */
    struct hmap entry_by_key;
    struct hmap demonyms;   /* normalised ar stem or Latin word -> country entry; DM_* flags */
    struct hmap rules;      /* tagged keys: a tag letter, the argument, 0x1f, the word */
    struct hmap flow_words; /* "<lang letter>|<normalised phrase>" -> enum flow_word (flows.tsv) */
    uint64_t alias_filter[TEXT_FILTER_WORDS];
    uint64_t flow_filter[TEXT_FILTER_WORDS]; /* first tokens of flow words */
};

/* What a word of flows.tsv says: a commodity (its index in stix_flow_commodities) or a
 * marker. */
enum flow_word {
    FW_FROM = 16,
    FW_TO,
    FW_TO_AFTER_FROM,
    FW_VIA,
    FW_HEAD,
};
/* flows.tsv rows: kind, lang, word (gazetteer.c calls it for each row). */
int intake_flow_word_row(struct intake_gazetteer *g, char **c, int nc, struct lia_err *err);

/* A flow found in one chunk (flow.c), before the entities are confirmed. */
struct raw_flow {
    uint32_t commodities; /* bit i: stix_flow_commodities()[i] */
    int32_t from, to;     /* gazetteer entries; both -1 for a route taken from the flow before */
    int32_t via[INTAKE_FLOW_MAX_VIA];
    uint8_t n_via;
    struct intake_mention m; /* the words that say it */
};

/* Rule lookups. tag: 'B' trigger-before, 'A' trigger-after, 'P' trigger-prefix, 'K'
 * block-after (arg = entry key), 'S' no-clitic, 'H' head (val = class), 'V' attack verb. */
bool intake_rule(const struct intake_gazetteer *g, char tag, const char *arg, const char *w,
                 size_t wn, int32_t *val);

/* The clitic lattice (text_clitic_readings) of a first token, keeping whole the words of
 * rules.tsv's no-clitic list; alias_only: only readings that may start an alias. */
int intake_clitic_candidates(const struct intake_gazetteer *g, const char *tok, size_t n,
                             struct text_clitic_cand *out, int max, bool alias_only);

struct raw_mention {
    int32_t entry;
    uint32_t ti, tj; /* tokens [ti, tj) */
    struct intake_mention m;
    bool pending;   /* needs the entry to be confirmed elsewhere */
    bool list_prev; /* listed right after the previous mention (a, b and c) */
};
/* The matcher's state over one chunk of tokens (match.c, demonym.c). */
struct intake_matcher {
    const struct intake_gazetteer *g;
    const char *text;
    struct text_token_list *tl;
    struct raw_mention *v;
    size_t n, cap;
    char key[1024];
};
static inline const char *intake_ttext(const struct intake_matcher *m, size_t i)
{
    return m->tl->text.ptr + m->tl->v[i].noff;
}
/* Appends a mention of entry over tokens [ti, tj), skip code points into token ti (a clitic);
 * [pfx_b, pfx_e) is a detached prefix's bytes. 0 or LIA_ENOMEM. */
int intake_push(struct intake_matcher *m, int32_t entry, size_t ti, size_t tj, int skip,
                uint32_t pfx_b, uint32_t pfx_e, bool pending);
/* True when tokens [i, j), joined by single spaces, are a rule of tag (intake_rule). */
bool intake_phrase_rule(const struct intake_matcher *m, char tag, const char *arg, size_t i,
                        size_t j, int32_t *val);

/* End (exclusive) of the longest alias read literally from token i, or 0. */
size_t intake_alias_end(struct intake_matcher *m, size_t i);

/* Nisbas and demonyms (demonym.c). Each returns the tokens consumed from i (0 = none) or
 * LIA_ENOMEM. Arabic "<head> + nisba" and bare nisba adjectives (head from min_head on): */
int intake_try_nisba(struct intake_matcher *m, size_t i, size_t min_head);
/* English "<demonym> <head>", and a demonym adjective before its noun: */
int intake_try_demonym_en(struct intake_matcher *m, size_t i);
/* French "<head> <adjectif>" (l'armée malienne), and an adjective after its noun: */
int intake_try_demonym_fr(struct intake_matcher *m, size_t i, size_t min_head);
/* A body matched by its name over [i, j) whose name holds its country's demonym (وزارة
 * الداخلية التونسية, Tunisian National Guard) names that country too. */
int intake_body_demonym(struct intake_matcher *m, int32_t body, size_t i, size_t j);

/* Runs the matcher over the tokens; *out is malloc'd (caller frees), in text order. */
int intake_match_tokens(const struct intake_gazetteer *g, const char *text,
                        struct text_token_list *tl, struct raw_mention **out, size_t *n_out,
                        struct lia_err *err);
/* True when tokens from i form an attack verb of rules.tsv; *len gets its token count. */
bool intake_is_verb(const struct intake_gazetteer *g, struct text_token_list *tl, const char *text,
                    size_t i, size_t *len);
bool intake_is_word(const struct intake_gazetteer *g, struct text_token_list *tl, size_t i,
                    const char *w);

/* The flows of one chunk (flow.c): appends to *out (growing *cap). Mentions v (n, in text
 * order, token indexes local to tl) are the chunk's. 0 or LIA_ENOMEM. */
int intake_find_flows(const struct intake_gazetteer *g, enum intake_lang lang, const char *text,
                      struct text_token_list *tl, const struct raw_mention *v, size_t n,
                      struct raw_flow **out, size_t *n_out, size_t *cap);

#endif
