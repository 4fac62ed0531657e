/*
 * Storing what a peer sent (a page of a pull, or the bundle of an imported file) through the
 * one write path (src/ingest/), as the peer's partner under the exchange write rule: each new
 * version gets its provenance row, and the caller its own rows and the audit entry, in the
 * same transaction.
 */
#include "exchange/exchange_int.h"

#include <string.h>

#include "ingest/ingest.h"
#include "stix/stix.h"

struct receiving {
    const struct exchange_batch *b;
    struct exchange_result n; /* this batch's */
    int64_t *fresh;           /* date_added of the new versions */
    size_t n_fresh;
    struct dbuf detail;
};

static int received(const struct ingest_result *r, void *ctx)
{
    struct receiving *x = ctx;
    if (!r)
        return 0;
    x->n.received++;
    x->n.bytes += r->bytes;
    if (!r->stored) {
        x->n.refused++;
        exchange_report(x->b->o, "this instance", r->id, r->version, r->message);
    } else if (r->is_new) {
        x->n.stored++;
        x->fresh[x->n_fresh++] = r->date_added;
    } else {
        x->n.existed++;
    }
    return 0;
}

static int finish(struct store_txn *t, const struct ingest_tally *n, void *ctx, const char **detail,
                  struct lia_err *err)
{
    (void)n;
    struct receiving *x = ctx;
    const struct exchange_batch *b = x->b;
    int rc = store_provenance_put(t, x->fresh, x->n_fresh, b->peer, b->who->partner, lia_now_us(),
                                  b->trust, b->via, err);
    rc = rc ? rc : b->finish(t, &x->n, b->ctx, &x->detail, err);
    *detail = x->detail.ptr;
    return rc;
}

int exchange_receive(const struct exchange_batch *b, struct exchange_result *res,
                     struct lia_err *err)
{
    struct receiving x = {.b = b};
    dbuf_init(&x.detail, 64 * 1024);
    x.fresh = malloc((b->env->n_items ? b->env->n_items : 1) * sizeof *x.fresh);
    if (!x.fresh)
        return lia_err_set(err, LIA_ENOMEM, "batch too large for memory");
    struct ingest_spec spec = {.store = b->s,
                               .who = b->who,
                               .coll = b->coll,
                               .action = b->action,
                               .result = received,
                               .finish = finish,
                               .ctx = &x};
    int rc = ingest_items(&spec, b->env->items, b->env->n_items, NULL, err);
    if (rc == 0) {
        res->received += x.n.received;
        res->stored += x.n.stored;
        res->existed += x.n.existed;
        res->refused += x.n.refused;
        res->bytes += x.n.bytes;
    }
    free(x.fresh);
    dbuf_release(&x.detail);
    return rc;
}
