/*
 * Tokeniser over normalised code points (intake-notes.md, Tokenization).
 *
 * Tokens split on whitespace, punctuation, quotes and brackets, and on every change of
 * script (Arabic / Latin / digits / other), so لـISIS, بـ"داعش" and الـMAK give separate
 * tokens. Each token keeps its normalised bytes, its original byte and code point span,
 * its sentence number and flags: ended with a tatweel, followed by a quote, written in
 * capitals (Latin), and whether punctuation separates it from the previous token (names
 * never extend across that). Latin apostrophes inside words are dropped (Jama'at ->
 * jamaat), an English possessive 's is dropped, a French elided article or conjunction is
 * dropped and flagged on the word it was joined to (l'EIGS -> eigs, flag ELIDED), a period
 * inside an acronym is kept (U.S).
 */
#include "text/text.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

enum cclass {
    C_SPACE,
    C_NEWLINE,
    C_AR,
    C_LAT,
    C_DIGIT,
    C_OTHER_LETTER,
    C_TATWEEL,
    C_QUOTE,
    C_HYPHEN,
    C_SENT_END,
    C_PUNCT,
    C_APOS,
    C_DOT
};

static enum cclass classify(uint32_t cp)
{
    if (cp >= 0x0621 && cp <= 0x063A)
        return C_AR;
    if (cp >= 0x0641 && cp <= 0x064A)
        return C_AR;
    if (cp < 0x80) {
        if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z'))
            return C_LAT;
        if (cp >= '0' && cp <= '9')
            return C_DIGIT;
        switch (cp) {
        case ' ':
        case '\t':
        case '\r':
        case '\f':
        case '\v':
            return C_SPACE;
        case '\n':
            return C_NEWLINE;
        case '"':
        case '(':
        case ')':
        case '[':
        case ']':
        case '{':
        case '}':
        case '`':
        case '<':
        case '>':
            return C_QUOTE;
        case '\'':
            return C_APOS;
        case '-':
        case '_':
        case '/':
            return C_HYPHEN;
        case '.':
            return C_DOT;
        case '!':
        case '?':
        case ';':
            return C_SENT_END;
        default:
            return C_PUNCT;
        }
    }
    if (cp == 0x0640)
        return C_TATWEEL;
    if ((cp >= 0x0621 && cp <= 0x064A) || (cp >= 0x066E && cp <= 0x06D3) ||
        (cp >= 0x06FA && cp <= 0x06FF))
        return C_AR;
    switch (cp) {
    case 0xAB:
    case 0xBB:
    case 0x201C:
    case 0x201D:
    case 0x201E:
    case 0x201F:
    case 0x2033:
    case 0x301D:
    case 0x301E:
    case 0xFF02:
    case 0x2039:
    case 0x203A:
    case 0xFD3E:
    case 0xFD3F:
        return C_QUOTE;
    case 0x2018:
    case 0x2019:
    case 0x201A:
    case 0x201B:
    case 0xB4:
    case 0x2BC:
        return C_APOS;
    case 0x2010:
    case 0x2011:
    case 0x2012:
    case 0x2013:
    case 0x2014:
    case 0x2015:
        return C_HYPHEN;
    case 0x2026:
        return C_SENT_END;
    default:
        break;
    }
    const utf8proc_property_t *p = utf8proc_get_property((utf8proc_int32_t)cp);
    switch (p->category) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
        return cp < 0x0250 || (cp >= 0x1E00 && cp <= 0x1EFF) ? C_LAT : C_OTHER_LETTER;
    case UTF8PROC_CATEGORY_ND:
        return C_OTHER_LETTER;
    case UTF8PROC_CATEGORY_ZS:
        return C_SPACE;
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
        return C_NEWLINE;
    default:
        return C_PUNCT;
    }
}

/* The French words that drop their vowel before one: l' d' j' m' n' s' t' c' qu' jusqu'... */
static bool is_elision(const char *w, size_t n)
{
    static const char *const words[] = {"l", "d",  "j",     "m",      "n",      "s",      "t",
                                        "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu", "presqu"};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strlen(words[i]) == n && !memcmp(words[i], w, n))
            return true;
    return false;
}

static int script_of(enum cclass c)
{
    switch (c) {
    case C_AR:
        return TEXT_SCRIPT_ARABIC;
    case C_LAT:
        return TEXT_SCRIPT_LATIN;
    case C_DIGIT:
        return TEXT_SCRIPT_DIGIT;
    default:
        return TEXT_SCRIPT_OTHER;
    }
}

struct tokenizer {
    struct text_norm_iter it;
    struct text_norm_cp back[2];
    int nback;
    const char *text;
    struct text_token_list *tl;
    struct text_token cur;
    bool in_tok;
    uint8_t pending_flags; /* flags for the next token (break before) */
    uint32_t sentence;
};

static int next_cp(struct tokenizer *t, struct text_norm_cp *c)
{
    if (t->nback > 0) {
        *c = t->back[--t->nback];
        return 1;
    }
    return text_norm_iter_next(&t->it, c);
}

static void unread(struct tokenizer *t, const struct text_norm_cp *c)
{
    t->back[t->nback++] = *c;
}

static int finish(struct tokenizer *t, struct lia_err *err)
{
    if (!t->in_tok)
        return 0;
    t->in_tok = false;
    struct text_token *k = &t->cur;
    if (k->script == TEXT_SCRIPT_LATIN) {
        bool lower = false;
        for (uint32_t i = k->ob; i < k->oe; i++)
            if (t->text[i] >= 'a' && t->text[i] <= 'z')
                lower = true;
        if (!lower)
            k->flags |= TEXT_TOK_ALLCAPS;
        if (t->text[k->ob] >= 'A' && t->text[k->ob] <= 'Z')
            k->flags |= TEXT_TOK_CAPITAL;
    }
    struct text_token_list *tl = t->tl;
    if (tl->n == tl->cap) {
        if (tl->n >= tl->max)
            return lia_err_set(err, LIA_ETOOBIG, "more than %zu tokens", tl->max);
        size_t nc = tl->cap ? tl->cap * 2 : 1024;
        struct text_token *v = realloc(tl->v, nc * sizeof(*v));
        if (!v)
            return lia_err_set(err, LIA_ENOMEM, "out of memory for tokens");
        tl->v = v;
        tl->cap = nc;
    }
    tl->v[tl->n++] = *k;
    return 0;
}

static int add_cp(struct tokenizer *t, const struct text_norm_cp *c, int script,
                  struct lia_err *err)
{
    if (t->in_tok && t->cur.script != script) {
        int rc = finish(t, err);
        if (rc < 0)
            return rc;
    }
    if (!t->in_tok) {
        memset(&t->cur, 0, sizeof(t->cur));
        t->cur.noff = (uint32_t)t->tl->text.len;
        t->cur.ob = c->ob;
        t->cur.oc = c->oc;
        t->cur.script = (uint8_t)script;
        t->cur.sentence = t->sentence;
        t->cur.flags = t->pending_flags;
        t->pending_flags = 0;
        t->in_tok = true;
    }
    char u[4];
    int k = text_utf8_put(c->cp, u);
    struct dbuf *b = &t->tl->text;
    if (b->len + (size_t)k < b->cap) { /* fast path; keeps dbuf's invariants */
        memcpy(b->ptr + b->len, u, (size_t)k);
        b->len += (size_t)k;
        b->ptr[b->len] = '\0';
    } else if (dbuf_append(b, u, (size_t)k) < 0) {
        return lia_err_set(err, LIA_ETOOBIG, "token text over its limit");
    }
    t->cur.nlen += (uint32_t)k;
    t->cur.ncp++;
    t->cur.oe = c->oe;
    t->cur.oce = c->oc + c->occ;
    t->cur.flags &= (uint8_t)~TEXT_TOK_TATWEEL_END;
    return 0;
}

static void boundary(struct tokenizer *t, uint8_t flags_for_next)
{
    t->pending_flags |= flags_for_next;
}

int text_tokenize(const char *text, size_t len, struct text_token_list *tl, struct lia_err *err)
{
    struct tokenizer t;
    memset(&t, 0, sizeof(t));
    text_norm_iter_init(&t.it, text, len);
    t.text = text;
    t.tl = tl;
    if (!tl->text.max)
        dbuf_init(&tl->text, len * 2 + 64);
    if (tl->max < len + 1)
        tl->max = len + 1;
    struct text_norm_cp c;
    int rc = 0;
    while (rc == 0 && next_cp(&t, &c)) {
        enum cclass cl = classify(c.cp);
        switch (cl) {
        case C_AR:
        case C_LAT:
        case C_DIGIT:
        case C_OTHER_LETTER:
            rc = add_cp(&t, &c, script_of(cl), err);
            break;
        case C_TATWEEL:
            if (t.in_tok) {
                t.cur.flags |= TEXT_TOK_TATWEEL_END;
                t.cur.oe = c.oe;
                t.cur.oce = c.oc + c.occ;
            }
            break;
        case C_APOS:
        case C_DOT:
            if (t.in_tok && t.cur.script == TEXT_SCRIPT_LATIN) {
                struct text_norm_cp c2;
                bool have2 = next_cp(&t, &c2);
                if (have2 && classify(c2.cp) == C_LAT) {
                    if (cl == C_DOT) {
                        /* U.S: keep the dot when it follows a single letter */
                        const char *tx = tl->text.ptr + t.cur.noff;
                        if (t.cur.nlen == 1 || (t.cur.nlen >= 2 && tx[t.cur.nlen - 2] == '.')) {
                            struct text_norm_cp dot = c;
                            dot.cp = '.';
                            rc = add_cp(&t, &dot, TEXT_SCRIPT_LATIN, err);
                            unread(&t, &c2);
                            break;
                        }
                    } else if (is_elision(tl->text.ptr + t.cur.noff, t.cur.nlen)) {
                        /* French l', d', qu': the article is not part of the name that
                         * follows (l'EIGS, d'AQMI); the next token remembers it */
                        tl->text.len = t.cur.noff;
                        tl->text.ptr[tl->text.len] = '\0';
                        t.pending_flags |=
                            (uint8_t)((t.cur.flags & TEXT_TOK_BREAK_BEFORE) | TEXT_TOK_ELIDED);
                        t.in_tok = false;
                        unread(&t, &c2);
                        break;
                    } else {
                        if (c2.cp == 's') {
                            struct text_norm_cp c3;
                            bool have3 = next_cp(&t, &c3);
                            bool goes_on =
                                have3 && (classify(c3.cp) == C_LAT || classify(c3.cp) == C_DIGIT);
                            if (have3)
                                unread(&t, &c3);
                            if (!goes_on) { /* possessive 's: dropped */
                                rc = finish(&t, err);
                                break;
                            }
                        }
                        unread(&t, &c2); /* Jama'at: the apostrophe is dropped */
                        break;
                    }
                }
                if (have2)
                    unread(&t, &c2);
            }
            if (t.in_tok && cl == C_APOS)
                t.cur.flags |= TEXT_TOK_QUOTE_AFTER;
            if (cl == C_DOT && t.in_tok && t.cur.script == TEXT_SCRIPT_LATIN && t.cur.nlen >= 2 &&
                tl->text.ptr[t.cur.noff + t.cur.nlen - 2] == '.') {
                rc = finish(&t, err); /* the final dot of U.S. ends no sentence */
                break;
            }
            rc = rc ? rc : finish(&t, err);
            if (cl == C_DOT) {
                t.sentence++;
                boundary(&t, TEXT_TOK_BREAK_BEFORE);
            }
            break;
        case C_QUOTE:
            if (t.in_tok)
                t.cur.flags |= TEXT_TOK_QUOTE_AFTER;
            rc = finish(&t, err);
            break;
        case C_HYPHEN:
            rc = finish(&t, err);
            break;
        case C_SPACE:
            rc = finish(&t, err);
            break;
        case C_NEWLINE:
            rc = finish(&t, err);
            t.sentence++; /* a line break ends a paragraph or a heading */
            boundary(&t, TEXT_TOK_BREAK_BEFORE);
            break;
        case C_SENT_END:
            rc = finish(&t, err);
            t.sentence++;
            boundary(&t, TEXT_TOK_BREAK_BEFORE);
            break;
        case C_PUNCT:
            rc = finish(&t, err);
            boundary(&t, TEXT_TOK_BREAK_BEFORE);
            break;
        }
    }
    if (rc == 0)
        rc = finish(&t, err);
    return rc;
}

void text_tokens_release(struct text_token_list *tl)
{
    dbuf_release(&tl->text);
    free(tl->v);
    memset(tl, 0, sizeof(*tl));
}

uint32_t text_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h ? h : 1;
}

char *text_normalize_phrase(struct arena *a, const char *s, size_t n, size_t *outlen, int *n_tokens,
                            bool *allcaps)
{
    struct text_token_list tl;
    memset(&tl, 0, sizeof(tl));
    struct lia_err err;
    *n_tokens = 0;
    if (text_tokenize(s, n, &tl, &err) < 0 || tl.n == 0) {
        text_tokens_release(&tl);
        return NULL;
    }
    size_t total = 0;
    for (size_t i = 0; i < tl.n; i++)
        total += tl.v[i].nlen + 1;
    char *out = arena_alloc(a, total + 1);
    size_t o = 0;
    for (size_t i = 0; out && i < tl.n; i++) {
        if (i)
            out[o++] = ' ';
        memcpy(out + o, tl.text.ptr + tl.v[i].noff, tl.v[i].nlen);
        o += tl.v[i].nlen;
    }
    if (out)
        out[o] = '\0';
    *outlen = o;
    *n_tokens = (int)tl.n;
    if (allcaps)
        *allcaps =
            tl.n == 1 && (tl.v[0].flags & TEXT_TOK_ALLCAPS) && tl.v[0].script == TEXT_SCRIPT_LATIN;
    text_tokens_release(&tl);
    return out;
}
