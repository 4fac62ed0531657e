/*
 * The PostgreSQL backend of the store: what only PostgreSQL does. Several `liaison serve`
 * nodes may share one database and behave as one server (docs/scale-out.md).
 *
 * Connections: a session that breaks (database restarted, network cut) makes the call under
 * way fail with LIA_EBUSY ("try again", HTTP 503) and is re-established the next time it is
 * taken: no restart of liaison is needed. Every write is one transaction, so a lost session
 * leaves nothing half-written.
 *
 * Statements arrive in SQLite's dialect and are rewritten once per session (pg_rewrite);
 * those of fixed text are prepared once per session. Values go in binary, with their types,
 * so a text is sent exactly as given; results come back as text.
 *
 * Writes: a write transaction takes the transaction advisory lock PG_LOCK_WRITE before
 * anything else, then reads max(date_added). Writers on all nodes thus serialise exactly as
 * SQLite's writers do, which keeps date_added unique and increasing (a reader can never page
 * past a row that an open transaction will commit later with a smaller key: only the lock
 * holder writes, and it read every committed key first), and keeps the audit one chain.
 */
#include "store/pg/pg.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include <sodium.h>

#define INT8OID 20
#define TEXTOID 25
#define BYTEAOID 17

int pg_fail(struct store *s, PGconn *db, PGresult *res, const char *what, struct lia_err *err)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!msg)
        msg = db ? PQerrorMessage(db) : "no connection";
    int code = LIA_EIO;
    bool lost = db && PQstatus(db) == CONNECTION_BAD;
    if (lost || (state && !strncmp(state, "08", 2)) || (state && !strncmp(state, "57P", 3)))
        code = LIA_EBUSY, lost = true;
    else if (state && !strcmp(state, "23505"))
        code = LIA_ECONFLICT;
    else if (state && (!strcmp(state, "55P03") || !strcmp(state, "57014") ||
                       !strcmp(state, "40001") || !strcmp(state, "40P01")))
        code = LIA_EBUSY;
    else if (state && !strcmp(state, "53200"))
        code = LIA_ENOMEM;
    else if (state && !strcmp(state, "53100"))
        code = LIA_ENOSPC; /* disk_full on the server: api answers 507 */
    size_t ml = strcspn(msg, "\n");
    if (lost)
        return lia_err_set(err, code, "store: %s: database %s unavailable: %.*s", what, s->redacted,
                           (int)ml, msg);
    return lia_err_set(err, code, "store: %s: %.*s", what, (int)ml, msg);
}

int pg_rewrite(const char *sql, size_t len, struct dbuf *out)
{
    int rc = 0, max = 0;
    bool quoted = false;
    for (size_t i = 0; i < len && rc == 0; i++) {
        char ch = sql[i];
        if (ch == '\'')
            quoted = !quoted;
        if (quoted || (ch != '?' && ch != 'C' && ch != 'I')) {
            rc = dbuf_append(out, &ch, 1);
        } else if (ch == '?') {
            int n = 0;
            while (i + 1 < len && sql[i + 1] >= '0' && sql[i + 1] <= '9')
                n = n * 10 + (sql[++i] - '0');
            n = n ? n : max + 1;
            max = n > max ? n : max;
            rc = dbuf_printf(out, "$%d", n);
        } else if (ch == 'C' && !strncmp(sql + i, "COLLATE BINARY", 14)) {
            rc = dbuf_puts(out, "COLLATE \"C\"");
            i += 13;
        } else if (ch == 'I' && !strncmp(sql + i, "INDEXED BY ", 11)) {
            i += 11; /* SQLite's hint, and the index name after it */
            while (i < len && sql[i] != ' ')
                i++;
        } else {
            rc = dbuf_append(out, &ch, 1);
        }
    }
    return rc;
}

static int pg_open(struct store *s, const struct store_options *o, struct lia_err *err)
{
    (void)o;
    if (!(s->bs = calloc(1, sizeof(struct pg_store))))
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    pthread_mutex_init(&PS(s)->listen_lock, NULL);
    /* Commits name their node, so that its listener skips its own (it counted them). */
    unsigned char id[8];
    randombytes_buf(id, sizeof id);
    sodium_bin2hex(PS(s)->node, sizeof PS(s)->node, id, sizeof id);
    snprintf(PS(s)->notify, sizeof PS(s)->notify, "NOTIFY %s, '%s'", PG_CHANNEL, PS(s)->node);
    snprintf(PS(s)->commit, sizeof PS(s)->commit, "%s; COMMIT", PS(s)->notify);
    return 0;
}

static void pg_close(struct store *s)
{
    pg_listen_stop(s);
    pthread_mutex_destroy(&PS(s)->listen_lock);
    free(s->bs);
    s->bs = NULL;
}

PGconn *pg_connect(struct store *s, const char *application, struct lia_err *err)
{
    /* Keywords before dbname are defaults the URL may override (expand_dbname). */
    const char *const keys[] = {"connect_timeout",
                                "application_name",
                                "keepalives_idle",
                                "keepalives_interval",
                                "keepalives_count",
                                "dbname",
                                NULL};
    const char *const vals[] = {"5", application, "10", "5", "3", s->location, NULL};
    PGconn *db = PQconnectdbParams(keys, vals, 1);
    if (!db) {
        lia_err_set(err, LIA_ENOMEM, "out of memory");
        return NULL;
    }
    if (PQstatus(db) != CONNECTION_OK) {
        const char *m = PQerrorMessage(db);
        lia_err_set(err, LIA_EBUSY, "store: cannot connect to %s: %.*s", s->redacted,
                    (int)strcspn(m, "\n"), m);
        PQfinish(db);
        return NULL;
    }
    /* jit off: a partner's page query is costed above jit_above_cost, and PostgreSQL 15 then
     * spent ~350 ms compiling a query that runs in ~30 ms. No liaison query gains from JIT. */
    char sql[320];
    snprintf(sql, sizeof sql,
             "SET statement_timeout = 60000; SET lock_timeout = %d;"
             " SET idle_in_transaction_session_timeout = 300000; SET client_min_messages = warning;"
             " SET jit = off",
             s->timeout_ms);
    PGresult *r = PQexec(db, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        pg_fail(s, db, r, "configure connection", err);
        PQfinish(db);
        db = NULL;
    }
    PQclear(r);
    return db;
}

/* A session found broken is replaced before use. */
static int pq_connect(struct store *s, struct store_conn *c, struct lia_err *err)
{
    struct pg_conn *k = c->be;
    if (k && PQstatus(k->db) == CONNECTION_OK && PQtransactionStatus(k->db) == PQTRANS_IDLE)
        return 0;
    if (!k && !(k = c->be = calloc(1, sizeof *k)))
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    PQfinish(k->db);
    memset(k->prepared, 0, sizeof k->prepared);
    store_dyn_forget(c);
    k->dyn_used = 0;
    k->db = pg_connect(s, "liaison", err);
    return k->db ? 0 : err ? err->code : LIA_EBUSY;
}

static void pq_disconnect(struct store_conn *c)
{
    PQfinish(PDB(c));
    free(c->be);
    c->be = NULL;
}

/* One statement's values in binary with their types (integers big-endian). */
struct params {
    Oid *types;
    const char **v;
    int *len, *fmt;
    uint64_t *num;
};

static int params_make(struct params *p, const struct store_val *v, int n)
{
    size_t m = n ? (size_t)n : 1;
    p->types = malloc(m * sizeof *p->types);
    p->v = malloc(m * sizeof *p->v);
    p->len = malloc(m * sizeof *p->len);
    p->fmt = malloc(m * sizeof *p->fmt);
    p->num = malloc(m * sizeof *p->num);
    if (!p->types || !p->v || !p->len || !p->fmt || !p->num)
        return LIA_ENOMEM;
    for (int i = 0; i < n; i++) {
        p->types[i] = v[i].pgtype            ? v[i].pgtype
                      : v[i].kind == SV_INT  ? INT8OID
                      : v[i].kind == SV_TEXT ? TEXTOID
                                             : BYTEAOID;
        p->fmt[i] = 1;
        if (v[i].kind == SV_INT) {
            uint64_t x = (uint64_t)v[i].i;
            p->num[i] = ((uint64_t)htonl((uint32_t)x) << 32) | htonl((uint32_t)(x >> 32));
            p->v[i] = (const char *)&p->num[i];
            p->len[i] = 8;
        } else {
            p->v[i] = v[i].p ? v[i].p : "";
            p->len[i] = (int)v[i].n;
        }
        if (v[i].null)
            p->v[i] = NULL;
    }
    return 0;
}

static void params_free(struct params *p)
{
    free(p->types);
    free(p->v);
    free(p->len);
    free(p->fmt);
    free(p->num);
}

/* The name of the session's prepared statement for generated text (and these types),
 * preparing it on a miss in the slot the connection's cache (sql.c) gives. */
static int dyn_prepare(struct store_conn *c, const struct dbuf *text, const struct params *p, int n,
                       char name[16], const char *what, struct lia_err *err)
{
    struct pg_conn *k = c->be;
    struct dbuf key; /* the text and the types */
    dbuf_init(&key, 1u << 30);
    int rc = dbuf_append(&key, text->ptr, text->len);
    rc = rc ? rc : dbuf_append(&key, p->types, (size_t)n * sizeof *p->types);
    bool hit = false;
    int slot = rc ? 0 : store_dyn_slot(c, key.ptr, key.len, &hit);
    snprintf(name, 16, "d%d", slot);
    if (rc == 0 && !hit) {
        char sql[32];
        snprintf(sql, sizeof sql, "DEALLOCATE %s", name);
        if (k->dyn_used & (1u << slot))
            PQclear(PQexec(k->db, sql));
        k->dyn_used &= ~(1u << slot);
        PGresult *r = PQprepare(k->db, name, text->ptr, n, p->types);
        rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : pg_fail(c->store, k->db, r, what, err);
        PQclear(r);
        if (rc == 0)
            k->dyn_used |= 1u << slot;
        if (rc == 0)
            store_dyn_keep(c, slot, key.ptr, key.len);
    } else if (rc) {
        rc = lia_err_set(err, LIA_ETOOBIG, "store: %s: statement too long", what);
    }
    dbuf_release(&key);
    return rc;
}

/* In a statement's text: plan it for the values of each run. A prepared statement's plan
 * becomes generic (made without the values) after five runs when PostgreSQL judges it no
 * dearer; for a search, whose best plan depends on how common the text is (walk the search
 * table in order for a common word, its trigram index for a rare one), the generic plan read
 * all 719,000 search rows of a 1M-object store for a text found nowhere: 2.2 s instead of
 * 5 ms (bench/RESULTS.md, "Search on 1,000,000 objects"). */
#define PG_PLAN_EACH_TIME "/* planned for its values */"

static int pq_exec(struct store_cur *cur, struct sq *q, const char *sql, size_t len,
                   const struct store_val *v, int n, bool stream, const char *what,
                   struct lia_err *err)
{
    struct store *s = cur->conn->store;
    struct pg_conn *k = cur->conn->be;
    struct params p = {0};
    struct dbuf text;
    dbuf_init(&text, 1u << 30);
    char name[16];
    snprintf(name, sizeof name, "l%d", q ? atomic_load(&q->id) : 0);
    int rc = params_make(&p, v, n) ? lia_err_set(err, LIA_ENOMEM, "out of memory") : 0;
    if (rc == 0 && (!q || !k->prepared[q->id]) && pg_rewrite(sql, len, &text))
        rc = lia_err_set(err, LIA_ETOOBIG, "store: %s: statement too long", what);
    if (rc == 0 && q && !k->prepared[q->id]) {
        PGresult *r = PQprepare(k->db, name, text.ptr, n, p.types);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            rc = pg_fail(s, k->db, r, what, err);
        else
            k->prepared[q->id] = true;
        PQclear(r);
    }
    /* A statement that asks to be planned for its values is sent unnamed, never prepared. */
    bool each = rc == 0 && !q && strstr(text.ptr, PG_PLAN_EACH_TIME);
    if (rc == 0 && !q && !each)
        rc = dyn_prepare(cur->conn, &text, &p, n, name, what, err);
    cur->what = what;
    cur->row = -1;
    cur->flags = stream;
    if (rc == 0 && stream) {
        if (!(each ? PQsendQueryParams(k->db, text.ptr, n, p.types, p.v, p.len, p.fmt, 0)
                   : PQsendQueryPrepared(k->db, name, n, p.v, p.len, p.fmt, 0)) ||
            !PQsetSingleRowMode(k->db))
            rc = pg_fail(s, k->db, NULL, what, err);
    } else if (rc == 0) {
        PGresult *r = each ? PQexecParams(k->db, text.ptr, n, p.types, p.v, p.len, p.fmt, 0)
                           : PQexecPrepared(k->db, name, n, p.v, p.len, p.fmt, 0);
        ExecStatusType st = PQresultStatus(r);
        if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
            rc = pg_fail(s, k->db, r, what, err);
            PQclear(r);
        } else {
            cur->h = r;
            cur->rows = PQntuples(r);
            bool write = strncmp(PQcmdStatus(r), "SELECT", 6) != 0;
            cur->changes = write ? strtoll(PQcmdTuples(r), NULL, 10) : 0;
            k->changes += cur->changes;
            /* A write outside a transaction (settings, partners, tokens...) commits alone:
             * every node's listener hears of it too. */
            if (cur->changes && PQtransactionStatus(k->db) == PQTRANS_IDLE) {
                PQclear(PQexec(k->db, PS(s)->notify));
                atomic_fetch_add(&PS(s)->gen, 1);
            }
        }
    }
    params_free(&p);
    dbuf_release(&text);
    return rc;
}

static int pq_step(struct store_cur *cur, struct lia_err *err)
{
    if (!cur->flags)
        return ++cur->row < cur->rows ? 1 : 0;
    PGconn *db = PDB(cur->conn);
    PQclear(cur->h);
    cur->h = PQgetResult(db);
    cur->row = 0;
    ExecStatusType st = PQresultStatus(cur->h);
    if (st == PGRES_SINGLE_TUPLE)
        return 1;
    int rc = st == PGRES_TUPLES_OK ? 0 : pg_fail(cur->conn->store, db, cur->h, cur->what, err);
    PQclear(cur->h);
    cur->h = NULL;
    PGresult *r;
    while ((r = PQgetResult(db)))
        PQclear(r);
    return rc;
}

static void pq_end(struct store_cur *cur)
{
    PQclear(cur->h);
    if (cur->flags) { /* the rest of a stream, unread */
        PGresult *r;
        while ((r = PQgetResult(PDB(cur->conn))))
            PQclear(r);
    }
}

static int64_t pq_col_int(struct store_cur *cur, int col)
{
    return PQgetisnull(cur->h, cur->row, col)
               ? 0
               : strtoll(PQgetvalue(cur->h, cur->row, col), NULL, 10);
}

static const char *pq_col_text(struct store_cur *cur, int col, size_t *len)
{
    *len = (size_t)PQgetlength(cur->h, cur->row, col);
    return PQgetisnull(cur->h, cur->row, col) ? NULL : PQgetvalue(cur->h, cur->row, col);
}

/* bytea in hex text form: \x0a1b... */
static const void *pq_col_blob(struct store_cur *cur, int col, size_t *len, struct arena *a)
{
    size_t n;
    const char *v = pq_col_text(cur, col, &n);
    *len = 0;
    if (!v || n < 2 || v[0] != '\\' || v[1] != 'x')
        return v ? "" : NULL;
    unsigned char *out = arena_alloc(a, (n - 2) / 2 + 1);
    if (!out || sodium_hex2bin(out, (n - 2) / 2 + 1, v + 2, n - 2, NULL, len, NULL) != 0)
        return "";
    return out;
}

static int pq_script(struct store_conn *c, const char *sql, struct lia_err *err)
{
    PGresult *r = PQexec(PDB(c), sql);
    ExecStatusType st = PQresultStatus(r);
    int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK
                 ? 0
                 : pg_fail(c->store, PDB(c), r, "statement", err);
    PQclear(r);
    return rc;
}

static int pq_read_begin(struct store_conn *c, struct lia_err *err)
{
    return pq_script(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err);
}

static void pq_read_end(struct store_conn *c)
{
    if (PQstatus(PDB(c)) == CONNECTION_OK)
        pq_script(c, "COMMIT", NULL);
}

static int pq_begin(struct store_txn *t, bool schema, struct lia_err *err)
{
    char sql[160];
    snprintf(sql, sizeof sql, "BEGIN; SELECT pg_advisory_xact_lock(%d, %d)%s", PG_LOCK_CLASS,
             schema ? PG_LOCK_MIGRATE : PG_LOCK_WRITE,
             schema ? "" : "; SELECT coalesce(max(date_added), 0) FROM object");
    PGresult *r = PQexec(PDB(t->conn), sql);
    int rc =
        PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : pg_fail(t->store, PDB(t->conn), r, "begin", err);
    if (rc == 0 && !schema)
        t->last_added = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    if (rc && PQstatus(PDB(t->conn)) == CONNECTION_OK)
        pq_script(t->conn, "ROLLBACK", NULL);
    return rc;
}

/* A new database's object table has no planner statistics until autovacuum analyses it,
 * within about a minute; until then PostgreSQL takes it for a few hundred rows and reads
 * every page of objects by sorting the whole collection (bench/RESULTS.md, PostgreSQL run
 * 3). So once this process has stored STATS_FIRST_OBJECTS new versions while the table still
 * has none (reltuples < 0), it analyses the tables pages read, once; afterwards autovacuum
 * keeps them. After the commit: a failure here changes nothing stored. */
#define STATS_FIRST_OBJECTS 1000

static void first_statistics(struct store *s, PGconn *db, int64_t put)
{
    long long total = atomic_fetch_add(&PS(s)->objects_put, put) + put;
    bool expected = false;
    if (total < STATS_FIRST_OBJECTS ||
        !atomic_compare_exchange_strong(&PS(s)->stats_seen, &expected, true))
        return;
    PGresult *r = PQexec(db, "SELECT reltuples < 0 FROM pg_class WHERE oid = 'object'::regclass");
    bool none = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
                !strcmp(PQgetvalue(r, 0, 0), "t");
    PQclear(r);
    if (!none)
        return;
    r = PQexec(db, "ANALYZE (SKIP_LOCKED) object, audience");
    if (PQresultStatus(r) == PGRES_COMMAND_OK)
        lia_log(LIA_LOG_INFO, "store_analyzed", "\"objects\":%lld", total);
    else
        lia_log(LIA_LOG_WARN, "store_analyze_failed", "\"error\":\"%s\"",
                PQresultErrorField(r, PG_DIAG_SQLSTATE) ? PQresultErrorField(r, PG_DIAG_SQLSTATE)
                                                        : "unknown");
    PQclear(r);
}

static int pq_commit(struct store_txn *t, bool quiet, struct lia_err *err)
{
    struct store *s = t->store;
    PGconn *db = PDB(t->conn);
    /* Every node's listener hears of the commit (listen.c), unless it changed nothing a
     * cached answer shows. NOTIFY is delivered only if the transaction commits. */
    PGresult *r = PQexec(db, quiet ? "COMMIT" : PS(s)->commit);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        rc = pg_fail(s, db, r, "commit", err);
    else if (strcmp(PQcmdStatus(r), "COMMIT") != 0) /* an aborted transaction rolls back */
        rc = lia_err_set(err, LIA_EIO, "store: commit: the transaction was rolled back");
    PQclear(r);
    if (rc == 0 && !quiet)
        atomic_fetch_add(&PS(s)->gen, 1); /* this node need not wait for its own news */
    if (rc == 0 && t->objects_put > 0 && !atomic_load(&PS(s)->stats_seen))
        first_statistics(s, db, t->objects_put);
    if (rc && PQstatus(db) == CONNECTION_OK && PQtransactionStatus(db) != PQTRANS_IDLE)
        pq_script(t->conn, "ROLLBACK", NULL);
    return rc;
}

static void pq_rollback(struct store_txn *t)
{
    if (PQstatus(PDB(t->conn)) == CONNECTION_OK)
        pq_script(t->conn, "ROLLBACK", NULL);
}

static int64_t pq_changes(struct store_conn *c)
{
    return ((struct pg_conn *)c->be)->changes;
}

/* A lock across nodes: a session advisory lock, on a pooled session kept for as long as the
 * lock is held; if that session breaks, the database drops the lock with it, so a dead node
 * never keeps it. */
static int pq_lock(struct store_lock *l, const char *name, struct lia_err *err)
{
    static struct sq q = SQ("SELECT CASE WHEN pg_try_advisory_lock(1818845545, hashtext(?))"
                            " THEN 1 ELSE 0 END");
    _Static_assert(PG_LOCK_CLASS == 1818845545, "the lock class in the statement");
    snprintf(l->key, sizeof l->key, "%s", name);
    int64_t got = 0;
    int rc = store_acquire(l->store, &l->conn, err);
    rc = rc ? rc
            : store_one(l->conn, &q, SV(sv_text(l->key)), store_row_int, NULL, &got, "",
                        "take lock", err);
    if (rc == 0 && !got)
        rc = lia_err_set(err, LIA_EBUSY, "store: lock %s is held elsewhere", name);
    if (rc && l->conn)
        store_release(l->store, l->conn);
    return rc;
}

static void pq_unlock(struct store_lock *l)
{
    static struct sq q = SQ("SELECT pg_advisory_unlock(1818845545, hashtext(?))");
    store_one(l->conn, &q, SV(sv_text(l->key)), NULL, NULL, NULL, "", "release lock", NULL);
    store_release(l->store, l->conn);
}

/* After a copy: the identity sequences past the copied keys, and statistics for the tables
 * just filled, committed with them (never analysed, the planner takes the object table for a
 * few hundred rows and pages by reading the whole collection). */
static int pq_after_copy(struct store_txn *t, struct lia_err *err)
{
    size_t n;
    const struct store_table *tb = store_tables(&n);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *col = store_table_identity(&tb[i]);
        if (!col)
            continue;
        char sql[300];
        snprintf(sql, sizeof sql,
                 "SELECT setval(pg_get_serial_sequence('%s', '%s'), coalesce(max(%s), 0) + 1,"
                 " false) FROM %s",
                 tb[i].name, col, col, tb[i].name);
        rc = pq_script(t->conn, sql, err);
    }
    /* Only liaison's tables: a bare ANALYZE walks the system catalogs too, and a database
     * owner who is not a superuser gets a warning for each ("only superuser can analyze"). */
    char sql[1024] = "ANALYZE ";
    size_t used = strlen(sql);
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(sql + used, sizeof sql - used, "%s%s", i ? ", " : "", tb[i].name);
        if (w < 0 || (size_t)w >= sizeof sql - used)
            return lia_err_set(err, LIA_EINTERNAL, "store: too many tables to analyse");
        used += (size_t)w;
    }
    return rc ? rc : pq_script(t->conn, sql, err);
}

/* One statement of the check whose failure is a problem found, not an error. */
static void check_read(struct store_checker *k, PGconn *db, const char *sql, const char *kind,
                       const char *name, const char *failed)
{
    PGresult *r = PQexec(db, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        char msg[700];
        const char *m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
        snprintf(msg, sizeof msg, "%s %s%s: %s", kind, name, failed, m ? m : PQerrorMessage(db));
        store_check_problem(k, msg);
    }
    PQclear(r);
}

/*
 * store_check (check.c). PostgreSQL has no single equivalent of SQLite's integrity_check.
 * What is meaningful from a client: every table is read whole (a sequential scan reads every
 * heap page, and with data_checksums on PostgreSQL verifies each page's checksum as it reads
 * it: a damaged page is an error here), each btree index is checked with the amcheck
 * extension's bt_index_check when that is installed (full only), and the schema version
 * (store_open refuses an unknown one). With data_checksums off a damaged heap page may go
 * unseen: the report says so.
 */
static int pq_check(const char *location, bool full, struct store_checker *k, struct lia_err *err)
{
    struct store *s = NULL;
    struct store_options opt = {.pool_size = 1, .busy_timeout_ms = 10000};
    int rc = store_open(location, &opt, &s, err);
    struct store_conn *c = NULL;
    if (rc == 0)
        rc = store_acquire(s, &c, err);
    if (rc) {
        store_close(s);
        return rc;
    }
    PGconn *db = PDB(c);
    k->out->method =
        full ? "every table read whole, amcheck on every index" : "every table read whole";
    PGresult *r = PQexec(db, "SHOW data_checksums");
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
        strcmp(PQgetvalue(r, 0, 0), "on") != 0)
        snprintf(k->out->note, sizeof k->out->note,
                 "data_checksums is off on this cluster: a damaged table page may read without "
                 "error (pg_checksums --enable turns them on)");
    PQclear(r);
    r = PQexec(db, "SELECT c.relname FROM pg_class c WHERE c.relnamespace = "
                   "current_schema()::regnamespace AND c.relkind = 'r' ORDER BY 1");
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        rc = pg_fail(s, db, r, "list tables", err);
    for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
        char sql[256];
        /* Every tuple turned to text: every heap page and every TOAST chunk is read (a bare
         * count(*) may be answered from an index). */
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s AS t WHERE length(t::text) >= 0",
                 PQgetvalue(r, i, 0));
        check_read(k, db, sql, "table", PQgetvalue(r, i, 0), " cannot be read whole");
    }
    PQclear(r);
    r = full && rc == 0 ? PQexec(db, "SELECT 1 FROM pg_extension WHERE extname = 'amcheck'") : NULL;
    bool amcheck = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    PQclear(r);
    if (rc == 0 && full && !amcheck) {
        size_t used = strlen(k->out->note);
        snprintf(k->out->note + used, sizeof k->out->note - used,
                 "%sthe amcheck extension is not installed in this database: indexes were not "
                 "checked (CREATE EXTENSION amcheck)",
                 used ? "; " : "");
    }
    if (rc == 0 && amcheck) {
        k->out->method = "every table read whole, amcheck's bt_index_check on every index";
        r = PQexec(db, "SELECT i.relname, i.oid FROM pg_class i JOIN pg_am a ON a.oid = i.relam "
                       "WHERE i.relnamespace = current_schema()::regnamespace AND i.relkind = 'i' "
                       "AND a.amname = 'btree' ORDER BY 1");
        if (PQresultStatus(r) != PGRES_TUPLES_OK)
            rc = pg_fail(s, db, r, "list indexes", err);
        for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
            char sql[128];
            snprintf(sql, sizeof sql, "SELECT bt_index_check(%s)", PQgetvalue(r, i, 1));
            check_read(k, db, sql, "index", PQgetvalue(r, i, 0), "");
        }
        PQclear(r);
    }
    store_release(s, c);
    store_close(s);
    return rc;
}

const struct store_backend store_pg = {
    .name = "postgresql",
    /* The substring SQLite's trigram index finds: case-insensitive, no pattern syntax. */
    .text_contains = " AND strpos(o.json, ?) > 0",
    /* The LIKE is what the trigram index on lower(body) (migration 27) answers; strpos keeps
     * it literal. */
    .search_match = " AND o.date_added IN (SELECT rowid FROM search WHERE lower(body) LIKE"
                    " lower(?) AND strpos(lower(body), lower(?)) > 0) " PG_PLAN_EACH_TIME,
    .open = pg_open,
    .close = pg_close,
    .connect = pq_connect,
    .disconnect = pq_disconnect,
    .exec = pq_exec,
    .step = pq_step,
    .end = pq_end,
    .col_int = pq_col_int,
    .col_text = pq_col_text,
    .col_blob = pq_col_blob,
    .script = pq_script,
    .read_begin = pq_read_begin,
    .read_end = pq_read_end,
    .begin = pq_begin,
    .commit = pq_commit,
    .rollback = pq_rollback,
    .changes = pq_changes,
    .put_many = pg_put_many,
    .generation = pg_generation,
    .lock = pq_lock,
    .unlock = pq_unlock,
    .after_copy = pq_after_copy,
    .check = pq_check,
};
