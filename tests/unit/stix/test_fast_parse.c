/*
 * Tests for src/stix/fast_parse.c: whatever the fast reader accepts, json_loadb with
 * JSON_REJECT_DUPLICATES accepts too, with the same tree (same types, same member order);
 * on hand-picked inputs (each valid one must be taken, each broken one refused) and on
 * thousands of byte-level mutations of STIX objects.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stix/stix_internal.h"

/* The same tree: json_equal, and the same text (types and member order) when dumped. */
static bool same_tree(json_t *a, json_t *b)
{
    if (!json_equal(a, b))
        return false;
    char *x = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
    char *y = json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
    bool same = x && y && !strcmp(x, y);
    free(x);
    free(y);
    return same;
}

/* The contract on one input; returns whether the fast reader took it. */
static bool check(const char *text, size_t len)
{
    json_error_t je;
    json_t *fast = stix_fast_parse_object(text, len);
    json_t *slow = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (fast) {
        if (!slow || !json_is_object(slow) || !same_tree(fast, slow))
            fail_msg("fast reader took what jansson does not, or differently: %.*s", (int)len,
                     text);
    }
    bool took = fast != NULL;
    json_decref(fast);
    json_decref(slow);
    return took;
}

static void test_valid_inputs(void **state)
{
    (void)state;
    static const char *const valid[] = {
        "{}",
        " \t\r\n{ } \n",
        "{\"a\":1}",
        "{\"a\": -0, \"b\": 0, \"c\": 9223372036854775807, \"d\": -9223372036854775808}",
        "{\"r\": 1.5, \"s\": -0.0, \"t\": 1e3, \"u\": 1E-3, \"v\": 2.5e+10, \"w\": 1e-400}",
        "{\"s\": \"plain\", \"e\": \"\\\"\\\\\\/\\b\\f\\n\\r\\t\", \"u\": \"\\u00e9\\u20AC\"}",
        "{\"pair\": \"\\ud83d\\ude00\", \"raw\": \"\xf0\x9f\x98\x80 \xc3\xa9 \xe2\x82\xac\"}",
        "{\"arabic\": "
        "\"\xd8\xa7\xd9\x84\xd8\xa5\xd8\xb3\xd9\x84\xd8\xa7\xd9\x85\xd9\x8a\xd8\xa9\"}",
        "{\"\": 1, \"k\\u0041\": 2, \"del\": \"\x7f\"}",
        "{\"n\": null, \"t\": true, \"f\": false, \"a\": [], \"o\": {}}",
        "{\"a\": [1, [2, [3, {\"b\": [true, false, null]}]]], \"z\": \"last\"}",
        "{\"z\": 1, \"a\": 2, \"m\": 3}",
        "{\"k\\n\": {\"k\\n\": 1}}",
        "{\"x\": \"\\u0041\\u0042\", \"y\": \"a\\\\u0000\"}",
    };
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++)
        if (!check(valid[i], strlen(valid[i])))
            fail_msg("the fast reader should take: %s", valid[i]);
}

static void test_refused_inputs(void **state)
{
    (void)state;
    struct {
        const char *text;
        size_t len;
    } bad[] = {
        {"", 0},
        {"[1]", 0},
        {"\"s\"", 0},
        {"1", 0},
        {"{\"a\":1} x", 0},
        {"{} {}", 0},
        {"{\"a\":1,}", 0},
        {"{\"a\" 1}", 0},
        {"{'a': 1}", 0},
        {"{\"a\": 01}", 0},
        {"{\"a\": 1.}", 0},
        {"{\"a\": .5}", 0},
        {"{\"a\": -}", 0},
        {"{\"a\": 1e}", 0},
        {"{\"a\": +1}", 0},
        {"{\"a\": 9223372036854775808}", 0},
        {"{\"a\": -9223372036854775809}", 0},
        {"{\"a\": 1e400}", 0},
        {"{\"a\": -1e400}", 0},
        {"{\"a\": truex}", 0},
        {"{\"a\": tru}", 0},
        {"{\"a\": nul}", 0},
        {"{\"a\": True}", 0},
        {"{\"a\": NaN}", 0},
        {"{\"a\": \"\xc0\xaf\"}", 0},
        {"{\"a\": \"\xc0\x80\"}", 0},
        {"{\"a\": \"\xe2\x82\"}", 0},
        {"{\"a\": \"\x80\"}", 0},
        {"{\"a\": \"\xed\xa0\x80\"}", 0},
        {"{\"a\": \"\xf4\x90\x80\x80\"}", 0},
        {"{\"a\": \"\xff\"}", 0},
        {"{\"a\": \"\xe0\x80\xaf\"}", 0},
        {"{\"a\": \"\xf0\x80\x80\xaf\"}", 0},
        {"{\"a\": \"\\uD800\"}", 0},
        {"{\"a\": \"\\uDC00\"}", 0},
        {"{\"a\": \"\\uD800\\u0041\"}", 0},
        {"{\"a\": \"x\\u0000y\"}", 0},
        {"{\"\\u0000\": 1}", 0},
        {"{\"a\": \"x\0y\"}", 11},
        {"{\"a\": 1}\0", 9},
        {"{\"a\": \"\\x\"}", 0},
        {"{\"a\": \"\\u12G4\"}", 0},
        {"{\"a\": \"tab\there\"}", 0},
        {"{\"a\": \"new\nline\"}", 0},
        {"{\"a\": \"open}", 0},
        {"{\"a\": 1, \"a\": 2}", 0},
        {"{\"a\": {\"k\": 1, \"k\": 1}}", 0},
        {"{\"k\\u0041\": 1, \"kA\": 2}", 0},
        {"{\"a\": [1,]}", 0},
        {"{\"a\": [1 2]}", 0},
        {"\xef\xbb\xbf{}", 0},
        {"{\"a\": 1", 0},
        {"{\"a\": [", 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t len = bad[i].len ? bad[i].len : strlen(bad[i].text);
        if (check(bad[i].text, len))
            fail_msg("the fast reader should refuse input %zu: %.*s", i, (int)len, bad[i].text);
    }
    /* Deeper than the reader goes: refused (jansson then decides), never mistaken. */
    char deep[2 * 600 + 16];
    size_t n = 0;
    deep[n++] = '{', deep[n++] = '"', deep[n++] = 'a', deep[n++] = '"', deep[n++] = ':';
    for (int i = 0; i < 600; i++)
        deep[n++] = '[';
    for (int i = 0; i < 600; i++)
        deep[n++] = ']';
    deep[n++] = '}';
    assert_false(check(deep, n));
}

/* Byte-level mutations of a STIX object: each one either refused or read as jansson reads it. */
static void test_mutations(void **state)
{
    (void)state;
    static const char seed[] =
        "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--8e2e2d2b-17d4-4cbf-"
        "938f-98ee46b3cd3f\",\"created\":\"2016-04-06T20:03:48.000Z\",\"modified\":\"2016-04-06T20:"
        "03:48.000Z\",\"name\":\"Poison Ivy \\u00e9 "
        "\xd8\xa7\xd9\x84\",\"confidence\":85,\"x_score\":"
        "-1.25e2,\"pattern\":\"[file:hashes.'SHA-256' = '4bac27393bdd9777ce02453256c5577cd02275510b"
        "2227f473d03f533924f877']\",\"pattern_type\":\"stix\",\"valid_from\":\"2016-01-01T00:00:00"
        "Z\",\"labels\":[\"a\",\"b\\n\",\"\\ud83d\\ude00\"],\"external_references\":[{\"source_name"
        "\":\"x\",\"url\":\"https://example.org/a\\/b\"}],\"revoked\":false,\"extra\":null}";
    static const char alphabet[] = "{}[]\",:\\u0123456789abcdefABCDEF.eE+- \t\n\x00\x01\x7f\x80"
                                   "\xbf\xc0\xc3\xe2\xed\xf0\xf4\xff";
    size_t len = sizeof seed - 1;
    char *buf = malloc(len + 8);
    assert_non_null(buf);
    assert_true(check(seed, len));
    unsigned long x = 88172645463325252UL, took = 0;
    for (int round = 0; round < 20000; round++) {
        memcpy(buf, seed, len);
        size_t n = len;
        int edits = 1 + (int)(round % 3);
        for (int e = 0; e < edits; e++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            size_t at = (size_t)(x % n);
            char c = alphabet[(x >> 20) % (sizeof alphabet - 1)];
            switch ((x >> 40) % 3) {
            case 0: /* replace */
                buf[at] = c;
                break;
            case 1: /* delete */
                memmove(buf + at, buf + at + 1, n - at - 1);
                n--;
                break;
            default: /* insert */
                memmove(buf + at + 1, buf + at, n - at);
                buf[at] = c;
                n++;
                break;
            }
        }
        took += check(buf, n);
    }
    free(buf);
    /* Some mutations (inside strings) stay valid: the reader was exercised on both sides. */
    assert_true(took > 100);
    assert_true(took < 20000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_inputs),
        cmocka_unit_test(test_refused_inputs),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
