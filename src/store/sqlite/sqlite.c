/*
 * The embedded SQLite backend of the store: what only SQLite does.
 *
 * On disk: one database file in WAL mode with synchronous=FULL, so that a commit that
 * returned has reached the disk (invariant 3) while readers never wait for the writer.
 * Writers serialise on SQLite's own lock (BEGIN IMMEDIATE, with a busy timeout), which also
 * keeps date_added strictly increasing: it is read and assigned under that lock.
 *
 * Each connection keeps its prepared statements: those of fixed text by id, those of
 * generated text (object queries) in a small cache by text, least recently used out.
 *
 * The commit generation lives in a small file beside the database, mapped shared by every
 * liaison process that opens the store, so that a CLI command's commit is seen by the server
 * without a read transaction; it is moved by the WAL hook (checkpoint.c).
 */
#include "store/sqlite/sqlite.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct sqlite_conn {
    sqlite3 *db;
    sqlite3_stmt *st[STORE_SQ_MAX + 1]; /* by statement id */
    sqlite3_stmt *dyn[STORE_DYN];       /* by slot of the connection's cache (sql.c) */
};

#define SS(s) ((struct sqlite_store *)(s)->bs)
#define DB(c) (((struct sqlite_conn *)(c)->be)->db)

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

static void global_setup(void)
{
    /* Memory statistics take a global mutex on every allocation, which every worker thread
     * then contends for; liaison reads none of them. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static int sl_open(struct store *s, const struct store_options *o, struct lia_err *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, global_setup);
    struct stat sb;
    if (!o->create && stat(s->location, &sb) != 0)
        return lia_err_set(err, LIA_ENOTFOUND,
                           "store: %s does not exist (run `liaison init --data DIR` first)",
                           s->location);
    /* SQLite takes an empty file for a new database: opened as usual, it would become a
     * fresh, empty instance (every token refused, an empty audit log verified "intact"). A
     * store, once made, is never empty, so an empty one is damage. */
    if (!o->create && S_ISREG(sb.st_mode) && sb.st_size == 0)
        return lia_err_set(err, LIA_EIO,
                           "store: %s is empty (0 bytes): the store is damaged or was truncated; "
                           "nothing was changed. Restore it from a backup; `liaison store check` "
                           "tells what is wrong",
                           s->location);
    /* Made 0600 before SQLite opens it: the -wal and -shm files take the database's mode. */
    if (o->create && stat(s->location, &sb) != 0) {
        int fd = open(s->location, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0)
            close(fd);
    }
    if (!(s->bs = calloc(1, sizeof(struct sqlite_store))))
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    SS(s)->create = o->create;
    return 0;
}

static void sl_close(struct store *s)
{
    sqlite_ckpt_stop(s);
    if (SS(s)->gen)
        munmap((void *)SS(s)->gen, sizeof(uint64_t));
    free(s->bs);
    s->bs = NULL;
}

/* Maps <path>-gen, once the database exists; without it there is no generation. */
static void gen_map(struct store *s)
{
    size_t n = strlen(s->location) + 5;
    char *name = malloc(n);
    if (!name)
        return;
    snprintf(name, n, "%s-gen", s->location);
    int fd = open(name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    free(name);
    if (fd < 0)
        return;
    struct stat sb;
    void *m = MAP_FAILED;
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
        (sb.st_size >= (off_t)sizeof(uint64_t) || ftruncate(fd, sizeof(uint64_t)) == 0))
        m = mmap(NULL, sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    _Atomic uint64_t *none = NULL;
    if (m != MAP_FAILED &&
        !atomic_compare_exchange_strong((_Atomic(_Atomic uint64_t *) *)&SS(s)->gen, &none, m))
        munmap(m, sizeof(uint64_t));
}

void sqlite_gen_bump(struct store *s)
{
    if (SS(s)->gen)
        atomic_fetch_add_explicit(SS(s)->gen, 1, memory_order_acq_rel);
}

static bool sl_generation(struct store *s, uint64_t *gen)
{
    if (!SS(s)->gen)
        return false;
    *gen = atomic_load_explicit(SS(s)->gen, memory_order_acquire);
    return true;
}

static int sl_connect(struct store *s, struct store_conn *c, struct lia_err *err)
{
    if (c->be)
        return 0;
    struct sqlite_conn *k = calloc(1, sizeof *k);
    if (!k)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    int flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (SS(s)->create ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(s->location, &k->db, flags, NULL);
    if (rc != SQLITE_OK) {
        lia_err_set(err, rc == SQLITE_CANTOPEN ? LIA_ENOTFOUND : LIA_EIO,
                    "store: cannot open %s: %s", s->location,
                    k->db ? sqlite3_errmsg(k->db) : sqlite3_errstr(rc));
    } else {
        sqlite3_busy_timeout(k->db, s->timeout_ms);
        sqlite3_extended_result_codes(k->db, 0);
        /* journal_size_limit: the write-ahead log is cut back to this size whenever it
         * restarts after a checkpoint, so the file stays bounded (docs/architecture.md).
         * secure_delete: deleted content is overwritten, not left in free pages (a deletion
         * at review must remove it from the file: docs/people.md). */
        rc = sqlite3_exec(k->db,
                          "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                          "PRAGMA foreign_keys=ON; PRAGMA cache_size=-8000;"
                          "PRAGMA temp_store=MEMORY; PRAGMA secure_delete=ON;"
                          "PRAGMA journal_size_limit=" SQLITE_WAL_LIMIT ";",
                          NULL, NULL, NULL);
        if (rc != SQLITE_OK)
            sqlite_fail(k->db, rc, err, "configure connection");
    }
    if (rc != SQLITE_OK) {
        sqlite3_close(k->db);
        free(k);
        return err ? err->code : LIA_EIO;
    }
    sqlite3_wal_hook(k->db, sqlite_wal_hook, s); /* replaces SQLite's automatic checkpoint */
    c->be = k;
    if (!SS(s)->gen)
        gen_map(s); /* the database exists now: the file goes beside it */
    return 0;
}

static void sl_disconnect(struct store_conn *c)
{
    struct sqlite_conn *k = c->be;
    for (int i = 0; i <= STORE_SQ_MAX; i++)
        sqlite3_finalize(k->st[i]);
    for (int i = 0; i < STORE_DYN; i++)
        sqlite3_finalize(k->dyn[i]);
    sqlite3_close(k->db);
    free(k);
    c->be = NULL;
}

static int sl_exec(struct store_cur *cur, struct sq *q, const char *sql, size_t len,
                   const struct store_val *v, int n, bool stream, const char *what,
                   struct lia_err *err)
{
    (void)stream;
    struct sqlite_conn *k = cur->conn->be;
    bool hit = q && k->st[q->id];
    int slot = q ? 0 : store_dyn_slot(cur->conn, sql, len, &hit);
    sqlite3_stmt **st = q ? &k->st[q->id] : &k->dyn[slot];
    int rc = SQLITE_OK;
    if (!hit) {
        sqlite3_finalize(*st);
        *st = NULL;
        rc = sqlite3_prepare_v3(k->db, sql, (int)len, SQLITE_PREPARE_PERSISTENT, st, NULL);
        if (rc == SQLITE_OK && !q)
            store_dyn_keep(cur->conn, slot, sql, len);
    }
    if (rc != SQLITE_OK)
        return sqlite_fail(k->db, rc, err, what);
    sqlite3_clear_bindings(*st);
    for (int i = 0; i < n && rc == SQLITE_OK; i++) {
        if (v[i].null)
            continue;
        if (v[i].kind == SV_INT)
            rc = sqlite3_bind_int64(*st, i + 1, v[i].i);
        else if (v[i].kind == SV_TEXT)
            rc = sqlite3_bind_text(*st, i + 1, v[i].p, (int)v[i].n, SQLITE_STATIC);
        else
            rc = sqlite3_bind_blob(*st, i + 1, v[i].p, (int)v[i].n, SQLITE_STATIC);
    }
    if (rc != SQLITE_OK) {
        sqlite3_reset(*st);
        return sqlite_fail(k->db, rc, err, what);
    }
    cur->h = *st;
    cur->what = what;
    return 0;
}

static int sl_step(struct store_cur *cur, struct lia_err *err)
{
    sqlite3 *db = DB(cur->conn);
    int rc = sqlite3_step(cur->h);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE) {
        cur->changes = sqlite3_changes64(db);
        return 0;
    }
    rc = sqlite_fail(db, rc, err, cur->what);
    /* Reset at once: a statement left mid-row keeps an old read snapshot open. */
    sqlite3_reset(cur->h);
    return rc;
}

static void sl_end(struct store_cur *cur)
{
    sqlite3_reset(cur->h);
}

static int64_t sl_col_int(struct store_cur *cur, int col)
{
    return sqlite3_column_int64(cur->h, col);
}

static const char *sl_col_text(struct store_cur *cur, int col, size_t *len)
{
    const char *t = (const char *)sqlite3_column_text(cur->h, col);
    *len = t ? (size_t)sqlite3_column_bytes(cur->h, col) : 0;
    return t;
}

static const void *sl_col_blob(struct store_cur *cur, int col, size_t *len, struct arena *a)
{
    (void)a;
    *len = 0;
    if (sqlite3_column_type(cur->h, col) == SQLITE_NULL)
        return NULL;
    const void *p = sqlite3_column_blob(cur->h, col);
    *len = (size_t)sqlite3_column_bytes(cur->h, col);
    return p ? p : "";
}

static int sl_script(struct store_conn *c, const char *sql, struct lia_err *err)
{
    int rc = sqlite3_exec(DB(c), sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : sqlite_fail(DB(c), rc, err, "schema");
}

/* Runs a statement of fixed text (BEGIN, COMMIT: their parsing showed in small requests). */
static int run(struct store_conn *c, struct sq *q, struct lia_err *err)
{
    struct store_cur cur;
    int rc = store_exec(c, q, SV_NONE, &cur, q->sql, err);
    while (rc == 0 && (rc = store_step(&cur, err)) == 1)
        rc = 0;
    store_end(&cur);
    return rc;
}

static struct sq q_begin = SQ("BEGIN"), q_commit = SQ("COMMIT"), q_rollback = SQ("ROLLBACK"),
                 q_begin_write = SQ("BEGIN IMMEDIATE");

static int sl_read_begin(struct store_conn *c, struct lia_err *err)
{
    return run(c, &q_begin, err);
}

static void sl_read_end(struct store_conn *c)
{
    run(c, &q_commit, NULL);
}

static int sl_begin(struct store_txn *t, bool schema, struct lia_err *err)
{
    static struct sq last = SQ("SELECT max(date_added) FROM object");
    int rc = run(t->conn, &q_begin_write, err);
    if (rc || schema)
        return rc;
    /* date_added continues after the newest version, whoever wrote it. */
    rc = store_one(t->conn, &last, SV_NONE, store_row_int, NULL, &t->last_added, "", "begin", err);
    if (rc)
        run(t->conn, &q_rollback, NULL);
    return rc;
}

/* Set by commit around a COMMIT that changes nothing a cached answer can show. */
static _Thread_local bool tl_quiet_commit;

bool sqlite_commit_quiet(void)
{
    return tl_quiet_commit;
}

static int sl_commit(struct store_txn *t, bool quiet, struct lia_err *err)
{
    tl_quiet_commit = quiet;
    int rc = run(t->conn, &q_commit, err);
    tl_quiet_commit = false;
    if (rc)
        run(t->conn, &q_rollback, NULL);
    return rc;
}

static void sl_rollback(struct store_txn *t)
{
    run(t->conn, &q_rollback, NULL);
}

static int64_t sl_changes(struct store_conn *c)
{
    return sqlite3_total_changes64(DB(c));
}

/* A lock on one machine: an flock on a file beside the database. */
static int sl_lock(struct store_lock *l, const char *name, struct lia_err *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s-%s.lock", l->store->location, name);
    l->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (l->fd < 0)
        return lia_err_set(err, LIA_EIO, "store: cannot open %s: %s", path, strerror(errno));
    if (flock(l->fd, LOCK_EX | LOCK_NB) == 0)
        return 0;
    int rc = lia_err_set(err, errno == EWOULDBLOCK ? LIA_EBUSY : LIA_EIO,
                         "store: lock %s is held elsewhere", name);
    close(l->fd);
    return rc;
}

static void sl_unlock(struct store_lock *l)
{
    close(l->fd); /* drops the flock */
}

/*
 * store_check (check.c): the file exists and is not empty (SQLite would take an empty file for
 * a new database), then PRAGMA integrity_check (full: every page of every B-tree, every index
 * against its table, free list, constraints) or PRAGMA quick_check (the same without the index
 * cross-checks: about twice as fast), then the liaison schema version. The file is opened read
 * only, so the check also runs beside a serving server (it reads one snapshot).
 */
static int sl_check(const char *path, bool full, struct store_checker *k, struct lia_err *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return lia_err_set(err, LIA_ENOTFOUND,
                           "store: %s does not exist (run `liaison init --data DIR` first)", path);
    k->out->method = full ? "PRAGMA integrity_check" : "PRAGMA quick_check";
    if (S_ISREG(sb.st_mode) && sb.st_size == 0) {
        store_check_problem(k, "the database file is empty (0 bytes): truncated, or never written");
        return 0;
    }
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        rc = lia_err_set(err, LIA_EIO, "store: cannot open %s: %s", path,
                         db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return rc;
    }
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(db, full ? "PRAGMA integrity_check(1000)" : "PRAGMA quick_check(1000)",
                            -1, &st, NULL);
    int step = rc == SQLITE_OK ? sqlite3_step(st) : rc;
    for (; step == SQLITE_ROW; step = sqlite3_step(st)) {
        const char *msg = (const char *)sqlite3_column_text(st, 0);
        if (msg && strcmp(msg, "ok") != 0)
            store_check_problem(k, msg);
    }
    if (step != SQLITE_DONE) { /* not even the check could read it: damage too */
        char msg[600];
        snprintf(msg, sizeof msg, "the database cannot be read: %s", sqlite3_errmsg(db));
        store_check_problem(k, msg);
    }
    sqlite3_finalize(st);
    st = NULL;
    if (!k->out->problems &&
        sqlite3_prepare_v2(db, store_meta_get_sql.sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_bind_text(st, 1, "schema_version", -1, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_step(st) != SQLITE_ROW)
        store_check_problem(
            k, "no liaison schema version: not a liaison store, or its metadata is gone");
    else if (!st && !k->out->problems)
        store_check_problem(k, "no liaison metadata table: not a liaison store");
    sqlite3_finalize(st);
    sqlite3_close(db);
    return 0;
}

/* VACUUM INTO reads one snapshot (a read transaction: writers go on, in WAL) and writes it
 * compacted into path, which must not exist or be empty. */
static int sl_snapshot(struct store *s, const char *path, struct lia_err *err)
{
    struct store_conn *c;
    int rc = store_acquire(s, &c, err);
    if (rc)
        return rc;
    static struct sq vacuum_into = SQ("VACUUM INTO ?");
    rc = store_do(c, &vacuum_into, SV(sv_text(path)), NULL, "backup", err);
    store_release(s, c);
    return rc;
}

const struct store_backend store_sqlite = {
    .name = "sqlite",
    .auth_cache = true,
    /* auth_gen is raised by triggers on every change to tokens, partners, collections and
     * grants, so that a connection may cache those rows (cache.c). */
    .schema_extra = "CREATE TABLE IF NOT EXISTS auth_gen(k INTEGER PRIMARY KEY CHECK (k = 1),"
                    " gen INTEGER NOT NULL);"
                    "INSERT OR IGNORE INTO auth_gen(k, gen) VALUES(1, 0);"
#define AUTH_GEN(t, op, w)                                                                         \
    "CREATE TRIGGER IF NOT EXISTS auth_gen_" t "_" op " AFTER " w " ON " t                         \
    " BEGIN UPDATE auth_gen SET gen = gen + 1 WHERE k = 1; END;"
#define AUTH_GEN3(t)                                                                               \
    AUTH_GEN(t, "i", "INSERT") AUTH_GEN(t, "u", "UPDATE") AUTH_GEN(t, "d", "DELETE")
    AUTH_GEN3("token") AUTH_GEN3("partner") AUTH_GEN3("collection") AUTH_GEN3("grant_right")
        AUTH_GEN3("sharing_group") AUTH_GEN3("group_member") AUTH_GEN3("group_grant"),
    /* Substring search over the normalised text: LIKE on the trigram index. */
    /* The LIKE (no ESCAPE) is what the trigram index answers; instr keeps it literal. Looking
     * up given versions, each one's row is checked; otherwise the search table is read first,
     * in rowid (date_added) order, and each match looked up (bench/RESULTS.md, "Search"). */
    .search_match = " AND EXISTS(SELECT 1 FROM search x WHERE x.rowid = o.date_added AND"
                    " x.body LIKE ? AND instr(lower(x.body), lower(?)) > 0)",
    .search_from = " FROM search s CROSS JOIN object o ON o.date_added = s.rowid",
    .search_joined = " AND s.rowid > ? AND s.body LIKE ? AND instr(lower(s.body), lower(?)) > 0",
    .text_contains = " AND instr(o.json, ?) > 0",
    .open = sl_open,
    .close = sl_close,
    .connect = sl_connect,
    .disconnect = sl_disconnect,
    .exec = sl_exec,
    .step = sl_step,
    .end = sl_end,
    .col_int = sl_col_int,
    .col_text = sl_col_text,
    .col_blob = sl_col_blob,
    .script = sl_script,
    .read_begin = sl_read_begin,
    .read_end = sl_read_end,
    .begin = sl_begin,
    .commit = sl_commit,
    .rollback = sl_rollback,
    .changes = sl_changes,
    .generation = sl_generation,
    .background = sqlite_checkpoints,
    .lock = sl_lock,
    .unlock = sl_unlock,
    .snapshot = sl_snapshot,
    .check = sl_check,
};
