/*
 * The libmicrohttpd server behind http.h: the daemon and the path of one
 * request (the promises are in http.h; docs/security.md lists their tests).
 *
 * libmicrohttpd calls the access handler several times per request: once
 * when the head is in, once per piece of body, and once more when the body
 * is complete. At the first call the head's framing is checked (framing.c)
 * and the announced length compared with max_content_length; a request with
 * a body then goes to the precheck (the API authenticates it there), so no
 * body byte is kept for a client that has no right to send one. A request
 * refused at that point has its body read and thrown away, up to
 * max_discard_length in all, and is answered when the body ends, so that a
 * client which sends its whole body before reading gets the answer rather
 * than a reset; one announcing more than that, or waiting for
 * "100 Continue", is answered at once. libmicrohttpd can only queue an
 * answer at the first call or once the body is complete: a body that goes on
 * past the bound (chunked, or sending more than it announced) gets its
 * connection closed without one, as does a body past body_timeout (guard.c).
 * Every refusal closes the connection: nothing after a refused head is read
 * as a request.
 */
#include "http/http_int.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/* One request's state (libmicrohttpd's per-request context). */
struct conn_state {
    struct arena arena;
    struct dbuf body;
    bool too_big;       /* over max_content_length: 413 */
    bool refused;       /* answered before its body: pre holds the answer */
    bool discarding;    /* the body is read and thrown away */
    bool answered;      /* a response is queued */
    uint64_t discarded; /* body bytes thrown away */
    int refused_status; /* framing refusal (400, 501), or 0 */
    const char *refused_reason;
    struct http_response pre; /* the precheck's answer, when refused */
};

const char *http_header(const struct http_request *req, const char *name)
{
    if (req->conn)
        return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
    for (size_t i = 0; i < req->n_headers; i++)
        if (!strcasecmp(req->headers[i].key, name))
            return req->headers[i].value;
    return NULL;
}

void http_add_header(struct http_response *resp, const char *name, const char *value)
{
    if (resp->n_headers < HTTP_MAX_RESP_HEADERS) {
        resp->header_names[resp->n_headers] = name;
        resp->header_values[resp->n_headers] = value;
        resp->n_headers++;
    }
}

bool http_is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return strcmp(host, "localhost") == 0;
}

static enum MHD_Result collect_param(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    struct http_request *req = cls;
    (void)kind;
    if (req->n_params == HTTP_MAX_PARAMS) {
        req->too_many_params = true;
        return MHD_NO;
    }
    req->params[req->n_params].key = key;
    req->params[req->n_params].value = value;
    req->n_params++;
    return MHD_YES;
}

void server_request(struct MHD_Connection *conn, struct arena *a, const char *url,
                    const char *method, struct http_request *req)
{
    memset(req, 0, sizeof *req);
    req->arena = a;
    req->method = method ? method : "-";
    req->path = url ? url : "";
    req->conn = conn;
    req->body = "";
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_param, req);
    server_client_identity(conn, req);
}

struct MHD_Response *server_response(struct http_server *srv, struct MHD_Connection *conn,
                                     struct http_response *resp, bool close)
{
    struct MHD_Response *r;
    if (resp->stream) {
        dbuf_release(&resp->body);
        if (!(r = stream_response(srv, conn, resp->stream)))
            return NULL;
    } else {
        size_t len = 0;
        char *body = dbuf_detach(&resp->body, &len);
        r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
        if (!r) {
            free(body);
            return NULL;
        }
    }
    if (resp->content_type)
        MHD_add_response_header(r, "Content-Type", resp->content_type);
    for (size_t i = 0; i < resp->n_headers; i++)
        MHD_add_response_header(r, resp->header_names[i], resp->header_values[i]);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (close)
        MHD_add_response_header(r, "Connection", "close");
    return r;
}

/* Queues resp (closing the connection after it when close) and frees its body. */
static enum MHD_Result queue(struct http_server *srv, struct MHD_Connection *conn,
                             struct conn_state *st, struct http_response *resp, bool close)
{
    struct conn_ctx *cx = conn_context(conn);
    if (resp->authenticated)
        guard_authenticated(cx);
    guard_phase(cx, PHASE_ANSWER);
    struct MHD_Response *r = server_response(srv, conn, resp, close);
    if (!r)
        return MHD_NO;
    enum MHD_Result ret = mhd_queue(conn, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    st->answered = true;
    return ret;
}

/* Calls the handler for the request (complete, or refused) and queues its answer. */
static enum MHD_Result answer(struct http_server *srv, struct MHD_Connection *conn,
                              struct conn_state *st, const char *url, const char *method)
{
    bool close = st->too_big || st->refused || st->refused_status;
    if (st->refused)
        return queue(srv, conn, st, &st->pre, true);
    struct http_request req;
    server_request(conn, &st->arena, url, method, &req);
    req.body = st->body.ptr ? st->body.ptr : "";
    req.body_len = st->body.len;
    req.body_too_big = st->too_big;
    req.refused_status = st->refused_status;
    req.refused_reason = st->refused_reason;
    struct http_response resp = {0};
    resp.status = 500;
    dbuf_init(&resp.body, srv->cfg.max_response);
    srv->fn(srv->ctx, &req, &resp);
    return queue(srv, conn, st, &resp, close);
}

static bool expects_continue(struct MHD_Connection *conn)
{
    const char *e = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Expect");
    if (!e)
        return false;
    for (; *e; e++)
        if (!strncasecmp(e, "100-continue", 12))
            return true;
    return false;
}

/* The head is in: checks framing and length, and asks the precheck about a request with a
 * body. Answers at once what cannot wait for the body. */
static enum MHD_Result on_head(struct http_server *srv, struct MHD_Connection *conn,
                               struct conn_state *st, const char *url, const char *method)
{
    struct conn_ctx *cx = conn_context(conn);
    int status = framing_check(conn, &st->refused_reason);
    if (status) {
        guard_count_framing();
        st->refused_status = status;
        return answer(srv, conn, st, url, method);
    }
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    int64_t announced = 0;
    if (cl && lia_parse_i64(cl, strlen(cl), 0, INT64_MAX, &announced) != 0)
        announced = INT64_MAX; /* libmicrohttpd refuses what it cannot parse before this */
    bool chunked = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Transfer-Encoding");
    if (!chunked && announced == 0) {
        guard_phase(cx, PHASE_ANSWER); /* the handler is called next */
        return MHD_YES;
    }
    guard_phase(cx, PHASE_BODY);
    bool now = expects_continue(conn) || (uint64_t)announced > srv->cfg.max_discard_length;
    if ((uint64_t)announced > srv->cfg.max_content_length) {
        st->too_big = st->discarding = true;
        return now ? answer(srv, conn, st, url, method) : MHD_YES;
    }
    if (srv->cfg.precheck) {
        struct http_request req;
        server_request(conn, &st->arena, url, method, &req);
        st->pre.status = 500;
        dbuf_init(&st->pre.body, 64 * 1024);
        if (srv->cfg.precheck(srv->ctx, &req, &st->pre)) {
            st->refused = st->discarding = true;
            return now ? answer(srv, conn, st, url, method) : MHD_YES;
        }
        if (st->pre.authenticated)
            guard_authenticated(cx);
        dbuf_release(&st->pre.body);
    }
    /* A body of announced size: one allocation, not a doubling per piece. */
    if (announced > 0 && dbuf_reserve(&st->body, (size_t)announced) != 0) {
        st->too_big = st->discarding = true;
        return now ? answer(srv, conn, st, url, method) : MHD_YES;
    }
    return MHD_YES;
}

/* A piece of body: kept, or thrown away. MHD_NO (close, unanswered) past the discard bound. */
static enum MHD_Result on_body(struct http_server *srv, struct conn_state *st, const char *data,
                               size_t n)
{
    if (!st->discarding && dbuf_append(&st->body, data, n) != 0) {
        /* past max_content_length (chunked, or more than announced): throw it all away */
        st->too_big = st->discarding = true;
        st->discarded += st->body.len;
        guard_count_discarded(st->body.len);
        dbuf_release(&st->body);
    }
    if (st->discarding) {
        st->discarded += n;
        guard_count_discarded(n);
        if (st->discarded > srv->cfg.max_discard_length)
            return MHD_NO;
    }
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct http_server *srv = cls;
    struct conn_state *st = *con_cls;
    (void)version;
    if (!st) {
        st = calloc(1, sizeof *st);
        if (!st)
            return MHD_NO;
        arena_init(&st->arena, srv->cfg.request_memory);
        dbuf_init(&st->body, srv->cfg.max_content_length);
        *con_cls = st;
        return on_head(srv, conn, st, url, method);
    }
    if (st->answered) {
        *upload_data_size = 0; /* libmicrohttpd discards the rest and closes */
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        enum MHD_Result rc = on_body(srv, st, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return rc;
    }
    return answer(srv, conn, st, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct conn_state *st = *con_cls;
    (void)cls;
    (void)toe;
    guard_phase(conn_context(conn), PHASE_HEAD); /* the next request's head is due */
    if (!st)
        return;
    arena_release(&st->arena);
    dbuf_release(&st->body);
    dbuf_release(&st->pre.body);
    free(st);
    *con_cls = NULL;
}

static int hex_value(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Decodes %HH escapes of the path and of query keys and values, as libmicrohttpd's default
 * does, except %00 and %2F: a NUL would silently cut the path or a value short
 * ("/collections/a1%00/objects/" read as "/collections/a1"), and an encoded slash would become
 * a path separator. Both stay encoded, as literal text no route, id or filter accepts. */
size_t http_unescape(char *s)
{
    char *w = s;
    const char *r = s;
    while (*r) {
        int hi = r[0] == '%' ? hex_value(r[1]) : -1;
        int lo = hi >= 0 ? hex_value(r[2]) : -1;
        if (lo >= 0 && (hi || lo) && (hi << 4 | lo) != '/') {
            *w++ = (char)(hi << 4 | lo);
            r += 3;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    return http_unescape(s);
}

/* libmicrohttpd's messages, as warnings. It writes one for every connection it refuses or
 * that ends mid-request, which a flood turns into thousands a second (a way to fill the disk
 * or drown the log): at most LOG_BURST lines at once and LOG_PER_SECOND a second on average;
 * the next line written says how many were left out. */
#define LOG_PER_SECOND 5.0
#define LOG_BURST 20.0

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static double log_tokens = LOG_BURST;
static int64_t log_last_us;
static uint64_t log_dropped;

__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    int64_t now = lia_now_us();
    pthread_mutex_lock(&log_lock);
    log_tokens += (double)(now - log_last_us) / 1e6 * LOG_PER_SECOND;
    if (log_tokens > LOG_BURST)
        log_tokens = LOG_BURST;
    log_last_us = now;
    bool write = log_tokens >= 1.0;
    uint64_t dropped = 0;
    if (write) {
        log_tokens -= 1.0;
        dropped = log_dropped;
        log_dropped = 0;
    } else {
        log_dropped++;
    }
    pthread_mutex_unlock(&log_lock);
    if (!write)
        return;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    struct dbuf b;
    dbuf_init(&b, 2048);
    dbuf_json_string(&b, msg, n);
    lia_log(LIA_LOG_WARN, "http", "\"detail\":%s,\"left_out_before\":%llu", b.ptr ? b.ptr : "\"\"",
            (unsigned long long)dropped);
    dbuf_release(&b);
}

/* TLS 1.2 and 1.3 only; AEAD ciphers only (no CBC, so no SHA-1 MAC), forward-secret key
 * exchange only, no SHA-1 signatures. docs/tls.md lists what a client meets. */
#define TLS_PRIORITIES                                                                             \
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:"            \
    "+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:"                           \
    "-SIGN-RSA-SHA1:-SIGN-ECDSA-SHA1:-SIGN-DSA-SHA1:%PROFILE_MEDIUM"

int http_server_start(const struct http_config *cfg, http_handler_fn fn, void *ctx,
                      struct http_server **out, struct lia_err *err)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
                     MHD_ALLOW_SUSPEND_RESUME;
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, cfg->host, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(cfg->port);
    } else if (inet_pton(AF_INET6, cfg->host, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(cfg->port);
        flags |= MHD_USE_IPv6;
    } else {
        return lia_err_set(err, LIA_EINVAL, "listen address '%s' is not a numeric IP address",
                           cfg->host);
    }
    if (cfg->tls_cert_pem)
        flags |= MHD_USE_TLS;

    struct http_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    srv->fn = fn;
    srv->ctx = ctx;
    srv->cfg = *cfg;
    if (srv->cfg.max_discard_length < srv->cfg.max_content_length)
        srv->cfg.max_discard_length = srv->cfg.max_content_length;
    pthread_mutex_init(&srv->streams_lock, NULL);
    if (guard_start(srv, err)) {
        pthread_mutex_destroy(&srv->streams_lock);
        free(srv);
        return err ? err->code : LIA_EIO;
    }

    struct MHD_OptionItem opts[20];
    size_t n = 0;
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &ss};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_seconds, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, 32 * 1024, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)unescape, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)guard_notify, srv};
    if (cfg->per_ip_connections)
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                                            cfg->per_ip_connections, NULL};
    if (cfg->threads > 1)
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, cfg->threads, NULL};
    if (cfg->tls_cert_pem) {
        opts[n++] =
            (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)cfg->tls_cert_pem};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)cfg->tls_key_pem};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, TLS_PRIORITIES};
        if (cfg->tls_client_ca_pem)
            opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0,
                                                (void *)cfg->tls_client_ca_pem};
    }
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};

    srv->daemon = MHD_start_daemon(flags, cfg->port, guard_accept, srv, on_request, srv,
                                   MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_ARRAY,
                                   opts, MHD_OPTION_END);
    if (!srv->daemon) {
        guard_stop(srv);
        pthread_mutex_destroy(&srv->streams_lock);
        free(srv);
        return lia_err_set(err, LIA_EIO,
                           "cannot listen on %s:%u (address in use, not local, or bad TLS "
                           "certificate/key)",
                           cfg->host, cfg->port);
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = di ? di->port : cfg->port;
    *out = srv;
    return 0;
}

uint16_t http_server_port(const struct http_server *srv)
{
    return srv->port;
}

void http_server_stop(struct http_server *srv)
{
    if (!srv)
        return;
    /* Suspended connections must be resumed before MHD_stop_daemon: end every stream. */
    streams_end_all(srv);
    MHD_stop_daemon(srv->daemon);
    guard_stop(srv); /* after every connection has closed */
    pthread_mutex_destroy(&srv->streams_lock);
    free(srv);
}
