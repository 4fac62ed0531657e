/*
 * Normalisation of Arabic and Latin text for matching (intake-notes.md, levels L1 and L2),
 * keeping for every output code point the original byte and code point span it came from.
 *
 * The order is the one the notes insist on: canonical composition (NFC) first, so that a
 * decomposed alef + U+0654 and a composed أ give the same result; then NFKC only for the
 * Arabic presentation forms and full-width ASCII; then deletions (bidi and invisible marks,
 * harakat), then foldings (alef/hamza seats, alef maqsura, taa marbuta, Persian kaf/yeh,
 * Arabic-Indic digits, Arabic punctuation, Latin case and accents). UTF8PROC_STRIPMARK is
 * never applied to Arabic (it would turn ئ into ي for decomposed input only).
 *
 * Speed: most code points take a table-free switch; utf8proc is called only for segments
 * with combining marks that may compose, presentation forms, and non-ASCII Latin.
 */
#include "text/text.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* Decodes one code point at s[pos]; invalid bytes give U+FFFD and advance by one. */
static uint32_t decode(const unsigned char *s, size_t len, size_t pos, size_t *adv)
{
    unsigned c = s[pos];
    if (c < 0x80) {
        *adv = 1;
        return c;
    }
    if (c >= 0xC2 && c <= 0xDF && pos + 1 < len && (s[pos + 1] & 0xC0) == 0x80) {
        *adv = 2; /* the common case for Arabic: decoded inline */
        return (c & 0x1F) << 6 | (s[pos + 1] & 0x3F);
    }
    utf8proc_int32_t cp;
    utf8proc_ssize_t n = utf8proc_iterate(s + pos, (utf8proc_ssize_t)(len - pos), &cp);
    if (n <= 0 || cp < 0) {
        *adv = 1;
        return 0xFFFD;
    }
    *adv = (size_t)n;
    return (uint32_t)cp;
}

int text_utf8_put(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    return (int)utf8proc_encode_char((utf8proc_int32_t)cp, (utf8proc_uint8_t *)out);
}

/* Marks deleted at L1/L2 that never take part in canonical composition. */
static bool is_deleted_mark(uint32_t cp)
{
    return (cp >= 0x064B && cp <= 0x0652) || cp == 0x0670 || (cp >= 0x0656 && cp <= 0x065F) ||
           (cp >= 0x0610 && cp <= 0x061A) || (cp >= 0x06D6 && cp <= 0x06ED);
}

static bool is_invisible(uint32_t cp)
{
    return (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069) || cp == 0x061C || cp == 0xFEFF || cp == 0x00AD;
}

/* Folds one NFC code point (steps 3-14). Writes 0..4 code points to out. */
static int fold(uint32_t cp, uint32_t out[4])
{
    if (cp < 0x80) {
        out[0] = (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
        return 1;
    }
    if (cp >= 0x0600 && cp <= 0x06FF) {
        if (is_deleted_mark(cp) || (cp >= 0x0653 && cp <= 0x0655) || cp == 0x061C)
            return 0;
        switch (cp) {
        case 0x0623:
        case 0x0625:
        case 0x0622:
        case 0x0671:
            out[0] = 0x0627;
            return 1;
        case 0x0649:
        case 0x06CC:
        case 0x06D2:
            out[0] = 0x064A;
            return 1;
        case 0x0629:
            out[0] = 0x0647;
            return 1;
        case 0x06A9:
        case 0x06AA:
            out[0] = 0x0643;
            return 1;
        case 0x060C:
            out[0] = ',';
            return 1;
        case 0x061B:
            out[0] = ';';
            return 1;
        case 0x061F:
            out[0] = '?';
            return 1;
        case 0x06D4:
            out[0] = '.';
            return 1;
        case 0x066A:
            out[0] = '%';
            return 1;
        case 0x066B:
            out[0] = '.';
            return 1;
        case 0x066C:
            out[0] = ',';
            return 1;
        default:
            break;
        }
        if (cp >= 0x0660 && cp <= 0x0669) {
            out[0] = '0' + (cp - 0x0660);
            return 1;
        }
        if (cp >= 0x06F0 && cp <= 0x06F9) {
            out[0] = '0' + (cp - 0x06F0);
            return 1;
        }
        out[0] = cp;
        return 1;
    }
    if (is_invisible(cp))
        return 0;
    if (cp == 0x00A0 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F || cp == 0x205F ||
        cp == 0x3000) {
        out[0] = ' ';
        return 1;
    }
    const utf8proc_property_t *p = utf8proc_get_property((utf8proc_int32_t)cp);
    if (p->category == UTF8PROC_CATEGORY_MN || p->category == UTF8PROC_CATEGORY_ME)
        return 0;
    if ((cp >= 0x00C0 && cp <= 0x024F) || (cp >= 0x1E00 && cp <= 0x1EFF) ||
        (cp >= 0x0370 && cp <= 0x052F)) {
        utf8proc_int32_t dst[4];
        int last = 0;
        utf8proc_ssize_t n = utf8proc_decompose_char(
            (utf8proc_int32_t)cp, dst, 4,
            UTF8PROC_DECOMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK, &last);
        if (n > 0 && n <= 4) {
            for (utf8proc_ssize_t i = 0; i < n; i++)
                out[i] = (uint32_t)dst[i];
            return (int)n;
        }
    }
    out[0] = cp;
    return 1;
}

void text_norm_iter_init(struct text_norm_iter *it, const char *s, size_t len)
{
    memset(it, 0, sizeof(*it));
    it->s = (const unsigned char *)s;
    it->len = len;
}

static void push_folded(struct text_norm_iter *it, uint32_t cp, uint32_t ob, uint32_t oe,
                        uint32_t oc, uint32_t occ)
{
    uint32_t f[4];
    int n;
    if (cp == 0x0640) { /* tatweel: passed through for the tokeniser's flag */
        f[0] = cp;
        n = 1;
    } else if ((cp >= 0xFB50 && cp <= 0xFDFF) || (cp >= 0xFE70 && cp <= 0xFEFE) ||
               (cp >= 0xFF01 && cp <= 0xFF5E)) {
        utf8proc_int32_t dst[18];
        int last = 0;
        utf8proc_ssize_t k = utf8proc_decompose_char((utf8proc_int32_t)cp, dst, 18,
                                                     UTF8PROC_COMPOSE | UTF8PROC_COMPAT, &last);
        if (k <= 0 || k > 18) {
            k = 1;
            dst[0] = (utf8proc_int32_t)cp;
        }
        /* compose what decompose_char split (lam-alef with hamza -> ل + أ) */
        utf8proc_ssize_t m = utf8proc_normalize_utf32(dst, k, UTF8PROC_COMPOSE | UTF8PROC_STABLE);
        if (m < 0)
            m = k;
        for (utf8proc_ssize_t i = 0; i < m; i++)
            if (dst[i] != 0xFEFF && !(dst[i] >= 0xFB50 && dst[i] <= 0xFEFE))
                push_folded(it, (uint32_t)dst[i], ob, oe, oc, occ);
        return;
    } else {
        n = fold(cp, f);
    }
    for (int i = 0; i < n && it->nq < (int)(sizeof(it->q) / sizeof(it->q[0])); i++)
        it->q[it->nq++] = (struct text_norm_cp){f[i], ob, oe, oc, occ};
}

/* True when cp may compose with or reorder around its neighbours under NFC. */
static bool needs_nfc(uint32_t cp)
{
    if (cp < 0x0300 || (cp >= 0x0621 && cp <= 0x064A))
        return false;
    const utf8proc_property_t *p = utf8proc_get_property((utf8proc_int32_t)cp);
    return p->combining_class != 0 || p->comp_exclusion ||
           (p->decomp_seqindex != UINT16_MAX && !p->decomp_type);
}

int text_norm_iter_next(struct text_norm_iter *it, struct text_norm_cp *out)
{
    while (it->iq >= it->nq) {
        it->iq = it->nq = 0;
        if (it->pos >= it->len)
            return 0;
        size_t adv;
        uint32_t ob = (uint32_t)it->pos;
        uint32_t cp = decode(it->s, it->len, it->pos, &adv);
        size_t end = it->pos + adv;
        /* fast path: ASCII or a plain Arabic letter not followed by a combining mark */
        if ((cp < 0x80 || (cp >= 0x0621 && cp <= 0x064A)) &&
            (end >= it->len || it->s[end] < 0xCC ||
             (end + 1 < it->len && it->s[end] == 0xD8 && it->s[end + 1] >= 0xA1) ||
             (end + 1 < it->len && it->s[end] == 0xD9 && it->s[end + 1] <= 0x8A))) {
            uint32_t f;
            if (cp < 0x80)
                f = (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
            else if (cp == 0x0623 || cp == 0x0625 || cp == 0x0622)
                f = 0x0627;
            else if (cp == 0x0649)
                f = 0x064A;
            else if (cp == 0x0629)
                f = 0x0647;
            else
                f = cp; /* the rest of U+0621-U+064A folds to itself */
            it->pos = end;
            it->cpos++;
            *out = (struct text_norm_cp){f, ob, (uint32_t)end, it->cpos - 1, 1};
            return 1;
        }
        uint32_t ncp = 1;
        bool slow = needs_nfc(cp);
        /* gather the following combining marks into one segment */
        while (end < it->len && it->s[end] >= 0xCC && ncp < 16) {
            size_t a2;
            uint32_t c2 = decode(it->s, it->len, end, &a2);
            if (c2 < 0x0300 || !needs_nfc(c2))
                break;
            if (utf8proc_get_property((utf8proc_int32_t)c2)->combining_class == 0)
                break;
            if (!is_deleted_mark(c2))
                slow = true;
            end += a2;
            ncp++;
        }
        if (!slow) {
            push_folded(it, cp, ob, (uint32_t)end, it->cpos, ncp);
        } else {
            utf8proc_uint8_t *dst = NULL;
            utf8proc_ssize_t n = utf8proc_map(it->s + it->pos, (utf8proc_ssize_t)(end - it->pos),
                                              &dst, UTF8PROC_COMPOSE | UTF8PROC_STABLE);
            if (n < 0) {
                push_folded(it, 0xFFFD, ob, (uint32_t)end, it->cpos, ncp);
            } else {
                utf8proc_ssize_t i = 0;
                while (i < n) {
                    utf8proc_int32_t c;
                    utf8proc_ssize_t k = utf8proc_iterate(dst + i, n - i, &c);
                    if (k <= 0)
                        break;
                    push_folded(it, (uint32_t)c, ob, (uint32_t)end, it->cpos, ncp);
                    i += k;
                }
            }
            free(dst);
        }
        it->pos = end;
        it->cpos += ncp;
    }
    *out = it->q[it->iq++];
    return 1;
}

int text_normalize(const char *text, size_t len, struct dbuf *out, uint32_t **byte_map,
                   uint32_t **char_map, size_t *n_cps, struct lia_err *err)
{
    struct text_norm_iter it;
    text_norm_iter_init(&it, text, len);
    size_t cap = len + 16, n = 0;
    uint32_t *bm = byte_map ? malloc(cap * sizeof(*bm)) : NULL;
    uint32_t *cm = char_map ? malloc(cap * sizeof(*cm)) : NULL;
    if ((byte_map && !bm) || (char_map && !cm)) {
        free(bm);
        free(cm);
        return lia_err_set(err, LIA_ENOMEM, "out of memory normalising %zu bytes", len);
    }
    struct text_norm_cp c;
    int rc = 0;
    while (text_norm_iter_next(&it, &c)) {
        if (c.cp == 0x0640)
            continue;
        if (n == cap) { /* NFKC expansions can exceed one per byte */
            cap *= 2;
            uint32_t *b2 = bm ? realloc(bm, cap * sizeof(*bm)) : NULL;
            if (bm && !b2) {
                rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
                break;
            }
            bm = b2;
            uint32_t *c2 = cm ? realloc(cm, cap * sizeof(*cm)) : NULL;
            if (cm && !c2) {
                rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
                break;
            }
            cm = c2;
        }
        char u[4];
        int k = text_utf8_put(c.cp, u);
        if (dbuf_append(out, u, (size_t)k) < 0) {
            rc = lia_err_set(err, LIA_ETOOBIG, "normalised text exceeds its limit");
            break;
        }
        if (bm)
            bm[n] = c.ob;
        if (cm)
            cm[n] = c.oc;
        n++;
    }
    if (rc < 0) {
        free(bm);
        free(cm);
        return rc;
    }
    if (byte_map)
        *byte_map = bm;
    if (char_map)
        *char_map = cm;
    if (n_cps)
        *n_cps = n;
    return 0;
}
