/*
 * The audit hash chain: computing entry hashes, appending, verifying.
 * hash(n) = BLAKE2b-256( "liaison-audit-v1" || hash(n-1) || seq || ts ||
 *                        len(actor) actor || len(action) action || len(detail) detail )
 * with integers as 8-byte big-endian. hash(0) is 32 zero bytes.
 */
#include "audit/audit.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

static void put_u64(crypto_generichash_state *st, uint64_t v)
{
    unsigned char b[8];
    for (int i = 7; i >= 0; i--) {
        b[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
    crypto_generichash_update(st, b, sizeof b);
}

static void put_str(crypto_generichash_state *st, const char *z)
{
    size_t n = strlen(z);
    put_u64(st, n);
    crypto_generichash_update(st, (const unsigned char *)z, n);
}

static void entry_hash(const struct store_audit_entry *e, unsigned char out[32])
{
    crypto_generichash_state st;
    static const char tag[] = "liaison-audit-v1";
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, (const unsigned char *)tag, sizeof tag - 1);
    crypto_generichash_update(&st, e->prev, 32);
    put_u64(&st, (uint64_t)e->seq);
    put_u64(&st, (uint64_t)e->ts);
    put_str(&st, e->actor);
    put_str(&st, e->action);
    put_str(&st, e->detail);
    crypto_generichash_final(&st, out, 32);
}

static atomic_ullong stat_appends, stat_us;

void audit_stats(unsigned long long *appends, unsigned long long *us)
{
    *appends = atomic_load(&stat_appends);
    *us = atomic_load(&stat_us);
}

static int append(struct store_txn *t, const char *actor, const char *action, const char *detail,
                  struct lia_err *err);

int audit_append(struct store_txn *t, const char *actor, const char *action, const char *detail,
                 struct lia_err *err)
{
    int64_t start = lia_now_us();
    int rc = append(t, actor, action, detail, err);
    atomic_fetch_add(&stat_appends, 1);
    atomic_fetch_add(&stat_us, (unsigned long long)(lia_now_us() - start));
    return rc;
}

static int append(struct store_txn *t, const char *actor, const char *action, const char *detail,
                  struct lia_err *err)
{
    struct store_audit_entry e = {0};
    int rc = store_audit_last(t, &e.seq, e.prev, err);
    if (rc)
        return rc;
    e.seq++;
    e.ts = lia_now_us();
    e.actor = actor ? actor : "";
    e.action = action;
    e.detail = detail ? detail : "{}";
    entry_hash(&e, e.hash);
    char head[AUDIT_CHECKPOINT_MAX];
    audit_head_text(e.seq, e.hash, e.ts, head); /* signed when this process has the key */
    return store_audit_insert(t, &e, head, err);
}

struct verify_ctx {
    struct audit_report *r;
    int64_t expect_seq;
    unsigned char prev[32];
    const struct audit_checkpoint *cps; /* by seq */
    size_t n_cps, next_cp;
};

static void cp_time(const struct audit_checkpoint *cp, char out[32])
{
    lia_format_ts(cp->ts, 0, out);
}

/* An entry a checkpoint names must still have the hash it was signed with. */
static int check_checkpoints(struct verify_ctx *v, const struct store_audit_entry *e)
{
    for (; v->next_cp < v->n_cps && v->cps[v->next_cp].seq <= e->seq; v->next_cp++) {
        const struct audit_checkpoint *cp = &v->cps[v->next_cp];
        if (cp->seq < e->seq || sodium_memcmp(cp->hash, e->hash, 32) == 0)
            continue;
        char when[32];
        cp_time(cp, when);
        v->r->bad_seq = e->seq;
        snprintf(v->r->problem, sizeof v->r->problem,
                 "entry %lld is not the entry the checkpoint signed at %s names: the log was "
                 "rewritten up to here (entries removed or edited and the chain computed again, "
                 "or cut and written anew)",
                 (long long)e->seq, when);
        return 1;
    }
    return 0;
}

static int verify_one(const struct store_audit_entry *e, void *arg)
{
    struct verify_ctx *v = arg;
    unsigned char h[32];
    v->r->entries++;
    if (e->seq != v->expect_seq) {
        v->r->bad_seq = e->seq;
        snprintf(v->r->problem, sizeof v->r->problem,
                 "entry %lld found where %lld was expected: entries removed or reordered",
                 (long long)e->seq, (long long)v->expect_seq);
        return 1;
    }
    if (sodium_memcmp(e->prev, v->prev, 32) != 0) {
        v->r->bad_seq = e->seq;
        snprintf(v->r->problem, sizeof v->r->problem,
                 "entry %lld does not follow the entry before it (removed, reordered or edited)",
                 (long long)e->seq);
        return 1;
    }
    entry_hash(e, h);
    if (sodium_memcmp(h, e->hash, 32) != 0) {
        v->r->bad_seq = e->seq;
        snprintf(v->r->problem, sizeof v->r->problem,
                 "entry %lld was edited: its content does not match its hash", (long long)e->seq);
        return 1;
    }
    if (check_checkpoints(v, e))
        return 1;
    memcpy(v->prev, e->hash, 32);
    v->expect_seq++;
    return 0;
}

struct digest_ctx {
    struct store *s;
    struct audit_report *r;
    struct audit_removed *removed;
    int failed;
    struct lia_err *err;
};

/* A keyed disclosure must still name exactly the versions it named when it was sent. */
static int digest_one(const struct store_audit_entry *e, void *arg)
{
    struct digest_ctx *d = arg;
    struct arena a;
    arena_init(&a, 0);
    struct audit_disclosure x;
    int rc = audit_disclosure_resolve(d->s, e, d->removed, &a, &x, d->err);
    arena_release(&a);
    if (rc) {
        d->failed = rc;
        return 1;
    }
    if (!x.keyed || (!x.malformed && x.digest_ok))
        return 0;
    d->r->bad_seq = e->seq;
    if (x.malformed)
        snprintf(d->r->problem, sizeof d->r->problem,
                 "entry %lld is a disclosure whose keys cannot be read", (long long)e->seq);
    else if (x.missing)
        snprintf(d->r->problem, sizeof d->r->problem,
                 "entry %lld discloses %zu object versions that are neither stored nor deleted "
                 "on record: object rows were removed behind the log's back",
                 (long long)e->seq, x.missing);
    else
        snprintf(d->r->problem, sizeof d->r->problem,
                 "entry %lld discloses object versions whose ids or versions no longer match "
                 "its digest: object rows were edited",
                 (long long)e->seq);
    return 1;
}

/* Second walk, once the chain is intact: the disclosures against the object rows. */
static int verify_disclosures(struct store *s, struct audit_report *report, struct lia_err *err)
{
    struct digest_ctx d = {.s = s, .r = report, .err = err};
    int rc = audit_removed_load(s, &d.removed, err);
    if (rc == 0) {
        rc = store_audit_scan(s, 0, digest_one, &d, err);
        if (rc == 1)
            rc = d.failed;
    }
    audit_removed_free(d.removed);
    return rc;
}

static int by_seq(const void *a, const void *b)
{
    const struct audit_checkpoint *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The recorded head must name the last entry and, with pk, be a checkpoint pk signed. */
static void check_head(struct verify_ctx *v, const unsigned char *pk, const char *recorded)
{
    struct audit_report *r = v->r;
    int64_t last = v->expect_seq - 1;
    struct audit_checkpoint cp;
    struct lia_err e2;
    bool is_cp = recorded && audit_checkpoint_parse(recorded, strlen(recorded), &cp, &e2) == 0;
    bool same;
    if (is_cp) {
        same = cp.seq == last && sodium_memcmp(cp.hash, v->prev, 32) == 0;
    } else {
        same = recorded && strcmp(recorded, r->head) == 0;
    }
    if (!same) {
        r->bad_seq = v->expect_seq;
        snprintf(r->problem, sizeof r->problem,
                 "the log ends at entry %lld but its recorded head is %.40s: entries were removed "
                 "from the end or the head was edited",
                 (long long)last, recorded ? recorded : "missing");
        return;
    }
    r->head_signed = is_cp && pk && audit_checkpoint_signed_by(&cp, pk);
    if (pk && !r->head_signed) {
        r->bad_seq = v->expect_seq;
        snprintf(r->problem, sizeof r->problem,
                 "the recorded head (entry %lld) is %s: the head was rewritten, or the log "
                 "written without the instance's key",
                 (long long)last,
                 is_cp ? "not signed by this instance's key" : "not a signed checkpoint");
    }
}

int audit_verify(struct store *s, struct audit_report *report, struct lia_err *err)
{
    return audit_verify_anchored(s, NULL, NULL, 0, report, err);
}

int audit_verify_anchored(struct store *s, const unsigned char *pk,
                          const struct audit_checkpoint *cps, size_t n, struct audit_report *report,
                          struct lia_err *err)
{
    memset(report, 0, sizeof *report);
    struct audit_checkpoint *sorted = NULL;
    if (n) {
        sorted = malloc(n * sizeof *sorted);
        if (!sorted)
            return lia_err_set(err, LIA_ENOMEM, "out of memory");
        memcpy(sorted, cps, n * sizeof *sorted);
        qsort(sorted, n, sizeof *sorted, by_seq);
    }
    report->checkpoints = n;
    struct verify_ctx v = {.r = report, .expect_seq = 1, .cps = sorted, .n_cps = n};
    int rc = store_audit_scan(s, 0, verify_one, &v, err);
    if (rc == 1) {
        free(sorted);
        return 0;
    }
    if (rc) {
        free(sorted);
        return rc;
    }
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, v.prev, 32);
    snprintf(report->head, sizeof report->head, "%lld:%s", (long long)(v.expect_seq - 1), hex);
    if (v.next_cp < n) { /* a checkpoint names an entry past the end */
        const struct audit_checkpoint *cp = &sorted[n - 1];
        char when[32];
        cp_time(cp, when);
        report->bad_seq = v.expect_seq;
        snprintf(report->problem, sizeof report->problem,
                 "the log ends at entry %lld but the checkpoint signed at %s names entry %lld: "
                 "entries were removed from the end%s",
                 (long long)(v.expect_seq - 1), when, (long long)cp->seq,
                 v.expect_seq == 1 ? " (the log was wiped)" : "");
        free(sorted);
        return 0;
    }
    free(sorted);
    struct arena a;
    arena_init(&a, 0);
    char *recorded = NULL;
    struct lia_err e2;
    lia_err_clear(&e2);
    rc = store_meta_get(s, STORE_AUDIT_HEAD, &a, &recorded, &e2);
    if (rc == LIA_ENOTFOUND && report->entries == 0) {
        rc = 0;
        if (pk) { /* init writes the first entry of every instance that has a key */
            report->bad_seq = 1;
            snprintf(report->problem, sizeof report->problem,
                     "the log is empty, but this instance (it has a signing key) wrote its "
                     "first entry when it was created: the log was wiped");
        }
    } else if (rc == LIA_ENOTFOUND || rc == 0) {
        check_head(&v, pk, rc == 0 ? recorded : NULL);
        rc = 0;
    } else if (rc) {
        lia_err_set(err, rc, "%s", e2.msg);
    }
    arena_release(&a);
    if (rc == 0 && report->bad_seq == 0)
        rc = verify_disclosures(s, report, err);
    return rc;
}
