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

/* "(SELECT the locations of coll placed for the caller within place)": computed once per
 * statement (it names no column of the outer query), so "into the Sahel" is one probe of
 * that list per row, not a walk. */
static int within_list_sql(struct dbuf *q, struct store_args *b, const struct store_policy *p,
                           int default_tlp, int64_t coll, const char *place)
{
    int rc = dbuf_puts(q, "(SELECT w.loc FROM place_in w JOIN place_of wp ON wp.coll = w.coll"
                          " AND wp.loc = w.loc WHERE w.coll = ? AND w.place = ?");
    rc = rc ? rc : store_args_add(b, sv_int(coll));
    rc = rc ? rc : store_args_add(b, sv_text(place));
    rc = rc ? rc : placed_sql(q, b, p, default_tlp, "wp");
    return rc ? rc : dbuf_puts(q, ")");
}

/* Where the locations of a collection lie for the caller (place_of rows placed for it), read
 * once per query, so that each flow row's two ends are two look-ups in memory rather than two
 * gated probes in SQL. locs numbers the location ids; at[number] is where that one lies. */
struct placement {
    const char *loc, *place, *country;
};
struct placements {
    struct lia_interner locs;
    struct placement *at;
};

static const struct store_field placement_fields[] = {FIELD(struct placement, loc, 't'),
                                                      FIELD(struct placement, place, 't'),
                                                      FIELD(struct placement, country, 't')};
STORE_ROW_FN(placement_row, placement_fields)

/* Reads the placements into t; their place and country texts interned in words. */
static int load_placements(struct store_conn *c, const struct store_policy *p, int default_tlp,
                           int64_t coll, int64_t only, struct arena *a, struct lia_interner *words,
                           struct placements *t, struct lia_err *err)
{
    struct dbuf q;
    dbuf_init(&q, 16 * 1024);
    struct store_args b;
    store_args_init(&b, a);
    int brc = dbuf_puts(&q, "SELECT po.loc, po.place, po.country FROM place_of po WHERE"
                            " po.coll = ?");
    brc = brc ? brc : store_args_add(&b, sv_int(coll));
    if (brc == 0 && only) { /* one flow version (watches): its two ends only */
        brc = dbuf_puts(&q, " AND po.loc IN (SELECT src FROM flow WHERE obj = ? UNION ALL"
                            " SELECT dst FROM flow WHERE obj = ?)");
        brc = brc ? brc : store_args_add(&b, sv_int(only));
        brc = brc ? brc : store_args_add(&b, sv_int(only));
    }
    brc = brc ? brc : placed_sql(&q, &b, p, default_tlp, "po");
    struct placement *rows = NULL;
    size_t n = 0;
    int rc = brc ? lia_err_set(err, brc, "cannot build the placements query")
                 : store_list_text(c, q.ptr, q.len, &b, sizeof *rows, placement_row, a,
                                   (void **)&rows, &n, "flows", err);
    dbuf_release(&q);
    if (rc)
        return rc;
    t->at = rows; /* (coll, loc) is place_of's key: the k-th location is numbered k */
    if (lia_intern_init(&t->locs, 2 * n + 2, a))
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    for (size_t k = 0; k < n; k++) {
        struct placement *r = &rows[k];
        uint32_t num = 0;
        if (!r->loc || !r->place || !r->country ||
            !lia_intern(&t->locs, r->loc, strlen(r->loc), false, &num) ||
            !(r->place = lia_intern(words, r->place, strlen(r->place), false, NULL)) ||
            !(r->country = lia_intern(words, r->country, strlen(r->country), false, NULL)))
            return lia_err_set(err, LIA_ENOMEM, "out of memory");
    }
    return 0;
}

/* One end of a flow row: its place (or country) when placed for the caller, else its id. */
static const char *end_of(struct store_cur *cur, int col, const struct placements *t, bool place,
                          struct lia_interner *words, bool *placed)
{
    size_t n = 0;
    uint32_t num;
    const char *loc = store_col_text(cur, col, &n);
    *placed = lia_intern_find(&t->locs, loc, n, &num) != NULL;
    if (*placed)
        return place ? t->at[num].place : t->at[num].country;
    return lia_intern(words, loc, n, true, NULL);
}

/* A text column, interned in words. */
static const char *word(struct store_cur *cur, int col, struct lia_interner *words)
{
    size_t n = 0;
    const char *v = store_col_text(cur, col, &n);
    return lia_intern(words, v, n, true, NULL);
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
    struct placements places = {0};
    struct lia_interner words;
    if (rc == 0 && lia_intern_init(&words, 256, a))
        rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    rc = rc ? rc : load_placements(c, p, default_tlp, coll, fq->only, a, &words, &places, err);
    struct dbuf q;
    dbuf_init(&q, 64 * 1024);
    struct store_args b;
    store_args_init(&b, a);
    int brc = rc ? 0
                 : dbuf_puts(&q, "SELECT o.date_added, f.id, f.version, f.what, f.src, f.dst,"
                                 " f.source, f.grade, f.first_seen, f.last_seen FROM object o"
                                 " INDEXED BY object_page JOIN flow f ON f.obj = o.date_added");
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
        brc = dbuf_puts(&q, " AND f.source = ?");
        brc = brc ? brc : store_args_add(&b, sv_text(fq->source));
    }
    if (brc == 0 && fq->min_grade) {
        brc = dbuf_puts(&q, " AND f.grade <> '' AND substr(f.grade, 1, 1) <= ?"
                            " AND substr(f.grade, 2, 1) <= ?");
        brc = brc ? brc : store_args_add(&b, sv_textn(fq->min_grade, 1));
        brc = brc ? brc : store_args_add(&b, sv_textn(fq->min_grade + 1, 1));
    }
    if (brc == 0 && fq->into) {
        brc = dbuf_puts(&q, " AND f.dst IN ");
        brc = brc ? brc : within_list_sql(&q, &b, p, default_tlp, coll, fq->into);
    }
    if (brc == 0 && fq->out_of) {
        brc = dbuf_puts(&q, " AND f.src IN ");
        brc = brc ? brc : within_list_sql(&q, &b, p, default_tlp, coll, fq->out_of);
    }
    if (brc == 0 && fq->through) {
        brc = dbuf_puts(&q, " AND EXISTS(SELECT 1 FROM flow_via v WHERE v.obj = o.date_added"
                            " AND v.loc IN ");
        brc = brc ? brc : within_list_sql(&q, &b, p, default_tlp, coll, fq->through);
        brc = brc ? brc : dbuf_puts(&q, ")");
    }
    brc = brc ? brc : dbuf_puts(&q, " ORDER BY o.date_added, f.what LIMIT ?");
    brc = brc ? brc : store_args_add(&b, sv_int((int64_t)fq->max_rows + 1));
    if (rc == 0 && brc)
        rc = lia_err_set(err, brc, "cannot build the flows query");
    struct store_cur cur = {0};
    if (rc == 0)
        rc = store_exec_text(c, q.ptr, q.len, &b, false, &cur, "flows", err);
    struct store_flow_row *rows = NULL;
    size_t got = 0, cap = 0;
    while (rc == 0 && (rc = store_step(&cur, err)) == 1) {
        rc = 0;
        if (got == fq->max_rows) {
            rc = lia_err_set(err, LIA_ETOOBIG,
                             "more than %zu flow rows match (flows_max_rows): narrow the query",
                             fq->max_rows);
            break;
        }
        if (got == cap) {
            cap = cap ? 2 * cap : 256;
            struct store_flow_row *grown = arena_alloc(a, cap * sizeof *grown);
            if (!grown) {
                rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
                break;
            }
            if (got)
                memcpy(grown, rows, got * sizeof *grown);
            rows = grown;
        }
        struct store_flow_row *r = &rows[got++];
        r->date_added = store_col_int(&cur, 0);
        /* A flow's rows (one per commodity) come together: its id and version once. */
        bool again = got > 1 && r[-1].date_added == r->date_added;
        r->id = again ? r[-1].id : store_col_dup(&cur, 1, a);
        r->modified = again ? r[-1].modified : store_col_dup(&cur, 2, a);
        r->what = word(&cur, 3, &words);
        r->from = end_of(&cur, 4, &places, fq->by_place, &words, &r->from_placed);
        r->to = end_of(&cur, 5, &places, fq->by_place, &words, &r->to_placed);
        r->source = word(&cur, 6, &words);
        r->grade = word(&cur, 7, &words);
        r->first_seen = store_col_int(&cur, 8);
        r->last_seen = store_col_int(&cur, 9);
        r->coll = coll;
        if (!r->id || !r->what || !r->from || !r->to || !r->source || !r->grade)
            rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    }
    store_end(&cur);
    dbuf_release(&q);
    store_release(s, c);
    if (rc == 0) {
        *out = rows;
        *n = got;
    }
    return rc;
}
