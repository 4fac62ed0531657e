/*
 * Review and retention (docs/people.md): each collection's review interval, retention limit,
 * handling code and legal basis; the review queue computed from the object rows (an object's
 * review date is its newest version's date_added plus the interval, or a person's later
 * extension; its retention limit its first version's plus the limit); extensions; and, after
 * a deletion, scrubbing the deleted text out of the SQLite file.
 */
#include "store/store_int.h"

#include <sodium.h>

#define R(m, k) FIELD(struct store_retention, m, k)
static const struct store_field retention_fields[] = {
    R(coll, 'i'),        R(review_every, 'i'), R(retain_for, 'i'), R(handling_code, 't'),
    R(legal_basis, 't'), R(coll_id, 't'),      R(coll_title, 't')};
STORE_ROW_FN(retention_row, retention_fields)

int store_retention_set(struct store_txn *t, const struct store_retention *r, struct lia_err *err)
{
    static struct sq q =
        SQ("INSERT INTO retention(coll, review_every, retain_for, handling_code, legal_basis,"
           " updated) VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT(coll) DO UPDATE SET"
           " review_every = excluded.review_every, retain_for = excluded.retain_for,"
           " handling_code = excluded.handling_code, legal_basis = excluded.legal_basis,"
           " updated = excluded.updated");
    return store_do(t->conn, &q,
                    SV(sv_int(r->coll), sv_int(r->review_every), sv_int(r->retain_for),
                       sv_text(r->handling_code), sv_text(r->legal_basis), sv_int(lia_now_us())),
                    NULL, "set retention", err);
}

int store_retention_list(struct store *s, struct arena *a, struct store_retention **out, size_t *n,
                         struct lia_err *err)
{
    static struct sq q = SQ("SELECT r.coll, r.review_every, r.retain_for, r.handling_code,"
                            " r.legal_basis, c.id, c.title FROM retention r"
                            " JOIN collection c ON c.rid = r.coll ORDER BY r.coll");
    void *rows = NULL;
    int rc =
        store_list(s, &q, SV_NONE, sizeof **out, retention_row, a, &rows, n, "list retention", err);
    *out = rows;
    return rc;
}

#define I(m, k) FIELD(struct store_review_item, m, k)
static const struct store_field item_fields[] = {
    I(coll, 'i'), I(coll_id, 't'), I(id, 't'),    I(type, 't'),        I(first, 'i'),
    I(last, 'i'), I(due, 'i'),     I(limit, 'i'), I(extended_by, 't'), I(reason, 't')};
STORE_ROW_FN(item_row, item_fields)

/* Per object of a collection with a policy: its first and last keys, its review date (0:
 * none) and its retention limit (0: none). Plain CASE, not max(a, b): PostgreSQL's is
 * GREATEST. */
#define DUE                                                                                        \
    "CASE WHEN r.review_every = 0 THEN 0 WHEN v.due IS NOT NULL AND v.due >"                       \
    " max(o.date_added) + r.review_every THEN v.due ELSE max(o.date_added) + r.review_every END"
#define LIMIT "CASE WHEN r.retain_for = 0 THEN 0 ELSE min(o.date_added) + r.retain_for END"
#define ITEM_SELECT                                                                                \
    "SELECT o.coll, c.id, o.id, min(o.type), min(o.date_added), max(o.date_added), " DUE           \
    ", " LIMIT ", v.by, v.reason FROM object o JOIN retention r ON r.coll = o.coll"                \
    " JOIN collection c ON c.rid = o.coll LEFT JOIN review v ON v.coll = o.coll AND v.id = o.id"
#define ITEM_GROUP                                                                                 \
    " GROUP BY o.coll, c.id, o.id, r.review_every, r.retain_for, v.due, v.by, v.reason"

int store_review_queue(struct store *s, int64_t coll, int64_t now, bool all, size_t limit,
                       struct arena *a, struct store_review_item **out, size_t *n,
                       struct lia_err *err)
{
    static struct sq q = SQ(
        ITEM_SELECT " WHERE (?1 = 0 OR o.coll = ?1) AND o.type <> 'marking-definition'" ITEM_GROUP
                    " HAVING ?3 <> 0 OR (" DUE " BETWEEN 1 AND ?2) OR (" LIMIT " BETWEEN 1 AND ?2)"
                    " ORDER BY 7, 3 LIMIT ?4");
    void *rows = NULL;
    int rc = store_list(s, &q, SV(sv_int(coll), sv_int(now), sv_int(all), sv_int((int64_t)limit)),
                        sizeof **out, item_row, a, &rows, n, "review queue", err);
    *out = rows;
    return rc;
}

int store_review_item(struct store_txn *t, int64_t coll, const char *id, struct arena *a,
                      struct store_review_item *out, struct lia_err *err)
{
    static struct sq q = SQ(ITEM_SELECT " WHERE o.coll = ?1 AND o.id = ?2" ITEM_GROUP);
    memset(out, 0, sizeof *out);
    return store_one(t->conn, &q, SV(sv_int(coll), sv_text(id)), item_row, a, out,
                     "no such object under a review policy in this collection", "review item", err);
}

int store_review_extend(struct store_txn *t, int64_t coll, const char *id, int64_t due,
                        const char *by, const char *reason, struct lia_err *err)
{
    static struct sq q = SQ("INSERT INTO review(coll, id, due, by, reason, updated)"
                            " VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT(coll, id) DO UPDATE SET"
                            " due = excluded.due, by = excluded.by, reason = excluded.reason,"
                            " updated = excluded.updated");
    return store_do(t->conn, &q,
                    SV(sv_int(coll), sv_text(id), sv_int(due), sv_text(by), sv_text(reason),
                       sv_int(lia_now_us())),
                    NULL, "extend review", err);
}

int store_review_forget(struct store_txn *t, int64_t coll, const char *id, struct lia_err *err)
{
    static struct sq q = SQ("DELETE FROM review WHERE coll = ? AND id = ?");
    return store_do(t->conn, &q, SV(sv_int(coll), sv_text(id)), NULL, "forget review", err);
}

int store_scrub(struct store *s, struct lia_err *err)
{
    if (s->be != &store_sqlite)
        return 0;
    struct store_conn *c;
    int rc = store_acquire(s, &c, err);
    if (rc)
        return rc;
    rc = s->be->script(c, "INSERT INTO search(search) VALUES('optimize')", err);
    if (rc == 0)
        rc = s->be->script(c, "PRAGMA wal_checkpoint(TRUNCATE)", err);
    store_release(s, c);
    return rc;
}

struct held_version {
    int64_t modified, key;
    const char *json;
    size_t len;
};

static int held_row(struct store_cur *cur, struct arena *a, void *dst)
{
    struct held_version *h = dst;
    h->modified = store_col_int(cur, 0);
    h->key = store_col_int(cur, 1);
    h->json = store_col_dupn(cur, 2, a, &h->len);
    return h->json ? 0 : -1;
}

int store_prune_versions(struct store_txn *t, int64_t coll, const char *id, int64_t modified_us,
                         struct arena *a, struct store_row **gone, char (**digests)[65], size_t *n,
                         struct lia_err *err)
{
    /* Their text (for the digests on record) and version timestamps, then the one delete of
     * the store (store_delete_object) of exactly those versions. */
    static const char *const find = "SELECT modified, date_added, json FROM object"
                                    " WHERE coll = ?1 AND id = ?2 AND modified < ?3";
    struct store_args b;
    store_args_init(&b, a);
    int rc = store_args_add(&b, sv_int(coll));
    rc = rc ? rc : store_args_add(&b, sv_text(id));
    rc = rc ? rc : store_args_add(&b, sv_int(modified_us));
    void *rows = NULL;
    size_t k = 0;
    *gone = NULL;
    *digests = NULL;
    *n = 0;
    rc = rc ? lia_err_set(err, rc, "out of memory")
            : store_list_text(t->conn, find, strlen(find), &b, sizeof(struct held_version),
                              held_row, a, &rows, &k, "prune versions", err);
    if (rc || k == 0)
        return rc;
    struct held_version *h = rows;
    int64_t *at = arena_alloc(a, k * sizeof *at);
    if (!at)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    for (size_t i = 0; i < k; i++)
        at[i] = h[i].modified;
    struct store_policy all = {.all = true, .clearance = STORE_TLP_RED};
    struct store_filter f = {.version_at = at, .n_version_at = k, .limit = k};
    rc = store_delete_object(t, &all, coll, id, &f, a, gone, n, err);
    *digests = rc ? NULL : arena_alloc(a, (*n ? *n : 1) * sizeof **digests);
    if (rc == 0 && !*digests)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    for (size_t i = 0; i < *n && rc == 0; i++) {
        (*digests)[i][0] = '\0';
        for (size_t j = 0; j < k; j++)
            if (h[j].key == (*gone)[i].date_added) {
                unsigned char d[32];
                crypto_generichash(d, sizeof d, (const unsigned char *)h[j].json, h[j].len, NULL,
                                   0);
                sodium_bin2hex((*digests)[i], 65, d, sizeof d);
            }
    }
    return rc;
}
