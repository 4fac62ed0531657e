/*
 * store_lock: one holder at a time across every process using a store, for work one node at
 * a time must do (scheduled pulls and pushes, watch deliveries). The backends hold it their
 * own way: SQLite an flock on a file beside the database (one machine), PostgreSQL a session
 * advisory lock that the database drops with a dead node's session.
 */
#include "store/store_int.h"

#include <stdlib.h>

int store_lock_try(struct store *s, const char *name, struct store_lock **out, struct lia_err *err)
{
    struct store_lock *l = calloc(1, sizeof *l);
    if (!l)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    l->store = s;
    l->fd = -1;
    int rc = s->be->lock(l, name, err);
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
    l->store->be->unlock(l);
    free(l);
}
