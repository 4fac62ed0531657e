/*
 * Private to src/store/pg/: the PostgreSQL backend's own state, shared by its files.
 *
 * Invariants:
 *  - store.location holds the URL as given, password included: it is passed to libpq and
 *    to nothing else. Messages use store.redacted.
 *  - Every write runs in a transaction that holds the transaction advisory lock
 *    PG_LOCK_WRITE from its first statement: writers on every node serialise, like SQLite's
 *    BEGIN IMMEDIATE, and date_added and the audit chain are assigned under it.
 */
#ifndef LIAISON_STORE_PG_H
#define LIAISON_STORE_PG_H

#include <libpq-fe.h>

#include "store/store_int.h"

/* Advisory lock keys (first int4 of the two-key form): writes, migrations, named locks. */
#define PG_LOCK_CLASS 0x6c696169 /* "liai" */
#define PG_LOCK_WRITE 1
#define PG_LOCK_MIGRATE 2
#define PG_CHANNEL "liaison_gen" /* commits are announced on it (listen.c) */

struct pg_listen;
struct pg_store {
    atomic_bool stats_seen;      /* the object table has planner statistics (pg.c) */
    atomic_llong objects_put;    /* new object versions this process committed, until then */
    _Atomic uint64_t gen;        /* the commit generation as this process knows it (listen.c) */
    char node[17];               /* random: this handle's commits name it in their NOTIFY */
    char notify[48], commit[64]; /* "NOTIFY liaison_gen, '<node>'", and "; COMMIT" after it */
    _Atomic(struct pg_listen *) listen;
    atomic_bool listen_started;
    pthread_mutex_t listen_lock;
};

struct pg_conn {
    PGconn *db;
    int64_t changes; /* rows changed by statements on this session */
    bool prepared[STORE_SQ_MAX + 1];
    unsigned dyn_used; /* slots of generated text prepared as d0, d1... (sql.c's cache) */
};

#define PS(s) ((struct pg_store *)(s)->bs)
#define PDB(c) (((struct pg_conn *)(c)->be)->db)

/* Fills err from a failed result (or the connection) and returns the mapped code: a lost
 * connection is LIA_EBUSY ("try again"), a unique violation LIA_ECONFLICT. */
int pg_fail(struct store *s, PGconn *db, PGresult *res, const char *what, struct lia_err *err);
/* Opens a session with liaison's settings (application_name names its use). */
PGconn *pg_connect(struct store *s, const char *application, struct lia_err *err);
/* SQLite's dialect to PostgreSQL's: ?N and ? to $N, COLLATE BINARY to COLLATE "C", no
 * INDEXED BY. */
int pg_rewrite(const char *sql, size_t len, struct dbuf *out);

int pg_put_many(struct store_txn *t, int64_t coll, const struct store_object *o, size_t n,
                const unsigned char *rel, struct store_put *out, struct lia_err *err);
bool pg_generation(struct store *s, uint64_t *gen);
void pg_listen_stop(struct store *s);

#endif
