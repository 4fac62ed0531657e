/*
 * bench_flows_bench: the flows query of issue 19 on N flows (default 100,000), against a
 * baseline measured in the same run. A fresh SQLite store in /tmp is filled through the one
 * write path (ingest_items, as a TAXII POST stores): 60 locations (40 named by their gazetteer
 * ids, 20 partner-style ones placed by their country), then N flows with one or two
 * commodities, random ends, a third through a place, random Admiralty grading, a fifth
 * TLP:RED (hidden from the partner). Then each query is answered R times (default 9) by
 * api_flows_answer, the function behind GET /liaison/flows and `liaison flows`, as the
 * administrator and as a partner (policy in the store query), and the median is printed.
 *
 * Baseline: walking the same N flow versions through the ordinary object gate
 * (store_query_objects, ids only, pages of 1,000), the cheapest way to merely list them.
 *
 *   bench_flows_bench [-n N] [-r R] [--keep DIR | --reuse DIR] [--only QUERY]
 *
 * --keep DIR leaves the store in DIR; --reuse DIR times the queries on a store kept so;
 * --only QUERY times that query alone (its name as printed: "all", "into=region-sahel"), for
 * a profiler: no baseline, ratios against 1 ms.
 *
 * Prints one line per query: "query=... who=... cpu_ms=median wall_ms=median edges=E
 * ratio=cpu/baseline cpu". CPU time of the thread is the figure judged: the machine's cores
 * are shared, and wall times there measure the neighbours.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "ingest/ingest.h"
#include "place/place.h"

#include "bench_ingest.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* CPU time of this thread: what a query costs, whatever else the machine's cores are doing
 * (they are shared; wall times are printed too). */
static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void die(const char *what, const struct lia_err *err)
{
    fprintf(stderr, "flows_bench: %s: %s\n", what, err ? err->msg : "");
    exit(1);
}

#define N_GAZ 40
#define N_OWN 20
static const char *const gaz[N_GAZ][2] = {
    {"country-ly", "LY"},           {"country-ml", "ML"},
    {"country-ne", "NE"},           {"country-dz", "DZ"},
    {"country-td", "TD"},           {"country-bf", "BF"},
    {"country-mr", "MR"},           {"country-ng", "NG"},
    {"country-sd", "SD"},           {"country-tn", "TN"},
    {"country-eg", "EG"},           {"country-ma", "MA"},
    {"country-sn", "SN"},           {"country-cm", "CM"},
    {"country-gh", "GH"},           {"country-ci", "CI"},
    {"country-bj", "BJ"},           {"country-tg", "TG"},
    {"country-gn", "GN"},           {"country-sy", "SY"},
    {"country-iq", "IQ"},           {"country-tr", "TR"},
    {"country-fr", "FR"},           {"country-it", "IT"},
    {"country-es", "ES"},           {"country-so", "SO"},
    {"country-ke", "KE"},           {"country-et", "ET"},
    {"country-ye", "YE"},           {"country-sa", "SA"},
    {"country-af", "AF"},           {"country-pk", "PK"},
    {"country-cf", "CF"},           {"country-ss", "SS"},
    {"country-er", "ER"},           {"country-dj", "DJ"},
    {"region-northern-mali", "ML"}, {"region-sahel", NULL},
    {"region-maghreb", NULL},       {"region-lake-chad-basin", NULL}};
static const char *const own_cc[] = {"LY", "ML", "NE", "DZ", "TD"};
static const char *const what[] = {"weapons",  "ammunition", "explosives", "money",
                                   "fighters", "fuel",       "drugs",      "people"};
#define TLP_RED "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
#define FLOW_EXT "extension-definition--b708057e-3178-4c8c-a463-32ad8e683cd7"

static unsigned long long rng = 0x9e3779b97f4a7c15ULL;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (unsigned)(rng % n);
}

int main(int argc, char **argv)
{
    size_t n_flows = 100000, runs = 9;
    const char *keep = NULL;
    const char *reuse = NULL, *only = NULL;
    static const struct option opts[] = {{"keep", required_argument, NULL, 'k'},
                                         {"reuse", required_argument, NULL, 'u'},
                                         {"only", required_argument, NULL, 'o'},
                                         {NULL, 0, NULL, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "n:r:", opts, NULL)) != -1) {
        if (ch == 'n')
            n_flows = strtoul(optarg, NULL, 10);
        else if (ch == 'r')
            runs = strtoul(optarg, NULL, 10);
        else if (ch == 'k')
            keep = optarg;
        else if (ch == 'u')
            keep = reuse = optarg;
        else if (ch == 'o')
            only = optarg;
        else
            return 2;
    }
    char dir[64] = "/tmp/liaison-flows-bench-XXXXXX", path[128];
    if (!mkdtemp(dir))
        die("mkdtemp", NULL);
    snprintf(path, sizeof path, "%s/liaison.db", keep ? keep : dir);
    struct store_options opt = {.pool_size = 2, .busy_timeout_ms = 5000, .create = !reuse};
    struct lia_err err;
    lia_err_clear(&err);
    struct store *s;
    if (store_open(path, &opt, &s, &err))
        die("store_open", &err);
    struct arena a;
    arena_init(&a, 0);
    struct store_collection col = {.rid = 1};
    if (!reuse && store_collection_add(s, "flows", NULL, "flows", STORE_TLP_AMBER, &a, &col, &err))
        die("collection", &err);
    struct store_partner p = {.identity_id = "identity--00000000-0000-4000-8000-000000000001",
                              .identity_json = "{}",
                              .name = "P",
                              .clearance = STORE_TLP_AMBER};
    int64_t prid = 1;
    if (!reuse && (store_partner_add(s, &p, &prid, &err) ||
                   store_grant_set(s, col.rid, prid, true, false, &err)))
        die("partner", &err);
    struct access_principal admin = {
        .actor = "local/bench", .admin = true, .policy = {.all = true, .clearance = STORE_TLP_RED}};
    if (!store_places())
        die("containment index", NULL);

    char loc[N_GAZ + N_OWN][80];
    struct dbuf body;
    dbuf_init(&body, (size_t)1 << 30);
    dbuf_puts(&body, "{\"objects\":[");
    for (size_t i = 0; i < N_GAZ + N_OWN && !reuse; i++) {
        if (i < N_GAZ)
            place_stix_id("location", gaz[i][0], loc[i]);
        else
            snprintf(loc[i], sizeof loc[i], "location--00000000-0000-4000-8000-%012zu", i);
        const char *cc = i < N_GAZ ? gaz[i][1] : own_cc[i % 5];
        dbuf_printf(&body,
                    "%s{\"type\":\"location\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":"
                    "\"2026-01-01T00:00:00.000Z\",\"modified\":\"2026-01-01T00:00:00.000Z\","
                    "\"name\":\"place %zu\",%s%s%s}",
                    i ? "," : "", loc[i], i, cc ? "\"country\":\"" : "\"region\":\"",
                    cc ? cc : "western-africa", "\"");
    }
    dbuf_puts(&body, "]}");
    if (!reuse)
        bench_ingest_envelope("flows_bench", s, &admin, col.rid, &body);
    dbuf_reset(&body);
    double t0 = now_ms();
    for (size_t i = 0; i < n_flows && !reuse; i++) {
        if (body.len == 0)
            dbuf_puts(&body, "{\"objects\":[");
        else
            dbuf_puts(&body, ",");
        unsigned w1 = rnd(8), w2 = rnd(8);
        char commodities[64];
        snprintf(commodities, sizeof commodities, rnd(3) ? "\"%s\"" : "\"%s\",\"%s\"", what[w1],
                 what[w2 == w1 ? (w1 + 1) % 8 : w2]);
        char via[120] = "";
        if (rnd(3) == 0)
            snprintf(via, sizeof via, ",\"via_refs\":[\"%s\"]", loc[rnd(N_GAZ + N_OWN)]);
        dbuf_printf(
            &body,
            "{\"type\":\"liaison-flow\",\"spec_version\":\"2.1\",\"id\":\"liaison-flow--"
            "%08zx-0000-4000-8000-%012u\",\"created\":\"2026-01-01T00:00:00.000Z\","
            "\"modified\":\"2026-01-01T00:00:00.000Z\",\"commodities\":[%s],"
            "\"from_ref\":\"%s\",\"to_ref\":\"%s\"%s,\"first_seen\":\"2025-%02u-01T00:00:00Z\","
            "\"extensions\":{\"" FLOW_EXT
            "\":{\"extension_type\":\"new-sdo\"},\"" ACCESS_EXT_GRADING
            "\":{\"extension_type\":\"property-extension\",\"scale\":\"admiralty\","
            "\"source_reliability\":\"%c\",\"information_credibility\":\"%c\"}}%s}",
            i, rnd(1000000), commodities, loc[rnd(N_GAZ + N_OWN)], loc[rnd(N_GAZ + N_OWN)], via,
            1 + rnd(12), 'A' + rnd(6), '1' + rnd(6),
            rnd(5) == 0 ? ",\"object_marking_refs\":[\"" TLP_RED "\"]" : "");
        if ((i + 1) % 5000 == 0 || i + 1 == n_flows) {
            dbuf_puts(&body, "]}");
            bench_ingest_envelope("flows_bench", s, &admin, col.rid, &body);
        }
    }
    fprintf(stderr, "stored %zu flows in %.1f s\n", n_flows, (now_ms() - t0) / 1e3);

    struct store_policy partner = {.partner = prid, .clearance = STORE_TLP_AMBER};
    const struct store_policy *who[2] = {&admin.policy, &partner};
    const char *who_name[2] = {"admin", "partner"};
    double base[2] = {1, 1};
    for (int w = 0; w < 2 && !only; w++) { /* --only: no baseline (a profile of the query) */
        double *t = calloc(runs, sizeof *t), *wall = calloc(runs, sizeof *wall);
        for (size_t r = 0; r < runs; r++) {
            double s0 = cpu_ms(), w0 = now_ms();
            static const char *const types[] = {"liaison-flow"};
            struct store_filter f = {.types = types, .n_types = 1, .limit = 1000};
            struct store_page page;
            size_t seen = 0;
            do {
                struct arena pa;
                arena_init(&pa, 0);
                if (store_query_objects(s, who[w], col.rid, &f, false, &pa, &page, &err))
                    die("baseline", &err);
                seen += page.n;
                if (page.n)
                    f.after_key = page.rows[page.n - 1].date_added;
                arena_release(&pa);
            } while (page.more);
            t[r] = cpu_ms() - s0;
            wall[r] = now_ms() - w0;
            if (r == 0)
                fprintf(stderr, "baseline %s: %zu flow versions\n", who_name[w], seen);
        }
        qsort(t, runs, sizeof *t, cmp_double);
        qsort(wall, runs, sizeof *wall, cmp_double);
        base[w] = t[runs / 2];
        printf("query=baseline-walk who=%s cpu_ms=%.1f wall_ms=%.1f\n", who_name[w], base[w],
               wall[runs / 2]);
        free(t);
        free(wall);
    }
    struct {
        const char *name;
        struct api_flows_params in;
    } q[] = {
        {"all", {0}},
        {"into=region-sahel", {.into = "region-sahel"}},
        {"into=western-africa&what=weapons,fighters",
         {.into = "western-africa", .what = "weapons,fighters"}},
        {"out_of=country-ly&through=country-ne", {.out_of = "country-ly", .through = "country-ne"}},
        {"into=region-sahel&level=place&min_grade=B2",
         {.into = "region-sahel", .level = "place", .min_grade = "B2"}},
    };
    for (size_t k = 0; k < sizeof q / sizeof q[0]; k++)
        for (int w = 0; w < 2 && (!only || !strcmp(only, q[k].name)); w++) {
            double *t = calloc(runs, sizeof *t), *wall = calloc(runs, sizeof *wall);
            size_t edges = 0, bytes = 0;
            for (size_t r = 0; r < runs; r++) {
                struct arena qa;
                arena_init(&qa, 0);
                struct dbuf out;
                dbuf_init(&out, (size_t)1 << 31);
                double s0 = cpu_ms(), w0 = now_ms();
                if (api_flows_answer(s, who[w], &q[k].in, 10000000, &qa, NULL, &out, &err))
                    die(q[k].name, &err);
                t[r] = cpu_ms() - s0;
                wall[r] = now_ms() - w0;
                const char *ne = strstr(out.ptr, "\"n_edges\":");
                edges = ne ? strtoul(ne + 10, NULL, 10) : 0;
                bytes = out.len;
                dbuf_release(&out);
                arena_release(&qa);
            }
            qsort(t, runs, sizeof *t, cmp_double);
            qsort(wall, runs, sizeof *wall, cmp_double);
            printf("query=%s who=%s cpu_ms=%.1f wall_ms=%.1f edges=%zu bytes=%zu ratio=%.2f\n",
                   q[k].name, who_name[w], t[runs / 2], wall[runs / 2], edges, bytes,
                   t[runs / 2] / base[w]);
            free(t);
            free(wall);
        }
    arena_release(&a);
    store_close(s);
    if (!keep) {
        char cmd[200];
        snprintf(cmd, sizeof cmd, "%s/liaison.db", dir);
        unlink(cmd);
        snprintf(cmd, sizeof cmd, "%s/liaison.db-wal", dir);
        unlink(cmd);
        snprintf(cmd, sizeof cmd, "%s/liaison.db-shm", dir);
        unlink(cmd);
        snprintf(cmd, sizeof cmd, "%s/liaison.db-gen", dir);
        unlink(cmd);
        rmdir(dir);
    } else {
        rmdir(dir); /* made, unused: the store is in DIR */
    }
    return 0;
}
