/*
 * `liaison misp import` and `liaison misp export`: MISP events and feeds in, a MISP feed out
 * (src/misp/ does the work; docs/misp.md describes both mappings and the feed).
 *
 * import stores each event through the one write path, as this instance's administrator or,
 * with --from, as the partner that sent it (the exchange write rule, docs/exchange.md); it
 * ends with a summary (per MISP type, what it became) on stdout, as JSON with --json.
 * Problems (a malformed event, an attribute skipped) go to stderr as they happen. On a
 * terminal a progress bar shows the bytes read.
 *
 * export writes the feed of what one partner may see into a directory, after the disclosure
 * is on record.
 */
#include "cli/cli_int.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "misp/misp.h"

static void misp_usage(FILE *out)
{
    fprintf(out,
            "usage: liaison misp import FILE|DIR --data DIR --collection C [--from PARTNER]\n"
            "                           [--json] [--max-event-bytes N] [--max-events N]\n"
            "       liaison misp export --data DIR --collection C --for PARTNER --out DIR\n\n"
            "import: stores MISP events as STIX 2.1 in collection C (docs/misp.md): a file\n"
            "  ({\"Event\":...}, {\"response\":[...]}, a bare event, a list of events) or a MISP\n"
            "  feed directory (manifest.json and one <uuid>.json per event). With --from, as\n"
            "  sent by PARTNER: restricted MISP distributions are released back to it only.\n"
            "  Importing the same events again stores nothing new. A malformed event is\n"
            "  reported by position (stderr) and the others imported; the summary (stdout,\n"
            "  JSON with --json) counts what each MISP attribute type became. Exit 0 when\n"
            "  every event was imported, 4 when some were skipped.\n"
            "  --max-event-bytes  largest event (or event file) read (default %zu)\n"
            "  --max-events       most events in one file or feed (default %d)\n"
            "export: writes into DIR the MISP feed of what PARTNER may see in C (manifest.json,\n"
            "  <uuid>.json, hashes.csv), for a MISP instance without a network path here. The\n"
            "  disclosure is on the audit record before any file is written.\n",
            MISP_MAX_EVENT_BYTES, MISP_MAX_FEED_EVENTS);
}

/* A progress bar on a terminal, redrawn at most five times a second. */
struct bar {
    FILE *out;
    int64_t start_us, drawn_us;
    bool drawn;
};

static void bar_draw(void *ctx, uint64_t done, uint64_t total, uint64_t events)
{
    struct bar *b = ctx;
    int64_t now = lia_now_us();
    if (!b->out || (b->drawn && now - b->drawn_us < 200000 && done < total))
        return;
    b->drawn_us = now;
    b->drawn = true;
    double frac = total ? (double)done / (double)total : 0;
    if (frac > 1)
        frac = 1;
    char cells[31];
    int full = (int)(frac * 30);
    for (int i = 0; i < 30; i++)
        cells[i] = i < full ? '#' : '.';
    cells[30] = '\0';
    double secs = (double)(now - b->start_us) / 1e6;
    double eta = frac > 0 && frac < 1 ? secs / frac - secs : 0;
    fprintf(b->out, "\r\033[Kmisp import [%s] %3.0f%%  %.1f/%.1f MB  %llu events  ETA %.0f s",
            cells, frac * 100, (double)done / 1048576.0, (double)total / 1048576.0,
            (unsigned long long)events, eta);
    fflush(b->out);
}

static int parse_size(const char *v, const char *flag, size_t *out)
{
    int64_t n;
    if (lia_parse_i64(v, strlen(v), 1, INT64_MAX / 2, &n) != 0)
        return cli_error(CLI_USAGE, "misp", "%s must be a positive integer", flag);
    *out = (size_t)n;
    return 0;
}

static int misp_import_cmd(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"collection", required_argument, NULL, 'c'},
                                         {"from", required_argument, NULL, 'f'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"max-event-bytes", required_argument, NULL, 'b'},
                                         {"max-events", required_argument, NULL, 'e'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *dir = NULL, *coll = NULL, *from = NULL;
    bool json = false;
    size_t max_bytes = MISP_MAX_EVENT_BYTES, max_events = MISP_MAX_FEED_EVENTS;
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
        case 'f':
            from = optarg;
            break;
        case 'j':
            json = true;
            break;
        case 'b':
            if (parse_size(optarg, "--max-event-bytes", &max_bytes))
                return CLI_USAGE;
            break;
        case 'e':
            if (parse_size(optarg, "--max-events", &max_events))
                return CLI_USAGE;
            break;
        case 'h':
            misp_usage(stdout);
            return CLI_OK;
        default:
            misp_usage(stderr);
            return CLI_USAGE;
        }
    }
    if (!dir || !coll || optind != argc - 1)
        return misp_usage(stderr), CLI_USAGE;
    const char *path = argv[optind];
    struct store *s;
    int rc = cli_open_store("misp import", dir, 2, &s);
    if (rc)
        return rc;
    struct arena a;
    arena_init(&a, 0);
    struct lia_err err;
    lia_err_clear(&err);
    struct store_policy admin = {.all = true, .clearance = STORE_TLP_RED};
    struct store_collection col;
    struct access_principal who = {0};
    who.actor = "cli";
    who.admin = true;
    who.identity = access_instance_identity(s);
    who.policy = admin;
    struct store_partner p = {0};
    rc = store_collection_get(s, &admin, coll, &a, &col, &err);
    if (rc == 0 && from) {
        rc = cli_find_partner(s, from, &a, &p);
        if (rc) {
            arena_release(&a);
            store_close(s);
            return cli_exit_for(rc);
        }
        if (p.disabled)
            rc = lia_err_set(&err, LIA_EFORBIDDEN, "partner %s is disabled", p.name);
        memset(&who, 0, sizeof who);
        who.actor = arena_printf(&a, "partner:%s/misp-import", p.name);
        who.name = p.name;
        who.identity = p.identity_id;
        who.partner = p.rid;
        who.via_exchange = true;
        who.policy.partner = p.rid;
        who.policy.clearance = p.clearance;
    }
    struct bar bar = {.out = isatty(fileno(stderr)) ? stderr : NULL, .start_us = lia_now_us()};
    struct misp_import im = {
        .store = s,
        .coll = col.rid,
        .coll_id = col.id,
        .who = &who,
        .trust = from ? p.trust : NULL,
        .exchange = from != NULL,
        .map = {.sender_identity = from ? p.identity_id : NULL, .report = stderr},
        .max_event_bytes = max_bytes,
        .max_events = max_events,
        .progress = bar_draw,
        .progress_ctx = &bar};
    struct misp_summary sum;
    misp_summary_init(&sum);
    if (rc == 0)
        rc = misp_import_path(path, &im, &sum, &err);
    if (bar.drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    int code = CLI_OK;
    if (rc) {
        code = cli_error(cli_exit_for(rc), "misp import", "%s", err.msg);
        if (sum.events)
            fprintf(stderr, "liaison misp import: %llu events were imported before that\n",
                    (unsigned long long)sum.events);
    } else {
        if (json) {
            char *text = misp_summary_json(&sum);
            printf("%s\n", text ? text : "{}");
            free(text);
        } else {
            misp_summary_print(&sum, stdout);
        }
        if (sum.events_malformed)
            code = CLI_REFUSED;
    }
    misp_summary_release(&sum);
    arena_release(&a);
    store_close(s);
    return code;
}

static int misp_export_cmd(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'}, {"collection", required_argument, NULL, 'c'},
        {"for", required_argument, NULL, 'f'},  {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0}};
    const char *dir = NULL, *coll = NULL, *partner = NULL, *out = NULL;
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
        case 'f':
            partner = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'h':
            misp_usage(stdout);
            return CLI_OK;
        default:
            misp_usage(stderr);
            return CLI_USAGE;
        }
    }
    if (!dir || !coll || !partner || !out || optind != argc)
        return misp_usage(stderr), CLI_USAGE;
    struct store *s;
    int rc = cli_open_store("misp export", dir, 2, &s);
    if (rc)
        return rc;
    struct arena a;
    arena_init(&a, 0);
    struct store_partner p;
    rc = cli_find_partner(s, partner, &a, &p);
    if (rc) {
        arena_release(&a);
        store_close(s);
        return cli_exit_for(rc);
    }
    struct lia_err err;
    lia_err_clear(&err);
    uint64_t events = 0;
    rc = misp_export_feed(s, p.rid, coll, out, &events, &err);
    if (rc == 0)
        printf("misp export: %llu events for %s in %s\n", (unsigned long long)events, p.name, out);
    arena_release(&a);
    store_close(s);
    return rc ? cli_error(cli_exit_for(rc), "misp export", "%s", err.msg) : CLI_OK;
}

int cli_misp(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "import"))
        return misp_import_cmd(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "export"))
        return misp_export_cmd(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
        return misp_usage(stdout), CLI_OK;
    misp_usage(stderr);
    return CLI_USAGE;
}
