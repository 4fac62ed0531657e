/*
 * Need-to-know with sharing groups, property-based, at the store's one gate: random worlds
 * against a reference model written from docs/groups.md and docs/markings.md, not from the
 * code. Each world is a new collection (random default TLP), random partner clearances, direct
 * and group grants, 1-3 groups with random members, and objects of 1-2 versions each with
 * random handling: TLP (or none), REL TO (possibly naming no one), TLP:RED recipients, and
 * 0-2 groups (sometimes group 0, a partner's circle this store does not know). Every partner's
 * "all versions" and "last version" reads are compared with the model; then membership and
 * group grants change at random and every read is compared again (membership is read at query
 * time: a removed member sees nothing further).
 *
 * LIAISON_GROUPS_WORLDS sets the number of worlds (default 10000), LIAISON_PROPTEST_SEED the
 * seed (default: the clock; printed, and in every failure, to replay a run).
 */
#include "../unit_common.h"

#include <time.h>

#define N_PARTNERS 6
#define MAX_GROUPS 3
#define MAX_OBJECTS 6
#define MAX_VERSIONS (2 * MAX_OBJECTS)

struct version {
    int obj;
    int64_t modified;
    int tlp;
    bool has_rel;
    bool rel[N_PARTNERS];
    bool red[N_PARTNERS];
    int groups[2]; /* indexes into world groups, -1 for none, MAX_GROUPS for group 0 */
    int64_t date_added;
};

struct world {
    int64_t coll;
    int default_tlp;
    int clearance[N_PARTNERS];
    bool grant_read[N_PARTNERS];
    int64_t grp[MAX_GROUPS];
    size_t n_groups;
    bool member[MAX_GROUPS][N_PARTNERS];
    bool group_read[MAX_GROUPS];
    struct version v[MAX_VERSIONS];
    size_t n_v;
};

static uint64_t rng_state;
static uint64_t rnd(void) /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static int below(int n)
{
    return (int)(rnd() % (uint64_t)n);
}
static bool chance(int percent)
{
    return below(100) < percent;
}

static struct unit_store u;
static int64_t partners[N_PARTNERS];
static uint64_t seed;
static unsigned long long checks, visible_rows;

/* The model. */
static bool can_read(const struct world *w, int p)
{
    if (w->grant_read[p])
        return true;
    for (size_t g = 0; g < w->n_groups; g++)
        if (w->group_read[g] && w->member[g][p])
            return true;
    return false;
}

static bool model_visible(const struct world *w, int p, const struct version *v)
{
    if (!can_read(w, p))
        return false;
    int eff = v->tlp < 0 ? w->default_tlp : v->tlp;
    if (eff > w->clearance[p])
        return false;
    if (eff == STORE_TLP_RED && !v->red[p])
        return false;
    if (v->has_rel && !v->rel[p])
        return false;
    for (int k = 0; k < 2; k++) {
        int g = v->groups[k];
        if (g == MAX_GROUPS || (g >= 0 && !w->member[g][p]))
            return false;
    }
    return true;
}

static void put_world(struct world *w)
{
    struct lia_err err;
    lia_err_clear(&err);
    struct store_txn *t;
    assert_int_equal(store_begin(u.s, &t, &err), 0);
    for (size_t i = 0; i < w->n_v; i++) {
        struct version *v = &w->v[i];
        char id[64], mod[32], json[160];
        snprintf(id, sizeof id, "indicator--00000000-0000-4000-8000-%012d", v->obj);
        lia_format_ts(v->modified, 3, mod);
        snprintf(json, sizeof json, "{\"id\":\"%s\",\"modified\":\"%s\"}", id, mod);
        int64_t rel[N_PARTNERS], red[N_PARTNERS], groups[2];
        size_t n_rel = 0, n_red = 0, n_groups = 0;
        for (int p = 0; p < N_PARTNERS; p++) {
            if (v->rel[p])
                rel[n_rel++] = partners[p];
            if (v->red[p])
                red[n_red++] = partners[p];
        }
        for (int k = 0; k < 2; k++)
            if (v->groups[k] >= 0)
                groups[n_groups++] = v->groups[k] == MAX_GROUPS ? 0 : w->grp[v->groups[k]];
        struct store_object o = {.id = id,
                                 .type = "indicator",
                                 .spec_version = "2.1",
                                 .modified_us = v->modified,
                                 .modified = mod,
                                 .tlp = v->tlp,
                                 .rel_to = rel,
                                 .n_rel_to = n_rel,
                                 .has_rel = v->has_rel,
                                 .red_to = red,
                                 .n_red_to = n_red,
                                 .groups = groups,
                                 .n_groups = n_groups,
                                 .json = json,
                                 .json_len = strlen(json)};
        int result;
        assert_int_equal(store_put_object(t, w->coll, &o, &result, &v->date_added, &err), 0);
    }
    assert_int_equal(store_commit(t, &err), 0);
}

static void fail_world(const struct world *w, size_t world, int p, const char *what,
                       const struct version *v)
{
    fprintf(stderr,
            "seed %llu world %zu: partner %d (clearance %d, grant %d) %s: version obj %d"
            " tlp %d has_rel %d groups %d,%d; default %d\n",
            (unsigned long long)seed, world, p, w->clearance[p], w->grant_read[p], what,
            v ? v->obj : -1, v ? v->tlp : 0, v ? v->has_rel : 0, v ? v->groups[0] : 0,
            v ? v->groups[1] : 0, w->default_tlp);
    for (size_t g = 0; g < w->n_groups; g++)
        fprintf(stderr, "  group %zu read %d members %d%d%d%d%d%d\n", g, w->group_read[g],
                w->member[g][0], w->member[g][1], w->member[g][2], w->member[g][3], w->member[g][4],
                w->member[g][5]);
    fail();
}

/* Every partner's reads against the model: all versions, and the last visible ones. */
static void check_world(const struct world *w, size_t world)
{
    for (int p = 0; p < N_PARTNERS; p++) {
        struct store_policy pol = {.partner = partners[p], .clearance = w->clearance[p]};
        for (int sel = 0; sel < 2; sel++) {
            struct store_filter f = {.limit = 100,
                                     .version_sel = sel ? STORE_VER_LAST : STORE_VER_ALL};
            struct arena a;
            arena_init(&a, 0);
            struct store_page page;
            struct lia_err err;
            lia_err_clear(&err);
            int rc = store_query_objects(u.s, &pol, w->coll, &f, false, &a, &page, &err);
            bool want[MAX_VERSIONS] = {0};
            size_t n_want = 0;
            for (size_t i = 0; i < w->n_v; i++) {
                if (!model_visible(w, p, &w->v[i]))
                    continue;
                bool last = true;
                for (size_t j = 0; j < w->n_v && sel; j++)
                    if (j != i && w->v[j].obj == w->v[i].obj &&
                        w->v[j].modified > w->v[i].modified && model_visible(w, p, &w->v[j]))
                        last = false;
                if (last)
                    want[i] = true, n_want++;
            }
            checks++;
            if (rc == LIA_ENOTFOUND) { /* no right on the collection */
                if (can_read(w, p))
                    fail_world(w, world, p, "collection refused", NULL);
                arena_release(&a);
                continue;
            }
            assert_int_equal(rc, 0);
            if (!can_read(w, p))
                fail_world(w, world, p, "collection readable without a right", NULL);
            for (size_t r = 0; r < page.n; r++) {
                size_t i = 0;
                while (i < w->n_v && w->v[i].date_added != page.rows[r].date_added)
                    i++;
                if (i == w->n_v || !want[i])
                    fail_world(w, world, p, sel ? "LEAK (last)" : "LEAK (all)",
                               i < w->n_v ? &w->v[i] : NULL);
            }
            if (page.n != n_want)
                fail_world(w, world, p, "a visible version is missing", NULL);
            visible_rows += page.n;
            arena_release(&a);
        }
    }
}

static void make_world(struct world *w, size_t world)
{
    struct lia_err err;
    lia_err_clear(&err);
    struct arena a;
    arena_init(&a, 0);
    memset(w, 0, sizeof *w);
    w->default_tlp = below(5);
    char name[64];
    snprintf(name, sizeof name, "w%zu", world);
    struct store_collection col;
    assert_int_equal(store_collection_add(u.s, name, NULL, NULL, w->default_tlp, &a, &col, &err),
                     0);
    w->coll = col.rid;
    for (int p = 0; p < N_PARTNERS; p++) {
        w->clearance[p] = below(5); /* the policy carries it (access/ reads it per request) */
        w->grant_read[p] = chance(50);
        if (w->grant_read[p])
            assert_int_equal(store_grant_set(u.s, w->coll, partners[p], true, false, &err), 0);
    }
    w->n_groups = 1 + (size_t)below(MAX_GROUPS);
    for (size_t g = 0; g < w->n_groups; g++) {
        char marking[80];
        snprintf(marking, sizeof marking, "marking-definition--00000000-0000-4000-8000-%012zu",
                 world * MAX_GROUPS + g);
        snprintf(name, sizeof name, "g%zu-%zu", world, g);
        struct store_group grp = {.marking = marking, .name = name, .definition = "{}"};
        assert_int_equal(store_group_add(u.s, &grp, &w->grp[g], &err), 0);
        for (int p = 0; p < N_PARTNERS; p++)
            if ((w->member[g][p] = chance(50)))
                assert_int_equal(store_group_member_set(u.s, w->grp[g], partners[p], true, &err),
                                 0);
        if ((w->group_read[g] = chance(30)))
            assert_int_equal(store_group_grant_set(u.s, w->coll, w->grp[g], true, false, &err), 0);
    }
    int n_obj = 2 + below(MAX_OBJECTS - 1);
    int64_t base = 1700000000000000 + (int64_t)world * 1000000;
    for (int o = 0; o < n_obj; o++) {
        int n_ver = 1 + below(2);
        for (int k = 0; k < n_ver; k++) {
            struct version *v = &w->v[w->n_v++];
            v->obj = (int)(world * MAX_OBJECTS) + o;
            v->modified = base + k * 1000;
            v->tlp = chance(20) ? STORE_TLP_NONE : below(5);
            v->has_rel = chance(25);
            for (int p = 0; p < N_PARTNERS; p++) {
                v->rel[p] = v->has_rel && chance(50);
                v->red[p] = chance(30);
            }
            v->groups[0] = v->groups[1] = -1;
            int r = below(100);
            if (r < 45)
                v->groups[0] = below((int)w->n_groups);
            if (r < 10)
                v->groups[1] = below((int)w->n_groups);
            if (r >= 45 && r < 50)
                v->groups[0] = MAX_GROUPS; /* a partner's circle: no member here */
        }
    }
    /* Versions are put in a random order (date_added follows it). */
    for (size_t i = w->n_v; i > 1; i--) {
        size_t j = (size_t)below((int)i);
        struct version t = w->v[i - 1];
        w->v[i - 1] = w->v[j];
        w->v[j] = t;
    }
    arena_release(&a);
}

/* Members come and go and group grants change: the next reads follow at once. */
static void change_world(struct world *w)
{
    struct lia_err err;
    lia_err_clear(&err);
    for (int n = 1 + below(3); n > 0; n--) {
        size_t g = (size_t)below((int)w->n_groups);
        int p = below(N_PARTNERS);
        bool add = !w->member[g][p];
        assert_int_equal(store_group_member_set(u.s, w->grp[g], partners[p], add, &err), 0);
        w->member[g][p] = add;
    }
    if (chance(30)) {
        size_t g = (size_t)below((int)w->n_groups);
        w->group_read[g] = !w->group_read[g];
        assert_int_equal(
            store_group_grant_set(u.s, w->coll, w->grp[g], w->group_read[g], false, &err), 0);
    }
}

/* The worlds' store. Each world commits some twenty small transactions (grants, groups,
 * members, objects); what is under test is the predicate, not durability, so on SQLite the
 * store lives on tmpfs (/dev/shm) when there is one, where a commit's sync costs nothing, and
 * is removed at the end like any unit store. */
static void open_fast(struct unit_store *s)
{
    if (unit_store_wants_pg() || access("/dev/shm", W_OK) != 0)
        return unit_store_open(s);
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "/dev/shm/liaison-unit-XXXXXX");
    assert_non_null(mkdtemp(s->dir));
    snprintf(s->path, sizeof s->path, "%s/liaison.db", s->dir);
    struct store_options opt = {.pool_size = 4, .busy_timeout_ms = 5000, .create = true};
    struct lia_err err;
    lia_err_clear(&err);
    if (store_open(s->path, &opt, &s->s, &err) != 0)
        fail_msg("store_open: %s", err.msg);
}

static void test_random_worlds(void **state)
{
    (void)state;
    const char *env = getenv("LIAISON_PROPTEST_SEED");
    seed = env && *env ? strtoull(env, NULL, 10) : (uint64_t)time(NULL);
    rng_state = seed;
    const char *nw = getenv("LIAISON_GROUPS_WORLDS");
    size_t worlds = nw && *nw ? strtoull(nw, NULL, 10) : 10000;
    printf("groups property test: seed %llu, %zu worlds\n", (unsigned long long)seed, worlds);
    open_fast(&u);
    struct lia_err err;
    lia_err_clear(&err);
    for (int p = 0; p < N_PARTNERS; p++) {
        char ident[64], name[16];
        snprintf(ident, sizeof ident, "identity--00000000-0000-4000-8000-%012d", p + 1);
        snprintf(name, sizeof name, "P%d", p);
        struct store_partner sp = {
            .identity_id = ident, .identity_json = "{}", .name = name, .clearance = 1};
        assert_int_equal(store_partner_add(u.s, &sp, &partners[p], &err), 0);
    }
    struct world w;
    for (size_t i = 0; i < worlds; i++) {
        make_world(&w, i);
        put_world(&w);
        check_world(&w, i);
        change_world(&w);
        check_world(&w, i);
    }
    printf("groups property test: %zu worlds, %llu reads compared, %llu visible rows, 0 leaks\n",
           worlds, checks, visible_rows);
    assert_true(checks >= worlds * N_PARTNERS * 4);
    unit_store_close(&u);
}

/* Removing a group leaves its objects released to no one; its members lose its grants. */
static void test_group_remove(void **state)
{
    (void)state;
    struct unit_store s;
    unit_store_open(&s);
    struct lia_err err;
    lia_err_clear(&err);
    struct arena a;
    arena_init(&a, 0);
    struct store_collection col;
    assert_int_equal(store_collection_add(s.s, "c", NULL, "c", STORE_TLP_GREEN, &a, &col, &err), 0);
    struct store_partner sp = {.identity_id = "identity--00000000-0000-4000-8000-000000000001",
                               .identity_json = "{}",
                               .name = "Bamako",
                               .clearance = STORE_TLP_AMBER};
    int64_t bamako, grp;
    assert_int_equal(store_partner_add(s.s, &sp, &bamako, &err), 0);
    struct store_group g = {.marking = "marking-definition--00000000-0000-4000-8000-000000000009",
                            .name = "Sahel",
                            .definition = "{}"};
    assert_int_equal(store_group_add(s.s, &g, &grp, &err), 0);
    assert_int_equal(store_group_add(s.s, &g, &grp, &err), LIA_ECONFLICT);
    assert_int_equal(store_group_member_set(s.s, grp, bamako, true, &err), 0);
    assert_int_equal(store_group_member_set(s.s, grp, bamako, true, &err), LIA_ECONFLICT);
    assert_int_equal(store_group_grant_set(s.s, col.rid, grp, true, false, &err), 0);
    struct store_policy pol = {.partner = bamako, .clearance = STORE_TLP_AMBER};
    struct store_collection seen;
    assert_int_equal(store_collection_get(s.s, &pol, "c", &a, &seen, &err), 0);
    assert_true(seen.can_read && !seen.can_write);

    struct store_txn *t;
    assert_int_equal(store_begin(s.s, &t, &err), 0);
    const char *json = "{}";
    struct store_object o = {.id = "indicator--00000000-0000-4000-8000-000000000001",
                             .type = "indicator",
                             .spec_version = "2.1",
                             .modified_us = 1700000000000000,
                             .modified = "2023-11-14T22:13:20.000Z",
                             .tlp = STORE_TLP_GREEN,
                             .groups = &grp,
                             .n_groups = 1,
                             .json = json,
                             .json_len = 2};
    int result;
    int64_t added;
    assert_int_equal(store_put_object(t, col.rid, &o, &result, &added, &err), 0);
    assert_int_equal(store_commit(t, &err), 0);
    int64_t uses = 0;
    assert_int_equal(store_group_uses(s.s, grp, &uses, &err), 0);
    assert_int_equal(uses, 1);
    struct store_filter f = {.limit = 10};
    struct store_page page;
    assert_int_equal(store_query_objects(s.s, &pol, col.rid, &f, false, &a, &page, &err), 0);
    assert_int_equal(page.n, 1);
    assert_int_equal(store_group_remove(s.s, grp, &err), 0);
    assert_int_equal(store_group_remove(s.s, grp, &err), LIA_ENOTFOUND);
    /* No right left: the collection is as absent as one that does not exist. */
    assert_int_equal(store_query_objects(s.s, &pol, col.rid, &f, false, &a, &page, &err),
                     LIA_ENOTFOUND);
    assert_int_equal(store_grant_set(s.s, col.rid, bamako, true, false, &err), 0);
    assert_int_equal(store_query_objects(s.s, &pol, col.rid, &f, false, &a, &page, &err), 0);
    assert_int_equal(page.n, 0); /* released to a group that is gone: to no one */
    arena_release(&a);
    unit_store_close(&s);
}

int main(void)
{
    unit_store_backend("test_groups");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_remove),
        cmocka_unit_test(test_random_worlds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
