/*
 * `liaison release ...`: four-eyes release (docs/people.md). list shows the versions held for
 * a second person's approval; approve and reject decide one, as the person named by --as
 * (a releaser or admin who did not write it; on record with "via":"cli"); policy sets which
 * versions are held, per collection and per marking; partner flags a partner four-eyes.
 */
#include "cli/cli_int.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "access/access.h"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: liaison release list --data DIR [--all] [--limit N]\n"
        "       liaison release approve --data DIR --as NAME [--reason TEXT] KEY\n"
        "       liaison release reject --data DIR --as NAME --reason TEXT KEY\n"
        "       liaison release policy --data DIR [--collection C] [--from TLP|none]\n"
        "                              [--marking ID] [--remove-marking ID] [--clear]\n"
        "       liaison release partner --data DIR --partner P (--four-eyes | --no-four-eyes)\n\n"
        "KEY is the number list prints. A version is held when its TLP is at or above the\n"
        "policy's (default amber+strict) or it carries a marking of the policy; held\n"
        "versions are invisible to partners until a releaser or admin other than their\n"
        "author approves them. Without --collection, policy sets the rule of every\n"
        "collection without its own; without a change it prints the rules.\n");
}

struct args {
    const char *dir, *as, *reason, *collection, *from, *marking, *unmark, *partner, *limit, *key;
    bool all, clear, four_eyes, no_four_eyes;
};

static int parse(int argc, char **argv, struct args *a)
{
#define V(flag, member)                                                                            \
    {                                                                                              \
        flag, offsetof(struct args, member), false                                                 \
    }
#define B(flag, member)                                                                            \
    {                                                                                              \
        flag, offsetof(struct args, member), true                                                  \
    }
    static const struct cli_flag flags[] = {V("--data", dir),
                                            V("--as", as),
                                            V("--reason", reason),
                                            V("--collection", collection),
                                            V("--from", from),
                                            V("--marking", marking),
                                            V("--remove-marking", unmark),
                                            V("--partner", partner),
                                            V("--limit", limit),
                                            B("--all", all),
                                            B("--clear", clear),
                                            B("--four-eyes", four_eyes),
                                            B("--no-four-eyes", no_four_eyes)};
#undef V
#undef B
    memset(a, 0, sizeof *a);
    int rc = cli_parse_flags(argc, argv, flags, sizeof flags / sizeof flags[0], a, &a->key, usage);
    if (rc)
        return rc;
    if (!a->dir)
        return usage(stderr), CLI_USAGE;
    return 0;
}

int cli_decider(struct store *s, const char *name, struct arena *a, struct access_decider *who,
                struct lia_err *err)
{
    struct store_person p;
    int rc = store_person_get(s, 0, name, a, &p, err);
    if (rc == LIA_ENOTFOUND)
        return lia_err_set(err, rc, "no person named '%s' (see `liaison user list`)", name);
    if (rc == 0 && p.disabled)
        return lia_err_set(err, LIA_EFORBIDDEN, "%s is disabled", name);
    *who = (struct access_decider){p.rid, p.name, p.role, arena_printf(a, "person:%s/cli", p.name),
                                   "cli"};
    return rc ? rc : who->actor ? 0 : lia_err_set(err, LIA_ENOMEM, "out of memory");
}

static int list(const struct args *a)
{
    int64_t limit = 1000;
    if (a->limit && lia_parse_i64(a->limit, strlen(a->limit), 1, 100000, &limit))
        return cli_error(CLI_USAGE, "release list", "--limit is a number from 1 to 100000");
    struct store *s;
    int rc = cli_open_store("release list", a->dir, 1, &s);
    if (rc)
        return rc;
    struct arena ar;
    arena_init(&ar, 0);
    struct store_release *r;
    size_t n = 0;
    struct lia_err err;
    lia_err_clear(&err);
    rc = store_release_list(s, a->all ? -1 : STORE_RELEASE_PENDING, (size_t)limit, &ar, &r, &n,
                            &err);
    static const char *const states[] = {"pending", "approved", "rejected"};
    if (rc == 0) {
        printf("%-16s  %-8s  %-12s  %-8s  %-20s  %-24s  %s\n", "KEY", "STATE", "TLP", "HELD FROM",
               "AUTHOR", "VERSION", "ID");
        for (size_t i = 0; i < n; i++)
            printf("%-16lld  %-8s  %-12s  %-8s  %-20s  %-24s  %s\n", (long long)r[i].obj,
                   states[r[i].state >= 0 && r[i].state <= 2 ? r[i].state : 0],
                   access_tlp_name(r[i].tlp), r[i].scope == STORE_RELEASE_ALL ? "all" : "4-eyes",
                   r[i].author, r[i].modified ? r[i].modified : "", r[i].id);
    }
    arena_release(&ar);
    store_close(s);
    return rc ? cli_error(cli_exit_for(rc), "release list", "%s", err.msg) : CLI_OK;
}

static int decide(bool approve, const struct args *a)
{
    const char *cmd = approve ? "release approve" : "release reject";
    int64_t key;
    if (!a->as || !a->key)
        return usage(stderr), CLI_USAGE;
    if (lia_parse_i64(a->key, strlen(a->key), 1, INT64_MAX, &key))
        return cli_error(CLI_USAGE, cmd, "KEY is the number `liaison release list` prints");
    struct store *s;
    int rc = cli_open_store(cmd, a->dir, 1, &s);
    if (rc)
        return rc;
    struct arena ar;
    arena_init(&ar, 0);
    struct lia_err err;
    lia_err_clear(&err);
    struct access_decider who;
    rc = cli_decider(s, a->as, &ar, &who, &err);
    struct store_release r;
    if (rc == 0)
        rc = access_release_decide(s, &who, key, approve, a->reason, &ar, &r, &err);
    if (rc == 0)
        printf("%s %s (version %s) %s by %s%s%lld.\n", r.id, r.type, r.modified ? r.modified : "",
               approve ? "approved" : "rejected", who.name, approve ? "; now under key " : "",
               approve ? (long long)r.obj : 0LL);
    arena_release(&ar);
    store_close(s);
    return rc ? cli_error(cli_exit_for(rc), cmd, "%s", err.msg) : CLI_OK;
}

static int policy(const struct args *a)
{
    int min_tlp = 0;
    if (a->from) {
        min_tlp = !strcmp(a->from, "none") ? STORE_RELEASE_NEVER : access_tlp_parse(a->from);
        if (min_tlp < 0)
            return cli_error(CLI_USAGE, "release policy",
                             "--from is clear, green, amber, amber+strict, red or none");
    }
    if ((a->marking && strncmp(a->marking, "marking-definition--", 20)) ||
        (a->unmark && strncmp(a->unmark, "marking-definition--", 20)))
        return cli_error(CLI_USAGE, "release policy", "a marking is a marking-definition id");
    struct store *s;
    int rc = cli_open_store("release policy", a->dir, 1, &s);
    if (rc)
        return rc;
    struct arena ar;
    arena_init(&ar, 0);
    struct lia_err err;
    lia_err_clear(&err);
    struct store_collection col = {0};
    struct store_policy all = {.all = true, .clearance = STORE_TLP_RED};
    if (a->collection)
        rc = store_collection_get(s, &all, a->collection, &ar, &col, &err);
    bool change = a->from || a->marking || a->unmark || a->clear;
    struct store_release_rule *had = NULL;
    size_t n_had = 0;
    if (rc == 0 && a->clear) /* before the write: the store has one connection here */
        rc = store_release_rule_list(s, &ar, &had, &n_had, &err);
    struct store_txn *t = NULL;
    if (rc == 0 && change)
        rc = store_begin(s, &t, &err);
    for (size_t i = 0; i < n_had && rc == 0; i++)
        if (had[i].coll == col.rid)
            rc = store_release_rule_set(t, col.rid, had[i].what, 0, true, &err);
    if (rc == 0 && a->from)
        rc = store_release_rule_set(t, col.rid, "tlp", min_tlp, false, &err);
    if (rc == 0 && a->marking)
        rc = store_release_rule_set(t, col.rid, a->marking, 0, false, &err);
    if (rc == 0 && a->unmark)
        rc = store_release_rule_set(t, col.rid, a->unmark, 0, true, &err);
    if (rc == 0 && change) {
        char detail[512];
        snprintf(detail, sizeof detail,
                 "{\"collection\":\"%s\",\"from\":\"%s\",\"marking\":\"%s\",\"removed\":\"%s\","
                 "\"clear\":%s}",
                 col.id ? col.id : "*", a->from ? a->from : "", a->marking ? a->marking : "",
                 a->unmark ? a->unmark : "", a->clear ? "true" : "false");
        rc = audit_append(t, "cli", "release.policy", detail, &err);
        rc = rc ? rc : store_commit(t, &err);
        t = rc ? t : NULL;
    }
    if (t)
        store_rollback(t);
    struct store_release_rule *rules;
    size_t n = 0;
    if (rc == 0)
        rc = store_release_rule_list(s, &ar, &rules, &n, &err);
    if (rc == 0) {
        printf("%-20s  %s\n", "COLLECTION", "HELD FOR A SECOND PERSON");
        if (n == 0)
            printf("%-20s  %s\n", "*", "amber+strict and above, written by people (built in)");
        for (size_t i = 0; i < n; i++) {
            char c[32] = "*";
            if (rules[i].coll)
                snprintf(c, sizeof c, "#%lld", (long long)rules[i].coll);
            if (!strcmp(rules[i].what, "tlp"))
                printf("%-20s  %s%s\n", c,
                       rules[i].min_tlp >= STORE_RELEASE_NEVER ? "no TLP"
                                                               : access_tlp_name(rules[i].min_tlp),
                       rules[i].min_tlp >= STORE_RELEASE_NEVER ? "" : " and above");
            else
                printf("%-20s  marked %s\n", c, rules[i].what);
        }
    }
    arena_release(&ar);
    store_close(s);
    return rc ? cli_error(cli_exit_for(rc), "release policy", "%s", err.msg) : CLI_OK;
}

static int partner(const struct args *a)
{
    if (!a->partner || a->four_eyes == a->no_four_eyes)
        return usage(stderr), CLI_USAGE;
    struct store *s;
    int rc = cli_open_store("release partner", a->dir, 1, &s);
    if (rc)
        return rc;
    struct arena ar;
    arena_init(&ar, 0);
    struct store_partner p;
    rc = cli_find_partner(s, a->partner, &ar, &p);
    if (rc) {
        arena_release(&ar);
        store_close(s);
        return cli_exit_for(rc);
    }
    rc = cli_partner_four_eyes(s, &p, a->four_eyes, false);
    arena_release(&ar);
    store_close(s);
    return rc;
}

int cli_partner_four_eyes(struct store *s, const struct store_partner *p, bool on, bool quiet)
{
    struct lia_err err;
    lia_err_clear(&err);
    struct store_txn *t;
    int64_t held = 0;
    int rc = store_begin(s, &t, &err);
    rc = rc ? rc : store_partner_four_eyes_set(t, p->rid, on, &held, &err);
    if (rc == 0) {
        char detail[256];
        snprintf(detail, sizeof detail, "{\"partner\":\"%s\",\"four_eyes\":%s,\"held\":%lld}",
                 p->identity_id, on ? "true" : "false", (long long)held);
        rc = audit_append(t, "cli", "partner.four_eyes", detail, &err);
        rc = rc ? rc : store_commit(t, &err);
    } else if (t) {
        store_rollback(t);
    }
    if (rc)
        return cli_error(cli_exit_for(rc), "release partner", "%s", err.msg);
    if (quiet)
        return CLI_OK;
    printf("Partner %s: four-eyes %s%s", p->name, on ? "on" : "off",
           on ? "; every version now needs a second person's approval for it" : "");
    if (held)
        printf(" (%lld versions held)", (long long)held);
    printf(".\n");
    return CLI_OK;
}

int cli_release(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    struct args a;
    int rc = parse(argc - 1, argv + 1, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    const char *v = argv[1];
    if (strcmp(v, "approve") && strcmp(v, "reject") && a.key)
        return usage(stderr), CLI_USAGE;
    if (!strcmp(v, "list"))
        return list(&a);
    if (!strcmp(v, "approve") || !strcmp(v, "reject"))
        return decide(!strcmp(v, "approve"), &a);
    if (!strcmp(v, "policy"))
        return policy(&a);
    if (!strcmp(v, "partner"))
        return partner(&a);
    usage(stderr);
    return cli_error(CLI_USAGE, "release", "unknown subcommand '%s'", v);
}
