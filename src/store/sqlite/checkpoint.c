/*
 * Background WAL checkpoints for the SQLite backend (the server turns them on).
 *
 * By default SQLite checkpoints inside the commit that pushes the write-ahead log
 * past 1,000 pages: that request then copies the log into the database file and
 * waits for its fsync. Every connection has sqlite_wal_hook instead (sqlite.c
 * installs it; it also moves the store's commit generation after each commit that changes
 * more than the audit log: store_commit).
 * Without background checkpoints it checkpoints at CKPT_PAGES as SQLite would;
 * with them it wakes a checkpointer thread, on its own connection, once the log
 * passes CKPT_PAGES; the thread runs PASSIVE
 * checkpoints (it never waits for readers or writers) while requests go on.
 * Durability is unchanged: a commit is on disk when it returns (the log is
 * synced at commit, synchronous=FULL); a checkpoint only moves pages from the
 * log to the database file. Should the thread fall far behind (CKPT_HARD_PAGES),
 * the committing connection checkpoints itself, as SQLite would, so the log
 * stays bounded.
 */
#include "store/sqlite/sqlite.h"

#include <signal.h>
#include <stdlib.h>

#define CKPT_PAGES 1000
#define CKPT_HARD_PAGES 4000

struct sqlite_ckpt {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool wanted, stop;
    sqlite3 *db;
};

int sqlite_wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
    struct store *s = arg;
    struct sqlite_ckpt *k = atomic_load(&((struct sqlite_store *)s->bs)->ckpt);
    if (!sqlite_commit_quiet())
        sqlite_gen_bump(s);
    if (k && frames >= CKPT_PAGES) {
        pthread_mutex_lock(&k->lock);
        k->wanted = true;
        pthread_cond_signal(&k->cond);
        pthread_mutex_unlock(&k->lock);
    }
    /* Without the thread, as SQLite's own automatic checkpoint would (the hook replaces it). */
    if (frames >= (k ? CKPT_HARD_PAGES : CKPT_PAGES))
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return SQLITE_OK;
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
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            lia_log(LIA_LOG_WARN, "checkpoint_failed", "\"error\":\"%s\"", sqlite3_errmsg(k->db));
        pthread_mutex_lock(&k->lock);
    }
    pthread_mutex_unlock(&k->lock);
    return NULL;
}

int sqlite_checkpoints(struct store *s, struct lia_err *err)
{
    struct sqlite_store *ss = s->bs;
    if (atomic_load(&ss->ckpt))
        return 0;
    struct sqlite_ckpt *k = calloc(1, sizeof *k);
    if (!k)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    pthread_mutex_init(&k->lock, NULL);
    pthread_cond_init(&k->cond, NULL);
    int rc =
        sqlite3_open_v2(s->location, &k->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        rc = sqlite_fail(k->db, rc, err, "open the checkpoint connection");
        sqlite3_close(k->db);
        free(k);
        return rc;
    }
    sqlite3_busy_timeout(k->db, 0); /* PASSIVE: never wait */
    /* A connection that has read nothing does not know the database is in WAL mode, and its
     * checkpoints do nothing (they report a log of -1 frames): one read opens the log. */
    rc = sqlite3_exec(k->db, "PRAGMA schema_version", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        rc = sqlite_fail(k->db, rc, err, "read through the checkpoint connection");
        sqlite3_close(k->db);
        free(k);
        return rc;
    }
    /* No signal for this thread: the server's own threads take them. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int started = pthread_create(&k->thread, NULL, ckpt_main, k);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (started != 0) {
        sqlite3_close(k->db);
        free(k);
        return lia_err_set(err, LIA_EIO, "cannot start the checkpoint thread");
    }
    atomic_store(&ss->ckpt, k); /* every connection's hook sees it from its next commit */
    return 0;
}

void sqlite_ckpt_stop(struct store *s)
{
    struct sqlite_ckpt *k = atomic_exchange(&((struct sqlite_store *)s->bs)->ckpt, NULL);
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
}
