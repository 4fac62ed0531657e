/*
 * `liaison audit show|verify|head|witness`: read the audit log, and check its hash chain
 * from the first entry to the recorded head. verify exits 0 when intact and
 * 4 (refused) when it finds an edited, removed, reordered or truncated
 * entry, naming where; with --checkpoint and --witnesses also a log cut, wiped or rewritten
 * since a signed checkpoint was issued (audit/anchor.c). head prints our latest signed
 * checkpoint; witness the checkpoints a partner sent us of its log.
 */
#include "cli/cli_int.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "audit/audit.h"
#include "exchange/exchange.h"
#include "stix/stix.h"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: liaison audit show --data DIR [--partner NAME | --group G] [--since TIMESTAMP]\n"
        "       liaison audit verify --data DIR [--checkpoint FILE]... [--witnesses]\n"
        "       liaison audit head --data DIR\n"
        "       liaison audit witness --data DIR --partner NAME\n\n"
        "show prints one JSON object per entry. --partner keeps the entries of one\n"
        "partner's principals and every disclosure to it (TAXII reads, search, RFI\n"
        "views, watch events, pushes, exports); --group keeps the changes of sharing\n"
        "group G and the same for each of its current members; --since keeps entries\n"
        "at or after a date or an RFC 3339 time.\n"
        "verify checks the hash chain and the signature of its head, and exits 4 if\n"
        "the log was tampered with. --checkpoint FILE (lines printed by `audit head`,\n"
        "or by a partner's `audit witness`) and --witnesses (the checkpoints each\n"
        "peer kept of ours, asked over the network) also find a log cut, wiped or\n"
        "rewritten since those checkpoints were signed.\n"
        "head prints this instance's latest signed checkpoint (keep it elsewhere).\n"
        "witness prints the checkpoints partner NAME sent us of its own log, one per\n"
        "line, for its `audit verify --checkpoint`.\n");
}

struct show_party {
    const char *actor_prefix; /* --partner: entries of its principals */
    const char *identity;     /* and every disclosure to it, whoever the actor */
};

struct show_ctx {
    struct show_party *parties; /* --partner: one; --group: each current member */
    size_t n_parties;
    bool filter;
    const char *group;        /* --group: the group's changes (entries naming its id) */
    struct store_peer *peers; /* and older push entries, which named only the peer */
    size_t n_peers;
    int64_t since;
    int64_t shown;
    struct store *s;
    struct audit_removed *removed;
    int failed; /* a store error while naming disclosed versions */
    struct lia_err err;
};

/* A keyed disclosure's detail as stored, plus "objects": the [id, modified] pairs its keys
 * name (null for a version that is neither stored nor deleted on record). */
static int named_versions(struct show_ctx *sc, const struct store_audit_entry *e, struct dbuf *b)
{
    struct arena a;
    arena_init(&a, 0);
    struct audit_disclosure d;
    int rc = audit_disclosure_resolve(sc->s, e, sc->removed, &a, &d, &sc->err);
    if (rc == 0 && d.keyed && !d.malformed) {
        size_t len = strlen(e->detail);
        while (len && e->detail[len - 1] != '}')
            len--;
        rc = dbuf_append(b, e->detail, len ? len - 1 : 0);
        rc = rc ? rc : dbuf_puts(b, ",\"objects\":[");
        for (size_t i = 0; i < d.n && !rc; i++) {
            const struct store_keyed *v = &d.versions[i];
            rc = dbuf_puts(b, i ? ",[" : "[");
            if (!rc && v->id) {
                rc = dbuf_json_string(b, v->id, strlen(v->id));
                rc = rc ? rc : dbuf_puts(b, ",");
                rc = rc ? rc : dbuf_json_string(b, v->modified, strlen(v->modified));
            } else if (!rc) {
                rc = dbuf_puts(b, "null,null");
            }
            rc = rc ? rc : dbuf_puts(b, "]");
        }
        rc = rc ? rc : dbuf_puts(b, "]}");
    } else if (rc == 0) {
        rc = dbuf_puts(b, e->detail[0] ? e->detail : "{}");
    } else {
        sc->failed = rc;
    }
    arena_release(&a);
    return rc;
}

/* --partner P: the entries of P's principals, and every disclosure to P, on any route. */
static bool concerns_partner(struct show_ctx *sc, const struct store_audit_entry *e)
{
    if (sc->group && strstr(e->detail, sc->group))
        return true;
    for (size_t i = 0; i < sc->n_parties; i++)
        if (!strncmp(e->actor, sc->parties[i].actor_prefix, strlen(sc->parties[i].actor_prefix)))
            return true;
    struct arena a;
    arena_init(&a, 0);
    const char *partner, *peer;
    audit_entry_recipient(e, &a, &partner, &peer);
    bool to = false;
    for (size_t i = 0; i < sc->n_parties && partner && !to; i++)
        to = !strcmp(partner, sc->parties[i].identity);
    for (size_t i = 0; i < sc->n_peers && peer && !to; i++)
        to = !strcmp(peer, sc->peers[i].name);
    arena_release(&a);
    return to;
}

static int show_one(const struct store_audit_entry *e, void *arg)
{
    struct show_ctx *sc = arg;
    if (e->ts < sc->since)
        return 0;
    if (sc->filter && !concerns_partner(sc, e))
        return 0;
    char ts[32], hash[65];
    lia_format_ts(e->ts, 6, ts);
    sodium_bin2hex(hash, sizeof hash, e->hash, 32);
    struct dbuf b;
    dbuf_init(&b, 16 * 1024 * 1024);
    dbuf_printf(&b, "{\"seq\":%lld,\"ts\":\"%s\",\"actor\":", (long long)e->seq, ts);
    dbuf_json_string(&b, e->actor, strlen(e->actor));
    dbuf_puts(&b, ",\"action\":");
    dbuf_json_string(&b, e->action, strlen(e->action));
    dbuf_puts(&b, ",\"detail\":");
    if (named_versions(sc, e, &b)) {
        dbuf_release(&b);
        return 1;
    }
    dbuf_printf(&b, ",\"hash\":\"%s\"}", hash);
    if (b.ptr)
        puts(b.ptr);
    dbuf_release(&b);
    sc->shown++;
    return 0;
}

/* The instance's public key, from its key file (outside the store); NULL when it has none. */
static const unsigned char *instance_key(const char *dir, unsigned char pk[32])
{
    unsigned char sk[64];
    struct lia_err err;
    lia_err_clear(&err);
    if (audit_key_load(dir, sk, &err) != 0)
        return NULL;
    crypto_sign_ed25519_sk_to_pk(pk, sk);
    sodium_memzero(sk, sizeof sk);
    return pk;
}

struct anchors {
    struct audit_checkpoint *cps;
    size_t n, cap;
};

/* Adds the checkpoints of text (one per line; blank lines skipped), each signed by pk. */
static int add_checkpoints(struct anchors *an, const char *text, size_t len, const char *from,
                           const unsigned char *pk)
{
    for (size_t at = 0; at < len;) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - text - at) : len - at;
        const char *line = text + at;
        at += n + 1;
        if (n == 0 || (n == 1 && line[0] == '\r'))
            continue;
        if (an->n == an->cap) {
            size_t cap = an->cap ? 2 * an->cap : 8;
            void *p = realloc(an->cps, cap * sizeof *an->cps);
            if (!p)
                return cli_error(CLI_FAIL, "audit verify", "out of memory");
            an->cps = p;
            an->cap = cap;
        }
        struct lia_err err;
        lia_err_clear(&err);
        struct audit_checkpoint *cp = &an->cps[an->n];
        if (audit_checkpoint_parse(line, n, cp, &err) != 0)
            return cli_error(CLI_USAGE, "audit verify", "%s: %s", from, err.msg);
        if (!pk)
            return cli_error(CLI_USAGE, "audit verify",
                             "%s: this data directory has no signing key to check it with", from);
        if (!audit_checkpoint_signed_by(cp, pk))
            return cli_error(CLI_REFUSED, "audit verify",
                             "%s: checkpoint of entry %lld is not signed by this instance's key",
                             from, (long long)cp->seq);
        an->n++;
    }
    return 0;
}

/* --witnesses: the checkpoints of ours each peer kept. A peer that cannot be asked is named
 * and makes the run fail, so that "intact" never rests on a witness nobody heard. */
static int ask_witnesses(struct store *s, struct anchors *an, const unsigned char *pk,
                         size_t *asked)
{
    struct arena a;
    arena_init(&a, 0);
    struct lia_err err;
    lia_err_clear(&err);
    struct store_peer *peers;
    size_t n = 0;
    int rc = store_peer_list(s, &a, &peers, &n, &err);
    if (rc) {
        arena_release(&a);
        return cli_error(cli_exit_for(rc), "audit verify", "%s", err.msg);
    }
    struct exchange_opts o;
    exchange_opts_defaults(&o);
    int failed = 0;
    for (size_t i = 0; i < n; i++) {
        char **lines;
        size_t k = 0;
        lia_err_clear(&err);
        if (exchange_fetch_witness(&peers[i], &o, &a, &lines, &k, &err) != 0) {
            fprintf(stderr, "liaison audit verify: peer %s: %s\n", peers[i].name, err.msg);
            failed = CLI_FAIL;
            continue;
        }
        char from[200];
        snprintf(from, sizeof from, "peer %s", peers[i].name);
        for (size_t j = 0; j < k && !failed; j++) {
            int r = add_checkpoints(an, lines[j], strlen(lines[j]), from, pk);
            if (r)
                failed = r;
        }
        printf("peer %s keeps %zu checkpoint%s of this log\n", peers[i].name, k, k == 1 ? "" : "s");
        (*asked)++;
    }
    arena_release(&a);
    return failed;
}

static int audit_head_cmd(struct store *s)
{
    struct arena a;
    arena_init(&a, 0);
    struct lia_err err;
    lia_err_clear(&err);
    char *line = NULL;
    int rc = audit_checkpoint_current(s, &a, &line, &err);
    if (rc == 0)
        puts(line);
    arena_release(&a);
    return rc ? cli_error(cli_exit_for(rc), "audit head", "%s", err.msg) : CLI_OK;
}

static int audit_witness_cmd(struct store *s, const char *partner)
{
    struct arena a;
    arena_init(&a, 0);
    struct lia_err err;
    lia_err_clear(&err);
    struct store_partner p;
    int rc = cli_find_partner(s, partner, &a, &p);
    if (rc) {
        arena_release(&a);
        return cli_exit_for(rc);
    }
    struct store_witness *w;
    size_t n = 0;
    rc = store_witness_list(s, p.rid, &a, &w, &n, &err);
    for (size_t i = 0; rc == 0 && i < n; i++)
        puts(w[i].line);
    if (rc == 0 && n == 0)
        fprintf(stderr, "liaison audit witness: partner %s has sent no signed checkpoint yet\n",
                p.name);
    arena_release(&a);
    return rc ? cli_error(cli_exit_for(rc), "audit witness", "%s", err.msg) : CLI_OK;
}

static int audit_verify_cmd(struct store *s, const char *dir, char **files, size_t n_files,
                            bool witnesses)
{
    unsigned char pkbuf[32];
    const unsigned char *pk = instance_key(dir, pkbuf);
    struct anchors an = {0};
    int rc = 0;
    for (size_t i = 0; i < n_files && !rc; i++) {
        char *text = NULL;
        size_t len = 0;
        struct lia_err err;
        lia_err_clear(&err);
        if (lia_read_file(files[i], 1u << 20, &text, &len, &err) != 0)
            rc = cli_error(cli_exit_for(err.code) == CLI_FAIL ? CLI_USAGE : cli_exit_for(err.code),
                           "audit verify", "--checkpoint: %s", err.msg);
        else
            rc = add_checkpoints(&an, text, len, files[i], pk);
        free(text);
    }
    size_t asked = 0;
    if (!rc && witnesses)
        rc = ask_witnesses(s, &an, pk, &asked);
    if (rc) {
        free(an.cps);
        return rc;
    }
    struct audit_report r;
    struct lia_err err;
    lia_err_clear(&err);
    rc = audit_verify_anchored(s, pk, an.cps, an.n, &r, &err);
    free(an.cps);
    if (rc)
        return cli_error(cli_exit_for(rc), "audit verify", "%s", err.msg);
    if (r.bad_seq) {
        fprintf(stderr, "liaison audit verify: TAMPERED after %lld good entries: %s\n",
                (long long)(r.bad_seq > 1 ? r.bad_seq - 1 : 0), r.problem);
        return CLI_REFUSED;
    }
    printf("audit log intact: %lld entries, head %s%s; %zu checkpoint%s matched\n",
           (long long)r.entries, r.head, r.head_signed ? " (signed)" : " (unsigned: no key)",
           r.checkpoints, r.checkpoints == 1 ? "" : "s");
    return CLI_OK;
}

int cli_audit_cmd(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    const char *sub = argv[1];
    bool verify = !strcmp(sub, "verify"), head = !strcmp(sub, "head"),
         witness = !strcmp(sub, "witness");
    if (!verify && !head && !witness && strcmp(sub, "show") != 0)
        return usage(stderr), cli_error(CLI_USAGE, "audit", "unknown subcommand '%s'", sub);
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"partner", required_argument, NULL, 'p'},
                                         {"group", required_argument, NULL, 'g'},
                                         {"since", required_argument, NULL, 's'},
                                         {"checkpoint", required_argument, NULL, 'c'},
                                         {"witnesses", no_argument, NULL, 'w'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *dir = NULL, *partner = NULL, *since = NULL, *group = NULL;
    char *files[16];
    size_t n_files = 0;
    bool witnesses = false;
    int ch;
    cli_reset_getopt();
    while ((ch = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            dir = optarg;
            break;
        case 'p':
            partner = optarg;
            break;
        case 'g':
            group = optarg;
            break;
        case 's':
            since = optarg;
            break;
        case 'c':
            if (n_files == sizeof files / sizeof files[0])
                return cli_error(CLI_USAGE, "audit verify", "at most 16 --checkpoint files");
            files[n_files++] = optarg;
            break;
        case 'w':
            witnesses = true;
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            usage(stderr);
            return CLI_USAGE;
        }
    }
    bool show = !verify && !head && !witness;
    if (!dir || optind != argc - 1 || (!show && since) ||
        ((verify || head) && (partner || group)) || (partner && group) || (witness && group) ||
        (!verify && (n_files || witnesses)))
        return usage(stderr), CLI_USAGE;
    if (witness && !partner)
        return usage(stderr), cli_error(CLI_USAGE, "audit witness", "--partner NAME is required");
    struct show_ctx sc = {0};
    struct lia_err err;
    lia_err_clear(&err);
    if (since && cli_parse_since(since, &sc.since, &err))
        return cli_error(CLI_USAGE, "audit show", "--since: %s", err.msg);
    struct store *s;
    /* Two connections: show names disclosed versions while it walks the log. */
    int rc = cli_open_store("audit", dir, 2, &s);
    if (rc)
        return rc;
    struct arena a;
    arena_init(&a, 0);
    if (verify || head || witness) {
        rc = verify ? audit_verify_cmd(s, dir, files, n_files, witnesses)
             : head ? audit_head_cmd(s)
                    : audit_witness_cmd(s, partner);
        arena_release(&a);
        store_close(s);
        return rc;
    }
    if (partner || group) {
        /* The parties: the partner, or the group's current members. */
        struct store_partner *ps = NULL;
        size_t np = 0;
        if (partner) {
            ps = arena_alloc(&a, sizeof *ps);
            rc = ps ? cli_find_partner(s, partner, &a, ps) : LIA_ENOMEM;
            np = 1;
        } else {
            struct store_group g;
            int64_t *m = NULL;
            rc = cli_find_group(s, "audit show", group, &a, &g);
            if (rc == 0 && (rc = store_group_members(s, g.rid, &a, &m, &np, &err)) == 0) {
                sc.group = g.marking;
                ps = arena_alloc(&a, (np ? np : 1) * sizeof *ps);
                for (size_t i = 0; i < np && rc == 0 && ps; i++)
                    rc = store_partner_get(s, m[i], NULL, NULL, &a, &ps[i], &err);
            }
        }
        struct store_peer *peers = NULL;
        size_t n = 0;
        if (rc == 0)
            rc = store_peer_list(s, &a, &peers, &n, &err);
        sc.parties = arena_alloc(&a, (np ? np : 1) * sizeof *sc.parties);
        sc.peers = arena_alloc(&a, (n ? n : 1) * sizeof *peers);
        if (rc == 0 && (!ps || !sc.parties || !sc.peers))
            rc = lia_err_set(&err, LIA_ENOMEM, "out of memory");
        if (rc) {
            arena_release(&a);
            store_close(s);
            return err.code ? cli_error(cli_exit_for(rc), "audit show", "%s", err.msg)
                            : cli_exit_for(rc);
        }
        sc.filter = true;
        for (size_t k = 0; k < np; k++) {
            sc.parties[sc.n_parties++] =
                (struct show_party){arena_printf(&a, "partner:%s/", ps[k].name), ps[k].identity_id};
            for (size_t i = 0; i < n; i++)
                if (peers[i].partner == ps[k].rid)
                    sc.peers[sc.n_peers++] = peers[i];
        }
    }
    sc.s = s;
    lia_err_clear(&sc.err);
    /* first the versions deletes removed, which later disclosures may name */
    rc = audit_removed_load(s, &sc.removed, &err);
    if (rc == 0)
        rc = store_audit_scan(s, 0, show_one, &sc, &err);
    if (rc == 1 || sc.failed) {
        rc = sc.failed ? sc.failed : LIA_ENOMEM;
        lia_err_set(&err, rc, "%s", sc.err.msg[0] ? sc.err.msg : "out of memory");
    }
    audit_removed_free(sc.removed);
    arena_release(&a);
    store_close(s);
    return rc ? cli_error(cli_exit_for(rc), "audit show", "%s", err.msg) : CLI_OK;
}
