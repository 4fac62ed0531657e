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
    {"grant", cli_grant, "give a partner rights on a collection"},
    {"revoke", cli_revoke, "take a partner's rights on a collection away"},
    {"audit", cli_audit_cmd, "show and verify the audit log"},
    {"rfi", cli_rfi, "send, answer and track requests for information"},
    {"peer", cli_peer, "register the TAXII servers of partners to exchange with"},
    {"pull", cli_pull, "fetch what a peer added since the last pull"},
    {"push", cli_push, "send a peer what its partner may receive"},
    {"export", cli_export, "write a signed bundle file for a partner"},
    {"import", cli_import, "verify and store a partner's signed bundle file"},
    {"key", cli_key, "show this instance's public signing key"},
    {"migrate", cli_migrate, "apply pending schema migrations to a PostgreSQL store"},
    {"store", cli_store, "copy a whole store between SQLite and PostgreSQL"},
    {"watch", cli_watch, "standing queries that fire on new intelligence"},
    {"flows", cli_flows, "what is reported moving where: flow edges, with their sources"},
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
    for (const struct cli_command *c = commands; c->name; c++)
        if (!strcmp(argv[1], c->name))
            return c->run(argc - 1, argv + 1);
    fprintf(stderr, "liaison: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}
