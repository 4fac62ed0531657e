/*
 * liaison's entry point: finds the command and hands it the rest of argv.
 * Commands live one concern per file in src/cli/ (and intake in src/intake/).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_int.h"
#include "intake/intake.h"
#include "rfi/rfi.h"

static const struct cli_command commands[] = {
    {"init", cli_init, "create a data directory with a store and an admin token"},
    {"serve", cli_serve, "serve TAXII 2.1 from a data directory"},
    {"config", cli_config_cmd, "print the default configuration, or check one"},
    {"collection", cli_collection, "add and list collections"},
    {"token", cli_token, "issue, list and revoke access tokens"},
    {"partner", cli_partner, "register and manage partner services"},
    {"group", cli_group, "sharing groups: circles of partners to release to"},
    {"user", cli_user, "the people of this instance and their roles"},
    {"release", cli_release, "four-eyes release: held versions, approvals, the policy"},
    {"review", cli_review, "review dates and retention: the queue, extend, delete"},
    {"grant", cli_grant, "give a partner (or a group's members) rights on a collection"},
    {"revoke", cli_revoke, "take a partner's rights on a collection away"},
    {"audit", cli_audit_cmd, "show and verify the audit log"},
    {"rfi", cli_rfi, "send, answer and track requests for information"},
    {"peer", cli_peer, "register the TAXII servers of partners to exchange with"},
    {"pull", cli_pull, "fetch what a peer added since the last pull"},
    {"push", cli_push, "send a peer what its partner may receive"},
    {"exchange", cli_exchange, "list and remove the pulls and pushes configured with peers"},
    {"export", cli_export, "write a signed bundle file for a partner"},
    {"import", cli_import, "verify and store a partner's signed bundle file"},
    {"key", cli_key, "show this instance's public signing key"},
    {"migrate", cli_migrate, "apply pending schema migrations to a store"},
    {"backup", cli_backup, "write a consistent copy of a running instance into one file"},
    {"restore", cli_restore, "restore a backup file into a new data directory, verified"},
    {"store", cli_store, "copy a whole store between SQLite and PostgreSQL"},
    {"watch", cli_watch, "standing queries that fire on new intelligence"},
    {"flows", cli_flows, "what is reported moving where: flow edges, with their sources"},
    {"corroboration", cli_corroboration, "who else reports an entity, graded, per source"},
    {"intake", intake_cli_main, "turn a news article into a draft STIX bundle"},
    {"misp", cli_misp, "import MISP events and feeds; export a MISP feed for a partner"},
    {NULL, NULL, NULL},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: liaison <command> [options]\n\ncommands:\n");
    for (const struct cli_command *c = commands; c->name; c++)
        fprintf(out, "  %-12s %s\n", c->name, c->summary);
    fprintf(out,
            "\n`liaison <command> --help` describes each command; docs/cli.md has them all.\n");
}

/* `--store URL` (or --store=URL) for every command that takes --data: taken out of argv here
 * and opened by cli_open_store instead of DIR's store. Without --data, `--data ""` is added:
 * commands that read only the store then need nothing else (those that read DIR's keys still
 * need --data). init, serve, migrate and store parse --store themselves. */
static int take_store_option(int *argc, char ***argv)
{
    static const char *const own[] = {"init", "serve", "migrate", "store", "intake"};
    for (size_t i = 0; i < sizeof own / sizeof *own; i++)
        if (!strcmp((*argv)[1], own[i]))
            return 0;
    const char *location = NULL;
    bool data = false;
    static char *out[256];
    if (*argc > 250)
        return 0; /* left to the command's parser */
    int n = 0;
    for (int i = 0; i < *argc; i++) {
        char *a = (*argv)[i];
        if (i >= 2 && !strcmp(a, "--store") && i + 1 < *argc) {
            location = (*argv)[++i];
            continue;
        }
        if (i >= 2 && !strncmp(a, "--store=", 8)) {
            location = a + 8;
            continue;
        }
        data = data || !strcmp(a, "--data") || !strncmp(a, "--data=", 7);
        out[n++] = a;
    }
    if (!location)
        return 0;
    int rc = cli_refuse_password((*argv)[1], location);
    if (rc)
        return rc;
    if (!data) {
        out[n++] = "--data";
        out[n++] = "";
    }
    cli_set_store_override(location);
    *argc = n;
    *argv = out;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("liaison %s\n", LIAISON_VERSION);
        return CLI_OK;
    }
    rfi_register_rules(); /* the write path applies them from now on */
    int rc = take_store_option(&argc, &argv);
    if (rc)
        return rc;
    for (const struct cli_command *c = commands; c->name; c++)
        if (!strcmp(argv[1], c->name))
            return c->run(argc - 1, argv + 1);
    fprintf(stderr, "liaison: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}
