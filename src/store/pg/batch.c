/*
 * A batch of object versions in one PostgreSQL statement (one round trip) instead of a few
 * per object. Each column of the batch travels as one array in binary form, so the statement
 * has a fixed text, prepared once per session (no parsing or planning per batch): the rows,
 * inserted with ON CONFLICT DO NOTHING; the older and newer versions already stored, flagged;
 * the search and audience rows of those inserted; and for each row whether it was new and its
 * date_added (its own, or that of the version stored before).
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

#define FLAG(name, bit, cmp)                                                                       \
    " CASE WHEN (w.rel & " bit ") <> 0 THEN 1 WHEN (w.rel & 1) <> 0 THEN 0 WHEN EXISTS(SELECT 1"   \
    " FROM object n WHERE n.coll = ?20 AND n.id = w.id AND n.modified " cmp " w.modified)"         \
    " THEN 1 ELSE 0 END"

static struct sq put =
    SQ("WITH w AS MATERIALIZED (SELECT * FROM unnest(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
       " ?12, ?13, ?14, ?15, ?19) AS w(k, id, type, spec_version, created, modified, modified_text,"
       " created_by_ref, tlp, restricted, json, rel_mask, red_mask, rel, body, digest)),"
       " ins AS (INSERT INTO object(date_added, coll, id, type, spec_version, created, modified,"
       " modified_text, created_by_ref, tlp, restricted, json, rel_mask, red_mask, digest,"
       " superseded, preceded) SELECT k, ?20, id, type, spec_version, created, modified,"
       " modified_text, created_by_ref, tlp, restricted, json, rel_mask, red_mask, digest," FLAG(
           "superseded", "2",
           ">") "," FLAG("preceded", "4",
                         "<") " FROM w ORDER BY k ON CONFLICT(coll, id, modified) DO NOTHING"
                              " RETURNING date_added),"
                              /* Versions stored before: superseded by the newest new one, preceded
                                 by the oldest. */
                              " mark AS (UPDATE object o SET superseded = CASE WHEN o.modified < "
                              "x.hi THEN 1"
                              " ELSE o.superseded END, preceded = CASE WHEN o.modified > x.lo THEN "
                              "1 ELSE o.preceded END"
                              " FROM (SELECT w.id, min(w.modified) AS lo, max(w.modified) AS hi "
                              "FROM w JOIN ins"
                              " ON ins.date_added = w.k WHERE (w.rel & 1) = 0 GROUP BY w.id) x "
                              "WHERE o.coll = ?20"
                              " AND o.id = x.id AND ((o.modified < x.hi AND o.superseded = 0) OR "
                              "(o.modified > x.lo"
                              " AND o.preceded = 0))),"
                              " txt AS (INSERT INTO search(rowid, body) SELECT k, body FROM w "
                              "WHERE body IS NOT NULL"
                              " AND k IN (SELECT date_added FROM ins)),"
                              " aud AS (INSERT INTO audience(obj, kind, partner) SELECT a.obj, "
                              "a.kind, a.partner"
                              " FROM unnest(?16, ?17, ?18) AS a(obj, kind, partner) WHERE a.obj IN "
                              "(SELECT date_added"
                              " FROM ins) ON CONFLICT DO NOTHING)"
                              /* Each row: new or not, and its date_added (a version stored before,
                               * or the same one earlier in this batch). */
                              " SELECT CASE WHEN ins.date_added IS NULL THEN 0 ELSE 1 END,"
                              " coalesce(ins.date_added, o.date_added, d.k) FROM w LEFT JOIN ins "
                              "ON ins.date_added = w.k"
                              " LEFT JOIN object o ON ins.date_added IS NULL AND o.coll = ?20 AND "
                              "o.id = w.id"
                              " AND o.modified = w.modified LEFT JOIN (SELECT w2.id, w2.modified, "
                              "w2.k FROM w w2 JOIN ins"
                              " i2 ON i2.date_added = w2.k) d ON ins.date_added IS NULL AND d.id = "
                              "w.id"
                              " AND d.modified = w.modified ORDER BY w.k");

int pg_put_many(struct store_txn *t, int64_t coll, const struct store_object *o, size_t n,
                const unsigned char *rel, struct store_put *out, struct lia_err *err)
{
    struct array a[N_ARRAYS];
    int rc = 0;
    for (int c = 0; c < N_ARRAYS; c++) {
        memset(&a[c], 0, sizeof a[c]);
        dbuf_init(&a[c].b, 1u << 30);
        rc = rc ? rc : dbuf_append(&a[c].b, "01234567890123456789", 20);
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        const struct store_object *x = &o[i];
        int64_t nums[] = {[K] = out[i].date_added,
                          [CREATED] = x->created_us,
                          [MODIFIED] = x->modified_us,
                          [TLP] = x->tlp,
                          [RESTRICTED] = store_restricted(x),
                          [RELM] = store_audience_mask(x->rel_to, x->n_rel_to),
                          [REDM] = store_audience_mask(x->red_to, x->n_red_to),
                          [REL] = rel[i]};
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
    for (int c = 0; c < N_ARRAYS; c++) {
        array_done(&a[c], is_text[c]);
        v[c] = sv_blob(a[c].b.ptr, a[c].b.len);
        v[c].pgtype = is_text[c] ? TEXTARRAYOID : INT8ARRAYOID;
    }
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
    for (int c = 0; c < N_ARRAYS; c++)
        dbuf_release(&a[c].b);
    return rc;
}
