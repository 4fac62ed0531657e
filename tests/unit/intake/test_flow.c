/*
 * Intake's flow drafts (docs/flows.md): the issue's three sentences give the flows they say,
 * with offsets into the text; the bundle carries each flow as a valid liaison-flow with its
 * definition objects (the liaison identity and the extension-definition) and the report
 * names them; traps give no flow.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "intake_test.h"
#include "stix/stix.h"

static bool has_commodity(const struct intake_flow *f, const char *what)
{
    size_t n;
    const char *const *c = stix_flow_commodities(&n);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(c[i], what))
            return f->commodities >> i & 1;
    return false;
}

/* The one flow text says; its from/to keys and commodities as expected. */
static void expect_flow(const char *text, const char *what, const char *from, const char *to,
                        const char *via)
{
    struct intake_result res;
    analyze(text, &res);
    if (res.n_flows != 1)
        fail_msg("%zu flows in \"%s\"", res.n_flows, text);
    const struct intake_flow *f = &res.flows[0];
    assert_true(has_commodity(f, what));
    assert_string_equal(res.entities[f->from].key, from);
    assert_string_equal(res.entities[f->to].key, to);
    if (via) {
        assert_int_equal(f->n_via, 1);
        assert_string_equal(res.entities[f->via[0]].key, via);
    }
    assert_true(f->n_mentions >= 1);
    const struct intake_mention *m = &f->mentions[f->n_mentions - 1];
    assert_true(m->byte_start < m->byte_end && m->byte_end <= strlen(text));
    intake_result_release(&res);
}

static void test_issue_sentences(void **state)
{
    (void)state;
    expect_flow("تهريب الأسلحة من ليبيا إلى شمال مالي", "weapons", "country-ly",
                "region-northern-mali", NULL);
    expect_flow("fighters travelling from Libya to northern Mali", "fighters", "country-ly",
                "region-northern-mali", NULL);
    /* "via le Niger" names only where it passes: the route is the sentence before's */
    struct intake_result res;
    analyze("Les armes circulent de la Libye vers le nord du Mali. Le financement des groupes "
            "armés transite via le Niger.",
            &res);
    assert_int_equal(res.n_flows, 2);
    assert_true(has_commodity(&res.flows[0], "weapons"));
    assert_string_equal(res.entities[res.flows[1].from].key, "country-ly");
    assert_string_equal(res.entities[res.flows[1].to].key, "region-northern-mali");
    assert_true(has_commodity(&res.flows[1], "money"));
    assert_true(res.flows[1].inherited);
    assert_int_equal(res.flows[1].n_via, 1);
    assert_string_equal(res.entities[res.flows[1].via[0]].key, "country-ne");
    intake_result_release(&res);
    /* alone, it names no end: no flow (a flow needs from and to) */
    analyze("Le financement des groupes armés transite via le Niger.", &res);
    assert_int_equal(res.n_flows, 0);
    intake_result_release(&res);
}

static void test_traps(void **state)
{
    (void)state;
    static const char *const traps[] = {
        "The road from Gao to Kidal was closed on Tuesday after heavy rains.",
        "وامتدت فترة التعاون بين البلدين من 2015 إلى 2020.",
        "وأعلنت وزارة المالية أن الحكومة لن تموّل أي عمليات عسكرية.",
        "The minister flew from Algiers to Bamako to discuss weapons trafficking.",
        "Le ministère de l'Économie et des Finances a annoncé une hausse du budget.",
        "Fighters from Libya attacked a military base near Gao.",
        "No weapons: the report covers the period from 2012 to 2019.",
    };
    for (size_t i = 0; i < sizeof traps / sizeof traps[0]; i++) {
        struct intake_result res;
        analyze(traps[i], &res);
        if (res.n_flows)
            fail_msg("a flow in trap \"%s\"", traps[i]);
        intake_result_release(&res);
    }
}

static void test_bundle(void **state)
{
    (void)state;
    const char *text = "Trucks carrying rifles and ammunition were seen heading from Sabha to "
                       "Agadez through Niger.";
    struct dbuf out;
    dbuf_init(&out, 1 << 20);
    struct lia_err err = {0};
    assert_int_equal(intake_extract(G, text, strlen(text), NULL, &out, &err), 0);
    json_error_t je;
    json_t *b = json_loads(out.ptr, 0, &je);
    assert_non_null(b);
    size_t i, flows = 0, defs = 0;
    json_t *o, *flow = NULL, *report = NULL;
    json_array_foreach(json_object_get(b, "objects"), i, o)
    {
        struct stix_info info;
        lia_err_clear(&err);
        if (stix_validate_object(o, &info, &err))
            fail_msg("object %zu refused: %s", i, err.msg);
        if (!strcmp(info.type, STIX_FLOW_TYPE)) {
            flows++;
            flow = o;
        }
        if (!strcmp(info.id, STIX_FLOW_EXTENSION_ID) || !strcmp(info.id, STIX_LIAISON_IDENTITY_ID))
            defs++;
        if (!strcmp(info.type, "report"))
            report = o;
    }
    assert_int_equal(flows, 1);
    assert_int_equal(defs, 2);
    json_t *c = json_object_get(flow, "commodities");
    assert_int_equal(json_array_size(c), 2);
    assert_string_equal(json_string_value(json_array_get(c, 0)), "weapons");
    assert_string_equal(json_string_value(json_array_get(c, 1)), "ammunition");
    char id[80];
    intake_entity_stix_id("location", "city-2212775", id); /* Sabha */
    assert_string_equal(json_string_value(json_object_get(flow, "from_ref")), id);
    intake_entity_stix_id("location", "country-ne", id);
    assert_string_equal(json_string_value(json_array_get(json_object_get(flow, "via_refs"), 0)),
                        id);
    /* the words that say it, offsets into the text */
    json_t *m = json_array_get(
        json_object_get(json_object_get(json_object_get(flow, "extensions"), INTAKE_EXTENSION_ID),
                        "mentions"),
        0);
    size_t bs = (size_t)json_integer_value(json_object_get(m, "byte_start"));
    size_t be = (size_t)json_integer_value(json_object_get(m, "byte_end"));
    assert_true(bs < be && be <= strlen(text));
    assert_memory_equal(text + bs, "rifles", 6);
    assert_string_equal(json_string_value(json_object_get(m, "text")),
                        "rifles and ammunition were seen heading from Sabha to Agadez through "
                        "Niger");
    /* the report names the flow and the objects that define its type */
    json_t *refs = json_object_get(report, "object_refs");
    const char *want[] = {json_string_value(json_object_get(flow, "id")), STIX_FLOW_EXTENSION_ID,
                          STIX_LIAISON_IDENTITY_ID};
    for (size_t w = 0; w < 3; w++) {
        bool seen = false;
        json_t *r;
        size_t k;
        json_array_foreach(refs, k, r) seen |= !strcmp(json_string_value(r), want[w]);
        if (!seen)
            fail_msg("the report does not name %s", want[w]);
    }
    json_decref(b);
    dbuf_release(&out);
    /* no flow: no definition objects either */
    dbuf_init(&out, 1 << 20);
    text = "Mali and Niger signed an agreement in Niamey.";
    assert_int_equal(intake_extract(G, text, strlen(text), NULL, &out, &err), 0);
    assert_null(strstr(out.ptr, STIX_FLOW_EXTENSION_ID));
    dbuf_release(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issue_sentences),
        cmocka_unit_test(test_traps),
        cmocka_unit_test(test_bundle),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
