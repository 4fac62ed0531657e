/*
 * http: the HTTP(S) server. The face of src/http/.
 *
 * It accepts connections (libmicrohttpd, TLS through GnuTLS), reads one
 * request into memory under the configured limits, and hands the complete
 * request to one handler, which fills a response. One request = one arena:
 * everything the handler allocates for the request lives in req->arena and is
 * freed when the response has been sent.
 *
 * Promises: a body is never read past max_content_length (a request
 * announcing more is answered before its body is read, with body_too_big
 * set so the API layer can word the 413); header and connection limits are
 * enforced by libmicrohttpd; the handler is called exactly once per request.
 */
#ifndef LIAISON_HTTP_H
#define LIAISON_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

#define HTTP_MAX_PARAMS 64
#define HTTP_MAX_RESP_HEADERS 16

struct http_param {
    const char *key;
    const char *value; /* NULL for a key without "=" */
};

struct http_request {
    struct arena *arena;
    const char *method;
    const char *path; /* decoded path, without the query string */
    struct http_param params[HTTP_MAX_PARAMS];
    size_t n_params;
    bool too_many_params;
    const char *body;
    size_t body_len;
    bool body_too_big;
    const char *client_addr;
    bool tls;
    const char *client_cert_fingerprint; /* SHA-256 hex of a verified client cert, or NULL */
    const char *client_cert_subject;     /* its subject DN, or NULL */
    void *conn;                          /* private; NULL for a request built in memory */
    /* Request headers of a request built in memory (tests, fuzzing): http_header reads
     * these when conn is NULL. n_headers pairs; names compare case-insensitively. */
    const struct http_param *headers;
    size_t n_headers;
};

struct http_response {
    int status;
    const char *content_type;
    struct dbuf body;
    const char *header_names[HTTP_MAX_RESP_HEADERS];
    const char *header_values[HTTP_MAX_RESP_HEADERS];
    size_t n_headers;
    struct http_stream *stream; /* set by http_stream_start: the body is a stream */
};

/* The value of request header name (case-insensitive), or NULL. */
const char *http_header(const struct http_request *req, const char *name);
/* Decodes %HH escapes in place as the server does for paths and query keys and values,
 * except %00 and %2F, which stay encoded. Returns the new length. */
size_t http_unescape(char *s);
/* Adds a response header; name and value must live until the response is sent (arena). */
void http_add_header(struct http_response *resp, const char *name, const char *value);

typedef void (*http_handler_fn)(void *ctx, struct http_request *req, struct http_response *resp);

/* Streaming responses (server-sent events; docs/watches.md). A handler that calls
 * http_stream_start answers with status, headers and a body produced over time instead of
 * resp->body: the server calls read(ctx, buf, max) whenever it can send, from one of its
 * worker threads. read returns the bytes it wrote into buf (at most max), HTTP_STREAM_END to
 * end the body, or 0 when it has nothing now: the connection is then parked (it holds no
 * worker thread) until http_stream_wake. A wake that comes while read runs is not lost: read
 * is called again before the connection is parked. close(ctx) is called exactly once, when the
 * connection ends (client gone, stream ended, server stopping, or the response could not be
 * queued); the handle is valid until close returns, and close must make sure no
 * http_stream_wake of it runs or starts afterwards. http_server_stop ends every stream
 * before stopping. Parked streams do not time out (connection_timeout does not apply to
 * them): read should send something (an SSE comment) when woken now and then. */
#define HTTP_STREAM_END (-1L)
struct http_stream;
typedef long (*http_stream_read_fn)(void *ctx, char *buf, size_t max);
/* Makes resp a stream; NULL when out of memory (resp is unchanged and close is not called). */
struct http_stream *http_stream_start(struct http_request *req, struct http_response *resp,
                                      http_stream_read_fn read, void (*close)(void *ctx),
                                      void *ctx);
/* Has read called again soon; callable from any thread while the handle is valid. */
void http_stream_wake(struct http_stream *stream);

struct http_config {
    const char *host; /* numeric IPv4 or IPv6 address */
    uint16_t port;
    size_t max_content_length;
    size_t max_response;   /* bound on one response body */
    size_t request_memory; /* bound on one request's arena */
    unsigned max_connections;
    unsigned per_ip_connections; /* 0 = unlimited */
    unsigned timeout_seconds;
    unsigned threads;
    const char *tls_cert_pem; /* NULL for plain HTTP */
    const char *tls_key_pem;
    const char *tls_client_ca_pem; /* request client certificates signed by this CA */
};

struct http_server;

int http_server_start(const struct http_config *cfg, http_handler_fn fn, void *ctx,
                      struct http_server **out, struct lia_err *err);
/* The port actually bound (useful with port 0). */
uint16_t http_server_port(const struct http_server *srv);
void http_server_stop(struct http_server *srv);

/* True when host is a loopback address (127.0.0.0/8, ::1). */
bool http_is_loopback(const char *host);

#endif
