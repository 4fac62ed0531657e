/*
 * The flow type (src/stix/liaison_types.c, docs/flows.md): the definition objects the code carries
 * are exactly those of docs/schemas/liaison-flow-definition.json and valid; every object of
 * the example bundle docs/schemas/liaison-flow-example.json is valid; and the bad inputs of
 * issue 19 (no from, no to, refs to non-locations, unknown commodity, negative quantity, no
 * definition named) are each refused, naming their rule and property.
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

static json_t *load_doc(const char *name)
{
    const char *src = getenv("LIAISON_SOURCE");
    assert_non_null(src);
    char path[4096];
    snprintf(path, sizeof path, "%s/docs/schemas/%s", src, name);
    json_error_t je;
    json_t *o = json_load_file(path, 0, &je);
    if (!o)
        fail_msg("%s: %s", path, je.text);
    return o;
}

static void test_definition_matches_docs(void **state)
{
    (void)state;
    json_t *doc = load_doc("liaison-flow-definition.json");
    json_t *objs = json_object_get(doc, "objects");
    assert_int_equal(json_array_size(objs), 2);
    const char *texts[] = {stix_flow_identity_json, stix_flow_extension_json};
    for (size_t i = 0; i < 2; i++) {
        json_error_t je;
        json_t *o = json_loads(texts[i], 0, &je);
        assert_non_null(o);
        assert_true(json_equal(o, json_array_get(objs, i)));
        struct stix_info info;
        struct lia_err err;
        lia_err_clear(&err);
        if (stix_validate_object(o, &info, &err))
            fail_msg("definition object %zu refused: %s", i, err.msg);
        json_decref(o);
    }
    assert_string_equal(json_string_value(json_object_get(json_array_get(objs, 1), "id")),
                        STIX_FLOW_EXTENSION_ID);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(objs, 1), "created_by_ref")),
        STIX_LIAISON_IDENTITY_ID);
    json_decref(doc);
}

static void test_example_valid(void **state)
{
    (void)state;
    json_t *doc = load_doc("liaison-flow-example.json");
    size_t i, flows = 0;
    json_t *o;
    json_array_foreach(json_object_get(doc, "objects"), i, o)
    {
        struct stix_info info;
        struct lia_err err;
        lia_err_clear(&err);
        if (stix_validate_object(o, &info, &err))
            fail_msg("example object %zu refused: %s", i, err.msg);
        if (!strcmp(info.type, STIX_FLOW_TYPE)) {
            flows++;
            assert_int_equal(info.kind, STIX_KIND_CUSTOM);
            assert_true(info.versioned);
        }
    }
    assert_int_equal(flows, 2);
    json_decref(doc);
}

/* The first flow of the example, changed by one edit, must be refused with rule and path. */
struct bad_case {
    const char *what;
    const char *member; /* top-level member to set (or remove, when value is NULL) */
    const char *value;  /* JSON text */
    const char *rule, *path;
};

static void test_bad_inputs(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        {"no from", "from_ref", NULL, "flow-endpoints", "from_ref"},
        {"no to", "to_ref", NULL, "flow-endpoints", "to_ref"},
        {"from an identity", "from_ref", "\"identity--5b0e5a39-3c0f-4b55-9f3c-2f64d43a9d11\"",
         "flow-places", "from_ref"},
        {"to a report", "to_ref", "\"report--5b0e5a39-3c0f-4b55-9f3c-2f64d43a9d11\"", "flow-places",
         "to_ref"},
        {"through a threat actor", "via_refs",
         "[\"threat-actor--9a1c3e5f-7b2d-4f4e-8a6c-3d5e7f9b1c23\"]", "flow-places", "via_refs[0]"},
        {"carried by a location", "carrier_refs",
         "[\"location--2e9f6a1c-8d4b-4a7e-9c3f-1b6d8e2a4f77\"]", "flow-carriers",
         "carrier_refs[0]"},
        {"unknown commodity", "commodities", "[\"weapons\", \"cigarettes\"]", "flow-commodity",
         "commodities[1]"},
        {"no commodity", "commodities", NULL, "flow-commodity", "commodities"},
        {"negative quantity", "estimate", "{\"quantity\": -300, \"unit\": \"rifles\"}",
         "flow-estimate", "estimate.quantity"},
        {"estimate without unit", "estimate", "{\"quantity\": 3}", "flow-estimate",
         "estimate.unit"},
        {"last seen before first", "last_seen", "\"2025-01-01T00:00:00Z\"", "timestamp-order",
         "last_seen"},
        {"from not an id", "from_ref", "\"Libya\"", "reference-format", "from_ref"},
        {"no definition named", "extensions",
         "{\"extension-definition--79cbf8a2-1d41-4b10-9682-2577872b23b7\": {\"extension_type\": "
         "\"property-extension\", \"scale\": \"admiralty\", \"source_reliability\": \"B\", "
         "\"information_credibility\": \"2\"}}",
         "flow-extension", "extensions"},
    };
    json_t *doc = load_doc("liaison-flow-example.json");
    json_t *flow = NULL;
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(doc, "objects"), i, o)
    {
        if (!flow && !strcmp(json_string_value(json_object_get(o, "type")), STIX_FLOW_TYPE))
            flow = o;
    }
    assert_non_null(flow);
    size_t wrong = 0;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const struct bad_case *c = &cases[k];
        json_t *f = json_deep_copy(flow);
        if (c->value)
            json_object_set_new(f, c->member, json_loads(c->value, JSON_DECODE_ANY, NULL));
        else
            json_object_del(f, c->member);
        struct stix_info info;
        struct lia_err err;
        lia_err_clear(&err);
        int rc = stix_validate_object(f, &info, &err);
        char want[96];
        snprintf(want, sizeof want, "(rule %s, ", c->rule);
        if (rc != STIX_EINVALID || !strstr(err.msg, want) ||
            strncmp(err.msg, c->path, strlen(c->path)) != 0) {
            print_error("%s: rc %d, \"%s\"\n", c->what, rc, err.msg);
            wrong++;
        }
        json_decref(f);
    }
    json_decref(doc);
    assert_int_equal(wrong, 0);
}

static void test_vocabulary(void **state)
{
    (void)state;
    size_t n;
    const char *const *v = stix_flow_commodities(&n);
    assert_int_equal(n, 9);
    assert_string_equal(v[n - 1], "other");
    assert_true(stix_is_flow_commodity("fighters", 8));
    assert_false(stix_is_flow_commodity("fighter", 7));
    assert_false(stix_is_flow_commodity("Weapons", 7));
    assert_true(stix_is_liaison_type(STIX_FLOW_TYPE));
    assert_false(stix_is_liaison_type("location"));
    assert_false(stix_is_known_type(STIX_FLOW_TYPE)); /* not a type of the specification */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_definition_matches_docs),
        cmocka_unit_test(test_example_valid),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_vocabulary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
