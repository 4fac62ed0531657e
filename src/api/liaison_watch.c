/*
 * Watches over the liaison API (docs/watches.md) and the event stream:
 *   GET    /liaison/watches                 {"watches": [view...]}
 *   POST   /liaison/watches                 201 {"id", "secret"}   (secret: once, with a webhook)
 *   DELETE /liaison/watches/{id}            200 {"id"}
 *   POST   /liaison/watches/{id}/test       200 {"watch", "matches": [...], "truncated"}
 *   GET    /liaison/watches/{id}/events     200 {"watch", "events": [...], "before"?}: what it
 *                                           fired for, newest first (?before=&limit=)
 *   GET    /liaison/events                  text/event-stream of the caller's watches' events
 * A watch made here belongs to the caller: its partner, or this instance for local tokens.
 * Another owner's watch answers 404, like one that does not exist.
 *
 * The stream never holds a worker thread: when it has nothing to send it is parked
 * (http_stream_start) and the watch engine wakes it when the owner's watches fired, and every
 * keepalive interval, when it sends an SSE comment. Each event is checked through the store's
 * gate with the caller's policy as it is sent (watch_events_sse). Last-Event-ID resumes after
 * that event; without it the stream starts with the next event.
 */
#include "api/api_int.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "stix/stix.h"
#include "watch/watch.h"

#define TEST_LIMIT 1000
#define SSE_BATCH 32

static void answer_json(struct api_call *c, int status)
{
    c->resp->status = status;
    c->resp->content_type = "application/json";
}

static int fail_watch(struct api_call *c, const struct lia_err *err)
{
    if (err->code == LIA_EINVAL || err->code == LIA_ETOOBIG)
        return api_fail(c, 422, "Unprocessable request", "%s", err->msg);
    if (err->code == LIA_ECONFLICT)
        return api_fail(c, 409, "Conflict", "%s", err->msg);
    return api_fail_err(c, err);
}

/* Reads body[key], a list of at most WATCH_MAX_VALUES texts. */
static int text_list(struct api_call *c, json_t *body, const char *key, const char **out, size_t *n)
{
    json_t *v = json_object_get(body, key);
    size_t i;
    json_t *e;
    *n = 0;
    if (v && (!json_is_array(v) || json_array_size(v) > WATCH_MAX_VALUES))
        return api_fail(c, 422, "Unprocessable request", "%s must be a list of at most %d texts",
                        key, WATCH_MAX_VALUES);
    json_array_foreach(v, i, e)
    {
        if (!json_is_string(e))
            return api_fail(c, 422, "Unprocessable request", "%s must hold only texts", key);
        out[(*n)++] = json_string_value(e);
    }
    return 0;
}

/* One text, or a list of them (any of which matches). */
static int texts(struct api_call *c, json_t *body, const char *key, const char **out, size_t *n)
{
    json_t *v = json_object_get(body, key);
    *n = 0;
    if (json_is_string(v)) {
        out[(*n)++] = json_string_value(v);
        return 0;
    }
    return json_is_null(v) ? 0 : text_list(c, body, key, out, n);
}

static int opt_text(struct api_call *c, json_t *body, const char *key, const char **out)
{
    json_t *v = json_object_get(body, key);
    *out = json_is_string(v) ? json_string_value(v) : NULL;
    if (v && !json_is_string(v) && !json_is_null(v))
        return api_fail(c, 422, "Unprocessable request", "%s must be a text", key);
    return 0;
}

static void create(struct api_call *c)
{
    if (c->who->read_only)
        return (void)api_fail(c, 403, "Forbidden", "this token is read-only");
    const char *ct = http_header(c->req, "Content-Type");
    if (!ct || strncmp(ct, "application/json", 16) != 0)
        return (void)api_fail(c, 415, "Unsupported media type",
                              "send the body as application/json");
    json_t *body = NULL;
    struct lia_err err;
    lia_err_clear(&err);
    if (stix_parse_json(c->req->body, c->req->body_len, &c->api->cfg.stix, &body, &err))
        return (void)api_fail_err(c, &err);
    struct watch_spec spec = {0};
    if (!json_is_object(body)) {
        api_fail(c, 400, "Bad request", "the body must be a JSON object");
    } else if (!opt_text(c, body, "name", &spec.name) &&
               !texts(c, body, "name_like", spec.name_likes, &spec.n_name_likes) &&
               !texts(c, body, "text_like", spec.text_likes, &spec.n_text_likes) &&
               !opt_text(c, body, "marking_at_most", &spec.marking_at_most) &&
               !opt_text(c, body, "webhook", &spec.webhook) &&
               !opt_text(c, body, "into", &spec.into) &&
               !text_list(c, body, "what", spec.what, &spec.n_what) &&
               !text_list(c, body, "types", spec.types, &spec.n_types) &&
               !text_list(c, body, "locations", spec.locations, &spec.n_locations)) {
        const char *id = NULL, *secret = NULL;
        if (watch_add(c->api->store, c->who->partner, &spec, c->api->cfg.watch_max_per_principal,
                      c->req->arena, &id, &secret, &err) ||
            (c->who->token_id &&
             store_watch_token_set(c->api->store, id, c->who->token_id, &err))) {
            fail_watch(c, &err);
        } else {
            struct dbuf *b = &c->resp->body;
            dbuf_printf(b, "{\"id\":\"%s\",\"secret\":", id);
            if (secret)
                dbuf_json_string(b, secret, strlen(secret));
            else
                dbuf_puts(b, "null");
            dbuf_puts(b, "}");
            answer_json(c, 201);
        }
    }
    json_decref(body);
}

struct sse {
    struct api *api;
    struct store_policy policy;
    int64_t owner;
    char token_id[32];        /* the caller's token ("" for a certificate) */
    unsigned char rights[32]; /* access_principal_digest when the stream opened */
    int64_t after;            /* the last event id read */
    struct watch_subscriber *sub;
    _Atomic(struct http_stream *) stream;
    struct dbuf out;
    size_t off;
    int64_t last_send;
};

/* Called by the engine under its lock. */
static void sse_wake(void *ctx)
{
    struct sse *x = ctx;
    struct http_stream *st = atomic_load(&x->stream);
    if (st)
        http_stream_wake(st);
}

static long sse_read(void *ctx, char *buf, size_t max)
{
    struct sse *x = ctx;
    int64_t now = lia_now_us();
    if (x->off == x->out.len) {
        dbuf_reset(&x->out);
        x->off = 0;
        struct lia_err err;
        lia_err_clear(&err);
        /* The caller must still hold what it opened the stream with: a revoked or expired
         * token, a disabled partner, a grant or a group membership withdrawn ends the stream
         * before anything more is read for it (issue 27.1; the engine wakes every stream every
         * sse_recheck_ms). A client that may still read reconnects with Last-Event-ID. */
        struct access_principal who = {.token_id = x->token_id[0] ? x->token_id : NULL,
                                       .partner = x->owner};
        unsigned char now_rights[32];
        int arc = access_principal_digest(x->api->store, &who, now_rights, &err);
        if (arc || sodium_memcmp(now_rights, x->rights, sizeof now_rights) != 0) {
            lia_log(LIA_LOG_INFO, "event_stream_ended", "\"reason\":\"%s\"",
                    arc == LIA_EUNAUTH ? "credentials"
                    : arc              ? "check_failed"
                                       : "rights_changed");
            return HTTP_STREAM_END;
        }
        if (watch_events_sse(&x->api->recorder, x->owner, &x->policy, &x->after, SSE_BATCH, &x->out,
                             &err) != 0) {
            lia_log(LIA_LOG_WARN, "event_stream_failed", "\"code\":\"%s\"", lia_rc_name(err.code));
            return x->out.len ? 0 : HTTP_STREAM_END; /* the client resumes with Last-Event-ID */
        }
        int64_t keepalive = watch_engine_keepalive_ms(x->api->watches) * 1000;
        if (x->out.len == 0 && now - x->last_send >= keepalive / 2)
            dbuf_puts(&x->out, ": keep-alive\n\n");
    }
    size_t n = x->out.len - x->off;
    if (n == 0)
        return 0;
    if (n > max)
        n = max;
    memcpy(buf, x->out.ptr + x->off, n);
    x->off += n;
    x->last_send = now;
    return (long)n;
}

static void sse_close(void *ctx)
{
    struct sse *x = ctx;
    watch_unsubscribe(x->api->watches, x->sub);
    dbuf_release(&x->out);
    free(x);
}

static void events(struct api_call *c)
{
    const char *accept = http_header(c->req, "Accept");
    if (!accept || !strstr(accept, "text/event-stream"))
        return (void)api_fail(c, 406, "Not acceptable",
                              "this endpoint answers text/event-stream only");
    if (!c->api->watches)
        return (void)api_fail(c, 503, "Unavailable", "the watch engine is not running");
    int64_t after = 0;
    struct lia_err err;
    lia_err_clear(&err);
    const char *last = http_header(c->req, "Last-Event-ID");
    if (last && *last) {
        if (lia_parse_i64(last, strlen(last), 0, INT64_MAX, &after) != 0)
            return (void)api_fail(c, 400, "Bad request", "Last-Event-ID must be an event id");
    } else if (store_watch_event_last(c->api->store, c->who->partner, &after, &err)) {
        return (void)api_fail_err(c, &err);
    }
    struct sse *x = calloc(1, sizeof *x);
    if (!x)
        return (void)api_fail(c, 500, "Internal error", "out of memory");
    x->api = c->api;
    x->policy = c->who->policy;
    x->owner = c->who->partner;
    if (c->who->token_id)
        snprintf(x->token_id, sizeof x->token_id, "%s", c->who->token_id);
    if (access_principal_digest(c->api->store, c->who, x->rights, &err)) {
        free(x);
        return (void)api_fail_err(c, &err);
    }
    x->after = after;
    x->last_send = lia_now_us();
    dbuf_init(&x->out, 1024 * 1024);
    /* Sent at once, so that the client has the headers and knows the stream is open. */
    dbuf_puts(&x->out, ": liaison watch events\nretry: 3000\n\n");
    if (watch_subscribe(c->api->watches, x->owner, sse_wake, x, &x->sub, &err)) {
        dbuf_release(&x->out);
        free(x);
        api_fail(c, 503, "Busy", "%s", err.msg);
        return http_add_header(c->resp, "Retry-After", "30");
    }
    struct http_stream *st = http_stream_start(c->req, c->resp, sse_read, sse_close, x);
    if (!st) {
        sse_close(x);
        return (void)api_fail(c, 500, "Internal error", "out of memory");
    }
    atomic_store(&x->stream, st);
    c->resp->status = 200;
    c->resp->content_type = "text/event-stream; charset=utf-8";
    http_add_header(c->resp, "X-Accel-Buffering", "no");
}

/* GET /liaison/watches/{id}/events?before=&limit=: the objects the watch fired for, newest
 * first, each still visible to the caller (checked through the gate now) and, for a partner,
 * named in the request's disclosure ticket. */
static void fired_events(struct api_call *c, const char *id)
{
    static const char *const params[] = {"before", "limit", NULL};
    if (strcmp(c->req->method, "GET") != 0) {
        api_fail(c, 405, "Method not allowed", "use GET");
        return http_add_header(c->resp, "Allow", "GET");
    }
    if (api_check_params(c, params))
        return;
    int64_t before = 0;
    size_t limit;
    const char *v = api_param(c, "before");
    if (v && lia_parse_i64(v, strlen(v), 1, INT64_MAX, &before) != 0)
        return (void)api_fail(c, 400, "Bad request", "before must be an event number");
    if (api_parse_limit(c, &limit))
        return;
    struct audit_ticket *t;
    if (api_ticket(c, &t))
        return;
    struct lia_err err;
    lia_err_clear(&err);
    if (watch_fired_json(c->api->store, c->who->partner, &c->who->policy, id, before, limit, t,
                         &c->resp->body, &err))
        return (void)api_fail_err(c, &err);
    answer_json(c, 200);
}

void api_liaison_watches(struct api_call *c, const char **seg, size_t nseg)
{
    static const char *const no_params[] = {NULL};
    bool get = !strcmp(c->req->method, "GET");
    bool post = !strcmp(c->req->method, "POST");
    struct lia_err err;
    lia_err_clear(&err);
    bool fired = nseg == 4 && !strcmp(seg[1], "watches") && !strcmp(seg[3], "events");
    if (!fired && api_check_params(c, no_params))
        return;
    if (!strcmp(seg[1], "events")) {
        if (nseg != 2 || !get) {
            api_fail(c, 405, "Method not allowed", "use GET");
            return http_add_header(c->resp, "Allow", "GET");
        }
        return events(c);
    }
    if (nseg == 2) {
        if (post)
            return create(c);
        if (!get) {
            api_fail(c, 405, "Method not allowed", "use GET or POST");
            return http_add_header(c->resp, "Allow", "GET, POST");
        }
        dbuf_puts(&c->resp->body, "{\"watches\":");
        if (watch_list_json(c->api->store, c->who->partner, &c->resp->body, &err))
            return (void)api_fail_err(c, &err);
        dbuf_puts(&c->resp->body, "}");
        return answer_json(c, 200);
    }
    const char *id = seg[2];
    if (nseg > 4 || !stix_is_valid_id(id, strlen(id)) || strncmp(id, "watch--", 7) != 0)
        return (void)api_fail(c, 404, "Not found", "no such watch");
    if (nseg == 3) {
        if (strcmp(c->req->method, "DELETE") != 0) {
            api_fail(c, 405, "Method not allowed", "use DELETE");
            return http_add_header(c->resp, "Allow", "DELETE");
        }
        if (c->who->read_only)
            return (void)api_fail(c, 403, "Forbidden", "this token is read-only");
        if (store_watch_remove(c->api->store, c->who->partner, id, &err))
            return (void)api_fail_err(c, &err);
        dbuf_printf(&c->resp->body, "{\"id\":\"%s\"}", id);
        return answer_json(c, 200);
    }
    if (fired)
        return fired_events(c, id);
    if (strcmp(seg[3], "test") != 0)
        return (void)api_fail(c, 404, "Not found", "no such action; use test or events");
    if (!post) {
        api_fail(c, 405, "Method not allowed", "use POST");
        return http_add_header(c->resp, "Allow", "POST");
    }
    struct audit_ticket *t; /* the matches a partner is shown go on record first */
    if (api_ticket(c, &t))
        return;
    if (watch_test_json(c->api->store, c->who->partner, id, TEST_LIMIT, t, &c->resp->body, &err))
        return (void)api_fail_err(c, &err);
    answer_json(c, 200);
}
