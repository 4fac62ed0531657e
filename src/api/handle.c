/*
 * The entry of every request: size check, authentication, routing, and one
 * access-log line (no secrets: the token id, never the token).
 */
#include "api/api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define MAX_SEGMENTS 16

int api_init(struct api *api, struct store *s, const struct api_config *cfg, struct lia_err *err)
{
    memset(api, 0, sizeof *api);
    api->store = s;
    api->cfg = *cfg;
    api->instance = api_rcache_instance();
    audit_recorder_init(&api->recorder, s);
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

void api_handle(void *ctx, struct http_request *req, struct http_response *resp)
{
    struct api_call call = {0};
    call.api = ctx;
    call.req = req;
    call.resp = resp;
    call.media = TAXII_MEDIA;
    int64_t start = lia_now_us();
    struct api_call *c = &call;

    const char *seg[MAX_SEGMENTS];
    bool bad = false;
    size_t nseg = split_path(req->arena, req->path, seg, &bad);
    if (req->body_too_big) {
        api_fail(c, 413, "Too large",
                 "the request body is larger than max_content_length (%zu bytes)",
                 c->api->cfg.max_content_length);
    } else if (nseg == 1 && !strcmp(seg[0], "healthz")) {
        dbuf_puts(&resp->body, "{\"status\":\"ok\"}");
        resp->status = 200;
        resp->content_type = "application/json";
    } else if (!bad && api_static_route(c, seg, nseg)) {
        /* the analyst pages' files: public, no credentials (their API calls carry a token) */
    } else {
        struct lia_err err;
        lia_err_clear(&err);
        /* Before the store is read: the generation the answer will be valid for. */
        struct api_rcache_probe probe;
        bool cached = api_rcache_find(c, &probe);
        /* The next page of a listing, made while the client read this one (readahead.c). */
        struct api_answer *ahead =
            cached ? NULL : api_readahead_take(c, probe.on ? probe.key : NULL);
        bool made = cached || ahead;
        /* A read request sees one snapshot, taken once. */
        bool held = !made && (!strcmp(req->method, "GET") || !strcmp(req->method, "HEAD")) &&
                    store_read_begin(c->api->store, NULL) == 0;
        int rc = made ? 0
                      : access_authenticate(c->api->store, http_header(req, "Authorization"),
                                            req->client_cert_fingerprint, req->client_cert_subject,
                                            req->arena, &c->who, &err);
        int64_t retry = 0;
        if (rc) {
            api_fail_err(c, &err);
        } else if (api_rate_check(c, &retry)) {
            api_fail(c, 429, "Too many requests",
                     "this principal is over its rate limit of %zu requests per second",
                     c->api->cfg.rate_limit);
            http_add_header(resp, "Retry-After",
                            arena_printf(req->arena, "%lld", (long long)retry));
        } else if (cached) {
            api_rcache_replay(c, &probe);
        } else if (ahead) {
            api_readahead_send(c, ahead);
        } else if (!bad && nseg == 1 && !strcmp(seg[0], "metrics")) {
            api_metrics(c);
        } else if (!bad && nseg >= 1 && !strcmp(seg[0], "liaison")) {
            api_liaison_route(c, seg, nseg);
        } else if (bad || nseg == 0 || strcmp(seg[0], "taxii2") != 0) {
            api_fail(c, 404, "Not found", "no such resource");
        } else {
            api_taxii_route(c, seg, nseg);
        }
        if (held)
            store_read_end(c->api->store);
        if (!made && rc == 0)
            api_rcache_keep(c, &probe);
        if (rc == 0)
            api_readahead_schedule(c);
        /* c->who points into it until the log line below */
        c->ahead_taken = ahead;
    }
    api_metrics_request(resp->status, req->body_len, resp->body.len, lia_now_us() - start);
    struct dbuf line;
    dbuf_init(&line, 1024);
    dbuf_json_string(&line, req->path, strlen(req->path) > 200 ? 200 : strlen(req->path));
    lia_log(LIA_LOG_INFO, "request",
            "\"method\":\"%.10s\",\"path\":%s,\"status\":%d,\"actor\":\"%s\",\"client\":\"%s\","
            "\"bytes_in\":%zu,\"bytes_out\":%zu,\"us\":%lld",
            req->method, line.ptr ? line.ptr : "\"\"", resp->status,
            c->who.actor ? c->who.actor : "-", req->client_addr ? req->client_addr : "-",
            req->body_len, resp->body.len, (long long)(lia_now_us() - start));
    dbuf_release(&line);
    api_readahead_finish(c, c->ahead_taken);
    audit_ticket_release(&c->ticket);
}

void api_handle_ahead(struct api_call *c)
{
    const char *seg[MAX_SEGMENTS];
    bool bad = false;
    size_t nseg = split_path(c->req->arena, c->req->path, seg, &bad);
    if (bad || nseg == 0 || strcmp(seg[0], "taxii2") != 0)
        return;
    bool held = store_read_begin(c->api->store, NULL) == 0;
    struct lia_err err;
    lia_err_clear(&err);
    if (access_authenticate(c->api->store, http_header(c->req, "Authorization"),
                            c->req->client_cert_fingerprint, c->req->client_cert_subject,
                            c->req->arena, &c->who, &err) == 0)
        api_taxii_route(c, seg, nseg);
    if (held)
        store_read_end(c->api->store);
}
