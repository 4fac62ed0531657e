/*
 * `liaison token issue|list|revoke`: credentials. A token is printed once,
 * at issue; the store keeps only its hash, and `list` shows ids, never
 * secrets.
 */
#include "cli/cli_int.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "access/access.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: liaison token issue --data DIR (--admin | --partner PARTNER) [--read-only]\n"
            "                           [--expires DURATION] [--label TEXT]\n"
            "       liaison token list --data DIR\n"
            "       liaison token revoke --data DIR [--] ID\n\n"
            "issue prints a new token once, on the last line of stdout. DURATION is a number\n"
            "followed by s, m, h or d (e.g. 90d). Present it as 'Authorization: Bearer TOKEN'\n"
            "or as the password of HTTP Basic.\n");
}

static int issue(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},    {"admin", no_argument, NULL, 'A'},
        {"partner", required_argument, NULL, 'p'}, {"read-only", no_argument, NULL, 'r'},
        {"expires", required_argument, NULL, 'e'}, {"label", required_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    const char *dir = NULL, *partner = NULL;
    struct access_token_spec spec = {0};
    int ch;
    cli_reset_getopt();
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            dir = optarg;
            break;
        case 'A':
            spec.admin = true;
            break;
        case 'p':
            partner = optarg;
            break;
        case 'r':
            spec.read_only = true;
            break;
        case 'L':
            spec.label = optarg;
            break;
        case 'e': {
            int64_t d;
            if (cli_parse_duration(optarg, &d))
                return cli_error(CLI_USAGE, "token issue",
                                 "--expires expects a duration such as 3600s, 30m, 12h or 90d");
            spec.expires = lia_now_us() + d;
            break;
        }
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
    if (spec.admin == (partner != NULL))
        return cli_error(CLI_USAGE, "token issue",
                         "say whom the token is for: --admin or --partner PARTNER (one of them)");
    if (spec.label && strlen(spec.label) > 200)
        return cli_error(CLI_USAGE, "token issue", "--label is longer than 200 bytes");
    struct store *s;
    int rc = cli_open_store("token issue", dir, 1, &s);
    if (rc)
        return rc;
    char token[ACCESS_TOKEN_MAX], id[32];
    struct lia_err err;
    lia_err_clear(&err);
    struct arena a;
    arena_init(&a, 0);
    struct store_partner p = {0};
    if (partner && (rc = cli_find_partner(s, partner, &a, &p)) != 0) {
        arena_release(&a);
        store_close(s);
        return cli_exit_for(rc);
    }
    spec.partner = p.rid;
    rc = access_token_issue(s, &spec, token, id, &err);
    if (rc == 0) {
        char detail[300];
        snprintf(detail, sizeof detail,
                 "{\"token\":\"%s\",\"admin\":%s,\"read_only\":%s,\"partner\":\"%s\"}", id,
                 spec.admin ? "true" : "false", spec.read_only ? "true" : "false",
                 p.identity_id ? p.identity_id : "");
        rc = cli_audit(s, "token.issue", detail, &err);
    }
    arena_release(&a);
    store_close(s);
    if (rc)
        return cli_error(cli_exit_for(rc), "token issue", "%s", err.msg);
    printf("Token %s issued (shown once):\n%s\n", id, token);
    sodium_memzero(token, sizeof token);
    return CLI_OK;
}

static int list(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--help"))
        return usage(stdout), CLI_OK;
    if (argc != 3 || strcmp(argv[1], "--data") != 0) {
        usage(stderr);
        return CLI_USAGE;
    }
    struct store *s;
    int rc = cli_open_store("token list", argv[2], 1, &s);
    if (rc)
        return rc;
    struct arena a;
    arena_init(&a, 0);
    struct store_token *toks;
    size_t n;
    struct lia_err err;
    lia_err_clear(&err);
    rc = store_token_list(s, &a, &toks, &n, &err);
    struct store_partner *ps = NULL;
    size_t np = 0;
    rc = rc ? rc : store_partner_list(s, &a, &ps, &np, &err);
    if (rc == 0) {
        printf("%-16s  %-8s  %-16s  %-9s  %-24s  %-24s  %s\n", "ID", "KIND", "PARTNER", "STATE",
               "CREATED", "EXPIRES", "LABEL");
        for (size_t i = 0; i < n; i++) {
            char created[32], expires[32] = "never";
            lia_format_ts(toks[i].created, 0, created);
            if (toks[i].expires)
                lia_format_ts(toks[i].expires, 0, expires);
            const char *state = toks[i].revoked                                      ? "revoked"
                                : toks[i].expires && toks[i].expires <= lia_now_us() ? "expired"
                                                                                     : "active";
            const char *partner = "-"; /* whose token it is, by the partner's name */
            for (size_t k = 0; k < np && toks[i].partner; k++)
                if (ps[k].rid == toks[i].partner)
                    partner = ps[k].name;
            printf("%-16s  %-8s  %-16s  %-9s  %-24s  %-24s  %s\n", toks[i].id,
                   toks[i].admin     ? "admin"
                   : toks[i].partner ? "partner"
                                     : "local",
                   partner, state, created, expires, toks[i].label ? toks[i].label : "");
        }
    }
    arena_release(&a);
    store_close(s);
    return rc ? cli_error(cli_exit_for(rc), "token list", "%s", err.msg) : CLI_OK;
}

/* The shape of a token id: 16 base64url characters (no option has it). */
static bool is_token_id(const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
            return false;
    return n == 16;
}

static int revoke(int argc, char **argv)
{
    const char *dir = NULL, *id = NULL;
    bool options = true; /* until "--" */
    for (int i = 1; i < argc; i++) {
        if (options && !strcmp(argv[i], "--"))
            options = false;
        else if (options && !strcmp(argv[i], "--data") && i + 1 < argc)
            dir = argv[++i];
        else if (options && !strcmp(argv[i], "--help"))
            return usage(stdout), CLI_OK;
        else if (!id && (!options || argv[i][0] != '-' || is_token_id(argv[i])))
            id = argv[i]; /* ids made before 2026-11-30 may start with '-' */
        else
            return usage(stderr), CLI_USAGE;
    }
    if (!dir || !id)
        return usage(stderr), CLI_USAGE;
    struct store *s;
    int rc = cli_open_store("token revoke", dir, 1, &s);
    if (rc)
        return rc;
    struct lia_err err;
    lia_err_clear(&err);
    rc = strlen(id) < 64 ? store_token_revoke(s, id, &err)
                         : lia_err_set(&err, LIA_ENOTFOUND, "no token with that id");
    if (rc == 0) {
        char detail[128];
        snprintf(detail, sizeof detail, "{\"token\":\"%s\"}", id);
        rc = cli_audit(s, "token.revoke", detail, &err);
    }
    store_close(s);
    if (rc)
        return cli_error(cli_exit_for(rc), "token revoke", "%s", err.msg);
    printf("Token %s revoked.\n", id);
    return CLI_OK;
}

int cli_token(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (!strcmp(argv[1], "issue"))
        return issue(argc - 1, argv + 1);
    if (!strcmp(argv[1], "list"))
        return list(argc - 1, argv + 1);
    if (!strcmp(argv[1], "revoke"))
        return revoke(argc - 1, argv + 1);
    usage(stderr);
    return cli_error(CLI_USAGE, "token", "unknown subcommand '%s'", argv[1]);
}
