/*
 * Every STIX file under $LIAISON_SHARED/data/stix/ (the JSON schemas excepted)
 * goes through stix_parse_envelope and stix_validate_object, and the outcome
 * is what data/stix/README.md says it should be: STIX 2.1 files pass whole,
 * the STIX 2.0 ones are refused with STIX_EVERSION, the deliberately invalid
 * one is refused, and the three artifacts of sco-examples-bundle.json whose
 * payload_bin is not base64 are refused (and only those).
 *
 * Spans are checked too: each item's text, parsed alone, equals its object.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stix/stix.h"

static const struct stix_limits limits = {64, 8 * 1024 * 1024, 100000};

/* Files whose envelope is refused, with the code. */
static const struct {
    const char *suffix;
    int rc;
} envelope_refusals[] = {
    {"mitre-cti-stix20/intrusion-set--32bca8ff-d900-4877-aa65-d70baa041b74.json", STIX_EVERSION},
    {"malware--b42378e0-f147-496f-992a-26a49705395b/20170531213215263882.json", STIX_EVERSION},
    {"oasis-cti-stix-common-objects-tlp2/INVALID-using-tlp2.0-green.json", STIX_EINVALID},
};

/* Objects that are refused, by id, with the code and a word the message must hold. */
static const struct {
    const char *id;
    int rc;
    const char *why;
} object_refusals[] = {
    /* 2.0 content: no spec_version on an SDO */
    {"intrusion-set--32bca8ff-d900-4877-aa65-d70baa041b74", STIX_EVERSION, "2.0"},
    {"malware--b42378e0-f147-496f-992a-26a49705395b", STIX_EVERSION, "2.0"},
    /* INVALID-using-tlp2.0-green.json: created "2022-101-27T..." */
    {"relationship--1621d4d4-b67d-11e3-9670-f01faf20d111", STIX_EINVALID, "created"},
    /* sco-examples-bundle.json: payload_bin ends in " ...", not base64 */
    {"artifact--6f437177-6e48-5cf8-9d9e-872a2bddd641", STIX_EINVALID, "payload_bin"},
    {"artifact--4cce66f8-6eaa-53cb-85d5-3a85fca3a6c5", STIX_EINVALID, "payload_bin"},
    {"artifact--ca17bcf8-9846-5ab4-8662-75c1bf6e63ee", STIX_EINVALID, "payload_bin"},
};

struct tally {
    size_t files, objects, valid, refused_as_expected;
    size_t envelopes_refused;
    size_t seen[sizeof object_refusals / sizeof object_refusals[0]];
    size_t failures;
};

static struct tally tally;

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static void check_object(const char *path, json_t *obj)
{
    struct stix_info info;
    struct lia_err err;
    lia_err_clear(&err);
    int rc = stix_validate_object(obj, &info, &err);
    const char *id = json_string_value(json_object_get(obj, "id"));
    tally.objects++;
    for (size_t i = 0; i < sizeof object_refusals / sizeof object_refusals[0]; i++) {
        if (id && strcmp(id, object_refusals[i].id) == 0) {
            if (rc != object_refusals[i].rc || !strstr(err.msg, object_refusals[i].why)) {
                fprintf(stderr, "%s: %s expected refusal %d (%s), got %d: %s\n", path, id,
                        object_refusals[i].rc, object_refusals[i].why, rc, err.msg);
                tally.failures++;
            }
            tally.seen[i]++;
            tally.refused_as_expected++;
            return;
        }
    }
    if (rc != 0) {
        fprintf(stderr, "%s: %s refused: %s\n", path, id ? id : "?", err.msg);
        tally.failures++;
        return;
    }
    tally.valid++;
    if (strcmp(info.id, id) != 0 || (info.versioned && info.modified_us < info.created_us) ||
        (info.kind == STIX_KIND_SCO) == info.versioned || strcmp(info.spec_version, "2.1") != 0) {
        fprintf(stderr, "%s: %s: inconsistent stix_info\n", path, id);
        tally.failures++;
    }
}

static void check_file(const char *path)
{
    char *text;
    size_t len;
    struct lia_err err;
    assert_int_equal(lia_read_file(path, 16 * 1024 * 1024, &text, &len, &err), 0);
    tally.files++;

    int want_env = 0;
    for (size_t i = 0; i < sizeof envelope_refusals / sizeof envelope_refusals[0]; i++) {
        if (ends_with(path, envelope_refusals[i].suffix))
            want_env = envelope_refusals[i].rc;
    }
    json_t *root;
    assert_int_equal(stix_parse_json(text, len, &limits, &root, &err), 0);
    bool envelope_like = json_is_object(root) && json_object_get(root, "objects");
    if (envelope_like) {
        struct stix_envelope env;
        int rc = stix_parse_envelope(text, len, &limits, &env, &err);
        if (rc != want_env) {
            fprintf(stderr, "%s: envelope rc %d, expected %d: %s\n", path, rc, want_env, err.msg);
            tally.failures++;
        }
        if (rc == 0) {
            assert_int_equal(env.n_items, json_array_size(json_object_get(root, "objects")));
            for (size_t i = 0; i < env.n_items; i++) {
                json_t *alone = json_loadb(env.items[i].text, env.items[i].len, 0, NULL);
                assert_non_null(alone);
                assert_true(json_equal(alone, env.items[i].obj));
                assert_true(env.items[i].text[0] == '{');
                assert_true(env.items[i].text[env.items[i].len - 1] == '}');
                json_decref(alone);
                check_object(path, env.items[i].obj);
            }
            stix_envelope_release(&env);
        } else {
            tally.envelopes_refused++;
        }
    }
    if (!envelope_like || want_env) {
        /* Bare objects, bare arrays and refused envelopes: validate the objects alone. */
        json_t *list = json_is_array(root) ? root : json_object_get(root, "objects");
        if (list) {
            size_t i;
            json_t *o;
            json_array_foreach(list, i, o) check_object(path, o);
        } else {
            check_object(path, root);
        }
    }
    json_decref(root);
    free(text);
}

static int visit(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_F && ends_with(path, ".json") && !strstr(path, "/schemas/"))
        check_file(path);
    return 0;
}

static void test_every_fixture(void **state)
{
    (void)state;
    const char *shared = getenv("LIAISON_SHARED");
    assert_non_null(shared);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/data/stix", shared);
    assert_int_equal(nftw(dir, visit, 16, FTW_PHYS), 0);
    fprintf(stderr,
            "fixtures: %zu files, %zu objects, %zu valid, %zu refused as expected, "
            "%zu envelopes refused\n",
            tally.files, tally.objects, tally.valid, tally.refused_as_expected,
            tally.envelopes_refused);
    assert_int_equal(tally.failures, 0);
    assert_int_equal(tally.files, 56);
    assert_int_equal(tally.envelopes_refused, 3);
    for (size_t i = 0; i < sizeof object_refusals / sizeof object_refusals[0]; i++)
        assert_int_equal(tally.seen[i], 1);
    assert_true(tally.valid > 4300);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_fixture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
