/*
 * `liaison collection add|list`: manage TAXII collections of a data
 * directory. Works while the server runs (the store takes the lock).
 */
#include "cli/cli_int.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "access/access.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: liaison collection add --data DIR --title T [--alias A] [--description D]\n"
            "                              [--default-tlp clear|green|amber|amber+strict|red]\n"
            "       liaison collection list --data DIR\n"
            "       liaison collection remove --data DIR C [--force]\n\n"
            "add prints the new collection's id. --default-tlp is the handling of objects that\n"
            "carry no TLP marking (default amber). remove deletes collection C (id or alias)\n"
            "with its grants and exchanges; it is refused while C holds objects, unless\n"
            "--force, which deletes them too, each on record.\n");
}

static bool valid_alias(const char *a)
{
    size_t n = strlen(a);
    if (n == 0 || n > 100)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((a[i] >= 'a' && a[i] <= 'z') || (a[i] >= 'A' && a[i] <= 'Z') ||
              (a[i] >= '0' && a[i] <= '9') || a[i] == '-' || a[i] == '_' || a[i] == '.'))
            return false;
    return true;
}

static int add(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"title", required_argument, NULL, 't'},
                                         {"alias", required_argument, NULL, 'a'},
                                         {"description", required_argument, NULL, 'D'},
                                         {"default-tlp", required_argument, NULL, 'T'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *dir = NULL, *title = NULL, *alias = NULL, *desc = NULL;
    int tlp = STORE_TLP_AMBER;
    int ch;
    cli_reset_getopt();
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            dir = optarg;
            break;
        case 't':
            title = optarg;
            break;
        case 'a':
            alias = optarg;
            break;
        case 'D':
            desc = optarg;
            break;
        case 'T':
            tlp = access_tlp_parse(optarg);
            if (tlp < STORE_TLP_CLEAR)
                return cli_error(CLI_USAGE, "collection add", "unknown TLP level '%s'", optarg);
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            usage(stderr);
            return CLI_USAGE;
        }
    }
    if (!dir || !title || optind != argc) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (!*title || strlen(title) > 256)
        return cli_error(CLI_USAGE, "collection add", "--title must have 1 to 256 bytes");
    if (alias && !valid_alias(alias))
        return cli_error(CLI_USAGE, "collection add",
                         "--alias may hold only letters, digits, '-', '_' and '.' (1-100)");
    if (desc && strlen(desc) > 4096)
        return cli_error(CLI_USAGE, "collection add", "--description is longer than 4096 bytes");
    struct store *s;
    int rc = cli_open_store("collection add", dir, 1, &s);
    if (rc)
        return rc;
    struct arena a;
    arena_init(&a, 0);
    struct store_collection col;
    struct lia_err err;
    lia_err_clear(&err);
    rc = store_collection_add(s, title, desc, alias, tlp, &a, &col, &err);
    if (rc == 0) {
        char *detail = arena_printf(&a, "{\"collection\":\"%s\"}", col.id);
        rc = cli_audit(s, "collection.add", detail, &err);
    }
    if (rc == 0)
        printf("%s\n", col.id);
    arena_release(&a);
    store_close(s);
    return rc ? cli_error(cli_exit_for(rc), "collection add", "%s", err.msg) : CLI_OK;
}

static int list(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *dir = NULL;
    int ch;
    cli_reset_getopt();
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            dir = optarg;
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
    struct store *s;
    int rc = cli_open_store("collection list", dir, 1, &s);
    if (rc)
        return rc;
    struct arena a;
    arena_init(&a, 0);
    struct store_collection *cols;
    size_t n;
    struct lia_err err;
    lia_err_clear(&err);
    struct store_policy all = {.all = true, .clearance = STORE_TLP_RED};
    rc = store_collection_list(s, &all, &a, &cols, &n, &err);
    if (rc == 0) {
        printf("%-36s  %-16s  %-12s  %s\n", "ID", "ALIAS", "DEFAULT_TLP", "TITLE");
        for (size_t i = 0; i < n; i++)
            printf("%-36s  %-16s  %-12s  %s\n", cols[i].id, cols[i].alias ? cols[i].alias : "-",
                   access_tlp_name(cols[i].default_tlp), cols[i].title);
    }
    arena_release(&a);
    store_close(s);
    return rc ? cli_error(cli_exit_for(rc), "collection list", "%s", err.msg) : CLI_OK;
}

/* Deletes every version of every object of col in t, each id on record (object.delete). */
static int empty_collection(struct store *s, struct store_txn *t,
                            const struct store_collection *col, struct arena *a, size_t *versions,
                            struct lia_err *err)
{
    struct store_policy all = {.all = true, .clearance = STORE_TLP_RED};
    struct store_filter f = {.version_sel = STORE_VER_ALL, .limit = 1000};
    int rc = 0;
    const char **ids = NULL;
    size_t n = 0, cap = 0;
    for (bool more = true; more && rc == 0;) { /* the ids first: the rows go afterwards */
        struct store_page page;
        rc = store_query_objects(s, &all, col->rid, &f, false, a, &page, err);
        for (size_t i = 0; rc == 0 && i < page.n; i++) {
            bool seen = false;
            for (size_t k = n; k > 0 && !seen && k + 64 > n; k--) /* versions come together */
                seen = !strcmp(ids[k - 1], page.rows[i].id);
            if (seen)
                continue;
            if (n == cap) {
                size_t ncap = cap ? 2 * cap : 256;
                const char **bigger = arena_alloc(a, ncap * sizeof *bigger);
                if (!bigger)
                    return lia_err_set(err, LIA_ENOMEM, "out of memory");
                if (n)
                    memcpy(bigger, ids, n * sizeof *ids);
                ids = bigger, cap = ncap;
            }
            ids[n++] = page.rows[i].id;
        }
        more = rc == 0 && page.more && page.n;
        if (more)
            f.after_key = page.rows[page.n - 1].date_added;
    }
    struct store_filter every = {.version_sel = STORE_VER_ALL};
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct store_row *gone = NULL;
        size_t deleted = 0;
        rc = store_delete_object(t, &all, col->rid, ids[i], &every, a, &gone, &deleted, err);
        char *detail =
            rc || !deleted ? NULL : audit_delete_detail(a, col->id, ids[i], gone, deleted);
        if (rc == 0 && deleted)
            rc = detail ? audit_append(t, "cli", "object.delete", detail, err)
                        : lia_err_set(err, LIA_ENOMEM, "out of memory");
        *versions += deleted;
    }
    return rc;
}

static int remove_collection(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"force", no_argument, NULL, 'f'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *dir = NULL;
    bool force = false;
    int ch;
    cli_reset_getopt();
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            dir = optarg;
            break;
        case 'f':
            force = true;
            break;
        case 'h':
            return usage(stdout), CLI_OK;
        default:
            return usage(stderr), CLI_USAGE;
        }
    }
    if (!dir || optind != argc - 1)
        return usage(stderr), CLI_USAGE;
    const char *which = argv[optind];
    struct store *s;
    int rc = cli_open_store("collection remove", dir, 2, &s);
    if (rc)
        return rc;
    struct arena a;
    arena_init(&a, 0);
    struct lia_err err;
    lia_err_clear(&err);
    struct store_policy all = {.all = true, .clearance = STORE_TLP_RED};
    struct store_collection col;
    struct store_txn *t = NULL;
    size_t versions = 0;
    int64_t left = 0;
    rc = store_collection_get(s, &all, which, &a, &col, &err);
    rc = rc ? rc : store_begin(s, &t, &err);
    if (rc == 0 && force)
        rc = empty_collection(s, t, &col, &a, &versions, &err);
    if (rc == 0)
        rc = store_collection_remove(t, col.rid, &left, &err);
    if (rc == 0) {
        char *detail =
            arena_printf(&a, "{\"collection\":\"%s\",\"versions_deleted\":%zu}", col.id, versions);
        rc = detail ? audit_append(t, "cli", "collection.remove", detail, &err)
                    : lia_err_set(&err, LIA_ENOMEM, "out of memory");
    }
    if (t && rc)
        store_rollback(t);
    else if (t)
        rc = store_commit(t, &err);
    if (rc == LIA_ECONFLICT && left)
        lia_err_set(&err, LIA_ECONFLICT,
                    "collection %s holds %lld object versions: nothing removed (--force deletes "
                    "them too, each on record)",
                    which, (long long)left);
    if (rc == 0)
        printf("collection %s removed (%zu object versions deleted)\n", col.id, versions);
    arena_release(&a);
    store_close(s);
    return rc ? cli_error(cli_exit_for(rc), "collection remove", "%s", err.msg) : CLI_OK;
}

int cli_collection(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (!strcmp(argv[1], "add"))
        return add(argc - 1, argv + 1);
    if (!strcmp(argv[1], "list"))
        return list(argc - 1, argv + 1);
    if (!strcmp(argv[1], "remove"))
        return remove_collection(argc - 1, argv + 1);
    usage(stderr);
    return cli_error(CLI_USAGE, "collection", "unknown subcommand '%s'", argv[1]);
}
