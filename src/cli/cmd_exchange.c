/*
 * `liaison exchange list|remove`: the pulls and pushes configured with peers (their
 * checkpoints: what `liaison serve` repeats, what `pull` without --collection runs). remove
 * forgets one, for instance the pull of a mistyped collection that would fail forever; the
 * local collection it filled stays (`collection remove`). Changes are on record.
 */
#include "cli/cli_int.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: liaison exchange list --data DIR [PEER]\n"
            "       liaison exchange remove --data DIR PEER (--pull REMOTE_ID | --push LOCAL)\n\n"
            "list prints each configured exchange: peer, direction, remote and local\n"
            "collection, last success and last error. remove forgets the pull of REMOTE_ID\n"
            "or the push of LOCAL (id or alias) with PEER, with how far it got.\n");
}

static const char *local_name(const struct store_collection *cols, size_t n, int64_t rid)
{
    for (size_t i = 0; i < n; i++)
        if (cols[i].rid == rid)
            return cols[i].alias ? cols[i].alias : cols[i].id;
    return "(removed)";
}

static int list(struct store *s, const char *only, struct arena *a, struct lia_err *err)
{
    struct store_peer *peers;
    size_t np = 0, nc = 0, shown = 0;
    struct store_collection *cols;
    struct store_policy all = {.all = true, .clearance = STORE_TLP_RED};
    int rc = store_peer_list(s, a, &peers, &np, err);
    rc = rc ? rc : store_collection_list(s, &all, a, &cols, &nc, err);
    if (rc == 0)
        printf("%-16s %-4s %-38s %-38s %-20s %s\n", "PEER", "DIR", "REMOTE", "LOCAL",
               "LAST SUCCESS", "LAST ERROR");
    for (size_t i = 0; rc == 0 && i < np; i++) {
        if (only && strcmp(only, peers[i].name) != 0)
            continue;
        struct store_checkpoint *cps;
        size_t n = 0;
        rc = store_checkpoint_list(s, peers[i].rid, a, &cps, &n, err);
        for (size_t k = 0; rc == 0 && k < n; k++, shown++) {
            char ok[32] = "never";
            if (cps[k].last_ok)
                lia_format_ts(cps[k].last_ok, 0, ok);
            printf("%-16s %-4s %-38s %-38s %-20s %s\n", peers[i].name, cps[k].direction,
                   cps[k].remote_coll, local_name(cols, nc, cps[k].local_coll), ok,
                   cps[k].last_error ? cps[k].last_error : "-");
        }
    }
    if (rc == 0 && only && !shown) {
        struct store_peer p;
        rc = store_peer_get(s, 0, only, a, &p, err);
    }
    return rc;
}

int cli_exchange(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    bool is_list = !strcmp(argv[1], "list");
    if (!is_list && strcmp(argv[1], "remove") != 0)
        return usage(stderr), cli_error(CLI_USAGE, "exchange", "unknown subcommand '%s'", argv[1]);
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"pull", required_argument, NULL, 'l'},
                                         {"push", required_argument, NULL, 's'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *dir = NULL, *pull = NULL, *push = NULL;
    int ch;
    cli_reset_getopt();
    while ((ch = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            dir = optarg;
            break;
        case 'l':
            pull = optarg;
            break;
        case 's':
            push = optarg;
            break;
        case 'h':
            return usage(stdout), CLI_OK;
        default:
            return usage(stderr), CLI_USAGE;
        }
    }
    const char *peer_name = optind < argc - 1 ? argv[1 + optind++] : NULL;
    if (!dir || optind != argc - 1 || (is_list && (pull || push)) ||
        (!is_list && (!peer_name || !pull == !push)))
        return usage(stderr), CLI_USAGE;
    const char *cmd = is_list ? "exchange list" : "exchange remove";
    struct store *s;
    int rc = cli_open_store(cmd, dir, 1, &s);
    if (rc)
        return rc;
    struct arena a;
    arena_init(&a, 0);
    struct lia_err err;
    lia_err_clear(&err);
    if (is_list) {
        rc = list(s, peer_name, &a, &err);
    } else {
        struct store_peer peer;
        struct store_collection col = {0};
        struct store_policy all = {.all = true, .clearance = STORE_TLP_RED};
        int64_t removed = 0;
        rc = store_peer_get(s, 0, peer_name, &a, &peer, &err);
        if (rc == 0 && push)
            rc = store_collection_get(s, &all, push, &a, &col, &err);
        if (rc == 0)
            rc = store_checkpoint_remove(s, peer.rid, pull ? "pull" : "push", pull, col.rid,
                                         &removed, &err);
        if (rc == 0 && !removed)
            rc = lia_err_set(&err, LIA_ENOTFOUND,
                             "peer %s has no %s of %s (see `liaison exchange "
                             "list`)",
                             peer_name, pull ? "pull" : "push", pull ? pull : push);
        if (rc == 0) {
            struct dbuf d;
            dbuf_init(&d, 4096);
            dbuf_puts(&d, "{\"peer\":");
            dbuf_json_string(&d, peer_name, strlen(peer_name));
            dbuf_printf(&d, ",\"direction\":\"%s\",\"collection\":", pull ? "pull" : "push");
            dbuf_json_string(&d, pull ? pull : col.id, strlen(pull ? pull : col.id));
            dbuf_printf(&d, ",\"removed\":%lld}", (long long)removed);
            rc = d.ptr ? cli_audit(s, "exchange.remove", d.ptr, &err)
                       : lia_err_set(&err, LIA_ENOMEM, "out of memory");
            dbuf_release(&d);
        }
        if (rc == 0)
            printf("removed %lld exchange%s with %s\n", (long long)removed, removed == 1 ? "" : "s",
                   peer_name);
    }
    arena_release(&a);
    store_close(s);
    return rc ? cli_error(cli_exit_for(rc), cmd, "%s", err.msg) : CLI_OK;
}
