/*
 * http: the HTTP(S) server. The face of src/http/.
 *
 * It accepts connections (libmicrohttpd, TLS through GnuTLS), reads one
 * request into memory under the configured limits, and hands the complete
 * request to one handler, which fills a response. One request = one arena:
 * everything the handler allocates for the request lives in req->arena and is
 * freed when the response has been sent.
 *
 * Promises (docs/security.md):
 *  - A body is never kept past max_content_length. A request refused before
 *    its body is read (one announcing too much, or refused by the precheck,
 *    such as missing credentials) has its body read and thrown away, up to
 *    max_discard_length bytes in all, so that a client that sends the whole
 *    body before reading sees the answer; then the connection is closed. The
 *    handler words the answer (req->refused_status / body_too_big).
 *  - Framing is never ambiguous: Content-Length with Transfer-Encoding, a
 *    repeated Content-Length, a Transfer-Encoding other than "chunked", and
 *    obsolete line folding are answered (400, or 501 for an unknown coding)
 *    and the connection closed, so nothing after them is read as a request.
 *  - Deadlines, whatever the rate of bytes: a request's head must be complete
 *    within header_timeout seconds of the connection opening or of the
 *    previous answer having been sent, its body within body_timeout seconds of
 *    its head; otherwise the connection is closed.
 *  - Connections: max_connections in all, per_ip_connections per address
 *    (libmicrohttpd's own limit), and reserved_connections of them kept for
 *    addresses whose requests authenticated within the last
 *    HTTP_TRUST_SECONDS: other addresses together hold at most
 *    max_connections - reserved_connections.
 *  - libmicrohttpd's own refusals (a request line or head too large for
 *    connection memory: 414, 431; malformed requests: 400) are worded by the
 *    handler too (mhd_errors.c), never its built-in HTML.
 *  - The handler is called exactly once per request.
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
    bool body_too_big; /* the body was over max_content_length (thrown away): answer 413 */
    /* Refused by the server before the handler saw it (framing, libmicrohttpd's own limits):
     * the handler only words the answer for this status; refused_reason says why. 0: not. */
    int refused_status;
    const char *refused_reason;
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
    /* Set by the handler when the request's credentials were accepted: its address then
     * counts as authenticated for reserved_connections (HTTP_TRUST_SECONDS). */
    bool authenticated;
    /* Why the request failed on the server's side (a store outage...), for its access-log
     * line; in the request arena, or NULL. */
    const char *cause;
};

/* The value of request header name (case-insensitive), or NULL. */
const char *http_header(const struct http_request *req, const char *name);
/* Decodes %HH escapes in place as the server does for paths and query keys and values,
 * except %00 and %2F, which stay encoded. Returns the new length. */
size_t http_unescape(char *s);
/* Adds a response header; name and value must live until the response is sent (arena). */
void http_add_header(struct http_response *resp, const char *name, const char *value);

typedef void (*http_handler_fn)(void *ctx, struct http_request *req, struct http_response *resp);
/* Called when the head of a request with a body is in, before any byte of the body is kept
 * (req has no body yet). It may answer: fill resp and return true; the body is then read and
 * thrown away (max_discard_length) and resp sent, with the connection closed. false: the
 * request goes on, and the handler is called once the body is in. */
typedef bool (*http_precheck_fn)(void *ctx, struct http_request *req, struct http_response *resp);

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

/* How long an address counts as authenticated after its last accepted credentials. */
#define HTTP_TRUST_SECONDS 600

struct http_config {
    const char *host; /* numeric IPv4 or IPv6 address */
    uint16_t port;
    size_t max_content_length;
    size_t max_discard_length; /* most bytes of a refused body read and thrown away */
    size_t max_response;       /* bound on one response body */
    size_t request_memory;     /* bound on one request's arena */
    unsigned max_connections;
    unsigned per_ip_connections;   /* 0 = unlimited */
    unsigned reserved_connections; /* of max_connections, for authenticated addresses */
    unsigned timeout_seconds;      /* idle: no byte either way */
    unsigned header_timeout;       /* seconds for a request's head; 0 = none */
    unsigned body_timeout;         /* seconds for a request's body; 0 = none */
    unsigned threads;
    http_precheck_fn precheck; /* NULL: bodies are read before the handler decides */
    const char *tls_cert_pem;  /* NULL for plain HTTP */
    const char *tls_key_pem;
    const char *tls_client_ca_pem; /* request client certificates signed by this CA */
};

struct http_server;

int http_server_start(const struct http_config *cfg, http_handler_fn fn, void *ctx,
                      struct http_server **out, struct lia_err *err);
/* The port actually bound (useful with port 0). */
uint16_t http_server_port(const struct http_server *srv);
void http_server_stop(struct http_server *srv);

/* Counters of the connection guard since the server started (for /metrics). */
struct http_counters {
    uint64_t refused_reserved;   /* connections refused: the unauthenticated share was full */
    uint64_t closed_header_late; /* closed: the head was not complete by header_timeout */
    uint64_t closed_body_late;   /* closed: the body was not complete by body_timeout */
    uint64_t refused_framing;    /* requests refused for ambiguous framing (400/501) */
    uint64_t discarded_bytes;    /* body bytes of refused requests read and thrown away */
};
/* Adds up the counters of every server running in this process. */
void http_counters_get(struct http_counters *out);

/* True when host is a loopback address (127.0.0.0/8, ::1). */
bool http_is_loopback(const char *host);

#endif
