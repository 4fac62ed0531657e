/*
 * store_lock: one holder at a time across every process using a store.
 * PostgreSQL: a session advisory lock (pg_try_advisory_lock) on a pooled
 * connection kept for as long as the lock is held; if that connection
 * breaks, the database drops the lock with it, so a dead node never keeps
 * it. SQLite: an flock on a file beside the database (one machine).
 */
#include "store/pg_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

struct store_lock {
    struct store *store;
    struct pg_conn *conn; /* PostgreSQL */
    char key[64];
    int fd; /* SQLite */
};

int store_lock_try(struct store *s, const char *name, struct store_lock **out, struct lia_err *err)
{
    struct store_lock *l = calloc(1, sizeof *l);
    if (!l)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    l->store = s;
    l->fd = -1;
    int rc = 0;
    if (s->pg) {
        rc = pg_acquire(s, &l->conn, err);
        struct pg_params p;
        pg_param_reset(&p);
        pg_param_text(&p, name);
        PGresult *r = NULL;
        if (rc == 0) {
            char sql[128];
            snprintf(sql, sizeof sql, "SELECT pg_try_advisory_lock(%d, hashtext($1))",
                     PG_LOCK_CLASS);
            rc = pg_exec(s, l->conn, -1, sql, &p, &r, "take lock", err);
        }
        if (rc == 0 && PQgetvalue(r, 0, 0)[0] != 't')
            rc = lia_err_set(err, LIA_EBUSY, "store: lock %s is held elsewhere", name);
        PQclear(r);
        snprintf(l->key, sizeof l->key, "%s", name);
        if (rc && l->conn)
            pg_release(s, l->conn);
    } else {
        char path[4200];
        snprintf(path, sizeof path, "%s-%s.lock", s->path, name);
        l->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (l->fd < 0)
            rc = lia_err_set(err, LIA_EIO, "store: cannot open %s: %s", path, strerror(errno));
        else if (flock(l->fd, LOCK_EX | LOCK_NB) != 0)
            rc = lia_err_set(err, errno == EWOULDBLOCK ? LIA_EBUSY : LIA_EIO,
                             "store: lock %s is held elsewhere", name);
        if (rc && l->fd >= 0)
            close(l->fd);
    }
    if (rc) {
        free(l);
        return rc;
    }
    *out = l;
    return 0;
}

void store_lock_release(struct store_lock *l)
{
    if (!l)
        return;
    if (l->conn) {
        struct pg_params p;
        pg_param_reset(&p);
        pg_param_text(&p, l->key);
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT pg_advisory_unlock(%d, hashtext($1))", PG_LOCK_CLASS);
        struct lia_err err;
        lia_err_clear(&err);
        pg_run(l->store, l->conn, -1, sql, &p, "release lock", &err);
        pg_release(l->store, l->conn);
    }
    if (l->fd >= 0)
        close(l->fd); /* drops the flock */
    free(l);
}
