/*
 * The libmicrohttpd server behind http.h.
 *
 * libmicrohttpd calls the access handler several times per request: once
 * when the headers are in (we set up the request's arena and check the
 * announced length), once per chunk of body (appended to a bounded buffer),
 * and once more when the body is complete (we call the handler and queue the
 * response). A request that announces a body over the limit is answered at
 * the first call, before any of its body is read; one that sends more than
 * it announced (or uses chunked encoding) is cut off at the limit and
 * answered when it ends.
 */
#include "http/http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>

struct http_server {
    struct MHD_Daemon *daemon;
    http_handler_fn fn;
    void *ctx;
    struct http_config cfg;
    uint16_t port;
    pthread_mutex_t streams_lock; /* guards streams and stopping */
    struct http_stream *streams;  /* the streaming responses being sent */
    bool stopping;
};

/* A streaming response (http.h). lock guards the three flags and the suspend/resume calls:
 * a connection is resumed only when it was suspended, and never suspended while a wake is
 * pending, so no wake is lost between "nothing to send" and parking. */
struct http_stream {
    pthread_mutex_t lock;
    struct MHD_Connection *conn;
    struct http_server *srv; /* set once linked into srv->streams */
    http_stream_read_fn read;
    void (*close)(void *ctx);
    void *ctx;
    bool suspended, pending, ended;
    struct http_stream *prev, *next;
};

struct conn_state {
    struct arena arena;
    struct dbuf body;
    bool too_big;
    bool answered;
};

struct ip_slot;

/* What lives as long as a connection (libmicrohttpd's socket context). */
struct conn_ctx {
    struct ip_slot *slot; /* counted against per_ip_connections, or NULL */
    /* The verified client certificate. Verifying the chain took ~0.7 ms of every request on
     * this machine; a TLS session's peer certificate cannot change (libmicrohttpd does no
     * renegotiation), so the result is kept for the connection until the certificate expires
     * or CERT_RECHECK_US has passed (a CA in the chain may expire first), then verified again.
     * Which partner it stands for is still looked up on every request. */
    bool cert_known;
    int64_t cert_until_us;
    char fingerprint[65];
    char *subject;
};

#define CERT_RECHECK_US (60 * 1000000LL)

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

/* Dotted quad, as inet_ntop writes it, without its sprintf (a few percent of a small GET). */
static void format_ipv4(const struct in_addr *a, char *out)
{
    const unsigned char *b = (const unsigned char *)&a->s_addr;
    for (int i = 0; i < 4; i++) {
        unsigned v = b[i];
        if (v >= 100)
            *out++ = (char)('0' + v / 100);
        if (v >= 10)
            *out++ = (char)('0' + v / 10 % 10);
        *out++ = (char)('0' + v % 10);
        *out++ = i < 3 ? '.' : '\0';
    }
}

static void client_identity(struct MHD_Connection *conn, struct http_request *req)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        char buf[INET6_ADDRSTRLEN] = "";
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            format_ipv4(&((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, buf,
                      sizeof buf);
        req->client_addr = arena_strndup(req->arena, buf, strlen(buf));
    }
    ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (!ci || !ci->tls_session)
        return;
    req->tls = true;
    const union MHD_ConnectionInfo *sc =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct conn_ctx *cx = sc ? sc->socket_context : NULL;
    int64_t now = lia_now_us();
    if (cx && cx->cert_known && now < cx->cert_until_us) {
        req->client_cert_fingerprint = arena_strndup(req->arena, cx->fingerprint, 64);
        if (cx->subject)
            req->client_cert_subject = arena_strndup(req->arena, cx->subject, strlen(cx->subject));
        return;
    }
    if (cx)
        cx->cert_known = false;
    gnutls_session_t session = (gnutls_session_t)ci->tls_session;
    unsigned status = 0;
    unsigned n = 0;
    const gnutls_datum_t *certs = gnutls_certificate_get_peers(session, &n);
    if (!certs || n == 0 || gnutls_certificate_verify_peers2(session, &status) != 0 || status)
        return;
    gnutls_x509_crt_t crt;
    if (gnutls_x509_crt_init(&crt) != 0)
        return;
    if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) == 0) {
        unsigned char fp[32];
        size_t fplen = sizeof fp;
        if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, fp, &fplen) == 0 &&
            fplen == sizeof fp) {
            char *hex = arena_alloc(req->arena, 2 * fplen + 1);
            for (size_t i = 0; hex && i < fplen; i++)
                snprintf(hex + 2 * i, 3, "%02x", fp[i]);
            req->client_cert_fingerprint = hex;
        }
        /* RFC 4514 order (CN=..,O=..), as certtool and `openssl x509 -nameopt RFC2253`
         * print it; gnutls_x509_crt_get_dn gives the reverse, which no partner would type. */
        gnutls_datum_t dn = {NULL, 0};
        if (gnutls_x509_crt_get_dn3(crt, &dn, 0) == 0 && dn.size <= 1024)
            req->client_cert_subject = arena_strndup(req->arena, (const char *)dn.data, dn.size);
        gnutls_free(dn.data);
        time_t expires = gnutls_x509_crt_get_expiration_time(crt);
        if (cx && req->client_cert_fingerprint && expires != (time_t)-1) {
            free(cx->subject);
            cx->subject = req->client_cert_subject ? strdup(req->client_cert_subject) : NULL;
            memcpy(cx->fingerprint, req->client_cert_fingerprint, 65);
            int64_t until = (int64_t)expires * 1000000;
            cx->cert_until_us = until < now + CERT_RECHECK_US ? until : now + CERT_RECHECK_US;
            cx->cert_known = !req->client_cert_subject || cx->subject;
        }
    }
    gnutls_x509_crt_deinit(crt);
}

struct http_stream *http_stream_start(struct http_request *req, struct http_response *resp,
                                      http_stream_read_fn read, void (*close)(void *ctx), void *ctx)
{
    struct http_stream *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    pthread_mutex_init(&st->lock, NULL);
    st->conn = req->conn;
    st->read = read;
    st->close = close;
    st->ctx = ctx;
    resp->stream = st;
    return st;
}

void http_stream_wake(struct http_stream *st)
{
    pthread_mutex_lock(&st->lock);
    if (st->suspended) {
        st->suspended = false;
        MHD_resume_connection(st->conn);
    } else {
        st->pending = true;
    }
    pthread_mutex_unlock(&st->lock);
}

/* Ends a stream: its next read returns the end of the body. */
static void stream_end(struct http_stream *st)
{
    pthread_mutex_lock(&st->lock);
    st->ended = true;
    if (st->suspended) {
        st->suspended = false;
        MHD_resume_connection(st->conn);
    }
    pthread_mutex_unlock(&st->lock);
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct http_stream *st = cls;
    (void)pos;
    for (;;) {
        pthread_mutex_lock(&st->lock);
        bool ended = st->ended;
        st->pending = false;
        pthread_mutex_unlock(&st->lock);
        if (ended)
            return MHD_CONTENT_READER_END_OF_STREAM;
        long n = st->read(st->ctx, buf, max);
        if (n > 0)
            return (ssize_t)n;
        if (n < 0)
            return MHD_CONTENT_READER_END_OF_STREAM;
        pthread_mutex_lock(&st->lock);
        if (!st->pending && !st->ended) {
            /* Parked until http_stream_wake: returning 0 after suspending does not spin. */
            st->suspended = true;
            MHD_suspend_connection(st->conn);
            pthread_mutex_unlock(&st->lock);
            return 0;
        }
        pthread_mutex_unlock(&st->lock);
    }
}

static void stream_free(void *cls)
{
    struct http_stream *st = cls;
    st->close(st->ctx); /* after this no wake of st runs or starts */
    struct http_server *srv = st->srv;
    if (srv) {
        pthread_mutex_lock(&srv->streams_lock);
        if (st->prev)
            st->prev->next = st->next;
        else
            srv->streams = st->next;
        if (st->next)
            st->next->prev = st->prev;
        pthread_mutex_unlock(&srv->streams_lock);
    }
    pthread_mutex_destroy(&st->lock);
    free(st);
}

/* The MHD response of a stream, linked into the server's list (ended at once when the server
 * is stopping). NULL when it cannot be made; the stream is closed and freed then. */
static struct MHD_Response *stream_response(struct http_server *srv, struct MHD_Connection *conn,
                                            struct http_stream *st)
{
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024,
                                                               stream_reader, st, stream_free);
    if (!r) {
        stream_free(st);
        return NULL;
    }
    pthread_mutex_lock(&srv->streams_lock);
    st->srv = srv;
    st->next = srv->streams;
    if (srv->streams)
        srv->streams->prev = st;
    srv->streams = st;
    st->ended = srv->stopping;
    pthread_mutex_unlock(&srv->streams_lock);
    MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned int)0);
    return r;
}

static enum MHD_Result answer(struct http_server *srv, struct MHD_Connection *conn,
                              struct conn_state *st, const char *url, const char *method)
{
    struct http_request req = {0};
    req.arena = &st->arena;
    req.method = method;
    req.path = url;
    req.conn = conn;
    req.body = st->body.ptr ? st->body.ptr : "";
    req.body_len = st->body.len;
    req.body_too_big = st->too_big;
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_param, &req);
    client_identity(conn, &req);

    struct http_response resp = {0};
    resp.status = 500;
    dbuf_init(&resp.body, srv->cfg.max_response);
    srv->fn(srv->ctx, &req, &resp);

    struct MHD_Response *r;
    if (resp.stream) {
        dbuf_release(&resp.body);
        if (!(r = stream_response(srv, conn, resp.stream)))
            return MHD_NO;
    } else {
        size_t len = 0;
        char *body = dbuf_detach(&resp.body, &len);
        r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
        if (!r) {
            free(body);
            return MHD_NO;
        }
    }
    if (resp.content_type)
        MHD_add_response_header(r, "Content-Type", resp.content_type);
    for (size_t i = 0; i < resp.n_headers; i++)
        MHD_add_response_header(r, resp.header_names[i], resp.header_values[i]);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (st->too_big)
        MHD_add_response_header(r, "Connection", "close");
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)resp.status, r);
    MHD_destroy_response(r);
    st->answered = true;
    return ret;
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
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        int64_t announced = 0;
        if (cl && lia_parse_i64(cl, strlen(cl), 0, INT64_MAX, &announced) == 0 &&
            (uint64_t)announced > srv->cfg.max_content_length) {
            st->too_big = true;
            return answer(srv, conn, st, url, method);
        }
        /* A body of announced size: one allocation, not a doubling per chunk. */
        if (announced > 0 && dbuf_reserve(&st->body, (size_t)announced) != 0) {
            st->too_big = true;
            return answer(srv, conn, st, url, method);
        }
        return MHD_YES;
    }
    if (st->answered) {
        *upload_data_size = 0; /* discard the rest of a refused body */
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!st->too_big && dbuf_append(&st->body, upload_data, *upload_data_size) != 0) {
            st->too_big = true;
            dbuf_release(&st->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    return answer(srv, conn, st, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct conn_state *st = *con_cls;
    (void)cls;
    (void)conn;
    (void)toe;
    if (!st)
        return;
    arena_release(&st->arena);
    dbuf_release(&st->body);
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

__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    (void)cls;
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    struct dbuf b;
    dbuf_init(&b, 2048);
    dbuf_json_string(&b, msg, n);
    lia_log(LIA_LOG_WARN, "http", "\"detail\":%s", b.ptr ? b.ptr : "\"\"");
    dbuf_release(&b);
}

/* Per-address connection counts: a fixed open-addressing table (bounded memory whatever the
 * number of addresses; a full table refuses new addresses rather than growing). */
#define IP_SLOTS 4096

struct ip_slot {
    unsigned char addr[16];
    unsigned char len; /* 0: free */
    unsigned count;
};

static pthread_mutex_t ip_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ip_slot ip_table[IP_SLOTS];

static size_t addr_key(const struct sockaddr *sa, unsigned char out[16])
{
    if (sa->sa_family == AF_INET) {
        memcpy(out, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
        return 4;
    }
    if (sa->sa_family == AF_INET6) {
        memcpy(out, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
        return 16;
    }
    return 0;
}

/* The slot of addr (made when create), or NULL. Caller holds ip_lock. A probe chain ends at
 * a never-used slot; slots whose count fell to 0 are reused, but only after the whole chain
 * was searched for addr, so one address never holds two slots. */
static struct ip_slot *ip_find(const unsigned char *addr, size_t len, bool create)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ addr[i]) * 16777619u;
    struct ip_slot *spare = NULL;
    for (size_t probe = 0; probe < IP_SLOTS; probe++) {
        struct ip_slot *sl = &ip_table[(h + probe) % IP_SLOTS];
        if (sl->len == len && !memcmp(sl->addr, addr, len))
            return sl;
        if (!spare && (sl->len == 0 || sl->count == 0))
            spare = sl;
        if (sl->len == 0)
            break;
    }
    if (!create || !spare)
        return NULL;
    memcpy(spare->addr, addr, len);
    spare->len = (unsigned char)len;
    spare->count = 0;
    return spare;
}

static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    struct http_server *srv = cls;
    unsigned char key[16];
    size_t len = addrlen ? addr_key(addr, key) : 0;
    if (!len)
        return MHD_YES;
    pthread_mutex_lock(&ip_lock);
    struct ip_slot *sl = ip_find(key, len, false);
    bool ok = !sl || sl->count < srv->cfg.per_ip_connections;
    pthread_mutex_unlock(&ip_lock);
    return ok ? MHD_YES : MHD_NO;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct http_server *srv = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        struct conn_ctx *cx = calloc(1, sizeof *cx);
        *socket_context = cx; /* NULL when out of memory: nothing kept, nothing counted */
        if (!cx || !srv->cfg.per_ip_connections)
            return;
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        unsigned char key[16];
        size_t len = ci && ci->client_addr ? addr_key(ci->client_addr, key) : 0;
        if (!len)
            return;
        pthread_mutex_lock(&ip_lock);
        struct ip_slot *sl = ip_find(key, len, true);
        if (sl) {
            sl->count++;
            cx->slot = sl; /* counted: given back when the connection closes */
        }
        pthread_mutex_unlock(&ip_lock);
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
        struct conn_ctx *cx = *socket_context;
        if (cx->slot) {
            pthread_mutex_lock(&ip_lock);
            if (cx->slot->count)
                cx->slot->count--;
            pthread_mutex_unlock(&ip_lock);
        }
        free(cx->subject);
        free(cx);
        *socket_context = NULL;
    }
}

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
    pthread_mutex_init(&srv->streams_lock, NULL);

    struct MHD_OptionItem opts[16];
    size_t n = 0;
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &ss};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_seconds, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, 32 * 1024, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)unescape, NULL};
    /* Per-connection state: the client certificate's verification, and the per-address
     * count (kept here, not by libmicrohttpd: its own per-address limit did not hold in this
     * threading mode; a third connection from one address was served with a limit of 2). */
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, srv};
    if (cfg->threads > 1)
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, cfg->threads, NULL};
    if (cfg->tls_cert_pem) {
        opts[n++] =
            (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)cfg->tls_cert_pem};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)cfg->tls_key_pem};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0,
                                            "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"};
        if (cfg->tls_client_ca_pem)
            opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0,
                                                (void *)cfg->tls_client_ca_pem};
    }
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};

    srv->daemon = MHD_start_daemon(flags, cfg->port, cfg->per_ip_connections ? accept_policy : NULL,
                                   srv, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                                   MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (!srv->daemon) {
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
    pthread_mutex_lock(&srv->streams_lock);
    srv->stopping = true;
    for (struct http_stream *st = srv->streams; st; st = st->next)
        stream_end(st);
    pthread_mutex_unlock(&srv->streams_lock);
    MHD_stop_daemon(srv->daemon);
    pthread_mutex_destroy(&srv->streams_lock);
    free(srv);
}
