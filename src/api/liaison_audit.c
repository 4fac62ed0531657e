/*
 * The audit anchors partners exchange (audit/anchor.c, docs/security.md):
 *   - a partner that pushes to us sends its latest signed checkpoint in the request header
 *     X-Liaison-Audit-Checkpoint; we keep it (its witness) once its registered key verifies it;
 *   - GET /liaison/audit/witness answers a partner the checkpoints of its own log that we
 *     keep, {"checkpoints": [line, ...]}, for its `audit verify --witnesses`.
 * Our own checkpoint goes out on every answer to a partner (pipeline.c, the writer).
 */
#include "api/api_int.h"

#include <string.h>

void api_keep_witness(struct api_call *c)
{
    const char *line = http_header(c->req, AUDIT_CHECKPOINT_HEADER);
    if (!line || !c->who->partner)
        return;
    struct lia_err err;
    lia_err_clear(&err);
    struct store_partner p;
    int rc = store_partner_get(c->api->store, c->who->partner, NULL, NULL, c->req->arena, &p, &err);
    rc = rc ? rc : audit_witness_keep(c->api->store, &p, line, &err);
    if (rc) /* the exchange goes on; the partner's anchor is what failed */
        lia_log(LIA_LOG_WARN, "witness_refused", "\"actor\":\"%s\",\"why\":\"%s\"", c->who->actor,
                err.msg);
}

void api_liaison_audit(struct api_call *c, const char **seg, size_t nseg)
{
    if (nseg != 3 || strcmp(seg[2], "witness") != 0)
        return (void)api_fail(c, 404, "Not found", "no such resource");
    if (strcmp(c->req->method, "GET") != 0) {
        api_fail(c, 405, "Method not allowed", "%s is not allowed here; use GET", c->req->method);
        http_add_header(c->resp, "Allow", "GET");
        return;
    }
    static const char *const no_params[] = {NULL};
    if (api_check_params(c, no_params))
        return;
    if (!c->who->partner)
        return (void)api_fail(c, 403, "Forbidden",
                              "only a partner has checkpoints kept here (of its own log)");
    struct lia_err err;
    lia_err_clear(&err);
    struct store_witness *w;
    size_t n = 0;
    if (store_witness_list(c->api->store, c->who->partner, c->req->arena, &w, &n, &err))
        return (void)api_fail_err(c, &err);
    struct dbuf *b = &c->resp->body;
    dbuf_reset(b);
    int rc = dbuf_puts(b, "{\"checkpoints\":[");
    for (size_t i = 0; i < n && !rc; i++) {
        rc = i ? dbuf_puts(b, ",") : 0;
        rc = rc ? rc : dbuf_json_string(b, w[i].line, strlen(w[i].line));
    }
    rc = rc ? rc : dbuf_puts(b, "]}");
    if (rc)
        return (void)api_fail(c, 500, "Internal error", "the answer could not be built");
    c->resp->status = 200;
    c->resp->content_type = "application/json";
}
