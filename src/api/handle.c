/*
 * The entry of every request: size check, then the request pipeline
 * (pipeline/pipeline.h) with this layer's steps: authentication and rate
 * limit, routing; and one access-log line (no secrets: the token id, never
 * the token).
 *
 * Authentication happens twice for a request with a body: once when its head
 * is in (api_precheck, before the http layer keeps any byte of the body: no
 * memory is spent on a client without credentials), and again with the whole
 * request (the pipeline's admit step), which is cheap (the store caches the
 * rows it needs per connection) and keeps one path for every request. Both go
 * through authenticate_or_reply, which throttles failed authentications per
 * client address (ratelimit.c).
 */
#include "api/api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define MAX_SEGMENTS 16

static bool admit(void *ctx, struct pipeline_call *run, bool made);
static void route(void *ctx, struct pipeline_call *run);
static void fail(void *ctx, struct pipeline_call *run, const struct lia_err *err);

int api_init(struct api *api, struct store *s, const struct api_config *cfg, struct lia_err *err)
{
    memset(api, 0, sizeof *api);
    api->store = s;
    api->cfg = *cfg;
    audit_recorder_init(&api->recorder, s);
    const struct pipeline_config pc = {.response_cache_bytes = cfg->response_cache_bytes,
                                       .response_cache_ms = cfg->response_cache_ms,
                                       .readahead_bytes = cfg->readahead_bytes,
                                       .readahead_threads = cfg->readahead_threads,
                                       .request_memory = cfg->request_memory,
                                       .max_response = cfg->max_response};
    static const struct pipeline_handler steps = {.admit = admit, .route = route, .fail = fail};
    pipeline_init(&api->pipe, s, &api->recorder, &pc, &steps, api);
    struct arena a;
    arena_init(&a, 0);
    char *hex = NULL;
    int rc = store_meta_get(s, "next_token_key", &a, &hex, err);
    if (rc == LIA_ENOTFOUND) {
        lia_err_clear(err);
        unsigned char key[32];
        char buf[65];
        randombytes_buf(key, sizeof key);
        sodium_bin2hex(buf, sizeof buf, key, sizeof key);
        rc = store_meta_set(s, "next_token_key", buf, err);
        if (rc == 0)
            rc = store_meta_get(s, "next_token_key", &a, &hex, err);
    }
    if (rc == 0 && (strlen(hex) != 64 || sodium_hex2bin(api->next_key, sizeof api->next_key, hex,
                                                        64, NULL, NULL, NULL) != 0))
        rc = lia_err_set(err, LIA_EIO, "store: next_token_key is corrupt");
    arena_release(&a);
    return rc;
}

int api_readahead_start(struct api *api, struct lia_err *err)
{
    return pipeline_readahead_start(&api->pipe, err);
}

void api_readahead_stop(struct api *api)
{
    pipeline_readahead_stop(&api->pipe);
}

void api_call_of(struct api_call *c, struct api *api, struct pipeline_call *run)
{
    memset(c, 0, sizeof *c);
    c->api = api;
    c->req = run->req;
    c->resp = run->resp;
    c->who = &run->who;
    c->media = TAXII_MEDIA;
    c->run = run;
}

static size_t split_path(struct arena *a, const char *path, const char **seg, bool *bad)
{
    size_t n = 0;
    const char *p = path;
    *bad = *p != '/';
    while (!*bad && *p == '/' && p[1]) {
        p++;
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len == 0 || n == MAX_SEGMENTS) {
            *bad = true;
            break;
        }
        seg[n++] = arena_strndup(a, p, len);
        if (!seg[n - 1])
            *bad = true;
        p += len;
    }
    return n;
}

/* Authenticates c's caller into c->who; otherwise answers 401, or 429 while its address
 * may not try again, and returns -1. Accepted credentials mark the response authenticated
 * (reserved connection slots, http.h). */
int api_auth_blocked_or_reply(struct api_call *c)
{
    int64_t retry = 0;
    if (!api_auth_blocked(c, &retry))
        return 0;
    api_fail(c, 429, "Too many requests",
             "too many failed authentications from this address; try again later");
    http_add_header(c->resp, "Retry-After", arena_printf(c->req->arena, "%lld", (long long)retry));
    return -1;
}

static int authenticate_or_reply(struct api_call *c)
{
    if (api_auth_blocked_or_reply(c))
        return -1;
    struct lia_err err;
    lia_err_clear(&err);
    int rc = access_authenticate(c->api->store, http_header(c->req, "Authorization"),
                                 c->req->client_cert_fingerprint, c->req->client_cert_subject,
                                 c->req->arena, c->who, &err);
    if (rc) {
        if (rc == LIA_EUNAUTH)
            api_auth_failed(c);
        return api_fail_err(c, &err);
    }
    c->resp->authenticated = true;
    return 0;
}

/* The pipeline's first step: who asks (unless an answer was made for these credentials
 * already), and whether it may, now (the rate limit counts requests, not pages made ahead;
 * a request made ahead is no client's attempt, so it is not throttled either). */
static bool admit(void *ctx, struct pipeline_call *run, bool made)
{
    struct api_call call;
    struct api_call *c = &call;
    api_call_of(c, ctx, run);
    if (run->mode == PIPELINE_AHEAD) {
        struct lia_err err;
        lia_err_clear(&err);
        return access_authenticate(c->api->store, http_header(c->req, "Authorization"),
                                   c->req->client_cert_fingerprint, c->req->client_cert_subject,
                                   c->req->arena, c->who, &err) == 0;
    }
    if (made)
        c->resp->authenticated = true; /* made for exactly these credentials, still valid */
    else if (authenticate_or_reply(c) != 0)
        return false; /* answered: 401, or 429 for an address that failed too often */
    int64_t retry = 0;
    if (api_rate_check(c, &retry)) {
        api_fail(c, 429, "Too many requests",
                 "this principal is over its rate limit of %zu requests per second",
                 c->api->cfg.rate_limit);
        http_add_header(c->resp, "Retry-After",
                        arena_printf(c->req->arena, "%lld", (long long)retry));
        return false;
    }
    return true;
}

/* The pipeline's second step: the endpoint. A request made ahead is a TAXII listing's next
 * page (pipeline/readahead.c makes no other). */
static void route(void *ctx, struct pipeline_call *run)
{
    struct api_call call;
    struct api_call *c = &call;
    api_call_of(c, ctx, run);
    const char *seg[MAX_SEGMENTS];
    bool bad = false;
    size_t nseg = split_path(c->req->arena, c->req->path, seg, &bad);
    if (!bad && nseg == 1 && !strcmp(seg[0], "metrics") && run->mode == PIPELINE_REQUEST)
        api_metrics(c);
    else if (!bad && nseg >= 1 && !strcmp(seg[0], "liaison") && run->mode == PIPELINE_REQUEST)
        api_liaison_route(c, seg, nseg);
    else if (bad || nseg == 0 || strcmp(seg[0], "taxii2") != 0)
        api_fail(c, 404, "Not found", "no such resource");
    else
        api_taxii_route(c, seg, nseg);
}

static void fail(void *ctx, struct pipeline_call *run, const struct lia_err *err)
{
    struct api_call c;
    api_call_of(&c, ctx, run);
    api_fail_err(&c, err);
}

/* The request's metrics and its access-log line. */
static void log_request(struct api_call *c, int64_t start)
{
    struct http_request *req = c->req;
    struct http_response *resp = c->resp;
    api_metrics_request(resp->status, req->body_len, resp->body.len, lia_now_us() - start);
    struct dbuf line, cause;
    dbuf_init(&line, 1024);
    dbuf_init(&cause, 1024);
    dbuf_json_string(&line, req->path, strlen(req->path) > 200 ? 200 : strlen(req->path));
    if (resp->cause) {
        dbuf_puts(&cause, ",\"cause\":");
        dbuf_json_string(&cause, resp->cause,
                         strlen(resp->cause) > 400 ? 400 : strlen(resp->cause));
    }
    lia_log(LIA_LOG_INFO, "request",
            "\"method\":\"%.10s\",\"path\":%s,\"status\":%d,\"actor\":\"%s\",\"client\":\"%s\","
            "\"bytes_in\":%zu,\"bytes_out\":%zu,\"us\":%lld%s",
            req->method, line.ptr ? line.ptr : "\"\"", resp->status,
            c->who->actor ? c->who->actor : "-", req->client_addr ? req->client_addr : "-",
            req->body_len, resp->body.len, (long long)(lia_now_us() - start),
            cause.ptr ? cause.ptr : "");
    dbuf_release(&cause);
    dbuf_release(&line);
}

bool api_precheck(void *ctx, struct http_request *req, struct http_response *resp)
{
    if (!strcmp(req->path, "/healthz") || !strcmp(req->path, "/liaison/signin"))
        return false;         /* needs no credentials */
    struct pipeline_call run; /* not run: it holds the principal authenticate_or_reply fills */
    pipeline_call_init(&run, PIPELINE_REQUEST, req, resp);
    struct api_call call;
    api_call_of(&call, ctx, &run);
    int64_t start = lia_now_us();
    if (authenticate_or_reply(&call) == 0)
        return false;
    log_request(&call, start);
    return true;
}

/* /healthz: "can serve": the store answers and its schema is the one this liaison knows. The
 * body says which failed in a word (it needs no credentials); the access log says why. */
static void health(struct api_call *c)
{
    struct lia_err err;
    lia_err_clear(&err);
    int rc = store_health(c->api->store, &err);
    c->resp->content_type = "application/json";
    if (rc == 0) {
        dbuf_puts(&c->resp->body, "{\"status\":\"ok\"}");
        c->resp->status = 200;
        return;
    }
    c->resp->cause = arena_strndup(c->req->arena, err.msg, strlen(err.msg));
    http_add_header(c->resp, "Retry-After", API_BUSY_RETRY_AFTER);
    dbuf_printf(&c->resp->body, "{\"status\":\"unavailable\",\"store\":\"%s\"}",
                rc == LIA_EUNSUPPORTED ? "schema version differs" : "unreachable");
    c->resp->status = 503;
}

void api_handle(void *ctx, struct http_request *req, struct http_response *resp)
{
    struct api *api = ctx;
    struct pipeline_call run;
    pipeline_call_init(&run, PIPELINE_REQUEST, req, resp);
    struct api_call call;
    struct api_call *c = &call;
    api_call_of(c, api, &run);
    int64_t start = lia_now_us();

    const char *seg[MAX_SEGMENTS];
    bool bad = false;
    size_t nseg = split_path(req->arena, req->path, seg, &bad);
    if (req->refused_status) {
        api_fail_refused(c, req->refused_status, req->refused_reason);
    } else if (req->body_too_big) {
        api_fail(c, 413, "Too large",
                 "the request body is larger than max_content_length (%zu bytes)",
                 api->cfg.max_content_length);
    } else if (nseg == 1 && !strcmp(seg[0], "healthz")) {
        health(c);
    } else if (!bad && nseg == 2 && !strcmp(seg[0], "liaison") && !strcmp(seg[1], "signin")) {
        api_liaison_signin(c); /* credentials of a person, not a token: liaison_people.c */
    } else if (!bad && api_static_route(c, seg, nseg)) {
        /* the analyst pages' files: public, no credentials (their API calls carry a token) */
    } else {
        pipeline_run(&api->pipe, &run);
    }
    log_request(c, start);
    pipeline_finish(&api->pipe, &run); /* run.who pointed into an answer it frees */
}
