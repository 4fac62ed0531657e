/*
 * Background WAL checkpoints for the SQLite backend (the server turns them on).
 *
 * By default SQLite checkpoints inside the commit that pushes the write-ahead log
 * past 1,000 pages: that request then copies the log into the database file and
 * waits for its fsync. With background checkpoints every pooled connection has
 * automatic checkpoints off and a WAL hook that wakes a checkpointer thread, on
 * its own connection, once the log passes CKPT_PAGES; the thread runs PASSIVE
 * checkpoints (it never waits for readers or writers) while requests go on.
 * Durability is unchanged: a commit is on disk when it returns (the log is
 * synced at commit, synchronous=FULL); a checkpoint only moves pages from the
 * log to the database file. Should the thread fall far behind (CKPT_HARD_PAGES),
 * the committing connection checkpoints itself, as SQLite would, so the log
 * stays bounded.
 */
#include "store/pg_int.h"

#include <stdlib.h>

#define CKPT_PAGES 1000
#define CKPT_HARD_PAGES 4000

struct sqlite_ckpt {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool wanted, stop;
    sqlite3 *db;
    atomic_ullong runs;
};

static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
    struct store *s = arg;
    struct sqlite_ckpt *k = s->ckpt;
    sqlite_gen_bump(s);
    if (k && frames >= CKPT_PAGES) {
        pthread_mutex_lock(&k->lock);
        k->wanted = true;
        pthread_cond_signal(&k->cond);
        pthread_mutex_unlock(&k->lock);
    }
    if (frames >= (k ? CKPT_HARD_PAGES : CKPT_PAGES))
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return SQLITE_OK;
}

void sqlite_ckpt_conn(struct store *s, sqlite3 *db)
{
    if (!s->ckpt)
        return;
    sqlite3_wal_autocheckpoint(db, 0);
    sqlite3_wal_hook(db, wal_hook, s); /* replaces sqlite.c's, generation included */
}

static void *ckpt_main(void *arg)
{
    struct sqlite_ckpt *k = arg;
    pthread_mutex_lock(&k->lock);
    while (!k->stop) {
        if (!k->wanted) {
            pthread_cond_wait(&k->cond, &k->lock);
            continue;
        }
        k->wanted = false;
        pthread_mutex_unlock(&k->lock);
        int log = 0, done = 0;
        int rc = sqlite3_wal_checkpoint_v2(k->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
        atomic_fetch_add(&k->runs, 1);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            lia_log(LIA_LOG_WARN, "checkpoint_failed", "\"error\":\"%s\"", sqlite3_errmsg(k->db));
        pthread_mutex_lock(&k->lock);
    }
    pthread_mutex_unlock(&k->lock);
    return NULL;
}

int store_background_checkpoints(struct store *s, struct lia_err *err)
{
    if (s->pg || s->ckpt)
        return 0;
    struct sqlite_ckpt *k = calloc(1, sizeof *k);
    if (!k)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    pthread_mutex_init(&k->lock, NULL);
    pthread_cond_init(&k->cond, NULL);
    int rc = sqlite3_open_v2(s->path, &k->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        rc = sqlite_fail(k->db, rc, err, "open the checkpoint connection");
        sqlite3_close(k->db);
        free(k);
        return rc;
    }
    sqlite3_busy_timeout(k->db, 0); /* PASSIVE: never wait */
    if (pthread_create(&k->thread, NULL, ckpt_main, k) != 0) {
        sqlite3_close(k->db);
        free(k);
        return lia_err_set(err, LIA_EIO, "cannot start the checkpoint thread");
    }
    pthread_mutex_lock(&s->lock);
    s->ckpt = k;
    for (int i = 0; i < s->n_conns; i++) /* connections opened later get it in conn_open */
        sqlite_ckpt_conn(s, s->conns[i].db);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

void sqlite_ckpt_stop(struct store *s)
{
    struct sqlite_ckpt *k = s->ckpt;
    if (!k)
        return;
    pthread_mutex_lock(&k->lock);
    k->stop = true;
    pthread_cond_signal(&k->cond);
    pthread_mutex_unlock(&k->lock);
    pthread_join(k->thread, NULL);
    /* Leave a short log behind: everything is in the database file. */
    sqlite3_wal_checkpoint_v2(k->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    sqlite3_close(k->db);
    pthread_mutex_destroy(&k->lock);
    pthread_cond_destroy(&k->cond);
    free(k);
    s->ckpt = NULL;
}

unsigned long long sqlite_ckpt_runs(struct store *s)
{
    return s->ckpt ? atomic_load(&s->ckpt->runs) : 0;
}
