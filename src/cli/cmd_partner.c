/*
 * `liaison partner ...`, `liaison grant` and `liaison revoke`: the partners
 * this instance shares with, and their rights on collections. Every change is
 * audited. A partner is a STIX identity (class organization) plus a clearance
 * (the highest TLP it may receive) and the trust this side gives its
 * reporting (Admiralty source reliability, A-F).
 */
#include "cli/cli_int.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "access/access.h"
#include "exchange/exchange.h"
#include "stix/stix.h"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: liaison partner add --data DIR --name NAME [--country CC] [--identity ID]\n"
        "                           [--clearance clear|green|amber|amber+strict|red] [--trust "
        "A-F]\n"
        "                           [--four-eyes]\n"
        "       liaison partner list --data DIR\n"
        "       liaison partner show --data DIR PARTNER\n"
        "       liaison partner disable --data DIR PARTNER\n"
        "       liaison partner enable --data DIR PARTNER\n"
        "       liaison partner cert --data DIR --partner PARTNER (--fingerprint SHA256 | "
        "--subject DN)\n"
        "       liaison partner key --data DIR --partner PARTNER (--set PUBKEY | --notice FILE)\n"
        "       liaison partner set --data DIR PARTNER [--clearance LEVEL] [--trust A-F]\n"
        "                           [--country CC]\n\n"
        "PARTNER is a partner's name or identity id. add prints the partner's identity id:\n"
        "--identity registers the partner's own instance identity (what `liaison key show`\n"
        "prints on its side), so that objects and requests between the two instances name\n"
        "the same identities; without it a new identity is made.\n"
        "Clearance defaults to green; a partner receives TLP:RED only where an object names\n"
        "it as a recipient. cert ties a TLS client certificate to the partner. --four-eyes:\n"
        "nothing reaches the partner until a second person approves it (docs/people.md;\n"
        "`liaison release partner` changes it later).\n"
        "key --notice takes the partner's key rotation notice (`liaison key rotate` there):\n"
        "only when it is signed by the key registered here; the old key then still verifies\n"
        "the partner's files until the date the notice states.\n"
        "set changes its clearance, trust or country (on record); what it may read follows at\n"
        "once.\n");
}

static void grant_usage(FILE *out)
{
    fprintf(out, "usage: liaison grant --data DIR --collection C (--partner P | --group G) [--read]"
                 " [--write]\n"
                 "       liaison revoke --data DIR --collection C (--partner P | --group G)\n\n"
                 "grant gives (or replaces) a partner's rights on a collection; without --read or\n"
                 "--write it gives --read. revoke removes them. With --group the rights go to\n"
                 "every current member of the sharing group G (read at each request: a member\n"
                 "removed from the group loses them at once).\n");
}

int cli_find_partner(struct store *s, const char *key, struct arena *a, struct store_partner *p)
{
    struct lia_err err;
    lia_err_clear(&err);
    const char *field = !strncmp(key, "identity--", 10) ? "identity" : "name";
    int rc = store_partner_get(s, 0, field, key, a, p, &err);
    if (rc == LIA_ENOTFOUND)
        fprintf(stderr, "liaison: no partner '%s' (see `liaison partner list`)\n", key);
    else if (rc)
        fprintf(stderr, "liaison: %s\n", err.msg);
    return rc;
}

static int add(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"name", required_argument, NULL, 'n'},
                                         {"country", required_argument, NULL, 'c'},
                                         {"clearance", required_argument, NULL, 'C'},
                                         {"trust", required_argument, NULL, 't'},
                                         {"identity", required_argument, NULL, 'i'},
                                         {"four-eyes", no_argument, NULL, 'f'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *dir = NULL, *name = NULL, *country = NULL, *trust = NULL, *identity = NULL;
    int clearance = STORE_TLP_GREEN;
    bool four_eyes = false; /* docs/people.md */
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
        case 'c':
            country = optarg;
            break;
        case 't':
            trust = optarg;
            break;
        case 'i':
            identity = optarg;
            break;
        case 'f':
            four_eyes = true;
            break;
        case 'C':
            clearance = access_tlp_parse(optarg);
            if (clearance < STORE_TLP_CLEAR)
                return cli_error(CLI_USAGE, "partner add", "unknown clearance '%s'", optarg);
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
    if (!cli_valid_name(name, ":"))
        return cli_error(CLI_USAGE, "partner add",
                         "--name must have 1-100 bytes without control characters, / : \" or \\");
    if (country && !(strlen(country) == 2 && country[0] >= 'A' && country[0] <= 'Z' &&
                     country[1] >= 'A' && country[1] <= 'Z'))
        return cli_error(CLI_USAGE, "partner add",
                         "--country expects an ISO 3166-1 alpha-2 code such as DZ or US");
    if (trust && !(strlen(trust) == 1 && trust[0] >= 'A' && trust[0] <= 'F'))
        return cli_error(CLI_USAGE, "partner add", "--trust expects one letter from A to F");
    if (identity &&
        (strncmp(identity, "identity--", 10) != 0 || !stix_is_valid_id(identity, strlen(identity))))
        return cli_error(CLI_USAGE, "partner add", "--identity expects an identity--UUID id");
    struct store *s;
    int rc = cli_open_store("partner add", dir, 1, &s);
    if (rc)
        return rc;
    struct arena a;
    arena_init(&a, 0);
    struct lia_err err;
    lia_err_clear(&err);
    char id[128], now[32];
    if (identity)
        snprintf(id, sizeof id, "%s", identity);
    else
        stix_new_id("identity", id, sizeof id);
    lia_format_ts(lia_now_us(), 3, now);
    struct dbuf j;
    dbuf_init(&j, 4096);
    dbuf_printf(&j,
                "{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"%s\","
                "\"modified\":\"%s\",\"name\":",
                id, now, now);
    dbuf_json_string(&j, name, strlen(name));
    dbuf_puts(&j, ",\"identity_class\":\"organization\"");
    if (country)
        dbuf_printf(&j, ",\"x_liaison_country\":\"%s\"", country);
    dbuf_puts(&j, "}");
    struct store_partner p = {.identity_id = id,
                              .identity_json = j.ptr,
                              .name = name,
                              .country = country,
                              .clearance = clearance,
                              .trust = trust};
    int64_t rid = 0;
    rc = j.ptr ? store_partner_add(s, &p, &rid, &err) : lia_err_set(&err, LIA_ENOMEM, "oom");
    if (rc == 0) {
        char *detail =
            arena_printf(&a, "{\"partner\":\"%s\",\"clearance\":\"%s\",\"trust\":\"%s\"}", id,
                         access_tlp_name(clearance), trust ? trust : "");
        rc = cli_audit(s, "partner.add", detail, &err);
    }
    p.rid = rid;
    if (rc == 0 && four_eyes && cli_partner_four_eyes(s, &p, true, true) != CLI_OK)
        rc = lia_err_set(&err, LIA_EIO, "the partner was added, but not flagged four-eyes");
    if (rc == 0)
        printf("%s\n", id);
    dbuf_release(&j);
    arena_release(&a);
    store_close(s);
    return rc ? cli_error(cli_exit_for(rc), "partner add", "%s", err.msg) : CLI_OK;
}

static void print_partner(const struct store_partner *p, bool full)
{
    if (!full) {
        printf("%-48s  %-20s  %-3s  %-12s  %-5s  %s\n", p->identity_id, p->name,
               p->country ? p->country : "-", access_tlp_name(p->clearance),
               p->trust ? p->trust : "-", p->disabled ? "disabled" : "active");
        return;
    }
    char created[32];
    lia_format_ts(p->created, 0, created);
    printf("name:        %s\nidentity:    %s\ncountry:     %s\nclearance:   %s\ntrust:       %s\n"
           "state:       %s\ncreated:     %s\nsigning key: %s\ncertificate: %s\nsubject:     %s\n",
           p->name, p->identity_id, p->country ? p->country : "-", access_tlp_name(p->clearance),
           p->trust ? p->trust : "-", p->disabled ? "disabled" : "active", created,
           p->pubkey ? p->pubkey : "-", p->cert_fingerprint ? p->cert_fingerprint : "-",
           p->cert_subject ? p->cert_subject : "-");
}

/* Shared parsing of "--data DIR [--partner] PARTNER [extra flag VALUE]". */
struct simple_args {
    const char *dir, *partner, *fingerprint, *subject, *set, *notice;
};

static int simple_parse(int argc, char **argv, struct simple_args *sa)
{
    memset(sa, 0, sizeof *sa);
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        /* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker): argv[i] set */
        if (!strcmp(argv[i], "--help"))
            return 1;
        if (!strcmp(argv[i], "--data") && v)
            sa->dir = argv[++i];
        else if (!strcmp(argv[i], "--partner") && v)
            sa->partner = argv[++i];
        else if (!strcmp(argv[i], "--fingerprint") && v)
            sa->fingerprint = argv[++i];
        else if (!strcmp(argv[i], "--subject") && v)
            sa->subject = argv[++i];
        else if (!strcmp(argv[i], "--set") && v)
            sa->set = argv[++i];
        else if (!strcmp(argv[i], "--notice") && v)
            sa->notice = argv[++i];
        else if (argv[i][0] != '-' && !sa->partner)
            sa->partner = argv[i];
        else
            return -1;
    }
    return sa->dir && sa->partner ? 0 : -1;
}

static int list(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--help"))
        return usage(stdout), CLI_OK;
    if (argc != 3 || strcmp(argv[1], "--data") != 0)
        return usage(stderr), CLI_USAGE;
    struct store *s;
    int rc = cli_open_store("partner list", argv[2], 1, &s);
    if (rc)
        return rc;
    struct arena a;
    arena_init(&a, 0);
    struct store_partner *ps;
    size_t n;
    struct lia_err err;
    lia_err_clear(&err);
    rc = store_partner_list(s, &a, &ps, &n, &err);
    if (rc == 0) {
        printf("%-48s  %-20s  %-3s  %-12s  %-5s  %s\n", "IDENTITY", "NAME", "CC", "CLEARANCE",
               "TRUST", "STATE");
        for (size_t i = 0; i < n; i++)
            print_partner(&ps[i], false);
    }
    arena_release(&a);
    store_close(s);
    return rc ? cli_error(cli_exit_for(rc), "partner list", "%s", err.msg) : CLI_OK;
}

/* partner key --notice FILE: a key rotation notice, accepted only when signed by the key
 * registered for the partner. */
static int take_notice(const struct simple_args *sa)
{
    struct lia_err err;
    lia_err_clear(&err);
    struct exchange_rotation n;
    int rc = exchange_rotation_read(sa->notice, &n, &err);
    if (rc)
        return cli_error(cli_exit_for(rc), "partner key", "%s", err.msg);
    struct store *s;
    if ((rc = cli_open_store("partner", sa->dir, 1, &s)) != 0)
        return rc;
    struct arena a;
    arena_init(&a, 0);
    struct store_partner p, now;
    rc = cli_find_partner(s, sa->partner, &a, &p);
    if (rc) {
        arena_release(&a);
        store_close(s);
        return cli_exit_for(rc);
    }
    bool before = p.pubkey && !strcasecmp(p.pubkey, n.new_key);
    rc = exchange_rotation_accept(s, &n, p.rid, "cli", &a, &now, &err);
    if (rc == 0)
        printf("Partner %s: signing key %s%s; files signed with %.16s... stay valid until %s.\n",
               p.name, n.new_key, before ? " (accepted before)" : "", n.old_key, n.until);
    arena_release(&a);
    store_close(s);
    return rc ? cli_error(cli_exit_for(rc), "partner key", "%s", err.msg) : CLI_OK;
}

/* show, disable, enable, cert, key. */
static int one(const char *verb, int argc, char **argv)
{
    struct simple_args sa;
    int prc = simple_parse(argc, argv, &sa);
    if (prc == 1)
        return usage(stdout), CLI_OK;
    if (prc)
        return usage(stderr), CLI_USAGE;
    const char *field = NULL, *value = NULL;
    if (!strcmp(verb, "disable") || !strcmp(verb, "enable")) {
        field = "disabled";
        value = verb[0] == 'd' ? "1" : "0";
    } else if (!strcmp(verb, "cert")) {
        if (!!sa.fingerprint == !!sa.subject)
            return cli_error(CLI_USAGE, "partner cert", "give --fingerprint or --subject");
        field = sa.fingerprint ? "cert_fingerprint" : "cert_subject";
        value = sa.fingerprint ? sa.fingerprint : sa.subject;
        if (sa.fingerprint) {
            if (!cli_is_hex(value, 64))
                return cli_error(CLI_USAGE, "partner cert",
                                 "--fingerprint expects 64 lowercase hex digits (SHA-256)");
        }
    } else if (!strcmp(verb, "key") && sa.notice) {
        if (sa.set)
            return cli_error(CLI_USAGE, "partner key", "give --set or --notice, not both");
        return take_notice(&sa);
    } else if (!strcmp(verb, "key")) {
        if (!sa.set)
            return cli_error(CLI_USAGE, "partner key",
                             "give --set PUBKEY (64 hex digits) or --notice FILE");
        if (!cli_is_hex(sa.set, 64))
            return cli_error(CLI_USAGE, "partner key",
                             "--set expects an Ed25519 public key as 64 lowercase hex digits");
        field = "pubkey";
        value = sa.set;
    }
    struct store *s;
    int rc = cli_open_store("partner", sa.dir, 1, &s);
    if (rc)
        return rc;
    struct arena a;
    arena_init(&a, 0);
    struct store_partner p;
    struct lia_err err;
    lia_err_clear(&err);
    rc = cli_find_partner(s, sa.partner, &a, &p);
    if (rc) {
        arena_release(&a);
        store_close(s);
        return cli_exit_for(rc);
    }
    if (!field) {
        print_partner(&p, true);
    } else {
        rc = store_partner_update(s, p.rid, field, value, &err);
        if (rc == 0) {
            char *detail =
                arena_printf(&a, "{\"partner\":\"%s\",\"field\":\"%s\"}", p.identity_id, field);
            rc = cli_audit(s, strcmp(verb, "key") ? "partner.update" : "partner.key", detail, &err);
        }
        if (rc == 0)
            printf("Partner %s: %s updated.\n", p.name, field);
    }
    arena_release(&a);
    store_close(s);
    return rc ? cli_error(cli_exit_for(rc), "partner", "%s", err.msg) : CLI_OK;
}

static bool valid_country(const char *c)
{
    return strlen(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z';
}

/* partner set: clearance, trust, country. */
static int set(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"partner", required_argument, NULL, 'p'},
                                         {"clearance", required_argument, NULL, 'C'},
                                         {"trust", required_argument, NULL, 't'},
                                         {"country", required_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *dir = NULL, *partner = NULL, *trust = NULL, *country = NULL, *level = NULL;
    int ch;
    cli_reset_getopt();
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            dir = optarg;
            break;
        case 'p':
            partner = optarg;
            break;
        case 'C':
            level = optarg;
            break;
        case 't':
            trust = optarg;
            break;
        case 'c':
            country = optarg;
            break;
        case 'h':
            return usage(stdout), CLI_OK;
        default:
            return usage(stderr), CLI_USAGE;
        }
    }
    if (!partner && optind < argc)
        partner = argv[optind++];
    if (!dir || !partner || optind != argc)
        return usage(stderr), CLI_USAGE;
    if (!level && !trust && !country)
        return cli_error(CLI_USAGE, "partner set", "give --clearance, --trust or --country");
    int clearance = level ? access_tlp_parse(level) : 0;
    if (level && clearance < STORE_TLP_CLEAR)
        return cli_error(CLI_USAGE, "partner set",
                         "unknown clearance '%s' (clear, green, amber, amber+strict, red)", level);
    if (trust && !(strlen(trust) == 1 && trust[0] >= 'A' && trust[0] <= 'F'))
        return cli_error(CLI_USAGE, "partner set", "--trust expects one letter from A to F");
    if (country && !valid_country(country))
        return cli_error(CLI_USAGE, "partner set",
                         "--country expects an ISO 3166-1 alpha-2 code such as DZ or US");
    struct store *s;
    int rc = cli_open_store("partner set", dir, 1, &s);
    if (rc)
        return rc;
    struct arena a;
    arena_init(&a, 0);
    struct lia_err err;
    lia_err_clear(&err);
    struct store_partner p;
    rc = cli_find_partner(s, partner, &a, &p);
    if (rc) {
        arena_release(&a);
        store_close(s);
        return cli_exit_for(rc);
    }
    char num[16];
    snprintf(num, sizeof num, "%d", clearance);
    if (level)
        rc = store_partner_update(s, p.rid, "clearance", num, &err);
    if (rc == 0 && trust)
        rc = store_partner_update(s, p.rid, "trust", trust, &err);
    if (rc == 0 && country)
        rc = store_partner_update(s, p.rid, "country", country, &err);
    if (rc == 0) {
        char *detail = arena_printf(
            &a, "{\"partner\":\"%s\",\"clearance\":%s%s%s,\"trust\":%s%s%s,\"country\":%s%s%s}",
            p.identity_id, level ? "\"" : "", level ? access_tlp_name(clearance) : "null",
            level ? "\"" : "", trust ? "\"" : "", trust ? trust : "null", trust ? "\"" : "",
            country ? "\"" : "", country ? country : "null", country ? "\"" : "");
        rc = detail ? cli_audit(s, "partner.update", detail, &err)
                    : lia_err_set(&err, LIA_ENOMEM, "out of memory");
    }
    if (rc == 0)
        printf("Partner %s: %s%s%s%s%s%s.\n", p.name, level ? "clearance " : "",
               level ? access_tlp_name(clearance) : "",
               trust ? (level ? ", trust " : "trust ") : "", trust ? trust : "",
               country ? (level || trust ? ", country " : "country ") : "", country ? country : "");
    arena_release(&a);
    store_close(s);
    return rc ? cli_error(cli_exit_for(rc), "partner set", "%s", err.msg) : CLI_OK;
}

int cli_partner(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    const char *verb = argv[1];
    if (!strcmp(verb, "add"))
        return add(argc - 1, argv + 1);
    if (!strcmp(verb, "list"))
        return list(argc - 1, argv + 1);
    if (!strcmp(verb, "set"))
        return set(argc - 1, argv + 1);
    if (!strcmp(verb, "show") || !strcmp(verb, "disable") || !strcmp(verb, "enable") ||
        !strcmp(verb, "cert") || !strcmp(verb, "key"))
        return one(verb, argc - 1, argv + 1);
    usage(stderr);
    return cli_error(CLI_USAGE, "partner", "unknown subcommand '%s'", verb);
}

/* grant/revoke --group: the rights of every current member of the group. */
static int group_grant(struct store *s, const char *cmd, const char *coll, const char *group,
                       bool read, bool write, struct arena *a)
{
    struct lia_err err;
    lia_err_clear(&err);
    struct store_group g;
    struct store_collection col;
    struct store_policy all = {.all = true, .clearance = STORE_TLP_RED};
    int rc = cli_find_group(s, cmd, group, a, &g);
    if (rc)
        return cli_exit_for(rc);
    rc = store_collection_get(s, &all, coll, a, &col, &err);
    if (rc == 0)
        rc = store_group_grant_set(s, col.rid, g.rid, read, write, &err);
    if (rc == 0) {
        char *detail =
            arena_printf(a,
                         "{\"collection\":\"%s\",\"group\":\"%s\",\"read\":%s,"
                         "\"write\":%s}",
                         col.id, g.marking, read ? "true" : "false", write ? "true" : "false");
        rc = cli_audit(s, !strcmp(cmd, "grant") ? "grant.set" : "grant.revoke", detail, &err);
    }
    if (rc == 0)
        printf("%s: group %s on %s: read=%s write=%s\n", cmd, g.name, col.id, read ? "yes" : "no",
               write ? "yes" : "no");
    else
        cli_error(cli_exit_for(rc), cmd, "%s", err.msg);
    return cli_exit_for(rc);
}

static int grant_or_revoke(bool grant, int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},    {"collection", required_argument, NULL, 'c'},
        {"partner", required_argument, NULL, 'p'}, {"group", required_argument, NULL, 'g'},
        {"read", no_argument, NULL, 'r'},          {"write", no_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    const char *dir = NULL, *coll = NULL, *partner = NULL, *group = NULL;
    bool read = false, write = false;
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
        case 'p':
            partner = optarg;
            break;
        case 'g':
            group = optarg;
            break;
        case 'r':
            read = true;
            break;
        case 'w':
            write = true;
            break;
        case 'h':
            grant_usage(stdout);
            return CLI_OK;
        default:
            grant_usage(stderr);
            return CLI_USAGE;
        }
    }
    if (!dir || !coll || !partner == !group || optind != argc || (!grant && (read || write)))
        return grant_usage(stderr), CLI_USAGE;
    if (grant && !read && !write)
        read = true;
    const char *cmd = grant ? "grant" : "revoke";
    struct store *s;
    int rc = cli_open_store(cmd, dir, 1, &s);
    if (rc)
        return rc;
    struct arena a;
    arena_init(&a, 0);
    struct lia_err err;
    lia_err_clear(&err);
    struct store_partner p;
    struct store_collection col;
    struct store_policy all = {.all = true, .clearance = STORE_TLP_RED};
    if (group) {
        rc = group_grant(s, cmd, coll, group, read, write, &a);
        arena_release(&a);
        store_close(s);
        return rc;
    }
    rc = cli_find_partner(s, partner, &a, &p);
    if (rc == 0) {
        rc = store_collection_get(s, &all, coll, &a, &col, &err);
        if (rc == 0)
            rc = store_grant_set(s, col.rid, p.rid, read, write, &err);
        if (rc == 0) {
            char *detail = arena_printf(&a,
                                        "{\"collection\":\"%s\",\"partner\":\"%s\",\"read\":%s,"
                                        "\"write\":%s}",
                                        col.id, p.identity_id, read ? "true" : "false",
                                        write ? "true" : "false");
            rc = cli_audit(s, grant ? "grant.set" : "grant.revoke", detail, &err);
        }
        if (rc == 0)
            printf("%s: %s on %s: read=%s write=%s\n", cmd, p.name, col.id, read ? "yes" : "no",
                   write ? "yes" : "no");
        else
            cli_error(cli_exit_for(rc), cmd, "%s", err.msg);
    }
    arena_release(&a);
    store_close(s);
    return cli_exit_for(rc);
}

int cli_grant(int argc, char **argv)
{
    return grant_or_revoke(true, argc, argv);
}

int cli_revoke(int argc, char **argv)
{
    return grant_or_revoke(false, argc, argv);
}
