/*
 * Flows (docs/flows.md): the rows a liaison-flow version and a location version leave beside
 * the object row when stored, and the flows query, which reads them through the same gate as
 * every read (design.md invariant 1).
 *
 * A flow version has one `flow` row per commodity (from and to as location ids) and one
 * `flow_via` row per place it passes through. Where a location lies is kept per collection
 * (`place_of`: its place and the country an edge names it by; `place_in`: every place it
 * lies within, itself included), from the location object when it is stored, or from its id
 * alone when it is a gazetteer id (intake's UUIDv5 ids: public knowledge). The query is one
 * statement: the collection's last flow versions the policy may see (store_where_sql, on the
 * object table's page index alone: a flow row carries its id, version and creator), their
 * rows, and where their ends lie, each placement itself gated: a location placed from its
 * object places a flow for the caller only when the caller may see that location version, so
 * an answer never says more about a place than the objects the caller may read. "Into P" is
 * one index probe of place_in per row.
 */
#include "store/store_int.h"

int store_put_flow_rows(struct store_txn *t, int64_t coll, const struct store_object *o,
                        int64_t added, struct lia_err *err)
{
    static struct sq flow =
        SQ("INSERT INTO flow(obj, what, src, dst, first_seen, last_seen, grade, id, version,"
           " source) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING");
    static struct sq via = SQ("INSERT INTO flow_via(obj, loc) VALUES(?, ?) ON CONFLICT DO NOTHING");
    static struct sq place_of =
        SQ("INSERT INTO place_of(coll, loc, obj, place, country) VALUES(?1, ?2, ?3, ?4, ?5)"
           " ON CONFLICT(coll, loc) DO UPDATE SET obj = ?3, place = ?4, country = ?5");
    static struct sq place_in =
        SQ("INSERT INTO place_in(coll, loc, place) VALUES(?, ?, ?) ON CONFLICT DO NOTHING");
    int rc = 0;
    const struct store_flow *f = o->flow;
    for (size_t i = 0; f && i < f->n_what && rc == 0; i++)
        rc = store_do(t->conn, &flow,
                      SV(sv_int(added), sv_text(f->what[i]), sv_text(f->from_ref),
                         sv_text(f->to_ref), sv_int(f->first_seen), sv_int(f->last_seen),
                         sv_text(f->grade ? f->grade : ""), sv_text(o->id), sv_text(o->modified),
                         sv_text(o->created_by_ref ? o->created_by_ref : "")),
                      NULL, "store flow", err);
    for (size_t i = 0; f && i < f->n_via && rc == 0; i++)
        rc = store_do(t->conn, &via, SV(sv_int(added), sv_text(f->via_refs[i])), NULL, "store flow",
                      err);
    for (size_t i = 0; i < o->n_placed && rc == 0; i++) {
        const struct store_placed *p = &o->placed[i];
        rc = store_do(t->conn, &place_of,
                      SV(sv_int(coll), sv_text(p->loc), sv_int(p->from_object ? added : 0),
                         sv_text(p->place), sv_text(p->country)),
                      NULL, "store place", err);
        for (size_t k = 0; k < p->n_within && rc == 0; k++)
            rc = store_do(t->conn, &place_in,
                          SV(sv_int(coll), sv_text(p->loc), sv_text(p->within[k])), NULL,
                          "store place", err);
    }
    return rc;
}

/* " AND <location alias x is placed for the caller>": by its id, or from a version the
 * policy lets it see. */
static int placed_sql(struct dbuf *q, struct store_args *b, const struct store_policy *p,
                      int default_tlp, const char *x)
{
    if (p->all)
        return 0;
    int rc = dbuf_printf(q,
                         " AND (%s.obj = 0 OR EXISTS(SELECT 1 FROM object l WHERE"
                         " l.date_added = %s.obj",
                         x, x);
    rc = rc ? rc : store_policy_sql(q, b, p, default_tlp, "l");
    return rc ? rc : dbuf_puts(q, "))");
}

/* " AND the location in column col lies within place" (its placement gated). */
static int within_sql(struct dbuf *q, struct store_args *b, const char *x, const char *place)
{
    int rc = dbuf_printf(q,
                         " AND %s.loc IS NOT NULL AND EXISTS(SELECT 1 FROM place_in w WHERE"
                         " w.coll = o.coll AND w.place = ? AND w.loc = %s.loc)",
                         x, x);
    return rc ? rc : store_args_add(b, sv_text(place));
}

static int flow_row(struct store_cur *cur, struct arena *a, void *dst)
{
    struct store_flow_row *r = dst;
    r->date_added = store_col_int(cur, 0);
    r->id = store_col_dup(cur, 1, a);
    r->modified = store_col_dup(cur, 2, a);
    r->what = store_col_dup(cur, 3, a);
    r->from_placed = store_col_int(cur, 4) != 0;
    r->from = store_col_dup(cur, 5, a);
    r->to_placed = store_col_int(cur, 6) != 0;
    r->to = store_col_dup(cur, 7, a);
    r->source = store_col_dup(cur, 8, a);
    r->grade = store_col_dup(cur, 9, a);
    r->first_seen = store_col_int(cur, 10);
    r->last_seen = store_col_int(cur, 11);
    r->coll = store_col_int(cur, 12);
    return r->id && r->what && r->from && r->to && r->source && r->grade ? 0 : LIA_ETOOBIG;
}

int store_query_flows(struct store *s, const struct store_policy *p, int64_t coll,
                      const struct store_flow_query *fq, struct arena *a,
                      struct store_flow_row **out, size_t *n, struct lia_err *err)
{
    *out = NULL;
    *n = 0;
    struct store_conn *c;
    int rc = store_acquire(s, &c, err);
    if (rc)
        return rc;
    int default_tlp = STORE_TLP_AMBER;
    rc = store_collection_access(s, c, p, coll, false, &default_tlp, err);
    struct dbuf q;
    dbuf_init(&q, 64 * 1024);
    struct store_args b;
    store_args_init(&b, a);
    const char *level = fq->by_place ? "place" : "country";
    int brc =
        rc ? 0
           : dbuf_printf(&q,
                         "SELECT o.date_added, f.id, f.version, f.what,"
                         " CASE WHEN ps.loc IS NULL THEN 0 ELSE 1 END, coalesce(ps.%s, f.src),"
                         " CASE WHEN pd.loc IS NULL THEN 0 ELSE 1 END,"
                         " coalesce(pd.%s, f.dst), f.source, f.grade, f.first_seen,"
                         " f.last_seen, o.coll FROM object o INDEXED BY object_page JOIN flow f ON"
                         " f.obj = o.date_added LEFT JOIN place_of ps ON ps.coll = o.coll"
                         " AND ps.loc = f.src",
                         level, level);
    brc = brc ? brc : placed_sql(&q, &b, p, default_tlp, "ps");
    brc =
        brc ? brc : dbuf_puts(&q, " LEFT JOIN place_of pd ON pd.coll = o.coll AND pd.loc = f.dst");
    brc = brc ? brc : placed_sql(&q, &b, p, default_tlp, "pd");
    /* Only flows have flow rows: no type test (the type is not in the page index). */
    struct store_filter f = {.version_sel = STORE_VER_LAST};
    brc = brc ? brc : store_where_sql(&q, &b, s, p, default_tlp, coll, &f, NULL);
    if (brc == 0 && fq->n_what) {
        brc = dbuf_puts(&q, " AND f.what IN (");
        for (size_t i = 0; i < fq->n_what && brc == 0; i++) {
            brc = dbuf_puts(&q, i ? ",?" : "?");
            brc = brc ? brc : store_args_add(&b, sv_text(fq->what[i]));
        }
        brc = brc ? brc : dbuf_puts(&q, ")");
    }
    if (brc == 0 && fq->since) {
        brc = dbuf_puts(&q, " AND f.last_seen >= ?");
        brc = brc ? brc : store_args_add(&b, sv_int(fq->since));
    }
    if (brc == 0 && fq->only) {
        brc = dbuf_puts(&q, " AND o.date_added = ?");
        brc = brc ? brc : store_args_add(&b, sv_int(fq->only));
    }
    if (brc == 0 && fq->source) {
        brc = dbuf_puts(&q, " AND o.created_by_ref = ?");
        brc = brc ? brc : store_args_add(&b, sv_text(fq->source));
    }
    if (brc == 0 && fq->min_grade) {
        brc = dbuf_puts(&q, " AND f.grade <> '' AND substr(f.grade, 1, 1) <= ?"
                            " AND substr(f.grade, 2, 1) <= ?");
        brc = brc ? brc : store_args_add(&b, sv_textn(fq->min_grade, 1));
        brc = brc ? brc : store_args_add(&b, sv_textn(fq->min_grade + 1, 1));
    }
    if (brc == 0 && fq->into)
        brc = within_sql(&q, &b, "pd", fq->into);
    if (brc == 0 && fq->out_of)
        brc = within_sql(&q, &b, "ps", fq->out_of);
    if (brc == 0 && fq->through) {
        brc = dbuf_puts(&q, " AND EXISTS(SELECT 1 FROM flow_via v JOIN place_of pv ON"
                            " pv.coll = o.coll AND pv.loc = v.loc JOIN place_in w ON"
                            " w.coll = o.coll AND w.place = ? AND w.loc = v.loc"
                            " WHERE v.obj = o.date_added");
        brc = brc ? brc : store_args_add(&b, sv_text(fq->through));
        brc = brc ? brc : placed_sql(&q, &b, p, default_tlp, "pv");
        brc = brc ? brc : dbuf_puts(&q, ")");
    }
    brc = brc ? brc : dbuf_puts(&q, " ORDER BY o.date_added, f.what LIMIT ?");
    brc = brc ? brc : store_args_add(&b, sv_int((int64_t)fq->max_rows + 1));
    if (rc == 0 && brc)
        rc = lia_err_set(err, brc, "cannot build the flows query");
    size_t got = 0;
    void *rows = NULL;
    if (rc == 0)
        rc = store_list_text(c, q.ptr, q.len, &b, sizeof **out, flow_row, a, &rows, &got, "flows",
                             err);
    if (rc == 0 && got > fq->max_rows)
        rc = lia_err_set(err, LIA_ETOOBIG,
                         "more than %zu flow rows match (flows_max_rows): narrow the query",
                         fq->max_rows);
    dbuf_release(&q);
    store_release(s, c);
    if (rc == 0) {
        *out = rows;
        *n = got;
    }
    return rc;
}
