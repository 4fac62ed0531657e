/*
 * `liaison flows --data DIR ...`: the flows query of GET /liaison/flows from the command line
 * (docs/flows.md), answered by the same function (api_flows_answer) through the same gate: as
 * this instance sees it, or with --partner as that partner would (its clearance, grants and
 * releasability). Prints the answer's JSON.
 */
#include "cli/cli_int.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "cli/config.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: liaison flows --data DIR [--into PLACE] [--out-of PLACE] [--through PLACE]\n"
            "                     [--what W[,W...]] [--since TIME] [--source IDENTITY]\n"
            "                     [--min-grade G] [--level country|place] [--collection C]\n"
            "                     [--partner P]\n\n"
            "Aggregated flow edges (from, to, what) with their reports, sources, first and last\n"
            "seen, best and typical grading and the ids behind them, and how often each source\n"
            "was corroborated. PLACE is a gazetteer key (region-sahel, country-ml), an ISO 3166\n"
            "code (ML, ML-8) or a STIX region; containment is included (into the Sahel counts\n"
            "flows into Gao). W is from flow-commodity-ov. --partner: as that partner sees it.\n");
}

int cli_flows(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"into", required_argument, NULL, 'i'},
                                         {"out-of", required_argument, NULL, 'o'},
                                         {"through", required_argument, NULL, 't'},
                                         {"what", required_argument, NULL, 'w'},
                                         {"since", required_argument, NULL, 's'},
                                         {"source", required_argument, NULL, 'S'},
                                         {"min-grade", required_argument, NULL, 'g'},
                                         {"level", required_argument, NULL, 'l'},
                                         {"collection", required_argument, NULL, 'c'},
                                         {"partner", required_argument, NULL, 'p'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct api_flows_params in = {0};
    const char *dir = NULL, *partner = NULL;
    int ch;
    cli_reset_getopt();
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            dir = optarg;
            break;
        case 'i':
            in.into = optarg;
            break;
        case 'o':
            in.out_of = optarg;
            break;
        case 't':
            in.through = optarg;
            break;
        case 'w':
            in.what = optarg;
            break;
        case 's':
            in.since = optarg;
            break;
        case 'S':
            in.source = optarg;
            break;
        case 'g':
            in.min_grade = optarg;
            break;
        case 'l':
            in.level = optarg;
            break;
        case 'c':
            in.collection = optarg;
            break;
        case 'p':
            partner = optarg;
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            usage(stderr);
            return CLI_USAGE;
        }
    }
    if (!dir || optind != argc) {
        usage(stderr);
        return CLI_USAGE;
    }
    struct cli_config cfg;
    cli_config_of_data(dir, &cfg);
    struct lia_err err;
    lia_err_clear(&err);
    struct store *s;
    int rc = cli_open_store("flows", dir, 1, &s);
    if (rc)
        return rc;
    struct arena a;
    arena_init(&a, 0);
    struct store_policy p = {.all = true};
    if (partner) {
        struct store_partner sp;
        if (cli_find_partner(s, partner, &a, &sp)) {
            arena_release(&a);
            store_close(s);
            return cli_error(CLI_NOTFOUND, "flows", "no partner '%s'", partner);
        }
        p = (struct store_policy){.partner = sp.rid, .clearance = sp.clearance};
    }
    struct dbuf out;
    dbuf_init(&out, (size_t)1 << 32);
    rc = api_flows_answer(s, &p, &in, cfg.flows_max_rows, &a, NULL, &out, &err);
    return cli_print_answer("flows", rc, &out, &a, s, &err);
}
