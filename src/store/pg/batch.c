/*
 * A batch of object versions in one PostgreSQL statement (one round trip) instead of a few
 * per object. Each column of the batch travels as one array in binary form, so the statement
 * has a fixed text, prepared once per session (no parsing or planning per batch): the rows
 * (a first version alone in the batch inserted where absent, others with ON CONFLICT DO NOTHING);
 * the older and newer versions already stored, flagged; the search and audience rows of those
 * inserted; and for each row whether it was new and its date_added (its own, or that of the version
 * stored before). Then, in a second statement when there are any, the flow and place rows of the
 * versions that were new (flows.c writes them one row per statement elsewhere).
 *
 * All parts of one statement see the table as it was before it, so the version flags among
 * rows of the same batch come from objects.c (PUT_LATER, PUT_EARLIER), those against stored
 * rows from the table; a row flagged PUT_FIRST (no version of its id stored) skips the probe.
 */
#include "store/pg/pg.h"

#include <arpa/inet.h>
#include <stdlib.h>

#define INT8OID 20
#define TEXTOID 25
#define INT8ARRAYOID 1016
#define TEXTARRAYOID 1009

enum {
    K,
    ID,
    TYPE,
    SPEC,
    CREATED,
    MODIFIED,
    MTEXT,
    BY,
    TLP,
    RESTRICTED,
    JSON,
    RELM,
    REDM,
    REL,
    BODY,
    OBJ,
    KIND,
    PARTNER,
    DIGEST,
    N_ARRAYS
};
static const bool is_text[N_ARRAYS] = {
    [ID] = 1, [TYPE] = 1, [SPEC] = 1, [MTEXT] = 1, [BY] = 1, [JSON] = 1, [BODY] = 1, [DIGEST] = 1};

/* An array in PostgreSQL's binary form: a header, then each element's length and bytes. */
struct array {
    struct dbuf b;
    uint32_t n;
    bool nulls;
};

static int put32(struct dbuf *b, uint32_t v)
{
    v = htonl(v);
    return dbuf_append(b, &v, 4);
}

static int elem_int(struct array *a, int64_t v)
{
    a->n++;
    uint64_t x = (uint64_t)v;
    int rc = put32(&a->b, 8);
    rc = rc ? rc : put32(&a->b, (uint32_t)(x >> 32));
    return rc ? rc : put32(&a->b, (uint32_t)x);
}

static int elem_text(struct array *a, const char *s, size_t n)
{
    a->n++;
    if (!s) {
        a->nulls = true;
        return put32(&a->b, 0xffffffffu);
    }
    int rc = put32(&a->b, (uint32_t)n);
    return rc ? rc : dbuf_append(&a->b, s, n);
}

/* The header, written last into the 20 bytes kept at the start. */
static void array_done(struct array *a, bool text)
{
    uint32_t h[5] = {htonl(1), htonl(a->nulls), htonl(text ? TEXTOID : INT8OID), htonl(a->n),
                     htonl(1)};
    memcpy(a->b.ptr, h, sizeof h);
}

static int arrays_init(struct array *a, int n)
{
    int rc = 0;
    for (int c = 0; c < n; c++) {
        memset(&a[c], 0, sizeof a[c]);
        dbuf_init(&a[c].b, 1u << 30);
        rc = rc ? rc : dbuf_append(&a[c].b, "01234567890123456789", 20);
    }
    return rc;
}

/* Each array as a statement value of its type (text or bigint[]). */
static void arrays_done(struct array *a, int n, const bool *text, struct store_val *v)
{
    for (int c = 0; c < n; c++) {
        array_done(&a[c], text[c]);
        v[c] = sv_blob(a[c].b.ptr, a[c].b.len);
        v[c].pgtype = text[c] ? TEXTARRAYOID : INT8ARRAYOID;
    }
}

static void arrays_release(struct array *a, int n)
{
    for (int c = 0; c < n; c++)
        dbuf_release(&a[c].b);
}

static int elem_str(struct array *a, const char *s)
{
    return elem_text(a, s, s ? strlen(s) : 0);
}

/* The flow and place rows of the new versions among o (flows.c's store_put_flow_rows for each,
 * in order, in one statement): a flow's rows and the places it passes through; where each
 * location lies (the last placement of a location in the batch is the one kept, as when each
 * replaced the one before) and every place it lies within. */
enum {
    F_OBJ,
    F_WHAT,
    F_SRC,
    F_DST,
    F_FIRST,
    F_LAST,
    F_GRADE,
    F_ID,
    F_VERSION,
    F_SOURCE,
    V_OBJ,
    V_LOC,
    P_LOC,
    P_OBJ,
    P_PLACE,
    P_COUNTRY,
    I_LOC,
    I_PLACE,
    N_FLOW_ARRAYS
};
static const bool flow_text[N_FLOW_ARRAYS] = {
    [F_WHAT] = 1,    [F_SRC] = 1,    [F_DST] = 1,  [F_GRADE] = 1, [F_ID] = 1,
    [F_VERSION] = 1, [F_SOURCE] = 1, [V_LOC] = 1,  [P_LOC] = 1,   [P_PLACE] = 1,
    [P_COUNTRY] = 1, [I_LOC] = 1,    [I_PLACE] = 1};

static struct sq put_flows = SQ(
    "WITH f AS (INSERT INTO flow(obj, what, src, dst, first_seen, last_seen, grade, id, version,"
    " source) SELECT * FROM unnest(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
    " ON CONFLICT DO NOTHING),"
    " v AS (INSERT INTO flow_via(obj, loc) SELECT * FROM unnest(?11, ?12) ON CONFLICT DO NOTHING),"
    " p AS (INSERT INTO place_of(coll, loc, obj, place, country) SELECT DISTINCT ON (x.loc) ?19,"
    " x.loc, x.obj, x.place, x.country FROM unnest(?13, ?14, ?15, ?16) WITH ORDINALITY"
    " AS x(loc, obj, place, country, ord) ORDER BY x.loc, x.ord DESC ON CONFLICT(coll, loc)"
    " DO UPDATE SET obj = excluded.obj, place = excluded.place, country = excluded.country)"
    " INSERT INTO place_in(coll, loc, place) SELECT ?19, y.loc, y.place FROM unnest(?17, ?18)"
    " AS y(loc, place) ON CONFLICT DO NOTHING");

static int flow_rows(struct array *a, int64_t added, const struct store_object *o)
{
    int rc = 0;
    const struct store_flow *f = o->flow;
    for (size_t i = 0; f && i < f->n_what && rc == 0; i++) {
        rc = elem_int(&a[F_OBJ], added);
        rc = rc ? rc : elem_str(&a[F_WHAT], f->what[i]);
        rc = rc ? rc : elem_str(&a[F_SRC], f->from_ref);
        rc = rc ? rc : elem_str(&a[F_DST], f->to_ref);
        rc = rc ? rc : elem_int(&a[F_FIRST], f->first_seen);
        rc = rc ? rc : elem_int(&a[F_LAST], f->last_seen);
        rc = rc ? rc : elem_str(&a[F_GRADE], f->grade ? f->grade : "");
        rc = rc ? rc : elem_str(&a[F_ID], o->id);
        rc = rc ? rc : elem_str(&a[F_VERSION], o->modified);
        rc = rc ? rc : elem_str(&a[F_SOURCE], o->created_by_ref ? o->created_by_ref : "");
    }
    for (size_t i = 0; f && i < f->n_via && rc == 0; i++) {
        rc = elem_int(&a[V_OBJ], added);
        rc = rc ? rc : elem_str(&a[V_LOC], f->via_refs[i]);
    }
    for (size_t i = 0; i < o->n_placed && rc == 0; i++) {
        const struct store_placed *p = &o->placed[i];
        rc = elem_str(&a[P_LOC], p->loc);
        rc = rc ? rc : elem_int(&a[P_OBJ], p->from_object ? added : 0);
        rc = rc ? rc : elem_str(&a[P_PLACE], p->place);
        rc = rc ? rc : elem_str(&a[P_COUNTRY], p->country);
        for (size_t k = 0; k < p->n_within && rc == 0; k++) {
            rc = elem_str(&a[I_LOC], p->loc);
            rc = rc ? rc : elem_str(&a[I_PLACE], p->within[k]);
        }
    }
    return rc;
}

static int pg_put_flows(struct store_txn *t, int64_t coll, const struct store_object *o, size_t n,
                        const struct store_put *out, struct lia_err *err)
{
    size_t rows = 0;
    for (size_t i = 0; i < n; i++)
        rows += out[i].result == STORE_PUT_NEW && (o[i].flow || o[i].n_placed);
    if (rows == 0)
        return 0;
    struct array a[N_FLOW_ARRAYS];
    int rc = arrays_init(a, N_FLOW_ARRAYS);
    for (size_t i = 0; i < n && rc == 0; i++)
        if (out[i].result == STORE_PUT_NEW)
            rc = flow_rows(a, out[i].date_added, &o[i]);
    struct store_val v[N_FLOW_ARRAYS + 1];
    arrays_done(a, N_FLOW_ARRAYS, flow_text, v);
    v[N_FLOW_ARRAYS] = sv_int(coll);
    if (rc)
        rc = lia_err_set(err, rc, "store: store flows: batch too large");
    else
        rc = store_do(t->conn, &put_flows, v, N_FLOW_ARRAYS + 1, NULL, "store flows", err);
    arrays_release(a, N_FLOW_ARRAYS);
    return rc;
}

/* A row's superseded or preceded flag: from the batch (bit), none for a first version, else
 * whether a stored version is newer (cmp ">") or older ("<"). */
#define FLAG(bit, cmp)                                                                             \
    " CASE WHEN (w.rel & " bit ") <> 0 THEN 1 WHEN (w.rel & 1) <> 0 THEN 0 WHEN EXISTS(SELECT 1"   \
    " FROM object n WHERE n.coll = ?20 AND n.id = w.id AND n.modified " cmp " w.modified)"         \
    " THEN 1 ELSE 0 END"
#define OBJECT_ROW                                                                                 \
    "INSERT INTO object(date_added, coll, id, type, spec_version, created, modified,"              \
    " modified_text, created_by_ref, tlp, restricted, json, rel_mask, red_mask, digest,"           \
    " superseded, preceded) SELECT k, ?20, id, type, spec_version, created, modified,"             \
    " modified_text, created_by_ref, tlp, restricted, json, rel_mask, red_mask, digest,"
/* PUT_ALONE: a first version (no version of its id found stored) and the only row of its id
 * in the batch: nothing in the batch can conflict with it, so it is inserted without ON
 * CONFLICT's speculative insertion, and with no neighbours to flag. Stored rows are still
 * probed (NOT EXISTS, the same index probe as ON CONFLICT's): a definition carried into the
 * collection (ingest.c, carry_one) is flagged first although the same version may have
 * been stored from the envelope just before. Under the write lock no one else inserts. */
#define PUT_ALONE 8

#define NEWER_STORED FLAG("2", ">")
#define OLDER_STORED FLAG("4", "<")

static struct sq put =
    SQ("WITH w AS MATERIALIZED (SELECT * FROM unnest(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
       " ?12, ?13, ?14, ?15, ?19) AS w(k, id, type, spec_version, created, modified, modified_text,"
       " created_by_ref, tlp, restricted, json, rel_mask, red_mask, rel, body, digest)),"
       " alone AS (" OBJECT_ROW " 0, 0 FROM w WHERE (w.rel & 8) <> 0 AND NOT EXISTS(SELECT 1"
       " FROM object n WHERE n.coll = ?20 AND n.id = w.id AND n.modified = w.modified)"
       " ORDER BY k RETURNING date_added),"
       " other AS (" OBJECT_ROW NEWER_STORED "," OLDER_STORED " FROM w WHERE (w.rel & 8) = 0"
       " ORDER BY k ON CONFLICT(coll, id, modified) DO NOTHING RETURNING date_added),"
       " ins AS (SELECT date_added FROM alone UNION ALL SELECT date_added FROM other),"
       /* Versions stored before: superseded by the newest new one, preceded by the oldest. */
       " mark AS (UPDATE object o SET superseded = CASE WHEN o.modified < x.hi THEN 1"
       " ELSE o.superseded END, preceded = CASE WHEN o.modified > x.lo THEN 1 ELSE o.preceded"
       " END FROM (SELECT w.id, min(w.modified) AS lo, max(w.modified) AS hi FROM w JOIN other"
       " ON other.date_added = w.k WHERE (w.rel & 1) = 0 GROUP BY w.id) x WHERE o.coll = ?20"
       " AND o.id = x.id AND ((o.modified < x.hi AND o.superseded = 0) OR (o.modified > x.lo"
       " AND o.preceded = 0))),"
       " txt AS (INSERT INTO search(rowid, body) SELECT k, body FROM w WHERE body IS NOT NULL"
       " AND k IN (SELECT date_added FROM ins)),"
       " aud AS (INSERT INTO audience(obj, kind, partner) SELECT a.obj, a.kind, a.partner"
       " FROM unnest(?16, ?17, ?18) AS a(obj, kind, partner) WHERE a.obj IN"
       " (SELECT date_added FROM ins) ON CONFLICT DO NOTHING)"
       /* Each row: new or not, and its date_added: its own, else (looked up only then) that of
        * the version stored before, else of the same one earlier in this batch. */
       " SELECT CASE WHEN ins.date_added IS NULL THEN 0 ELSE 1 END, coalesce(ins.date_added,"
       " (SELECT o.date_added FROM object o WHERE o.coll = ?20 AND o.id = w.id"
       " AND o.modified = w.modified), (SELECT w2.k FROM w w2 JOIN ins i2"
       " ON i2.date_added = w2.k WHERE w2.id = w.id AND w2.modified = w.modified LIMIT 1))"
       " FROM w LEFT JOIN ins ON ins.date_added = w.k ORDER BY w.k");
_Static_assert(PUT_ALONE == 8 && PUT_FIRST == 1, "the bits in the statement");

/* The rows alone in the batch: the first version of an id no other row has. */
struct one_row {
    const struct store_object *o;
};

static int by_id(const void *a, const void *b)
{
    return strcmp(((const struct one_row *)a)->o->id, ((const struct one_row *)b)->o->id);
}

static int alone(const struct store_object *o, size_t n, const unsigned char *rel,
                 unsigned char *out)
{
    struct one_row *sorted = malloc((n ? n : 1) * sizeof *sorted);
    if (!sorted)
        return LIA_ENOMEM;
    for (size_t i = 0; i < n; i++)
        sorted[i].o = &o[i];
    qsort(sorted, n, sizeof *sorted, by_id);
    for (size_t i = 0; i < n; i++) {
        size_t k = (size_t)(sorted[i].o - o);
        bool single = (i == 0 || strcmp(sorted[i - 1].o->id, sorted[i].o->id) != 0) &&
                      (i + 1 == n || strcmp(sorted[i + 1].o->id, sorted[i].o->id) != 0);
        out[k] = (unsigned char)(rel[k] | (single && (rel[k] & PUT_FIRST) ? PUT_ALONE : 0));
    }
    free(sorted);
    return 0;
}

int pg_put_many(struct store_txn *t, int64_t coll, const struct store_object *o, size_t n,
                const unsigned char *rel, struct store_put *out, struct lia_err *err)
{
    struct array a[N_ARRAYS];
    int rc = arrays_init(a, N_ARRAYS);
    unsigned char *flags = malloc(n ? n : 1);
    rc = rc ? rc : !flags ? LIA_ENOMEM : alone(o, n, rel, flags);
    for (size_t i = 0; i < n && rc == 0; i++) {
        const struct store_object *x = &o[i];
        int64_t nums[] = {[K] = out[i].date_added,
                          [CREATED] = x->created_us,
                          [MODIFIED] = x->modified_us,
                          [TLP] = x->tlp,
                          [RESTRICTED] = store_restricted(x),
                          [RELM] = store_audience_mask(x->rel_to, x->n_rel_to),
                          [REDM] = store_audience_mask(x->red_to, x->n_red_to),
                          [REL] = flags[i]};
        const char *texts[] = {[ID] = x->id,
                               [TYPE] = x->type,
                               [SPEC] = x->spec_version ? x->spec_version : "2.1",
                               [MTEXT] = x->modified,
                               [BY] = x->created_by_ref,
                               [BODY] = x->search_text && *x->search_text ? x->search_text : NULL};
        for (int c = 0; c <= BODY && rc == 0; c++)
            rc = !is_text[c] ? elem_int(&a[c], nums[c])
                 : c == JSON ? elem_text(&a[c], x->json, x->json_len)
                             : elem_text(&a[c], texts[c], texts[c] ? strlen(texts[c]) : 0);
        char own[STORE_DIGEST_HEX];
        const char *digest = x->digest ? x->digest : (store_digest(x->json, x->json_len, own), own);
        rc = rc ? rc : elem_text(&a[DIGEST], digest, STORE_DIGEST_HEX - 1);
        for (int kind = AUDIENCE_REL; kind <= AUDIENCE_GROUP && rc == 0; kind++) {
            const int64_t *who = kind == AUDIENCE_REL   ? x->rel_to
                                 : kind == AUDIENCE_RED ? x->red_to
                                                        : x->groups;
            size_t m = kind == AUDIENCE_REL   ? x->n_rel_to
                       : kind == AUDIENCE_RED ? x->n_red_to
                                              : x->n_groups;
            for (size_t j = 0; j < m && rc == 0; j++) {
                rc = elem_int(&a[OBJ], out[i].date_added);
                rc = rc ? rc : elem_int(&a[KIND], kind);
                rc = rc ? rc : elem_int(&a[PARTNER], who[j]);
            }
        }
    }
    struct store_val v[N_ARRAYS + 1];
    arrays_done(a, N_ARRAYS, is_text, v);
    v[N_ARRAYS] = sv_int(coll);
    struct store_cur cur = {0};
    if (rc)
        rc = lia_err_set(err, rc, "store: store objects: batch too large");
    else
        rc = store_exec(t->conn, &put, v, N_ARRAYS + 1, &cur, "store objects", err);
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
    arrays_release(a, N_ARRAYS);
    free(flags);
    return rc ? rc : pg_put_flows(t, coll, o, n, out, err);
}
