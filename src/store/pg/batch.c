/*
 * A batch of object versions in one PostgreSQL statement (one round trip) instead of a few
 * per object: the rows as VALUES, inserted with ON CONFLICT DO NOTHING, the older and newer
 * versions already stored flagged, the audience and search rows of those inserted, and for
 * each row whether it was new and its date_added (its own, or the stored version's).
 *
 * All parts of one statement see the table as it was before it, so the version flags among
 * rows of the same batch come from objects.c (PUT_LATER, PUT_EARLIER), those against stored
 * rows from the table; a row flagged PUT_FIRST (no version of its id stored) skips the probe.
 */
#include "store/pg/pg.h"

#include <stdlib.h>

#define OBJ_PARAMS 16
#define MAX_PARAMS 60000

static int add_row(struct dbuf *q, struct store_args *b, bool first, const struct store_val *v,
                   int n)
{
    int rc = dbuf_puts(q, first ? "(" : ",(");
    for (int i = 0; i < n && rc == 0; i++) {
        rc = dbuf_puts(q, i ? ",?" : "?");
        rc = rc ? rc : store_args_add(b, v[i]);
    }
    return rc ? rc : dbuf_puts(q, ")");
}

#define FLAG(name, bit, cmp)                                                                       \
    " CASE WHEN (v.rel & " bit ") <> 0 THEN 1 WHEN (v.rel & 1) <> 0 THEN 0 WHEN EXISTS(SELECT 1"   \
    " FROM object n WHERE n.coll = v.coll AND n.id = v.id AND n.modified " cmp " v.modified)"      \
    " THEN 1 ELSE 0 END"

/* o[0..n) with no more than MAX_PARAMS values. */
static int put_slice(struct store_txn *t, int64_t coll, const struct store_object *o, size_t n,
                     const unsigned char *rel, struct store_put *out, struct lia_err *err)
{
    struct arena a;
    arena_init(&a, 0);
    struct store_args b;
    store_args_init(&b, &a);
    struct dbuf q;
    dbuf_init(&q, 64u << 20);
    int rc = dbuf_puts(&q, "WITH v(k, coll, id, type, spec_version, created, modified,"
                           " modified_text, created_by_ref, tlp, restricted, json, rel_mask,"
                           " red_mask, rel, body) AS (VALUES");
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct store_val v[OBJ_PARAMS] = {
            sv_int(out[i].date_added),
            sv_int(coll),
            sv_text(o[i].id),
            sv_text(o[i].type),
            sv_text(o[i].spec_version ? o[i].spec_version : "2.1"),
            sv_int(o[i].created_us),
            sv_int(o[i].modified_us),
            sv_text(o[i].modified),
            sv_text(o[i].created_by_ref),
            sv_int(o[i].tlp),
            sv_int(o[i].has_rel ? RESTRICTED_REL : 0),
            sv_textn(o[i].json, o[i].json_len),
            sv_int(store_audience_mask(o[i].rel_to, o[i].n_rel_to)),
            sv_int(store_audience_mask(o[i].red_to, o[i].n_red_to)),
            sv_int(rel[i]),
            sv_text(o[i].search_text && *o[i].search_text ? o[i].search_text : NULL)};
        rc = add_row(&q, &b, i == 0, v, OBJ_PARAMS);
    }
    rc = rc ? rc
            : dbuf_puts(
                  &q,
                  "), ins AS (INSERT INTO object(date_added, coll, id, type, spec_version,"
                  " created, modified, modified_text, created_by_ref, tlp, restricted, json,"
                  " rel_mask, red_mask, superseded, preceded) SELECT k, coll, id, type,"
                  " spec_version, created, modified, modified_text, created_by_ref, tlp,"
                  " restricted, json, rel_mask, red_mask," FLAG("superseded", "2", ">") "," FLAG(
                      "preceded", "4",
                      "<") " FROM v ORDER BY k ON CONFLICT(coll, id,"
                           " modified) DO NOTHING RETURNING date_added),"
                           /* Versions stored before: superseded by the newest new one, preceded
                            * by the oldest. */
                           " mark AS (UPDATE object o SET superseded = CASE WHEN o.modified < x.hi"
                           " THEN 1 ELSE o.superseded END, preceded = CASE WHEN o.modified > x.lo"
                           " THEN 1 ELSE o.preceded END FROM (SELECT v.coll, v.id, min(v.modified)"
                           " AS lo, max(v.modified) AS hi FROM v JOIN ins ON ins.date_added = v.k"
                           " WHERE (v.rel & 1) = 0 GROUP BY v.coll, v.id) x WHERE o.coll = x.coll "
                           "AND"
                           " o.id = x.id AND ((o.modified < x.hi AND o.superseded = 0) OR"
                           " (o.modified > x.lo AND o.preceded = 0))),"
                           " txt AS (INSERT INTO search(rowid, body) SELECT k, body FROM v"
                           " WHERE body IS NOT NULL AND k IN (SELECT date_added FROM ins))");
    size_t audience = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        for (int kind = AUDIENCE_REL; kind <= AUDIENCE_RED && rc == 0; kind++) {
            const int64_t *who = kind == AUDIENCE_REL ? o[i].rel_to : o[i].red_to;
            size_t m = kind == AUDIENCE_REL ? o[i].n_rel_to : o[i].n_red_to;
            for (size_t j = 0; j < m && rc == 0; j++) {
                if (!audience++)
                    rc = dbuf_puts(&q, ", aud AS (INSERT INTO audience(obj, kind, partner)"
                                       " SELECT a.obj, a.kind, a.partner FROM (VALUES");
                rc = rc ? rc
                        : add_row(&q, &b, audience == 1,
                                  SV(sv_int(out[i].date_added), sv_int(kind), sv_int(who[j])));
            }
        }
    if (rc == 0 && audience)
        rc = dbuf_puts(&q, ") a(obj, kind, partner) WHERE a.obj IN (SELECT date_added FROM ins)"
                           " ON CONFLICT DO NOTHING)");
    /* Each row: new or not, and its date_added (a version stored before, or the same one
     * earlier in this batch). */
    rc = rc ? rc
            : dbuf_puts(&q, " SELECT CASE WHEN ins.date_added IS NULL THEN 0 ELSE 1 END,"
                            " coalesce(ins.date_added, o.date_added, d.k) FROM v"
                            " LEFT JOIN ins ON ins.date_added = v.k"
                            " LEFT JOIN object o ON o.coll = v.coll AND o.id = v.id"
                            " AND o.modified = v.modified"
                            " LEFT JOIN (SELECT v2.id, v2.modified, v2.k FROM v v2 JOIN ins i2"
                            " ON i2.date_added = v2.k) d ON d.id = v.id AND d.modified = v.modified"
                            " ORDER BY v.k");
    struct store_cur cur = {0};
    if (rc)
        rc = lia_err_set(err, rc, "store: store objects: batch too large");
    else
        rc = store_exec_text(t->conn, q.ptr, q.len, &b, false, &cur, "store objects", err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if ((rc = store_step(&cur, err)) != 1) {
            rc = rc ? rc : lia_err_set(err, LIA_EIO, "store: store objects: rows missing");
            break;
        }
        rc = 0;
        out[i].result = store_col_int(&cur, 0) ? STORE_PUT_NEW : STORE_PUT_EXISTS;
        out[i].date_added = store_col_int(&cur, 1);
        /* The statement is a SELECT at its top: count what its parts wrote. */
        ((struct pg_conn *)t->conn->be)->changes += out[i].result == STORE_PUT_NEW;
    }
    store_end(&cur);
    dbuf_release(&q);
    arena_release(&a);
    return rc;
}

int pg_put_many(struct store_txn *t, int64_t coll, const struct store_object *o, size_t n,
                const unsigned char *rel, struct store_put *out, struct lia_err *err)
{
    int rc = 0;
    for (size_t base = 0, m; base < n && rc == 0; base += m) {
        size_t params = 0;
        for (m = 0; base + m < n; m++) {
            const struct store_object *x = &o[base + m];
            size_t more = OBJ_PARAMS + 3 * (x->n_rel_to + x->n_red_to);
            if (m && params + more > MAX_PARAMS)
                break;
            params += more;
        }
        rc = put_slice(t, coll, o + base, m, rel + base, out + base, err);
    }
    return rc;
}
