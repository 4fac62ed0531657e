/*
 * libmicrohttpd's own refusals, worded by the handler.
 *
 * libmicrohttpd answers some requests before any callback of ours sees them:
 * a request line or head too large for the connection's memory (414, 431), a
 * malformed head, Content-Length or chunk (400), a Content-Length too large
 * to parse (413). Version 0.9.75 sends those with a fixed HTML body and no
 * Content-Type, and offers no option or callback to change them (its
 * transmit_error_response builds the response and calls MHD_queue_response).
 * Clients of a TAXII server expect TAXII error messages (JSON, with a media
 * type) for every error, so this file defines MHD_queue_response itself: the
 * executable's definition takes precedence over the library's for the
 * library's own calls, which go through its procedure linkage table (as
 * malloc replacements do). Our own code calls the library's function through
 * mhd_queue (found with dlsym(RTLD_NEXT)); anything else reaching the
 * interposer on one of our connections (conn_context finds our socket
 * context) is such a refusal: the handler is called with refused_status set,
 * words the answer, and that answer is queued instead, with the connection
 * closed as libmicrohttpd intended. Calls on other servers' connections (a
 * benchmark linking this library) pass through unchanged.
 *
 * test_hostile.py asserts the JSON answers for 414 and 431: should a later
 * libmicrohttpd bind the call inside the library, that test fails rather than
 * the HTML silently coming back.
 */
#define _GNU_SOURCE
#include "http/http_int.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>

typedef enum MHD_Result (*queue_fn)(struct MHD_Connection *, unsigned, struct MHD_Response *);

static queue_fn real_queue;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void find_real(void)
{
    real_queue = (queue_fn)dlsym(RTLD_NEXT, "MHD_queue_response");
}

enum MHD_Result mhd_queue(struct MHD_Connection *conn, unsigned status, struct MHD_Response *r)
{
    pthread_once(&once, find_real);
    return real_queue ? real_queue(conn, status, r) : MHD_NO;
}

static const char *reason_for(unsigned status)
{
    switch (status) {
    case 400:
        return "the request is malformed (request line, headers, Content-Length or chunked "
               "framing)";
    case 413:
        return "the announced body is too large";
    case 414:
        return "the request line is longer than this server accepts";
    case 431:
        return "the request's headers are larger than this server accepts";
    case 505:
        return "this server speaks HTTP/1.0 and HTTP/1.1 only";
    default:
        return "the server refused the request";
    }
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *conn, unsigned int status,
                                   struct MHD_Response *response)
{
    struct conn_ctx *cx = conn ? conn_context(conn) : NULL;
    if (!cx || status < 400)
        return mhd_queue(conn, status, response);
    struct http_server *srv = cx->srv;
    struct arena a;
    arena_init(&a, 64 * 1024);
    struct http_request req;
    server_request(conn, &a, NULL, NULL, &req);
    req.refused_status = (int)status;
    req.refused_reason = reason_for(status);
    struct http_response resp = {0};
    resp.status = (int)status;
    dbuf_init(&resp.body, 64 * 1024);
    srv->fn(srv->ctx, &req, &resp);
    if (resp.status != (int)status) /* the handler may only word it */
        resp.status = (int)status;
    struct MHD_Response *ours = server_response(srv, conn, &resp, true);
    enum MHD_Result rc = ours ? mhd_queue(conn, status, ours) : mhd_queue(conn, status, response);
    if (ours)
        MHD_destroy_response(ours);
    arena_release(&a);
    return rc;
}
