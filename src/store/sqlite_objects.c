/*
 * Object versions in the SQLite backend: put, the policy-aware query (the one
 * gate of design.md invariant 1) and delete.
 *
 * The query is assembled from fixed SQL fragments with every value bound as a
 * parameter: nothing a client sends is ever pasted into SQL text. The policy
 * becomes a predicate on the same rows (and on the rows used to decide which
 * version is "last" or "first"), so that an invisible version can neither be
 * returned nor influence what is returned.
 */
#include "store/pg_int.h"

#include <stdio.h>
#include <string.h>

#define MAX_BINDS 1200

struct bind_value {
    bool is_text;
    int64_t i;
    const char *t;
};

/* Values bound to a generated query, in order: starts small, grows in the arena. */
struct binds {
    int n, cap;
    struct bind_value *v;
    struct bind_value inline_v[24];
    struct arena *a;
};

static void binds_init(struct binds *b, struct arena *a)
{
    b->n = 0;
    b->cap = (int)(sizeof b->inline_v / sizeof b->inline_v[0]);
    b->v = b->inline_v;
    b->a = a;
}

static struct bind_value *bind_next(struct binds *b)
{
    if (b->n >= MAX_BINDS)
        return NULL;
    if (b->n == b->cap) {
        struct bind_value *bigger =
            b->a ? arena_alloc(b->a, 2 * (size_t)b->cap * sizeof *bigger) : NULL;
        if (!bigger)
            return NULL;
        memcpy(bigger, b->v, (size_t)b->n * sizeof *bigger);
        b->v = bigger;
        b->cap *= 2;
    }
    return &b->v[b->n++];
}

static int bind_int(struct binds *b, int64_t v)
{
    struct bind_value *x = bind_next(b);
    if (!x)
        return LIA_ETOOBIG;
    x->is_text = false;
    x->i = v;
    return 0;
}

static int bind_text(struct binds *b, const char *t)
{
    struct bind_value *x = bind_next(b);
    if (!x)
        return LIA_ETOOBIG;
    x->is_text = true;
    x->t = t;
    return 0;
}

static int apply_binds(sqlite3_stmt *st, const struct binds *b)
{
    for (int i = 0; i < b->n; i++) {
        int rc = b->v[i].is_text ? sqlite3_bind_text(st, i + 1, b->v[i].t, -1, SQLITE_STATIC)
                                 : sqlite3_bind_int64(st, i + 1, b->v[i].i);
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

const char *const sqlite_remask_sql =
    "UPDATE object SET"
    " rel_mask = coalesce((SELECT sum(1 << (a.partner - 1)) FROM audience a"
    "   WHERE a.obj = object.date_added AND a.kind = 1 AND a.partner BETWEEN 1 AND 63), 0),"
    " red_mask = coalesce((SELECT sum(1 << (a.partner - 1)) FROM audience a"
    "   WHERE a.obj = object.date_added AND a.kind = 2 AND a.partner BETWEEN 1 AND 63), 0)";
_Static_assert(AUDIENCE_REL == 1 && AUDIENCE_RED == 2, "sqlite_remask_sql names the kinds");

/* The audience bits of partners 1..63 (the rest are in the audience table only). */
static int64_t audience_mask(const int64_t *partners, size_t n)
{
    uint64_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (partners[i] >= 1 && partners[i] <= SQLITE_MASK_MAX_PARTNER)
            m |= (uint64_t)1 << (partners[i] - 1);
    return (int64_t)m;
}

/* Whether the caller is named in the audience of `kind` of row `o`: its bit in the row's
 * mask when it has one (the mask is in the page index: no look-up), else its audience row. */
static int audience_sql(struct dbuf *q, void *ctx, const struct store_policy *p, const char *o,
                        int kind)
{
    struct binds *b = ctx;
    if (p->partner >= 1 && p->partner <= SQLITE_MASK_MAX_PARTNER) {
        int rc =
            dbuf_printf(q, "(%s.%s & ?) <> 0", o, kind == AUDIENCE_REL ? "rel_mask" : "red_mask");
        return rc ? rc : bind_int(b, (int64_t)((uint64_t)1 << (p->partner - 1)));
    }
    int rc = dbuf_printf(q,
                         "EXISTS(SELECT 1 FROM audience a WHERE a.obj = %s.date_added"
                         " AND a.kind = %d AND a.partner = ?)",
                         o, kind);
    return rc ? rc : bind_int(b, p->partner);
}

/* The visibility predicate for rows aliased `o` (invariant 1; store/policy.c). */
static int policy_sql(struct dbuf *q, struct binds *b, const struct store_policy *p,
                      int default_tlp, const char *o)
{
    return store_policy_sql(q, p, default_tlp, o, audience_sql, b);
}

static int in_list_text(struct dbuf *q, struct binds *b, const char *col, const char *const *vals,
                        size_t n)
{
    if (n == 0)
        return 0;
    int rc = dbuf_printf(q, " AND %s IN (", col);
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = dbuf_puts(q, i ? ",?" : "?");
        if (rc == 0)
            rc = bind_text(b, vals[i]);
    }
    return rc ? rc : dbuf_puts(q, ")");
}

static int access_read(struct sqlite_conn *c, int64_t partner, int64_t coll, int *found,
                       int *default_tlp, int *can_read, int *can_write, struct lia_err *err);

/* Looks up the collection's default TLP and whether policy p may read it. */
static int collection_access(struct sqlite_conn *c, const struct store_policy *p, int64_t coll,
                             bool need_write, int *default_tlp, struct lia_err *err)
{
    struct access_row {
        int found, default_tlp, can_read, can_write;
    } row;
    if (!sqlite_cache_get(c, CACHE_ACCESS, p->partner, coll, NULL, &row, sizeof row, NULL, 0,
                          NULL)) {
        memset(&row, 0, sizeof row);
        int rc = access_read(c, p->partner, coll, &row.found, &row.default_tlp, &row.can_read,
                             &row.can_write, err);
        if (rc)
            return rc;
        sqlite_cache_put(c, CACHE_ACCESS, p->partner, coll, NULL, &row, sizeof row, NULL, 0);
    }
    if (!row.found)
        return lia_err_set(err, LIA_ENOTFOUND, "no such collection");
    *default_tlp = row.default_tlp;
    if (!p->all && !(need_write ? row.can_write : row.can_read))
        return lia_err_set(err, LIA_ENOTFOUND, "no such collection");
    return 0;
}

/* Reads the collection's default TLP and the partner's rights on it; *found = 0 when the
 * collection does not exist. */
static int access_read(struct sqlite_conn *c, int64_t partner, int64_t coll, int *found,
                       int *default_tlp, int *can_read, int *can_write, struct lia_err *err)
{
    sqlite3_stmt *st = NULL;
    const char *sql = "SELECT c.default_tlp, g.can_read, g.can_write FROM collection c"
                      " LEFT JOIN grant_right g ON g.coll = c.rid AND g.partner = ?"
                      " WHERE c.rid = ?";
    int rc = sqlite_stmt(c, STMT_COLLECTION_ACCESS, sql, &st, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, partner);
    sqlite3_bind_int64(st, 2, coll);
    rc = sqlite3_step(st);
    int out = 0;
    if (rc == SQLITE_ROW) {
        *found = 1;
        *default_tlp = sqlite3_column_int(st, 0);
        *can_read = sqlite3_column_int(st, 1) != 0;
        *can_write = sqlite3_column_int(st, 2) != 0;
    } else if (rc == SQLITE_DONE) {
        *found = 0;
    } else {
        out = sqlite_fail(c->db, rc, err, "read collection");
    }
    sqlite3_reset(st);
    return out;
}

/* WHERE clause shared by query and delete: collection, filters, policy, versions. */
static int where_sql(struct dbuf *q, struct binds *b, const struct store_policy *p, int default_tlp,
                     int64_t coll, const struct store_filter *f, const char *id)
{
    int64_t after = f->added_after > f->after_key ? f->added_after : f->after_key;
    int rc = dbuf_puts(q, " WHERE o.coll = ? AND o.date_added > ?");
    if (rc == 0)
        rc = bind_int(b, coll);
    if (rc == 0)
        rc = bind_int(b, after);
    if (rc == 0 && id) {
        rc = dbuf_puts(q, " AND o.id = ?");
        if (rc == 0)
            rc = bind_text(b, id);
    }
    if (rc == 0 && !id)
        rc = in_list_text(q, b, "o.id", f->ids, f->n_ids);
    if (rc == 0)
        rc = in_list_text(q, b, "o.type", f->types, f->n_types);
    if (rc == 0)
        rc = in_list_text(q, b, "o.spec_version", f->spec_versions, f->n_spec_versions);
    if (rc == 0 && f->text_match) {
        /* Substring search over the normalised text: LIKE on the trigram index (which
         * detail='none' keeps at half the cost of positional data on every write). */
        size_t n = strlen(f->text_match);
        char *pattern = b->a ? arena_alloc(b->a, 2 * n + 3) : NULL;
        if (!pattern)
            return LIA_ENOMEM;
        size_t k = 0;
        pattern[k++] = '%';
        for (size_t i = 0; i < n; i++) {
            char ch = f->text_match[i];
            if (ch == '%' || ch == '_' || ch == '\\')
                pattern[k++] = '\\';
            pattern[k++] = ch;
        }
        pattern[k++] = '%';
        pattern[k] = '\0';
        rc = dbuf_puts(q, " AND o.date_added IN (SELECT rowid FROM search WHERE body LIKE ?"
                          " ESCAPE '\\')");
        if (rc == 0)
            rc = bind_text(b, pattern);
    }
    if (rc == 0)
        rc = policy_sql(q, b, p, default_tlp, "o");

    int sel = f->version_sel ? f->version_sel : (f->n_version_at ? 0 : STORE_VER_LAST);
    if (rc || (sel & STORE_VER_ALL))
        return rc;
    rc = dbuf_puts(q, " AND (0");
    for (int k = 0; k < 2 && rc == 0; k++) {
        int bit = k == 0 ? STORE_VER_LAST : STORE_VER_FIRST;
        if (!(sel & bit))
            continue;
        /* superseded / preceded say, kept at write time, whether any later / earlier
         * version exists at all. Without one the row is the last / first for everyone; with
         * one, it still is for a caller who may see none of those versions. */
        const char *flag = bit == STORE_VER_LAST ? "superseded" : "preceded";
        rc = dbuf_printf(q, " OR o.%s = 0", flag);
        if (rc || p->all)
            continue;
        rc = dbuf_printf(q,
                         " OR NOT EXISTS(SELECT 1 FROM object o2 WHERE o2.coll = o.coll"
                         " AND o2.id = o.id AND o2.modified %c o.modified",
                         bit == STORE_VER_LAST ? '>' : '<');
        if (rc == 0)
            rc = policy_sql(q, b, p, default_tlp, "o2");
        if (rc == 0)
            rc = dbuf_puts(q, ")");
    }
    for (size_t i = 0; i < f->n_version_at && rc == 0; i++) {
        rc = dbuf_puts(q, " OR o.modified = ?");
        if (rc == 0)
            rc = bind_int(b, f->version_at[i]);
    }
    return rc ? rc : dbuf_puts(q, ")");
}

int store_query_objects(struct store *s, const struct store_policy *p, int64_t coll,
                        const struct store_filter *f, bool with_json, struct arena *a,
                        struct store_page *out, struct lia_err *err)
{
    if (s->pg)
        return pgstore_query_objects(s, p, coll, f, with_json, a, out, err);
    memset(out, 0, sizeof *out);
    if (f->limit == 0)
        return lia_err_set(err, LIA_EINVAL, "limit must be positive");
    struct sqlite_conn *c;
    int rc = sqlite_acquire(s, &c, err);
    if (rc)
        return rc;
    int default_tlp = STORE_TLP_AMBER;
    rc = collection_access(c, p, coll, false, &default_tlp, err);
    struct dbuf q;
    dbuf_init(&q, 256 * 1024);
    struct binds bb, *b = &bb;
    binds_init(b, a);
    sqlite3_stmt *st = NULL;
    if (rc == 0)
        rc = dbuf_printf(&q,
                         "SELECT o.date_added, o.id, o.modified_text, o.spec_version%s"
                         " FROM object o%s",
                         with_json ? ", o.json" : "",
                         /* Without statistics SQLite would rather walk the collection in
                          * date_added order than look ids up; a few ids are far cheaper
                          * found directly and sorted. */
                         f->n_ids ? " INDEXED BY object_version" : "");
    /* The plain read of one object (GET .../objects/ID/ with no other filter): its last
     * version the policy lets the caller see is the first row of that object's versions,
     * newest first, that passes the same policy predicate: the same answer as the general
     * query's NOT EXISTS, found by one index seek instead of a sort. */
    int sel = f->version_sel ? f->version_sel : (f->n_version_at ? 0 : STORE_VER_LAST);
    bool one_last = f->n_ids == 1 && sel == STORE_VER_LAST && f->n_version_at == 0 &&
                    f->n_types == 0 && f->n_spec_versions == 0 && !f->text_match &&
                    f->added_after == 0 && f->after_key == 0;
    if (rc == 0 && one_last) {
        rc = dbuf_puts(&q, " WHERE o.coll = ? AND o.id = ?");
        if (rc == 0)
            rc = bind_int(b, coll);
        if (rc == 0)
            rc = bind_text(b, f->ids[0]);
        if (rc == 0)
            rc = policy_sql(&q, b, p, default_tlp, "o");
        if (rc == 0)
            rc = dbuf_puts(&q, " ORDER BY o.modified DESC LIMIT 1");
    } else {
        if (rc == 0)
            rc = where_sql(&q, b, p, default_tlp, coll, f, NULL);
        if (rc == 0)
            rc = dbuf_puts(&q, " ORDER BY o.date_added LIMIT ?");
        if (rc == 0)
            rc = bind_int(b, (int64_t)f->limit + 1);
    }
    if (rc == LIA_ETOOBIG)
        rc = lia_err_set(err, LIA_ETOOBIG, "query has too many terms");
    else if (rc && !err->code)
        rc = lia_err_set(err, rc, "cannot build query");
    if (rc == 0)
        rc = sqlite_stmt_sql(c, q.ptr, q.len, &st, err);
    if (rc == 0) {
        int src = apply_binds(st, b);
        if (src != SQLITE_OK)
            rc = sqlite_fail(c->db, src, err, "bind query");
    }
    /* Rows grow by doubling: a by-id read with the default page size must not zero a
     * thousand rows it will never fill. */
    size_t cap = f->limit < 16 ? f->limit : 16;
    if (rc == 0) {
        out->rows = arena_alloc(a, sizeof *out->rows * cap);
        if (!out->rows)
            rc = lia_err_set(err, LIA_ENOMEM, "page too large for the request's memory limit");
    }
    while (rc == 0) {
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE)
            break;
        if (step != SQLITE_ROW) {
            rc = sqlite_fail(c->db, step, err, "query");
            break;
        }
        if (out->n == f->limit) {
            out->more = true;
            break;
        }
        if (out->n == cap) {
            size_t bigger = cap * 2 < f->limit ? cap * 2 : f->limit;
            struct store_row *grown = arena_alloc(a, sizeof *grown * bigger);
            if (!grown) {
                rc = lia_err_set(err, LIA_ETOOBIG, "page too large for the request's memory limit");
                break;
            }
            memcpy(grown, out->rows, sizeof *grown * out->n);
            out->rows = grown;
            cap = bigger;
        }
        struct store_row *r = &out->rows[out->n];
        r->date_added = sqlite3_column_int64(st, 0);
        r->id = sqlite_column_dup(st, 1, a);
        r->modified = sqlite_column_dup(st, 2, a);
        r->spec_version = sqlite_column_dup(st, 3, a);
        if (with_json) {
            r->json_len = (size_t)sqlite3_column_bytes(st, 4);
            r->json = arena_strndup(a, (const char *)sqlite3_column_text(st, 4), r->json_len);
        }
        if (!r->id || !r->spec_version || (with_json && !r->json)) {
            rc = lia_err_set(err, LIA_ETOOBIG, "page too large for the request's memory limit");
            break;
        }
        out->n++;
    }
    if (st)
        sqlite3_reset(st); /* cached: reset, never finalize (and end the read snapshot) */
    dbuf_release(&q);
    sqlite_release(s, c);
    if (rc)
        out->n = 0;
    return rc;
}

static int put_audience(struct store_txn *t, int64_t obj, int kind, const int64_t *partners,
                        size_t n, struct lia_err *err)
{
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *st = NULL;
        int rc = sqlite_stmt(t->conn, STMT_PUT_AUDIENCE,
                             "INSERT OR IGNORE INTO audience(obj, kind, partner) VALUES(?,?,?)",
                             &st, err);
        if (rc)
            return rc;
        sqlite3_bind_int64(st, 1, obj);
        sqlite3_bind_int(st, 2, kind);
        sqlite3_bind_int64(st, 3, partners[i]);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return sqlite_fail(t->conn->db, rc, err, "store audience");
    }
    return 0;
}

/* Recomputes superseded and preceded (after a delete; and for stores older than schema 3). */
const char *const sqlite_reflag_sql =
    "UPDATE object SET"
    " superseded = EXISTS(SELECT 1 FROM object n WHERE n.coll = object.coll AND n.id = object.id"
    "   AND n.modified > object.modified),"
    " preceded = EXISTS(SELECT 1 FROM object n WHERE n.coll = object.coll AND n.id = object.id"
    "   AND n.modified < object.modified)";

/* A new version (coll, id, modified) was inserted as row `added`: older versions are now
 * superseded and newer ones preceded (the new row got its own flags in the INSERT). Only
 * rows whose flag changes are written. The first version of an object, the common case,
 * has neither flag, so there is nothing to mark: the UPDATE is not even run, because any
 * writing statement makes the FTS5 search table flush its pending terms (a savepoint),
 * which cost a third of ingest time. */
static int mark_versions(struct store_txn *t, int64_t coll, const char *id, int64_t modified,
                         int64_t added, struct lia_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc =
        sqlite_stmt(t->conn, STMT_OWN_FLAGS,
                    "SELECT superseded OR preceded FROM object WHERE date_added = ?", &st, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, added);
    int step = sqlite3_step(st);
    bool neighbours = step == SQLITE_ROW && sqlite3_column_int(st, 0) != 0;
    sqlite3_reset(st);
    if (step != SQLITE_ROW)
        return sqlite_fail(t->conn->db, step, err, "read version flags");
    if (!neighbours)
        return 0;
    rc = sqlite_stmt(t->conn, STMT_MARK_VERSIONS,
                     "UPDATE object SET superseded = superseded OR modified < ?3,"
                     " preceded = preceded OR modified > ?3"
                     " WHERE coll = ?1 AND id = ?2"
                     " AND ((modified < ?3 AND superseded = 0)"
                     "   OR (modified > ?3 AND preceded = 0))",
                     &st, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, coll);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, modified);
    step = sqlite3_step(st);
    sqlite3_reset(st);
    return step == SQLITE_DONE ? 0 : sqlite_fail(t->conn->db, step, err, "mark versions");
}

int store_put_object(struct store_txn *t, int64_t coll, const struct store_object *o, int *result,
                     int64_t *date_added, struct lia_err *err)
{
    if (t->pg)
        return pgstore_put_object(t, coll, o, result, date_added, err);
    sqlite3_stmt *st = NULL;
    int rc = sqlite_stmt(t->conn, STMT_PUT_OBJECT,
                         "INSERT INTO object(date_added, coll, id, type, spec_version, created,"
                         " modified, modified_text, created_by_ref, tlp, restricted, json,"
                         " rel_mask, red_mask, superseded, preceded)"
                         " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,"
                         " EXISTS(SELECT 1 FROM object n WHERE n.coll = ?2 AND n.id = ?3"
                         "   AND n.modified > ?7),"
                         " EXISTS(SELECT 1 FROM object n WHERE n.coll = ?2 AND n.id = ?3"
                         "   AND n.modified < ?7))"
                         " ON CONFLICT(coll, id, modified) DO NOTHING",
                         &st, err);
    if (rc)
        return rc;
    int64_t added = sqlite_next_added(t);
    sqlite3_bind_int64(st, 1, added);
    sqlite3_bind_int64(st, 2, coll);
    sqlite3_bind_text(st, 3, o->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, o->type, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, o->spec_version ? o->spec_version : "2.1", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, o->created_us);
    sqlite3_bind_int64(st, 7, o->modified_us);
    if (o->modified)
        sqlite3_bind_text(st, 8, o->modified, -1, SQLITE_STATIC);
    if (o->created_by_ref)
        sqlite3_bind_text(st, 9, o->created_by_ref, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 10, o->tlp);
    sqlite3_bind_int(st, 11, o->has_rel ? RESTRICTED_REL : 0);
    sqlite3_bind_text(st, 12, o->json, (int)o->json_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 13, audience_mask(o->rel_to, o->n_rel_to));
    sqlite3_bind_int64(st, 14, audience_mask(o->red_to, o->n_red_to));
    int step = sqlite3_step(st);
    sqlite3_reset(st);
    if (step != SQLITE_DONE)
        return sqlite_fail(t->conn->db, step, err, "store object");
    if (sqlite3_changes(t->conn->db) == 0) {
        rc = sqlite_stmt(t->conn, STMT_FIND_VERSION,
                         "SELECT date_added FROM object WHERE coll=? AND id=? AND modified=?", &st,
                         err);
        if (rc)
            return rc;
        sqlite3_bind_int64(st, 1, coll);
        sqlite3_bind_text(st, 2, o->id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, o->modified_us);
        step = sqlite3_step(st);
        if (step == SQLITE_ROW)
            *date_added = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        if (step != SQLITE_ROW)
            return sqlite_fail(t->conn->db, step, err, "find version");
        *result = STORE_PUT_EXISTS;
        return 0;
    }
    rc = mark_versions(t, coll, o->id, o->modified_us, added, err);
    if (rc)
        return rc;
    if (o->search_text && *o->search_text) {
        rc = sqlite_stmt(t->conn, STMT_PUT_SEARCH, "INSERT INTO search(rowid, body) VALUES(?, ?)",
                         &st, err);
        if (rc)
            return rc;
        sqlite3_bind_int64(st, 1, added);
        sqlite3_bind_text(st, 2, o->search_text, -1, SQLITE_STATIC);
        step = sqlite3_step(st);
        sqlite3_reset(st);
        if (step != SQLITE_DONE)
            return sqlite_fail(t->conn->db, step, err, "index object text");
    }
    rc = put_audience(t, added, AUDIENCE_REL, o->rel_to, o->n_rel_to, err);
    if (rc == 0)
        rc = put_audience(t, added, AUDIENCE_RED, o->red_to, o->n_red_to, err);
    if (rc)
        return rc;
    *date_added = added;
    *result = STORE_PUT_NEW;
    return 0;
}

int store_delete_object(struct store_txn *t, const struct store_policy *p, int64_t coll,
                        const char *id, const struct store_filter *f, struct arena *a,
                        struct store_row **gone, size_t *deleted, struct lia_err *err)
{
    if (t->pg)
        return pgstore_delete_object(t, p, coll, id, f, a, gone, deleted, err);
    *gone = NULL;
    int default_tlp = STORE_TLP_AMBER;
    int rc = collection_access(t->conn, p, coll, true, &default_tlp, err);
    if (rc)
        return rc;
    struct dbuf q;
    dbuf_init(&q, 64 * 1024);
    struct arena scratch;
    arena_init(&scratch, 0);
    struct binds b;
    binds_init(&b, &scratch);
    struct store_filter g = *f;
    g.added_after = g.after_key = 0;
    if (!g.version_sel && !g.n_version_at)
        g.version_sel = STORE_VER_ALL; /* DELETE without match[version] removes every version */
    rc = dbuf_puts(&q, "SELECT o.date_added, o.modified_text FROM object o"
                       " INDEXED BY object_version");
    if (rc == 0)
        rc = where_sql(&q, &b, p, default_tlp, coll, &g, id);
    if (rc) {
        dbuf_release(&q);
        arena_release(&scratch);
        return lia_err_set(err, rc, "cannot build query");
    }
    /* Collect the keys first: the policy predicate reads the audience rows we then remove. */
    struct dbuf keys;
    dbuf_init(&keys, 64 * 1024 * 1024);
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(t->conn->db, q.ptr, (int)q.len, &st, NULL);
    if (src == SQLITE_OK)
        src = apply_binds(st, &b);
    struct dbuf mods; /* the modified texts, NUL-separated, in key order */
    dbuf_init(&mods, 64 * 1024 * 1024);
    while (src == SQLITE_OK || src == SQLITE_ROW) {
        src = sqlite3_step(st);
        if (src == SQLITE_ROW) {
            int64_t k = sqlite3_column_int64(st, 0);
            const char *m = (const char *)sqlite3_column_text(st, 1);
            if (dbuf_append(&keys, &k, sizeof k) ||
                dbuf_append(&mods, m ? m : "", (m ? strlen(m) : 0) + 1)) {
                src = SQLITE_NOMEM;
                break;
            }
        }
    }
    sqlite3_finalize(st);
    dbuf_release(&q);
    arena_release(&scratch);
    size_t n = keys.len / sizeof(int64_t);
    if (src == SQLITE_DONE && n > 0) {
        struct store_row *rows = arena_alloc(a, n * sizeof *rows);
        const char *m = mods.ptr;
        for (size_t i = 0; rows && i < n; i++) {
            memcpy(&rows[i].date_added, keys.ptr + i * sizeof(int64_t), sizeof(int64_t));
            rows[i].id = id;
            rows[i].modified = arena_strndup(a, m, strlen(m));
            if (!rows[i].modified)
                rows = NULL;
            m += strlen(m) + 1;
        }
        if (!rows)
            src = SQLITE_NOMEM;
        *gone = rows;
    }
    dbuf_release(&mods);
    const char *sql[3] = {"DELETE FROM audience WHERE obj = ?",
                          "DELETE FROM search WHERE rowid = ?",
                          "DELETE FROM object WHERE date_added = ?"};
    for (int j = 0; j < 3 && src == SQLITE_DONE; j++) {
        src = sqlite3_prepare_v2(t->conn->db, sql[j], -1, &st, NULL);
        for (size_t i = 0; i < n && src == SQLITE_OK; i++) {
            int64_t k;
            memcpy(&k, keys.ptr + i * sizeof k, sizeof k);
            sqlite3_bind_int64(st, 1, k);
            src = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(t->conn->db);
            sqlite3_reset(st);
        }
        sqlite3_finalize(st);
        if (src == SQLITE_OK)
            src = SQLITE_DONE;
    }
    dbuf_release(&keys);
    if (src == SQLITE_DONE && n > 0) { /* the versions left: their neighbours changed */
        char reflag[512];
        snprintf(reflag, sizeof reflag, "%s WHERE coll = ? AND id = ?", sqlite_reflag_sql);
        src = sqlite3_prepare_v2(t->conn->db, reflag, -1, &st, NULL);
        if (src == SQLITE_OK) {
            sqlite3_bind_int64(st, 1, coll);
            sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
            src = sqlite3_step(st);
            sqlite3_finalize(st);
        }
    }
    if (src != SQLITE_DONE)
        return sqlite_fail(t->conn->db, src, err, "delete object");
    *deleted = n;
    return 0;
}

int store_versions_by_key(struct store *s, const int64_t *keys, size_t n, struct arena *a,
                          struct store_keyed *out, struct lia_err *err)
{
    if (s->pg)
        return pgstore_versions_by_key(s, keys, n, a, out, err);
    struct sqlite_conn *c;
    int rc = sqlite_acquire(s, &c, err);
    if (rc)
        return rc;
    static const char sql[] = "SELECT o.id, o.modified_text, c.id FROM object o"
                              " JOIN collection c ON c.rid = o.coll WHERE o.date_added = ?";
    sqlite3_stmt *st = NULL;
    rc = sqlite_stmt_sql(c, sql, sizeof sql - 1, &st, err);
    for (size_t i = 0; i < n && rc == 0; i++) {
        memset(&out[i], 0, sizeof out[i]);
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, keys[i]);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            out[i].id = sqlite_column_dup(st, 0, a);
            out[i].modified = sqlite_column_dup(st, 1, a);
            if (!out[i].modified)
                out[i].modified = "";
            out[i].collection = sqlite_column_dup(st, 2, a);
            if (!out[i].id || !out[i].collection)
                rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
        } else if (step != SQLITE_DONE) {
            rc = sqlite_fail(c->db, step, err, "read versions by key");
        }
    }
    if (st)
        sqlite3_reset(st);
    sqlite_release(s, c);
    return rc;
}
