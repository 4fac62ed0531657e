/*
 * `liaison group ...`: sharing groups (docs/groups.md). A group is a circle of partners that
 * objects are released to through the group's marking-definition; its id is that definition's
 * id. Membership is read at every query, so adding or removing a member holds from the next
 * read on. Every change is audited.
 */
#include "cli/cli_int.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "access/access.h"
#include "stix/stix.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: liaison group add --data DIR --name NAME [--description D] "
            "[--disclose-members]\n"
            "       liaison group member add|remove --data DIR --group G --partner P\n"
            "       liaison group list --data DIR\n"
            "       liaison group show --data DIR G\n"
            "       liaison group remove --data DIR G [--force]\n\n"
            "G is a group's id (its marking-definition id, which add prints) or its name.\n"
            "Mark an object with the group's id (object_marking_refs) to release it to the\n"
            "group's current members, where TLP, clearance, REL TO and collection rights also\n"
            "allow it. Members learn the group's name and description; the other members only\n"
            "with --disclose-members. remove is refused while objects use the group, unless\n"
            "--force (on record; those objects are then released to no one).\n"
            "`liaison grant --collection C --group G --read|--write` gives every member rights.\n");
}

/* Finds a group by id or name; prints the error and returns its code. */
static int find_group(struct store *s, const char *cmd, const char *key, struct arena *a,
                      struct store_group *g)
{
    struct lia_err err;
    lia_err_clear(&err);
    int rc = store_group_get(s, key, a, g, &err);
    if (rc == LIA_ENOTFOUND)
        cli_error(CLI_NOTFOUND, cmd, "no group '%s' (see `liaison group list`)", key);
    else if (rc)
        cli_error(cli_exit_for(rc), cmd, "%s", err.msg);
    return rc;
}

static int add(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"name", required_argument, NULL, 'n'},
                                         {"description", required_argument, NULL, 'D'},
                                         {"disclose-members", no_argument, NULL, 'x'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *dir = NULL, *name = NULL, *description = NULL;
    bool disclose = false;
    int ch;
    cli_reset_getopt();
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            dir = optarg;
            break;
        case 'n':
            name = optarg;
            break;
        case 'D':
            description = optarg;
            break;
        case 'x':
            disclose = true;
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            usage(stderr);
            return CLI_USAGE;
        }
    }
    if (!dir || !name || optind != argc)
        return usage(stderr), CLI_USAGE;
    struct lia_err err;
    lia_err_clear(&err);
    if (access_group_check(name, description, &err))
        return cli_error(CLI_USAGE, "group add", "%s", err.msg);
    struct store *s;
    int rc = cli_open_store("group add", dir, 1, &s);
    if (rc)
        return rc;
    struct arena a;
    arena_init(&a, 0);
    const char *id = NULL;
    rc = access_group_add(s, "cli", name, description, disclose, &a, &id, &err);
    if (rc == 0)
        printf("%s\n", id);
    else
        cli_error(cli_exit_for(rc), "group add", "%s", err.msg);
    arena_release(&a);
    store_close(s);
    return cli_exit_for(rc);
}

static int member(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"group", required_argument, NULL, 'g'},
                                         {"partner", required_argument, NULL, 'p'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    if (argc < 2 || (strcmp(argv[1], "add") != 0 && strcmp(argv[1], "remove") != 0))
        return usage(stderr), CLI_USAGE;
    bool add_it = !strcmp(argv[1], "add");
    const char *cmd = add_it ? "group member add" : "group member remove";
    const char *dir = NULL, *group = NULL, *partner = NULL;
    int ch;
    argc--, argv++;
    cli_reset_getopt();
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            dir = optarg;
            break;
        case 'g':
            group = optarg;
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
    if (!dir || !group || !partner || optind != argc)
        return usage(stderr), CLI_USAGE;
    struct store *s;
    int rc = cli_open_store(cmd, dir, 1, &s);
    if (rc)
        return rc;
    struct arena a;
    arena_init(&a, 0);
    struct lia_err err;
    lia_err_clear(&err);
    struct store_group g;
    struct store_partner p;
    rc = find_group(s, cmd, group, &a, &g);
    if (rc == 0 && (rc = cli_find_partner(s, partner, &a, &p)) == 0) {
        rc = access_group_member(s, "cli", &g, &p, add_it, &err);
        if (rc == 0)
            printf("%s: %s %s %s\n", cmd, p.name,
                   add_it ? "is now a member of" : "is no longer a member of", g.name);
        else
            cli_error(cli_exit_for(rc), cmd, "%s", err.msg);
    }
    arena_release(&a);
    store_close(s);
    return cli_exit_for(rc);
}

/* The data directory, and at most one positional argument (*arg), and --force. */
static int parse_simple(const char *cmd, int argc, char **argv, const char **dir, const char **arg,
                        bool *force, bool allow_force)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"force", no_argument, NULL, 'f'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int ch;
    *dir = *arg = NULL;
    *force = false;
    cli_reset_getopt();
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            *dir = optarg;
            break;
        case 'f':
            *force = true;
            break;
        case 'h':
            usage(stdout);
            return -1;
        default:
            usage(stderr);
            return CLI_USAGE;
        }
    }
    if (optind < argc)
        *arg = argv[optind++];
    if (!*dir || optind != argc || (*force && !allow_force))
        return usage(stderr), cli_error(CLI_USAGE, cmd, "see the usage above");
    return 0;
}

static int list(int argc, char **argv)
{
    const char *dir, *arg;
    bool force;
    int rc = parse_simple("group list", argc, argv, &dir, &arg, &force, false);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    if (arg)
        return usage(stderr), CLI_USAGE;
    struct store *s;
    if ((rc = cli_open_store("group list", dir, 1, &s)) != 0)
        return rc;
    struct arena a;
    arena_init(&a, 0);
    struct lia_err err;
    lia_err_clear(&err);
    struct store_group *g;
    size_t n;
    rc = store_group_list(s, 0, &a, &g, &n, &err);
    for (size_t i = 0; i < n && rc == 0; i++)
        printf("%s  %s  members=%lld  disclose_members=%s\n", g[i].marking, g[i].name,
               (long long)g[i].members, g[i].disclose ? "yes" : "no");
    /* Partners' circles we received objects for: shown, never released further. */
    char **texts = NULL;
    size_t nf = 0;
    if (rc == 0)
        rc = store_group_foreign_list(s, ACCESS_EXT_GROUP, &a, &texts, &nf, &err);
    for (size_t i = 0; i < nf && rc == 0; i++) {
        json_t *m = json_loads(texts[i], 0, NULL);
        json_t *ext = json_object_get(json_object_get(m, "extensions"), ACCESS_EXT_GROUP);
        const char *id = json_string_value(json_object_get(m, "id"));
        const char *name = json_string_value(json_object_get(ext, "name"));
        const char *by = json_string_value(json_object_get(m, "created_by_ref"));
        struct store_partner p;
        struct lia_err e2;
        lia_err_clear(&e2);
        const char *who = by && store_partner_get(s, 0, "identity", by, &a, &p, &e2) == 0 ? p.name
                          : by                                                            ? by
                               : "an unknown service";
        printf("%s  released by %s to: %s  (a partner's circle: kept, released to no one here)\n",
               id ? id : "?", who, name ? name : "?");
        json_decref(m);
    }
    if (rc)
        cli_error(cli_exit_for(rc), "group list", "%s", err.msg);
    arena_release(&a);
    store_close(s);
    return cli_exit_for(rc);
}

static int show_or_remove(bool remove, int argc, char **argv)
{
    const char *cmd = remove ? "group remove" : "group show";
    const char *dir, *key;
    bool force;
    int rc = parse_simple(cmd, argc, argv, &dir, &key, &force, remove);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    if (!key)
        return usage(stderr), cli_error(CLI_USAGE, cmd, "name the group (its id or name)");
    struct store *s;
    if ((rc = cli_open_store(cmd, dir, 1, &s)) != 0)
        return rc;
    struct arena a;
    arena_init(&a, 0);
    struct lia_err err;
    lia_err_clear(&err);
    struct store_group g;
    int64_t uses = 0;
    rc = find_group(s, cmd, key, &a, &g);
    if (rc) {
        arena_release(&a);
        store_close(s);
        return cli_exit_for(rc);
    }
    if (!remove)
        rc = store_group_uses(s, g.rid, &uses, &err);
    if (rc == 0 && !remove) {
        int64_t *m;
        size_t n;
        rc = store_group_members(s, g.rid, &a, &m, &n, &err);
        if (rc == 0) {
            printf("id: %s\nname: %s\ndescription: %s\ndisclose_members: %s\nobjects: %lld\n"
                   "members: %zu\n",
                   g.marking, g.name, g.description ? g.description : "", g.disclose ? "yes" : "no",
                   (long long)uses, n);
            for (size_t i = 0; i < n && rc == 0; i++) {
                struct store_partner p;
                rc = store_partner_get(s, m[i], NULL, NULL, &a, &p, &err);
                if (rc == 0)
                    printf("  %s  %s\n", p.name, p.identity_id);
            }
            printf("definition: %s\n", g.definition);
        }
    } else if (rc == 0) {
        rc = access_group_remove(s, "cli", &g, force, &uses, &err);
        if (rc == 0)
            printf("group remove: %s removed%s\n", g.name,
                   uses ? " (forced; the objects released to it now reach no one)" : "");
    }
    if (rc)
        cli_error(cli_exit_for(rc), cmd, "%s", err.msg);
    arena_release(&a);
    store_close(s);
    return cli_exit_for(rc);
}

int cli_group(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    const char *verb = argv[1];
    if (!strcmp(verb, "add"))
        return add(argc - 1, argv + 1);
    if (!strcmp(verb, "member"))
        return member(argc - 1, argv + 1);
    if (!strcmp(verb, "list"))
        return list(argc - 1, argv + 1);
    if (!strcmp(verb, "show") || !strcmp(verb, "remove"))
        return show_or_remove(!strcmp(verb, "remove"), argc - 1, argv + 1);
    usage(stderr);
    return cli_error(CLI_USAGE, "group", "unknown subcommand '%s'", verb);
}

int cli_find_group(struct store *s, const char *cmd, const char *key, struct arena *a,
                   struct store_group *g)
{
    return find_group(s, cmd, key, a, g);
}
