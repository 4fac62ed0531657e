/*
 * The statement layer of the store, over either backend: the connection pool, running a
 * statement and reading its rows, one read transaction per request, write transactions,
 * and opening a store. Every query of the store goes through here, so a statement is
 * written once and its rows decoded once, whichever backend runs it.
 *
 * The pool: a small set of connections per process, taken by one thread at a time. The
 * connection a thread used last is taken again without the pool's mutex when free (SQLite's
 * per-call lock showed in small requests). A connection is opened on first use, and a
 * broken one (PostgreSQL) replaced when next taken.
 */
#include "store/store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include <sodium.h>

void store_args_init(struct store_args *b, struct arena *a)
{
    b->n = 0;
    b->cap = (int)(sizeof b->inl / sizeof b->inl[0]);
    b->v = b->inl;
    b->a = a;
}

int store_args_add(struct store_args *b, struct store_val v)
{
    if (b->n >= 30000)
        return LIA_ETOOBIG;
    if (b->n == b->cap) {
        struct store_val *bigger =
            b->a ? arena_alloc(b->a, 2 * (size_t)b->cap * sizeof *bigger) : NULL;
        if (!bigger)
            return LIA_ENOMEM;
        memcpy(bigger, b->v, (size_t)b->n * sizeof *bigger);
        b->v = bigger;
        b->cap *= 2;
    }
    b->v[b->n++] = v;
    return 0;
}

/* The connection this thread used last, and the one it holds for a read request. */
static _Thread_local struct store *tl_store, *tl_held_store;
static _Thread_local struct store_conn *tl_conn, *tl_held;

static bool try_take(struct store_conn *c)
{
    bool expected = false;
    return atomic_compare_exchange_strong(&c->busy, &expected, true);
}

static int take(struct store *s, struct store_conn **out, struct lia_err *err)
{
    struct store_conn *c = NULL;
    if (tl_store == s && tl_conn && try_take(tl_conn))
        c = tl_conn;
    if (!c) {
        pthread_mutex_lock(&s->lock);
        /* Counted before scanning, so that a release racing with the scan either is seen by
         * it or sees this waiter and signals (sequentially consistent atomics both sides). */
        atomic_fetch_add(&s->waiters, 1);
        while (!c) {
            for (int i = 0; i < s->n_conns && !c; i++)
                if (try_take(&s->conns[i]))
                    c = &s->conns[i];
            if (!c && s->n_conns < s->pool_size) {
                c = &s->conns[s->n_conns++];
                atomic_store(&c->busy, true);
            }
            if (!c)
                pthread_cond_wait(&s->cond, &s->lock);
        }
        atomic_fetch_sub(&s->waiters, 1);
        pthread_mutex_unlock(&s->lock);
        tl_store = s;
        tl_conn = c;
    }
    c->store = s;
    int rc = s->be->connect(s, c, err);
    if (rc) {
        atomic_store(&c->busy, false);
        return rc;
    }
    *out = c;
    return 0;
}

int store_acquire(struct store *s, struct store_conn **out, struct lia_err *err)
{
    if (tl_held_store == s && tl_held) {
        *out = tl_held;
        return 0;
    }
    return take(s, out, err);
}

void store_release(struct store *s, struct store_conn *c)
{
    if (c == tl_held && tl_held_store == s)
        return; /* held for the request: store_read_end gives it back */
    atomic_store(&c->busy, false);
    if (atomic_load(&s->waiters) > 0) {
        pthread_mutex_lock(&s->lock);
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
    }
}

int store_dyn_slot(struct store_conn *c, const char *key, size_t len, bool *hit)
{
    int victim = 0;
    c->clock++;
    for (int i = 0; i < STORE_DYN; i++) {
        if (c->dyn[i].key && c->dyn[i].len == len && !memcmp(c->dyn[i].key, key, len)) {
            c->dyn[i].used = c->clock;
            return *hit = true, i;
        }
        victim = c->dyn[i].used < c->dyn[victim].used ? i : victim;
    }
    free(c->dyn[victim].key); /* whatever the backend kept there goes */
    c->dyn[victim].key = NULL;
    return *hit = false, victim;
}

void store_dyn_keep(struct store_conn *c, int slot, const char *key, size_t len)
{
    c->dyn[slot].key = malloc(len ? len : 1); /* not kept (NULL): prepared again next time */
    if (c->dyn[slot].key)
        memcpy(c->dyn[slot].key, key, len);
    c->dyn[slot].len = len;
    c->dyn[slot].used = c->clock;
}

void store_dyn_forget(struct store_conn *c)
{
    for (int i = 0; i < STORE_DYN; i++)
        free(c->dyn[i].key);
    memset(c->dyn, 0, sizeof c->dyn);
}

int store_exec(struct store_conn *c, struct sq *q, const struct store_val *v, int n,
               struct store_cur *cur, const char *what, struct lia_err *err)
{
    static atomic_int next_id;
    memset(cur, 0, sizeof *cur);
    cur->conn = c;
    if (!atomic_load(&q->id)) {
        int want = atomic_fetch_add(&next_id, 1) + 1, zero = 0;
        if (want > STORE_SQ_MAX)
            return lia_err_set(err, LIA_EINTERNAL, "store: more than %d statements", STORE_SQ_MAX);
        atomic_compare_exchange_strong(&q->id, &zero, want);
    }
    return c->store->be->exec(cur, q, q->sql, strlen(q->sql), v, n, false, what, err);
}

int store_exec_text(struct store_conn *c, const char *sql, size_t len, const struct store_args *b,
                    bool stream, struct store_cur *cur, const char *what, struct lia_err *err)
{
    memset(cur, 0, sizeof *cur);
    cur->conn = c;
    return c->store->be->exec(cur, NULL, sql, len, b ? b->v : NULL, b ? b->n : 0, stream, what,
                              err);
}

#define BE(cur) ((cur)->conn->store->be)

int store_step(struct store_cur *cur, struct lia_err *err)
{
    return BE(cur)->step(cur, err);
}

void store_end(struct store_cur *cur)
{
    if (cur->h || cur->flags)
        BE(cur)->end(cur);
    cur->flags = 0;
    cur->h = NULL;
}

int64_t store_col_int(struct store_cur *cur, int col)
{
    return BE(cur)->col_int(cur, col);
}

const char *store_col_text(struct store_cur *cur, int col, size_t *len)
{
    return BE(cur)->col_text(cur, col, len);
}

char *store_col_dupn(struct store_cur *cur, int col, struct arena *a, size_t *len)
{
    const char *t = BE(cur)->col_text(cur, col, len);
    return t ? arena_strndup(a, t, *len) : NULL;
}

char *store_col_dup(struct store_cur *cur, int col, struct arena *a)
{
    size_t n;
    return store_col_dupn(cur, col, a, &n);
}

void store_col_bytes(struct store_cur *cur, int col, unsigned char *out, size_t n)
{
    size_t len = 0;
    struct arena a;
    arena_init(&a, 0);
    const void *p = BE(cur)->col_blob(cur, col, &len, &a);
    if (p && len == n)
        memcpy(out, p, n);
    else
        memset(out, 0, n);
    arena_release(&a);
}

int store_row_str(struct store_cur *cur, struct arena *a, void *dst)
{
    size_t n;
    const char *t = BE(cur)->col_text(cur, 0, &n);
    char **out = dst;
    *out = t ? arena_strndup(a, t, n) : NULL;
    return t && !*out ? LIA_ENOMEM : 0;
}

int store_decode(struct store_cur *cur, struct arena *a, void *dst, const struct store_field *f,
                 size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *m = (char *)dst + f[i].off;
        int64_t v = f[i].kind == 't' || f[i].kind == 'h' ? 0 : store_col_int(cur, (int)i);
        if (f[i].kind == 'i')
            memcpy(m, &v, sizeof v);
        else if (f[i].kind == 'n')
            *(int *)(void *)m = (int)v;
        else if (f[i].kind == 'b')
            *(bool *)m = v != 0;
        else if (f[i].kind == 'h')
            store_col_bytes(cur, (int)i, (unsigned char *)m, 32);
        else if (!(*(char **)(void *)m = store_col_dup(cur, (int)i, a)) &&
                 BE(cur)->col_text(cur, (int)i, &(size_t){0}))
            return LIA_ENOMEM;
    }
    return 0;
}

int store_row_int(struct store_cur *cur, struct arena *a, void *dst)
{
    (void)a;
    *(int64_t *)dst = store_col_int(cur, 0);
    return 0;
}

int store_one(struct store_conn *c, struct sq *q, const struct store_val *v, int n, store_row_fn fn,
              struct arena *a, void *dst, const char *notfound, const char *what,
              struct lia_err *err)
{
    struct store_cur cur = {0};
    int rc = store_exec(c, q, v, n, &cur, what, err);
    if (rc == 0) {
        rc = store_step(&cur, err);
        if (rc == 0)
            rc = lia_err_set(err, LIA_ENOTFOUND, "%s", notfound);
        else if (rc == 1)
            rc = fn && fn(&cur, a, dst) ? lia_err_set(err, LIA_ENOMEM, "out of memory") : 0;
    }
    /* To the end: SQLite calls its WAL hook (the commit generation) only for a statement that
     * finished, and an INSERT ... RETURNING commits on its own. */
    while (rc == 0 && (rc = store_step(&cur, err)) == 1)
        rc = 0;
    store_end(&cur);
    return rc;
}

int store_get(struct store *s, struct sq *q, const struct store_val *v, int n, store_row_fn fn,
              struct arena *a, void *dst, const char *notfound, const char *what,
              struct lia_err *err)
{
    struct store_conn *c;
    int rc = store_acquire(s, &c, err);
    if (rc)
        return rc;
    rc = store_one(c, q, v, n, fn, a, dst, notfound, what, err);
    store_release(s, c);
    return rc;
}

/* The rest of cur's rows through fn into an arena array of size-byte elements. */
static int collect(struct store_cur *cur, int rc, size_t size, store_row_fn fn, struct arena *a,
                   void **out, size_t *n_out, struct lia_err *err)
{
    size_t cap = 0;
    char *rows = NULL;
    while (rc == 0 && (rc = store_step(cur, err)) == 1) {
        rc = 0;
        if (*n_out == cap) {
            char *bigger = arena_alloc(a, (cap = cap ? 2 * cap : 16) * size);
            if (!bigger) {
                rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
                break;
            }
            if (rows)
                memcpy(bigger, rows, *n_out * size);
            rows = bigger;
        }
        if (fn(cur, a, rows + *n_out * size))
            rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
        else
            (*n_out)++;
    }
    store_end(cur);
    *out = rows;
    return rc;
}

int store_list(struct store *s, struct sq *q, const struct store_val *v, int n, size_t size,
               store_row_fn fn, struct arena *a, void **out, size_t *n_out, const char *what,
               struct lia_err *err)
{
    *out = NULL;
    *n_out = 0;
    struct store_conn *c;
    int rc = store_acquire(s, &c, err);
    if (rc)
        return rc;
    struct store_cur cur = {0};
    rc = store_exec(c, q, v, n, &cur, what, err);
    rc = collect(&cur, rc, size, fn, a, out, n_out, err);
    store_release(s, c);
    return rc;
}

int store_list_text(struct store_conn *c, const char *sql, size_t len, const struct store_args *b,
                    size_t size, store_row_fn fn, struct arena *a, void **out, size_t *n_out,
                    const char *what, struct lia_err *err)
{
    *out = NULL;
    *n_out = 0;
    struct store_cur cur = {0};
    int rc = store_exec_text(c, sql, len, b, false, &cur, what, err);
    return collect(&cur, rc, size, fn, a, out, n_out, err);
}

int store_do(struct store_conn *c, struct sq *q, const struct store_val *v, int n, int64_t *changes,
             const char *what, struct lia_err *err)
{
    struct store_cur cur = {0};
    int rc = store_exec(c, q, v, n, &cur, what, err);
    while (rc == 0 && (rc = store_step(&cur, err)) == 1)
        rc = 0;
    if (changes)
        *changes = cur.changes;
    store_end(&cur);
    return rc;
}

int store_run(struct store *s, struct sq *q, const struct store_val *v, int n, int64_t *changes,
              const char *what, struct lia_err *err)
{
    struct store_conn *c;
    int rc = store_acquire(s, &c, err);
    if (rc)
        return rc;
    rc = store_do(c, q, v, n, changes, what, err);
    store_release(s, c);
    return rc;
}

int store_read_begin(struct store *s, struct lia_err *err)
{
    if (tl_held_store == s && tl_held)
        return 0;
    struct store_conn *c;
    int rc = take(s, &c, err);
    if (rc)
        return rc;
    rc = s->be->read_begin(c, err);
    if (rc) {
        store_release(s, c);
        return rc;
    }
    c->in_read = true;
    c->read_no++;
    tl_held_store = s;
    tl_held = c;
    return 0;
}

void store_read_end(struct store *s)
{
    if (tl_held_store != s || !tl_held)
        return;
    struct store_conn *c = tl_held;
    tl_held = NULL;
    tl_held_store = NULL;
    c->in_read = false;
    s->be->read_end(c);
    store_release(s, c);
}

/* Waits for this process's other writers, at most the store's timeout. */
static int write_lock(struct store *s, struct lia_err *err)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += s->timeout_ms / 1000;
    until.tv_nsec += (long)(s->timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    int e = pthread_mutex_timedlock(&s->write_lock, &until);
    if (e == ETIMEDOUT)
        return lia_err_set(err, LIA_EBUSY, "store: begin: the store is busy with other writes");
    return e ? lia_err_set(err, LIA_EINTERNAL, "store: begin: write lock: %d", e) : 0;
}

static int begin(struct store *s, struct store_txn **out, bool schema, struct store_conn *held,
                 struct lia_err *err)
{
    *out = NULL;
    struct store_txn *t = calloc(1, sizeof *t);
    if (!t)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    t->store = s;
    atomic_fetch_add(&s->writers, 1);
    int rc = write_lock(s, err);
    if (rc) {
        atomic_fetch_sub(&s->writers, 1);
        free(t);
        return rc;
    }
    /* Never the connection held for reading: a write needs its own transaction. */
    if (held)
        t->conn = held;
    else
        rc = take(s, &t->conn, err);
    if (rc == 0) {
        t->changes0 = s->be->changes(t->conn);
        rc = s->be->begin(t, schema, err);
        if (rc && !held)
            store_release(s, t->conn);
    }
    if (rc) {
        pthread_mutex_unlock(&s->write_lock);
        atomic_fetch_sub(&s->writers, 1);
        free(t);
        return rc;
    }
    *out = t;
    return 0;
}

bool store_writing(struct store *s)
{
    return atomic_load(&s->writers) > 0;
}

int store_begin(struct store *s, struct store_txn **t, struct lia_err *err)
{
    return begin(s, t, false, NULL, err);
}

void store_memo_free(struct store_txn *t);

static void txn_free(struct store_txn *t)
{
    struct store *s = t->store;
    store_memo_free(t);
    store_release(s, t->conn);
    free(t);
    pthread_mutex_unlock(&s->write_lock);
    atomic_fetch_sub(&s->writers, 1);
}

int store_commit(struct store_txn *t, struct lia_err *err)
{
    /* A transaction that did nothing but append audit entries (a partner's disclosure record)
     * changes no answer a cache keeps (no HTTP endpoint reads the audit log), so its commit
     * leaves the generation alone. Counted, not assumed: any other row changed, by a
     * statement or a trigger, makes the change count exceed the audit rows. */
    struct store *s = t->store;
    bool quiet = t->audit_rows > 0 && s->be->changes(t->conn) - t->changes0 == t->audit_rows;
    int rc = s->be->commit(t, quiet, err);
    txn_free(t);
    return rc;
}

void store_rollback(struct store_txn *t)
{
    if (!t)
        return;
    t->store->be->rollback(t);
    txn_free(t);
}

int64_t store_next_added(struct store_txn *t)
{
    int64_t now = lia_now_us();
    t->last_added = now > t->last_added ? now : t->last_added + 1;
    return t->last_added;
}

bool store_generation(struct store *s, uint64_t *gen)
{
    return s->be->generation(s, gen);
}

int store_snapshot(struct store *s, const char *path, struct lia_err *err)
{
    if (!s->be->snapshot)
        return lia_err_set(err, LIA_EUNSUPPORTED,
                           "store: %s is a %s database: back it up with its own tools (pg_dump "
                           "or pg_basebackup: docs/backup.md)",
                           s->redacted, s->be->name);
    return s->be->snapshot(s, path, err);
}

int store_background_checkpoints(struct store *s, struct lia_err *err)
{
    return s->be->background ? s->be->background(s, err) : 0;
}

int store_open(const char *path, const struct store_options *opt, struct store **out,
               struct lia_err *err)
{
    if (sodium_init() < 0)
        return lia_err_set(err, LIA_EINTERNAL, "libsodium failed to initialise");
    bool pg = store_is_pg(path);
    if (!strncmp(path, "sqlite:", 7))
        path += 7;
    struct store *s = calloc(1, sizeof *s);
    if (!s)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    s->be = pg ? &store_pg : &store_sqlite;
    s->location = strdup(path);
    s->redacted = malloc(strlen(path) + 8);
    if (s->redacted)
        store_location_redact(path, s->redacted, strlen(path) + 8);
    s->pool_size = opt->pool_size > 0 ? opt->pool_size : 4;
    if (s->pool_size > STORE_POOL_MAX)
        s->pool_size = STORE_POOL_MAX;
    s->timeout_ms = opt->busy_timeout_ms > 0 ? opt->busy_timeout_ms : 10000;
    atomic_store(&s->digest_sample, STORE_DIGEST_SAMPLE);
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->write_lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    int rc = s->location && s->redacted ? s->be->open(s, opt, err)
                                        : lia_err_set(err, LIA_ENOMEM, "out of memory");
    struct store_conn *c = NULL;
    if (rc == 0)
        rc = take(s, &c, err);
    if (rc == 0) {
        rc = store_schema_apply(s, c, opt, err);
        store_release(s, c);
    }
    if (rc) {
        store_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    if (s->bs)
        s->be->close(s);
    for (int i = 0; i < s->n_conns; i++) {
        store_cache_free(&s->conns[i]);
        if (s->conns[i].be)
            s->be->disconnect(&s->conns[i]);
        store_dyn_forget(&s->conns[i]);
    }
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->write_lock);
    pthread_cond_destroy(&s->cond);
    if (s->location)
        sodium_memzero(s->location, strlen(s->location));
    free(s->location);
    free(s->redacted);
    free(s);
}

/* Schema changes run as a write transaction of their own on c, under the migration lock. */
int store_schema_begin(struct store *s, struct store_conn *c, struct store_txn **t,
                       struct lia_err *err)
{
    return begin(s, t, true, c, err);
}

void store_schema_end(struct store_txn *t)
{
    store_memo_free(t);
    pthread_mutex_unlock(&t->store->write_lock);
    atomic_fetch_sub(&t->store->writers, 1);
    free(t);
}
