/*
 * Tests for the one write path (src/ingest/): a batch is stored in chunks, with one look-up
 * of the held versions and one put per chunk, and must store exactly what storing its objects
 * one at a time would: versions of one object in one batch (and across chunks) flag each
 * other, a marking-definition is stored before the objects that use it, the creator rule sees
 * a version earlier in the same batch, a type whose rules are not registered is refused, a
 * bad object does not sink the others, and a batch past its memory bound stores nothing. The
 * same tests run on PostgreSQL, where a chunk is one statement.
 */
#include "../unit_common.h"

#include "ingest/ingest.h"

#define REL_P "marking-definition--11111111-2222-4333-8444-555555555555"

struct world {
    struct unit_store u;
    int64_t coll;
    int64_t p, q; /* partners */
    const char *p_identity;
    struct access_principal admin, peer;
    struct stix_envelope env;
    struct dbuf body;
    struct ingest_tally n;
    size_t refused_msgs;
    char last_refusal[256];
};

static void setup(struct world *w)
{
    memset(w, 0, sizeof *w);
    unit_store_open(&w->u);
    struct lia_err err;
    lia_err_clear(&err);
    struct arena a;
    arena_init(&a, 0);
    struct store_collection col;
    assert_int_equal(store_collection_add(w->u.s, "c", NULL, "c", STORE_TLP_AMBER, &a, &col, &err),
                     0);
    w->coll = col.rid;
    arena_release(&a);
    w->p_identity = "identity--00000000-0000-4000-8000-000000000001";
    struct store_partner p = {.identity_id = w->p_identity,
                              .identity_json = "{}",
                              .name = "P",
                              .clearance = STORE_TLP_RED};
    assert_int_equal(store_partner_add(w->u.s, &p, &w->p, &err), 0);
    p.identity_id = "identity--00000000-0000-4000-8000-000000000002";
    p.name = "Q";
    assert_int_equal(store_partner_add(w->u.s, &p, &w->q, &err), 0);
    assert_int_equal(store_grant_set(w->u.s, w->coll, w->p, true, true, &err), 0);
    assert_int_equal(store_grant_set(w->u.s, w->coll, w->q, true, true, &err), 0);
    w->admin = (struct access_principal){
        .actor = "local/test", .admin = true, .policy = {.all = true, .clearance = STORE_TLP_RED}};
    w->peer = (struct access_principal){.actor = "peer:P",
                                        .identity = w->p_identity,
                                        .partner = w->p,
                                        .via_exchange = true,
                                        .policy = {.partner = w->p, .clearance = STORE_TLP_RED}};
    dbuf_init(&w->body, 64u << 20);
}

static void teardown(struct world *w)
{
    stix_envelope_release(&w->env);
    dbuf_release(&w->body);
    unit_store_close(&w->u);
}

/* An indicator (or a marking-definition when type says so) as one envelope member. */
static void add_obj(struct world *w, const char *type, const char *id, const char *modified,
                    const char *extra)
{
    if (w->body.len == 0)
        dbuf_puts(&w->body, "{\"objects\":[");
    else
        dbuf_puts(&w->body, ",");
    if (!strcmp(type, "marking-definition"))
        dbuf_printf(&w->body,
                    "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"%s\","
                    "\"created\":\"2024-01-01T00:00:00.000Z\"%s}",
                    id, extra ? extra : "");
    else
        dbuf_printf(&w->body,
                    "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":"
                    "\"2023-01-01T00:00:00.000Z\",\"modified\":\"%s\",\"pattern\":\"[ipv4-addr:"
                    "value = '10.0.0.1']\",\"pattern_type\":\"stix\",\"valid_from\":"
                    "\"2024-01-01T00:00:00Z\"%s}",
                    id, modified, extra ? extra : "");
}

static int note(const struct ingest_result *r, void *ctx)
{
    struct world *w = ctx;
    if (r && !r->stored) {
        w->refused_msgs++;
        snprintf(w->last_refusal, sizeof w->last_refusal, "%s", r->message ? r->message : "");
    }
    return 0;
}

/* Ingests the envelope built so far as who; returns the batch's result. */
static int ingest(struct world *w, const struct access_principal *who, struct arena *a)
{
    dbuf_puts(&w->body, "]}");
    struct stix_limits lim = {.max_depth = 64, .max_string = 1 << 20, .max_objects = 100000};
    struct lia_err err;
    lia_err_clear(&err);
    stix_envelope_release(&w->env);
    assert_int_equal(stix_parse_envelope(w->body.ptr, w->body.len, &lim, &w->env, &err), 0);
    struct ingest_spec spec = {.store = w->u.s,
                               .who = who,
                               .coll = w->coll,
                               .action = "objects.add",
                               .a = a,
                               .result = note,
                               .ctx = w};
    int rc = ingest_items(&spec, w->env.items, w->env.n_items, &w->n, &err);
    dbuf_reset(&w->body);
    return rc;
}

/* The versions policy p sees of id with selection sel, in date_added order, joined by ','. */
static const char *versions(struct world *w, const struct store_policy *p, const char *id, int sel)
{
    static char out[512];
    struct arena a;
    arena_init(&a, 0);
    struct store_filter f = {.ids = &id, .n_ids = 1, .version_sel = sel, .limit = 100};
    struct store_page page;
    struct lia_err err;
    lia_err_clear(&err);
    out[0] = '\0';
    if (store_query_objects(w->u.s, p, w->coll, &f, false, &a, &page, &err) == 0)
        for (size_t i = 0; i < page.n; i++)
            snprintf(out + strlen(out), sizeof out - strlen(out), "%s%.10s", i ? "," : "",
                     page.rows[i].modified);
    arena_release(&a);
    return out;
}

#define X "indicator--00000000-0000-4000-8000-0000000000a1"

static void test_versions_in_one_batch(void **state)
{
    (void)state;
    struct world w;
    setup(&w);
    add_obj(&w, "indicator", X, "2024-02-01T00:00:00.000Z", NULL);
    add_obj(&w, "indicator", X, "2024-01-01T00:00:00.000Z", NULL);
    add_obj(&w, "indicator", X, "2024-03-01T00:00:00.000Z", NULL);
    add_obj(&w, "indicator", X, "2024-02-01T00:00:00.000Z", NULL); /* again: held */
    assert_int_equal(ingest(&w, &w.admin, NULL), 0);
    assert_int_equal(w.n.stored, 3);
    assert_int_equal(w.n.existed, 1);
    struct store_policy all = {.all = true, .clearance = STORE_TLP_RED};
    assert_string_equal(versions(&w, &all, X, STORE_VER_LAST), "2024-03-01");
    assert_string_equal(versions(&w, &all, X, STORE_VER_FIRST), "2024-01-01");
    /* An older and a newer version, a chunk apart (600 objects between them). */
    add_obj(&w, "indicator", X, "2023-12-01T00:00:00.000Z", NULL);
    char id[80];
    for (int i = 0; i < 600; i++) {
        snprintf(id, sizeof id, "indicator--00000000-0000-4000-8000-%012d", i + 1000);
        add_obj(&w, "indicator", id, "2024-01-01T00:00:00.000Z", NULL);
    }
    add_obj(&w, "indicator", X, "2024-04-01T00:00:00.000Z", NULL);
    assert_int_equal(ingest(&w, &w.admin, NULL), 0);
    assert_int_equal(w.n.stored, 602);
    assert_string_equal(versions(&w, &all, X, STORE_VER_LAST), "2024-04-01");
    assert_string_equal(versions(&w, &all, X, STORE_VER_FIRST), "2023-12-01");
    assert_string_equal(versions(&w, &all, X, STORE_VER_ALL), /* in the order stored */
                        "2024-02-01,2024-01-01,2024-03-01,2023-12-01,2024-04-01");
    teardown(&w);
}

/* The marking-definition comes after the object in the envelope, and is stored first. */
static void test_marking_before_its_object(void **state)
{
    (void)state;
    struct world w;
    setup(&w);
    add_obj(&w, "indicator", X, "2024-01-01T00:00:00.000Z",
            ",\"object_marking_refs\":[\"" REL_P "\"]");
    char ext[256];
    snprintf(
        ext, sizeof ext,
        ",\"extensions\":{\"%s\":{\"extension_type\":\"property-extension\",\"rel_to\":[\"%s\"]"
        "}}",
        ACCESS_EXT_RELEASABILITY, w.p_identity);
    add_obj(&w, "marking-definition", REL_P, NULL, ext);
    assert_int_equal(ingest(&w, &w.admin, NULL), 0);
    assert_int_equal(w.n.stored, 2);
    struct store_policy p = {.partner = w.p, .clearance = STORE_TLP_RED};
    struct store_policy q = {.partner = w.q, .clearance = STORE_TLP_RED};
    assert_string_equal(versions(&w, &p, X, STORE_VER_LAST), "2024-01-01");
    assert_string_equal(versions(&w, &q, X, STORE_VER_LAST), "");
    teardown(&w);
}

/* Exchange: a version by another creator than the one earlier in the same batch is refused. */
static void test_creator_rule_sees_the_batch(void **state)
{
    (void)state;
    struct world w;
    setup(&w);
    add_obj(&w, "indicator", X, "2024-01-01T00:00:00.000Z",
            ",\"created_by_ref\":\"identity--00000000-0000-4000-8000-0000000000c1\"");
    add_obj(&w, "indicator", X, "2024-02-01T00:00:00.000Z",
            ",\"created_by_ref\":\"identity--00000000-0000-4000-8000-0000000000c2\"");
    assert_int_equal(ingest(&w, &w.peer, NULL), 0);
    assert_int_equal(w.n.stored, 1);
    assert_int_equal(w.n.refused, 1);
    assert_non_null(strstr(w.last_refusal, "only its creator may add versions"));
    teardown(&w);
}

/* A bad object is refused with its reason, the others stored; a request type whose rules
 * are not registered in this process is refused, not let in unchecked. */
static void test_refusals(void **state)
{
    (void)state;
    struct world w;
    setup(&w);
    add_obj(&w, "indicator", X, "not a time", NULL);
    add_obj(&w, "indicator", "indicator--00000000-0000-4000-8000-0000000000a2",
            "2024-01-01T00:00:00.000Z", NULL);
    assert_int_equal(ingest(&w, &w.admin, NULL), 0);
    assert_int_equal(w.n.stored, 1);
    assert_int_equal(w.n.refused, 1);
    dbuf_puts(&w.body, "{\"objects\":[{\"type\":\"liaison-rfi\",\"spec_version\":\"2.1\",\"id\":"
                       "\"liaison-rfi--00000000-0000-4000-8000-0000000000d1\",\"created\":"
                       "\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\"}");
    assert_int_equal(ingest(&w, &w.admin, NULL), 0);
    assert_int_equal(w.n.refused, 1);
    assert_non_null(strstr(w.last_refusal, "not accepted here"));
    teardown(&w);
}

/* A batch that needs more than its arena allows fails whole: nothing stored. */
static void test_memory_bound(void **state)
{
    (void)state;
    struct world w;
    setup(&w);
    char id[80];
    for (int i = 0; i < 400; i++) {
        snprintf(id, sizeof id, "indicator--00000000-0000-4000-8000-%012d", i + 5000);
        add_obj(&w, "indicator", id, "2024-01-01T00:00:00.000Z", NULL);
    }
    struct arena a;
    arena_init(&a, 16 * 1024); /* 400 objects' results and rows need more */
    assert_int_equal(ingest(&w, &w.admin, &a), LIA_ENOMEM);
    arena_release(&a);
    struct store_policy all = {.all = true, .clearance = STORE_TLP_RED};
    assert_string_equal(
        versions(&w, &all, "indicator--00000000-0000-4000-8000-000000005000", STORE_VER_ALL), "");
    teardown(&w);
}

int main(void)
{
    unit_store_backend("unit_ingest_test_ingest");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_versions_in_one_batch),
        cmocka_unit_test(test_marking_before_its_object),
        cmocka_unit_test(test_creator_rule_sees_the_batch),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_memory_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
