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
            "       liaison collection list --data DIR\n\n"
            "add prints the new collection's id. --default-tlp is the handling of objects that\n"
            "carry no TLP marking (default amber).\n");
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
    usage(stderr);
    return cli_error(CLI_USAGE, "collection", "unknown subcommand '%s'", argv[1]);
}
