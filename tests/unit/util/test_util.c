/*
 * Tests for src/util: the bounded buffer, JSON string escaping, base64url,
 * strict integer parsing, timestamp formatting and the arena's limit.
 */
#include "../unit_common.h"

#include "util/util.h"

static void test_dbuf_limit(void **state)
{
    (void)state;
    struct dbuf b;
    dbuf_init(&b, 8);
    assert_int_equal(dbuf_puts(&b, "12345"), 0);
    assert_int_equal(dbuf_puts(&b, "6789"), LIA_ETOOBIG); /* would make 9 > 8 */
    assert_string_equal(b.ptr, "12345");                  /* unchanged by the refusal */
    assert_int_equal(dbuf_puts(&b, "678"), 0);
    assert_int_equal(b.len, 8);
    assert_int_equal(dbuf_puts(&b, "x"), LIA_ETOOBIG);
    size_t len;
    char *p = dbuf_detach(&b, &len);
    assert_int_equal(len, 8);
    assert_string_equal(p, "12345678");
    free(p);
    assert_null(b.ptr);
}

static void test_json_string(void **state)
{
    (void)state;
    struct dbuf b;
    dbuf_init(&b, 1024);
    const char in[] = "a\"b\\c\n\t\x01 داعش";
    assert_int_equal(dbuf_json_string(&b, in, sizeof in - 1), 0);
    assert_string_equal(b.ptr, "\"a\\\"b\\\\c\\n\\t\\u0001 داعش\"");
    dbuf_release(&b);
}

static void test_b64url(void **state)
{
    (void)state;
    const unsigned char raw[] = {0xfb, 0xff, 0x00, 0x10, 0x83};
    for (size_t n = 0; n <= sizeof raw; n++) {
        char enc[16];
        lia_b64url_encode(raw, n, enc);
        assert_int_equal(strlen(enc), lia_b64url_len(n));
        assert_null(strchr(enc, '+'));
        assert_null(strchr(enc, '/'));
        unsigned char dec[16];
        long m = lia_b64url_decode(enc, strlen(enc), dec, sizeof dec);
        assert_int_equal(m, (long)n);
        assert_memory_equal(dec, raw, n);
    }
    unsigned char dec[16];
    assert_int_equal(lia_b64url_decode("ab+c", 4, dec, sizeof dec), -1);  /* not url-safe */
    assert_int_equal(lia_b64url_decode("abcde", 5, dec, sizeof dec), -1); /* impossible length */
    assert_int_equal(lia_b64url_decode("QR", 2, dec, sizeof dec), -1);    /* non-zero tail bits */
    assert_int_equal(lia_b64url_decode("QQ", 2, dec, sizeof dec), 1);
    assert_int_equal(lia_b64url_decode("QUFB", 4, dec, 2), -1); /* output bound */
}

static void test_parse_i64(void **state)
{
    (void)state;
    int64_t v;
    assert_int_equal(lia_parse_i64("42", 2, 0, 100, &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(lia_parse_i64("101", 3, 0, 100, &v), LIA_EINVAL);
    assert_int_equal(lia_parse_i64("-1", 2, 0, 100, &v), LIA_EINVAL);
    assert_int_equal(lia_parse_i64("-1", 2, -5, 100, &v), 0);
    assert_int_equal(v, -1);
    assert_int_equal(lia_parse_i64("4x", 2, 0, 100, &v), LIA_EINVAL);
    assert_int_equal(lia_parse_i64("", 0, 0, 100, &v), LIA_EINVAL);
    assert_int_equal(lia_parse_i64(" 4", 2, 0, 100, &v), LIA_EINVAL);
    assert_int_equal(lia_parse_i64("9999999999999999999", 19, 0, INT64_MAX, &v), LIA_EINVAL);
}

static void test_format_ts(void **state)
{
    (void)state;
    char out[32];
    lia_format_ts(0, 6, out);
    assert_string_equal(out, "1970-01-01T00:00:00.000000Z");
    lia_format_ts(1484870400123456LL, 3, out);
    assert_string_equal(out, "2017-01-20T00:00:00.123Z");
    lia_format_ts(951782400000000LL, 0, out);
    assert_string_equal(out, "2000-02-29T00:00:00Z");
    lia_format_ts(-1, 6, out);
    assert_string_equal(out, "1969-12-31T23:59:59.999999Z");
}

static void test_arena_limit(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 1024);
    char *p = arena_alloc(&a, 1000);
    assert_non_null(p);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(p[i], 0);
    assert_null(arena_alloc(&a, 100)); /* over the request's bound */
    assert_non_null(arena_strndup(&a, "ab", 2));
    arena_release(&a);
    arena_init(&a, 0);
    assert_non_null(arena_alloc(&a, 100000)); /* larger than a block */
    assert_string_equal(arena_printf(&a, "%d-%s", 7, "x"), "7-x");
    arena_release(&a);
}

/* Interning (intern.c): equal texts are one pointer and one number, first come first
 * numbered, across growth of the table; ranks are byte order; a copy outlives its source. */
static void test_intern(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 0);
    struct lia_interner t;
    assert_int_equal(lia_intern_init(&t, 4, &a), 0);
    char buf[32];
    const char *first[300];
    for (int i = 0; i < 300; i++) { /* grows from 16 slots several times */
        snprintf(buf, sizeof buf, "word-%03d", 299 - i);
        uint32_t num;
        first[i] = lia_intern(&t, buf, strlen(buf), true, &num);
        assert_non_null(first[i]);
        assert_int_equal(num, (uint32_t)i);
    }
    memset(buf, 'x', sizeof buf); /* the copies are the interner's own */
    for (int i = 0; i < 300; i++) {
        char again[32];
        snprintf(again, sizeof again, "word-%03d", 299 - i);
        uint32_t num;
        assert_ptr_equal(lia_intern(&t, again, strlen(again), false, &num), first[i]);
        assert_int_equal(num, (uint32_t)i);
        assert_ptr_equal(lia_intern_find(&t, again, strlen(again), NULL), first[i]);
    }
    assert_int_equal(t.n, 300);
    assert_null(lia_intern_find(&t, "word-300", 8, NULL));
    assert_null(lia_intern_find(&t, "word-0", 6, NULL)); /* a prefix is another text */
    uint32_t *rank = lia_intern_ranks(&t, &a);
    assert_non_null(rank);
    for (int i = 0; i < 300; i++) /* numbered in reverse order of their text */
        assert_int_equal(rank[i], (uint32_t)(299 - i));
    /* Byte order with lengths: "ab" < "ab\0" < "abc" < "b". */
    struct lia_interner u;
    assert_int_equal(lia_intern_init(&u, 16, &a), 0);
    static const char *const texts[] = {"b", "abc", "ab\0", "ab"};
    static const size_t lens[] = {1, 3, 3, 2};
    for (int i = 0; i < 4; i++)
        assert_non_null(lia_intern(&u, texts[i], lens[i], true, NULL));
    rank = lia_intern_ranks(&u, &a);
    assert_non_null(rank);
    assert_int_equal(rank[0], 3);
    assert_int_equal(rank[1], 2);
    assert_int_equal(rank[2], 1);
    assert_int_equal(rank[3], 0);
    arena_release(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dbuf_limit), cmocka_unit_test(test_json_string),
        cmocka_unit_test(test_b64url),     cmocka_unit_test(test_parse_i64),
        cmocka_unit_test(test_format_ts),  cmocka_unit_test(test_arena_limit),
        cmocka_unit_test(test_intern),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
