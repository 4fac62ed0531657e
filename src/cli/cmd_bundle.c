/*
 * `liaison export`, `liaison import` and `liaison key show`: the offline
 * exchange of signed bundle files between instances that share no network
 * (src/exchange/offline.c does the work; docs/exchange.md has the format).
 * A file that fails verification exits 4 with nothing imported.
 */
#include "cli/cli_int.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange/exchange.h"
#include "stix/stix.h"

static void export_usage(FILE *out)
{
    fprintf(out,
            "usage: liaison export --data DIR --for PARTNER|GROUP --collection C\n"
            "                      [--since TIMESTAMP] --out FILE|DIR\n\n"
            "Writes FILE: a bundle of every version in C that PARTNER may receive (the same gate\n"
            "as its reads), added after TIMESTAMP when given, signed with this instance's\n"
            "Ed25519 key. The disclosure is audited. --for a sharing group (its id or name)\n"
            "writes one such file per current member into the directory DIR, named\n"
            "<partner name>.bundle, each with what that member may receive, each disclosure on\n"
            "record for that member.\n");
}

static void import_usage(FILE *out)
{
    fprintf(out,
            "usage: liaison import --data DIR [--into C] FILE\n\n"
            "Verifies FILE's signature against the keys registered with `liaison partner key`\n"
            "and stores its objects as written by that partner. A tampered, truncated, unsigned\n"
            "or unknown-sender file is refused (exit 4) with nothing imported. Without --into:\n"
            "the collection used before for the sender's collection, or a new one. Importing\n"
            "the same file again adds nothing.\n");
}

static void key_usage(FILE *out)
{
    fprintf(out,
            "usage: liaison key show --data DIR\n"
            "       liaison key rotate --data DIR [--old-valid-days N]\n\n"
            "show prints this instance's Ed25519 public key (hex), for partners to register\n"
            "with `liaison partner key --set`.\n"
            "rotate makes a new signing key and a rotation notice signed by the old key and the\n"
            "new one (DIR/signing.rotation). Signed files carry the notice from then on; a\n"
            "partner accepts it only when the old key is the one registered there (or takes\n"
            "the file with `liaison partner key --notice FILE`). Files signed with the old key\n"
            "stay valid there for N days (default 30; 0: no longer).\n");
}

/* export --for GROUP: one signed file per current member, in the directory out. */
static int export_group(struct store *s, const struct store_group *g, const char *coll,
                        int64_t since, const char *dir, const char *out, struct arena *a)
{
    struct lia_err err;
    lia_err_clear(&err);
    int64_t *m;
    size_t n;
    int rc = store_group_members(s, g->rid, a, &m, &n, &err);
    if (rc)
        return cli_error(cli_exit_for(rc), "export", "%s", err.msg);
    if (n == 0)
        return cli_error(CLI_REFUSED, "export", "group %s has no member: nothing to export",
                         g->name);
    for (size_t i = 0; i < n; i++) {
        struct store_partner p;
        if ((rc = store_partner_get(s, m[i], NULL, NULL, a, &p, &err)) != 0)
            return cli_error(cli_exit_for(rc), "export", "%s", err.msg);
        char *path = arena_printf(a, "%s/%s.bundle", out, p.name);
        struct exchange_progress pr;
        exchange_progress_init(&pr, "export", stderr);
        struct exchange_export e = {.collection = coll,
                                    .partner = p.rid,
                                    .since = since,
                                    .out_path = path,
                                    .data_dir = dir,
                                    .progress = &pr};
        struct exchange_export_counts objects;
        if (!path)
            return cli_error(CLI_FAIL, "export", "out of memory");
        if ((rc = exchange_export_file(s, &e, &objects, &err)) != 0)
            return cli_error(cli_exit_for(rc), "export", "for %s (group %s): %s", p.name, g->name,
                             err.msg);
        char extra[600];
        snprintf(extra, sizeof extra, "exported for %s (group %s) to %s", p.name, g->name, path);
        exchange_progress_done(&pr, extra);
    }
    return CLI_OK;
}

/* cli_note_withheld for a collection named by id or alias. */
static void cli_note_withheld_named(struct store *s, const char *cmd, const char *coll)
{
    struct store_policy all = {.all = true, .clearance = STORE_TLP_RED};
    struct store_collection col;
    struct arena a;
    arena_init(&a, 0);
    struct lia_err err;
    lia_err_clear(&err);
    if (store_collection_get(s, &all, coll, &a, &col, &err) == 0)
        cli_note_withheld(s, cmd, col.rid);
    arena_release(&a);
}

int cli_export(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"for", required_argument, NULL, 'f'},
                                         {"collection", required_argument, NULL, 'c'},
                                         {"since", required_argument, NULL, 's'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *dir = NULL, *partner = NULL, *coll = NULL, *since = NULL, *out = NULL;
    int ch;
    cli_reset_getopt();
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            dir = optarg;
            break;
        case 'f':
            partner = optarg;
            break;
        case 'c':
            coll = optarg;
            break;
        case 's':
            since = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'h':
            export_usage(stdout);
            return CLI_OK;
        default:
            export_usage(stderr);
            return CLI_USAGE;
        }
    }
    if (!dir || !partner || !coll || !out || optind != argc)
        return export_usage(stderr), CLI_USAGE;
    struct lia_err err;
    lia_err_clear(&err);
    int64_t since_us = 0;
    if (since && cli_parse_since(since, &since_us, &err))
        return cli_error(CLI_USAGE, "export", "--since: %s", err.msg);
    struct store *s;
    int rc = cli_open_store("export", dir, 2, &s);
    if (rc)
        return rc;
    struct arena a;
    arena_init(&a, 0);
    struct store_group g;
    if (store_group_get(s, partner, &a, &g, &err) == 0) {
        rc = export_group(s, &g, coll, since_us, dir, out, &a);
        cli_note_withheld_named(s, "export", coll);
        arena_release(&a);
        store_close(s);
        return rc;
    }
    lia_err_clear(&err);
    struct store_partner p;
    rc = cli_find_partner(s, partner, &a, &p);
    if (rc) {
        arena_release(&a);
        store_close(s);
        return cli_exit_for(rc);
    }
    struct exchange_progress pr;
    exchange_progress_init(&pr, "export", stderr);
    struct exchange_export e = {.collection = coll,
                                .partner = p.rid,
                                .since = since_us,
                                .out_path = out,
                                .data_dir = dir,
                                .progress = &pr};
    struct exchange_export_counts n;
    rc = exchange_export_file(s, &e, &n, &err);
    if (rc == 0) {
        char extra[300];
        snprintf(extra, sizeof extra, "exported for %s to %s", p.name, out);
        exchange_progress_done(&pr, extra);
    }
    cli_note_withheld_named(s, "export", coll);
    arena_release(&a);
    store_close(s);
    return rc ? cli_error(cli_exit_for(rc), "export", "%s", err.msg) : CLI_OK;
}

int cli_import(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"into", required_argument, NULL, 'i'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *dir = NULL, *into = NULL;
    int ch;
    cli_reset_getopt();
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            dir = optarg;
            break;
        case 'i':
            into = optarg;
            break;
        case 'h':
            import_usage(stdout);
            return CLI_OK;
        default:
            import_usage(stderr);
            return CLI_USAGE;
        }
    }
    if (!dir || optind != argc - 1)
        return import_usage(stderr), CLI_USAGE;
    struct store *s;
    int rc = cli_open_store("import", dir, 2, &s);
    if (rc)
        return rc;
    struct lia_err err;
    lia_err_clear(&err);
    struct exchange_progress pr;
    exchange_progress_init(&pr, "import", stderr);
    struct exchange_import im = {
        .path = argv[optind], .into = into, .progress = &pr, .report = stderr};
    struct exchange_result res;
    rc = exchange_import_file(s, &im, &res, &err);
    if (rc == 0) {
        char extra[300];
        snprintf(extra, sizeof extra, "imported %s: %llu new, %llu already held, %llu refused",
                 argv[optind], (unsigned long long)res.stored, (unsigned long long)res.existed,
                 (unsigned long long)res.refused);
        exchange_progress_done(&pr, extra);
    }
    store_close(s);
    return rc ? cli_error(cli_exit_for(rc), "import", "%s", err.msg) : CLI_OK;
}

static int key_rotate(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"old-valid-days", required_argument, NULL, 'v'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *dir = NULL;
    int64_t days = 30;
    int ch;
    cli_reset_getopt();
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            dir = optarg;
            break;
        case 'v':
            if (lia_parse_i64(optarg, strlen(optarg), 0, 3650, &days))
                return cli_error(CLI_USAGE, "key rotate", "--old-valid-days expects 0 to 3650");
            break;
        case 'h':
            key_usage(stdout);
            return CLI_OK;
        default:
            key_usage(stderr);
            return CLI_USAGE;
        }
    }
    if (!dir || optind != argc)
        return key_usage(stderr), CLI_USAGE;
    struct store *s;
    int rc = cli_open_store("key rotate", dir, 1, &s);
    if (rc)
        return rc;
    struct lia_err err;
    lia_err_clear(&err);
    struct exchange_rotation n;
    rc = exchange_key_rotate(s, dir, lia_now_us() + days * 86400LL * 1000000LL, &n, &err);
    store_close(s);
    if (rc)
        return cli_error(cli_exit_for(rc), "key rotate", "%s", err.msg);
    printf("new signing key: %s\nold key:         %s (files it signed stay valid until %s)\n"
           "notice:          %s/signing.rotation (carried by every signed file from now on;\n"
           "                 hand it over with `liaison partner key --notice FILE`)\n",
           n.new_key, n.old_key, n.until, dir);
    return CLI_OK;
}

int cli_key(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "rotate"))
        return key_rotate(argc - 1, argv + 1);
    if (argc < 2 || strcmp(argv[1], "show") != 0) {
        if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
            return key_usage(stdout), CLI_OK;
        return key_usage(stderr), CLI_USAGE;
    }
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *dir = NULL;
    int ch;
    cli_reset_getopt();
    while ((ch = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            dir = optarg;
            break;
        case 'h':
            key_usage(stdout);
            return CLI_OK;
        default:
            key_usage(stderr);
            return CLI_USAGE;
        }
    }
    if (!dir || optind != argc - 1)
        return key_usage(stderr), CLI_USAGE;
    char path[4200];
    snprintf(path, sizeof path, "%s/signing.pub", dir);
    char *text = NULL;
    size_t len = 0;
    struct lia_err err;
    lia_err_clear(&err);
    int rc = lia_read_file(path, 4096, &text, &len, &err);
    if (rc)
        return cli_error(cli_exit_for(rc), "key show", "%s", err.msg);
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    printf("%.*s\n", (int)len, text);
    free(text);
    return CLI_OK;
}
