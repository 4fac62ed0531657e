/*
 * /metrics in the Prometheus text format (version 0.0.4). Counters are
 * process-wide atomics bumped on the request path; gauges that live in the
 * store (sync checkpoints) are read when scraped. Reading metrics needs a
 * local admin token: counts say something about what a server holds.
 */
#include "api/api_int.h"

#include "audit/audit.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static const int tracked[] = {200, 202, 400, 401, 403, 404, 405, 406,
                              413, 415, 422, 429, 500, 501, 503, 507};
#define N_TRACKED (sizeof tracked / sizeof tracked[0])

static atomic_ullong by_status[N_TRACKED + 1];
static atomic_ullong request_us;
static atomic_ullong objects_stored;
static atomic_ullong objects_refused;
static atomic_ullong bytes_in;
static atomic_ullong bytes_out;

void api_metrics_request(int status, size_t in, size_t out, int64_t us)
{
    size_t i = 0;
    while (i < N_TRACKED && tracked[i] != status)
        i++;
    atomic_fetch_add(&by_status[i], 1);
    atomic_fetch_add(&request_us, (unsigned long long)(us > 0 ? us : 0));
    atomic_fetch_add(&bytes_in, in);
    atomic_fetch_add(&bytes_out, out);
}

void api_metrics_objects(size_t stored, size_t refused)
{
    atomic_fetch_add(&objects_stored, stored);
    atomic_fetch_add(&objects_refused, refused);
}

/* Exchange with peers: per peer and direction, when every configured exchange last succeeded
 * (the oldest of them) and how long ago that was. Read from the checkpoints when scraped. */
static int sync_gauges(struct api_call *c, struct dbuf *b)
{
    struct store_peer *peers;
    struct store_checkpoint *cps;
    size_t n_peers, n_cps;
    struct lia_err err;
    lia_err_clear(&err);
    if (store_peer_list(c->api->store, c->req->arena, &peers, &n_peers, &err) ||
        store_checkpoint_list(c->api->store, 0, c->req->arena, &cps, &n_cps, &err))
        return 0; /* the counters above are still worth serving */
    int rc = dbuf_puts(b, "# HELP liaison_sync_last_success_timestamp_seconds When every pull "
                          "(push) of the peer last succeeded: the oldest of them; 0 = never.\n"
                          "# TYPE liaison_sync_last_success_timestamp_seconds gauge\n");
    struct dbuf lag;
    dbuf_init(&lag, 1u << 20);
    rc = rc ? rc
            : dbuf_puts(&lag, "# HELP liaison_sync_lag_seconds Seconds since that success.\n"
                              "# TYPE liaison_sync_lag_seconds gauge\n");
    int64_t now = lia_now_us();
    static const char *const dirs[] = {"pull", "push"};
    for (size_t i = 0; i < n_peers && !rc; i++)
        for (size_t d = 0; d < 2 && !rc; d++) {
            bool any = false;
            int64_t oldest = INT64_MAX;
            for (size_t k = 0; k < n_cps; k++)
                if (cps[k].peer == peers[i].rid && !strcmp(cps[k].direction, dirs[d])) {
                    any = true;
                    oldest = cps[k].last_ok < oldest ? cps[k].last_ok : oldest;
                }
            if (!any)
                continue;
            struct dbuf name;
            dbuf_init(&name, 1024);
            int r2 = dbuf_json_string(&name, peers[i].name, strlen(peers[i].name));
            rc = r2 ? r2
                    : dbuf_printf(b,
                                  "liaison_sync_last_success_timestamp_seconds{peer=%s,"
                                  "direction=\"%s\"} %.3f\n",
                                  name.ptr, dirs[d], (double)oldest / 1e6);
            if (!rc && oldest)
                rc = dbuf_printf(&lag, "liaison_sync_lag_seconds{peer=%s,direction=\"%s\"} %.3f\n",
                                 name.ptr, dirs[d], (double)(now - oldest) / 1e6);
            dbuf_release(&name);
        }
    rc = rc ? rc : dbuf_append(b, lag.ptr, lag.len);
    dbuf_release(&lag);
    return rc;
}

void api_metrics(struct api_call *c)
{
    if (!c->who->admin)
        return (void)api_fail(c, 403, "Forbidden", "metrics need a local admin token");
    struct pipeline_stats ps;
    pipeline_stats(&ps);
    struct dbuf *b = &c->resp->body;
    int rc = dbuf_puts(b, "# HELP liaison_requests_total HTTP requests answered, by status.\n"
                          "# TYPE liaison_requests_total counter\n");
    for (size_t i = 0; i <= N_TRACKED && !rc; i++) {
        unsigned long long v = atomic_load(&by_status[i]);
        if (i < N_TRACKED)
            rc = dbuf_printf(b, "liaison_requests_total{status=\"%d\"} %llu\n", tracked[i], v);
        else
            rc = dbuf_printf(b, "liaison_requests_total{status=\"other\"} %llu\n", v);
    }
    if (!rc)
        rc = dbuf_printf(
            b,
            "# HELP liaison_request_seconds_total Time spent answering requests.\n"
            "# TYPE liaison_request_seconds_total counter\n"
            "liaison_request_seconds_total %.6f\n"
            "# HELP liaison_request_bytes_total Request body bytes received.\n"
            "# TYPE liaison_request_bytes_total counter\n"
            "liaison_request_bytes_total %llu\n"
            "# HELP liaison_response_bytes_total Response body bytes sent.\n"
            "# TYPE liaison_response_bytes_total counter\n"
            "liaison_response_bytes_total %llu\n"
            "# HELP liaison_objects_stored_total Object versions accepted by POST.\n"
            "# TYPE liaison_objects_stored_total counter\n"
            "liaison_objects_stored_total %llu\n"
            "# HELP liaison_objects_refused_total Objects refused by POST.\n"
            "# TYPE liaison_objects_refused_total counter\n"
            "liaison_objects_refused_total %llu\n"
            "# HELP liaison_objects_disclosed_total Object versions served to partners.\n"
            "# TYPE liaison_objects_disclosed_total counter\n"
            "liaison_objects_disclosed_total %llu\n",
            (double)atomic_load(&request_us) / 1e6, atomic_load(&bytes_in), atomic_load(&bytes_out),
            atomic_load(&objects_stored), atomic_load(&objects_refused), ps.disclosed);
    if (!rc)
        rc = sync_gauges(c, b);
    unsigned long long appends, audit_us;
    audit_stats(&appends, &audit_us);
    if (!rc)
        rc = dbuf_printf(b,
                         "# HELP liaison_audit_appends_total Audit entries appended.\n"
                         "# TYPE liaison_audit_appends_total counter\n"
                         "liaison_audit_appends_total %llu\n"
                         "# HELP liaison_audit_seconds_total Time spent appending audit entries.\n"
                         "# TYPE liaison_audit_seconds_total counter\n"
                         "liaison_audit_seconds_total %.6f\n"
                         "# HELP liaison_envelopes_parallel_total Large envelopes parsed on two "
                         "cores (while being stored, for POST).\n"
                         "# TYPE liaison_envelopes_parallel_total counter\n"
                         "liaison_envelopes_parallel_total %lu\n"
                         "# HELP liaison_response_cache_hits_total TAXII GETs answered from the "
                         "response cache.\n"
                         "# TYPE liaison_response_cache_hits_total counter\n"
                         "liaison_response_cache_hits_total %llu\n"
                         "# HELP liaison_response_cache_misses_total TAXII GETs that could have "
                         "been, but were not, answered from the response cache.\n"
                         "# TYPE liaison_response_cache_misses_total counter\n"
                         "liaison_response_cache_misses_total %llu\n"
                         "# HELP liaison_readahead_made_total Next pages of paged listings made "
                         "while their client read the page before.\n"
                         "# TYPE liaison_readahead_made_total counter\n"
                         "liaison_readahead_made_total %llu\n"
                         "# HELP liaison_readahead_sent_total Pages made ahead and sent when "
                         "asked for.\n"
                         "# TYPE liaison_readahead_sent_total counter\n"
                         "liaison_readahead_sent_total %llu\n"
                         "# HELP liaison_readahead_discarded_total Pages made ahead and never "
                         "sent (the store changed, too old, or room needed).\n"
                         "# TYPE liaison_readahead_discarded_total counter\n"
                         "liaison_readahead_discarded_total %llu\n",
                         appends, (double)audit_us / 1e6, stix_parallel_parses(), ps.cache_hits,
                         ps.cache_misses, ps.ahead_made, ps.ahead_sent, ps.ahead_discarded);
    if (!rc)
        rc = api_ratelimit_metrics(b);
    if (rc)
        return (void)api_fail(c, 500, "Internal error", "metrics too large");
    c->resp->status = 200;
    c->resp->content_type = "text/plain; version=0.0.4";
}
