/*
 * The schema, described once: the tables below give both backends' DDL (SQLite's and
 * PostgreSQL's types are chosen from each column's kind) and the list of tables `store copy`
 * walks. A store is created, or upgraded in place, by the same steps on either backend:
 * every table and index that is missing is created (CREATE ... IF NOT EXISTS), every
 * computed column that is missing is added and filled from the rows, and the schema version
 * is recorded in meta('schema_version'). A store written by a newer liaison is refused rather
 * than misread. SQLite upgrades itself when opened; a PostgreSQL store, which several nodes
 * share, only with `liaison migrate` (or init), under an advisory lock, so that nodes of two
 * versions never run against one schema.
 *
 * Versions: SQLite 4 (2: exchange, search and watch tables; 3: auth_gen, the version flags and
 * audience masks; 4: the flow and place tables); PostgreSQL 5 (2: watches; 3: search; 4: the
 * version flags and audience masks, and search.obj renamed rowid, as SQLite's is called; 5:
 * the flow and place tables). Flows stored before 4 / 5 are not in the flow tables: post them
 * again to have them counted.
 */
#include "store/store_int.h"

#include <stdio.h>

#include <sodium.h>

/* Column kinds: i bigint, n integer, I row id (an identity on PostgreSQL), t text, b bytes,
 * f and m a flag (integer) and a mask (bigint) computed from the other rows, never copied and
 * added to older stores. A table's key orders `store copy`; text keys in byte order. */
static const struct store_table tables[] = {
    {"meta", "key t PRIMARY KEY, value t NOT NULL", "key COLLATE BINARY", NULL, STORE_TABLE_NOROWID,
     NULL},
    {"collection",
     "rid I, id t NOT NULL UNIQUE, title t NOT NULL, description t, alias t UNIQUE,"
     " default_tlp n NOT NULL DEFAULT 2, created i NOT NULL",
     "rid", NULL, 0, NULL},
    {"partner",
     "rid I, identity_id t NOT NULL UNIQUE, name t NOT NULL UNIQUE, country t,"
     " clearance n NOT NULL DEFAULT 1, trust t, disabled n NOT NULL DEFAULT 0, pubkey t,"
     " cert_fingerprint t UNIQUE, cert_subject t UNIQUE, identity_json t NOT NULL,"
     " created i NOT NULL",
     "rid", NULL, 0, NULL},
    {"grant_right",
     "coll i NOT NULL REFERENCES collection(rid), partner i NOT NULL, can_read n NOT NULL,"
     " can_write n NOT NULL",
     "coll, partner", "PRIMARY KEY(coll, partner)", STORE_TABLE_NOROWID, NULL},
    {"object",
     "date_added i PRIMARY KEY, coll i NOT NULL, id t NOT NULL, type t NOT NULL,"
     " spec_version t NOT NULL, created i NOT NULL, modified i NOT NULL, modified_text t,"
     " created_by_ref t, tlp n NOT NULL DEFAULT -1, restricted n NOT NULL DEFAULT 0,"
     " json t NOT NULL, superseded f NOT NULL DEFAULT 0, preceded f NOT NULL DEFAULT 0,"
     " rel_mask m NOT NULL DEFAULT 0, red_mask m NOT NULL DEFAULT 0",
     "date_added", NULL, 0, NULL},
    /* The normalised text of an object version (rowid = object.date_added); SQLite's is a
     * trigram index (detail='none': half the cost of positions on every write). */
    {"search", "rowid i PRIMARY KEY, body t NOT NULL", "rowid", NULL, 0,
     "CREATE VIRTUAL TABLE IF NOT EXISTS search USING fts5(body, tokenize='trigram',"
     " detail='none')"},
    {"audience", "obj i NOT NULL, kind n NOT NULL, partner i NOT NULL", "obj, kind, partner",
     "PRIMARY KEY(obj, kind, partner)", STORE_TABLE_NOROWID, NULL},
    {"status", "id t PRIMARY KEY, owner t, created i NOT NULL, json t NOT NULL",
     "id COLLATE BINARY", NULL, STORE_TABLE_NOROWID, NULL},
    {"token",
     "id t PRIMARY KEY, hash b NOT NULL, partner i NOT NULL DEFAULT 0,"
     " admin n NOT NULL DEFAULT 0, read_only n NOT NULL DEFAULT 0, created i NOT NULL,"
     " expires i NOT NULL DEFAULT 0, revoked n NOT NULL DEFAULT 0, label t",
     "id COLLATE BINARY", NULL, STORE_TABLE_NOROWID, NULL},
    {"peer",
     "rid I, name t NOT NULL UNIQUE, url t NOT NULL, api_root t, partner i NOT NULL, token t,"
     " client_cert t, client_key t, ca t, created i NOT NULL",
     "rid", NULL, 0, NULL},
    {"checkpoint",
     "peer i NOT NULL, direction t NOT NULL, remote_coll t NOT NULL, local_coll i NOT NULL,"
     " position t, last_ok i, last_error t, updated i NOT NULL, objects i NOT NULL DEFAULT 0",
     "peer, direction COLLATE BINARY, remote_coll COLLATE BINARY, local_coll",
     "PRIMARY KEY(peer, direction, remote_coll, local_coll)", STORE_TABLE_NOROWID, NULL},
    {"provenance",
     "obj i PRIMARY KEY, peer i, partner i, received i NOT NULL, trust t, via t NOT NULL", "obj",
     NULL, 0, NULL},
    {"watch",
     "rid I, id t NOT NULL UNIQUE, owner i NOT NULL, name t NOT NULL, query t NOT NULL,"
     " webhook t, secret t, created i NOT NULL",
     "rid", "UNIQUE(owner, name)", 0, NULL},
    {"watch_event",
     "seq I, watch i NOT NULL, obj_date_added i NOT NULL, coll i NOT NULL, obj_id t NOT NULL,"
     " obj_modified i NOT NULL, summary t NOT NULL, created i NOT NULL, hook_state n NOT NULL,"
     " attempts n NOT NULL DEFAULT 0, next_attempt i NOT NULL DEFAULT 0, last_error t",
     "seq", "UNIQUE(watch, obj_date_added)", 0, NULL},
    /* Flows (docs/flows.md): a liaison-flow version's rows, one per commodity, and the places
     * it passes through (obj = object.date_added); where each location of a collection lies
     * (obj: the location version that placed it, 0 when placed by its gazetteer id), and
     * every place it lies within (place_in, keyed for "which of these lie within P"). A flow
     * row repeats its object's id, version and creator, so that the flows query reads the
     * object table's page index only (its policy columns), never its rows. */
    {"flow",
     "obj i NOT NULL, what t NOT NULL, src t NOT NULL, dst t NOT NULL, first_seen i NOT NULL,"
     " last_seen i NOT NULL, grade t NOT NULL, id t NOT NULL, version t, source t NOT NULL",
     "obj, what COLLATE BINARY", "PRIMARY KEY(obj, what)", STORE_TABLE_NOROWID, NULL},
    {"flow_via", "obj i NOT NULL, loc t NOT NULL", "obj, loc COLLATE BINARY",
     "PRIMARY KEY(obj, loc)", STORE_TABLE_NOROWID, NULL},
    {"place_of",
     "coll i NOT NULL, loc t NOT NULL, obj i NOT NULL, place t NOT NULL, country t NOT NULL",
     "coll, loc COLLATE BINARY", "PRIMARY KEY(coll, loc)", STORE_TABLE_NOROWID, NULL},
    /* Columns in key order: SQLite 3.40's quick_check misreads a WITHOUT ROWID table whose
     * key columns are declared in another order ("NULL value in place_in.loc"). */
    {"place_in", "coll i NOT NULL, place t NOT NULL, loc t NOT NULL",
     "coll, place COLLATE BINARY, loc COLLATE BINARY", "PRIMARY KEY(coll, place, loc)",
     STORE_TABLE_NOROWID, NULL},
    {"audit",
     "seq i PRIMARY KEY, ts i NOT NULL, actor t NOT NULL, action t NOT NULL, detail t NOT NULL,"
     " prev b NOT NULL, hash b NOT NULL",
     "seq", NULL, 0, NULL},
};
#define N_TABLES (sizeof tables / sizeof tables[0])

/* Pages walk a collection in date_added order; the policy and version columns in the page
 * index let the walk reject rows a caller may not see without reading them. */
static const char *const indexes =
    "CREATE UNIQUE INDEX IF NOT EXISTS object_version ON object(coll, id, modified);"
    "DROP INDEX IF EXISTS object_coll;"
    "CREATE INDEX IF NOT EXISTS object_page ON object(coll, date_added, tlp, restricted,"
    " superseded, preceded, rel_mask, red_mask);"
    "CREATE INDEX IF NOT EXISTS object_marking ON object(id, type)"
    " WHERE type = 'marking-definition';"
    "CREATE INDEX IF NOT EXISTS object_rfi ON object(id, type) WHERE type = 'liaison-rfi';"
    "CREATE INDEX IF NOT EXISTS watch_event_due ON watch_event(hook_state, next_attempt)"
    " WHERE hook_state = 1;";

struct sq store_reflag_sql = SQ("UPDATE object SET" STORE_VERSION_FLAGS);
/* The audience of partners 1..63 as bits (STORE_MASK_MAX_PARTNER). */
#define AUDIENCE_BITS(name, kind)                                                                  \
    " " name " = coalesce((SELECT sum(CAST(1 AS BIGINT) << CAST(a.partner - 1 AS INTEGER))"        \
    " FROM audience a WHERE a.obj = object.date_added AND a.kind = " kind                          \
    " AND a.partner BETWEEN 1 AND 63), 0)"
struct sq store_remask_sql =
    SQ("UPDATE object SET" AUDIENCE_BITS("rel_mask", "1") "," AUDIENCE_BITS("red_mask", "2"));
_Static_assert(AUDIENCE_REL == 1 && AUDIENCE_RED == 2, "store_remask_sql names the kinds");

const struct store_table *store_tables(size_t *n)
{
    *n = N_TABLES;
    return tables;
}

const char *store_table_identity(const struct store_table *t)
{
    static const char *const names[] = {"rid I", "seq I"};
    for (size_t i = 0; i < 2; i++)
        if (!strncmp(t->cols, names[i], 5))
            return i ? "seq" : "rid";
    return NULL;
}

/* Calls fn for each column of t: its name, kind and constraints. */
static int each_column(const struct store_table *t,
                       int (*fn)(const char *name, size_t nlen, char kind, const char *rest,
                                 size_t rlen, void *ctx),
                       void *ctx)
{
    for (const char *p = t->cols; *p;) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, ",");
        size_t nlen = strcspn(p, " ");
        const char *rest = p + nlen + 2 < p + len ? p + nlen + 2 : p + len;
        int rc = fn(p, nlen, p[nlen + 1], rest, (size_t)(p + len - rest), ctx);
        if (rc)
            return rc;
        p += len + (p[len] == ',');
    }
    return 0;
}

struct ddl {
    struct dbuf *q;
    bool pg, first;
};

static int column_ddl(const char *name, size_t nlen, char kind, const char *rest, size_t rlen,
                      void *ctx)
{
    struct ddl *d = ctx;
    static const char kinds[] = "inIfmtb";
    static const char *const sqlite[] = {
        "INTEGER", "INTEGER", "INTEGER PRIMARY KEY", "INTEGER", "INTEGER", "TEXT", "BLOB"};
    static const char *const pg[] = {
        "bigint",  "integer", "bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        "integer", "bigint",  "text",
        "bytea"};
    const char *k = strchr(kinds, kind);
    if (!k || !kind)
        return LIA_EINTERNAL;
    size_t i = (size_t)(k - kinds);
    int rc = dbuf_printf(d->q, "%s%.*s %s%s%.*s", d->first ? "" : ", ", (int)nlen, name,
                         d->pg ? pg[i] : sqlite[i], rlen ? " " : "", (int)rlen, rest);
    d->first = false;
    return rc;
}

struct cols {
    char *cols, *kinds;
    size_t clen, klen, cn, kn;
};

static int column_copied(const char *name, size_t nlen, char kind, const char *rest, size_t rlen,
                         void *ctx)
{
    (void)rest, (void)rlen;
    struct cols *c = ctx;
    if (kind == 'f' || kind == 'm')
        return 0;
    int n =
        snprintf(c->cols + c->cn, c->clen - c->cn, "%s%.*s", c->cn ? ", " : "", (int)nlen, name);
    if (n < 0 || (size_t)n >= c->clen - c->cn || c->kn + 2 > c->klen)
        return LIA_ETOOBIG;
    c->cn += (size_t)n;
    c->kinds[c->kn++] = kind == 't' ? 't' : kind == 'b' ? 'b' : 'i';
    c->kinds[c->kn] = '\0';
    return 0;
}

int store_table_columns(const struct store_table *t, char *cols, size_t clen, char *kinds,
                        size_t klen)
{
    struct cols c = {cols, kinds, clen, klen, 0, 0};
    cols[0] = kinds[0] = '\0';
    return each_column(t, column_copied, &c);
}

struct upgrade {
    struct store_conn *c;
    const char *table;
    struct dbuf *q;
    bool pg, added;
};

static bool column_exists(struct store_conn *c, const char *table, const char *col, size_t n)
{
    const struct store_backend *be = c->store->be;
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT %.*s FROM %s WHERE 0 = 1", (int)n, col, table);
    if (be->script(c, "SAVEPOINT probe", NULL))
        return true;
    bool yes = be->script(c, sql, NULL) == 0;
    be->script(c, yes ? "RELEASE probe" : "ROLLBACK TO probe; RELEASE probe", NULL);
    return yes;
}

/* A computed column an older store lacks: added (then filled from the rows). */
static int column_missing(const char *name, size_t nlen, char kind, const char *rest, size_t rlen,
                          void *ctx)
{
    struct upgrade *u = ctx;
    if ((kind != 'f' && kind != 'm') || column_exists(u->c, u->table, name, nlen))
        return 0;
    u->added = true;
    int rc = dbuf_printf(u->q, "ALTER TABLE %s ADD COLUMN ", u->table);
    struct ddl d = {u->q, u->pg, true};
    rc = rc ? rc : column_ddl(name, nlen, kind, rest, rlen, &d);
    return rc ? rc : dbuf_puts(u->q, ";");
}

/* The recorded version; 0 when there is none (no meta table yet: a new PostgreSQL database). */
static int read_version(struct store_conn *c)
{
    struct arena a;
    arena_init(&a, 0);
    char *v = NULL;
    int version = 0;
    if (store_one(c, &store_meta_get_sql, SV(sv_text("schema_version")), store_row_str, &a, &v, "",
                  "schema", NULL) == 0 &&
        v)
        version = (int)strtol(v, NULL, 10); /* our own decimal text */
    arena_release(&a);
    return version;
}

int store_schema_begin(struct store *s, struct store_conn *c, struct store_txn **t,
                       struct lia_err *err);
void store_schema_end(struct store_txn *t);

static int create_tables(struct store_txn *t, struct lia_err *err)
{
    const struct store_backend *be = t->store->be;
    bool pg = be == &store_pg;
    struct dbuf q;
    dbuf_init(&q, 64 * 1024);
    int rc = 0;
    for (size_t i = 0; i < N_TABLES && rc == 0; i++) {
        const struct store_table *tb = &tables[i];
        if (!pg && tb->sqlite) {
            rc = dbuf_printf(&q, "%s;", tb->sqlite);
            continue;
        }
        struct ddl d = {&q, pg, true};
        rc = dbuf_printf(&q, "CREATE TABLE IF NOT EXISTS %s(", tb->name);
        rc = rc ? rc : each_column(tb, column_ddl, &d);
        if (rc == 0 && tb->extra)
            rc = dbuf_printf(&q, ", %s", tb->extra);
        rc = rc ? rc
                : dbuf_printf(&q, ")%s;",
                              !pg && tb->flags & STORE_TABLE_NOROWID ? " WITHOUT ROWID" : "");
    }
    if (rc == 0)
        rc = be->script(t->conn, q.ptr, err);
    else
        lia_err_set(err, rc, "store: schema too large");
    dbuf_release(&q);
    return rc;
}

static int upgrade(struct store_txn *t, int have, struct lia_err *err)
{
    const struct store_backend *be = t->store->be;
    bool pg = be == &store_pg;
    struct dbuf q;
    dbuf_init(&q, 64 * 1024);
    int rc = 0;
    /* PostgreSQL 3: search.obj, SQLite's rowid. */
    if (rc == 0 && !column_exists(t->conn, "search", "rowid", 5))
        rc = be->script(t->conn, "ALTER TABLE search RENAME COLUMN obj TO rowid", err);
    struct upgrade u = {t->conn, NULL, &q, pg, false};
    dbuf_reset(&q);
    for (size_t i = 0; i < N_TABLES && rc == 0; i++) {
        u.table = tables[i].name;
        if (pg || !tables[i].sqlite)
            rc = each_column(&tables[i], column_missing, &u);
    }
    if (rc == 0 && q.len)
        rc = be->script(t->conn, q.ptr, err);
    if (rc == 0)
        rc = be->script(t->conn, indexes, err);
    if (rc == 0 && be->schema_extra)
        rc = be->script(t->conn, be->schema_extra, err);
    if (rc == 0 && u.added && have > 0)
        rc = store_do(t->conn, &store_reflag_sql, SV_NONE, NULL, "schema", err);
    if (rc == 0 && u.added && have > 0)
        rc = store_do(t->conn, &store_remask_sql, SV_NONE, NULL, "schema", err);
    if (rc == 0 && have == 0) {
        /* next tokens made by any node must verify on every node: one key, made here. */
        unsigned char key[32];
        char hex[65];
        randombytes_buf(key, sizeof key);
        sodium_bin2hex(hex, sizeof hex, key, sizeof key);
        rc = store_do(t->conn, &store_meta_set_sql, SV(sv_text("next_token_key"), sv_text(hex)),
                      NULL, "schema", err);
    }
    char v[16];
    snprintf(v, sizeof v, "%d", be->schema_version);
    if (rc == 0)
        rc = store_do(t->conn, &store_meta_set_sql, SV(sv_text("schema_version"), sv_text(v)), NULL,
                      "schema", err);
    dbuf_release(&q);
    return rc;
}

int store_schema_apply(struct store *s, struct store_conn *c, const struct store_options *o,
                       struct lia_err *err)
{
    const struct store_backend *be = s->be;
    int have = read_version(c);
    bool may_migrate = o->create || o->migrate || be != &store_pg;
    if (have == 0 && !o->create && be != &store_pg) /* a database, but not a liaison store */
        return lia_err_set(err, LIA_EIO,
                           "store: %s holds no liaison store (no schema version): damaged, or "
                           "not made by `liaison init`; nothing was changed. Run `liaison store "
                           "check` on it",
                           s->redacted);
    if (have > be->schema_version)
        return lia_err_set(err, LIA_EUNSUPPORTED,
                           "store: %s has schema version %d; this liaison knows up to %d",
                           s->redacted, have, be->schema_version);
    if (have == be->schema_version)
        return 0;
    if (!may_migrate && have == 0)
        return lia_err_set(err, LIA_ENOTFOUND,
                           "store: %s holds no liaison schema (run `liaison init --store URL`"
                           " or `liaison migrate --store URL` first)",
                           s->redacted);
    if (!may_migrate)
        return lia_err_set(err, LIA_EUNSUPPORTED,
                           "store: %s has schema version %d; this liaison knows %d only (run "
                           "`liaison migrate --store URL`)",
                           s->redacted, have, be->schema_version);
    struct store_txn *t;
    int rc = store_schema_begin(s, c, &t, err);
    if (rc)
        return rc;
    rc = create_tables(t, err);
    if (rc == 0)
        have = read_version(c); /* again under the lock: another process may have upgraded */
    if (rc == 0 && have != be->schema_version)
        rc = upgrade(t, have, err);
    if (rc == 0)
        rc = be->commit(t, false, err);
    else
        be->rollback(t);
    store_schema_end(t);
    if (rc == 0 && have != be->schema_version && be == &store_pg)
        lia_log(LIA_LOG_INFO, "store_migrated", "\"version\":%d", be->schema_version);
    return rc;
}
