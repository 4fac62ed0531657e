/*
 * POST objects (TAXII 2.1 section 5.4): the envelope goes to the one write path (src/ingest/),
 * which validates each object, stores the good ones and reports every failure with its
 * reason, all in one transaction with the status resource built here and the audit entry.
 * The answer says "success" for an object only after that transaction has committed
 * (invariant 3); a bad object never sinks the good ones (invariant 4).
 */
#include "api/api_int.h"

#include <stdio.h>
#include <string.h>

#include "ingest/ingest.h"

struct outcome {
    struct api_call *c;
    const struct store_collection *col;
    struct dbuf ok;
    struct dbuf bad;
    size_t n_ok;
    size_t n_bad;
    char sid[37];
    char *json; /* the status resource */
};

static int record(struct dbuf *b, size_t *n, const char *id, const char *version,
                  const char *message)
{
    int rc = dbuf_puts(b, *n ? ",{\"id\":" : "{\"id\":");
    rc = rc ? rc : dbuf_json_string(b, id, strlen(id));
    rc = rc ? rc : dbuf_puts(b, ",\"version\":");
    rc = rc ? rc : dbuf_json_string(b, version, strlen(version));
    if (!rc && message) {
        rc = dbuf_puts(b, ",\"message\":");
        rc = rc ? rc : dbuf_json_string(b, message, strlen(message));
    }
    rc = rc ? rc : dbuf_puts(b, "}");
    (*n)++;
    return rc;
}

static int result(const struct ingest_result *r, void *ctx)
{
    struct outcome *out = ctx;
    if (!r) { /* the batch starts over */
        dbuf_reset(&out->ok);
        dbuf_reset(&out->bad);
        out->n_ok = out->n_bad = 0;
        return 0;
    }
    return r->stored ? record(&out->ok, &out->n_ok, r->id, r->version, r->message)
                     : record(&out->bad, &out->n_bad, r->id, r->version, r->message);
}

static char *status_json(struct api_call *c, const char *id, size_t total, struct outcome *out)
{
    struct dbuf b;
    dbuf_init(&b, out->ok.len + out->bad.len + 4096);
    char ts[32];
    lia_format_ts(lia_now_us(), 6, ts);
    int rc = dbuf_printf(&b,
                         "{\"id\":\"%s\",\"status\":\"complete\",\"request_timestamp\":\"%s\","
                         "\"total_count\":%zu,\"success_count\":%zu,\"successes\":[",
                         id, ts, total, out->n_ok);
    rc = rc ? rc : dbuf_append(&b, out->ok.ptr ? out->ok.ptr : "", out->ok.len);
    rc = rc ? rc : dbuf_printf(&b, "],\"failure_count\":%zu,\"failures\":[", out->n_bad);
    rc = rc ? rc : dbuf_append(&b, out->bad.ptr ? out->bad.ptr : "", out->bad.len);
    rc = rc ? rc : dbuf_puts(&b, "],\"pending_count\":0,\"pendings\":[]}");
    char *s = NULL;
    if (!rc)
        s = arena_strndup(c->req->arena, b.ptr, b.len);
    dbuf_release(&b);
    return s;
}

/* In the batch's transaction: the status resource, and the audit entry's detail. */
static int finish(struct store_txn *t, const struct ingest_tally *n, void *ctx, const char **detail,
                  struct lia_err *err)
{
    struct outcome *out = ctx;
    struct api_call *c = out->c;
    lia_uuid4(out->sid);
    out->json = status_json(c, out->sid, n->received, out);
    if (!out->json)
        return lia_err_set(err, LIA_ENOMEM, "status too large");
    int rc = store_status_put(t, out->sid, api_owner(c), out->json, err);
    *detail = arena_printf(c->req->arena,
                           "{\"collection\":\"%s\",\"status\":\"%s\",\"stored\":%zu,"
                           "\"refused\":%zu}",
                           out->col->id, out->sid, out->n_ok, out->n_bad);
    return rc ? rc : *detail ? 0 : lia_err_set(err, LIA_ENOMEM, "out of memory");
}

void api_objects_post(struct api_call *c, const struct store_collection *col)
{
    struct lia_err err;
    lia_err_clear(&err);
    if (ingest_may_write(c->who, col, &err))
        return (void)api_fail(c, 403, "Forbidden", "%s", err.msg);
    if (api_check_content_type(c))
        return;
    struct outcome out = {.c = c, .col = col};
    dbuf_init(&out.ok, 64 * 1024 * 1024);
    dbuf_init(&out.bad, 64 * 1024 * 1024);
    struct ingest_spec spec = {.store = c->api->store,
                               .who = c->who,
                               .coll = col->rid,
                               .col = col,
                               .action = "objects.add",
                               .a = c->req->arena,
                               .result = result,
                               .finish = finish,
                               .ctx = &out};
    int rc = ingest_body(&spec, c->req->body, c->req->body_len, &c->api->cfg.stix, NULL, &err);
    dbuf_release(&out.ok);
    dbuf_release(&out.bad);
    if (rc)
        return (void)api_fail_err(c, &err);
    api_metrics_objects(out.n_ok, out.n_bad);
    api_keep_witness(c); /* a pushing partner's signed checkpoint (liaison_audit.c) */
    if (dbuf_puts(&c->resp->body, out.json))
        return (void)api_fail(c, 500, "Internal error", "status too large");
    c->resp->status = 202;
    c->resp->content_type = TAXII_MEDIA;
}
