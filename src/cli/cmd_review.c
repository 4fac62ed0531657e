/*
 * `liaison review ...`: review dates and retention (docs/people.md). policy sets a
 * collection's review interval, retention limit, handling code and legal basis; list is the
 * review queue (objects due for review or at their retention limit); extend moves an object's
 * review date with a reason; delete removes its content (a releaser or admin), keeping its
 * id, versions and digests on record. Decisions name the person given by --as.
 */
#include "cli/cli_int.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "access/access.h"
#include "ingest/ingest.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: liaison review policy --data DIR --collection C [--every DURATION|never]\n"
            "                             [--retain DURATION|none] [--handling-code CODE]\n"
            "                             [--legal-basis TEXT]\n"
            "       liaison review list --data DIR [--collection C] [--all]\n"
            "       liaison review extend --data DIR --as NAME --collection C --by DURATION\n"
            "                             --reason TEXT ID\n"
            "       liaison review delete --data DIR --as NAME --collection C --reason TEXT ID\n\n"
            "DURATION is a number then s, m, h or d (180d). An object is due for review\n"
            "--every after its newest version, and reaches the retention limit --retain after\n"
            "its first; list shows those due now (--all: every object under a policy). extend\n"
            "sets the review date DURATION from now, never past the limit. delete removes every\n"
            "version's content from the store file. Handling codes: docs/people.md (Europol's\n"
            "H0-H3, or your own text).\n");
}

struct args {
    const char *dir, *as, *collection, *every, *retain, *code, *basis, *by, *reason, *id;
    bool all;
};

static int parse(int argc, char **argv, struct args *a)
{
#define V(flag, member)                                                                            \
    {                                                                                              \
        flag, offsetof(struct args, member), false                                                 \
    }
    static const struct cli_flag flags[] = {V("--data", dir),
                                            V("--as", as),
                                            V("--collection", collection),
                                            V("--every", every),
                                            V("--retain", retain),
                                            V("--handling-code", code),
                                            V("--legal-basis", basis),
                                            V("--by", by),
                                            V("--reason", reason),
                                            {"--all", offsetof(struct args, all), true}};
#undef V
    memset(a, 0, sizeof *a);
    int rc = cli_parse_flags(argc, argv, flags, sizeof flags / sizeof flags[0], a, &a->id, usage);
    if (rc)
        return rc;
    return a->dir ? 0 : (usage(stderr), CLI_USAGE);
}

/* DURATION, or the word for "none" (0). */
static int duration_or(const char *text, const char *none, int64_t *us)
{
    *us = 0;
    return !strcmp(text, none) ? 0 : cli_parse_duration(text, us);
}

static void fmt_or(int64_t us, const char *none, char out[40])
{
    if (us)
        lia_format_ts(us, 0, out);
    else
        snprintf(out, 40, "%s", none);
}

/* A duration as it was given: whole days as "Nd", else seconds; "-" for none. */
static const char *span(int64_t us, char out[32])
{
    int64_t sec = us / 1000000;
    if (!us)
        snprintf(out, 32, "-");
    else if (sec % 86400 == 0)
        snprintf(out, 32, "%lldd", (long long)(sec / 86400));
    else
        snprintf(out, 32, "%llds", (long long)sec);
    return out;
}

static int policy(const struct args *a, struct store *s, struct arena *ar, struct lia_err *err)
{
    struct store_retention r = {0};
    bool change = a->every || a->retain || a->code || a->basis;
    if (change && !a->collection)
        return lia_err_set(err, LIA_EINVAL, "say which collection: --collection C");
    if (a->every && duration_or(a->every, "never", &r.review_every))
        return lia_err_set(err, LIA_EINVAL, "--every is a duration such as 180d, or never");
    if (a->retain && duration_or(a->retain, "none", &r.retain_for))
        return lia_err_set(err, LIA_EINVAL, "--retain is a duration such as 1825d, or none");
    if ((a->code && (!*a->code || strlen(a->code) > 100)) || (a->basis && strlen(a->basis) > 1000))
        return lia_err_set(err, LIA_EINVAL,
                           "--handling-code has 1-100 bytes, --legal-basis at most 1000");
    struct store_retention *have;
    size_t n = 0;
    int rc = store_retention_list(s, ar, &have, &n, err);
    if (rc || !change)
        goto show;
    struct store_policy all = {.all = true, .clearance = STORE_TLP_RED};
    struct store_collection col;
    rc = store_collection_get(s, &all, a->collection, ar, &col, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) /* what is not given stays as it was */
        if (have[i].coll == col.rid) {
            r.review_every = a->every ? r.review_every : have[i].review_every;
            r.retain_for = a->retain ? r.retain_for : have[i].retain_for;
            r.handling_code = have[i].handling_code;
            r.legal_basis = have[i].legal_basis;
        }
    r.coll = col.rid;
    r.handling_code = a->code ? a->code : r.handling_code;
    r.legal_basis = a->basis ? a->basis : r.legal_basis;
    if (r.retain_for && r.review_every > r.retain_for)
        return lia_err_set(err, LIA_EINVAL,
                           "the review interval is longer than the retention "
                           "limit: nothing would be reviewed before it");
    struct store_txn *t;
    rc = store_begin(s, &t, err);
    rc = rc ? rc : store_retention_set(t, &r, err);
    if (rc == 0) {
        char *detail = arena_printf(
            ar, "{\"collection\":\"%s\",\"review_every_s\":%lld,\"retain_for_s\":%lld}", col.id,
            (long long)(r.review_every / 1000000), (long long)(r.retain_for / 1000000));
        rc = detail ? audit_append(t, "cli", "retention.policy", detail, err) : LIA_ENOMEM;
        rc = rc ? rc : store_commit(t, err);
    } else if (t) {
        store_rollback(t);
    }
    if (rc == 0)
        rc = store_retention_list(s, ar, &have, &n, err);
show:
    if (rc)
        return rc;
    printf("%-36s  %-10s  %-10s  %-8s  %s\n", "COLLECTION", "REVIEW", "RETAIN", "HANDLING",
           "LEGAL BASIS");
    for (size_t i = 0; i < n; i++) {
        char e[32], k[32];
        printf("%-36s  %-10s  %-10s  %-8s  %s\n", have[i].coll_id, span(have[i].review_every, e),
               span(have[i].retain_for, k), have[i].handling_code ? have[i].handling_code : "-",
               have[i].legal_basis ? have[i].legal_basis : "-");
    }
    return 0;
}

static int list(const struct args *a, struct store *s, struct arena *ar, struct lia_err *err)
{
    struct store_collection col = {0};
    struct store_policy all = {.all = true, .clearance = STORE_TLP_RED};
    int rc = a->collection ? store_collection_get(s, &all, a->collection, ar, &col, err) : 0;
    struct store_review_item *it;
    size_t n = 0;
    int64_t now = lia_now_us();
    rc = rc ? rc : store_review_queue(s, col.rid, now, a->all, 100000, ar, &it, &n, err);
    if (rc)
        return rc;
    printf("%-24s  %-24s  %-9s  %-20s  %s\n", "REVIEW DUE", "RETENTION LIMIT", "STATE",
           "EXTENDED BY", "ID");
    for (size_t i = 0; i < n; i++) {
        char due[40], lim[40];
        fmt_or(it[i].due, "-", due);
        fmt_or(it[i].limit, "-", lim);
        const char *state = it[i].limit && it[i].limit <= now ? "at limit"
                            : it[i].due && it[i].due <= now   ? "due"
                                                              : "kept";
        printf("%-24s  %-24s  %-9s  %-20s  %s\n", due, lim, state,
               it[i].extended_by ? it[i].extended_by : "-", it[i].id);
    }
    return 0;
}

static int decide(bool extend, const struct args *a, struct store *s, struct arena *ar,
                  struct lia_err *err)
{
    if (!a->as || !a->collection || !a->id || (extend && !a->by))
        return lia_err_set(err, LIA_EINVAL,
                           "give --as NAME, --collection C%s, --reason TEXT and the object's id",
                           extend ? ", --by DURATION" : "");
    int64_t by = 0;
    if (extend && cli_parse_duration(a->by, &by))
        return lia_err_set(err, LIA_EINVAL, "--by is a duration such as 90d");
    struct access_decider who;
    int rc = cli_decider(s, a->as, ar, &who, err);
    struct store_policy all = {.all = true, .clearance = STORE_TLP_RED};
    struct store_collection col;
    rc = rc ? rc : store_collection_get(s, &all, a->collection, ar, &col, err);
    if (rc)
        return rc;
    if (extend) {
        rc = access_review_extend(s, &who, &col, a->id, lia_now_us() + by, a->reason, err);
        if (rc == 0)
            printf("%s: review extended by %s (%s).\n", a->id, a->by, who.name);
        return rc;
    }
    /* Ours: revoked (the content goes, partners get the revocation); another party's: our
     * copy is deleted. */
    size_t n = 0;
    rc = access_decider_check(&who, true, "deleting an object", err);
    struct access_principal as = {.actor = who.actor,
                                  .identity = access_instance_identity(s),
                                  .admin = true,
                                  .person = who.person,
                                  .person_name = who.name,
                                  .role = who.role,
                                  .policy = {.all = true, .clearance = STORE_TLP_RED}};
    bool revoked = false;
    rc = rc ? rc : ingest_review_remove(s, &as, &who, &col, a->id, a->reason, &n, &revoked, err);
    if (rc == 0 && revoked)
        printf("%s: revoked by %s; its content is deleted, partners receive the revocation.\n",
               a->id, who.name);
    else if (rc == 0)
        printf("%s: %zu version%s deleted by %s; id and digests on record.\n", a->id, n,
               n == 1 ? "" : "s", who.name);
    return rc;
}

int cli_review(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    const char *v = argv[1];
    bool known =
        !strcmp(v, "policy") || !strcmp(v, "list") || !strcmp(v, "extend") || !strcmp(v, "delete");
    if (!known) {
        usage(stderr);
        return cli_error(CLI_USAGE, "review", "unknown subcommand '%s'", v);
    }
    struct args a;
    int rc = parse(argc - 1, argv + 1, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    char cmd[32];
    snprintf(cmd, sizeof cmd, "review %s", v);
    struct store *s;
    rc = cli_open_store(cmd, a.dir, 1, &s);
    if (rc)
        return rc;
    struct arena ar;
    arena_init(&ar, 0);
    struct lia_err err;
    lia_err_clear(&err);
    if (!strcmp(v, "policy"))
        rc = policy(&a, s, &ar, &err);
    else if (!strcmp(v, "list"))
        rc = list(&a, s, &ar, &err);
    else
        rc = decide(!strcmp(v, "extend"), &a, s, &ar, &err);
    arena_release(&ar);
    store_close(s);
    return rc ? cli_error(cli_exit_for(rc), cmd, "%s", err.msg[0] ? err.msg : "failed") : CLI_OK;
}
