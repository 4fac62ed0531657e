/*
 * Object versions in the PostgreSQL backend: put, the policy-aware query
 * (the one gate of design.md invariant 1), delete, and the two look-ups the
 * write rules make inside a transaction.
 *
 * The same predicate as sqlite_objects.c, in PostgreSQL's dialect: fixed SQL
 * fragments, every value a numbered parameter ($1...), never pasted. The
 * policy filters the returned rows and the rows that decide which version is
 * "last" or "first", so an invisible version can neither be returned nor
 * change what is returned.
 */
#include "store/pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends "$n" for a new parameter v (a number). */
static int arg_int(struct dbuf *q, struct pg_params *p, int64_t v)
{
    int rc = pg_param_int(p, v);
    return rc ? rc : dbuf_printf(q, "$%d::bigint", p->n);
}

static int arg_text(struct dbuf *q, struct pg_params *p, const char *v)
{
    int rc = pg_param_text(p, v);
    return rc ? rc : dbuf_printf(q, "$%d::text", p->n);
}

/* Whether the caller is named in the audience of `kind` of row o (the audience rows). */
static int audience_sql(struct dbuf *q, void *ctx, const struct store_policy *p, const char *o,
                        int kind)
{
    int rc = dbuf_printf(q,
                         "EXISTS(SELECT 1 FROM audience a WHERE a.obj = %s.date_added"
                         " AND a.kind = %d AND a.partner = ",
                         o, kind);
    rc = rc ? rc : arg_int(q, ctx, p->partner);
    return rc ? rc : dbuf_puts(q, ")");
}

/* The visibility predicate for rows aliased o (invariant 1; store/policy.c). */
static int policy_sql(struct dbuf *q, struct pg_params *b, const struct store_policy *p,
                      int default_tlp, const char *o)
{
    return store_policy_sql(q, p, default_tlp, o, audience_sql, b);
}

static int in_list_text(struct dbuf *q, struct pg_params *b, const char *col,
                        const char *const *vals, size_t n)
{
    if (n == 0)
        return 0;
    int rc = dbuf_printf(q, " AND %s IN (", col);
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (i)
            rc = dbuf_puts(q, ",");
        rc = rc ? rc : arg_text(q, b, vals[i]);
    }
    return rc ? rc : dbuf_puts(q, ")");
}

/* The collection's default TLP, and whether policy p may read (or write) it. */
static int collection_access(struct store *s, struct pg_conn *c, const struct store_policy *p,
                             int64_t coll, bool need_write, int *default_tlp, struct lia_err *err)
{
    struct pg_params b;
    pg_param_reset(&b);
    pg_param_int(&b, p->partner);
    pg_param_int(&b, coll);
    PGresult *r;
    int rc = pg_exec(s, c, PGS_COLLECTION_ACCESS,
                     "SELECT c.default_tlp, coalesce(g.can_read, 0), coalesce(g.can_write, 0)"
                     " FROM collection c LEFT JOIN grant_right g ON g.coll = c.rid"
                     " AND g.partner = $1::bigint WHERE c.rid = $2::bigint",
                     &b, &r, "read collection", err);
    if (rc)
        return rc;
    if (PQntuples(r) == 0) {
        rc = lia_err_set(err, LIA_ENOTFOUND, "no such collection");
    } else {
        *default_tlp = (int)pg_int(r, 0, 0);
        bool can = pg_int(r, 0, need_write ? 2 : 1) != 0;
        if (!p->all && !can)
            rc = lia_err_set(err, LIA_ENOTFOUND, "no such collection");
    }
    PQclear(r);
    return rc;
}

/* WHERE clause shared by query and delete: collection, filters, policy, versions. */
static int where_sql(struct dbuf *q, struct pg_params *b, const struct store_policy *p,
                     int default_tlp, int64_t coll, const struct store_filter *f, const char *id)
{
    int64_t after = f->added_after > f->after_key ? f->added_after : f->after_key;
    int rc = dbuf_puts(q, " WHERE o.coll = ");
    rc = rc ? rc : arg_int(q, b, coll);
    rc = rc ? rc : dbuf_puts(q, " AND o.date_added > ");
    rc = rc ? rc : arg_int(q, b, after);
    if (rc == 0 && id) {
        rc = dbuf_puts(q, " AND o.id = ");
        rc = rc ? rc : arg_text(q, b, id);
    }
    if (rc == 0 && !id)
        rc = in_list_text(q, b, "o.id", f->ids, f->n_ids);
    if (rc == 0)
        rc = in_list_text(q, b, "o.type", f->types, f->n_types);
    if (rc == 0)
        rc = in_list_text(q, b, "o.spec_version", f->spec_versions, f->n_spec_versions);
    if (rc == 0 && f->text_match) {
        /* The substring SQLite's trigram index finds: case-insensitive, no pattern syntax. */
        rc = dbuf_puts(q, " AND o.date_added IN (SELECT obj FROM search WHERE"
                          " strpos(lower(body), lower(");
        rc = rc ? rc : arg_text(q, b, f->text_match);
        rc = rc ? rc : dbuf_puts(q, ")) > 0)");
    }
    if (rc == 0)
        rc = policy_sql(q, b, p, default_tlp, "o");

    int sel = f->version_sel ? f->version_sel : (f->n_version_at ? 0 : STORE_VER_LAST);
    if (rc || (sel & STORE_VER_ALL))
        return rc;
    rc = dbuf_puts(q, " AND (false");
    for (int k = 0; k < 2 && rc == 0; k++) {
        int bit = k == 0 ? STORE_VER_LAST : STORE_VER_FIRST;
        if (!(sel & bit))
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
        rc = dbuf_puts(q, " OR o.modified = ");
        rc = rc ? rc : arg_int(q, b, f->version_at[i]);
    }
    return rc ? rc : dbuf_puts(q, ")");
}

int pgstore_query_objects(struct store *s, const struct store_policy *p, int64_t coll,
                          const struct store_filter *f, bool with_json, struct arena *a,
                          struct store_page *out, struct lia_err *err)
{
    memset(out, 0, sizeof *out);
    if (f->limit == 0)
        return lia_err_set(err, LIA_EINVAL, "limit must be positive");
    struct pg_conn *c;
    int rc = pg_acquire(s, &c, err);
    if (rc)
        return rc;
    int default_tlp = STORE_TLP_AMBER;
    rc = collection_access(s, c, p, coll, false, &default_tlp, err);
    struct dbuf q;
    dbuf_init(&q, 256 * 1024);
    struct pg_params *b = arena_alloc(a, sizeof *b);
    if (rc == 0 && !b)
        rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    if (rc == 0) {
        pg_param_reset(b);
        rc = dbuf_printf(&q,
                         "SELECT o.date_added, o.id, o.modified_text, o.spec_version%s"
                         " FROM object o",
                         with_json ? ", o.json" : "");
    }
    if (rc == 0)
        rc = where_sql(&q, b, p, default_tlp, coll, f, NULL);
    if (rc == 0)
        rc = dbuf_puts(&q, " ORDER BY o.date_added LIMIT ");
    if (rc == 0)
        rc = arg_int(&q, b, (int64_t)f->limit + 1);
    if (rc == LIA_ETOOBIG)
        rc = lia_err_set(err, LIA_ETOOBIG, "query has too many terms");
    else if (rc && !err->code)
        rc = lia_err_set(err, rc, "cannot build query");
    PGresult *r = NULL;
    if (rc == 0)
        rc = pg_exec(s, c, -1, q.ptr, b, &r, "query", err);
    if (rc == 0) {
        out->rows = arena_alloc(a, sizeof *out->rows * f->limit);
        if (!out->rows)
            rc = lia_err_set(err, LIA_ENOMEM, "page too large for the request's memory limit");
    }
    int n = rc == 0 ? PQntuples(r) : 0;
    for (int i = 0; i < n && rc == 0; i++) {
        if (out->n == f->limit) {
            out->more = true;
            break;
        }
        struct store_row *row = &out->rows[out->n];
        row->date_added = pg_int(r, i, 0);
        row->id = pg_text(r, i, 1, a);
        row->modified = pg_text(r, i, 2, a);
        row->spec_version = pg_text(r, i, 3, a);
        if (with_json) {
            row->json_len = (size_t)PQgetlength(r, i, 4);
            row->json = pg_text(r, i, 4, a);
        }
        if (!row->id || !row->spec_version || (with_json && !row->json)) {
            rc = lia_err_set(err, LIA_ETOOBIG, "page too large for the request's memory limit");
            break;
        }
        out->n++;
    }
    PQclear(r);
    dbuf_release(&q);
    pg_release(s, c);
    if (rc)
        out->n = 0;
    return rc;
}

int pgstore_put_object(struct store_txn *t, int64_t coll, const struct store_object *o, int *result,
                       int64_t *date_added, struct lia_err *err)
{
    struct store *s = t->store;
    int64_t now = lia_now_us();
    int64_t added = t->last_added = now > t->last_added ? now : t->last_added + 1;
    struct pg_params p;
    pg_param_reset(&p);
    pg_param_int(&p, added);
    pg_param_int(&p, coll);
    pg_param_text(&p, o->id);
    pg_param_text(&p, o->type);
    pg_param_text(&p, o->spec_version ? o->spec_version : "2.1");
    pg_param_int(&p, o->created_us);
    pg_param_int(&p, o->modified_us);
    pg_param_text(&p, o->modified);
    pg_param_text(&p, o->created_by_ref);
    pg_param_int(&p, o->tlp);
    pg_param_int(&p, o->has_rel ? RESTRICTED_REL : 0);
    pg_param_bytes(&p, o->json, o->json_len); /* binary text: the exact bytes */
    PGresult *r;
    int rc = pg_exec(s, t->pg, PGS_PUT_OBJECT,
                     "INSERT INTO object(date_added, coll, id, type, spec_version, created,"
                     " modified, modified_text, created_by_ref, tlp, restricted, json)"
                     " VALUES($1::bigint, $2::bigint, $3, $4, $5, $6::bigint, $7::bigint, $8,"
                     " $9, $10::integer, $11::integer, $12::text)"
                     " ON CONFLICT(coll, id, modified) DO NOTHING RETURNING date_added",
                     &p, &r, "store object", err);
    if (rc)
        return rc;
    bool inserted = PQntuples(r) == 1;
    PQclear(r);
    if (!inserted) {
        pg_param_reset(&p);
        pg_param_int(&p, coll);
        pg_param_text(&p, o->id);
        pg_param_int(&p, o->modified_us);
        rc = pg_exec(s, t->pg, PGS_FIND_VERSION,
                     "SELECT date_added FROM object WHERE coll = $1::bigint AND id = $2"
                     " AND modified = $3::bigint",
                     &p, &r, "find version", err);
        if (rc)
            return rc;
        if (PQntuples(r) == 1)
            *date_added = pg_int(r, 0, 0);
        else
            rc = lia_err_set(err, LIA_EIO, "store: find version: the stored version vanished");
        PQclear(r);
        if (rc == 0)
            *result = STORE_PUT_EXISTS;
        return rc;
    }
    if (o->search_text && *o->search_text) {
        pg_param_reset(&p);
        pg_param_int(&p, added);
        pg_param_text(&p, o->search_text);
        rc = pg_run(s, t->pg, -1, "INSERT INTO search(obj, body) VALUES($1::bigint, $2)", &p,
                    "index object text", err);
    }
    for (int kind = AUDIENCE_REL; kind <= AUDIENCE_RED && rc == 0; kind++) {
        const int64_t *who = kind == AUDIENCE_REL ? o->rel_to : o->red_to;
        size_t n = kind == AUDIENCE_REL ? o->n_rel_to : o->n_red_to;
        for (size_t i = 0; i < n && rc == 0; i++) {
            pg_param_reset(&p);
            pg_param_int(&p, added);
            pg_param_int(&p, kind);
            pg_param_int(&p, who[i]);
            rc = pg_run(s, t->pg, PGS_PUT_AUDIENCE,
                        "INSERT INTO audience(obj, kind, partner)"
                        " VALUES($1::bigint, $2::integer, $3::bigint) ON CONFLICT DO NOTHING",
                        &p, "store audience", err);
        }
    }
    if (rc)
        return rc;
    *date_added = added;
    *result = STORE_PUT_NEW;
    t->objects_put++;
    return 0;
}

int pgstore_delete_object(struct store_txn *t, const struct store_policy *p, int64_t coll,
                          const char *id, const struct store_filter *f, struct arena *a,
                          struct store_row **gone, size_t *deleted, struct lia_err *err)
{
    *gone = NULL;
    struct store *s = t->store;
    int default_tlp = STORE_TLP_AMBER;
    int rc = collection_access(s, t->pg, p, coll, true, &default_tlp, err);
    if (rc)
        return rc;
    struct dbuf q;
    dbuf_init(&q, 64 * 1024);
    struct pg_params *b = malloc(sizeof *b);
    if (!b)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    pg_param_reset(b);
    struct store_filter g = *f;
    g.added_after = g.after_key = 0;
    if (!g.version_sel && !g.n_version_at)
        g.version_sel = STORE_VER_ALL; /* DELETE without match[version] removes every version */
    /* One statement: the keys are chosen from one snapshot, before their audience rows (which
     * the policy predicate reads) go. */
    rc = dbuf_puts(&q, "WITH k AS (SELECT o.date_added FROM object o");
    if (rc == 0)
        rc = where_sql(&q, b, p, default_tlp, coll, &g, id);
    if (rc == 0)
        rc = dbuf_puts(
            &q,
            "), gone AS (DELETE FROM audience WHERE obj IN (SELECT date_added"
            " FROM k)), unsearched AS (DELETE FROM search WHERE obj IN"
            " (SELECT date_added FROM k)) DELETE FROM object WHERE date_added IN (SELECT date_added"
            " FROM k) RETURNING date_added, modified_text");
    if (rc) {
        dbuf_release(&q);
        free(b);
        return lia_err_set(err, rc, "cannot build query");
    }
    PGresult *r;
    rc = pg_exec(s, t->pg, -1, q.ptr, b, &r, "delete object", err);
    if (rc == 0) {
        int n = PQntuples(r);
        struct store_row *rows = n ? arena_alloc(a, (size_t)n * sizeof *rows) : NULL;
        for (int i = 0; rows && i < n; i++) {
            rows[i].date_added = pg_int(r, i, 0);
            rows[i].id = id;
            rows[i].modified = arena_strndup(a, PQgetvalue(r, i, 1), (size_t)PQgetlength(r, i, 1));
            if (!rows[i].modified)
                rows = NULL;
        }
        if (n && !rows)
            rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
        *gone = rows;
        *deleted = (size_t)n;
        PQclear(r);
    }
    dbuf_release(&q);
    free(b);
    return rc;
}

int pgstore_object_creator(struct store_txn *t, int64_t coll, const char *id, struct arena *a,
                           const char **creator, struct lia_err *err)
{
    struct pg_params p;
    pg_param_reset(&p);
    pg_param_int(&p, coll);
    pg_param_text(&p, id);
    PGresult *r;
    int rc = pg_exec(t->store, t->pg, PGS_CREATOR,
                     "SELECT created_by_ref FROM object WHERE coll = $1::bigint AND id = $2"
                     " ORDER BY modified DESC LIMIT 1",
                     &p, &r, "find creator", err);
    if (rc)
        return rc;
    if (PQntuples(r) == 0)
        rc = lia_err_set(err, LIA_ENOTFOUND, "no such object");
    else
        *creator = pg_text(r, 0, 0, a);
    PQclear(r);
    return rc;
}

int pgstore_object_text(struct store_txn *t, const char *id, const char *type, struct arena *a,
                        const char **json, struct lia_err *err)
{
    /* The type is written into the SQL so that the partial index applies. */
    int sid;
    const char *sql;
    if (!strcmp(type, "marking-definition")) {
        sid = PGS_MARKING;
        sql = "SELECT json FROM object WHERE id = $1 AND type = 'marking-definition'"
              " ORDER BY modified DESC LIMIT 1";
    } else if (!strcmp(type, "liaison-rfi")) {
        sid = PGS_RFI;
        sql = "SELECT json FROM object WHERE id = $1 AND type = 'liaison-rfi'"
              " ORDER BY modified DESC LIMIT 1";
    } else {
        return lia_err_set(err, LIA_EINTERNAL, "store_object_text: %s is not indexed", type);
    }
    struct pg_params p;
    pg_param_reset(&p);
    pg_param_text(&p, id);
    PGresult *r;
    int rc = pg_exec(t->store, t->pg, sid, sql, &p, &r, "find object", err);
    if (rc)
        return rc;
    if (PQntuples(r) == 0)
        rc = lia_err_set(err, LIA_ENOTFOUND, "unknown %s %s", type, id);
    else if (!(*json = pg_text(r, 0, 0, a)))
        rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    PQclear(r);
    return rc;
}

int pgstore_versions_by_key(struct store *s, const int64_t *keys, size_t n, struct arena *a,
                            struct store_keyed *out, struct lia_err *err)
{
    /* In batches of up to 1,000 keys, one array parameter each. */
    int rc = 0;
    for (size_t base = 0; base < n && rc == 0; base += 1000) {
        size_t m = n - base < 1000 ? n - base : 1000;
        struct dbuf arr;
        dbuf_init(&arr, 32 * 1024);
        rc = dbuf_puts(&arr, "{");
        for (size_t i = 0; i < m && rc == 0; i++)
            rc = dbuf_printf(&arr, "%s%lld", i ? "," : "", (long long)keys[base + i]);
        rc = rc ? rc : dbuf_puts(&arr, "}");
        if (rc) {
            dbuf_release(&arr);
            return lia_err_set(err, rc, "too many keys");
        }
        struct pg_params p;
        pg_param_reset(&p);
        pg_param_text(&p, arr.ptr);
        PGresult *r;
        rc = pg_exec_once(s, -1,
                          "SELECT o.date_added, o.id, o.modified_text, c.id FROM object o"
                          " JOIN collection c ON c.rid = o.coll"
                          " WHERE o.date_added = ANY($1::bigint[])",
                          &p, &r, "read versions by key", err);
        dbuf_release(&arr);
        if (rc)
            return rc;
        for (size_t i = 0; i < m; i++)
            memset(&out[base + i], 0, sizeof out[base + i]);
        for (int row = 0; row < PQntuples(r) && rc == 0; row++) {
            int64_t k = pg_int(r, row, 0);
            for (size_t i = 0; i < m; i++) {
                if (keys[base + i] != k)
                    continue;
                struct store_keyed *o = &out[base + i];
                o->id = arena_strndup(a, PQgetvalue(r, row, 1), (size_t)PQgetlength(r, row, 1));
                o->modified =
                    arena_strndup(a, PQgetvalue(r, row, 2), (size_t)PQgetlength(r, row, 2));
                o->collection =
                    arena_strndup(a, PQgetvalue(r, row, 3), (size_t)PQgetlength(r, row, 3));
                if (!o->id || !o->modified || !o->collection)
                    rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
            }
        }
        PQclear(r);
    }
    return rc;
}
