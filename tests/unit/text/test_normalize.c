/*
 * Tests of src/text/normalize.c, tokenize.c and clitic.c: every rule of the
 * normalisation table of intake-notes.md and every clitic case it lists.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "text/text.h"

static char *norm(const char *s)
{
    struct dbuf b;
    dbuf_init(&b, 1 << 20);
    struct lia_err err;
    assert_int_equal(text_normalize(s, strlen(s), &b, NULL, NULL, NULL, &err), 0);
    return dbuf_detach(&b, NULL);
}

static void expect_norm(const char *in, const char *want)
{
    char *got = norm(in);
    if (strcmp(got, want))
        fail_msg("normalize(%s) = [%s], want [%s]", in, got, want);
    free(got);
}

static void test_nfc_and_hamza(void **state)
{
    (void)state;
    /* decomposed alef + U+0654 and composed أ give the same result (composed first) */
    expect_norm("\u0627\u0654\u0645\u0646", "امن");
    expect_norm("أمن", "امن");
    /* ئ and ؤ decomposed must not lose the hamza (yeh/waw + U+0654) */
    expect_norm("\u064A\u0654", "ئ");
    expect_norm("\u0648\u0654", "ؤ");
    expect_norm("ئ", "ئ");
    expect_norm("إ آ ٱ", "ا ا ا");
    expect_norm("\u0627\u0653", "ا"); /* alef + madda above = آ -> ا */
}

static void test_letters(void **state)
{
    (void)state;
    expect_norm("مصطفى", "مصطفي"); /* alef maqsura */
    expect_norm("فارسی", "فارسي"); /* Persian yeh */
    expect_norm("ے", "ي");
    expect_norm("مدينة", "مدينه");     /* taa marbuta */
    expect_norm("کرد ڪ", "كرد ك");     /* keheh, swash kaf */
    expect_norm("٢٠٢٤ ۱۲", "2024 12"); /* Arabic-Indic and Persian digits */
    expect_norm("،؛؟۔٪٫٬", ",;?.%.,");
}

static void test_diacritics_and_tatweel(void **state)
{
    (void)state;
    expect_norm("طَرَابُلُس", "طرابلس");
    expect_norm("النّيجر", "النيجر");
    expect_norm("الولايات المتّحدة", "الولايات المتحده");
    expect_norm("مُحَمَّدٌ", "محمد");
    expect_norm("\u0610\u0615ص\u06D6", "ص");
    expect_norm("الجـــزائر", "الجزائر");
    expect_norm("لـ", "ل");
}

static void test_invisible_and_spaces(void **state)
{
    (void)state;
    expect_norm("ال\u200Cجزائر", "الجزائر");     /* ZWNJ */
    expect_norm("\u200Fمالي\u200E", "مالي");     /* RLM, LRM */
    expect_norm("\u202Bليبيا\u202C", "ليبيا");   /* RLE, PDF */
    expect_norm("\u2067تونس\u2069", "تونس");     /* RLI, PDI */
    expect_norm("\uFEFFمصر\u00AD\u061C", "مصر"); /* BOM, soft hyphen, ALM */
    expect_norm("a\u00A0b\u2009c\u202Fd\u3000e", "a b c d e");
}

static void test_presentation_forms(void **state)
{
    (void)state;
    expect_norm("\uFEDF\uFEE3\uFE8E\uFEDF\uFEF2", "لمالي"); /* positional forms */
    expect_norm("\uFEFB", "لا");                            /* lam-alef ligature */
    expect_norm("\uFEF7", "لا");       /* lam-alef with hamza -> لأ -> لا */
    expect_norm("\uFDF2", "الله");     /* ﷲ */
    expect_norm("\uFF21\uFF22", "ab"); /* full-width ASCII */
    expect_norm("x\u00B2", "x\u00B2"); /* no NFKC outside those ranges */
}

static void test_latin(void **state)
{
    (void)state;
    expect_norm("Ghardaïa Béchar ÉTAT", "ghardaia bechar etat");
    expect_norm("Ghardai\u0308a", "ghardaia"); /* decomposed diaeresis */
    expect_norm("AQMI", "aqmi");
}

static void test_offsets(void **state)
{
    (void)state;
    const char *s = "بِالْجَزائِرِ x";
    struct dbuf b;
    dbuf_init(&b, 1 << 16);
    uint32_t *bm, *cm;
    size_t n;
    struct lia_err err;
    assert_int_equal(text_normalize(s, strlen(s), &b, &bm, &cm, &n, &err), 0);
    assert_string_equal(b.ptr, "بالجزائر x");
    assert_int_equal(n, 10);
    assert_int_equal(cm[0], 0);  /* ب */
    assert_int_equal(cm[1], 2);  /* ا after ب + kasra */
    assert_int_equal(cm[9], 14); /* x */
    assert_int_equal(bm[9], strlen("بِالْجَزائِرِ "));
    free(bm);
    free(cm);
    dbuf_release(&b);
}

static void token_texts(const char *s, char *out, size_t outsz, int *flags0)
{
    struct text_token_list tl;
    memset(&tl, 0, sizeof(tl));
    struct lia_err err;
    assert_int_equal(text_tokenize(s, strlen(s), &tl, &err), 0);
    size_t o = 0;
    for (size_t i = 0; i < tl.n; i++)
        o += (size_t)snprintf(out + o, outsz - o, "%s%.*s", i ? "|" : "", (int)tl.v[i].nlen,
                              tl.text.ptr + tl.v[i].noff);
    if (flags0)
        *flags0 = tl.n ? tl.v[0].flags : 0;
    text_tokens_release(&tl);
}

static void test_tokens(void **state)
{
    (void)state;
    char t[512];
    int f;
    token_texts("لـ\"داعش\"", t, sizeof(t), &f);
    assert_string_equal(t, "ل|داعش");
    assert_true(f & TEXT_TOK_TATWEEL_END);
    token_texts("بـ«القاعدة»", t, sizeof(t), &f);
    assert_string_equal(t, "ب|القاعده");
    token_texts("لـISIS والـMAK", t, sizeof(t), NULL);
    assert_string_equal(t, "ل|isis|وال|mak");
    token_texts("ISIS-linked Mali's al-Qaeda Jama'at U.S. forces", t, sizeof(t), NULL);
    assert_string_equal(t, "isis|linked|mali|al|qaeda|jamaat|u.s|forces");
    token_texts("Tanzim al-Qa\u00B4ida", t, sizeof(t), NULL);
    assert_string_equal(t, "tanzim|al|qaida");
    token_texts("مالي2024", t, sizeof(t), NULL);
    assert_string_equal(t, "مالي|2024");
}

/* French elision: the article goes, the name keeps its own span and capital. */
static void test_elision(void **state)
{
    (void)state;
    char t[512];
    int f;
    token_texts("l'EIGS", t, sizeof(t), &f);
    assert_string_equal(t, "eigs");
    assert_true(f & TEXT_TOK_ELIDED);
    assert_true(f & TEXT_TOK_ALLCAPS);
    token_texts("d\u2019AQMI qu'Al-Qaïda jusqu'à l'État islamique", t, sizeof(t), NULL);
    assert_string_equal(t, "aqmi|al|qaida|a|etat|islamique");
    /* not an elision: Jama'at, Qa'ida keep one token; 's is a possessive */
    token_texts("Jama'at Qa'ida Mali's", t, sizeof(t), NULL);
    assert_string_equal(t, "jamaat|qaida|mali");
    struct text_token_list tl;
    memset(&tl, 0, sizeof(tl));
    struct lia_err err;
    const char *s = "à l'Algérie";
    assert_int_equal(text_tokenize(s, strlen(s), &tl, &err), 0);
    assert_int_equal(tl.n, 2);
    assert_int_equal(tl.v[1].ob, strlen("à l'")); /* the name starts after the apostrophe */
    assert_true(tl.v[1].flags & TEXT_TOK_CAPITAL);
    text_tokens_release(&tl);
}

static const char *cands(const char *w, char *buf, size_t n)
{
    struct text_clitic_cand c[16];
    int k = text_clitic_readings(w, strlen(w), c, 16, NULL, NULL, NULL);
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < k; i++)
        o += (size_t)snprintf(buf + o, n - o, "%s%s/%d", i ? " " : "", c[i].form, c[i].skip);
    return buf;
}

static void test_clitic_lattice(void **state)
{
    (void)state;
    char b[1024];
    assert_string_equal(cands("للجزائر", b, sizeof(b)), "للجزائر/0 الجزائر/1 اللجزائر/1 لجزائر/1");
    assert_non_null(strstr(cands("لليبيا", b, sizeof(b)), " ليبيا/1"));
    assert_non_null(strstr(cands("للاذقيه", b, sizeof(b)), " اللاذقيه/1"));
    assert_non_null(strstr(cands("بالعاصمه", b, sizeof(b)), " العاصمه/1"));
    assert_non_null(strstr(cands("وبالجزائر", b, sizeof(b)), " الجزائر/2"));
    assert_non_null(strstr(cands("فالعراق", b, sizeof(b)), " العراق/1"));
    assert_non_null(strstr(cands("كالمغرب", b, sizeof(b)), " المغرب/1"));
    assert_non_null(strstr(cands("وليبيا", b, sizeof(b)), " ليبيا/1"));
    assert_non_null(strstr(cands("فبمالي", b, sizeof(b)), " مالي/2"));
    assert_non_null(strstr(cands("ولتونس", b, sizeof(b)), " تونس/2"));
    assert_non_null(strstr(cands("وكسوريا", b, sizeof(b)), " سوريا/2"));
    assert_non_null(strstr(cands("فللجزائر", b, sizeof(b)), " الجزائر/2"));
    assert_non_null(strstr(cands("وللجزائر", b, sizeof(b)), " الجزائر/2"));
    /* fewer than 3 letters would remain: no reading */
    assert_string_equal(cands("بمصر", b, sizeof(b)), "بمصر/0 مصر/1");
    assert_string_equal(cands("ومن", b, sizeof(b)), "ومن/0");
    /* the bare article is never stripped (المالي is not مالي) */
    assert_null(strstr(cands("المالي", b, sizeof(b)), " مالي"));
    /* Latin tokens get no lattice */
    assert_string_equal(cands("bmali", b, sizeof(b)), "bmali/0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nfc_and_hamza),
        cmocka_unit_test(test_letters),
        cmocka_unit_test(test_diacritics_and_tatweel),
        cmocka_unit_test(test_invisible_and_spaces),
        cmocka_unit_test(test_presentation_forms),
        cmocka_unit_test(test_latin),
        cmocka_unit_test(test_offsets),
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_elision),
        cmocka_unit_test(test_clitic_lattice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
