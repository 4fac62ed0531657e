/*
 * The scheduled exchanges of `liaison serve` (sync_interval): every
 * checkpoint a `liaison pull` or `liaison push` created is one configured
 * exchange, run again on each tick. A run that another process holds (its
 * lock) is skipped for this tick; failures are recorded in the checkpoint
 * (last_error) and logged, and never stop the server.
 */
#include "exchange/exchange_int.h"

#include <string.h>

static const struct store_collection *find_coll(const struct store_collection *cs, size_t n,
                                                int64_t rid)
{
    for (size_t i = 0; i < n; i++)
        if (cs[i].rid == rid)
            return &cs[i];
    return NULL;
}

int exchange_sync_all(struct store *s, const struct exchange_opts *o)
{
    struct arena a;
    arena_init(&a, 0);
    struct lia_err err;
    lia_err_clear(&err);
    struct store_checkpoint *cps = NULL;
    struct store_collection *cols = NULL;
    size_t n = 0, n_cols = 0;
    struct store_policy admin = {.all = true, .clearance = STORE_TLP_RED};
    int failed = 0;
    if (store_checkpoint_list(s, 0, &a, &cps, &n, &err) ||
        store_collection_list(s, &admin, &a, &cols, &n_cols, &err)) {
        lia_log(LIA_LOG_ERROR, "sync.failed", "\"error\":\"store\"");
        arena_release(&a);
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        const struct store_checkpoint *cp = &cps[i];
        struct store_peer peer;
        const struct store_collection *col = find_coll(cols, n_cols, cp->local_coll);
        lia_err_clear(&err);
        if (!col || store_peer_get(s, cp->peer, NULL, &a, &peer, &err) != 0)
            continue;
        struct exchange_result res;
        int64_t t0 = lia_now_us();
        int rc = !strcmp(cp->direction, "pull")
                     ? exchange_pull(s, &peer, cp->remote_coll, col, o, &res, &err)
                     : exchange_push(s, &peer, col, cp->remote_coll, o, &res, &err);
        if (rc == LIA_EBUSY)
            continue;
        struct dbuf msg;
        dbuf_init(&msg, 4096);
        dbuf_puts(&msg, "\"peer\":");
        dbuf_json_string(&msg, peer.name, strlen(peer.name));
        dbuf_printf(&msg,
                    ",\"direction\":\"%s\",\"collection\":\"%s\",\"objects\":%llu,"
                    "\"stored\":%llu,\"refused\":%llu,\"us\":%lld",
                    cp->direction, col->id, (unsigned long long)res.received,
                    (unsigned long long)res.stored, (unsigned long long)res.refused,
                    (long long)(lia_now_us() - t0));
        if (rc) {
            failed++;
            dbuf_puts(&msg, ",\"error\":");
            dbuf_json_string(&msg, err.msg, strlen(err.msg));
        }
        lia_log(rc ? LIA_LOG_WARN : LIA_LOG_INFO, rc ? "sync.failed" : "sync.done", "%s",
                msg.ptr ? msg.ptr : "");
        dbuf_release(&msg);
    }
    arena_release(&a);
    return failed;
}
