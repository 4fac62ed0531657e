/*
 * Private to src/store/: the store's own types, the statement layer every query goes
 * through, and the small interface its two backends implement (sqlite/, pg/), as curl's
 * lib/vtls/vtls_int.h is to its TLS backends. Nothing outside src/store/ includes it.
 *
 * Written once, above the backends: the schema (schema.c), every statement (in SQLite's
 * dialect with ? placeholders, which pg/ rewrites), the row decoders, the policy compiler
 * (policy.c) and copying (copy.c). A backend supplies what truly differs: connections,
 * running a statement and reading its rows, transactions and their lock, the commit
 * generation, and what it alone has (SQLite: WAL checkpoints; PostgreSQL: one statement for
 * a batch of objects, LISTEN/NOTIFY).
 *
 * Invariants:
 *  - A pooled connection is used by one thread at a time (busy); a thread holding a read
 *    transaction (store_read_begin) gets that connection for every read until it ends.
 *  - Writers of this process queue on write_lock before the backend's own lock (SQLite's
 *    BEGIN IMMEDIATE, PostgreSQL's advisory lock), so none of them sleeps in a busy loop.
 *  - date_added is assigned under the backend's write lock, after reading the newest one.
 */
#ifndef LIAISON_STORE_INT_H
#define LIAISON_STORE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include "store/store.h"

#define STORE_POOL_MAX 64
#define STORE_SQ_MAX 96 /* statements of fixed text, each prepared once per connection */

/* A value bound to a statement. Text is bound with its length (need not be NUL-terminated);
 * a NULL keeps its type (PostgreSQL must know it). */
enum { SV_INT, SV_TEXT, SV_BLOB };
struct store_val {
    int kind;
    bool null;
    int64_t i;
    const void *p;
    size_t n;
    unsigned pgtype; /* bytes in PostgreSQL's binary form of this type (pg/ only), or 0 */
};
#define sv_int(x) ((struct store_val){.kind = SV_INT, .i = (int64_t)(x)})
#define sv_null_int() ((struct store_val){.kind = SV_INT, .null = true})
static inline struct store_val sv_textn(const char *s, size_t n)
{
    return (struct store_val){.kind = SV_TEXT, .null = !s, .p = s, .n = n};
}
static inline struct store_val sv_text(const char *s)
{
    return sv_textn(s, s ? strlen(s) : 0);
}
#define sv_blob(b, len) ((struct store_val){.kind = SV_BLOB, .p = (b), .n = (len)})
/* An argument list written in place: SV(sv_int(x), sv_text(y)) -> array, count. */
#define SV(...)                                                                                    \
    (const struct store_val[]){__VA_ARGS__},                                                       \
        (int)(sizeof((const struct store_val[]){__VA_ARGS__}) / sizeof(struct store_val))
#define SV_NONE NULL, 0

/* Values of a generated statement, growing in an arena. */
struct store_args {
    int n, cap;
    struct store_val *v;
    struct store_val inl[24];
    struct arena *a;
};
void store_args_init(struct store_args *b, struct arena *a);
int store_args_add(struct store_args *b, struct store_val v); /* LIA_ETOOBIG past 30,000 */

/* A statement of fixed text, written once; its id (given on first use) names it in each
 * connection's cache of prepared statements. */
struct sq {
    const char *sql;
    _Atomic int id;
};
#define SQ(text)                                                                                   \
    {                                                                                              \
        .sql = (text)                                                                              \
    }

struct store_cache;
#define STORE_DYN 16 /* statements of generated text kept prepared per connection */
struct store_conn {
    atomic_bool busy;
    bool in_read;     /* inside a read transaction held for a request */
    uint64_t read_no; /* read transactions held so far (cache.c) */
    struct store *store;
    struct store_cache *cache; /* cache.c */
    void *be;                  /* the backend's connection; NULL until first used */
    struct {
        char *key; /* the text (and anything else that tells two apart) */
        size_t len;
        uint64_t used;
    } dyn[STORE_DYN];
    uint64_t clock;
};

struct store_memo;
struct store {
    const struct store_backend *be;
    void *bs;         /* the backend's state */
    char *location;   /* SQLite: the file; PostgreSQL: the URL, password and all: libpq only */
    char *redacted;   /* for messages */
    int schema_found; /* the schema version the store had when opened */
    int pool_size, timeout_ms;
    /* One object version in digest_sample read with its text is checked against its digest
     * (0: none); digest_tick counts them (objects.c, store_set_digest_sample). */
    atomic_uint digest_sample, digest_tick;
    pthread_mutex_t lock, write_lock;
    pthread_cond_t cond;
    atomic_int waiters;
    atomic_int writers; /* write transactions under way or waiting for write_lock */
    int n_conns;
    struct store_conn conns[STORE_POOL_MAX];
};

struct store_txn {
    struct store *store;
    struct store_conn *conn;
    int64_t last_added;
    int64_t changes0;        /* the connection's change count at BEGIN */
    int64_t audit_rows;      /* rows of the audit log (entries, head) this transaction wrote */
    int64_t objects_put;     /* new object versions */
    struct store_memo *memo; /* look-ups repeated within the transaction (objects.c) */
};

/* The rows of one statement being read. */
struct store_cur {
    struct store_conn *conn;
    void *h;          /* sqlite3_stmt * or PGresult * */
    int row, rows;    /* PostgreSQL: the row read and the rows in h */
    int flags;        /* the backend's */
    int64_t changes;  /* once the statement ended: rows it changed */
    const char *what; /* for messages */
};

struct store_lock {
    struct store *store;
    struct store_conn *conn; /* PostgreSQL: the session holding the advisory lock */
    int fd;                  /* SQLite: the flock'ed file */
    char key[64];
};

/* What store_check reports to (check.c). */
struct store_checker {
    void (*each)(void *ctx, const char *problem);
    void *ctx;
    struct store_check_report *out;
};
void store_check_problem(struct store_checker *k, const char *what);
/* Whether a query of f (not one version by id, not a list of ids) reads the search index
 * first (store_backend.search_from). */
bool store_search_joined(const struct store *s, const struct store_filter *f);
/* " FROM object o", or the backend's search_from when store_search_joined. */
const char *store_from_sql(const struct store *s, const struct store_filter *f);

/* location names a PostgreSQL database (a postgres:// or postgresql:// URL). */
bool store_is_pg(const char *location);

struct store_backend {
    const char *name;
    bool auth_cache;          /* auth_gen and its triggers: the connection cache (cache.c) */
    const char *schema_extra; /* DDL after the tables */
    /* " AND <o's search text matches the LIKE pattern ? (policy.c, like_pattern) and holds
     * the text ? itself>" */
    const char *search_match;
    /* NULL, or a search read from the search index's side (SQLite: FTS5 gives its matches in
     * rowid = date_added order, so a page stops after its rows): search_from replaces
     * " FROM object o", search_joined (" AND <s.rowid > ?, then as search_match on s>") the
     * search_match, and the page is ordered by s.rowid (store_search_joined). */
    const char *search_from, *search_joined;
    const char *text_contains; /* " AND <o's stored JSON text contains the text ?>" */
    int (*open)(struct store *s, const struct store_options *o, struct lia_err *err);
    void (*close)(struct store *s);
    /* Opens c->be, or replaces a broken one. */
    int (*connect)(struct store *s, struct store_conn *c, struct lia_err *err);
    void (*disconnect)(struct store_conn *c);
    /* Runs q (or, q NULL, the text sql) with v[0..n); stream: rows may be many (PostgreSQL
     * reads them one at a time). Then step gives 1 per row, 0 at the end; end always. */
    int (*exec)(struct store_cur *cur, struct sq *q, const char *sql, size_t len,
                const struct store_val *v, int n, bool stream, const char *what,
                struct lia_err *err);
    int (*step)(struct store_cur *cur, struct lia_err *err);
    void (*end)(struct store_cur *cur);
    int64_t (*col_int)(struct store_cur *cur, int col);
    const char *(*col_text)(struct store_cur *cur, int col, size_t *len); /* NULL: SQL NULL */
    const void *(*col_blob)(struct store_cur *cur, int col, size_t *len, struct arena *a);
    int (*script)(struct store_conn *c, const char *sql, struct lia_err *err);
    int (*read_begin)(struct store_conn *c, struct lia_err *err);
    void (*read_end)(struct store_conn *c);
    /* Begins t->conn's write transaction under the write lock (schema: the migration lock)
     * and sets t->last_added. */
    int (*begin)(struct store_txn *t, bool schema, struct lia_err *err);
    int (*commit)(struct store_txn *t, bool quiet, struct lia_err *err);
    void (*rollback)(struct store_txn *t);
    int64_t (*changes)(struct store_conn *c); /* rows changed on c so far */
    /* Stores o[0..n) (date_added already in out[i].date_added) with their audience, search,
     * flow and place rows in a few statements; NULL: one at a time (objects.c). rel[i]:
     * PUT_FIRST, PUT_LATER, PUT_EARLIER. */
    int (*put_many)(struct store_txn *t, int64_t coll, const struct store_object *o, size_t n,
                    const unsigned char *rel, struct store_put *out, struct lia_err *err);
    bool (*generation)(struct store *s, uint64_t *gen);
    int (*background)(struct store *s, struct lia_err *err);
    int (*lock)(struct store_lock *l, const char *name, struct lia_err *err);
    void (*unlock)(struct store_lock *l);
    int (*after_copy)(struct store_txn *t, struct lia_err *err); /* may be NULL */
    /* A consistent copy of the whole store, as of one moment, into the new file path, while
     * others write (SQLite: VACUUM INTO); NULL: the backend has its own tools (pg_dump). */
    int (*snapshot)(struct store *s, const char *path, struct lia_err *err);
    /* store_check of the store at location, which it opens itself (read only). */
    int (*check)(const char *location, bool full, struct store_checker *k, struct lia_err *err);
};
extern const struct store_backend store_sqlite, store_pg;

/* Connections (sql.c). */
int store_acquire(struct store *s, struct store_conn **out, struct lia_err *err);
void store_release(struct store *s, struct store_conn *c);

/* The slot of c's cache of prepared statements for generated text that holds key (*hit), or
 * the least recently used one, emptied, for the backend to prepare key's statement into and
 * then keep it there (store_dyn_keep). */
int store_dyn_slot(struct store_conn *c, const char *key, size_t len, bool *hit);
void store_dyn_keep(struct store_conn *c, int slot, const char *key, size_t len);
void store_dyn_forget(struct store_conn *c);

/* Statements (sql.c). A statement that fails fills err "store: <what>: <reason>". */
int store_exec(struct store_conn *c, struct sq *q, const struct store_val *v, int n,
               struct store_cur *cur, const char *what, struct lia_err *err);
int store_exec_text(struct store_conn *c, const char *sql, size_t len, const struct store_args *b,
                    bool stream, struct store_cur *cur, const char *what, struct lia_err *err);
int store_step(struct store_cur *cur, struct lia_err *err);
void store_end(struct store_cur *cur);
int64_t store_col_int(struct store_cur *cur, int col);
char *store_col_dup(struct store_cur *cur, int col, struct arena *a); /* NULL for SQL NULL */
/* The column's text, valid until the next step (NULL for SQL NULL). */
const char *store_col_text(struct store_cur *cur, int col, size_t *len);
char *store_col_dupn(struct store_cur *cur, int col, struct arena *a, size_t *len);
void store_col_bytes(struct store_cur *cur, int col, unsigned char *out, size_t n);

/* Row decoders: fill dst from the cursor's row; non-zero when out of memory. */
typedef int (*store_row_fn)(struct store_cur *cur, struct arena *a, void *dst);
/* Most are a table: column i goes to the member at f[i].off, of kind i (int64_t), n (int),
 * b (bool), t (text, in a; NULL for SQL NULL) or h (32 bytes). */
struct store_field {
    unsigned short off;
    char kind;
};
#define FIELD(type, member, kind)                                                                  \
    {                                                                                              \
        (unsigned short)offsetof(type, member), kind                                               \
    }
#define N_FIELDS(f) (sizeof(f) / sizeof((f)[0]))
int store_decode(struct store_cur *cur, struct arena *a, void *dst, const struct store_field *f,
                 size_t n);
/* The row decoder fn of the field table f. */
#define STORE_ROW_FN(fn, f)                                                                        \
    static int fn(struct store_cur *cur, struct arena *a, void *dst)                               \
    {                                                                                              \
        return store_decode(cur, a, dst, f, N_FIELDS(f));                                          \
    }
/* Column 0 as text into *(char **)dst (NULL for SQL NULL). */
int store_row_str(struct store_cur *cur, struct arena *a, void *dst);
/* Column 0 as an integer into *(int64_t *)dst. */
int store_row_int(struct store_cur *cur, struct arena *a, void *dst);
/* Runs q on c and gives its first row to fn (into dst); LIA_ENOTFOUND (err: notfound) when
 * there is none. */
int store_one(struct store_conn *c, struct sq *q, const struct store_val *v, int n, store_row_fn fn,
              struct arena *a, void *dst, const char *notfound, const char *what,
              struct lia_err *err);
/* The same on a pooled connection (or the thread's read transaction). */
int store_get(struct store *s, struct sq *q, const struct store_val *v, int n, store_row_fn fn,
              struct arena *a, void *dst, const char *notfound, const char *what,
              struct lia_err *err);
/* Every row through fn into an arena array of size-byte elements. */
int store_list(struct store *s, struct sq *q, const struct store_val *v, int n, size_t size,
               store_row_fn fn, struct arena *a, void **out, size_t *n_out, const char *what,
               struct lia_err *err);
/* The same for generated text, on c. */
int store_list_text(struct store_conn *c, const char *sql, size_t len, const struct store_args *b,
                    size_t size, store_row_fn fn, struct arena *a, void **out, size_t *n_out,
                    const char *what, struct lia_err *err);
/* Runs a statement that returns no rows; *changes (may be NULL) gets the rows changed. */
int store_do(struct store_conn *c, struct sq *q, const struct store_val *v, int n, int64_t *changes,
             const char *what, struct lia_err *err);
/* store_do on a pooled connection. */
int store_run(struct store *s, struct sq *q, const struct store_val *v, int n, int64_t *changes,
              const char *what, struct lia_err *err);

/* The next date_added inside a write transaction: strictly increasing, near now. */
int64_t store_next_added(struct store_txn *t);

/* What objects.c worked out about o[i] of a batch: it is the first version of its id in the
 * collection; another version of its id later / earlier comes in the same batch. */
enum { PUT_FIRST = 1, PUT_LATER = 2, PUT_EARLIER = 4 };

/* Reads the collection's default TLP and whether policy p may read (or write) it
 * (LIA_ENOTFOUND when not: "no such collection"). */
int store_collection_access(struct store *s, struct store_conn *c, const struct store_policy *p,
                            int64_t coll, bool need_write, int *default_tlp, struct lia_err *err);
/* The flow and place rows of o, stored as row added of coll (flows.c). */
/* Migration 28: the flow and place rows of the versions stored before the flow tables
 * (flow_rows.c). */
int store_fill_flow_rows(struct store_txn *t, struct lia_err *err);
int store_put_flow_rows(struct store_txn *t, int64_t coll, const struct store_object *o,
                        int64_t added, struct lia_err *err);

/* meta's value of key ?1; meta's key ?1 set to ?2 (admin.c). */
extern struct sq store_meta_get_sql, store_meta_set_sql;

/* The schema (schema.c): creates it on c, or migrates it (under the backend's migration lock)
 * when o allows, else refuses a store that is not at the latest version. */
int store_schema_apply(struct store *s, struct store_conn *c, const struct store_options *o,
                       struct lia_err *err);
/* The first numbered migration: stores of versions below it were made before numbering. */
#define STORE_SCHEMA_BASELINE 5

/* A table as the descriptor has it: copy.c and pg/ walk them. */
struct store_table {
    const char *name;
    const char *cols;   /* "name kind [constraints], ...": kinds i, n (integer), I (row id),
                           t, b (bytes) */
    const char *key;    /* copy order; PRIMARY KEY when constraint is NULL */
    const char *extra;  /* table constraints, or NULL */
    unsigned flags;     /* STORE_TABLE_* */
    const char *sqlite; /* SQLite's own DDL for it, or NULL */
};
enum { STORE_TABLE_NOROWID = 1, STORE_TABLE_NOCOPY = 2 };
const struct store_table *store_tables(size_t *n);
/* The columns of t that store copy moves, their kinds ("i", "t", "b" each), into cols/kinds. */
int store_table_columns(const struct store_table *t, char *cols, size_t clen, char *kinds,
                        size_t klen);
/* superseded: a later version of the object exists; preceded: an earlier one does. */
#define STORE_VERSION_FLAG(name, cmp)                                                              \
    " " name " = CASE WHEN EXISTS(SELECT 1 FROM object n WHERE n.coll = object.coll"               \
    " AND n.id = object.id AND n.modified " cmp " object.modified) THEN 1 ELSE 0 END"
#define STORE_VERSION_FLAGS                                                                        \
    STORE_VERSION_FLAG("superseded", ">") "," STORE_VERSION_FLAG("preceded", "<")
/* The column of kind I (a row id), or NULL. */
const char *store_table_identity(const struct store_table *t);
/* Recompute the version flags and audience masks from the rows (after copy, upgrade). */
extern struct sq store_reflag_sql, store_remask_sql;

/* The per-connection cache of authentication rows (cache.c): used only inside a read
 * transaction held for a request, after checking auth_gen in that transaction. */
enum store_cache_kind { CACHE_TOKEN = 1, CACHE_PARTNER, CACHE_COLLECTION, CACHE_ACCESS };
void store_cache_free(struct store_conn *c);
/* A row is size bytes; its text members are those of kind t in f[0..nf). */
bool store_cache_get(struct store *s, struct store_conn *c, int kind, int64_t k1, int64_t k2,
                     const char *key, void *out, size_t size, const struct store_field *f,
                     size_t nf, struct arena *a);
void store_cache_put(struct store *s, struct store_conn *c, int kind, int64_t k1, int64_t k2,
                     const char *key, const void *row, size_t size, const struct store_field *f,
                     size_t nf);

/* The visibility predicate for rows aliased o (policy.c; nothing when p sees all), with its
 * values appended to b. */
int store_policy_sql(struct dbuf *q, struct store_args *b, const struct store_policy *p,
                     int default_tlp, const char *o);
/* The WHERE clause of a query or delete on collection coll (id: one object's versions). */
int store_where_sql(struct dbuf *q, struct store_args *b, struct store *s,
                    const struct store_policy *p, int default_tlp, int64_t coll,
                    const struct store_filter *f, const char *id);
/* The audience bits of partners 1..63 (others are found in the audience table only). */
#define STORE_MASK_MAX_PARTNER 63
int64_t store_audience_mask(const int64_t *partners, size_t n);
enum { AUDIENCE_REL = 1, AUDIENCE_RED = 2, AUDIENCE_GROUP = 3 };
enum { RESTRICTED_REL = 1, RESTRICTED_GROUP = 2, RESTRICTED_DERIVED = 4 };
/* Whether partner ?p may read (what "read") or write collection c: its own grant (g, joined) or
 * a grant to a group it is a member of now. 1 or 0. */
#define STORE_RIGHT(what, p)                                                                       \
    "CASE WHEN coalesce(g.can_" what ", 0) <> 0 OR EXISTS(SELECT 1 FROM group_grant gg"            \
    " JOIN group_member gm ON gm.grp = gg.grp WHERE gg.coll = c.rid AND gm.partner = " p           \
    " AND gg.can_" what " <> 0) THEN 1 ELSE 0 END"
/* The restricted column of o: which audience kinds limit it. */
int store_restricted(const struct store_object *o);

#endif
