/*
 * Storing what a peer sent (a page of a pull, or the bundle of an imported
 * file): every object goes through the one write path, access_ingest_object,
 * as the peer's partner under the exchange write rule; marking-definitions
 * first, so that objects of the same batch can refer to them. Each new
 * version gets its provenance row in the same transaction.
 */
#include "exchange/exchange_int.h"

#include <string.h>

#include "stix/stix.h"

int exchange_ingest_batch(struct store_txn *t, struct store *s, const struct access_principal *who,
                          int64_t coll, const struct stix_envelope *env, int64_t peer,
                          const char *trust, const char *via, const struct exchange_opts *o,
                          struct arena *a, struct exchange_result *res, struct lia_err *err)
{
    int64_t *fresh = env->n_items ? arena_alloc(a, env->n_items * sizeof *fresh) : NULL;
    if (env->n_items && !fresh)
        return lia_err_set(err, LIA_ENOMEM, "batch too large for memory");
    size_t n_fresh = 0;
    struct access_ingest ctx = {.store = s,
                                .who = who,
                                .coll = coll,
                                .exchange = true,
                                .instance_identity = access_instance_identity(s),
                                .a = a};
    int rc = 0;
    for (int pass = 0; pass < 2 && rc == 0; pass++)
        for (size_t i = 0; i < env->n_items && rc == 0; i++) {
            const struct stix_item *it = &env->items[i];
            const char *type = json_string_value(json_object_get(it->obj, "type"));
            if ((type && !strcmp(type, "marking-definition")) != (pass == 0))
                continue;
            /* Per-object scratch: a 100,000-object import must not hold every object's
             * handling arrays at once. Results are reported before it is released. */
            struct arena oa;
            arena_init(&oa, 0);
            ctx.a = &oa;
            struct access_ingest_result r;
            rc = access_ingest_object(t, &ctx, it->obj, it->text, it->len, &r, err);
            if (rc) {
                arena_release(&oa);
                break;
            }
            res->received++;
            res->bytes += it->len;
            if (!r.stored) {
                res->refused++;
                exchange_report(o, "this instance", r.id, r.version, r.message);
            } else if (r.is_new) {
                res->stored++;
                fresh[n_fresh++] = r.date_added;
            } else {
                res->existed++;
            }
            arena_release(&oa);
        }
    if (rc == 0)
        rc = store_provenance_put(t, fresh, n_fresh, peer, who->partner, lia_now_us(), trust, via,
                                  err);
    return rc;
}
