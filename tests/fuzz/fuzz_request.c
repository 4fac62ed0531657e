/*
 * Fuzz target: one full HTTP request through api_handle against a real store, without
 * libmicrohttpd (http_request built in memory; http_header reads req->headers).
 *
 * Input: a request head and body, as on the wire but without the HTTP version:
 *     METHOD PATH[?QUERY]\n
 *     Name: value\n ...
 *     \n
 *     body
 * Requests without an Authorization header run as the local admin; "Authorization:
 * partner" runs as partner P (read and write grant on collection "c"), "Authorization:
 * reader" as a read-only token. The path and query are unescaped as the server does.
 *
 * The store is a SQLite file in a private temporary directory (on /dev/shm when there is
 * one, so synchronous=FULL costs no disk flush), made once by LLVMFuzzerInitialize with
 * collection alias "c" and removed at exit. It is not in memory: store_open takes a file
 * path and a pool of connections, and a file keeps the store code exactly as served.
 * Objects posted by one input stay for the next ones, as on a real server.
 */
#include "fuzz_common.h"

#include <stdio.h>
#include <strings.h>
#include <unistd.h>

#include <sodium.h>

#include "access/access.h"
#include "api/api.h"
#include "fuzz_query.h"

static struct api api;
static struct store *store;
static char dir[256];
static char admin_auth[ACCESS_TOKEN_MAX + 16], partner_auth[ACCESS_TOKEN_MAX + 16],
    reader_auth[ACCESS_TOKEN_MAX + 16];

static void cleanup(void)
{
    char path[300];
    store_close(store);
    const char *suffix[] = {"", "-wal", "-shm", "-journal", "-gen"};
    for (size_t i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s/liaison.db%s", dir, suffix[i]);
        unlink(path);
    }
    rmdir(dir);
}

static void must(int rc, const struct lia_err *err)
{
    if (rc) {
        fprintf(stderr, "fuzz_request setup: %s\n", err->msg);
        abort();
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    struct lia_err err;
    lia_err_clear(&err);
    lia_log_set_level(LIA_LOG_ERROR);
    if (sodium_init() < 0)
        abort();
    snprintf(dir, sizeof dir, "%s/liaison-fuzz-XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (!mkdtemp(dir))
        abort();
    char path[300];
    snprintf(path, sizeof path, "%s/liaison.db", dir);
    struct store_options opt = {.pool_size = 2, .busy_timeout_ms = 5000, .create = true};
    must(store_open(path, &opt, &store, &err), &err);
    atexit(cleanup);

    struct arena a;
    arena_init(&a, 0);
    struct store_collection col;
    must(store_collection_add(store, "Fuzz", NULL, "c", STORE_TLP_AMBER, &a, &col, &err), &err);
    struct store_partner p = {.identity_id = "identity--6d5e3f4a-1b2c-4d3e-8f9a-0b1c2d3e4f5a",
                              .identity_json = "{}",
                              .name = "P",
                              .country = "DZ",
                              .clearance = STORE_TLP_AMBER,
                              .trust = "B"};
    int64_t prid = 0;
    must(store_partner_add(store, &p, &prid, &err), &err);
    must(store_grant_set(store, col.rid, prid, true, true, &err), &err);
    char tok[ACCESS_TOKEN_MAX], id[32];
    struct access_token_spec admin = {.admin = true, .label = "fuzz"};
    must(access_token_issue(store, &admin, tok, id, &err), &err);
    snprintf(admin_auth, sizeof admin_auth, "Bearer %s", tok);
    struct access_token_spec partner = {.partner = prid, .label = "fuzz"};
    must(access_token_issue(store, &partner, tok, id, &err), &err);
    snprintf(partner_auth, sizeof partner_auth, "Bearer %s", tok);
    struct access_token_spec reader = {.read_only = true, .label = "fuzz"};
    must(access_token_issue(store, &reader, tok, id, &err), &err);
    snprintf(reader_auth, sizeof reader_auth, "Bearer %s", tok);
    arena_release(&a);

    struct api_config cfg = {.max_content_length = 1u << 20,
                             .stix = {.max_depth = 32, .max_string = 1u << 16, .max_objects = 64},
                             .default_page_size = 20,
                             .max_page_size = 100,
                             .max_filter_values = 10,
                             .rate_limit = 0,
                             .rate_burst = 0,
                             .response_cache_bytes = 64 * 1024,
                             .response_cache_ms = 1000,
                             .title = "fuzz"};
    must(api_init(&api, store, &cfg, &err), &err);
    return 0;
}

#define MAX_HEADERS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data, *end = in + size;
    const char *nl = memchr(in, '\n', size);
    if (!nl)
        return 0;
    const char *sp = memchr(in, ' ', (size_t)(nl - in));
    if (!sp)
        return 0;
    struct arena a;
    arena_init(&a, 64u << 20);
    struct http_request req = {0};
    req.arena = &a;
    req.client_addr = "127.0.0.1";
    req.method = arena_strndup(&a, in, (size_t)(sp - in));
    const char *target = sp + 1;
    const char *q = memchr(target, '?', (size_t)(nl - target));
    char *path = arena_strndup(&a, target, (size_t)((q ? q : nl) - target));
    if (!req.method || !path)
        abort();
    /* a NUL in the input ends the path, as in a C string from libmicrohttpd */
    http_unescape(path);
    req.path = path;
    if (q)
        fuzz_parse_query(&a, q + 1, (size_t)(nl - q - 1), &req);

    struct http_param headers[MAX_HEADERS];
    size_t nh = 0;
    bool has_auth = false;
    const char *p = nl + 1;
    while (p < end && *p != '\n') {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        if (colon && nh < MAX_HEADERS) {
            const char *v = colon + 1;
            while (v < eol && *v == ' ')
                v++;
            headers[nh].key = arena_strndup(&a, p, (size_t)(colon - p));
            headers[nh].value = arena_strndup(&a, v, (size_t)(eol - v));
            if (!headers[nh].key || !headers[nh].value)
                abort();
            if (!strcasecmp(headers[nh].key, "Authorization")) {
                has_auth = true;
                if (!strcmp(headers[nh].value, "partner"))
                    headers[nh].value = partner_auth;
                else if (!strcmp(headers[nh].value, "reader"))
                    headers[nh].value = reader_auth;
            }
            nh++;
        }
        p = eol + 1;
    }
    if (!has_auth && nh < MAX_HEADERS)
        headers[nh++] = (struct http_param){"Authorization", admin_auth};
    req.headers = headers;
    req.n_headers = nh;
    if (p < end)
        p++; /* the blank line */
    req.body = p < end ? p : "";
    req.body_len = p < end ? (size_t)(end - p) : 0;
    req.body_too_big = req.body_len > api.cfg.max_content_length;

    struct http_response resp = {0};
    resp.status = 500;
    dbuf_init(&resp.body, 16u << 20);
    api_handle(&api, &req, &resp);
    if (resp.status < 200 || resp.status > 599)
        abort(); /* no status set */
    if (resp.status >= 500 && resp.status != 503)
        abort(); /* the server blamed itself for a request */
    dbuf_release(&resp.body);
    arena_release(&a);
    return 0;
}
