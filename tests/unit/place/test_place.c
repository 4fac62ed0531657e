/*
 * The containment index (src/place/) on the real data/gazetteer/containment.tsv: the
 * issue's case (into the Sahel includes northern Mali, Gao and Kidal), the chain of a city,
 * look-ups by key, code, region-ov and intake's STIX ids, and locations that cannot be
 * placed (reported, never guessed); then malformed files, each refused with its reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "place/place.h"

static struct place_index *ix;

static int setup(void **state)
{
    (void)state;
    const char *src = getenv("LIAISON_SOURCE");
    if (!src)
        return -1;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/data/gazetteer", src);
    struct lia_err err;
    lia_err_clear(&err);
    if (place_index_load(dir, &ix, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    place_index_free(ix);
    return 0;
}

static place_id key(const char *k)
{
    place_id p = place_by_key(ix, k);
    if (p == PLACE_NONE)
        fail_msg("no place %s", k);
    return p;
}

static void test_sahel(void **state)
{
    (void)state;
    place_id sahel = key("region-sahel"), north = key("region-northern-mali");
    /* northern Mali, Gao (the city), Kidal (the curated city and the region) are in the Sahel */
    assert_true(place_within(ix, north, sahel));
    assert_true(place_within(ix, key("city-2457163"), sahel)); /* Gao */
    assert_true(place_within(ix, key("city-ml-kidal"), sahel));
    assert_true(place_within(ix, key("admin1-ml-8"), north)); /* Kidal region */
    assert_true(place_within(ix, key("city-2457163"), north));
    /* Bamako is in Mali and the Sahel, not in northern Mali */
    assert_true(place_within(ix, key("city-2460596"), sahel));
    assert_false(place_within(ix, key("city-2460596"), north));
    /* Libya is not in the Sahel; Algeria's capital is in Africa and the Maghreb */
    assert_false(place_within(ix, key("country-ly"), sahel));
    assert_true(place_within(ix, key("city-2507480"), key("region-maghreb")));
    assert_true(place_within(ix, key("city-2507480"), key("region-m49-002")));
    assert_true(place_within(ix, sahel, key("region-m49-002")));
    /* reflexive; not upward */
    assert_true(place_within(ix, sahel, sahel));
    assert_false(place_within(ix, sahel, north));
    assert_false(place_within(ix, PLACE_NONE, sahel));
    /* Lake Chad basin holds Maiduguri (Borno) but not Abuja */
    assert_true(place_within(ix, key("city-2331447"), key("region-lake-chad-basin")));
    assert_false(place_within(ix, key("city-2352778"), key("region-lake-chad-basin")));
    /* the Sahara contains nothing but itself: its edges follow no border we hold */
    assert_false(place_within(ix, key("city-2448085"), key("region-sahara"))); /* Agadez */
}

static void test_chain(void **state)
{
    (void)state;
    place_id out[PLACE_MAX_CONTAINERS];
    size_t n = place_containers(ix, key("city-2457163"), out, PLACE_MAX_CONTAINERS);
    const char *want[] = {"admin1-ml-7",           "country-ml",     "region-northern-mali",
                          "region-liptako-gourma", "region-m49-011", "region-sahel",
                          "region-m49-002",        "region-m49-202"};
    assert_int_equal(n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < n; j++)
            seen |= !strcmp(place_key(ix, out[j]), want[i]);
        if (!seen)
            fail_msg("Gao's containers lack %s", want[i]);
    }
    assert_string_equal(place_key(ix, out[0]), "admin1-ml-7"); /* nearest first */
    /* a short buffer still gets the count */
    assert_int_equal(place_containers(ix, key("city-2457163"), out, 2), n);
    assert_int_equal(place_containers(ix, key("region-m49-002"), out, PLACE_MAX_CONTAINERS), 0);
}

static void test_lookups(void **state)
{
    (void)state;
    assert_int_equal(place_by_code(ix, "ML"), key("country-ml"));
    assert_int_equal(place_by_code(ix, "ml-8"), key("admin1-ml-8"));
    assert_int_equal(place_by_code(ix, "011"), key("region-m49-011"));
    assert_int_equal(place_by_region_ov(ix, "western-africa"), key("region-m49-011"));
    assert_int_equal(place_by_region_ov(ix, "africa"), key("region-m49-002"));
    assert_int_equal(place_by_code(ix, "ZZ"), PLACE_NONE);
    assert_int_equal(place_type_of(ix, key("admin1-ml-8")), PLACE_ADMIN1);
    assert_string_equal(place_code(ix, key("admin1-ml-8")), "ML-8");
    char id[80];
    place_stix_id("location", "region-northern-mali", id);
    assert_int_equal(place_by_stix_id(ix, id), key("region-northern-mali"));
    for (char *p = id; *p; p++) /* RFC 4122: hex digits in either case */
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    assert_int_equal(place_by_stix_id(ix, id), key("region-northern-mali"));
    assert_int_equal(place_by_stix_id(ix, "location--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"),
                     PLACE_NONE);
    assert_int_equal(place_by_stix_id(ix, "location--nope"), PLACE_NONE);
}

static void test_locate(void **state)
{
    (void)state;
    struct place_match m;
    struct lia_err err;
    char id[80];
    place_stix_id("location", "city-ml-kidal", id);
    /* intake's own location: by its id, whatever else it says */
    struct place_location kidal = {.id = id, .country = "ML"};
    assert_int_equal(place_locate(ix, &kidal, &m, &err), 0);
    assert_int_equal(m.place, key("city-ml-kidal"));
    assert_int_equal(m.via, PLACE_VIA_ID);
    /* a partner's: by administrative_area, then country, then region */
    struct place_location gao = {.id = "location--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                                 .administrative_area = "ML-7",
                                 .country = "ML"};
    assert_int_equal(place_locate(ix, &gao, &m, &err), 0);
    assert_int_equal(m.place, key("admin1-ml-7"));
    assert_string_equal(place_via_name(m.via), "administrative_area");
    assert_true(place_within(ix, m.place, key("region-sahel")));
    struct place_location named = {.administrative_area = "Gao Region", .country = "ml"};
    assert_int_equal(place_locate(ix, &named, &m, &err), 0);
    assert_int_equal(m.place, key("country-ml"));
    assert_int_equal(m.via, PLACE_VIA_COUNTRY);
    assert_non_null(strstr(m.note, "administrative_area \"Gao Region\" is not known"));
    struct place_location west = {.region = "western-africa"};
    assert_int_equal(place_locate(ix, &west, &m, &err), 0);
    assert_int_equal(m.via, PLACE_VIA_REGION);
    /* never guessed: unknown codes, no properties, a region that is a country code */
    struct place_location kosovo = {.id = "location--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                                    .country = "XK"};
    lia_err_clear(&err);
    assert_int_equal(place_locate(ix, &kosovo, &m, &err), PLACE_EUNPLACED);
    assert_int_equal(m.place, PLACE_NONE);
    assert_non_null(strstr(err.msg, "country \"XK\" is not known"));
    struct place_location bare = {0};
    assert_int_equal(place_locate(ix, &bare, &m, &err), PLACE_EUNPLACED);
    assert_non_null(strstr(err.msg, "no administrative_area, country or region"));
    struct place_location odd = {.country = "ML-8"}; /* an area's code where a country goes */
    assert_int_equal(place_locate(ix, &odd, &m, &err), PLACE_EUNPLACED);
    /* from JSON */
    json_t *loc = json_pack("{s:s, s:s, s:s}", "type", "location", "id",
                            "location--2f2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "country", "NE");
    assert_int_equal(place_locate_json(ix, loc, &m, &err), 0);
    assert_int_equal(m.place, key("country-ne"));
    json_decref(loc);
}

static void load_text(const char *text, const char *want)
{
    char dir[] = "/tmp/liaison-place-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/containment.tsv", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    struct place_index *bad = NULL;
    struct lia_err err;
    lia_err_clear(&err);
    int rc = place_index_load(dir, &bad, &err);
    unlink(path);
    rmdir(dir);
    if (!want) {
        assert_int_equal(rc, 0);
        place_index_free(bad);
        return;
    }
    assert_int_equal(rc, LIA_EINVAL);
    assert_null(bad);
    if (!strstr(err.msg, want))
        fail_msg("\"%s\" does not say \"%s\"", err.msg, want);
}

static void test_bad_files(void **state)
{
    (void)state;
    const char *head = "key\ttype\tcode\tov\tparents\n";
    char buf[512];
    snprintf(buf, sizeof buf, "%sregion-a\tregion\t\t\t\ncountry-b\tcountry\tBB\t\tregion-x\n",
             head);
    load_text(buf, "lies in \"region-x\", which is no place");
    snprintf(buf, sizeof buf, "%sregion-a\tplanet\t\t\t\n", head);
    load_text(buf, "unknown place type");
    snprintf(buf, sizeof buf, "%sregion-a\tregion\n", head);
    load_text(buf, "expected 5 tab-separated fields");
    load_text("region-a\tregion\t\t\t\n", "no header line");
    load_text(head, "no places");
    /* a cycle loads (the generator refuses them) and walks end */
    snprintf(buf, sizeof buf, "%sregion-a\tregion\t\t\tregion-b\nregion-b\tregion\t\t\tregion-a\n",
             head);
    load_text(buf, NULL);
    struct place_index *none = NULL;
    struct lia_err err;
    assert_int_equal(place_index_load("/nonexistent", &none, &err), LIA_ENOTFOUND);
    assert_null(none);
}

/* data/map (scripts/map-build): each file under 2 MiB, valid GeoJSON polygons, and every key
 * a place of the index, so the map finds a flow's places by key. */
static void test_map_data(void **state)
{
    (void)state;
    static const char *const files[] = {"countries.geojson", "admin1.geojson"};
    for (size_t i = 0; i < 2; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/data/map/%s", getenv("LIAISON_SOURCE"), files[i]);
        json_error_t je;
        json_t *fc = json_load_file(path, 0, &je);
        if (!fc)
            fail_msg("%s: %s", path, je.text);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        fseek(f, 0, SEEK_END);
        assert_true(ftell(f) < 2L << 20);
        fclose(f);
        size_t k, keyed = 0;
        json_t *feat;
        json_array_foreach(json_object_get(fc, "features"), k, feat)
        {
            const char *t =
                json_string_value(json_object_get(json_object_get(feat, "geometry"), "type"));
            assert_true(t && (!strcmp(t, "Polygon") || !strcmp(t, "MultiPolygon")));
            const char *key =
                json_string_value(json_object_get(json_object_get(feat, "properties"), "key"));
            if (key) {
                if (place_by_key(ix, key) == PLACE_NONE)
                    fail_msg("%s: key %s is no place", files[i], key);
                keyed++;
            }
        }
        assert_true(keyed > (i ? 2500u : 200u));
        json_decref(fc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sahel),     cmocka_unit_test(test_chain),
        cmocka_unit_test(test_lookups),   cmocka_unit_test(test_locate),
        cmocka_unit_test(test_bad_files), cmocka_unit_test(test_map_data),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
