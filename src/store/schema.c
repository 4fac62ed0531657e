/*
 * The schema, described once: the tables below give both backends' DDL (SQLite's and
 * PostgreSQL's types are chosen from each column's kind) and the list of tables `store copy`
 * walks. Every change to it is a numbered migration (the list `migrations` below,
 * docs/upgrades.md), the same numbers on both backends; meta('schema_version') holds the
 * number of the last one a store has.
 *
 * A new store is made from the descriptor in its latest shape and recorded at the latest
 * number. An older store is brought forward only by `liaison migrate` (or init on an empty
 * database): every migration after its number runs, in order, in one transaction under the
 * migration lock, so that nodes of two versions never run against one schema and a failed
 * migration changes nothing. Every other open (serve, every CLI command) refuses a store
 * that needs a migration, naming the command, and a store written by a newer liaison is
 * refused rather than misread.
 *
 * A migration names what it adds in the descriptor (a table, or one column of a table), so
 * its DDL is the descriptor's; it may add statements (indexes: idempotent, run on new stores
 * too) and a fill step for the rows already there. Stores made before migrations were
 * numbered (SQLite versions 1-3, PostgreSQL 1-4) reach the baseline, 5, by the old step:
 * every missing table and index created, every missing computed column added and filled.
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
     " rel_mask m NOT NULL DEFAULT 0, red_mask m NOT NULL DEFAULT 0, digest t",
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
    /* A peer's settings beyond the peer row: basic_user (HTTP Basic login; the password is
     * the peer's secret, in peer.token), timeout and connect_timeout (seconds). */
    {"peer_setting", "peer i NOT NULL, name t NOT NULL, value t NOT NULL",
     "peer, name COLLATE BINARY", "PRIMARY KEY(peer, name)", STORE_TABLE_NOROWID, NULL},
    /* A partner's signing keys replaced by a rotation notice: still valid until `until`. */
    {"partner_key", "partner i NOT NULL, pubkey t NOT NULL, until i NOT NULL, rotated i NOT NULL",
     "partner, pubkey COLLATE BINARY", "PRIMARY KEY(partner, pubkey)", STORE_TABLE_NOROWID, NULL},
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
    /* Sharing groups (docs/groups.md): a group is released to through its marking-definition
     * (marking: that definition's id; definition: its text); members and the group's rights on
     * collections are read at every query, inside the policy predicate (policy.c). */
    {"sharing_group",
     "rid I, marking t NOT NULL UNIQUE, name t NOT NULL UNIQUE, description t,"
     " disclose n NOT NULL DEFAULT 0, definition t NOT NULL, created i NOT NULL",
     "rid", NULL, 0, NULL},
    {"group_member", "grp i NOT NULL, partner i NOT NULL, added i NOT NULL", "grp, partner",
     "PRIMARY KEY(grp, partner)", STORE_TABLE_NOROWID, NULL},
    {"group_grant", "coll i NOT NULL, grp i NOT NULL, can_read n NOT NULL, can_write n NOT NULL",
     "coll, grp", "PRIMARY KEY(coll, grp)", STORE_TABLE_NOROWID, NULL},
    /* Which extension-definitions an object version uses (obj: its date_added): a definition
     * row is visible where one of its users is (policy.c). */
    {"def_use", "def t NOT NULL, obj i NOT NULL", "def COLLATE BINARY, obj",
     "PRIMARY KEY(def, obj)", STORE_TABLE_NOROWID, NULL},
    /* The token a watch was made with (over the API): its webhook stops with the token. */
    {"watch_token", "watch t PRIMARY KEY, token t NOT NULL", "watch COLLATE BINARY", NULL,
     STORE_TABLE_NOROWID, NULL},
    /* People (docs/people.md): a person's password (crypto_pwhash_str, argon2id) and TOTP key;
     * setup holds the BLAKE2b hash of the one-time sign-in code until a password is set. */
    {"person",
     "rid I, name t NOT NULL UNIQUE, role n NOT NULL, disabled n NOT NULL DEFAULT 0,"
     " password t, setup b, totp_key t, totp_last i NOT NULL DEFAULT 0,"
     " failures n NOT NULL DEFAULT 0, locked_until i NOT NULL DEFAULT 0, created i NOT NULL",
     "rid", NULL, 0, NULL},
    /* Which tokens (sessions among them) act for which person. */
    {"person_token", "token t PRIMARY KEY, person i NOT NULL, session n NOT NULL DEFAULT 0",
     "token COLLATE BINARY", NULL, STORE_TABLE_NOROWID, NULL},
    /* Four-eyes release: a version (obj = object.date_added) waiting for, or given, a second
     * person's decision. scope 1: withheld from every partner; 2: from four-eyes partners. */
    {"release",
     "obj i PRIMARY KEY, coll i NOT NULL, scope n NOT NULL, state n NOT NULL DEFAULT 0,"
     " author t NOT NULL, author_person i NOT NULL DEFAULT 0, decided_by t, decided i,"
     " reason t, first_key i NOT NULL",
     "obj", NULL, 0, NULL},
    /* The release policy: per collection (coll 0: every collection without its own), the TLP
     * from which a second person must approve; per marking-definition, always. */
    {"release_rule", "coll i NOT NULL, what t NOT NULL, min_tlp n NOT NULL",
     "coll, what COLLATE BINARY", "PRIMARY KEY(coll, what)", STORE_TABLE_NOROWID, NULL},
    {"partner_four_eyes", "partner i PRIMARY KEY, since i NOT NULL", "partner", NULL, 0, NULL},
    /* Review and retention per collection, and each object's review date once extended. */
    {"retention",
     "coll i PRIMARY KEY, review_every i NOT NULL DEFAULT 0, retain_for i NOT NULL DEFAULT 0,"
     " handling_code t, legal_basis t, updated i NOT NULL",
     "coll", NULL, 0, NULL},
    {"review",
     "coll i NOT NULL, id t NOT NULL, due i NOT NULL, by t NOT NULL, reason t NOT NULL,"
     " updated i NOT NULL",
     "coll, id COLLATE BINARY", "PRIMARY KEY(coll, id)", STORE_TABLE_NOROWID, NULL},
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
    {"audit_witness",
     "partner i NOT NULL, seq i NOT NULL, hash t NOT NULL, line t NOT NULL, received i NOT NULL",
     "partner, seq, hash COLLATE BINARY", "PRIMARY KEY(partner, seq, hash)", STORE_TABLE_NOROWID,
     NULL},
};
#define N_TABLES (sizeof tables / sizeof tables[0])

/* Pages walk a collection in date_added order; the policy and version columns in the page
 * index let the walk reject rows a caller may not see without reading them, and the desk's
 * filter and sort columns (type, modified, created_by_ref) let a filtered walk, a count and a
 * sort by modified read the index alone (migration 26; bench/RESULTS.md, "Collection
 * browser"): one index written in date_added order, appended to, not a second one. */
#define OBJECT_PAGE_INDEX                                                                          \
    "CREATE INDEX IF NOT EXISTS object_page ON object(coll, date_added, tlp, restricted,"          \
    " superseded, preceded, rel_mask, red_mask, type, modified, created_by_ref);"
static const char *const indexes =
    "CREATE UNIQUE INDEX IF NOT EXISTS object_version ON object(coll, id, modified);"
    "DROP INDEX IF EXISTS object_coll;" OBJECT_PAGE_INDEX
    "CREATE INDEX IF NOT EXISTS object_marking ON object(id, type)"
    " WHERE type = 'marking-definition';"
    "CREATE INDEX IF NOT EXISTS object_rfi ON object(id, type) WHERE type = 'liaison-rfi';"
    "CREATE INDEX IF NOT EXISTS object_extdef ON object(id, type)"
    " WHERE type = 'extension-definition';"
    "CREATE INDEX IF NOT EXISTS def_use_obj ON def_use(obj);"
    "CREATE INDEX IF NOT EXISTS group_member_partner ON group_member(partner, grp);"
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

/* CREATE TABLE IF NOT EXISTS tb, in pg's or SQLite's dialect, into q. */
static int table_ddl(struct dbuf *q, const struct store_table *tb, bool pg)
{
    if (!pg && tb->sqlite)
        return dbuf_printf(q, "%s;", tb->sqlite);
    struct ddl d = {q, pg, true};
    int rc = dbuf_printf(q, "CREATE TABLE IF NOT EXISTS %s(", tb->name);
    rc = rc ? rc : each_column(tb, column_ddl, &d);
    if (rc == 0 && tb->extra)
        rc = dbuf_printf(q, ", %s", tb->extra);
    return rc ? rc
              : dbuf_printf(q, ")%s;",
                            !pg && tb->flags & STORE_TABLE_NOROWID ? " WITHOUT ROWID" : "");
}

static int create_tables(struct store_txn *t, struct lia_err *err)
{
    const struct store_backend *be = t->store->be;
    bool pg = be == &store_pg;
    struct dbuf q;
    dbuf_init(&q, 64 * 1024);
    int rc = 0;
    for (size_t i = 0; i < N_TABLES && rc == 0; i++)
        rc = table_ddl(&q, &tables[i], pg);
    if (rc == 0)
        rc = be->script(t->conn, q.ptr, err);
    else
        lia_err_set(err, rc, "store: schema too large");
    dbuf_release(&q);
    return rc;
}

/* A store made before migrations were numbered: brought to the baseline (see the header). */
static int upgrade_legacy(struct store_txn *t, int have, struct lia_err *err)
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
    dbuf_release(&q);
    return rc;
}

static int set_version(struct store_txn *t, int version, struct lia_err *err)
{
    char v[16];
    snprintf(v, sizeof v, "%d", version);
    return store_do(t->conn, &store_meta_set_sql, SV(sv_text("schema_version"), sv_text(v)), NULL,
                    "schema", err);
}

/* The numbered migrations after the baseline, in order (docs/upgrades.md says how to add
 * one). table: the descriptor's table the migration creates (column NULL) or adds column to;
 * sql (may be NULL): statements valid on both backends and idempotent (IF NOT EXISTS), run on
 * new stores too; fill (may be NULL): computes the new column for the rows already there. A
 * migration that names no table may have a fill instead: a step of one backend (it asks
 * t->store->be) or the rows it is about, idempotent, run on existing and new stores alike. */
struct migration {
    int version;
    const char *what; /* for the log and `liaison migrate` */
    const char *table, *column, *sql;
    int (*fill)(struct store_txn *t, struct lia_err *err);
};
static int fill_digests(struct store_txn *t, struct lia_err *err);
static int search_index(struct store_txn *t, struct lia_err *err);
static const struct migration migrations[] = {
    {STORE_SCHEMA_BASELINE, "the baseline: every table of liaison 86ec030", NULL, NULL, NULL, NULL},
    {6, "object.digest: each version's text digest, so that changed bytes are found (issue 16)",
     "object", "digest", NULL, fill_digests},
    {7, "sharing_group: multilateral sharing groups (issue 18)", "sharing_group", NULL, NULL, NULL},
    {8, "group_member: the partners of each sharing group", "group_member", NULL, NULL, NULL},
    {9, "group_grant: a sharing group's rights on collections", "group_grant", NULL, NULL, NULL},
    {10, "def_use: the extension-definitions each object version uses (issue 27.4)", "def_use",
     NULL, NULL, NULL},
    {11, "watch_token: the token a watch was made with, so its webhook stops with it",
     "watch_token", NULL, NULL, NULL},
    {12, "person: the people of this instance and their roles (issue 20)", "person", NULL, NULL,
     NULL},
    {13, "person_token: which tokens act for which person", "person_token", NULL, NULL, NULL},
    {14, "release: versions held for a second person's approval", "release", NULL, NULL, NULL},
    {15, "release_rule: the four-eyes release policy", "release_rule", NULL, NULL, NULL},
    {16, "partner_four_eyes: partners that receive only approved versions", "partner_four_eyes",
     NULL, NULL, NULL},
    {17, "retention: review interval and retention limit per collection", "retention", NULL, NULL,
     NULL},
    {18, "review: each object's review date once extended", "review", NULL, NULL, NULL},
    {19, "peer_setting: a peer's Basic login and timeouts (issue 25)", "peer_setting", NULL, NULL,
     NULL},
    {20, "partner_key: partners' rotated signing keys and until when they verify", "partner_key",
     NULL, NULL, NULL},
    {21, "audit_witness: the signed audit checkpoints partners sent of their logs (issue 27.2)",
     "audit_witness", NULL, NULL, NULL},
    {22, "flow: each liaison-flow version's rows, one per commodity (issue 19)", "flow", NULL, NULL,
     NULL},
    {23, "flow_via: the places each flow passes through", "flow_via", NULL, NULL, NULL},
    {24, "place_of: where each location of a collection lies", "place_of", NULL, NULL, NULL},
    {25, "place_in: every place a location lies within", "place_in", NULL, NULL, NULL},
    {26,
     "object_page: also type, modified and created_by_ref, so that the desk's filters, counts"
     " and sort read the page index, not the rows (issue 21)",
     NULL, NULL, "DROP INDEX IF EXISTS object_page;" OBJECT_PAGE_INDEX, NULL},
    {27,
     "search: a trigram index on PostgreSQL (pg_trgm), so that search does not read every"
     " row (issue 21.4)",
     NULL, NULL, NULL, search_index},
    {28, "flow rows of the flows and locations stored before migration 22 (issue 19)", NULL, NULL,
     NULL, store_fill_flow_rows},
};
#define N_MIGRATIONS (sizeof migrations / sizeof migrations[0])

struct digest_row {
    int64_t added;
    const char *json;
};
static const struct store_field digest_fields[] = {FIELD(struct digest_row, added, 'i'),
                                                   FIELD(struct digest_row, json, 't')};
STORE_ROW_FN(digest_row, digest_fields)

/* Migration 6: the digest of every version already stored, a thousand rows at a time. */
static int fill_digests(struct store_txn *t, struct lia_err *err)
{
    static struct sq next = SQ("SELECT date_added, json FROM object WHERE date_added > ?"
                               " ORDER BY date_added LIMIT 1000");
    static struct sq set = SQ("UPDATE object SET digest = ? WHERE date_added = ?");
    int64_t after = INT64_MIN;
    int rc = 0;
    for (size_t n = 1; n && rc == 0;) {
        struct arena a;
        arena_init(&a, 0);
        struct store_args b;
        store_args_init(&b, &a);
        struct digest_row *rows = NULL;
        rc = store_args_add(&b, sv_int(after));
        rc = rc ? rc
                : store_list_text(t->conn, next.sql, strlen(next.sql), &b, sizeof *rows, digest_row,
                                  &a, (void **)&rows, &n, "digests", err);
        for (size_t i = 0; i < n && rc == 0; i++) {
            char d[STORE_DIGEST_HEX];
            store_digest(rows[i].json, strlen(rows[i].json), d);
            rc = store_do(t->conn, &set, SV(sv_text(d), sv_int(rows[i].added)), NULL, "digests",
                          err);
            after = rows[i].added;
        }
        arena_release(&a);
    }
    return rc;
}

/* Migration 27: PostgreSQL's search text gets the trigram index its LIKE uses (SQLite's
 * search table is an FTS5 trigram index already). pg_trgm is a trusted extension: a database
 * owner may create it without being superuser (docs/scale-out.md). The planner's estimate of
 * how many rows contain a text comes from a histogram of the indexed text: at the default
 * 100 entries a word in 2% of the rows is often missed, and a page of a common word is then
 * made from every match (0.85 s for one with 17,000 matches on 1M objects); 1,000 entries
 * find it (bench/RESULTS.md, "Search on 1,000,000 objects"). */
static int search_index(struct store_txn *t, struct lia_err *err)
{
    if (t->store->be != &store_pg)
        return 0;
    return t->store->be->script(t->conn,
                                "CREATE EXTENSION IF NOT EXISTS pg_trgm;"
                                "CREATE INDEX IF NOT EXISTS search_trigram ON search"
                                " USING gin (lower(body) gin_trgm_ops);"
                                "ALTER INDEX search_trigram ALTER COLUMN 1 SET STATISTICS 1000;",
                                err);
}

int store_schema_latest(void)
{
    return migrations[N_MIGRATIONS - 1].version;
}

/* The tables a store at the baseline has: every other table of the descriptor must be made by
 * a migration (test_store checks it, so that a table added without one is caught). */
static const char *const baseline_tables[] = {"meta",   "collection",  "partner",    "grant_right",
                                              "object", "search",      "audience",   "status",
                                              "token",  "peer",        "checkpoint", "provenance",
                                              "watch",  "watch_event", "audit"};

const char *store_schema_unmigrated(void)
{
    for (size_t i = 0; i < N_TABLES; i++) {
        bool known = false;
        for (size_t k = 0; k < sizeof baseline_tables / sizeof *baseline_tables; k++)
            known = known || !strcmp(tables[i].name, baseline_tables[k]);
        for (size_t k = 0; k < N_MIGRATIONS; k++)
            known = known || (migrations[k].table && !migrations[k].column &&
                              !strcmp(migrations[k].table, tables[i].name));
        if (!known)
            return tables[i].name;
    }
    for (size_t k = 1; k < N_MIGRATIONS; k++)
        if (migrations[k].version != migrations[k - 1].version + 1)
            return migrations[k].what;
    return NULL;
}

static const struct store_table *table_named(const char *name)
{
    for (size_t i = 0; i < N_TABLES; i++)
        if (!strcmp(tables[i].name, name))
            return &tables[i];
    return NULL;
}

struct find_column {
    const char *name;
    struct dbuf *q;
    bool pg, found;
};

static int add_named_column(const char *name, size_t nlen, char kind, const char *rest, size_t rlen,
                            void *ctx)
{
    struct find_column *f = ctx;
    if (strlen(f->name) != nlen || memcmp(f->name, name, nlen))
        return 0;
    f->found = true;
    struct ddl d = {f->q, f->pg, true};
    return column_ddl(name, nlen, kind, rest, rlen, &d);
}

/* Migration m on an existing store: its table or column (from the descriptor; nothing when the
 * store already has it), its statements, its fill. */
static int apply_migration(struct store_txn *t, const struct migration *m, struct lia_err *err)
{
    const struct store_backend *be = t->store->be;
    bool pg = be == &store_pg;
    const struct store_table *tb = m->table ? table_named(m->table) : NULL;
    if (m->table && !tb)
        return lia_err_set(err, LIA_EINTERNAL,
                           "store: migration %d names table %s, which the "
                           "schema does not have",
                           m->version, m->table);
    struct dbuf q;
    dbuf_init(&q, 64 * 1024);
    int rc = 0;
    bool fill = false;
    if (tb && !m->column && !column_exists(t->conn, tb->name, "1", 1)) {
        rc = table_ddl(&q, tb, pg);
    } else if (tb && m->column && !column_exists(t->conn, tb->name, m->column, strlen(m->column))) {
        struct find_column f = {m->column, &q, pg, false};
        rc = dbuf_printf(&q, "ALTER TABLE %s ADD COLUMN ", tb->name);
        rc = rc ? rc : each_column(tb, add_named_column, &f);
        if (rc == 0 && !f.found)
            rc = lia_err_set(err, LIA_EINTERNAL,
                             "store: migration %d names column %s.%s, which "
                             "the schema does not have",
                             m->version, m->table, m->column);
        rc = rc ? rc : dbuf_puts(&q, ";");
        fill = true;
    }
    if (rc == 0 && m->sql)
        rc = dbuf_puts(&q, m->sql);
    if (rc == 0 && q.len)
        rc = be->script(t->conn, q.ptr, err);
    if (rc == 0 && (fill || !tb) && m->fill)
        rc = m->fill(t, err);
    dbuf_release(&q);
    return rc;
}

/* A database with no liaison schema that holds tables of liaison's names belongs to something
 * else: creating ours beside (or into) them would fail half-way or mix two applications. */
static int refuse_foreign(struct store_txn *t, struct lia_err *err)
{
    char found[256] = "";
    size_t used = 0, n = 0;
    for (size_t i = 0; i < N_TABLES; i++) {
        if (!column_exists(t->conn, tables[i].name, "1", 1))
            continue;
        int w = snprintf(found + used, sizeof found - used, "%s%s", n ? ", " : "", tables[i].name);
        if (w > 0 && (size_t)w < sizeof found - used)
            used += (size_t)w;
        n++;
    }
    if (!n)
        return 0;
    return lia_err_set(err, LIA_ECONFLICT,
                       "store: %s holds %zu table%s of liaison's names (%s) but no liaison schema "
                       "version: they were made by something else, or by a failed setup; "
                       "nothing was changed. Use an empty database (createdb), or drop those "
                       "tables if they are liaison's and hold nothing",
                       t->store->redacted, n, n == 1 ? "" : "s", found);
}

/* A new store: every table, index and migration statement, recorded at the latest version. */
static int create_new(struct store_txn *t, struct lia_err *err)
{
    const struct store_backend *be = t->store->be;
    int rc = refuse_foreign(t, err);
    rc = rc ? rc : create_tables(t, err);
    rc = rc ? rc : be->script(t->conn, indexes, err);
    if (rc == 0 && be->schema_extra)
        rc = be->script(t->conn, be->schema_extra, err);
    for (size_t i = 0; i < N_MIGRATIONS && rc == 0; i++) {
        if (migrations[i].sql)
            rc = be->script(t->conn, migrations[i].sql, err);
        if (rc == 0 && !migrations[i].table && migrations[i].fill)
            rc = migrations[i].fill(t, err);
    }
    if (rc == 0) {
        /* next tokens made by any node must verify on every node: one key, made here. */
        unsigned char key[32];
        char hex[65];
        randombytes_buf(key, sizeof key);
        sodium_bin2hex(hex, sizeof hex, key, sizeof key);
        rc = store_do(t->conn, &store_meta_set_sql, SV(sv_text("next_token_key"), sv_text(hex)),
                      NULL, "schema", err);
    }
    return rc ? rc : set_version(t, store_schema_latest(), err);
}

/* An existing store at version have: every migration after it, in order. */
static int migrate(struct store_txn *t, int have, struct lia_err *err)
{
    int rc = 0;
    bool ran = false;
    if (have < STORE_SCHEMA_BASELINE) {
        rc = create_tables(t, err);
        rc = rc ? rc : upgrade_legacy(t, have, err);
        rc = rc ? rc : set_version(t, STORE_SCHEMA_BASELINE, err);
        if (rc == 0)
            lia_log(LIA_LOG_INFO, "store_migrated", "\"version\":%d,\"from\":%d",
                    STORE_SCHEMA_BASELINE, have);
        have = STORE_SCHEMA_BASELINE;
    }
    for (size_t i = 0; i < N_MIGRATIONS && rc == 0; i++) {
        const struct migration *m = &migrations[i];
        if (m->version <= have)
            continue;
        struct lia_err inner;
        lia_err_clear(&inner);
        rc = apply_migration(t, m, &inner);
        rc = rc ? rc : set_version(t, m->version, &inner);
        if (rc)
            return lia_err_set(err, rc,
                               "store: migration %d (%s) failed: %s; nothing was changed (the "
                               "store stays at version %d)",
                               m->version, m->what, inner.msg, have);
        lia_log(LIA_LOG_INFO, "store_migrated", "\"version\":%d,\"from\":%d", m->version,
                m->version - 1);
        ran = true;
    }
    /* Indexes and the backend's extras (triggers) are idempotent and may name tables a
     * migration just added: made again after any migration, as for a new store. */
    if (rc == 0 && ran)
        rc = t->store->be->script(t->conn, indexes, err);
    if (rc == 0 && ran && t->store->be->schema_extra)
        rc = t->store->be->script(t->conn, t->store->be->schema_extra, err);
    return rc;
}

/* The command that migrates the store at s (for messages). */
static void migrate_command(const struct store *s, char *out, size_t n)
{
    const char *loc = s->location;
    size_t len = strlen(loc);
    static const char file[] = "/liaison.db";
    if (s->be == &store_pg)
        snprintf(out, n, "liaison migrate --data DIR` (or `--store URL");
    else if (len > sizeof file - 1 && !strcmp(loc + len - (sizeof file - 1), file))
        snprintf(out, n, "liaison migrate --data %.*s", (int)(len - (sizeof file - 1)), loc);
    else
        snprintf(out, n, "liaison migrate --store %s", loc);
}

int store_schema_apply(struct store *s, struct store_conn *c, const struct store_options *o,
                       struct lia_err *err)
{
    const struct store_backend *be = s->be;
    int latest = store_schema_latest();
    int have = read_version(c);
    s->schema_found = have;
    if (have == 0 && !o->create && be != &store_pg) /* a database, but not a liaison store */
        return lia_err_set(err, LIA_EIO,
                           "store: %s holds no liaison store (no schema version): damaged, or "
                           "not made by `liaison init`; nothing was changed. Run `liaison store "
                           "check` on it",
                           s->redacted);
    if (have > latest)
        return lia_err_set(err, LIA_EUNSUPPORTED,
                           "store: %s has schema version %d; this liaison knows up to %d: it was "
                           "written by a newer liaison, which it needs",
                           s->redacted, have, latest);
    if (have == latest)
        return 0;
    if (have == 0 && !o->create && !o->migrate)
        return lia_err_set(err, LIA_ENOTFOUND,
                           "store: %s holds no liaison schema (run `liaison init --store URL`"
                           " or `liaison migrate --store URL` first)",
                           s->redacted);
    char cmd[512];
    migrate_command(s, cmd, sizeof cmd);
    if (have > 0 && !o->migrate)
        return lia_err_set(err, LIA_EUNSUPPORTED,
                           "store: %s has schema version %d and this liaison needs %d: run `%s` "
                           "(back it up first: docs/upgrades.md); nothing was changed",
                           s->redacted, have, latest, cmd);
    struct store_txn *t;
    int rc = store_schema_begin(s, c, &t, err);
    if (rc)
        return rc;
    /* again under the lock (another process may have migrated); a new PostgreSQL database has
     * no meta table, and a failed read would end the transaction */
    have = column_exists(c, "meta", "key", 3) ? read_version(c) : 0;
    if (have == 0)
        rc = create_new(t, err);
    else if (have < latest)
        rc = migrate(t, have, err);
    if (rc == 0)
        rc = be->commit(t, false, err);
    else
        be->rollback(t);
    store_schema_end(t);
    return rc;
}

int store_schema_version(struct store *s, int *found, int *now)
{
    *found = s->schema_found;
    *now = store_schema_latest();
    return 0;
}

int store_health(struct store *s, struct lia_err *err)
{
    struct store_conn *c;
    int rc = store_acquire(s, &c, err);
    if (rc)
        return rc;
    struct arena a;
    arena_init(&a, 0);
    char *v = NULL;
    rc = store_one(c, &store_meta_get_sql, SV(sv_text("schema_version")), store_row_str, &a, &v,
                   "no schema version", "health", err);
    int have = rc == 0 && v ? (int)strtol(v, NULL, 10) : 0;
    arena_release(&a);
    store_release(s, c);
    if (rc == 0 && have != store_schema_latest())
        rc = lia_err_set(err, LIA_EUNSUPPORTED,
                         "store: %s has schema version %d; this liaison serves %d only (migrated "
                         "by a newer liaison?)",
                         s->redacted, have, store_schema_latest());
    return rc;
}
