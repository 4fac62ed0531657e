/*
 * Tests for src/stix/json.c: strict parsing (table of bad inputs with the code
 * each must get), limits, and the byte spans of envelope items.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stix/stix.h"

static const struct stix_limits limits = {8, 64, 3};

struct bad_json {
    const char *name;
    const char *text;
    size_t len; /* 0: strlen(text) */
    int rc;
    const char *why; /* a word the message must hold */
};

static const struct bad_json bad_inputs[] = {
    {"empty", "", 0, STIX_EJSON, "byte"},
    {"truncated", "{\"objects\": [", 0, STIX_EJSON, "byte"},
    {"missing colon", "{\"a\" 1}", 0, STIX_EJSON, "line"},
    {"trailing comma", "{\"a\": 1,}", 0, STIX_EJSON, "column"},
    {"trailing garbage", "{\"a\": 1} x", 0, STIX_EJSON, "byte"},
    {"two documents", "{} {}", 0, STIX_EJSON, "byte"},
    {"single quotes", "{'a': 1}", 0, STIX_EJSON, "byte"},
    {"overlong slash", "{\"a\": \"\xc0\xaf\"}", 0, STIX_EJSON, "byte"},
    {"overlong NUL", "{\"a\": \"\xc0\x80\"}", 0, STIX_EJSON, "byte"},
    {"truncated sequence", "{\"a\": \"\xe2\x82\"}", 0, STIX_EJSON, "byte"},
    {"lone continuation", "{\"a\": \"\x80\"}", 0, STIX_EJSON, "byte"},
    {"surrogate in UTF-8", "{\"a\": \"\xed\xa0\x80\"}", 0, STIX_EJSON, "byte"},
    {"beyond U+10FFFF", "{\"a\": \"\xf4\x90\x80\x80\"}", 0, STIX_EJSON, "byte"},
    {"invalid byte 0xff", "{\"a\": \"\xff\"}", 0, STIX_EJSON, "byte"},
    {"lone high surrogate escape", "{\"a\": \"\\uD800\"}", 0, STIX_EJSON, "byte"},
    {"lone low surrogate escape", "{\"a\": \"\\uDC00\"}", 0, STIX_EJSON, "byte"},
    {"escaped NUL", "{\"a\": \"x\\u0000y\"}", 0, STIX_EJSON, "byte"},
    {"raw NUL in string", "{\"a\": \"x\0y\"}", 11, STIX_EJSON, "NUL"},
    {"raw NUL outside string", "{\"a\": 1}\0", 9, STIX_EJSON, "NUL"},
    {"duplicate top-level key", "{\"a\": 1, \"a\": 2}", 0, STIX_EJSON, "duplicate"},
    {"duplicate nested key", "{\"objects\": [{\"id\": 1, \"x\": {\"k\": 1, \"k\": 1}}]}", 0,
     STIX_EJSON, "duplicate"},
    {"depth over limit", "[[[[[[[[[1]]]]]]]]]", 0, LIA_ETOOBIG, "nesting"},
    {"depth over limit, objects",
     "{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{}}}}}}}}}", 0, LIA_ETOOBIG,
     "nesting"},
    {"string over limit",
     "{\"a\": \"0123456789012345678901234567890123456789012345678901234567890123456789\"}", 0,
     LIA_ETOOBIG, "string"},
    {"key over limit",
     "{\"0123456789012345678901234567890123456789012345678901234567890123456789\": 1}", 0,
     LIA_ETOOBIG, "string"},
    {"escaped string over limit",
     "{\"a\": \"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
     "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
     "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\"}",
     0, LIA_ETOOBIG, "string"},
    {"too many objects", "{\"objects\": [{}, {}, {}, {}]}", 0, LIA_ETOOBIG, "limit"},
};

static void test_bad_inputs(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_inputs / sizeof bad_inputs[0]; i++) {
        const struct bad_json *b = &bad_inputs[i];
        size_t len = b->len ? b->len : strlen(b->text);
        struct lia_err err;
        json_t *out = (json_t *)1;
        lia_err_clear(&err);
        int rc = stix_parse_json(b->text, len, &limits, &out, &err);
        if (rc != b->rc || !strstr(err.msg, b->why))
            fail_msg("%s: rc %d (want %d), message \"%s\" (want \"%s\")", b->name, rc, b->rc,
                     err.msg, b->why);
        assert_null(out);
        struct stix_envelope env;
        rc = stix_parse_envelope(b->text, len, &limits, &env, &err);
        if (rc != b->rc)
            fail_msg("%s (envelope): rc %d (want %d): %s", b->name, rc, b->rc, err.msg);
        assert_null(env.root);
        assert_null(env.items);
    }
}

static void test_within_limits(void **state)
{
    (void)state;
    json_t *out;
    struct lia_err err;
    /* depth exactly 8, string exactly 64 bytes (32 two-byte characters written as escapes),
     * a surrogate pair (4 bytes) */
    assert_int_equal(stix_parse_json("[[[[[[[[1]]]]]]]]", 17, &limits, &out, &err), 0);
    json_decref(out);
    const char *s =
        "[\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
        "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
        "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\", "
        "\"\\ud83d\\ude00\"]";
    assert_int_equal(stix_parse_json(s, strlen(s), &limits, &out, &err), 0);
    assert_int_equal(json_string_length(json_array_get(out, 0)), 64);
    assert_int_equal(json_string_length(json_array_get(out, 1)), 4);
    json_decref(out);
    /* brackets inside strings do not count as depth */
    s = "{\"a\": \"[[[[[[[[[[[[[[[[[[[[[\"}";
    assert_int_equal(stix_parse_json(s, strlen(s), &limits, &out, &err), 0);
    json_decref(out);
}

struct env_case {
    const char *name;
    const char *text;
    int rc;
    const char *why;
};

static const struct env_case bad_envelopes[] = {
    {"array root", "[{\"type\": \"x\"}]", STIX_EINVALID, "JSON object"},
    {"string root", "\"objects\"", STIX_EINVALID, "JSON object"},
    {"single object", "{\"type\": \"indicator\", \"id\": \"x\"}", STIX_EINVALID, "single"},
    {"objects not array", "{\"objects\": {}}", STIX_EINVALID, "array"},
    {"non-object element", "{\"objects\": [{}, 1]}", STIX_EINVALID, "objects[1]"},
    {"bundle without type",
     "{\"id\": \"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d\", "
     "\"objects\": []}",
     STIX_EINVALID, "no \"type\""},
    {"bundle without id", "{\"type\": \"bundle\", \"objects\": []}", STIX_EINVALID, "id"},
    {"bundle with bad id",
     "{\"type\": \"bundle\", \"id\": \"report--5d0092c5-5f74-4287-9642-"
     "33f4c354e56d\"}",
     STIX_EINVALID, "bundle--"},
    {"STIX 2.0 bundle",
     "{\"type\": \"bundle\", \"id\": \"bundle--5d0092c5-5f74-4287-9642-"
     "33f4c354e56d\", \"spec_version\": \"2.0\", \"objects\": []}",
     STIX_EVERSION, "STIX 2.0 content is not accepted; liaison stores STIX 2.1"},
};

static void test_bad_envelopes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_envelopes / sizeof bad_envelopes[0]; i++) {
        const struct env_case *c = &bad_envelopes[i];
        struct stix_envelope env;
        struct lia_err err;
        lia_err_clear(&err);
        int rc = stix_parse_envelope(c->text, strlen(c->text), &limits, &env, &err);
        if (rc != c->rc || !strstr(err.msg, c->why))
            fail_msg("%s: rc %d (want %d), message \"%s\"", c->name, rc, c->rc, err.msg);
        assert_null(env.root);
    }
}

static void test_spans(void **state)
{
    (void)state;
    /* Escaped member names, strings holding brackets and quotes, nested arrays, odd spacing,
     * and a decoy "objects" member inside another value. */
    const char *text = " {\"more\": true, \"x\": {\"objects\": [1, 2]}, \"obj\\u0065cts\" :\n"
                       "  [ {\"a\": \"]}\\\"[{\"} ,\n\t{\"b\": [[], {\"c\": \"\\\\\"}]}\r\n, {}  "
                       "], \"next\": \"1\"}  ";
    struct stix_envelope env;
    struct lia_err err;
    assert_int_equal(stix_parse_envelope(text, strlen(text), &limits, &env, &err), 0);
    assert_false(env.is_bundle);
    assert_int_equal(env.n_items, 3);
    const char *want[] = {"{\"a\": \"]}\\\"[{\"}", "{\"b\": [[], {\"c\": \"\\\\\"}]}", "{}"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(env.items[i].len, strlen(want[i]));
        assert_memory_equal(env.items[i].text, want[i], env.items[i].len);
        assert_ptr_equal(env.items[i].obj, json_array_get(json_object_get(env.root, "objects"), i));
    }
    stix_envelope_release(&env);
    assert_null(env.root);

    const char *bundle = "{\"type\": \"bundle\", \"id\": \"bundle--5d0092c5-5f74-4287-9642-"
                         "33f4c354e56d\", \"objects\": [ {\"k\": 1} ]}";
    assert_int_equal(stix_parse_envelope(bundle, strlen(bundle), &limits, &env, &err), 0);
    assert_true(env.is_bundle);
    assert_int_equal(env.n_items, 1);
    assert_int_equal(env.items[0].len, 8);
    assert_memory_equal(env.items[0].text, "{\"k\": 1}", 8);
    stix_envelope_release(&env);

    /* an envelope with no objects, and one with an empty list */
    assert_int_equal(stix_parse_envelope("{\"more\": false}", 15, &limits, &env, &err), 0);
    assert_int_equal(env.n_items, 0);
    assert_null(env.items);
    stix_envelope_release(&env);
    assert_int_equal(stix_parse_envelope("{\"objects\": []}", 15, &limits, &env, &err), 0);
    assert_int_equal(env.n_items, 0);
    stix_envelope_release(&env);
}

static void test_error_position(void **state)
{
    (void)state;
    json_t *out;
    struct lia_err err;
    const char *text = "{\n  \"a\": 1,\n  \"b\": tru\n}";
    assert_int_equal(stix_parse_json(text, strlen(text), &limits, &out, &err), STIX_EJSON);
    assert_non_null(strstr(err.msg, "line 3"));
    const char *deep = "{\"a\":\n[[[[[[[[1]]]]]]]]}";
    assert_int_equal(stix_parse_json(deep, strlen(deep), &limits, &out, &err), LIA_ETOOBIG);
    assert_non_null(strstr(err.msg, "line 2"));
}

/* Large envelopes take the two-core parse (json.c: parse_parallel). Each case is built from
 * 120 objects of ~700 bytes with one change at object `at`; the answer must be what one
 * strict parse of the whole text gives: the same tree when valid, the same code when not. */
struct big_case {
    const char *name;
    const char *find, *replace;  /* in object `at` (NULL: no change) */
    const char *prefix, *suffix; /* around the objects array (NULL: the plain envelope) */
    int rc;
};

static char *big_envelope(const struct big_case *c, size_t at, size_t *len)
{
    size_t cap = 256 * 1024;
    char *b = malloc(cap);
    size_t n =
        (size_t)snprintf(b, cap, "%s", c->prefix ? c->prefix : "{\"more\": false, \"objects\": [");
    for (size_t i = 0; i < 120; i++) {
        char obj[1024];
        snprintf(obj, sizeof obj,
                 "{\"type\": \"note\", \"spec_version\": \"2.1\", \"id\": "
                 "\"note--00000000-0000-4000-8000-%012zu\", \"created\": "
                 "\"2024-01-01T00:00:00.000Z\", \"modified\": \"2024-01-01T00:00:00.000Z\", "
                 "\"content\": \"brace } bracket ] quote \\\" comma , %s\", \"object_refs\": "
                 "[\"note--00000000-0000-4000-8000-000000000001\"], \"x\": {\"deep\": [1, {\"k\": "
                 "\"v\"}]}, \"pad\": \"%0500d\"}",
                 i, "\xd8\xa7\xd9\x84\xd8\xac\xd8\xb2\xd8\xa7\xd8\xa6\xd8\xb1", 0);
        if (c->find && i == at) {
            char *f = strstr(obj, c->find);
            assert_non_null(f);
            char tmp[1200];
            snprintf(tmp, sizeof tmp, "%.*s%s%s", (int)(f - obj), obj, c->replace,
                     f + strlen(c->find));
            assert_true(strlen(tmp) < sizeof obj);
            memcpy(obj, tmp, strlen(tmp) + 1);
        }
        n += (size_t)snprintf(b + n, cap - n, "%s%s", i ? ",\n  " : "", obj);
    }
    n += (size_t)snprintf(b + n, cap - n, "%s", c->suffix ? c->suffix : "]}");
    *len = n;
    return b;
}

static void test_parallel_parse(void **state)
{
    (void)state;
    static const struct big_case cases[] = {
        {"valid", NULL, NULL, NULL, NULL, LIA_OK},
        {"escaped member name", NULL, NULL, "{\"obj\\u0065cts\": [", NULL, LIA_OK},
        {"other members around", NULL, NULL, "{\"next\": \"a]b}\\\"\", \"objects\": [",
         "], \"more\": true}", LIA_OK},
        {"duplicate key inside", "\"x\": {", "\"type\": \"note\", \"x\": {", NULL, NULL,
         STIX_EJSON},
        {"duplicate root member", NULL, NULL, NULL, "], \"objects\": []}", STIX_EJSON},
        {"missing comma", "0\"}", "0\"} {}", NULL, NULL, STIX_EJSON},
        {"brace inside a string", "brace }", "brace }]}, {", NULL, NULL, LIA_OK},
        {"trailing garbage", NULL, NULL, NULL, "]} x", STIX_EJSON},
        {"invalid UTF-8", "brace",
         "br\xc0\xaf"
         "ce",
         NULL, NULL, STIX_EJSON},
        {"lone surrogate escape", "brace", "\\ud800", NULL, NULL, STIX_EJSON},
        {"unterminated string", "\"v\"}", "\"v}", NULL, NULL, STIX_EJSON},
        {"unbalanced brace", "[1, {", "[1, {{", NULL, NULL, STIX_EJSON},
        {"number element", NULL, NULL, "{\"objects\": [0, ", NULL, STIX_EINVALID},
        {"element not an object", NULL, NULL, "{\"objects\": [[1], ", NULL, STIX_EINVALID},
        {"bundle without id", NULL, NULL, "{\"type\": \"bundle\", \"objects\": [", NULL,
         STIX_EINVALID},
    };
    struct stix_limits lim = {64, 1024 * 1024, 1000};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        for (size_t at = 0; at < 120; at += 59) {
            size_t len;
            char *text = big_envelope(&cases[k], at, &len);
            assert_true(len > 64 * 1024);
            struct stix_envelope env;
            struct lia_err err;
            lia_err_clear(&err);
            unsigned long before = stix_parallel_parses();
            int rc = stix_parse_envelope(text, len, &lim, &env, &err);
            /* Valid envelopes of objects take the two-core path (else this tests nothing). */
            if (cases[k].rc == LIA_OK && stix_parallel_parses() != before + 1)
                fail_msg("%s at %zu: not parsed in parallel", cases[k].name, at);
            if (rc != cases[k].rc)
                fail_msg("%s at %zu: rc %d, want %d (%s)", cases[k].name, at, rc, cases[k].rc,
                         err.msg);
            if (rc == LIA_OK) {
                json_error_t je;
                json_t *whole = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
                assert_non_null(whole);
                assert_true(json_equal(whole, env.root));
                size_t extra = cases[k].prefix && strstr(cases[k].prefix, "[0") ? 1 : 0;
                assert_int_equal(env.n_items, 120 + extra);
                for (size_t i = 0; i < env.n_items; i++) {
                    json_t *one = json_loadb(env.items[i].text, env.items[i].len, 0, &je);
                    assert_non_null(one);
                    assert_true(json_equal(one, env.items[i].obj));
                    json_decref(one);
                }
                json_decref(whole);
                stix_envelope_release(&env);
            }
            free(text);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_inputs),     cmocka_unit_test(test_within_limits),
        cmocka_unit_test(test_bad_envelopes),  cmocka_unit_test(test_spans),
        cmocka_unit_test(test_error_position), cmocka_unit_test(test_parallel_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
