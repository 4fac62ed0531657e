/*
 * POST objects (TAXII 2.1 section 5.4): validate each object of an envelope,
 * store the good ones, report every failure with its reason, all in one
 * transaction with the status resource and the audit entry. The answer says
 * "success" for an object only after that transaction has committed
 * (invariant 3); a bad object never sinks the good ones (invariant 4).
 */
#include "api/api_int.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "audit/audit.h"

struct outcome {
    struct dbuf ok;
    struct dbuf bad;
    size_t n_ok;
    size_t n_bad;
};

static const char *str_member(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : "";
}

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

/* Validates and stores one item (access/ingest.c); a refusal is recorded, not returned.
 * Returns non-zero only when the transaction itself failed. */
static int store_item(struct api_call *c, struct store_txn *t, const struct store_collection *col,
                      const struct stix_item *it, const struct stix_checked *checked,
                      struct outcome *out, struct lia_err *err)
{
    struct access_ingest ctx = {.store = c->api->store,
                                .who = c->who,
                                .coll = col->rid,
                                .a = c->req->arena,
                                .checked = checked};
    struct access_ingest_result res;
    int rc = access_ingest_object(t, &ctx, it->obj, it->text, it->len, &res, err);
    if (rc)
        return rc;
    if (!res.stored)
        return record(&out->bad, &out->n_bad, res.id, res.version, res.message);
    return record(&out->ok, &out->n_ok, res.id, res.version, res.message);
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

/* Whether needle (starting with '"') occurs in the n bytes at hay. */
static bool has_bytes(const char *hay, size_t n, const char *needle, size_t k)
{
    for (const char *p = hay; (size_t)(p - hay) + k <= n;) {
        const char *q = memchr(p, needle[0], n - (size_t)(p - hay) - k + 1);
        if (!q)
            return false;
        if (memcmp(q, needle, k) == 0)
            return true;
        p = q + 1;
    }
    return false;
}

/* Marking-definitions first, so objects of the same request can refer to them. */
static int store_envelope(struct api_call *c, struct store_txn *t,
                          const struct store_collection *col, const struct stix_envelope *env,
                          struct outcome *out, struct lia_err *err)
{
    int rc = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < env->n_items && rc == 0; i++) {
            const char *type = str_member(env->items[i].obj, "type");
            if ((strcmp(type, "marking-definition") == 0) == (pass == 0))
                rc = store_item(c, t, col, &env->items[i], NULL, out, err);
        }
    return rc;
}

/*
 * A large envelope without marking-definitions is stored while it is parsed: two threads
 * parse its objects (stix_stream_*) as this one validates and inserts those already
 * parsed, in the same single transaction. Returns false, with nothing begun or left over,
 * when the body is not such an envelope after all (not large, a "marking-definition" object
 * in it, an object that does not parse): the caller then parses it whole, which also gives
 * any error its exact wording; else true, *rc the result so far (*t begun unless it failed).
 */
static bool store_streamed(struct api_call *c, const struct store_collection *col,
                           struct store_txn **t, struct stix_envelope *env, size_t *total,
                           struct outcome *out, int *result, struct lia_err *err)
{
    static const char marking[] = "\"marking-definition\"";
    const char *body = c->req->body;
    size_t len = c->req->body_len;
    struct stix_stream *st = NULL;
    size_t n = 0;
    if (!body || has_bytes(body, len, marking, sizeof marking - 1) ||
        stix_stream_start(body, len, &c->api->cfg.stix, true, &st, &n) != 0)
        return false;
    int rc = store_begin(c->api->store, t, err);
    bool redo = false;
    for (size_t i = 0; i < n && rc == 0 && !redo; i++) {
        struct stix_item it;
        const struct stix_checked *checked = NULL;
        it.obj = stix_stream_item(st, i, &it.text, &it.len, &checked);
        /* An object that does not parse, or a marking-definition spelled with escapes: the
         * whole parse and the two passes decide. */
        redo = !it.obj || !strcmp(str_member(it.obj, "type"), "marking-definition");
        if (!redo)
            rc = store_item(c, *t, col, &it, checked, out, err);
    }
    if (!redo && rc == 0) {
        rc = stix_stream_finish(st, env, err);
        st = NULL;
        redo = rc != 0;
    }
    if (redo) {
        if (st)
            stix_stream_abort(st);
        if (*t)
            store_rollback(*t);
        *t = NULL;
        if (env->root)
            stix_envelope_release(env);
        return false;
    }
    if (st)
        stix_stream_abort(st); /* the transaction failed: the caller reports it */
    *total = n;
    *result = rc;
    return true;
}

void api_objects_post(struct api_call *c, const struct store_collection *col)
{
    if (c->who->read_only || !col->can_write)
        return (void)api_fail(c, 403, "Forbidden", "this token may not write to this collection");
    if (api_check_content_type(c))
        return;
    struct lia_err err;
    lia_err_clear(&err);
    struct stix_envelope env = {0};
    struct outcome out;
    dbuf_init(&out.ok, 64 * 1024 * 1024);
    dbuf_init(&out.bad, 64 * 1024 * 1024);
    out.n_ok = out.n_bad = 0;
    struct store_txn *t = NULL;
    size_t total = 0;
    int rc = 0;
    if (!store_streamed(c, col, &t, &env, &total, &out, &rc, &err)) {
        /* not streamed: parse it all, then store it */
        dbuf_reset(&out.ok);
        dbuf_reset(&out.bad);
        out.n_ok = out.n_bad = 0;
        lia_err_clear(&err);
        if (stix_parse_envelope(c->req->body, c->req->body_len, &c->api->cfg.stix, &env, &err)) {
            dbuf_release(&out.ok);
            dbuf_release(&out.bad);
            return (void)api_fail_err(c, &err);
        }
        total = env.n_items;
        rc = store_begin(c->api->store, &t, &err);
        if (rc == 0)
            rc = store_envelope(c, t, col, &env, &out, &err);
    }
    char sid[37];
    lia_uuid4(sid);
    char *json = NULL;
    if (rc == 0 && !(json = status_json(c, sid, total, &out)))
        rc = lia_err_set(&err, LIA_ENOMEM, "status too large");
    if (rc == 0)
        rc = store_status_put(t, sid, api_owner(c), json, &err);
    if (rc == 0) {
        char *detail = arena_printf(c->req->arena,
                                    "{\"collection\":\"%s\",\"status\":\"%s\",\"stored\":%zu,"
                                    "\"refused\":%zu}",
                                    col->id, sid, out.n_ok, out.n_bad);
        rc = detail ? audit_append(t, c->who->actor, "objects.add", detail, &err)
                    : lia_err_set(&err, LIA_ENOMEM, "out of memory");
    }
    stix_envelope_release_later(&env);
    dbuf_release(&out.ok);
    dbuf_release(&out.bad);
    if (rc) {
        if (t)
            store_rollback(t);
        return (void)api_fail_err(c, &err);
    }
    if (store_commit(t, &err))
        return (void)api_fail_err(c, &err);
    api_metrics_objects(out.n_ok, out.n_bad);
    if (dbuf_puts(&c->resp->body, json))
        return (void)api_fail(c, 500, "Internal error", "status too large");
    c->resp->status = 202;
    c->resp->content_type = TAXII_MEDIA;
}
