/*
 * Private to src/http/: the server's state shared by its files.
 *
 *   server.c      the daemon, the request flow (head, body, answer), client identity
 *   streaming.c   streaming responses (http_stream_*)
 *   guard.c       the connection guard: deadlines, reserved slots, the closing thread
 *   framing.c     checks of a request's head libmicrohttpd 0.9.75 does not make
 *   mhd_errors.c  libmicrohttpd's own refusals worded by the handler
 */
#ifndef LIAISON_HTTP_INT_H
#define LIAISON_HTTP_INT_H

#include "http/http.h"

#include <pthread.h>
#include <stdatomic.h>

#include <microhttpd.h>

struct guard;

struct http_server {
    struct MHD_Daemon *daemon;
    http_handler_fn fn;
    void *ctx;
    struct http_config cfg;
    uint16_t port;
    pthread_mutex_t streams_lock; /* guards streams and stopping */
    struct http_stream *streams;  /* the streaming responses being sent */
    bool stopping;
    struct guard *guard;
};

#define CONN_MAGIC 0x6c69636fu /* marks a socket context as one of ours (mhd_errors.c) */

/* What lives as long as a connection (libmicrohttpd's socket context), made when it opens
 * and freed when it closes (guard.c). */
struct conn_ctx {
    unsigned magic;
    struct http_server *srv;
    int fd;
    /* Microseconds since the epoch by which the current phase must end (0: none): the head,
     * or the body. Written by the connection's thread, read by the guard's. */
    _Atomic int64_t deadline_us;
    _Atomic int phase;            /* enum conn_phase, for what the guard counts when it closes */
    bool trusted;                 /* counted among authenticated connections (guard lock) */
    bool shut;                    /* the guard has shut it down (guard lock) */
    struct conn_ctx *prev, *next; /* the guard's list (guard lock) */
    unsigned char addr[16];
    unsigned char addr_len;
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

enum conn_phase { PHASE_HEAD, PHASE_BODY, PHASE_ANSWER };

/* guard.c */
int guard_start(struct http_server *srv, struct lia_err *err);
void guard_stop(struct http_server *srv);
/* libmicrohttpd's accept policy and connection notification (the server's cls). */
enum MHD_Result guard_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen);
void guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                  enum MHD_ConnectionNotificationCode toe);
/* The phase a connection enters now: its deadline follows (header_timeout, body_timeout,
 * none while answering). cx may be NULL (out of memory at connect: nothing is guarded). */
void guard_phase(struct conn_ctx *cx, enum conn_phase phase);
/* The connection's request authenticated: its address is trusted for HTTP_TRUST_SECONDS. */
void guard_authenticated(struct conn_ctx *cx);
void guard_count_framing(void);
void guard_count_discarded(size_t n);
/* The connection's context, or NULL. */
struct conn_ctx *conn_context(struct MHD_Connection *conn);

/* framing.c: checks the head of a request libmicrohttpd has parsed: 0 when its framing is
 * unambiguous, else the status to answer (400, 501) with *reason. */
int framing_check(struct MHD_Connection *conn, const char **reason);

/* mhd_errors.c: libmicrohttpd's MHD_queue_response, which server.c calls (the name itself
 * is taken by the interposer for libmicrohttpd's own calls). */
enum MHD_Result mhd_queue(struct MHD_Connection *conn, unsigned status, struct MHD_Response *r);

/* server.c: the response the handler made, ready to queue; NULL when out of memory. */
struct MHD_Response *server_response(struct http_server *srv, struct MHD_Connection *conn,
                                     struct http_response *resp, bool close);
/* identity.c: the client's address and verified certificate, into req (its arena). */
void server_client_identity(struct MHD_Connection *conn, struct http_request *req);
/* server.c: a request of conn built for the handler (arena a; url may be NULL). */
void server_request(struct MHD_Connection *conn, struct arena *a, const char *url,
                    const char *method, struct http_request *req);

/* streaming.c */
struct MHD_Response *stream_response(struct http_server *srv, struct MHD_Connection *conn,
                                     struct http_stream *st);
void streams_end_all(struct http_server *srv);

#endif
