/*
 * Streaming responses (http.h, docs/watches.md): a body produced over time by
 * the handler's read callback, sent by libmicrohttpd as it can.
 *
 * A stream whose read has nothing to send parks its connection
 * (MHD_suspend_connection: it holds no worker thread) until http_stream_wake
 * resumes it. lock guards the three flags and the suspend/resume calls: a
 * connection is resumed only when it was suspended, and never suspended while
 * a wake is pending, so no wake is lost between "nothing to send" and
 * parking. The server keeps every stream in a list so that stopping can end
 * them first (suspended connections must be resumed before MHD_stop_daemon).
 */
#include "http/http_int.h"

#include <stdlib.h>

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
struct MHD_Response *stream_response(struct http_server *srv, struct MHD_Connection *conn,
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

void streams_end_all(struct http_server *srv)
{
    pthread_mutex_lock(&srv->streams_lock);
    srv->stopping = true;
    for (struct http_stream *st = srv->streams; st; st = st->next)
        stream_end(st);
    pthread_mutex_unlock(&srv->streams_lock);
}
