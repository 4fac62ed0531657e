/*
 * text: normalisation, tokens and Arabic clitics for matching names in Arabic, English and
 * French text. The face of src/text/, the lowest layer above util/: intake (news text ->
 * draft), access (the search text of stored objects), watch (name filters) and the search
 * endpoint all compare text through it, so a name that matches in one matches in all.
 *
 * Pipeline (../shared/intake-notes.md, levels L1 and L2): decode UTF-8 (invalid bytes become
 * U+FFFD) -> NFC -> NFKC only for Arabic presentation forms and full-width ASCII -> delete
 * bidi marks, harakat, tatweel (flagged) -> fold alef/hamza seats, alef maqsura, taa
 * marbuta, Persian letters, digits, Arabic punctuation, Latin case and accents.
 *
 * Invariants:
 *  - Every normalised code point keeps the span of ORIGINAL bytes and code points it came
 *    from; offsets handed out are into the original text.
 *  - Nothing here allocates beyond its bound: token lists stop at tl->max tokens and
 *    tl->text.max bytes (LIA_ETOOBIG).
 *  - Pure functions of their input; safe from any number of threads at once.
 */
#ifndef LIAISON_TEXT_H
#define LIAISON_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* Normalises text (L1 + L2). out gets the normalised UTF-8; byte_map/char_map (malloc'd,
 * caller frees, may be NULL when not wanted) give for each normalised CODE POINT the original
 * byte offset and code point offset where its source starts. Tatweel is deleted. */
int text_normalize(const char *text, size_t len, struct dbuf *out, uint32_t **byte_map,
                   uint32_t **char_map, size_t *n_cps, struct lia_err *err);

/* One normalised code point and the span of original text it came from. */
struct text_norm_cp {
    uint32_t cp;
    uint32_t ob, oe; /* original bytes [ob, oe) */
    uint32_t oc;     /* original code point offset of ob */
    uint32_t occ;    /* original code points covered (oe side: oc + occ) */
};

/* Pulls normalised code points one by one; keeps a small queue for expansions (NFKC of a
 * presentation form, a composed segment). Tatweel comes out as U+0640 so the tokeniser
 * can flag it; deleted marks never come out. */
struct text_norm_iter {
    const unsigned char *s;
    size_t len, pos;
    uint32_t cpos; /* code points consumed so far */
    struct text_norm_cp q[32];
    int nq, iq;
};
void text_norm_iter_init(struct text_norm_iter *it, const char *s, size_t len);
/* Returns 1 and fills out, or 0 at the end. */
int text_norm_iter_next(struct text_norm_iter *it, struct text_norm_cp *out);
/* Writes the UTF-8 of cp to out (room for 4 bytes); returns the byte count (1-4). */
int text_utf8_put(uint32_t cp, char *out);

enum text_script {
    TEXT_SCRIPT_ARABIC = 1,
    TEXT_SCRIPT_LATIN = 2,
    TEXT_SCRIPT_DIGIT = 3,
    TEXT_SCRIPT_OTHER = 4
};
enum text_tok_flag {
    TEXT_TOK_TATWEEL_END = 1,  /* ended with a tatweel (لـ) */
    TEXT_TOK_QUOTE_AFTER = 2,  /* followed directly by a quote or bracket */
    TEXT_TOK_ALLCAPS = 4,      /* Latin, written in capitals in the original */
    TEXT_TOK_BREAK_BEFORE = 8, /* punctuation (not quote, not hyphen) or sentence end before it */
    TEXT_TOK_CAPITAL = 16,     /* Latin, begins with a capital letter in the original */
    TEXT_TOK_ELIDED = 32,      /* a French elision (l', d', qu') was split off its front */
};

struct text_token {
    uint32_t noff, nlen; /* normalised bytes in the list's text */
    uint32_t ob, oe;     /* original bytes */
    uint32_t oc, oce;    /* original code points */
    uint32_t sentence;
    uint8_t script, flags;
    uint16_t ncp; /* normalised code points */
};

struct text_token_list {
    struct dbuf text; /* normalised token bytes, back to back */
    struct text_token *v;
    size_t n, cap, max;
};
/* Splits text into tokens (appends to tl; a zeroed tl is ready). Tokens split on
 * whitespace, punctuation, quotes, brackets, hyphens and every change of script. */
int text_tokenize(const char *text, size_t len, struct text_token_list *tl, struct lia_err *err);
void text_tokens_release(struct text_token_list *tl);
/* The normalised bytes of token i. */
static inline const char *text_token_text(const struct text_token_list *tl, size_t i)
{
    return tl->text.ptr + tl->v[i].noff;
}

/* Normalises a phrase exactly like text tokens, joined by single spaces, into the arena.
 * *n_tokens gets the token count; *allcaps (may be NULL) whether a single Latin token was
 * written in capitals. NULL when the phrase has no token or memory runs out. */
char *text_normalize_phrase(struct arena *a, const char *s, size_t n, size_t *outlen, int *n_tokens,
                            bool *allcaps);

/* FNV-1a of s, never 0 (0 marks an empty slot in callers' tables). */
uint32_t text_hash(const char *s, size_t n);
/* A 64 Kibit filter over hashes: a clear bit means "surely absent", so most tokens are
 * rejected from L1 cache without probing a table. */
#define TEXT_FILTER_WORDS 1024
static inline bool text_filter_maybe(const uint64_t *f, uint32_t h)
{
    uint32_t b = (h ^ (h >> 16)) & (TEXT_FILTER_WORDS * 64 - 1);
    return f[b >> 6] >> (b & 63) & 1;
}
static inline void text_filter_add(uint64_t *f, uint32_t h)
{
    uint32_t b = (h ^ (h >> 16)) & (TEXT_FILTER_WORDS * 64 - 1);
    f[b >> 6] |= UINT64_C(1) << (b & 63);
}

/* The clitic lattice of intake-notes.md (Clitics) for the first token of a candidate name:
 * its readings with proclitics (و ف ب ل ك and the article, stacked) taken off. */
struct text_clitic_cand {
    char form[256];
    size_t len;
    int skip;        /* code points of the token before the name span */
    char prefix[16]; /* the normalised clitic (for trigger-prefix rules), "" if none */
};
/* Fills up to max readings of the normalised token tok; the first is always the token
 * itself. filter (may be NULL): keep only readings whose hash may be in it. keep_whole (may be
 * NULL): asked, only for a token that could be stripped, whether it must stay whole (وهران,
 * بشار); ctx is passed to it. */
int text_clitic_readings(const char *tok, size_t n, struct text_clitic_cand *out, int max,
                         const uint64_t *filter,
                         bool (*keep_whole)(const void *ctx, const char *tok, size_t n),
                         const void *ctx);

#endif
