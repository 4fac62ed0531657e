/*
 * Private to src/store/: the SQLite backend's types. Nothing outside this
 * folder includes it.
 */
#ifndef LIAISON_STORE_SQLITE_INT_H
#define LIAISON_STORE_SQLITE_INT_H

#include <pthread.h>
#include <sqlite3.h>

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
    SQLITE_STMT_COUNT
};

struct sqlite_conn {
    sqlite3 *db;
    bool busy;
    sqlite3_stmt *stmts[SQLITE_STMT_COUNT];
};

struct store {
    char *path;
    int pool_size;
    int busy_timeout_ms;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int n_conns;
    struct sqlite_conn conns[SQLITE_POOL_MAX];
};

struct store_txn {
    struct store *store;
    struct sqlite_conn *conn;
    int64_t last_added;
};

int sqlite_acquire(struct store *s, struct sqlite_conn **out, struct lia_err *err);
void sqlite_release(struct store *s, struct sqlite_conn *c);
/* Returns the cached statement id, preparing sql on first use; reset and unbound. */
int sqlite_stmt(struct sqlite_conn *c, enum sqlite_stmt_id id, const char *sql,
                sqlite3_stmt **out, struct lia_err *err);
/* Fills err from the connection's last error and returns the mapped code. */
int sqlite_fail(sqlite3 *db, int rc, struct lia_err *err, const char *what);
/* The next date_added inside a write transaction: strictly increasing, near now. */
int64_t sqlite_next_added(struct store_txn *t);
char *sqlite_column_dup(sqlite3_stmt *st, int col, struct arena *a);

#endif
