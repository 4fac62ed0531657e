/*
 * `liaison peer ...`: the remote TAXII 2.1 servers this instance exchanges
 * with (another liaison, or any TAXII 2.1 server), each tied to the local
 * partner it acts for: what is pulled from it is written as that partner,
 * and what is pushed to it is what that partner may read. The peer's token
 * or Basic password is kept in the store (pulls must present it) and never
 * printed: `show` says only which kind of credential is set. Credentials
 * inside a URL are refused (they would show everywhere the URL does).
 * Changes are audited.
 */
#include "cli/cli_int.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: liaison peer add --data DIR --name NAME --url URL [--partner P]\n"
            "                        (--token T | --basic USER | --client-cert F --client-key F)\n"
            "                        [--ca F] [--api-root R] [--timeout S] [--connect-timeout S]\n"
            "       liaison peer list --data DIR\n"
            "       liaison peer show --data DIR NAME\n"
            "       liaison peer remove --data DIR NAME\n"
            "       liaison peer set --data DIR NAME [--url URL] [--partner P] [--api-root R]\n"
            "                        [--token T | --basic USER | --client-cert F --client-key F]\n"
            "                        [--ca F] [--timeout S] [--connect-timeout S]\n\n"
            "A peer is a remote TAXII 2.1 server and the local partner it acts for (--partner,\n"
            "default: the partner named NAME). URL is its discovery URL (or, with --api-root,\n"
            "the base its API root is under). --token - reads the token from stdin. --basic USER\n"
            "logs in with HTTP Basic as USER, the password read from stdin. Tokens and passwords\n"
            "are stored, never shown; a URL with user:password@ is refused. --timeout (whole\n"
            "request, default 120 s from the command line, 60 s in scheduled sync) and\n"
            "--connect-timeout (default 10 s) are this peer's, 1 to 86400 seconds.\n"
            "show prints each configured pull and push: when it last succeeded, how far behind\n"
            "it is, its last error. set changes what it names (a new token, say) and keeps every\n"
            "exchange and how far it got.\n");
}

/* Whether an http(s) URL has a userinfo part (user[:password]@ before the host). */
static bool url_has_login(const char *url)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t host = strcspn(p, "/?#");
    return memchr(p, '@', host) != NULL;
}

static const char *auth_kind(const struct store_peer *p)
{
    return p->basic_user ? "basic" : p->token ? "token" : "certificate";
}

static int read_token(char *buf, size_t size)
{
    if (!fgets(buf, (int)size, stdin))
        return -1;
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    return n ? 0 : -1;
}

/* What peer add and peer set read from their options: given fields are set, the others NULL;
 * credentials checked (one kind at a time), file paths made absolute, a token of "-" read from
 * stdin into tok (the caller wipes it). */
struct peer_opts {
    const char *dir, *name, *url, *partner, *token, *cert, *key, *ca, *root, *user;
    int64_t timeout, connect_timeout;
    char tok[4096], rcert[4096], rkey[4096], rca[4096];
};

/* 0, or the exit code after saying what is wrong; -1 for --help. */
static int parse_peer_opts(int argc, char **argv, const char *cmd, bool add, struct peer_opts *o)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"name", required_argument, NULL, 'n'},
                                         {"url", required_argument, NULL, 'u'},
                                         {"partner", required_argument, NULL, 'p'},
                                         {"token", required_argument, NULL, 't'},
                                         {"client-cert", required_argument, NULL, 'c'},
                                         {"client-key", required_argument, NULL, 'k'},
                                         {"ca", required_argument, NULL, 'a'},
                                         {"api-root", required_argument, NULL, 'r'},
                                         {"basic", required_argument, NULL, 'b'},
                                         {"timeout", required_argument, NULL, 'T'},
                                         {"connect-timeout", required_argument, NULL, 'C'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    int ch;
    cli_reset_getopt();
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            o->dir = optarg;
            break;
        case 'n':
            if (!add)
                return usage(stderr), CLI_USAGE;
            o->name = optarg;
            break;
        case 'u':
            o->url = optarg;
            break;
        case 'p':
            o->partner = optarg;
            break;
        case 't':
            o->token = optarg;
            break;
        case 'c':
            o->cert = optarg;
            break;
        case 'k':
            o->key = optarg;
            break;
        case 'a':
            o->ca = optarg;
            break;
        case 'r':
            o->root = optarg;
            break;
        case 'b':
            o->user = optarg;
            break;
        case 'T':
        case 'C':
            if (lia_parse_i64(optarg, strlen(optarg), 1, 86400,
                              ch == 'T' ? &o->timeout : &o->connect_timeout))
                return cli_error(CLI_USAGE, cmd, "--%s expects 1 to 86400 seconds",
                                 ch == 'T' ? "timeout" : "connect-timeout");
            break;
        case 'h':
            usage(stdout);
            return -1;
        default:
            usage(stderr);
            return CLI_USAGE;
        }
    }
    if (!add && optind == argc - 1) /* peer set NAME */
        o->name = argv[optind++];
    if (!o->dir || !o->name || optind != argc || (add && !o->url))
        return usage(stderr), CLI_USAGE;
    if (add && !cli_valid_name(o->name, " "))
        return cli_error(
            CLI_USAGE, cmd,
            "--name must have 1-100 bytes without spaces, control characters, / \" or \\");
    if (!add && !o->url && !o->partner && !o->token && !o->cert && !o->key && !o->ca && !o->root &&
        !o->user && !o->timeout && !o->connect_timeout)
        return cli_error(CLI_USAGE, cmd, "nothing to change");
    if (o->url && strncmp(o->url, "http://", 7) && strncmp(o->url, "https://", 8))
        return cli_error(CLI_USAGE, cmd, "--url must start with http:// or https://");
    if ((o->url && url_has_login(o->url)) || (o->root && url_has_login(o->root)))
        /* Not the URL itself: it holds the secret. */
        return cli_error(CLI_USAGE, cmd,
                         "the URL holds a user name or password (user:password@): they would "
                         "show in every listing, message and audit entry. Give the URL without "
                         "them and log in with --basic USER (password on stdin) or --token -");
    if (!!o->token + !!o->user + !!(o->cert || o->key) > 1)
        return cli_error(
            CLI_USAGE, cmd,
            "give one login: --token, --basic USER or --client-cert with --client-key");
    if (o->user && !cli_valid_name(o->user, ":"))
        return cli_error(CLI_USAGE, cmd,
                         "--basic expects a user name of 1-100 bytes without ':' or control "
                         "characters");
    if (add && !o->token && !o->user && !o->cert && !o->key)
        return cli_error(CLI_USAGE, cmd,
                         "give either --token, --basic USER or --client-cert with --client-key");
    if (!!o->cert != !!o->key)
        return cli_error(CLI_USAGE, cmd, "--client-cert and --client-key go together");
    if ((o->token && !strcmp(o->token, "-")) || o->user) {
        if (read_token(o->tok, sizeof o->tok))
            return cli_error(CLI_USAGE, cmd,
                             o->user ? "no password on stdin (--basic reads it from there)"
                                     : "no token on stdin");
        o->token = o->tok;
    }
    const char *missing = o->cert && !realpath(o->cert, o->rcert) ? o->cert
                          : o->key && !realpath(o->key, o->rkey)  ? o->key
                          : o->ca && !realpath(o->ca, o->rca)     ? o->ca
                                                                  : NULL;
    if (missing) {
        sodium_memzero(o->tok, sizeof o->tok);
        return cli_error(CLI_NOTFOUND, cmd, "cannot find %s", missing);
    }
    return 0;
}

static int add(int argc, char **argv)
{
    struct peer_opts o;
    int prc = parse_peer_opts(argc, argv, "peer add", true, &o);
    if (prc)
        return prc < 0 ? CLI_OK : prc;
    const char *dir = o.dir, *name = o.name, *url = o.url, *partner = o.partner, *token = o.token;
    const char *cert = o.cert, *key = o.key, *ca = o.ca, *root = o.root;
    char *tokbuf = o.tok, *rcert = o.rcert, *rkey = o.rkey, *rca = o.rca;
    struct store *s;
    int rc = cli_open_store("peer add", dir, 1, &s);
    if (rc)
        return rc;
    struct arena a;
    arena_init(&a, 0);
    struct store_partner p;
    rc = cli_find_partner(s, partner ? partner : name, &a, &p);
    if (rc) {
        if (!partner)
            fprintf(stderr, "liaison peer add: give --partner for the partner this peer acts "
                            "for\n");
        arena_release(&a);
        store_close(s);
        sodium_memzero(tokbuf, sizeof o.tok);
        return cli_exit_for(rc);
    }
    struct lia_err err;
    lia_err_clear(&err);
    struct store_peer peer = {.name = name,
                              .url = url,
                              .api_root = root,
                              .partner = p.rid,
                              .token = token,
                              .client_cert = cert ? rcert : NULL,
                              .client_key = key ? rkey : NULL,
                              .ca = ca ? rca : NULL,
                              .basic_user = o.user,
                              .timeout_s = o.timeout,
                              .connect_timeout_s = o.connect_timeout};
    int64_t rid;
    rc = store_peer_add(s, &peer, &rid, &err);
    sodium_memzero(tokbuf, sizeof o.tok);
    if (rc == 0) {
        struct dbuf d;
        dbuf_init(&d, 8192);
        dbuf_puts(&d, "{\"peer\":");
        dbuf_json_string(&d, name, strlen(name));
        dbuf_puts(&d, ",\"url\":");
        dbuf_json_string(&d, url, strlen(url));
        dbuf_printf(&d, ",\"partner\":\"%s\",\"auth\":\"%s\"", p.identity_id, auth_kind(&peer));
        if (o.user) {
            dbuf_puts(&d, ",\"user\":");
            dbuf_json_string(&d, o.user, strlen(o.user));
        }
        dbuf_puts(&d, "}");
        rc = cli_audit(s, "peer.add", d.ptr, &err);
        dbuf_release(&d);
    }
    if (rc == 0)
        printf("peer %s added: %s, acting for partner %s\n", name, url, p.name);
    arena_release(&a);
    store_close(s);
    return rc ? cli_error(cli_exit_for(rc), "peer add", "%s", err.msg) : CLI_OK;
}

static int parse_dir_and_name(int argc, char **argv, const char *cmd, const char **dir,
                              const char **name)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int ch;
    *dir = NULL;
    cli_reset_getopt();
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            *dir = optarg;
            break;
        case 'h':
            usage(stdout);
            return -1;
        default:
            usage(stderr);
            return CLI_USAGE;
        }
    }
    if (!*dir || (name && optind != argc - 1) || (!name && optind != argc)) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (name)
        *name = argv[optind];
    (void)cmd;
    return 0;
}

static void fmt_ts(int64_t us, char out[32])
{
    if (us)
        lia_format_ts(us, 0, out);
    else
        snprintf(out, 32, "never");
}

static int list(int argc, char **argv)
{
    const char *dir;
    int rc = parse_dir_and_name(argc, argv, "peer list", &dir, NULL);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    struct store *s;
    if ((rc = cli_open_store("peer list", dir, 1, &s)) != 0)
        return rc;
    struct arena a;
    arena_init(&a, 0);
    struct lia_err err;
    lia_err_clear(&err);
    struct store_peer *ps;
    size_t n;
    rc = store_peer_list(s, &a, &ps, &n, &err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct store_partner p;
        const char *pname =
            store_partner_get(s, ps[i].partner, NULL, NULL, &a, &p, NULL) == 0 ? p.name : "?";
        printf("%-20s %-10s %-12s %s\n", ps[i].name, pname, auth_kind(&ps[i]), ps[i].url);
    }
    arena_release(&a);
    store_close(s);
    return rc ? cli_error(cli_exit_for(rc), "peer list", "%s", err.msg) : CLI_OK;
}

static int show(int argc, char **argv)
{
    const char *dir, *name;
    int rc = parse_dir_and_name(argc, argv, "peer show", &dir, &name);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    struct store *s;
    if ((rc = cli_open_store("peer show", dir, 1, &s)) != 0)
        return rc;
    struct arena a;
    arena_init(&a, 0);
    struct lia_err err;
    lia_err_clear(&err);
    struct store_peer peer;
    rc = store_peer_get(s, 0, name, &a, &peer, &err);
    struct store_partner p;
    struct store_checkpoint *cps = NULL;
    size_t n = 0;
    struct store_collection *cols = NULL;
    size_t n_cols = 0;
    struct store_policy admin = {.all = true, .clearance = STORE_TLP_RED};
    if (rc == 0)
        rc = store_partner_get(s, peer.partner, NULL, NULL, &a, &p, &err);
    if (rc == 0)
        rc = store_checkpoint_list(s, peer.rid, &a, &cps, &n, &err);
    if (rc == 0)
        rc = store_collection_list(s, &admin, &a, &cols, &n_cols, &err);
    if (rc == 0) {
        char created[32];
        lia_format_ts(peer.created, 0, created);
        printf("name:        %s\nurl:         %s\napi root:    %s\npartner:     %s (%s)\n"
               "trust:       %s\nauth:        %s\nca:          %s\nadded:       %s\n",
               peer.name, peer.url, peer.api_root ? peer.api_root : "(discovery)", p.name,
               p.identity_id, p.trust ? p.trust : "-",
               peer.basic_user ? "HTTP Basic"
               : peer.token    ? "bearer token (stored, not shown)"
                               : "client certificate",
               peer.ca ? peer.ca : "system", created);
        if (peer.basic_user)
            printf("login:       %s (password stored, not shown)\n", peer.basic_user);
        printf("timeouts:    %s request, %s connect\n",
               peer.timeout_s ? arena_printf(&a, "%lld s", (long long)peer.timeout_s)
                              : "default (120 s; 60 s in scheduled sync)",
               peer.connect_timeout_s
                   ? arena_printf(&a, "%lld s", (long long)peer.connect_timeout_s)
                   : "default (10 s)");
        if (peer.client_cert)
            printf("client cert: %s\n", peer.client_cert);
        printf("exchanges:   %zu\n", n);
        int64_t now = lia_now_us();
        for (size_t i = 0; i < n; i++) {
            const char *local = "?";
            for (size_t k = 0; k < n_cols; k++)
                if (cols[k].rid == cps[i].local_coll)
                    local = cols[k].id;
            char ok[32];
            fmt_ts(cps[i].last_ok, ok);
            printf("  %s %s %s %s\n", cps[i].direction,
                   !strcmp(cps[i].direction, "pull") ? cps[i].remote_coll : local, "->",
                   !strcmp(cps[i].direction, "pull") ? local : cps[i].remote_coll);
            printf("    last success: %s", ok);
            if (cps[i].last_ok)
                printf(" (%lld s behind)", (long long)((now - cps[i].last_ok) / 1000000));
            printf("\n    position:     %s\n    objects:      %lld\n",
                   cps[i].position ? cps[i].position : "(start)", (long long)cps[i].objects);
            if (cps[i].last_error)
                printf("    last error:   %s\n", cps[i].last_error);
        }
    }
    arena_release(&a);
    store_close(s);
    return rc ? cli_error(cli_exit_for(rc), "peer show", "%s", err.msg) : CLI_OK;
}

static int remove_peer(int argc, char **argv)
{
    const char *dir, *name;
    int rc = parse_dir_and_name(argc, argv, "peer remove", &dir, &name);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    struct store *s;
    if ((rc = cli_open_store("peer remove", dir, 1, &s)) != 0)
        return rc;
    struct arena a;
    arena_init(&a, 0);
    struct lia_err err;
    lia_err_clear(&err);
    struct store_peer peer;
    rc = store_peer_get(s, 0, name, &a, &peer, &err);
    if (rc == 0)
        rc = store_peer_remove(s, peer.rid, &err);
    if (rc == 0) {
        struct dbuf d;
        dbuf_init(&d, 4096);
        dbuf_puts(&d, "{\"peer\":");
        dbuf_json_string(&d, name, strlen(name));
        dbuf_puts(&d, "}");
        rc = cli_audit(s, "peer.remove", d.ptr, &err);
        dbuf_release(&d);
    }
    if (rc == 0)
        printf("peer %s removed\n", name);
    arena_release(&a);
    store_close(s);
    return rc ? cli_error(cli_exit_for(rc), "peer remove", "%s", err.msg) : CLI_OK;
}

static int set_peer(int argc, char **argv)
{
    struct peer_opts o;
    int prc = parse_peer_opts(argc, argv, "peer set", false, &o);
    if (prc)
        return prc < 0 ? CLI_OK : prc;
    const char *dir = o.dir, *name = o.name, *url = o.url, *partner = o.partner, *token = o.token;
    const char *cert = o.cert, *ca = o.ca, *root = o.root;
    char *tokbuf = o.tok, *rcert = o.rcert, *rkey = o.rkey, *rca = o.rca;
    struct store *s;
    int rc = cli_open_store("peer set", dir, 1, &s);
    if (rc) {
        sodium_memzero(tokbuf, sizeof o.tok);
        return rc;
    }
    struct arena a;
    arena_init(&a, 0);
    struct lia_err err;
    lia_err_clear(&err);
    struct store_peer peer;
    struct store_partner p;
    rc = store_peer_get(s, 0, name, &a, &peer, &err);
    if (rc == 0 && partner) {
        rc = cli_find_partner(s, partner, &a, &p);
        if (rc) {
            sodium_memzero(tokbuf, sizeof o.tok);
            arena_release(&a);
            store_close(s);
            return cli_exit_for(rc);
        }
        peer.partner = p.rid;
    }
    if (url)
        peer.url = url;
    if (root)
        peer.api_root = root;
    if (ca)
        peer.ca = rca;
    if (token) { /* one kind of credential at a time: a token, or a Basic login's password */
        peer.token = token;
        peer.basic_user = o.user;
        peer.client_cert = peer.client_key = NULL;
    }
    if (cert) {
        peer.client_cert = rcert;
        peer.client_key = rkey;
        peer.token = peer.basic_user = NULL;
    }
    if (o.timeout)
        peer.timeout_s = o.timeout;
    if (o.connect_timeout)
        peer.connect_timeout_s = o.connect_timeout;
    if (rc == 0)
        rc = store_peer_set(s, &peer, &err);
    sodium_memzero(tokbuf, sizeof o.tok);
    if (rc == 0) {
        struct dbuf d;
        dbuf_init(&d, 8192);
        dbuf_puts(&d, "{\"peer\":");
        dbuf_json_string(&d, name, strlen(name));
        dbuf_printf(&d, ",\"changed\":[%s%s%s%s%s%s%s%s]}", url ? "\"url\"," : "",
                    partner ? "\"partner\"," : "", root ? "\"api_root\"," : "", ca ? "\"ca\"," : "",
                    o.user  ? "\"basic\","
                    : token ? "\"token\","
                            : "",
                    cert ? "\"certificate\"," : "", o.timeout ? "\"timeout\"," : "",
                    o.connect_timeout ? "\"connect_timeout\"," : "");
        /* no trailing comma in the list */
        char *text = d.ptr;
        size_t len = text ? strlen(text) : 0;
        if (len > 3 && text[len - 3] == ',')
            memmove(text + len - 3, text + len - 2, 3);
        rc = cli_audit(s, "peer.update", text ? text : "{}", &err);
        dbuf_release(&d);
    }
    if (rc == 0)
        printf("peer %s updated; its exchanges keep their positions\n", name);
    arena_release(&a);
    store_close(s);
    return rc ? cli_error(cli_exit_for(rc), "peer set", "%s", err.msg) : CLI_OK;
}

int cli_peer(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
        usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(sub, "add"))
        return add(argc - 1, argv + 1);
    if (!strcmp(sub, "list"))
        return list(argc - 1, argv + 1);
    if (!strcmp(sub, "show"))
        return show(argc - 1, argv + 1);
    if (!strcmp(sub, "remove"))
        return remove_peer(argc - 1, argv + 1);
    if (!strcmp(sub, "set"))
        return set_peer(argc - 1, argv + 1);
    fprintf(stderr, "liaison peer: unknown subcommand '%s'\n", sub);
    usage(stderr);
    return CLI_USAGE;
}
