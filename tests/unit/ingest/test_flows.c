/*
 * Tests for the rows a flow and a location leave when stored through the one write path
 * (src/ingest/flow_rows.c) and the flows query over them (src/store/flows.c): containment
 * (into the Sahel includes a flow into Gao; northern Mali lies in Mali), a location placed
 * from its object places a flow only for a caller who may see that location version (a
 * gazetteer id places it for everyone), a hidden flow is not counted, versions count once as
 * the last, deletion takes the rows with it, and filters (what, since, grading, through).
 * The same tests run on PostgreSQL.
 */
#include "../unit_common.h"

#include "ingest/ingest.h"
#include "place/place.h"

#define T "2026-03-02T09:30:00.000Z"
#define FLOW_EXT "extension-definition--b708057e-3178-4c8c-a463-32ad8e683cd7"
#define TLP_RED "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
#define TLP_GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"

struct world {
    struct unit_store u;
    int64_t coll, p;
    struct access_principal admin;
    struct store_policy partner;
    char libya[80], gao[80], niger[80];
    char secret_place[80]; /* a TLP:RED location placed by its country */
};

static void post(struct world *w, const char *objects)
{
    char *body = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&body, &len);
    fprintf(f, "{\"objects\":[%s]}", objects);
    fclose(f);
    struct stix_limits lim = {.max_depth = 64, .max_string = 1 << 20, .max_objects = 1000};
    struct stix_envelope env;
    struct lia_err err;
    lia_err_clear(&err);
    assert_int_equal(stix_parse_envelope(body, len, &lim, &env, &err), 0);
    struct ingest_spec spec = {
        .store = w->u.s, .who = &w->admin, .coll = w->coll, .action = "objects.add"};
    struct ingest_tally n;
    assert_int_equal(ingest_items(&spec, env.items, env.n_items, &n, &err), 0);
    assert_int_equal(n.refused, 0);
    stix_envelope_release(&env);
    free(body);
}

static char *flow(const char *id, const char *what, const char *from, const char *to,
                  const char *grade, const char *extra)
{
    static char out[2048];
    snprintf(out, sizeof out,
             "{\"type\":\"liaison-flow\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"" T
             "\",\"modified\":\"" T "\",\"commodities\":[%s],\"from_ref\":\"%s\",\"to_ref\":"
             "\"%s\",\"first_seen\":\"2026-02-01T00:00:00Z\",\"extensions\":{\"" FLOW_EXT
             "\":{\"extension_type\":\"new-sdo\"},\"" ACCESS_EXT_GRADING
             "\":{\"extension_type\":\"property-extension\",\"scale\":\"admiralty\","
             "\"source_reliability\":\"%c\",\"information_credibility\":\"%c\"}}%s}",
             id, what, from, to, grade[0], grade[1], extra ? extra : "");
    return out;
}

static void setup(struct world *w)
{
    memset(w, 0, sizeof *w);
    unit_store_open(&w->u);
    struct lia_err err;
    lia_err_clear(&err);
    struct arena a;
    arena_init(&a, 0);
    struct store_collection col;
    assert_int_equal(store_collection_add(w->u.s, "c", NULL, "c", STORE_TLP_GREEN, &a, &col, &err),
                     0);
    w->coll = col.rid;
    arena_release(&a);
    struct store_partner p = {.identity_id = "identity--00000000-0000-4000-8000-000000000001",
                              .identity_json = "{}",
                              .name = "P",
                              .clearance = STORE_TLP_AMBER};
    assert_int_equal(store_partner_add(w->u.s, &p, &w->p, &err), 0);
    assert_int_equal(store_grant_set(w->u.s, w->coll, w->p, true, false, &err), 0);
    w->admin = (struct access_principal){
        .actor = "local/test", .admin = true, .policy = {.all = true, .clearance = STORE_TLP_RED}};
    w->partner = (struct store_policy){.partner = w->p, .clearance = STORE_TLP_AMBER};
    assert_non_null(store_places());
    place_stix_id("location", "country-ly", w->libya);
    place_stix_id("location", "city-2457163", w->gao); /* Gao */
    snprintf(w->niger, sizeof w->niger, "location--00000000-0000-4000-8000-00000000000e");
    snprintf(w->secret_place, sizeof w->secret_place,
             "location--00000000-0000-4000-8000-00000000000f");
    char objs[4096];
    snprintf(objs, sizeof objs,
             "{\"type\":\"location\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"" T
             "\",\"modified\":\"" T "\",\"country\":\"NE\"},"
             "{\"type\":\"location\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"" T
             "\",\"modified\":\"" T "\",\"country\":\"TD\",\"object_marking_refs\":[\"" TLP_RED
             "\"]}",
             w->niger, w->secret_place);
    post(w, objs);
}

static void teardown(struct world *w)
{
    unit_store_close(&w->u);
}

/* The rows policy p gets for q, as "from>to:what:id-suffix" lines in answer order. */
static const char *rows(struct world *w, const struct store_policy *p, struct store_flow_query q)
{
    static char out[4096];
    struct arena a;
    arena_init(&a, 0);
    struct lia_err err;
    lia_err_clear(&err);
    struct store_flow_row *r;
    size_t n;
    if (!q.max_rows)
        q.max_rows = 1000;
    assert_int_equal(store_query_flows(w->u.s, p, w->coll, &q, &a, &r, &n, &err), 0);
    size_t k = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && k < sizeof out; i++)
        k += (size_t)snprintf(out + k, sizeof out - k, "%s%s%s>%s%s:%s:%s", i ? " " : "",
                              r[i].from_placed ? "" : "?", r[i].from_placed ? r[i].from : "loc",
                              r[i].to_placed ? "" : "?", r[i].to_placed ? r[i].to : "loc",
                              r[i].what, r[i].id + strlen(r[i].id) - 1);
    arena_release(&a);
    return out;
}

#define F1 "liaison-flow--00000000-0000-4000-8000-000000000001"
#define F2 "liaison-flow--00000000-0000-4000-8000-000000000002"
#define F3 "liaison-flow--00000000-0000-4000-8000-000000000003"

static void test_containment_and_levels(void **state)
{
    (void)state;
    struct world w;
    setup(&w);
    char objs[8192];
    size_t k = (size_t)snprintf(objs, sizeof objs, "%s,",
                                flow(F1, "\"weapons\",\"fighters\"", w.libya, w.gao, "B2", NULL));
    snprintf(objs + k, sizeof objs - k, "%s",
             flow(F2, "\"money\"", w.libya, w.niger, "C3",
                  ",\"via_refs\":[\"location--00000000-0000-4000-8000-00000000000e\"]"));
    post(&w, objs);
    struct store_policy all = {.all = true, .clearance = STORE_TLP_RED};
    assert_string_equal(rows(&w, &all, (struct store_flow_query){0}),
                        "country-ly>country-ml:fighters:1 country-ly>country-ml:weapons:1 "
                        "country-ly>country-ne:money:2");
    /* Gao lies in Mali (and in northern Mali, the Sahel, Western Africa); so does Niger but
     * for Mali. */
    const char *places[] = {"region-sahel", "western-africa", "region-northern-mali", "ML"};
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(
            rows(&w, &all,
                 (struct store_flow_query){
                     .into = place_key(store_places(), place_find(store_places(), places[i]))}),
            i < 2 ? "country-ly>country-ml:fighters:1 country-ly>country-ml:weapons:1 "
                    "country-ly>country-ne:money:2"
                  : "country-ly>country-ml:fighters:1 country-ly>country-ml:weapons:1");
    assert_string_equal(rows(&w, &all, (struct store_flow_query){.into = "region-maghreb"}), "");
    assert_string_equal(rows(&w, &all, (struct store_flow_query){.out_of = "region-maghreb"}),
                        "country-ly>country-ml:fighters:1 country-ly>country-ml:weapons:1 "
                        "country-ly>country-ne:money:2");
    assert_string_equal(rows(&w, &all, (struct store_flow_query){.through = "country-ne"}),
                        "country-ly>country-ne:money:2");
    assert_string_equal(
        rows(&w, &all, (struct store_flow_query){.by_place = true, .into = "country-ml"}),
        "country-ly>city-2457163:fighters:1 country-ly>city-2457163:weapons:1");
    static const char *const money[] = {"money"};
    assert_string_equal(rows(&w, &all, (struct store_flow_query){.what = money, .n_what = 1}),
                        "country-ly>country-ne:money:2");
    assert_string_equal(rows(&w, &all, (struct store_flow_query){.min_grade = "B2"}),
                        "country-ly>country-ml:fighters:1 country-ly>country-ml:weapons:1");
    /* since: last_seen is first_seen here (2026-02-01). */
    assert_string_equal(rows(&w, &all, (struct store_flow_query){.since = 1772409600000000}), "");
    /* Past max_rows: refused, nothing half-answered. */
    struct arena a;
    arena_init(&a, 0);
    struct lia_err err;
    lia_err_clear(&err);
    struct store_flow_row *r;
    size_t n = 7;
    struct store_flow_query small = {.max_rows = 2};
    assert_int_equal(store_query_flows(w.u.s, &all, w.coll, &small, &a, &r, &n, &err), LIA_ETOOBIG);
    assert_int_equal(n, 0);
    arena_release(&a);
    teardown(&w);
}

static void test_placement_is_gated(void **state)
{
    (void)state;
    struct world w;
    setup(&w);
    char objs[8192];
    size_t k = (size_t)snprintf(objs, sizeof objs, "%s,",
                                flow(F1, "\"fighters\"", w.libya, w.secret_place, "B2", NULL));
    k += (size_t)snprintf(objs + k, sizeof objs - k, "%s,",
                          flow(F2, "\"fighters\"", w.libya, w.gao, "A1", NULL));
    snprintf(objs + k, sizeof objs - k, "%s",
             flow(F3, "\"weapons\"", w.libya, w.gao, "A1",
                  ",\"object_marking_refs\":[\"" TLP_RED "\"]"));
    post(&w, objs);
    struct store_policy all = {.all = true, .clearance = STORE_TLP_RED};
    /* The administrator sees the RED location: the flow goes to Chad. */
    assert_string_equal(rows(&w, &all, (struct store_flow_query){0}),
                        "country-ly>country-td:fighters:1 country-ly>country-ml:fighters:2 "
                        "country-ly>country-ml:weapons:3");
    /* The partner may see the flow but not the RED location that placed it: unplaced for it,
     * and no place filter finds it; the RED flow is not there at all. */
    assert_string_equal(rows(&w, &w.partner, (struct store_flow_query){0}),
                        "country-ly>?loc:fighters:1 country-ly>country-ml:fighters:2");
    assert_string_equal(rows(&w, &w.partner, (struct store_flow_query){.into = "country-td"}), "");
    assert_string_equal(rows(&w, &all, (struct store_flow_query){.into = "country-td"}),
                        "country-ly>country-td:fighters:1");
    teardown(&w);
}

static void test_versions_and_delete(void **state)
{
    (void)state;
    struct world w;
    setup(&w);
    post(&w, flow(F1, "\"weapons\",\"fighters\"", w.libya, w.gao, "B2", NULL));
    char v2[2048];
    snprintf(v2, sizeof v2, "%s", flow(F1, "\"fuel\"", w.libya, w.gao, "B2", NULL));
    char *m = strstr(v2, "\"modified\":\"" T "\"");
    assert_non_null(m);
    memcpy(m + 12, "2026-03-05", 10); /* a later version: fuel only */
    post(&w, v2);
    struct store_policy all = {.all = true, .clearance = STORE_TLP_RED};
    assert_string_equal(rows(&w, &all, (struct store_flow_query){0}),
                        "country-ly>country-ml:fuel:1");
    struct store_txn *t;
    struct lia_err err;
    lia_err_clear(&err);
    struct arena a;
    arena_init(&a, 0);
    assert_int_equal(store_begin(w.u.s, &t, &err), 0);
    struct store_row *gone;
    size_t deleted;
    struct store_filter f = {.version_sel = STORE_VER_ALL};
    assert_int_equal(store_delete_object(t, &all, w.coll, F1, &f, &a, &gone, &deleted, &err), 0);
    assert_int_equal(deleted, 2);
    assert_int_equal(store_commit(t, &err), 0);
    arena_release(&a);
    assert_string_equal(rows(&w, &all, (struct store_flow_query){0}), "");
    teardown(&w);
}

int main(void)
{
    unit_store_backend("unit_ingest_test_flows");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_containment_and_levels),
        cmocka_unit_test(test_placement_is_gated),
        cmocka_unit_test(test_versions_and_delete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
