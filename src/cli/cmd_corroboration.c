/*
 * `liaison corroboration --data DIR --collection C ID`: who else reports an entity (docs/flows.md,
 * Corroboration), answered by the function of GET /liaison/corroboration/{collection}/{id}
 * (api_corroboration_answer) as this instance sees it; `--partner NAME` (or `--partners`): how
 * often a partner's reports were later corroborated by others, across every entity
 * (api_corroboration_partners, GET /liaison/corroboration?partner=NAME). Prints the JSON.
 */
#include "cli/cli_int.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "cli/config.h"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: liaison corroboration --data DIR --collection C ID\n"
        "       liaison corroboration --data DIR --partner NAME | --partners\n\n"
        "Who else reports the entity ID (a location, intrusion-set, threat-actor or identity)\n"
        "of collection C: the objects of every collection that carry its id, refer to it by id\n"
        "or name it by its name or an alias (Arabic and Latin names normalised), grouped by\n"
        "source with their grading, our trust in the source, and how many of each source's\n"
        "reports another source reported later.\n\n"
        "With --partner NAME (--partners: every partner): across every location, intrusion-set\n"
        "and threat-actor, how many of the partner's objects report on one, and how many of\n"
        "those another source reported later (the same rule), with the rate.\n");
}

int cli_corroboration(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},    {"collection", required_argument, NULL, 'c'},
        {"partner", required_argument, NULL, 'p'}, {"partners", no_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    const char *dir = NULL, *coll = NULL, *partner = NULL;
    bool partners = false;
    int ch;
    cli_reset_getopt();
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            dir = optarg;
            break;
        case 'c':
            coll = optarg;
            break;
        case 'p':
            partner = optarg;
            break;
        case 'P':
            partners = true;
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            usage(stderr);
            return CLI_USAGE;
        }
    }
    bool per_partner = partner || partners;
    bool bad = !dir;
    if (per_partner) /* no entity with it, and one partner or all */
        bad = bad || coll || (partner && partners) || optind != argc;
    else
        bad = bad || !coll || optind != argc - 1;
    if (bad) {
        usage(stderr);
        return CLI_USAGE;
    }
    struct cli_config cfg;
    cli_config_of_data(dir, &cfg);
    struct lia_err err;
    lia_err_clear(&err);
    struct store *s;
    int rc = cli_open_store("corroboration", dir, 1, &s);
    if (rc)
        return rc;
    struct arena a;
    arena_init(&a, 0);
    struct store_policy p = {.all = true};
    struct dbuf out;
    dbuf_init(&out, (size_t)1 << 32);
    if (per_partner)
        rc = api_corroboration_partners(s, &p, partner, cfg.flows_max_rows, &a, NULL, &out, &err);
    else
        rc = api_corroboration_answer(s, &p, coll, argv[optind], cfg.flows_max_rows, &a, NULL, &out,
                                      &err);
    return cli_print_answer("corroboration", rc, &out, &a, s, &err);
}
