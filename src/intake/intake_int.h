/*
 * Private header of src/intake/: the normaliser iterator, tokens, the gazetteer's tables.
 * Nothing outside src/intake/ (and its unit tests) includes this file.
 */
#ifndef LIAISON_INTAKE_INT_H
#define LIAISON_INTAKE_INT_H

#include "intake/intake.h"

/* One normalised code point and the span of original text it came from. */
struct norm_cp {
    uint32_t cp;
    uint32_t ob, oe; /* original bytes [ob, oe) */
    uint32_t oc;     /* original code point offset of ob */
    uint32_t occ;    /* original code points covered (oe side: oc + occ) */
};

/* Pulls normalised code points one by one; keeps a small queue for expansions (NFKC of a
 * presentation form, a composed segment). Tatweel comes out as U+0640 so the tokeniser
 * can flag it; deleted marks never come out. */
struct norm_iter {
    const unsigned char *s;
    size_t len, pos;
    uint32_t cpos; /* code points consumed so far */
    struct norm_cp q[32];
    int nq, iq;
};
void norm_iter_init(struct norm_iter *it, const char *s, size_t len);
/* Returns 1 and fills out, or 0 at the end. */
int norm_iter_next(struct norm_iter *it, struct norm_cp *out);
/* Appends the UTF-8 of cp to a small buffer; returns the byte count (1-4). */
int intake_utf8_put(uint32_t cp, char *out);

enum tok_script { SCRIPT_ARABIC = 1, SCRIPT_LATIN = 2, SCRIPT_DIGIT = 3, SCRIPT_OTHER = 4 };
enum tok_flag {
    TOK_TATWEEL_END = 1,  /* ended with a tatweel (لـ) */
    TOK_QUOTE_AFTER = 2,  /* followed directly by a quote or bracket */
    TOK_ALLCAPS = 4,      /* Latin, written in capitals in the original */
    TOK_BREAK_BEFORE = 8, /* punctuation (not quote, not hyphen) or sentence end before it */
    TOK_CAPITAL = 16,     /* Latin, begins with a capital letter in the original */
};

struct token {
    uint32_t noff, nlen; /* normalised bytes in tokens.text */
    uint32_t ob, oe;     /* original bytes */
    uint32_t oc, oce;    /* original code points */
    uint32_t sentence;
    uint8_t script, flags;
    uint16_t ncp; /* normalised code points */
};

struct token_list {
    struct dbuf text; /* normalised token bytes, back to back */
    struct token *v;
    size_t n, cap, max;
};
int intake_tokenize(const char *text, size_t len, struct token_list *tl, struct lia_err *err);
void intake_tokens_release(struct token_list *tl);

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
uint32_t intake_hash(const char *s, size_t n);
/* Returns the slot for key, inserting an empty one (val -1, flags 0) when create is set. */
struct hslot *hmap_find(struct hmap *m, struct arena *a, const char *key, size_t n, bool create);
const struct hslot *hmap_get(const struct hmap *m, const char *key, size_t n);
/* The same with the key's intake_hash already computed. */
const struct hslot *hmap_get_h(const struct hmap *m, const char *key, size_t n, uint32_t h);
/* A 64 Kibit filter over the hashes of a map's keys: a clear bit means "surely absent", so
 * most tokens are rejected from L1 cache without probing the table. */
#define INTAKE_FILTER_WORDS 1024
static inline bool intake_filter_maybe(const uint64_t *f, uint32_t h)
{
    uint32_t b = (h ^ (h >> 16)) & (INTAKE_FILTER_WORDS * 64 - 1);
    return f[b >> 6] >> (b & 63) & 1;
}
void hmap_release(struct hmap *m);

enum alias_flag {
    AL_FULL = 1,    /* the key is a whole alias */
    AL_PREFIX = 2,  /* a longer alias starts with these tokens */
    AL_CONTEXT = 4, /* needs context (rules.tsv) */
    AL_CASE = 8,    /* Latin acronym: only when written in capitals */
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
    struct hmap demonyms; /* normalised ar stem or lat word -> country entry; flags AL_CASE */
    struct hmap rules;    /* tagged keys: a tag letter, the argument, 0x1f, the word */
    uint64_t alias_filter[INTAKE_FILTER_WORDS];
};

/* Normalises a phrase exactly like text tokens, joined by single spaces, into the arena.
 * *allcaps tells whether a single Latin token was written in capitals. */
char *intake_normalize_phrase(struct arena *a, const char *s, size_t n, size_t *outlen,
                              int *n_tokens, bool *allcaps);
/* Rule lookups. tag: 'B' trigger-before, 'A' trigger-after, 'P' trigger-prefix, 'K'
 * block-after (arg = entry key), 'S' no-clitic, 'H' head (val = class), 'V' attack verb. */
bool intake_rule(const struct intake_gazetteer *g, char tag, const char *arg, const char *w,
                 size_t wn, int32_t *val);

/* Clitic lattice for a first token (intake-notes.md, Clitics). Fills up to max candidates:
 * normalised forms (in buf) and how many leading code points of the token each strips. */
struct clitic_cand {
    char form[256];
    size_t len;
    int skip;        /* code points of the token before the name span */
    char prefix[16]; /* the normalised clitic (for trigger-prefix rules), "" if none */
};
int intake_clitic_candidates(const struct intake_gazetteer *g, const char *tok, size_t n,
                             struct clitic_cand *out, int max);
/* The same, keeping only readings that may start an alias (the first is always kept). */
int intake_clitic_alias_candidates(const struct intake_gazetteer *g, const char *tok, size_t n,
                                   struct clitic_cand *out, int max);

struct raw_mention {
    int32_t entry;
    uint32_t ti, tj; /* tokens [ti, tj) */
    struct intake_mention m;
    bool pending;   /* needs the entry to be confirmed elsewhere */
    bool list_prev; /* listed right after the previous mention (a, b and c) */
};
/* Runs the matcher over the tokens; *out is malloc'd (caller frees), in text order. */
int intake_match_tokens(const struct intake_gazetteer *g, const char *text, struct token_list *tl,
                        struct raw_mention **out, size_t *n_out, struct lia_err *err);
/* True when tokens from i form an attack verb of rules.tsv; *len gets its token count. */
bool intake_is_verb(const struct intake_gazetteer *g, struct token_list *tl, const char *text,
                    size_t i, size_t *len);
bool intake_is_word(const struct intake_gazetteer *g, struct token_list *tl, size_t i,
                    const char *w);

#endif
