/*
 * The embedded SQLite backend of store.h: connection pool, schema,
 * transactions, metadata and collections.
 *
 * On disk: one database file in WAL mode with synchronous=FULL, so that a
 * commit that returned has reached the disk (invariant 3) while readers never
 * wait for the writer. Each worker thread borrows a connection from a small
 * pool for the duration of a call; writers serialise on SQLite's own lock
 * (BEGIN IMMEDIATE, with a busy timeout), which also keeps date_added
 * strictly increasing: it is read and assigned under that lock.
 *
 * The schema is versioned in meta('schema_version'); a store written by a
 * newer liaison is refused rather than misread.
 */
#include "store/pg_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

/* 2: exchange (peer, checkpoint, provenance), search and watch tables. Every statement of
 * schema_sql is idempotent (IF NOT EXISTS), so a store of an older version gains what it
 * lacks by running it again. 3: auth_gen, raised by triggers on every change to tokens,
 * partners, collections and grants, so that a connection may cache those rows
 * (sqlite_cache.c) and still see a revocation in the next transaction; object.superseded
 * and object.preceded, kept at write time, so that reading the last or first versions
 * needs no probe per row; object.rel_mask and object.red_mask, the audience of partners
 * 1 to 63 as bits, so that most partners' visibility is read from the page index. */
#define SCHEMA_VERSION 3

static const char *schema_sql =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS collection("
    "  rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, title TEXT NOT NULL,"
    "  description TEXT, alias TEXT UNIQUE, default_tlp INTEGER NOT NULL DEFAULT 2,"
    "  created INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS partner("
    "  rid INTEGER PRIMARY KEY, identity_id TEXT NOT NULL UNIQUE, name TEXT NOT NULL UNIQUE,"
    "  country TEXT, clearance INTEGER NOT NULL DEFAULT 1, trust TEXT, disabled INTEGER NOT NULL"
    "  DEFAULT 0, pubkey TEXT, cert_fingerprint TEXT UNIQUE, cert_subject TEXT UNIQUE,"
    "  identity_json TEXT NOT NULL, created INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS grant_right("
    "  coll INTEGER NOT NULL REFERENCES collection(rid), partner INTEGER NOT NULL,"
    "  can_read INTEGER NOT NULL, can_write INTEGER NOT NULL, PRIMARY KEY(coll, partner))"
    "  WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS object("
    "  date_added INTEGER PRIMARY KEY, coll INTEGER NOT NULL, id TEXT NOT NULL,"
    "  type TEXT NOT NULL, spec_version TEXT NOT NULL, created INTEGER NOT NULL,"
    "  modified INTEGER NOT NULL, modified_text TEXT, created_by_ref TEXT,"
    "  tlp INTEGER NOT NULL DEFAULT -1, restricted INTEGER NOT NULL DEFAULT 0,"
    "  json TEXT NOT NULL, superseded INTEGER NOT NULL DEFAULT 0,"
    "  preceded INTEGER NOT NULL DEFAULT 0, rel_mask INTEGER NOT NULL DEFAULT 0,"
    "  red_mask INTEGER NOT NULL DEFAULT 0);"
    "CREATE UNIQUE INDEX IF NOT EXISTS object_version ON object(coll, id, modified);"
    /* Pages walk a collection in date_added order; the policy and version columns in the
     * index let the walk reject rows a caller may not see without reading them. */
    "DROP INDEX IF EXISTS object_coll;"
    "CREATE INDEX IF NOT EXISTS object_page ON object(coll, date_added, tlp, restricted,"
    "  superseded, preceded, rel_mask, red_mask);"
    "CREATE INDEX IF NOT EXISTS object_marking ON object(id, type)"
    "  WHERE type = 'marking-definition';"
    "CREATE INDEX IF NOT EXISTS object_rfi ON object(id, type) WHERE type = 'liaison-rfi';"
    "CREATE VIRTUAL TABLE IF NOT EXISTS search USING fts5(body, tokenize='trigram',"
    "  detail='none');"
    "CREATE TABLE IF NOT EXISTS audience("
    "  obj INTEGER NOT NULL, kind INTEGER NOT NULL, partner INTEGER NOT NULL,"
    "  PRIMARY KEY(obj, kind, partner)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS status("
    "  id TEXT PRIMARY KEY, owner TEXT, created INTEGER NOT NULL, json TEXT NOT NULL)"
    "  WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS token("
    "  id TEXT PRIMARY KEY, hash BLOB NOT NULL, partner INTEGER NOT NULL DEFAULT 0,"
    "  admin INTEGER NOT NULL DEFAULT 0, read_only INTEGER NOT NULL DEFAULT 0,"
    "  created INTEGER NOT NULL, expires INTEGER NOT NULL DEFAULT 0,"
    "  revoked INTEGER NOT NULL DEFAULT 0, label TEXT) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS peer("
    "  rid INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, url TEXT NOT NULL, api_root TEXT,"
    "  partner INTEGER NOT NULL, token TEXT, client_cert TEXT, client_key TEXT, ca TEXT,"
    "  created INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS checkpoint("
    "  peer INTEGER NOT NULL, direction TEXT NOT NULL, remote_coll TEXT NOT NULL,"
    "  local_coll INTEGER NOT NULL, position TEXT, last_ok INTEGER, last_error TEXT,"
    "  updated INTEGER NOT NULL, objects INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(peer, direction, "
    "remote_coll, local_coll))"
    "  WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS provenance("
    "  obj INTEGER PRIMARY KEY, peer INTEGER, partner INTEGER, received INTEGER NOT NULL,"
    "  trust TEXT, via TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS watch("
    "  rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, owner INTEGER NOT NULL,"
    "  name TEXT NOT NULL, query TEXT NOT NULL, webhook TEXT, secret TEXT,"
    "  created INTEGER NOT NULL, UNIQUE(owner, name));"
    "CREATE TABLE IF NOT EXISTS watch_event("
    "  seq INTEGER PRIMARY KEY, watch INTEGER NOT NULL, obj_date_added INTEGER NOT NULL,"
    "  coll INTEGER NOT NULL, obj_id TEXT NOT NULL, obj_modified INTEGER NOT NULL,"
    "  summary TEXT NOT NULL, created INTEGER NOT NULL, hook_state INTEGER NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0, next_attempt INTEGER NOT NULL DEFAULT 0,"
    "  last_error TEXT, UNIQUE(watch, obj_date_added));"
    "CREATE INDEX IF NOT EXISTS watch_event_due ON watch_event(hook_state, next_attempt)"
    "  WHERE hook_state = 1;"
    "CREATE TABLE IF NOT EXISTS audit("
    "  seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, actor TEXT NOT NULL,"
    "  action TEXT NOT NULL, detail TEXT NOT NULL, prev BLOB NOT NULL, hash BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS auth_gen(k INTEGER PRIMARY KEY CHECK (k = 1),"
    "  gen INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO auth_gen(k, gen) VALUES(1, 0);"
    "CREATE TRIGGER IF NOT EXISTS auth_gen_token_i AFTER INSERT ON token"
    "  BEGIN UPDATE auth_gen SET gen = gen + 1 WHERE k = 1; END;"
    "CREATE TRIGGER IF NOT EXISTS auth_gen_token_u AFTER UPDATE ON token"
    "  BEGIN UPDATE auth_gen SET gen = gen + 1 WHERE k = 1; END;"
    "CREATE TRIGGER IF NOT EXISTS auth_gen_token_d AFTER DELETE ON token"
    "  BEGIN UPDATE auth_gen SET gen = gen + 1 WHERE k = 1; END;"
    "CREATE TRIGGER IF NOT EXISTS auth_gen_partner_i AFTER INSERT ON partner"
    "  BEGIN UPDATE auth_gen SET gen = gen + 1 WHERE k = 1; END;"
    "CREATE TRIGGER IF NOT EXISTS auth_gen_partner_u AFTER UPDATE ON partner"
    "  BEGIN UPDATE auth_gen SET gen = gen + 1 WHERE k = 1; END;"
    "CREATE TRIGGER IF NOT EXISTS auth_gen_partner_d AFTER DELETE ON partner"
    "  BEGIN UPDATE auth_gen SET gen = gen + 1 WHERE k = 1; END;"
    "CREATE TRIGGER IF NOT EXISTS auth_gen_collection_i AFTER INSERT ON collection"
    "  BEGIN UPDATE auth_gen SET gen = gen + 1 WHERE k = 1; END;"
    "CREATE TRIGGER IF NOT EXISTS auth_gen_collection_u AFTER UPDATE ON collection"
    "  BEGIN UPDATE auth_gen SET gen = gen + 1 WHERE k = 1; END;"
    "CREATE TRIGGER IF NOT EXISTS auth_gen_collection_d AFTER DELETE ON collection"
    "  BEGIN UPDATE auth_gen SET gen = gen + 1 WHERE k = 1; END;"
    "CREATE TRIGGER IF NOT EXISTS auth_gen_grant_right_i AFTER INSERT ON grant_right"
    "  BEGIN UPDATE auth_gen SET gen = gen + 1 WHERE k = 1; END;"
    "CREATE TRIGGER IF NOT EXISTS auth_gen_grant_right_u AFTER UPDATE ON grant_right"
    "  BEGIN UPDATE auth_gen SET gen = gen + 1 WHERE k = 1; END;"
    "CREATE TRIGGER IF NOT EXISTS auth_gen_grant_right_d AFTER DELETE ON grant_right"
    "  BEGIN UPDATE auth_gen SET gen = gen + 1 WHERE k = 1; END;";

int sqlite_fail(sqlite3 *db, int rc, struct lia_err *err, const char *what)
{
    int code = LIA_EIO;
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        code = LIA_EBUSY;
    else if (rc == SQLITE_FULL || (rc == SQLITE_IOERR && db && sqlite3_system_errno(db) == ENOSPC))
        code = LIA_ENOSPC; /* the disk (or file size limit) is full: api answers 507 */
    else if (rc == SQLITE_CONSTRAINT)
        code = LIA_ECONFLICT;
    else if (rc == SQLITE_NOMEM)
        code = LIA_ENOMEM;
    return lia_err_set(err, code, "store: %s: %s", what,
                       db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

/* The commit generation lives in a small file beside the database, mapped shared by every
 * liaison process that opens the store, so that a CLI command's commit is seen by the server
 * without a read transaction. Bumped from the WAL hook, which SQLite calls after the commit is
 * visible to new readers and its write lock released: a reader that sees the old generation
 * after that has read the old data under it, and will see the new one next time. */
static void gen_map(struct store *s)
{
    size_t n = strlen(s->path) + 5;
    char *name = malloc(n);
    if (!name)
        return;
    snprintf(name, n, "%s-gen", s->path);
    int fd = open(name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    free(name);
    if (fd < 0)
        return; /* no cache: store_generation says so */
    struct stat sb;
    void *m = MAP_FAILED;
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
        (sb.st_size >= (off_t)sizeof(uint64_t) || ftruncate(fd, sizeof(uint64_t)) == 0))
        m = mmap(NULL, sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (m != MAP_FAILED)
        s->gen = m;
}

void sqlite_gen_bump(struct store *s)
{
    if (s->gen)
        atomic_fetch_add_explicit(s->gen, 1, memory_order_acq_rel);
}

bool store_generation(struct store *s, uint64_t *gen)
{
    if (s->pg || !s->gen)
        return false;
    *gen = atomic_load_explicit(s->gen, memory_order_acquire);
    return true;
}

static int conn_open(struct store *s, bool create, sqlite3 **out, struct lia_err *err)
{
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(s->path, &db, flags, NULL);
    if (rc != SQLITE_OK) {
        lia_err_set(err, rc == SQLITE_CANTOPEN ? LIA_ENOTFOUND : LIA_EIO,
                    "store: cannot open %s: %s", s->path,
                    db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return err ? err->code : LIA_EIO;
    }
    sqlite3_busy_timeout(db, s->busy_timeout_ms);
    sqlite3_extended_result_codes(db, 0);
    /* journal_size_limit: the write-ahead log is cut back to this size whenever it restarts
     * after a checkpoint, so the file stays bounded (docs/architecture.md, "Storage"). */
    rc = sqlite3_exec(db,
                      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                      "PRAGMA foreign_keys=ON; PRAGMA cache_size=-8000;"
                      "PRAGMA temp_store=MEMORY; PRAGMA journal_size_limit=" SQLITE_WAL_LIMIT ";",
                      NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        sqlite_fail(db, rc, err, "configure connection");
        sqlite3_close(db);
        return err ? err->code : LIA_EIO;
    }
    sqlite3_wal_hook(db, sqlite_wal_hook, s); /* replaces SQLite's automatic checkpoint */
    *out = db;
    return 0;
}

static int schema_version(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int have = 0;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key='schema_version'", -1, &st,
                           NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            have = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    return have;
}

static int schema_apply(struct store *s, sqlite3 *db, bool create, struct lia_err *err)
{
    int have = schema_version(db);
    if (have == 0 && !create) /* a database, but not (or no longer) a liaison store */
        return lia_err_set(err, LIA_EIO,
                           "store: %s holds no liaison store (no schema version): damaged, or "
                           "not made by `liaison init`; nothing was changed. Run `liaison store "
                           "check` on it",
                           s->path);
    if (have > SCHEMA_VERSION)
        return lia_err_set(err, LIA_EUNSUPPORTED,
                           "store: %s has schema version %d; this liaison knows up to %d", s->path,
                           have, SCHEMA_VERSION);
    if (have == SCHEMA_VERSION)
        return 0;
    int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        have = schema_version(db); /* again under the lock: another process may have upgraded */
    if (rc == SQLITE_OK && have > 0 && have < 3) {
        /* 3: the object table gains superseded/preceded, computed for the rows it has. */
        char alter[2048];
        snprintf(alter, sizeof alter,
                 "ALTER TABLE object ADD COLUMN superseded INTEGER NOT NULL DEFAULT 0;"
                 "ALTER TABLE object ADD COLUMN preceded INTEGER NOT NULL DEFAULT 0;"
                 "ALTER TABLE object ADD COLUMN rel_mask INTEGER NOT NULL DEFAULT 0;"
                 "ALTER TABLE object ADD COLUMN red_mask INTEGER NOT NULL DEFAULT 0;"
                 "%s; %s;",
                 sqlite_reflag_sql, sqlite_remask_sql);
        rc = sqlite3_exec(db, alter, NULL, NULL, NULL);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, schema_sql, NULL, NULL, NULL);
    if (rc == SQLITE_OK) {
        char sql[128];
        snprintf(sql, sizeof sql,
                 "INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', '%d')",
                 SCHEMA_VERSION);
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        sqlite_fail(db, rc, err, "create schema");
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return err ? err->code : LIA_EIO;
    }
    return 0;
}

static void sqlite_global_setup(void)
{
    /* Memory statistics take a global mutex on every allocation, which every worker thread
     * then contends for; liaison reads none of them. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int store_open(const char *path, const struct store_options *opt, struct store **out,
               struct lia_err *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, sqlite_global_setup);
    if (sodium_init() < 0)
        return lia_err_set(err, LIA_EINTERNAL, "libsodium failed to initialise");
    if (pgstore_is_url(path))
        return pgstore_open(path, opt, out, err);
    if (!strncmp(path, "sqlite:", 7))
        path += 7;
    struct stat sb;
    if (!opt->create && stat(path, &sb) != 0)
        return lia_err_set(err, LIA_ENOTFOUND,
                           "store: %s does not exist (run `liaison init --data DIR` first)", path);
    /* SQLite takes an empty file for a new database: opened as usual, it would become a fresh,
     * empty instance (every token refused, an empty audit log verified "intact"). A store,
     * once made, is never empty, so an empty one is damage. */
    if (!opt->create && S_ISREG(sb.st_mode) && sb.st_size == 0)
        return lia_err_set(err, LIA_EIO,
                           "store: %s is empty (0 bytes): the store is damaged or was truncated; "
                           "nothing was changed. Restore it from a backup; `liaison store check` "
                           "tells what is wrong",
                           path);
    /* Made 0600 before SQLite opens it: the -wal and -shm files take the database's mode. */
    if (opt->create && stat(path, &sb) != 0) {
        int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0)
            close(fd);
    }
    struct store *s = calloc(1, sizeof *s);
    if (!s)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    s->path = strdup(path);
    s->pool_size = opt->pool_size > 0 ? opt->pool_size : 4;
    if (s->pool_size > SQLITE_POOL_MAX)
        s->pool_size = SQLITE_POOL_MAX;
    s->busy_timeout_ms = opt->busy_timeout_ms > 0 ? opt->busy_timeout_ms : 10000;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    if (!s->path) {
        store_close(s);
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    }
    sqlite3 *db = NULL;
    int rc = conn_open(s, opt->create, &db, err);
    if (rc == 0)
        gen_map(s); /* after the database exists: the file goes beside it */
    if (rc == 0)
        rc = schema_apply(s, db, opt->create, err);
    if (rc) {
        sqlite3_close(db);
        store_close(s);
        return rc;
    }
    s->conns[0].db = db;
    s->n_conns = 1;
    *out = s;
    return 0;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    if (s->pg) {
        pgstore_close(s);
        return;
    }
    sqlite_ckpt_stop(s);
    for (int i = 0; i < s->n_conns; i++) {
        struct sqlite_conn *c = &s->conns[i];
        for (int j = 0; j < SQLITE_STMT_COUNT; j++)
            sqlite3_finalize(c->stmts[j]);
        for (int j = 0; j < SQLITE_DYN_CACHE; j++) {
            sqlite3_finalize(c->dyn[j].st);
            free(c->dyn[j].sql);
        }
        sqlite_cache_free(c);
        sqlite3_close(c->db);
    }
    if (s->gen)
        munmap((void *)s->gen, sizeof(uint64_t));
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s->path);
    free(s);
}

/* The connection this thread used last: taken again without the pool's mutex when free. */
static _Thread_local struct store *tl_store;
static _Thread_local struct sqlite_conn *tl_conn;

static bool try_take(struct sqlite_conn *c)
{
    bool expected = false;
    return atomic_compare_exchange_strong(&c->busy, &expected, true);
}

/* A connection this thread holds for a whole read request (store_read_begin): every store
 * call of the thread uses it, in one read transaction, until store_read_end. */
static _Thread_local struct store *tl_held_store;
static _Thread_local struct sqlite_conn *tl_held;

static int acquire(struct store *s, struct sqlite_conn **out, struct lia_err *err);

int sqlite_acquire(struct store *s, struct sqlite_conn **out, struct lia_err *err)
{
    if (tl_held_store == s && tl_held) {
        *out = tl_held;
        return 0;
    }
    return acquire(s, out, err);
}

static int acquire(struct store *s, struct sqlite_conn **out, struct lia_err *err)
{
    if (tl_store == s && tl_conn && try_take(tl_conn)) {
        *out = tl_conn;
        return 0;
    }
    pthread_mutex_lock(&s->lock);
    /* Counted before scanning, so that a release racing with the scan either is seen by it
     * or sees this waiter and signals (both sides use sequentially consistent atomics). */
    atomic_fetch_add(&s->waiters, 1);
    for (;;) {
        for (int i = 0; i < s->n_conns; i++) {
            if (try_take(&s->conns[i])) {
                atomic_fetch_sub(&s->waiters, 1);
                pthread_mutex_unlock(&s->lock);
                tl_store = s;
                tl_conn = &s->conns[i];
                *out = &s->conns[i];
                return 0;
            }
        }
        if (s->n_conns < s->pool_size) {
            struct sqlite_conn *c = &s->conns[s->n_conns];
            sqlite3 *db = NULL;
            int rc = conn_open(s, false, &db, err);
            if (rc) {
                atomic_fetch_sub(&s->waiters, 1);
                pthread_mutex_unlock(&s->lock);
                return rc;
            }
            memset(c, 0, sizeof *c);
            c->db = db;
            atomic_store(&c->busy, true);
            s->n_conns++;
            atomic_fetch_sub(&s->waiters, 1);
            pthread_mutex_unlock(&s->lock);
            tl_store = s;
            tl_conn = c;
            *out = c;
            return 0;
        }
        pthread_cond_wait(&s->cond, &s->lock);
    }
}

void sqlite_release(struct store *s, struct sqlite_conn *c)
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

int sqlite_stmt_sql(struct sqlite_conn *c, const char *sql, size_t len, sqlite3_stmt **out,
                    struct lia_err *err)
{
    struct sqlite_dyn *victim = &c->dyn[0];
    c->dyn_clock++;
    for (int i = 0; i < SQLITE_DYN_CACHE; i++) {
        struct sqlite_dyn *d = &c->dyn[i];
        if (d->sql && d->len == len && memcmp(d->sql, sql, len) == 0) {
            d->used = c->dyn_clock;
            sqlite3_reset(d->st);
            sqlite3_clear_bindings(d->st);
            *out = d->st;
            return 0;
        }
        if (d->used < victim->used)
            victim = d;
    }
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(c->db, sql, (int)len, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK)
        return sqlite_fail(c->db, rc, err, "prepare query");
    char *copy = malloc(len);
    if (!copy) {
        sqlite3_finalize(st);
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    }
    memcpy(copy, sql, len);
    sqlite3_finalize(victim->st);
    free(victim->sql);
    victim->sql = copy;
    victim->len = len;
    victim->st = st;
    victim->used = c->dyn_clock;
    *out = st;
    return 0;
}

int sqlite_stmt(struct sqlite_conn *c, enum sqlite_stmt_id id, const char *sql, sqlite3_stmt **out,
                struct lia_err *err)
{
    if (!c->stmts[id]) {
        int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->stmts[id], NULL);
        if (rc != SQLITE_OK)
            return sqlite_fail(c->db, rc, err, "prepare");
    }
    sqlite3_reset(c->stmts[id]);
    sqlite3_clear_bindings(c->stmts[id]);
    *out = c->stmts[id];
    return 0;
}

/* Runs a statement without parameters, prepared once per connection (BEGIN, COMMIT: their
 * parsing showed in small requests). Returns the SQLite result code. */
static int exec_cached(struct sqlite_conn *c, enum sqlite_stmt_id id, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite_stmt(c, id, sql, &st, NULL))
        return sqlite3_exec(c->db, sql, NULL, NULL, NULL);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int store_read_begin(struct store *s, struct lia_err *err)
{
    if (s->pg)
        return pgstore_read_begin(s, err);
    if (tl_held_store == s && tl_held)
        return 0;
    struct sqlite_conn *c;
    int rc = acquire(s, &c, err);
    if (rc)
        return rc;
    rc = exec_cached(c, STMT_READ_BEGIN, "BEGIN");
    if (rc != SQLITE_OK) {
        rc = sqlite_fail(c->db, rc, err, "begin read");
        atomic_store(&c->busy, false);
        return rc;
    }
    tl_held_store = s;
    tl_held = c;
    sqlite_cache_begin(c);
    return 0;
}

void store_read_end(struct store *s)
{
    if (s->pg) {
        pgstore_read_end(s);
        return;
    }
    if (tl_held_store != s || !tl_held)
        return;
    struct sqlite_conn *c = tl_held;
    tl_held = NULL;
    tl_held_store = NULL;
    exec_cached(c, STMT_READ_END, "COMMIT");
    sqlite_cache_end(c);
    sqlite_release(s, c);
}

int store_begin(struct store *s, struct store_txn **out, struct lia_err *err)
{
    if (s->pg)
        return pgstore_begin(s, out, err);
    struct store_txn *t = calloc(1, sizeof *t);
    if (!t)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    /* Never the connection held for reading: a write needs its own transaction. */
    int rc = acquire(s, &t->conn, err);
    if (rc) {
        free(t);
        return rc;
    }
    t->store = s;
    rc = exec_cached(t->conn, STMT_WRITE_BEGIN, "BEGIN IMMEDIATE");
    t->changes0 = sqlite3_total_changes64(t->conn->db);
    if (rc != SQLITE_OK) {
        rc = sqlite_fail(t->conn->db, rc, err, "begin");
        sqlite_release(s, t->conn);
        free(t);
        return rc;
    }
    /* date_added continues after the newest version, whoever wrote it. */
    sqlite3_stmt *st = NULL;
    rc = sqlite_stmt(t->conn, STMT_LAST_ADDED, "SELECT max(date_added) FROM object", &st, err);
    if (rc == 0) {
        if (sqlite3_step(st) == SQLITE_ROW)
            t->last_added = sqlite3_column_int64(st, 0);
        /* Reset at once: a statement left mid-row keeps an old read snapshot open after
         * COMMIT, and the next BEGIN IMMEDIATE on this connection would fail as busy. */
        sqlite3_reset(st);
    }
    if (rc) {
        store_rollback(t);
        return rc;
    }
    *out = t;
    return 0;
}

/* Set by store_commit around a COMMIT that changes nothing a cached answer can show. */
static _Thread_local bool tl_quiet_commit;

bool sqlite_commit_quiet(void)
{
    return tl_quiet_commit;
}

int store_commit(struct store_txn *t, struct lia_err *err)
{
    if (t->pg)
        return pgstore_commit(t, err);
    /* A transaction that did nothing but append audit entries (a partner's disclosure record)
     * changes no answer the response cache keeps (no HTTP endpoint reads the audit log), so
     * its commit leaves the generation alone: partners' reads no longer empty everyone's
     * caches. Counted, not assumed: any other row changed, by a statement or a trigger,
     * makes the connection's change count exceed the audit entries, and the commit bumps. */
    tl_quiet_commit =
        t->audit_rows > 0 && sqlite3_total_changes64(t->conn->db) - t->changes0 == t->audit_rows;
    int rc = exec_cached(t->conn, STMT_WRITE_COMMIT, "COMMIT");
    tl_quiet_commit = false;
    if (rc != SQLITE_OK) {
        rc = sqlite_fail(t->conn->db, rc, err, "commit");
        sqlite3_exec(t->conn->db, "ROLLBACK", NULL, NULL, NULL);
    }
    sqlite_release(t->store, t->conn);
    free(t);
    return rc;
}

void store_rollback(struct store_txn *t)
{
    if (t && t->pg) {
        pgstore_rollback(t);
        return;
    }
    if (!t)
        return;
    sqlite3_exec(t->conn->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite_release(t->store, t->conn);
    free(t);
}

int64_t sqlite_next_added(struct store_txn *t)
{
    int64_t now = lia_now_us();
    t->last_added = now > t->last_added ? now : t->last_added + 1;
    return t->last_added;
}

char *sqlite_column_dup(sqlite3_stmt *st, int col, struct arena *a)
{
    const unsigned char *v = sqlite3_column_text(st, col);
    if (!v)
        return NULL;
    return arena_strndup(a, (const char *)v, (size_t)sqlite3_column_bytes(st, col));
}

int sqlite_collect(sqlite3_stmt *st, struct arena *a, size_t size,
                   int (*row)(sqlite3_stmt *st, struct arena *a, void *dst, void *ctx), void *ctx,
                   void **out, size_t *n)
{
    size_t cap = 0;
    char *rows = NULL;
    int step;
    *n = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            size_t ncap = cap ? 2 * cap : 16;
            char *bigger = arena_alloc(a, ncap * size);
            if (!bigger)
                return SQLITE_NOMEM;
            if (cap)
                memcpy(bigger, rows, cap * size);
            rows = bigger;
            cap = ncap;
        }
        if (row(st, a, rows + *n * size, ctx))
            return SQLITE_NOMEM;
        (*n)++;
    }
    *out = rows;
    return step;
}

int sqlite_list(struct store *s, const char *sql, const int64_t *binds, size_t nb, struct arena *a,
                size_t size, int (*row)(sqlite3_stmt *st, struct arena *a, void *dst, void *ctx),
                void *ctx, void **out, size_t *n, const char *what, struct lia_err *err)
{
    *out = NULL;
    *n = 0;
    struct sqlite_conn *c;
    int rc = sqlite_acquire(s, &c, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL;
    /* From the connection's statement cache: lists such as the watch matcher's run often. */
    int src = sqlite_stmt_sql(c, sql, strlen(sql), &st, NULL) ? SQLITE_ERROR : SQLITE_OK;
    for (size_t i = 0; i < nb && src == SQLITE_OK; i++)
        src = sqlite3_bind_int64(st, (int)i + 1, binds[i]);
    if (src == SQLITE_OK)
        src = sqlite_collect(st, a, size, row, ctx, out, n);
    if (st)
        sqlite3_reset(st); /* cached: reset, never finalize */
    if (src != SQLITE_DONE)
        rc = sqlite_fail(c->db, src, err, what);
    sqlite_release(s, c);
    return rc;
}

int store_meta_get(struct store *s, const char *key, struct arena *a, char **value,
                   struct lia_err *err)
{
    if (s->pg)
        return pgstore_meta_get(s, key, a, value, err);
    struct sqlite_conn *c;
    int rc = sqlite_acquire(s, &c, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = sqlite_stmt(c, STMT_META_GET, "SELECT value FROM meta WHERE key=?", &st, err);
    if (rc == 0) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            *value = sqlite_column_dup(st, 0, a);
            rc = *value ? 0 : lia_err_set(err, LIA_ENOMEM, "out of memory");
        } else if (step == SQLITE_DONE) {
            rc = lia_err_set(err, LIA_ENOTFOUND, "store: no setting %s", key);
        } else {
            rc = sqlite_fail(c->db, step, err, "read setting");
        }
        sqlite3_reset(st);
    }
    sqlite_release(s, c);
    return rc;
}

int store_meta_set(struct store *s, const char *key, const char *value, struct lia_err *err)
{
    if (s->pg)
        return pgstore_meta_set(s, key, value, err);
    struct sqlite_conn *c;
    int rc = sqlite_acquire(s, &c, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = sqlite_stmt(c, STMT_META_SET, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", &st,
                     err);
    if (rc == 0) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        if (step != SQLITE_DONE)
            rc = sqlite_fail(c->db, step, err, "write setting");
        sqlite3_reset(st);
    }
    sqlite_release(s, c);
    return rc;
}

int store_txn_meta_set(struct store_txn *t, const char *key, const char *value, struct lia_err *err)
{
    if (t->pg)
        return pgstore_txn_meta_set(t, key, value, err);
    sqlite3_stmt *st = NULL;
    int rc = sqlite_stmt(t->conn, STMT_META_SET,
                         "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", &st, err);
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    sqlite3_reset(st);
    return step == SQLITE_DONE ? 0 : sqlite_fail(t->conn->db, step, err, "write setting");
}

int store_path_for_dir(const char *dir, char *out, size_t outlen)
{
    int n = snprintf(out, outlen, "%s/liaison.db", dir);
    return n < 0 || (size_t)n >= outlen ? LIA_EINVAL : 0;
}
