/*
 * Private to src/store/: the PostgreSQL backend (pg*.c). Nothing outside
 * this folder includes it. The SQLite files reach it through one field of
 * struct store / struct store_txn (sqlite_int.h) and a one-line dispatch at
 * the top of each public function: `if (s->pg) return pgstore_...`.
 *
 * Invariants:
 *  - conninfo holds the URL as given, password included: it is passed to
 *    libpq and to nothing else. Messages use `redacted` (no password).
 *  - A pooled connection is used by one thread at a time (busy); a broken
 *    one is reset the next time it is taken, so a database that comes back
 *    is used again without restarting liaison.
 *  - Every object write runs in a transaction that holds the transaction
 *    advisory lock PG_LOCK_WRITE from its first statement: writers on every
 *    node serialise, like SQLite's BEGIN IMMEDIATE, and date_added and the
 *    audit chain are assigned under it.
 */
#ifndef LIAISON_STORE_PG_INT_H
#define LIAISON_STORE_PG_INT_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>

#include "store/sqlite_int.h"

#define PG_POOL_MAX 64
#define PG_SCHEMA_VERSION 3
/* Advisory lock keys (first int4 of the two-key form): writes, migrations, named locks. */
#define PG_LOCK_CLASS 0x6c696169 /* "liai" */
#define PG_LOCK_WRITE 1
#define PG_LOCK_MIGRATE 2

/* Statements prepared once per connection (named "l<id>") and reused. */
enum pg_stmt_id {
    PGS_PUT_OBJECT,
    PGS_FIND_VERSION,
    PGS_PUT_AUDIENCE,
    PGS_META_GET,
    PGS_META_SET,
    PGS_AUDIT_LAST,
    PGS_AUDIT_INSERT,
    PGS_STATUS_PUT,
    PGS_STATUS_GET,
    PGS_TOKEN_GET,
    PGS_PARTNER_RID,
    PGS_CREATOR,
    PGS_MARKING,
    PGS_RFI,
    PGS_COLLECTION_ACCESS,
    PGS_COLLECTION_GET,
    PGS_COUNT
};

struct pg_conn {
    PGconn *db;
    atomic_bool busy;
    bool prepared[PGS_COUNT];
    unsigned copy_prepared; /* store_copy_write statements, one bit per table */
};

struct pgstore {
    char *conninfo; /* secret: libpq only */
    char *redacted; /* for messages and logs */
    int pool_size;
    int lock_timeout_ms;
    atomic_bool stats_seen;   /* the object table has planner statistics (pgstore_commit) */
    atomic_llong objects_put; /* new object versions this process committed, until then */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int n_conns;
    struct pg_conn conns[PG_POOL_MAX];
};

/* Parameters of one statement, as text (or binary for bytea). */
#define PG_MAX_PARAMS 1200
struct pg_params {
    int n;
    const char *v[PG_MAX_PARAMS];
    int len[PG_MAX_PARAMS];
    int fmt[PG_MAX_PARAMS];
    char num[PG_MAX_PARAMS][24];
};

bool pgstore_is_url(const char *path);
/* Opens the PostgreSQL store at url; with opt->create or opt->migrate applies migrations,
 * else refuses a schema version other than PG_SCHEMA_VERSION. */
int pgstore_open(const char *url, const struct store_options *opt, struct store **out,
                 struct lia_err *err);
void pgstore_close(struct store *s);

int pg_acquire(struct store *s, struct pg_conn **out, struct lia_err *err);
void pg_release(struct store *s, struct pg_conn *c);

void pg_param_reset(struct pg_params *p);
int pg_param_int(struct pg_params *p, int64_t v);
int pg_param_text(struct pg_params *p, const char *v); /* NULL: SQL NULL */
int pg_param_bytes(struct pg_params *p, const void *v, size_t n);

/* Runs sql (or the prepared statement id when id >= 0). *res gets a tuples or command
 * result the caller PQclears; on failure err is filled (connection loss: LIA_EBUSY,
 * unique violation: LIA_ECONFLICT) and *res is NULL. */
int pg_exec(struct store *s, struct pg_conn *c, int id, const char *sql, const struct pg_params *p,
            PGresult **res, const char *what, struct lia_err *err);
/* The same for a statement whose result is not needed. */
int pg_run(struct store *s, struct pg_conn *c, int id, const char *sql, const struct pg_params *p,
           const char *what, struct lia_err *err);
/* Fills err from a failed result (or the connection) and returns the mapped code. */
int pg_fail(struct store *s, struct pg_conn *c, PGresult *res, const char *what,
            struct lia_err *err);

int64_t pg_int(const PGresult *r, int row, int col);
char *pg_text(const PGresult *r, int row, int col, struct arena *a); /* NULL for SQL NULL */
/* Decodes a bytea column in hex text form into out (exactly n bytes, else zeroes). */
void pg_bytes(const PGresult *r, int row, int col, unsigned char *out, size_t n);

/* The public functions' twins, same contracts as store.h. */
int pgstore_read_begin(struct store *s, struct lia_err *err);
void pgstore_read_end(struct store *s);
int pgstore_begin(struct store *s, struct store_txn **t, struct lia_err *err);
int pgstore_commit(struct store_txn *t, struct lia_err *err);
void pgstore_rollback(struct store_txn *t);
int pgstore_meta_get(struct store *s, const char *key, struct arena *a, char **value,
                     struct lia_err *err);
int pgstore_meta_set(struct store *s, const char *key, const char *value, struct lia_err *err);
int pgstore_txn_meta_set(struct store_txn *t, const char *key, const char *value,
                         struct lia_err *err);
int pgstore_txn_meta_get(struct store_txn *t, const char *key, struct arena *a, char **value,
                         struct lia_err *err);

int pgstore_collection_add(struct store *s, const char *title, const char *description,
                           const char *alias, int default_tlp, struct arena *a,
                           struct store_collection *out, struct lia_err *err);
int pgstore_collection_list(struct store *s, const struct store_policy *p, struct arena *a,
                            struct store_collection **out, size_t *n, struct lia_err *err);
int pgstore_collection_get(struct store *s, const struct store_policy *p, const char *id_or_alias,
                           struct arena *a, struct store_collection *out, struct lia_err *err);

int pgstore_put_object(struct store_txn *t, int64_t coll, const struct store_object *o, int *result,
                       int64_t *date_added, struct lia_err *err);
int pgstore_query_objects(struct store *s, const struct store_policy *p, int64_t coll,
                          const struct store_filter *f, bool with_json, struct arena *a,
                          struct store_page *out, struct lia_err *err);
int pgstore_delete_object(struct store_txn *t, const struct store_policy *p, int64_t coll,
                          const char *id, const struct store_filter *f, struct arena *a,
                          struct store_row **gone, size_t *deleted, struct lia_err *err);
int pgstore_versions_by_key(struct store *s, const int64_t *keys, size_t n, struct arena *a,
                            struct store_keyed *out, struct lia_err *err);
int pgstore_object_creator(struct store_txn *t, int64_t coll, const char *id, struct arena *a,
                           const char **creator, struct lia_err *err);
int pgstore_object_text(struct store_txn *t, const char *id, const char *type, struct arena *a,
                        const char **json, struct lia_err *err);

int pgstore_status_put(struct store_txn *t, const char *id, const char *owner, const char *json,
                       struct lia_err *err);
int pgstore_status_get(struct store *s, const char *id, const char *owner, struct arena *a,
                       char **json, struct lia_err *err);

int pgstore_partner_add(struct store *s, const struct store_partner *p, int64_t *rid,
                        struct lia_err *err);
int pgstore_partner_get(struct store *s, int64_t rid, const char *field, const char *key,
                        struct arena *a, struct store_partner *out, struct lia_err *err);
int pgstore_partner_list(struct store *s, struct arena *a, struct store_partner **out, size_t *n,
                         struct lia_err *err);
int pgstore_partner_update(struct store *s, int64_t rid, const char *field, const char *value,
                           struct lia_err *err);
int pgstore_partner_rids(struct store_txn *t, const char *const *identities, size_t n,
                         int64_t *rids, size_t *n_rids, struct lia_err *err);
int pgstore_grant_set(struct store *s, int64_t coll, int64_t partner, bool read, bool write,
                      struct lia_err *err);

int pgstore_token_put(struct store *s, const struct store_token *tok, struct lia_err *err);
int pgstore_token_get(struct store *s, const char *id, struct arena *a, struct store_token *out,
                      struct lia_err *err);
int pgstore_token_list(struct store *s, struct arena *a, struct store_token **out, size_t *n,
                       struct lia_err *err);
int pgstore_token_revoke(struct store *s, const char *id, struct lia_err *err);

int pgstore_audit_last(struct store_txn *t, int64_t *seq, unsigned char hash[32],
                       struct lia_err *err);
int pgstore_audit_insert(struct store_txn *t, const struct store_audit_entry *e, const char *head,
                         struct lia_err *err);
int pgstore_audit_scan(struct store *s, int64_t after,
                       int (*fn)(const struct store_audit_entry *e, void *ctx), void *ctx,
                       struct lia_err *err);

int pgstore_peer_add(struct store *s, const struct store_peer *p, int64_t *rid,
                     struct lia_err *err);
int pgstore_peer_get(struct store *s, int64_t rid, const char *key, struct arena *a,
                     struct store_peer *out, struct lia_err *err);
int pgstore_peer_list(struct store *s, struct arena *a, struct store_peer **out, size_t *n,
                      struct lia_err *err);
int pgstore_peer_remove(struct store *s, int64_t rid, struct lia_err *err);
int pgstore_checkpoint_put(struct store_txn *t, const struct store_checkpoint *c,
                           struct lia_err *err);
int pgstore_checkpoint_get(struct store *s, int64_t peer, const char *direction,
                           const char *remote_coll, int64_t local_coll, struct arena *a,
                           struct store_checkpoint *out, struct lia_err *err);
int pgstore_checkpoint_list(struct store *s, int64_t peer, struct arena *a,
                            struct store_checkpoint **out, size_t *n, struct lia_err *err);
int pgstore_provenance_put(struct store_txn *t, const int64_t *date_added, size_t n, int64_t peer,
                           int64_t partner, int64_t received, const char *trust, const char *via,
                           struct lia_err *err);

/* Watches (pg_watch.c). */
int pgstore_watch_add(struct store *s, const struct store_watch *w, size_t max, int64_t *rid,
                      struct lia_err *err);
int pgstore_watch_list(struct store *s, int64_t owner, struct arena *a, struct store_watch **out,
                       size_t *n, struct lia_err *err);
int pgstore_watch_get(struct store *s, int64_t owner, const char *id, struct arena *a,
                      struct store_watch *out, struct lia_err *err);
int pgstore_watch_remove(struct store *s, int64_t owner, const char *id, struct lia_err *err);
int pgstore_watch_versions(struct store *s, int64_t after, size_t limit, struct arena *a,
                           struct store_watch_version **out, size_t *n, struct lia_err *err);
int pgstore_watch_event_put(struct store_txn *t, const struct store_watch_event *e, bool *inserted,
                            struct lia_err *err);
int pgstore_watch_events(struct store *s, int64_t owner, int64_t after, size_t limit,
                         struct arena *a, struct store_watch_event **out, size_t *n,
                         struct lia_err *err);
int pgstore_watch_event_last(struct store *s, int64_t owner, int64_t *seq, struct lia_err *err);
int pgstore_watch_events_due(struct store *s, int64_t now, size_t limit, struct arena *a,
                             struct store_watch_event **out, size_t *n, struct lia_err *err);
int pgstore_watch_event_update(struct store *s, int64_t seq, int hook_state, int attempts,
                               int64_t next_attempt, const char *last_error, struct lia_err *err);

/* pg_exec on a pooled connection taken and given back around it. */
int pg_exec_once(struct store *s, int id, const char *sql, const struct pg_params *p,
                 PGresult **res, const char *what, struct lia_err *err);
/* Every row of r through fn into an arena array of size-byte elements (*out, *n). */
int pg_collect(PGresult *r, struct arena *a, size_t size, void **out, size_t *n,
               int (*fn)(const PGresult *r, int i, struct arena *a, void *dst),
               struct lia_err *err);

#endif
