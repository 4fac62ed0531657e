/*
 * Tests of the intake pipeline end to end: clitic cases through the matcher, the sample
 * article's required entities, stable ids, the bundle, bad input and the CLI exit codes.
 * Needs LIAISON_SOURCE (repository root: data/gazetteer) and LIAISON_SHARED (samples/).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "intake_test.h"
#include "stix/stix.h"

static void test_clitics_in_text(void **state)
{
    (void)state;
    expect_mention("وتركز أمريكا عملياتها للتصدي لـ\"داعش\" في إفريقيا", "group-islamic-state",
                   "داعش", "لـ");
    expect_mention("التصدي لـ داعش في ليبيا", "group-islamic-state", "داعش", "لـ");
    expect_mention("صرح قيادي في تنظيم القاعدة بأن علاقته بـ«القاعدة» قديمة.", "group-al-qaeda",
                   "القاعدة", "بـ");
    expect_mention("قدمت واشنطن طلبا للجزائر", "country-dz", "لجزائر", "ل");
    expect_mention("وصل السلاح لليبيا عبر الحدود", "country-ly", "ليبيا", "ل");
    expect_mention("توجه الوفد للاذقية أمس", "admin1-sy-la", "لاذقية", "ل");
    expect_mention("تعاون وثيق بين بالجزائر والمغرب", "country-dz", "الجزائر", "ب");
    expect_mention("عاد إلى وهران", "admin1-dz-31", "وهران", "");
    expect_mention("أعلنت السلطات بواشنطن", "city-4140963", "واشنطن", "ب");
    expect_mention("الولايات المتحدة والجزائر", "country-dz", "الجزائر", "و");
    expect_mention("attacks by ISIS-linked cells", "group-islamic-state", "ISIS", "");
    expect_mention("the Islamic State's fighters", "group-islamic-state", "Islamic State", "");
    expect_mention("لـISIS", "group-islamic-state", "ISIS", "لـ");
    /* بشأن is not ب + شان; nothing matches in these */
    expect_none("تجري الاتصالات بشأنها وبشأن المسألة", NULL);
    expect_none("قال إن العالم يتابع الوضع في العاصمة", NULL);
    expect_none("في إطار مكافحة الإرهاب", NULL);
}

static void test_algiers_vs_algeria(void **state)
{
    (void)state;
    expect_mention("تفكيك خلايا في الجزائر العاصمة", "city-2507480", "الجزائر العاصمة", "");
    expect_mention("يربط واشنطن بالعاصمة الجزائر", "city-2507480", "العاصمة الجزائر", "ب");
    expect_none("تفكيك خلايا في الجزائر العاصمة", "country-dz");
    expect_mention("Officials in Algiers said", "city-2507480", "Algiers", "");
}

static void test_context_rules(void **state)
{
    (void)state;
    expect_none("قال بشار الأسد", "admin1-dz-08");
    expect_mention("وصلت التعزيزات إلى ولاية بشار", "admin1-dz-08", "ولاية بشار", "");
    expect_none("he is a member", "group-islamic-state");
    expect_mention("IS fighters attacked", "group-islamic-state", "IS", "");
    expect_none("We need to turkey the data", "country-tr");
    expect_mention("flights to Chad resumed", "country-td", "Chad", "");
    expect_mention("the Lake Chad basin", "region-lake-chad-basin", "Lake Chad basin", "");
    expect_none("وزارة المالية أعلنت", NULL);
    expect_mention("أعلن الجيش المالي", "body-ml-armed-forces", "الجيش المالي", "");
    expect_mention("وطلبت السلطات الجزائرية", "body-dz-government", "السلطات الجزائرية", "");
    expect_mention("Moroccan authorities arrested", "body-ma-government", "Moroccan authorities",
                   "");
    expect_mention("U.S. forces left", "body-us-armed-forces", "U.S. forces", "");
}

static void test_mixed_and_rtl(void **state)
{
    (void)state;
    const char *t = "\u200Fأعلنت \u202Bالجزائر\u202C أن AQIM نشط في \u2067مالي\u2069.";
    expect_mention(t, "country-dz", "الجزائر", "");
    expect_mention(t, "group-aqim", "AQIM", "");
    expect_mention(t, "country-ml", "مالي", "");
    struct intake_result res;
    analyze(t, &res);
    const struct intake_entity *e = find(&res, "country-dz");
    /* code point offsets: RLM (1) + أعلنت (5) + space + RLE = 8 */
    assert_int_equal(e->mentions[0].start, 8);
    assert_int_equal(e->mentions[0].end, 15);
    intake_result_release(&res);
}

static bool contains(const char *h, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (!memcmp(h + i, needle, k))
            return true;
    return false;
}

static char *read_sample(size_t *len)
{
    const char *sh = getenv("LIAISON_SHARED");
    char path[4096];
    snprintf(path, sizeof(path), "%s/samples/article-ar-algeria-us-rfi.txt", sh ? sh : "../shared");
    char *buf;
    struct lia_err err;
    if (lia_read_file(path, 1 << 20, &buf, len, &err) < 0)
        fail_msg("%s", err.msg);
    return buf;
}

static void test_sample_article(void **state)
{
    (void)state;
    size_t len;
    char *text = read_sample(&len);
    struct intake_result res;
    struct lia_err err = {0};
    assert_int_equal(intake_analyze(G, text, len, NULL, &res, &err), 0);
    static const char *want[] = {
        "country-dz",     "country-us",          "city-4140963", "city-2507480", "country-iq",
        "country-sy",     "country-ng",          "country-ml",   "country-ly",   "region-sahel",
        "region-maghreb", "group-islamic-state", "group-aqim"};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (!find(&res, want[i]))
            fail_msg("sample article: %s not found", want[i]);
    /* ISIS under every name the article uses */
    const struct intake_entity *is = find(&res, "group-islamic-state");
    bool daesh = false, dawla = false, prefixed = false;
    for (size_t i = 0; i < is->n_mentions; i++) {
        const struct intake_mention *m = &is->mentions[i];
        size_t n = m->byte_end - m->byte_start;
        if (contains(text + m->byte_start, n, "داعش"))
            daesh = true;
        if (contains(text + m->byte_start, n, "الدولة الإسلامية"))
            dawla = true;
        if (m->prefix_byte_end - m->prefix_byte_start == strlen("لـ") &&
            !memcmp(text + m->prefix_byte_start, "لـ", strlen("لـ")))
            prefixed = true;
    }
    assert_true(daesh && dawla && prefixed);
    assert_true(is->n_mentions >= 9);
    assert_int_equal(res.lang, INTAKE_LANG_AR);
    intake_result_release(&res);
    free(text);
}

static void test_bundle_and_stable_ids(void **state)
{
    (void)state;
    size_t len;
    char *text = read_sample(&len);
    struct dbuf a, b;
    dbuf_init(&a, 8 << 20);
    dbuf_init(&b, 8 << 20);
    struct lia_err err = {0};
    assert_int_equal(intake_extract(G, text, len, NULL, &a, &err), 0);
    assert_int_equal(intake_extract(G, text, len, NULL, &b, &err), 0);
    json_error_t je;
    json_t *ja = json_loads(a.ptr, JSON_REJECT_DUPLICATES, &je);
    json_t *jb = json_loads(b.ptr, JSON_REJECT_DUPLICATES, &je);
    assert_non_null(ja);
    assert_non_null(jb);
    json_t *oa = json_object_get(ja, "objects"), *ob = json_object_get(jb, "objects");
    assert_int_equal(json_array_size(oa), json_array_size(ob));
    size_t reports = 0;
    for (size_t i = 0; i < json_array_size(oa); i++) {
        const char *type = json_string_value(json_object_get(json_array_get(oa, i), "type"));
        const char *ida = json_string_value(json_object_get(json_array_get(oa, i), "id"));
        const char *idb = json_string_value(json_object_get(json_array_get(ob, i), "id"));
        if (!strcmp(type, "report")) {
            reports++;
            assert_string_not_equal(ida, idb);
            assert_string_equal(json_string_value(json_object_get(json_array_get(oa, i), "lang")),
                                "ar");
        } else {
            assert_string_equal(ida, idb);
        }
    }
    assert_int_equal(reports, 1);
    char id[80];
    intake_entity_stix_id("location", "country-dz", id);
    assert_non_null(strstr(a.ptr, id));
    assert_int_equal(id[strlen("location--") + 14], '5'); /* UUID version 5 */
    assert_non_null(strstr(a.ptr, "\"threat_actor_types\":[\"terrorist\"]"));
    assert_non_null(
        strstr(a.ptr, INTAKE_EXTENSION_ID "\":{\"extension_type\":\"property-extension\""));
    json_decref(ja);
    json_decref(jb);
    dbuf_release(&a);
    dbuf_release(&b);
    free(text);
}

/* Every object of the sample article's bundle is valid STIX 2.1 (src/stix). */
static void test_bundle_validates(void **state)
{
    (void)state;
    size_t len;
    char *text = read_sample(&len);
    struct dbuf b;
    dbuf_init(&b, 8 << 20);
    struct lia_err err = {0};
    assert_int_equal(intake_extract(G, text, len, NULL, &b, &err), 0);
    struct stix_limits lim = {64, 1 << 20, 10000};
    struct stix_envelope env;
    if (stix_parse_envelope(b.ptr, b.len, &lim, &env, &err) < 0)
        fail_msg("bundle: %s", err.msg);
    assert_true(env.is_bundle);
    assert_true(env.n_items > 10);
    for (size_t i = 0; i < env.n_items; i++) {
        struct stix_info info;
        if (stix_validate_object(env.items[i].obj, &info, &err) < 0)
            fail_msg("object %zu (%.*s...): %s", i, 120, env.items[i].text, err.msg);
    }
    stix_envelope_release(&env);
    dbuf_release(&b);
    free(text);
}

static void test_bad_input(void **state)
{
    (void)state;
    struct dbuf b;
    dbuf_init(&b, 1 << 20);
    struct lia_err err = {0};
    assert_int_equal(intake_extract(G, "", 0, NULL, &b, &err), INTAKE_EREFUSED);
    assert_non_null(strstr(err.msg, "empty"));
    const char bad[] = "مالي \xC3\x28 x";
    assert_int_equal(intake_extract(G, bad, sizeof(bad) - 1, NULL, &b, &err), INTAKE_EREFUSED);
    assert_string_equal(err.msg, "invalid UTF-8 at byte 9");
    const char bin[] = "ab\0\x01\x02";
    assert_int_equal(intake_extract(G, bin, sizeof(bin) - 1, NULL, &b, &err), INTAKE_EREFUSED);
    assert_non_null(strstr(err.msg, "NUL byte at byte 2"));
    struct intake_options opt = {.max_input = 4};
    assert_int_equal(intake_extract(G, "Mali Niger", 10, &opt, &b, &err), LIA_ETOOBIG);
    assert_non_null(strstr(err.msg, "limit"));
    dbuf_release(&b);
}

/* Runs the command with up to two arguments, output to a file in dir (never a device: the
 * atomic write would replace it), stderr captured into errbuf. */
static int run_cli(const char *dir, const char *arg1, const char *arg2, char *errbuf, size_t n)
{
    char out[300];
    snprintf(out, sizeof(out), "%s/out.json", dir);
    char *argv[6] = {"intake", (char *)arg1, (char *)arg2, "--out", out, NULL};
    int argc = 5;
    if (!arg2) {
        argv[2] = "--out";
        argv[3] = out;
        argv[4] = NULL;
        argc = 4;
    }
    fflush(stderr);
    FILE *tmp = tmpfile();
    int saved = dup(2);
    dup2(fileno(tmp), 2);
    int rc = intake_cli_main(argc, argv);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(tmp);
    size_t k = fread(errbuf, 1, n - 1, tmp);
    errbuf[k] = '\0';
    fclose(tmp);
    return rc;
}

static void test_cli(void **state)
{
    (void)state;
    char dir[] = "/tmp/intake-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], msg[1024];
    snprintf(path, sizeof(path), "%s/in.txt", dir);
    struct lia_err err;
    assert_int_equal(lia_write_file(path, "x\xff", 2, 0600, &err), 0);
    assert_int_equal(run_cli(dir, path, NULL, msg, sizeof(msg)), 4);
    assert_non_null(strstr(msg, "invalid UTF-8 at byte 1"));
    assert_int_equal(lia_write_file(path, "", 0, 0600, &err), 0);
    assert_int_equal(run_cli(dir, path, NULL, msg, sizeof(msg)), 4);
    /* a 50 MB file is refused from its size, with the limit and the flag named */
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(ftruncate(fileno(f), 50 << 20), 0);
    fclose(f);
    assert_int_equal(run_cli(dir, path, NULL, msg, sizeof(msg)), 4);
    assert_non_null(strstr(msg, "8388608 byte input limit"));
    assert_non_null(strstr(msg, "--max-bytes"));
    assert_int_equal(run_cli(dir, "--lang", "fr", msg, sizeof(msg)), 2);
    assert_int_equal(run_cli(dir, "--bogus", NULL, msg, sizeof(msg)), 2);
    assert_int_equal(lia_write_file(path, "ISIS in Mali", 12, 0600, &err), 0);
    assert_int_equal(run_cli(dir, path, "--lang", msg, sizeof(msg)), 2); /* --lang without value */
    assert_int_equal(run_cli(dir, path, NULL, msg, sizeof(msg)), 0);
    char out[300];
    snprintf(out, sizeof(out), "%s/out.json", dir);
    char *bundle;
    size_t blen;
    assert_int_equal(lia_read_file(out, 1 << 20, &bundle, &blen, &err), 0);
    assert_true(blen > 20 && !strncmp(bundle, "{\"type\":\"bundle\"", 16));
    free(bundle);
    unlink(out);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clitics_in_text),  cmocka_unit_test(test_algiers_vs_algeria),
        cmocka_unit_test(test_context_rules),    cmocka_unit_test(test_mixed_and_rtl),
        cmocka_unit_test(test_sample_article),   cmocka_unit_test(test_bundle_and_stable_ids),
        cmocka_unit_test(test_bad_input),        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_bundle_validates),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
