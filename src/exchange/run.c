/*
 * What pull, push, import and the sync loop share: the per-exchange lock,
 * the principal a peer's objects are written as, the recording of a run's
 * outcome in its checkpoint, and reporting of refused objects.
 *
 * The lock is an flock() on DIR/sync-<direction>-<peer>-<local>-<hash>.lock:
 * the kernel drops it when its holder exits, also on SIGKILL, so a crashed
 * pull never blocks the next one, while two runs of the same exchange (a
 * `liaison pull` and the sync thread of `liaison serve`) never overlap.
 */
#include "exchange/exchange_int.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <sodium.h>

int exchange_lock(const struct exchange_opts *o, const char *direction, int64_t peer,
                  int64_t local_coll, const char *remote_coll, int *fd, struct lia_err *err)
{
    *fd = -1;
    if (!o->lock_dir)
        return 0;
    unsigned char h[8];
    crypto_generichash(h, sizeof h, (const unsigned char *)remote_coll, strlen(remote_coll), NULL,
                       0);
    char hex[17];
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    char path[4300];
    int n = snprintf(path, sizeof path, "%s/sync-%s-%lld-%lld-%s.lock", o->lock_dir, direction,
                     (long long)peer, (long long)local_coll, hex);
    if (n < 0 || (size_t)n >= sizeof path)
        return lia_err_set(err, LIA_EINVAL, "data directory path too long");
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (f < 0)
        return lia_err_set(err, LIA_EIO, "cannot open lock file %s", path);
    if (flock(f, LOCK_EX | LOCK_NB) != 0) {
        close(f);
        return lia_err_set(err, LIA_EBUSY,
                           "another %s of this peer and collection is running (lock %s)", direction,
                           path);
    }
    *fd = f;
    return 0;
}

void exchange_unlock(int fd)
{
    if (fd >= 0) {
        flock(fd, LOCK_UN);
        close(fd);
    }
}

int exchange_principal(struct store *s, int64_t partner, const char *actor, struct arena *a,
                       struct access_principal *who, struct store_partner *p, struct lia_err *err)
{
    int rc = store_partner_get(s, partner, NULL, NULL, a, p, err);
    if (rc == LIA_ENOTFOUND)
        return lia_err_set(err, LIA_ENOTFOUND, "the peer's partner no longer exists");
    if (rc)
        return rc;
    if (p->disabled)
        return lia_err_set(err, LIA_EFORBIDDEN, "partner %s is disabled", p->name);
    memset(who, 0, sizeof *who);
    who->actor = actor;
    who->name = p->name;
    who->identity = p->identity_id;
    who->partner = p->rid;
    who->via_exchange = true;
    who->policy.all = false;
    who->policy.partner = p->rid;
    who->policy.clearance = p->clearance;
    return 0;
}

int exchange_checkpoint_load(struct store *s, int64_t peer, const char *direction,
                             const char *remote_coll, int64_t local_coll, struct arena *a,
                             struct store_checkpoint *cp, struct lia_err *err)
{
    struct lia_err e2;
    lia_err_clear(&e2);
    int rc = store_checkpoint_get(s, peer, direction, remote_coll, local_coll, a, cp, &e2);
    if (rc && rc != LIA_ENOTFOUND)
        return lia_err_set(err, rc, "%s", e2.msg);
    if (rc == 0)
        return 0;
    memset(cp, 0, sizeof *cp);
    cp->peer = peer;
    cp->direction = direction;
    cp->remote_coll = remote_coll;
    cp->local_coll = local_coll;
    struct store_txn *t;
    if ((rc = store_begin(s, &t, err)) != 0)
        return rc;
    if ((rc = store_checkpoint_put(t, cp, err)) != 0) {
        store_rollback(t);
        return rc;
    }
    return store_commit(t, err);
}

void exchange_checkpoint_result(struct store *s, const struct store_checkpoint *cp, int rc,
                                const char *error)
{
    struct arena a;
    arena_init(&a, 0);
    struct lia_err err;
    lia_err_clear(&err);
    struct store_checkpoint now;
    if (store_checkpoint_get(s, cp->peer, cp->direction, cp->remote_coll, cp->local_coll, &a, &now,
                             &err) != 0)
        now = *cp;
    if (rc == 0) {
        now.last_ok = lia_now_us();
        now.last_error = NULL;
    } else {
        now.last_error = error;
    }
    struct store_txn *t;
    if (store_begin(s, &t, &err) == 0) {
        if (store_checkpoint_put(t, &now, &err) == 0)
            store_commit(t, &err);
        else
            store_rollback(t);
    }
    arena_release(&a);
}

void exchange_report(const struct exchange_opts *o, const char *who, const char *id,
                     const char *version, const char *why)
{
    if (o->report) {
        fprintf(o->report, "refused by %s: %s %s: %s\n", who, id, version, why);
        return;
    }
    struct dbuf b;
    dbuf_init(&b, 4096);
    dbuf_puts(&b, "\"by\":");
    dbuf_json_string(&b, who, strlen(who));
    dbuf_puts(&b, ",\"id\":");
    dbuf_json_string(&b, id, strlen(id));
    dbuf_puts(&b, ",\"reason\":");
    dbuf_json_string(&b, why, strlen(why));
    lia_log(LIA_LOG_WARN, "exchange.refused", "%s", b.ptr ? b.ptr : "");
    dbuf_release(&b);
}
