/*
 * The connection guard: what libmicrohttpd 0.9.75 does not bound by itself.
 *
 * Deadlines. libmicrohttpd's connection_timeout is an idle timer that every
 * byte resets, so a head sent one byte a second never ends. Every connection
 * here carries a deadline for its current phase: its head must be complete
 * within header_timeout of the connection opening (TLS handshake included) or
 * of the previous answer having been sent, its body within body_timeout of
 * its head; nothing is due while it is being answered. A thread wakes four
 * times a second and shuts down (shutdown(2), both ways) the socket of each
 * connection past its deadline: libmicrohttpd then reads the end of the
 * stream on its own thread and closes the connection as if the client had.
 * No answer is sent: libmicrohttpd can only queue one once a head is whole or
 * a body is complete. A connection is unlinked (under the lock) when
 * libmicrohttpd notifies its closing, which happens before it closes the
 * socket, so the thread never shuts down a descriptor reused by another.
 *
 * Reserved slots (reserved_connections, at most half of max_connections).
 * max_connections counts every connection; per_ip_connections
 * is libmicrohttpd's own per-address limit (MHD_OPTION_PER_IP_CONNECTION_LIMIT,
 * which holds across its thread pool). Whether a client will authenticate is
 * not known when it connects, so the guard remembers addresses: one whose
 * request authenticated is trusted for HTTP_TRUST_SECONDS. Connections from
 * untrusted addresses together hold at most max_connections -
 * reserved_connections; past that, the accept policy refuses them at once
 * (closed before a byte is read), while trusted addresses still get in. A
 * connection that authenticates leaves the untrusted share. The check is made
 * at accept and the count at libmicrohttpd's notification, so the share may
 * be overshot by at most one connection per worker thread.
 *
 * Trusted addresses sit in a fixed table (TRUST_SLOTS, probed from a hash;
 * when full, the entry that expires first is replaced): only accepted
 * credentials add to it, so no unauthenticated client can grow or flush it.
 */
#include "http/http_int.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define TRUST_SLOTS 4096
#define TRUST_PROBES 8
#define TICK_MS 250

struct trust_slot {
    unsigned char addr[16];
    unsigned char len; /* 0: free */
    int64_t until_us;
};

struct guard {
    pthread_mutex_t lock; /* the list, the counts, the trust table */
    pthread_cond_t cond;
    pthread_t thread;
    bool stop;
    struct conn_ctx *conns; /* every open connection */
    unsigned untrusted;     /* open connections from untrusted addresses */
    unsigned untrusted_max;
    struct trust_slot trust[TRUST_SLOTS];
};

static _Atomic uint64_t n_refused_reserved, n_header_late, n_body_late, n_framing, n_discarded;

void http_counters_get(struct http_counters *out)
{
    out->refused_reserved = atomic_load(&n_refused_reserved);
    out->closed_header_late = atomic_load(&n_header_late);
    out->closed_body_late = atomic_load(&n_body_late);
    out->refused_framing = atomic_load(&n_framing);
    out->discarded_bytes = atomic_load(&n_discarded);
}

void guard_count_framing(void)
{
    atomic_fetch_add(&n_framing, 1);
}

void guard_count_discarded(size_t n)
{
    atomic_fetch_add(&n_discarded, n);
}

static size_t addr_key(const struct sockaddr *sa, unsigned char out[16])
{
    if (!sa)
        return 0;
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

static uint32_t addr_hash(const unsigned char *addr, size_t len)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ addr[i]) * 16777619u;
    return h;
}

/* Whether addr is trusted now. Caller holds the lock. */
static bool trusted_locked(struct guard *g, const unsigned char *addr, size_t len, int64_t now)
{
    uint32_t h = addr_hash(addr, len);
    for (size_t i = 0; i < TRUST_PROBES; i++) {
        const struct trust_slot *t = &g->trust[(h + i) % TRUST_SLOTS];
        if (t->len == len && !memcmp(t->addr, addr, len))
            return t->until_us > now;
    }
    return false;
}

static void trust_locked(struct guard *g, const unsigned char *addr, size_t len, int64_t now)
{
    uint32_t h = addr_hash(addr, len);
    struct trust_slot *pick = NULL;
    for (size_t i = 0; i < TRUST_PROBES; i++) {
        struct trust_slot *t = &g->trust[(h + i) % TRUST_SLOTS];
        if (t->len == len && !memcmp(t->addr, addr, len)) {
            pick = t;
            break;
        }
        if (!pick || t->until_us < pick->until_us)
            pick = t; /* free slots have until_us 0: taken first */
    }
    memcpy(pick->addr, addr, len);
    pick->len = (unsigned char)len;
    pick->until_us = now + (int64_t)HTTP_TRUST_SECONDS * 1000000;
}

enum MHD_Result guard_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    struct http_server *srv = cls;
    struct guard *g = srv->guard;
    unsigned char key[16];
    size_t len = addrlen ? addr_key(addr, key) : 0;
    if (!len || !g->untrusted_max)
        return MHD_YES;
    pthread_mutex_lock(&g->lock);
    bool ok = g->untrusted < g->untrusted_max || trusted_locked(g, key, len, lia_now_us());
    pthread_mutex_unlock(&g->lock);
    if (!ok)
        atomic_fetch_add(&n_refused_reserved, 1);
    return ok ? MHD_YES : MHD_NO;
}

static int64_t deadline_for(const struct http_server *srv, enum conn_phase phase)
{
    unsigned s = phase == PHASE_HEAD   ? srv->cfg.header_timeout
                 : phase == PHASE_BODY ? srv->cfg.body_timeout
                                       : 0;
    return s ? lia_now_us() + (int64_t)s * 1000000 : 0;
}

void guard_phase(struct conn_ctx *cx, enum conn_phase phase)
{
    if (!cx)
        return;
    atomic_store(&cx->phase, (int)phase);
    atomic_store(&cx->deadline_us, deadline_for(cx->srv, phase));
}

void guard_authenticated(struct conn_ctx *cx)
{
    if (!cx || !cx->addr_len)
        return;
    struct guard *g = cx->srv->guard;
    pthread_mutex_lock(&g->lock);
    trust_locked(g, cx->addr, cx->addr_len, lia_now_us());
    if (!cx->trusted) {
        cx->trusted = true;
        g->untrusted--;
    }
    pthread_mutex_unlock(&g->lock);
}

struct conn_ctx *conn_context(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct conn_ctx *cx = ci ? ci->socket_context : NULL;
    return cx && cx->magic == CONN_MAGIC ? cx : NULL;
}

void guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                  enum MHD_ConnectionNotificationCode toe)
{
    struct http_server *srv = cls;
    struct guard *g = srv->guard;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        struct conn_ctx *cx = calloc(1, sizeof *cx);
        *socket_context = cx; /* NULL when out of memory: that connection is not guarded */
        if (!cx)
            return;
        cx->magic = CONN_MAGIC;
        cx->srv = srv;
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        cx->fd = ci ? ci->connect_fd : -1;
        ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        cx->addr_len = (unsigned char)addr_key(ci ? ci->client_addr : NULL, cx->addr);
        guard_phase(cx, PHASE_HEAD);
        pthread_mutex_lock(&g->lock);
        cx->trusted = !cx->addr_len || trusted_locked(g, cx->addr, cx->addr_len, lia_now_us());
        if (!cx->trusted)
            g->untrusted++;
        cx->next = g->conns;
        if (g->conns)
            g->conns->prev = cx;
        g->conns = cx;
        pthread_mutex_unlock(&g->lock);
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
        struct conn_ctx *cx = *socket_context;
        pthread_mutex_lock(&g->lock);
        if (!cx->trusted)
            g->untrusted--;
        if (cx->prev)
            cx->prev->next = cx->next;
        else
            g->conns = cx->next;
        if (cx->next)
            cx->next->prev = cx->prev;
        pthread_mutex_unlock(&g->lock);
        free(cx->subject);
        free(cx);
        *socket_context = NULL;
    }
}

/* Shuts down every connection past its deadline. Caller holds the lock. */
static void sweep_locked(struct guard *g, int64_t now)
{
    for (struct conn_ctx *cx = g->conns; cx; cx = cx->next) {
        int64_t due = atomic_load(&cx->deadline_us);
        if (cx->shut || !due || now < due || cx->fd < 0)
            continue;
        cx->shut = true;
        shutdown(cx->fd, SHUT_RDWR);
        atomic_fetch_add(atomic_load(&cx->phase) == PHASE_BODY ? &n_body_late : &n_header_late, 1);
    }
}

static void *guard_main(void *arg)
{
    struct guard *g = arg;
    pthread_mutex_lock(&g->lock);
    while (!g->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += TICK_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&g->cond, &g->lock, &until);
        if (!g->stop)
            sweep_locked(g, lia_now_us());
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

int guard_start(struct http_server *srv, struct lia_err *err)
{
    struct guard *g = calloc(1, sizeof *g);
    if (!g)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->cond, NULL);
    const struct http_config *cfg = &srv->cfg;
    /* At most half of the slots are reserved, whatever was asked. */
    unsigned reserved = cfg->reserved_connections;
    if (reserved > cfg->max_connections / 2)
        reserved = cfg->max_connections / 2;
    if (reserved)
        g->untrusted_max = cfg->max_connections - reserved;
    srv->guard = g;
    if ((cfg->header_timeout || cfg->body_timeout) &&
        pthread_create(&g->thread, NULL, guard_main, g) != 0) {
        srv->guard = NULL;
        pthread_mutex_destroy(&g->lock);
        pthread_cond_destroy(&g->cond);
        free(g);
        return lia_err_set(err, LIA_EIO, "cannot start the connection guard thread");
    }
    return 0;
}

void guard_stop(struct http_server *srv)
{
    struct guard *g = srv->guard;
    if (!g)
        return;
    if (srv->cfg.header_timeout || srv->cfg.body_timeout) {
        pthread_mutex_lock(&g->lock);
        g->stop = true;
        pthread_cond_signal(&g->cond);
        pthread_mutex_unlock(&g->lock);
        pthread_join(g->thread, NULL);
    }
    pthread_mutex_destroy(&g->lock);
    pthread_cond_destroy(&g->cond);
    free(g);
    srv->guard = NULL;
}
