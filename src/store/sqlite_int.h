/*
 * Private to src/store/: the SQLite backend's types. Nothing outside this
 * folder includes it.
 */
#ifndef LIAISON_STORE_SQLITE_INT_H
#define LIAISON_STORE_SQLITE_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>

#include "store/store.h"

#define SQLITE_POOL_MAX 64

/* Statements prepared once per connection and reused. */
enum sqlite_stmt_id {
    STMT_LAST_ADDED,
    STMT_META_GET,
    STMT_META_SET,
    STMT_PUT_OBJECT,
    STMT_FIND_VERSION,
    STMT_PUT_AUDIENCE,
    STMT_STATUS_PUT,
    STMT_STATUS_GET,
    STMT_TOKEN_GET,
    STMT_AUDIT_LAST,
    STMT_AUDIT_INSERT,
    STMT_PARTNER_RID,
    STMT_CREATOR,
    STMT_MARKING,
    STMT_RFI,
    STMT_COLLECTION_ACCESS,
    STMT_COLLECTION_GET,
    STMT_PUT_SEARCH,
    STMT_READ_BEGIN,
    STMT_READ_END,
    STMT_AUTH_GEN,
    STMT_MARK_VERSIONS,
    STMT_OWN_FLAGS,
    STMT_WRITE_BEGIN,
    STMT_WRITE_COMMIT,
    SQLITE_STMT_COUNT
};

#define SQLITE_DYN_CACHE 16

/* A prepared statement of generated SQL (object queries), kept for reuse. */
struct sqlite_dyn {
    char *sql;
    size_t len;
    sqlite3_stmt *st;
    uint64_t used; /* for least-recently-used eviction */
};

struct sqlite_cache;

struct sqlite_conn {
    sqlite3 *db;
    atomic_bool busy;
    bool in_read;               /* inside a read transaction held for a request */
    struct sqlite_cache *cache; /* sqlite_cache.c */
    sqlite3_stmt *stmts[SQLITE_STMT_COUNT];
    struct sqlite_dyn dyn[SQLITE_DYN_CACHE];
    uint64_t dyn_clock;
};

struct pgstore;
struct pg_conn;

/* PRAGMA journal_size_limit of every connection, bytes (docs/architecture.md). */
#define SQLITE_WAL_LIMIT "8388608"

struct store {
    struct pgstore *pg; /* the PostgreSQL backend (pg_int.h); NULL for SQLite */
    char *path;
    int pool_size;
    int busy_timeout_ms;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    atomic_int waiters;
    int n_conns;
    struct sqlite_conn conns[SQLITE_POOL_MAX];
    _Atomic(struct sqlite_ckpt *) ckpt; /* background checkpoints (sqlite_checkpoint.c) */
    _Atomic uint64_t *gen;              /* the commit generation, in the shared file <path>-gen */
};

struct store_txn {
    struct store *store;
    struct pg_conn *pg; /* PostgreSQL: the transaction's connection; NULL for SQLite */
    struct sqlite_conn *conn;
    int64_t last_added;
    int64_t changes0;    /* sqlite3_total_changes64 at BEGIN */
    int64_t audit_rows;  /* rows of the audit log (entries, head) this transaction wrote */
    int64_t objects_put; /* PostgreSQL: new object versions this transaction stored */
};

/* Shared by both backends. audience rows name partners by kind; object.restricted bits. */
enum { AUDIENCE_REL = 1, AUDIENCE_RED = 2 };
enum { RESTRICTED_REL = 1 };

/* Appends to q the SQL that tells whether policy p is named in the audience of `kind` of row
 * o (binding what it needs through ctx). */
typedef int (*store_audience_fn)(struct dbuf *q, void *ctx, const struct store_policy *p,
                                 const char *o, int kind);
/* Appends " AND <visibility of row o for policy p>" (policy.c; nothing when p sees all), for a
 * collection whose default TLP is default_tlp. */
int store_policy_sql(struct dbuf *q, const struct store_policy *p, int default_tlp, const char *o,
                     store_audience_fn audience, void *ctx);

/* Called after every commit on a connection (its WAL hook): moves the commit generation,
 * unless the commit only appended audit entries (store_commit says so for its thread). */
void sqlite_gen_bump(struct store *s);
bool sqlite_commit_quiet(void);

int sqlite_acquire(struct store *s, struct sqlite_conn **out, struct lia_err *err);
void sqlite_release(struct store *s, struct sqlite_conn *c);
/* Returns the cached statement id, preparing sql on first use; reset and unbound. */
int sqlite_stmt(struct sqlite_conn *c, enum sqlite_stmt_id id, const char *sql, sqlite3_stmt **out,
                struct lia_err *err);
/* Returns a cached statement for generated SQL text, preparing it on a miss; reset and
 * unbound. The connection owns it: never finalize it. */
int sqlite_stmt_sql(struct sqlite_conn *c, const char *sql, size_t len, sqlite3_stmt **out,
                    struct lia_err *err);
/* Fills err from the connection's last error and returns the mapped code. */
int sqlite_fail(sqlite3 *db, int rc, struct lia_err *err, const char *what);
/* The next date_added inside a write transaction: strictly increasing, near now. */
int64_t sqlite_next_added(struct store_txn *t);
char *sqlite_column_dup(sqlite3_stmt *st, int col, struct arena *a);
/* Runs sql with the integer parameters binds[0..nb) on a pooled connection and collects
 * its rows with sqlite_collect; err says "<what>: ..." on failure. */
int sqlite_list(struct store *s, const char *sql, const int64_t *binds, size_t nb, struct arena *a,
                size_t size, int (*row)(sqlite3_stmt *st, struct arena *a, void *dst, void *ctx),
                void *ctx, void **out, size_t *n, const char *what, struct lia_err *err);
/* Steps st to its end, filling an arena array of size-byte rows with row(st, a, dst, ctx);
 * *out and *n get the array. Returns SQLITE_DONE, SQLITE_NOMEM, or the failing step's code. */
int sqlite_collect(sqlite3_stmt *st, struct arena *a, size_t size,
                   int (*row)(sqlite3_stmt *st, struct arena *a, void *dst, void *ctx), void *ctx,
                   void **out, size_t *n);

/* Every connection's WAL hook (sqlite_checkpoint.c; arg is the store): the commit generation,
 * then the checkpoint, on the background thread when there is one. Stopping that thread:
 * store_close. */
struct sqlite_ckpt;
int sqlite_wal_hook(void *arg, sqlite3 *db, const char *name, int frames);
void sqlite_ckpt_stop(struct store *s);

/* "UPDATE object SET superseded = ..., preceded = ..." from the versions present; append a
 * WHERE clause to limit it. */
extern const char *const sqlite_reflag_sql;
/* "UPDATE object SET rel_mask = ..., red_mask = ..." from the audience rows. */
extern const char *const sqlite_remask_sql;
/* Partners 1..63 have a bit in object.rel_mask / red_mask (bit rid - 1); others are found in
 * the audience table only. */
#define SQLITE_MASK_MAX_PARTNER 63

/* The per-connection cache of authentication rows (sqlite_cache.c): used only inside a
 * read transaction held for a request, after checking auth_gen in that transaction. */
enum sqlite_cache_kind { CACHE_TOKEN = 1, CACHE_PARTNER, CACHE_COLLECTION, CACHE_ACCESS };
void sqlite_cache_begin(struct sqlite_conn *c);
void sqlite_cache_end(struct sqlite_conn *c);
void sqlite_cache_free(struct sqlite_conn *c);
/* On a hit copies the size-byte row into out, duplicating its strings (the char pointers at
 * offsets strs) into a, and returns true. */
bool sqlite_cache_get(struct sqlite_conn *c, int kind, int64_t k1, int64_t k2, const char *key,
                      void *out, size_t size, const size_t *strs, size_t n_strs, struct arena *a);
void sqlite_cache_put(struct sqlite_conn *c, int kind, int64_t k1, int64_t k2, const char *key,
                      const void *row, size_t size, const size_t *strs, size_t n_strs);

#endif
