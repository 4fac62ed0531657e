/*
 * bench_search_load: fills a collection of an existing liaison store (made by `liaison init`,
 * server stopped) with bench_gen's objects (stixgen.h: same seed, same bytes) through the one
 * write path, ingest_items, as a TAXII POST stores them: so every version gets its search text
 * (names, aliases, report text, normalised) as the server would give it. This is how
 * bench/search_bench builds its 1,000,000-object collection on either backend without HTTP.
 *
 *   bench_search_load --store PATH_OR_URL --alias A -n N [-s SEED] [-b BATCH]
 *
 * Prints "objects=N seconds=S objects_per_s=R" on stdout.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_ingest.h"
#include "stixgen.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const struct lia_err *err)
{
    fprintf(stderr, "bench_search_load: %s: %s\n", what, err ? err->msg : "");
    exit(1);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"store", required_argument, NULL, 'd'},
                                         {"alias", required_argument, NULL, 'a'},
                                         {NULL, 0, NULL, 0}};
    unsigned long long n = 0, per = 2000, seed = 1;
    const char *path = NULL, *alias = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "n:b:s:", opts, NULL)) != -1) {
        if (ch == 'n')
            n = strtoull(optarg, NULL, 10);
        else if (ch == 'b')
            per = strtoull(optarg, NULL, 10);
        else if (ch == 's')
            seed = strtoull(optarg, NULL, 10);
        else if (ch == 'd')
            path = optarg;
        else if (ch == 'a')
            alias = optarg;
        else
            return 2;
    }
    if (!n || !per || !path || !alias) {
        fprintf(stderr, "usage: bench_search_load --store PATH_OR_URL --alias A -n N [-s SEED] "
                        "[-b BATCH]\n");
        return 2;
    }
    struct store_options opt = {.pool_size = 2, .busy_timeout_ms = 10000};
    struct lia_err err;
    lia_err_clear(&err);
    struct store *s;
    if (store_open(path, &opt, &s, &err))
        die("store_open", &err);
    struct access_principal admin = {
        .actor = "local/bench", .admin = true, .policy = {.all = true, .clearance = STORE_TLP_RED}};
    struct arena a;
    arena_init(&a, 0);
    struct store_collection col;
    if (store_collection_get(s, &admin.policy, alias, &a, &col, &err))
        die("collection", &err);
    struct dbuf body;
    dbuf_init(&body, (size_t)1 << 30);
    struct gen_obj o = {0};
    double t0 = now_s();
    for (unsigned long long i = 0; i < n; i++) {
        dbuf_puts(&body, body.len ? "," : "{\"objects\":[");
        gen_object(seed, i, &o);
        dbuf_append(&body, o.json, o.len);
        if ((i + 1) % per == 0 || i + 1 == n) {
            dbuf_puts(&body, "]}");
            bench_ingest_envelope("bench_search_load", s, &admin, col.rid, &body);
        }
    }
    double t = now_s() - t0;
    printf("objects=%llu seconds=%.1f objects_per_s=%.0f\n", n, t, (double)n / t);
    free(o.json);
    dbuf_release(&body);
    arena_release(&a);
    store_close(s);
    return 0;
}
