/*
 * Tests for the store's one gate (src/store/sqlite_objects.c): what a
 * partner's policy lets through, "last" and "first" among visible versions
 * only, paging by date_added, the text match, delete, and idempotent puts. The same
 * tests run on PostgreSQL (src/store/pg_objects.c) with LIAISON_STORE=pg.
 */
#include "../unit_common.h"

#define COLL_DEFAULT STORE_TLP_AMBER

struct world {
    struct unit_store u;
    int64_t coll;
    int64_t us, sahel;
};

static void put(struct world *w, const char *id, int64_t modified, int tlp, const int64_t *rel,
                size_t n_rel, bool has_rel, const int64_t *red, size_t n_red, const char *text)
{
    struct lia_err err;
    lia_err_clear(&err);
    struct store_txn *t;
    assert_int_equal(store_begin(w->u.s, &t, &err), 0);
    char json[256], mod[32];
    lia_format_ts(modified, 3, mod);
    snprintf(json, sizeof json, "{\"id\":\"%s\",\"modified\":\"%s\"}", id, mod);
    struct store_object o = {.id = id,
                             .type = "indicator",
                             .spec_version = "2.1",
                             .created_us = 0,
                             .modified_us = modified,
                             .modified = mod,
                             .tlp = tlp,
                             .rel_to = rel,
                             .n_rel_to = n_rel,
                             .has_rel = has_rel,
                             .red_to = red,
                             .n_red_to = n_red,
                             .json = json,
                             .json_len = strlen(json),
                             .search_text = text};
    int result;
    int64_t added;
    assert_int_equal(store_put_object(t, w->coll, &o, &result, &added, &err), 0);
    assert_int_equal(store_commit(t, &err), 0);
}

static size_t query(struct world *w, const struct store_policy *p, struct store_filter *f,
                    const char **ids_out, int64_t *added_out)
{
    struct arena a;
    arena_init(&a, 0);
    struct store_page page;
    struct lia_err err;
    lia_err_clear(&err);
    if (!f->limit)
        f->limit = 100;
    int rc = store_query_objects(w->u.s, p, w->coll, f, true, &a, &page, &err);
    size_t n = rc ? 0 : page.n;
    static char keep[64][80];
    for (size_t i = 0; i < n && i < 64; i++) {
        snprintf(keep[i], sizeof keep[i], "%s@%s", page.rows[i].id,
                 page.rows[i].modified ? page.rows[i].modified : "");
        if (ids_out)
            ids_out[i] = keep[i];
        if (added_out)
            added_out[i] = page.rows[i].date_added;
    }
    arena_release(&a);
    return rc == LIA_ENOTFOUND ? (size_t)-1 : n;
}

static void setup_world(struct world *w)
{
    unit_store_open(&w->u);
    struct lia_err err;
    lia_err_clear(&err);
    struct arena a;
    arena_init(&a, 0);
    struct store_collection col;
    assert_int_equal(store_collection_add(w->u.s, "c", NULL, "c", COLL_DEFAULT, &a, &col, &err), 0);
    w->coll = col.rid;
    struct store_partner p = {.identity_id = "identity--00000000-0000-4000-8000-000000000001",
                              .identity_json = "{}",
                              .name = "US",
                              .clearance = STORE_TLP_RED};
    assert_int_equal(store_partner_add(w->u.s, &p, &w->us, &err), 0);
    p.identity_id = "identity--00000000-0000-4000-8000-000000000002";
    p.name = "Sahel";
    p.clearance = STORE_TLP_GREEN;
    assert_int_equal(store_partner_add(w->u.s, &p, &w->sahel, &err), 0);
    assert_int_equal(store_grant_set(w->u.s, w->coll, w->us, true, false, &err), 0);
    assert_int_equal(store_grant_set(w->u.s, w->coll, w->sahel, true, false, &err), 0);
    arena_release(&a);
}

static void test_policy(void **state)
{
    (void)state;
    struct world w;
    setup_world(&w);
    int64_t us[] = {w.us};
    put(&w, "indicator--00000000-0000-4000-8000-00000000000a", 1000, STORE_TLP_GREEN, NULL, 0,
        false, NULL, 0, NULL);
    put(&w, "indicator--00000000-0000-4000-8000-00000000000b", 1000, STORE_TLP_NONE, NULL, 0, false,
        NULL, 0, NULL); /* collection default: amber */
    put(&w, "indicator--00000000-0000-4000-8000-00000000000c", 1000, STORE_TLP_RED, NULL, 0, false,
        us, 1, NULL); /* red to the US */
    put(&w, "indicator--00000000-0000-4000-8000-00000000000d", 1000, STORE_TLP_CLEAR, us, 1, true,
        NULL, 0, NULL); /* REL TO US */
    put(&w, "indicator--00000000-0000-4000-8000-00000000000e", 1000, STORE_TLP_CLEAR, NULL, 0, true,
        NULL, 0, NULL); /* releasable to nobody */
    struct store_policy all = {.all = true, .clearance = STORE_TLP_RED};
    struct store_policy pus = {.partner = w.us, .clearance = STORE_TLP_RED};
    struct store_policy psahel = {.partner = w.sahel, .clearance = STORE_TLP_GREEN};
    struct store_policy nobody = {.partner = 999, .clearance = STORE_TLP_RED};
    struct store_filter f = {0};
    assert_int_equal(query(&w, &all, &f, NULL, NULL), 5);
    assert_int_equal(query(&w, &pus, &f, NULL, NULL), 4); /* all but e */
    const char *ids[8];
    assert_int_equal(query(&w, &psahel, &f, ids, NULL), 1);
    assert_non_null(strstr(ids[0], "0000000a@"));
    /* No grant: the collection itself is not found. */
    assert_int_equal(query(&w, &nobody, &f, NULL, NULL), (size_t)-1);
    unit_store_close(&w.u);
}

/* Partners 1..63 are found by a bit of the row's audience masks, others by audience rows:
 * both ways must answer alike, also for lists that mix them. */
static void test_audience_masks_and_rows(void **state)
{
    (void)state;
    struct world w;
    setup_world(&w);
    struct lia_err err;
    lia_err_clear(&err);
    const int64_t far = 70, other_far = 71, near = 3, edge = 63, past = 64;
    const int64_t granted[] = {far, other_far, near, edge, past, 5};
    for (size_t i = 0; i < sizeof granted / sizeof granted[0]; i++)
        assert_int_equal(store_grant_set(w.u.s, w.coll, granted[i], true, false, &err), 0);
    int64_t mixed[] = {far, near}, five[] = {5}, edges[] = {edge, past}, red_far[] = {far};
    put(&w, "indicator--00000000-0000-4000-8000-0000000000f1", 1000, STORE_TLP_CLEAR, mixed, 2,
        true, NULL, 0, NULL);
    put(&w, "indicator--00000000-0000-4000-8000-0000000000f2", 1000, STORE_TLP_CLEAR, five, 1, true,
        NULL, 0, NULL);
    put(&w, "indicator--00000000-0000-4000-8000-0000000000f3", 1000, STORE_TLP_RED, NULL, 0, false,
        red_far, 1, NULL);
    put(&w, "indicator--00000000-0000-4000-8000-0000000000f4", 1000, STORE_TLP_CLEAR, edges, 2,
        true, NULL, 0, NULL);
    struct {
        int64_t partner;
        size_t sees;
        const char *first;
    } want[] = {{far, 2, "0000000000f1"}, {other_far, 0, NULL},      {near, 1, "0000000000f1"},
                {5, 1, "0000000000f2"},   {edge, 1, "0000000000f4"}, {past, 1, "0000000000f4"}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        struct store_policy p = {.partner = want[i].partner, .clearance = STORE_TLP_RED};
        struct store_filter f = {0};
        const char *ids[8];
        assert_int_equal(query(&w, &p, &f, ids, NULL), want[i].sees);
        if (want[i].first)
            assert_non_null(strstr(ids[0], want[i].first));
    }
    unit_store_close(&w.u);
}

static void test_versions_among_visible(void **state)
{
    (void)state;
    struct world w;
    setup_world(&w);
    const char *id = "indicator--00000000-0000-4000-8000-0000000000f1";
    put(&w, id, 1000, STORE_TLP_GREEN, NULL, 0, false, NULL, 0, NULL);
    put(&w, id, 2000, STORE_TLP_GREEN, NULL, 0, false, NULL, 0, NULL);
    put(&w, id, 3000, STORE_TLP_RED, NULL, 0, false, NULL, 0, NULL);   /* newest, red */
    put(&w, id, 2000, STORE_TLP_GREEN, NULL, 0, false, NULL, 0, NULL); /* again: no-op */
    struct store_policy all = {.all = true, .clearance = STORE_TLP_RED};
    struct store_policy psahel = {.partner = w.sahel, .clearance = STORE_TLP_GREEN};
    const char *ids[8];
    struct store_filter f = {.version_sel = STORE_VER_ALL};
    assert_int_equal(query(&w, &all, &f, NULL, NULL), 3);
    struct store_filter last = {0};
    assert_int_equal(query(&w, &all, &last, ids, NULL), 1);
    assert_non_null(strstr(ids[0], "@1970-01-01T00:00:00.003Z"));
    /* For Sahel the red version does not exist: its last is the second. */
    assert_int_equal(query(&w, &psahel, &last, ids, NULL), 1);
    assert_non_null(strstr(ids[0], "@1970-01-01T00:00:00.002Z"));
    struct store_filter first = {.version_sel = STORE_VER_FIRST};
    assert_int_equal(query(&w, &psahel, &first, ids, NULL), 1);
    assert_non_null(strstr(ids[0], "@1970-01-01T00:00:00.001Z"));
    int64_t at = 3000;
    struct store_filter exact = {.version_at = &at, .n_version_at = 1};
    assert_int_equal(query(&w, &psahel, &exact, NULL, NULL), 0);
    assert_int_equal(query(&w, &all, &exact, NULL, NULL), 1);
    unit_store_close(&w.u);
}

/* The desk's browsing: TLP, creator-free modified range, both orders and directions with a
 * keyset cursor, and counts through the same WHERE clause (policy included). */
static void test_browse_and_count(void **state)
{
    (void)state;
    struct world w;
    setup_world(&w);
    struct lia_err err;
    lia_err_clear(&err);
    char id[64];
    /* Six objects added in order 0..5, modified in the reverse order; odd ones green, even
     * ones amber; one red. */
    for (int i = 0; i < 6; i++) {
        snprintf(id, sizeof id, "indicator--00000000-0000-4000-8000-0000000001%02d", i);
        put(&w, id, 10000 - 1000 * i, i % 2 ? STORE_TLP_GREEN : STORE_TLP_AMBER, NULL, 0, false,
            NULL, 0, NULL);
    }
    put(&w, "indicator--00000000-0000-4000-8000-0000000001ff", 1, STORE_TLP_RED, NULL, 0, false,
        NULL, 0, NULL);
    struct store_policy all = {.all = true, .clearance = STORE_TLP_RED};
    struct store_policy psahel = {.partner = w.sahel, .clearance = STORE_TLP_GREEN};
    const char *ids[8];
    int64_t added[8];
    int64_t total;
    struct store_filter f = {0};
    assert_int_equal(store_count_objects(w.u.s, &all, w.coll, &f, &total, &err), 0);
    assert_int_equal(total, 7);
    assert_int_equal(store_count_objects(w.u.s, &psahel, w.coll, &f, &total, &err), 0);
    assert_int_equal(total, 3);
    int green = STORE_TLP_GREEN;
    struct store_filter g = {.tlps = &green, .n_tlps = 1};
    assert_int_equal(query(&w, &all, &g, ids, NULL), 3);
    assert_non_null(strstr(ids[0], "0000000101@"));
    /* modified order, ascending: the red one (modified 1) first, then 05, 04... */
    struct store_filter m = {.order = STORE_ORDER_MODIFIED, .limit = 3};
    assert_int_equal(query(&w, &all, &m, ids, added), 3);
    assert_non_null(strstr(ids[0], "00000001ff@"));
    assert_non_null(strstr(ids[1], "0000000105@"));
    m.cursor = added[2]; /* after 04 */
    assert_int_equal(query(&w, &all, &m, ids, NULL), 3);
    assert_non_null(strstr(ids[0], "0000000103@"));
    assert_int_equal(store_count_objects(w.u.s, &all, w.coll, &m, &total, &err), 0);
    assert_int_equal(total, 4); /* 03, 02, 01, 00 */
    m.descending = true;        /* before 04, newest first: 05, ff */
    assert_int_equal(store_count_objects(w.u.s, &all, w.coll, &m, &total, &err), 0);
    assert_int_equal(total, 2);
    /* added order, descending, for the partner: 05, 03, 01 */
    struct store_filter d = {.descending = true};
    assert_int_equal(query(&w, &psahel, &d, ids, added), 3);
    assert_non_null(strstr(ids[0], "0000000105@"));
    assert_non_null(strstr(ids[2], "0000000101@"));
    d.cursor = added[0];
    assert_int_equal(query(&w, &psahel, &d, ids, NULL), 2);
    /* modified range, inclusive */
    struct store_filter r = {.modified_from = 7000, .modified_to = 9000};
    assert_int_equal(query(&w, &all, &r, NULL, NULL), 3);
    /* no grant: not found, as for a page */
    struct store_policy nobody = {.partner = 999, .clearance = STORE_TLP_RED};
    assert_int_equal(store_count_objects(w.u.s, &nobody, w.coll, &f, &total, &err), LIA_ENOTFOUND);
    unit_store_close(&w.u);
}

/* Facets count through the same WHERE clause (policy included); refers_to finds the rows
 * whose text names an id as a value, never the object itself. */
static void test_facets_and_neighbours(void **state)
{
    (void)state;
    struct world w;
    setup_world(&w);
    struct lia_err err;
    lia_err_clear(&err);
    /* put() writes {"id":ID,"modified":...}: each object names only itself (the neighbours
     * found through real references: tests/integration/test_desk_api.py, both backends). */
    put(&w, "indicator--00000000-0000-4000-8000-000000000201", 1000, STORE_TLP_GREEN, NULL, 0,
        false, NULL, 0, NULL);
    put(&w, "indicator--00000000-0000-4000-8000-000000000202", 1000, STORE_TLP_GREEN, NULL, 0,
        false, NULL, 0, NULL);
    put(&w, "indicator--00000000-0000-4000-8000-000000000203", 1000, STORE_TLP_RED, NULL, 0, false,
        NULL, 0, NULL);
    put(&w, "indicator--00000000-0000-4000-8000-000000000204", 1000, STORE_TLP_NONE, NULL, 0, false,
        NULL, 0, NULL);
    struct store_policy all = {.all = true, .clearance = STORE_TLP_RED};
    struct store_policy psahel = {.partner = w.sahel, .clearance = STORE_TLP_GREEN};
    struct arena a;
    arena_init(&a, 0);
    struct store_facet *fc;
    size_t n;
    struct store_filter f = {0};
    assert_int_equal(
        store_facet_objects(w.u.s, &all, w.coll, &f, STORE_FACET_TLP, 10, &a, &fc, &n, &err), 0);
    assert_int_equal(n, 3); /* green 2, red 1, unmarked 1 */
    assert_string_equal(fc[0].value, "1");
    assert_int_equal(fc[0].count, 2);
    assert_int_equal(
        store_facet_objects(w.u.s, &psahel, w.coll, &f, STORE_FACET_TLP, 10, &a, &fc, &n, &err), 0);
    assert_int_equal(n, 1); /* Sahel: the two green ones only */
    assert_int_equal(fc[0].count, 2);
    assert_int_equal(
        store_facet_objects(w.u.s, &all, w.coll, &f, STORE_FACET_TYPE, 10, &a, &fc, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(fc[0].value, "indicator");
    assert_int_equal(fc[0].count, 4);
    assert_int_equal(
        store_facet_objects(w.u.s, &all, w.coll, &f, STORE_FACET_CREATOR, 10, &a, &fc, &n, &err),
        0);
    assert_int_equal(n, 1);
    assert_null(fc[0].value); /* no creator */
    assert_int_equal(store_facet_objects(w.u.s, &all, w.coll, &f, 9, 10, &a, &fc, &n, &err),
                     LIA_EINVAL);
    /* refers_to: the object's own text names its id, and is left out. */
    const char *ids[8];
    struct store_filter r = {.refers_to = "indicator--00000000-0000-4000-8000-000000000201"};
    assert_int_equal(query(&w, &all, &r, ids, NULL), 0);
    r.refers_to = "indicator--00000000-0000-4000-8000-00000000020"; /* a prefix is no id */
    assert_int_equal(query(&w, &all, &r, ids, NULL), 0);
    arena_release(&a);
    unit_store_close(&w.u);
}

static void test_paging_and_search(void **state)
{
    (void)state;
    struct world w;
    setup_world(&w);
    char id[80];
    for (int i = 0; i < 25; i++) {
        snprintf(id, sizeof id, "indicator--00000000-0000-4000-8000-%012d", i + 100);
        put(&w, id, 1000, STORE_TLP_GREEN, NULL, 0, false, NULL, 0,
            i % 5 == 0 ? "الدوله الاسلاميه" : "other text");
    }
    struct store_policy all = {.all = true, .clearance = STORE_TLP_RED};
    int64_t added[64], last = 0, prev = 0;
    size_t total = 0;
    for (int page = 0; page < 10; page++) {
        struct store_filter f = {.limit = 7, .after_key = last};
        size_t n = query(&w, &all, &f, NULL, added);
        for (size_t i = 0; i < n; i++) {
            assert_true(added[i] > prev); /* strictly increasing, never repeated */
            prev = added[i];
        }
        total += n;
        if (n < 7)
            break;
        last = added[n - 1];
    }
    assert_int_equal(total, 25);
    struct store_filter s = {.text_match = "الاسلاميه"};
    assert_int_equal(query(&w, &all, &s, NULL, NULL), 5);
    struct store_filter s2 = {.text_match = "nothing like it"};
    assert_int_equal(query(&w, &all, &s2, NULL, NULL), 0);
    /* Delete one object: it is gone from listings and from search. */
    struct lia_err err;
    lia_err_clear(&err);
    struct store_txn *t;
    assert_int_equal(store_begin(w.u.s, &t, &err), 0);
    struct store_filter none = {0};
    size_t deleted = 0;
    struct store_row *gone = NULL;
    struct arena ga;
    arena_init(&ga, 0);
    assert_int_equal(store_delete_object(t, &all, w.coll,
                                         "indicator--00000000-0000-4000-8000-000000000100", &none,
                                         &ga, &gone, &deleted, &err),
                     0);
    assert_int_equal(store_commit(t, &err), 0);
    assert_int_equal(deleted, 1);
    /* The removed version is reported (for the audit record) and no longer found by key. */
    assert_non_null(gone);
    assert_string_equal(gone[0].id, "indicator--00000000-0000-4000-8000-000000000100");
    struct store_keyed kv;
    assert_int_equal(store_versions_by_key(w.u.s, &gone[0].date_added, 1, &ga, &kv, &err), 0);
    assert_null(kv.id);
    arena_release(&ga);
    assert_int_equal(query(&w, &all, &s, NULL, NULL), 4);
    unit_store_close(&w.u);
}

/* A search text holding LIKE's metacharacters (%, _ and \\) matches them literally on both
 * backends: the index's pattern stands them as any character, the text itself decides. */
static void test_search_metacharacters(void **state)
{
    (void)state;
    struct world w;
    setup_world(&w);
    static const char *const texts[] = {"rate 50%off now", "rate 50xoff now", "snake_case here",
                                        "snakexcase here", "c:\\temp\\drop",  "c:xtempxdrop",
                                        "percent % alone", "under _ alone"};
    char id[80];
    for (int i = 0; i < 8; i++) {
        snprintf(id, sizeof id, "indicator--00000000-0000-4000-8000-%012d", i + 300);
        put(&w, id, 1000, STORE_TLP_GREEN, NULL, 0, false, NULL, 0, texts[i]);
    }
    struct store_policy all = {.all = true, .clearance = STORE_TLP_RED};
    static const struct {
        const char *q;
        int want; /* index of the one text found */
    } cases[] = {{"50%off", 0},   {"50xoff", 1}, {"snake_case", 2}, {"snakexcase", 3},
                 {"\\temp\\", 4}, {"xtempx", 5}, {"t % a", 6},      {"r _ a", 7}};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        struct store_filter f = {.text_match = cases[k].q};
        const char *ids[8];
        assert_int_equal(query(&w, &all, &f, ids, NULL), 1);
        snprintf(id, sizeof id, "indicator--00000000-0000-4000-8000-%012d", cases[k].want + 300);
        assert_memory_equal(ids[0], id, strlen(id));
    }
    /* Case: the stored text is normalised (lower case); LIKE's ASCII case folding is kept. */
    struct store_filter upper = {.text_match = "SNAKE_CASE"};
    assert_int_equal(query(&w, &all, &upper, NULL, NULL), 1);
    unit_store_close(&w.u);
}

/* The generation of s, waiting (PostgreSQL) up to 5 s for its listening session to be up. */
static bool gen_of(struct store *s, uint64_t *g)
{
    for (int i = 0; i < 5000; i++) {
        if (store_generation(s, g))
            return true;
        usleep(1000);
    }
    return false;
}

/* Waits up to 5 s for s's generation to differ from g0 (PostgreSQL: a notification). */
static bool gen_moved(struct store *s, uint64_t g0)
{
    uint64_t g = g0;
    for (int i = 0; i < 5000 && g == g0; i++) {
        if (!store_generation(s, &g))
            g = g0;
        if (g == g0)
            usleep(1000);
    }
    return g != g0;
}

/* The commit generation (store_generation): moved by every commit, by this handle or by
 * another one on the same store (as a CLI command beside the server, or another node), never
 * by reads or a rollback. SQLite shares it in a file; PostgreSQL by LISTEN/NOTIFY. */
static void test_generation(void **state)
{
    (void)state;
    struct world w;
    setup_world(&w);
    uint64_t g0, g;
    assert_true(gen_of(w.u.s, &g0));
    struct store_policy all = {.all = true, .clearance = STORE_TLP_RED};
    struct store_filter f = {0};
    assert_int_equal(store_read_begin(w.u.s, NULL), 0);
    assert_int_equal(query(&w, &all, &f, NULL, NULL), 0);
    store_read_end(w.u.s);
    assert_true(store_generation(w.u.s, &g));
    assert_true(g == g0);
    put(&w, "indicator--00000000-0000-4000-8000-0000000000a1", 1000000, STORE_TLP_GREEN, NULL, 0,
        false, NULL, 0, "gen");
    assert_true(store_generation(w.u.s, &g)); /* at once: its own commit */
    assert_true(g != g0);
    struct lia_err err;
    lia_err_clear(&err);
    struct store_txn *t;
    assert_int_equal(store_begin(w.u.s, &t, &err), 0);
    const char *json = "{\"id\":\"indicator--00000000-0000-4000-8000-0000000000a2\"}";
    struct store_object o = {.id = "indicator--00000000-0000-4000-8000-0000000000a2",
                             .type = "indicator",
                             .spec_version = "2.1",
                             .modified_us = 1,
                             .modified = "1970-01-01T00:00:00.000Z",
                             .tlp = STORE_TLP_GREEN,
                             .json = json,
                             .json_len = strlen(json),
                             .search_text = "x"};
    int result;
    int64_t added;
    assert_int_equal(store_put_object(t, w.coll, &o, &result, &added, &err), 0);
    store_rollback(t);
    usleep(50000); /* time for a notification, were there one */
    uint64_t g1;
    assert_true(store_generation(w.u.s, &g1));
    assert_true(g1 == g);
    /* A second handle on the same store: each sees the other's commits. */
    struct store *other = NULL;
    struct store_options opt = {.pool_size = 1, .busy_timeout_ms = 5000};
    assert_int_equal(store_open(w.u.path, &opt, &other, &err), 0);
    uint64_t o0;
    assert_true(gen_of(other, &o0));
    assert_int_equal(store_meta_set(other, "gen_test", "y", &err), 0);
    assert_true(gen_moved(w.u.s, g1));
    assert_true(store_generation(other, &g));
    put(&w, "indicator--00000000-0000-4000-8000-0000000000a3", 1000000, STORE_TLP_GREEN, NULL, 0,
        false, NULL, 0, "gen");
    assert_true(gen_moved(other, g));
    store_close(other);
    unit_store_close(&w.u);
}

/* PostgreSQL: a node whose listening session is lost cannot tell what changed meanwhile, so
 * it has no generation (nothing is replayed from a cache) until it listens again, and then
 * one it never had before. */
static void test_generation_listen_lost(void **state)
{
    (void)state;
    struct world w;
    setup_world(&w);
    uint64_t g0, g;
    if (!w.u.pg) {
        unit_store_close(&w.u);
        return;
    }
    assert_true(gen_of(w.u.s, &g0));
    unit_pg_run(w.u.path, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                          " WHERE application_name = 'liaison-listen' AND pid <> pg_backend_pid()"
                          " AND datname = current_database()");
    bool lost = false;
    for (int i = 0; i < 5000 && !lost; i++) {
        lost = !store_generation(w.u.s, &g);
        usleep(200);
    }
    assert_true(lost);
    assert_true(gen_of(w.u.s, &g)); /* back */
    assert_true(g != g0);
    unit_store_close(&w.u);
}

/* Appends one audit entry, alone or with an object stored in the same transaction. */
static void audit_txn(struct world *w, bool with_object)
{
    struct lia_err err;
    lia_err_clear(&err);
    struct store_txn *t;
    assert_int_equal(store_begin(w->u.s, &t, &err), 0);
    struct store_audit_entry e = {
        .ts = 1, .actor = "partner:P", .action = "objects.disclose", .detail = "{}"};
    assert_int_equal(store_audit_last(t, &e.seq, e.prev, &err), 0);
    e.seq++;
    assert_int_equal(store_audit_insert(t, &e, "1:00", &err), 0);
    if (with_object) {
        const char *json = "{\"id\":\"indicator--00000000-0000-4000-8000-0000000000b1\"}";
        struct store_object o = {.id = "indicator--00000000-0000-4000-8000-0000000000b1",
                                 .type = "indicator",
                                 .spec_version = "2.1",
                                 .modified_us = 1,
                                 .modified = "1970-01-01T00:00:00.000Z",
                                 .tlp = STORE_TLP_GREEN,
                                 .json = json,
                                 .json_len = strlen(json)};
        int result;
        int64_t added;
        assert_int_equal(store_put_object(t, w->coll, &o, &result, &added, &err), 0);
        assert_int_equal(result, STORE_PUT_NEW);
    }
    assert_int_equal(store_commit(t, &err), 0);
}

/* A commit that only appends to the audit log (a partner's disclosure record) leaves the
 * generation alone; one that changes anything else with it does not. */
static void test_generation_audit_only(void **state)
{
    (void)state;
    struct world w;
    setup_world(&w);
    uint64_t g0, g;
    assert_true(gen_of(w.u.s, &g0));
    audit_txn(&w, false);
    audit_txn(&w, false);
    usleep(50000); /* time for a notification, were there one */
    assert_true(store_generation(w.u.s, &g));
    assert_true(g == g0);
    audit_txn(&w, true);
    assert_true(store_generation(w.u.s, &g));
    assert_true(g != g0);
    unit_store_close(&w.u);
}

/* store_writing tells a writer whether another write is under way (ingest then parses before
 * it begins): true from store_begin to its commit or rollback, false otherwise. */
static void test_writing(void **state)
{
    (void)state;
    struct world w;
    setup_world(&w);
    struct lia_err err;
    struct store_txn *t;
    assert_false(store_writing(w.u.s));
    assert_int_equal(store_begin(w.u.s, &t, &err), 0);
    assert_true(store_writing(w.u.s));
    assert_int_equal(store_commit(t, &err), 0);
    assert_false(store_writing(w.u.s));
    assert_int_equal(store_begin(w.u.s, &t, &err), 0);
    assert_true(store_writing(w.u.s));
    store_rollback(t);
    assert_false(store_writing(w.u.s));
    unit_store_close(&w.u);
}

/* Every table of the schema descriptor is in the baseline or made by a numbered migration, and
 * the migrations are numbered without gaps (docs/upgrades.md): a table added without its
 * migration would be missing from every store migrated from an older version. */
static void test_schema_migrations(void **state)
{
    (void)state;
    const char *missing = store_schema_unmigrated();
    if (missing)
        fail_msg("schema.c: %s has no migration (docs/upgrades.md)", missing);
    /* store copy walks every table of the descriptor (a fixed-size list once left some out) */
    const char *const *copied = store_copy_tables();
    assert_non_null(copied);
    size_t k = 0;
    while (copied[k])
        k++;
    assert_int_equal(k, store_table_count());
}

/* A peer's settings (Basic user, timeouts) are stored with it and removed with it; a partner's
 * key rotates only from the key it has, and the old key stays findable until its date. */
static void test_peer_settings_and_key_rotation(void **state)
{
    (void)state;
    struct world w;
    setup_world(&w);
    struct lia_err err;
    lia_err_clear(&err);
    struct arena a;
    arena_init(&a, 0);
    struct store_peer in = {.name = "alg",
                            .url = "http://127.0.0.1:1/taxii2/",
                            .partner = w.us,
                            .token = "pw",
                            .basic_user = "alice",
                            .timeout_s = 600};
    int64_t rid;
    assert_int_equal(store_peer_add(w.u.s, &in, &rid, &err), 0);
    struct store_peer tok = {.name = "t", .url = "http://h/", .partner = w.us, .token = "x"};
    int64_t rid2;
    assert_int_equal(store_peer_add(w.u.s, &tok, &rid2, &err), 0);
    assert_int_equal(store_peer_add(w.u.s, &in, &rid2, &err), LIA_ECONFLICT);
    struct store_peer out;
    assert_int_equal(store_peer_get(w.u.s, 0, "alg", &a, &out, &err), 0);
    assert_string_equal(out.basic_user, "alice");
    assert_int_equal(out.timeout_s, 600);
    assert_int_equal(out.connect_timeout_s, 0);
    struct store_peer *list;
    size_t n;
    assert_int_equal(store_peer_list(w.u.s, &a, &list, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_null(list[1].basic_user);
    assert_int_equal(list[1].timeout_s, 0);
    assert_int_equal(store_peer_remove(w.u.s, rid, &err), 0);
    assert_int_equal(store_peer_add(w.u.s, &tok, &rid2, &err), LIA_ECONFLICT);
    struct store_peer again = {.name = "alg", .url = "http://h/", .partner = w.us, .token = "y"};
    assert_int_equal(store_peer_add(w.u.s, &again, &rid, &err), 0);
    assert_int_equal(store_peer_get(w.u.s, rid, NULL, &a, &out, &err), 0);
    assert_null(out.basic_user); /* the removed peer's settings went with it */

    char old[65], new_key[65], other[65];
    memset(old, 'a', 64);
    memset(new_key, 'b', 64);
    memset(other, 'c', 64);
    old[64] = new_key[64] = other[64] = '\0';
    assert_int_equal(store_partner_update(w.u.s, w.us, "pubkey", old, &err), 0);
    struct store_txn *t;
    assert_int_equal(store_begin(w.u.s, &t, &err), 0);
    assert_int_equal(store_partner_key_rotate(t, w.us, other, new_key, 2000, &err), LIA_ECONFLICT);
    store_rollback(t);
    assert_int_equal(store_begin(w.u.s, &t, &err), 0);
    assert_int_equal(store_partner_key_rotate(t, w.us, old, new_key, 2000, &err), 0);
    assert_int_equal(store_commit(t, &err), 0);
    struct store_partner p;
    assert_int_equal(store_partner_get(w.u.s, w.us, NULL, NULL, &a, &p, &err), 0);
    assert_string_equal(p.pubkey, new_key);
    int64_t who = 0, until = 0;
    assert_int_equal(store_partner_key_old(w.u.s, old, 1999, &who, &until, &err), 0);
    assert_int_equal(who, w.us);
    assert_int_equal(until, 2000);
    assert_int_equal(store_partner_key_old(w.u.s, old, 2000, &who, &until, &err), LIA_ENOTFOUND);
    assert_int_equal(store_partner_key_old(w.u.s, old, 0, &who, &until, &err), 0);
    assert_int_equal(store_partner_key_old(w.u.s, new_key, 0, &who, &until, &err), LIA_ENOTFOUND);
    arena_release(&a);
    unit_store_close(&w.u);
}

int main(void)
{
    unit_store_backend("unit_store_test_store");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy),
        cmocka_unit_test(test_audience_masks_and_rows),
        cmocka_unit_test(test_versions_among_visible),
        cmocka_unit_test(test_paging_and_search),
        cmocka_unit_test(test_search_metacharacters),
        cmocka_unit_test(test_browse_and_count),
        cmocka_unit_test(test_facets_and_neighbours),
        cmocka_unit_test(test_generation),
        cmocka_unit_test(test_generation_audit_only),
        cmocka_unit_test(test_generation_listen_lost),
        cmocka_unit_test(test_writing),
        cmocka_unit_test(test_schema_migrations),
        cmocka_unit_test(test_peer_settings_and_key_rotation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
