/*
 * The commit generation of a PostgreSQL store, shared by every node: each commit that changes
 * something an answer shows sends NOTIFY on PG_CHANNEL in its transaction (pg.c), and each
 * node keeps one session that LISTENs on it, on a thread of its own, and moves its generation
 * for every notification. A node's own commits move it at once.
 *
 * What a node may rely on: while the listening session is up, a commit made anywhere moves
 * the generation as soon as its notification arrives (PostgreSQL sends it once the commit is
 * visible; on one network, well under a millisecond; docs/scale-out.md). When the session is
 * lost, notifications may be missed: store_generation then says "cannot tell" (so nothing is
 * replayed from a cache) until a new session listens again, and the generation moves when it
 * is lost and when listening starts again, so nothing kept before is ever replayed after.
 * The thread starts on the first store_generation call (the server's caches, which wait for
 * its first attempt to listen); CLI commands never start it.
 */
#include "store/pg/pg.h"

#include <poll.h>
#include <signal.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

struct pg_listen {
    pthread_t thread;
    struct store *store;
    atomic_bool stop, ok, tried; /* tried: the first attempt to listen is over */
    int wake[2];                 /* written to stop the thread */
};

/* Waits for the session (or the wake pipe) at most ms; false when stopping. */
static bool wait_for(struct pg_listen *l, int fd, int ms)
{
    struct pollfd p[2] = {{.fd = l->wake[0], .events = POLLIN}, {.fd = fd, .events = POLLIN}};
    poll(p, fd >= 0 ? 2 : 1, ms);
    return !atomic_load(&l->stop);
}

static void *listen_main(void *arg)
{
    struct pg_listen *l = arg;
    struct pg_store *p = PS(l->store);
    int backoff = 100;
    while (!atomic_load(&l->stop)) {
        PGconn *db = pg_connect(l->store, "liaison-listen", NULL);
        PGresult *r = db ? PQexec(db, "LISTEN " PG_CHANNEL) : NULL;
        bool up = r && PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        if (up) {
            atomic_fetch_add(&p->gen, 1); /* anything may have changed while nobody listened */
            atomic_store(&l->ok, true);
            lia_log(LIA_LOG_INFO, "store_listening", "\"channel\":\"%s\"", PG_CHANNEL);
            backoff = 100;
        }
        atomic_store(&l->tried, true);
        while (up && wait_for(l, PQsocket(db), 60000)) {
            up = PQconsumeInput(db) == 1 && PQstatus(db) == CONNECTION_OK;
            PGnotify *n;
            while ((n = PQnotifies(db))) {
                if (strcmp(n->extra, p->node) != 0) /* this node's own are counted already */
                    atomic_fetch_add(&p->gen, 1);
                PQfreemem(n);
            }
        }
        if (atomic_load(&l->ok)) {
            atomic_store(&l->ok, false);
            atomic_fetch_add(&p->gen, 1);
            if (!atomic_load(&l->stop))
                lia_log(LIA_LOG_WARN, "store_listen_lost",
                        "\"effect\":\"no cached answers until it is back\"");
        }
        PQfinish(db);
        wait_for(l, -1, backoff);
        backoff = backoff < 5000 ? backoff * 2 : 5000;
    }
    return NULL;
}

bool pg_generation(struct store *s, uint64_t *gen)
{
    struct pg_store *p = PS(s);
    if (!atomic_load(&p->listen_started)) {
        pthread_mutex_lock(&p->listen_lock);
        struct pg_listen *l = atomic_load(&p->listen_started) ? NULL : calloc(1, sizeof *l);
        if (l) {
            l->store = s;
            l->wake[0] = l->wake[1] = -1;
            /* No signal for this thread: the server's own threads take them. */
            sigset_t all, old;
            sigfillset(&all);
            pthread_sigmask(SIG_BLOCK, &all, &old);
            bool started =
                pipe(l->wake) == 0 && pthread_create(&l->thread, NULL, listen_main, l) == 0;
            pthread_sigmask(SIG_SETMASK, &old, NULL);
            if (started) {
                atomic_store(&p->listen, l);
                /* The first caller (the server starting) finds it listening, or not at all. */
                for (int i = 0; i < 8000 && !atomic_load(&l->tried); i++)
                    usleep(1000);
            } else {
                lia_log(LIA_LOG_WARN, "store_listen_failed", "\"effect\":\"no cached answers\"");
                close(l->wake[0]);
                close(l->wake[1]);
                free(l);
            }
        }
        atomic_store(&p->listen_started, true); /* once, whatever happened */
        pthread_mutex_unlock(&p->listen_lock);
    }
    struct pg_listen *l = atomic_load(&p->listen);
    if (!l || !atomic_load(&l->ok))
        return false;
    *gen = atomic_load(&p->gen);
    return true;
}

void pg_listen_stop(struct store *s)
{
    struct pg_listen *l = atomic_exchange(&PS(s)->listen, NULL);
    if (!l)
        return;
    atomic_store(&l->stop, true);
    ssize_t w = write(l->wake[1], "x", 1);
    (void)w;
    pthread_join(l->thread, NULL);
    close(l->wake[0]);
    close(l->wake[1]);
    free(l);
}
