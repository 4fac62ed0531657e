/*
 * Object versions: put (a batch), the policy-aware query (the one gate of design.md
 * invariant 1), delete, look-ups by key, and the look-ups the write rules make inside a
 * transaction (creators, marking-definitions, partners), remembered for the transaction.
 *
 * Each version row carries superseded (a later version of the object exists) and preceded
 * (an earlier one does), set in the same transaction as every insert and delete: a version
 * with neither flag is the last and first for every caller, so reading the last versions
 * needs no probe per row.
 */
#include "store/store_int.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

/* Answers to look-ups repeated within a transaction: a marking-definition's text, an
 * identity's partner rowid. At most 64; then look-ups just run. */
enum { MEMO_MARKING = 1, MEMO_PARTNER = 2, MEMO_MAX = 64 };
struct memo_entry {
    int kind, rc;
    const char *key, *text;
    int64_t num;
};
struct store_memo {
    struct arena a;
    int n;
    struct memo_entry e[MEMO_MAX];
};

static struct memo_entry *memo_find(struct store_txn *t, int kind, const char *key)
{
    for (int i = 0; t->memo && i < t->memo->n; i++)
        if (t->memo->e[i].kind == kind && !strcmp(t->memo->e[i].key, key))
            return &t->memo->e[i];
    return NULL;
}

static void memo_put(struct store_txn *t, int kind, const char *key, int rc, const char *text,
                     int64_t num)
{
    if ((!t->memo && !(t->memo = calloc(1, sizeof *t->memo))) || t->memo->n == MEMO_MAX)
        return;
    struct memo_entry e = {kind, rc, arena_strndup(&t->memo->a, key, strlen(key)),
                           text ? arena_strndup(&t->memo->a, text, strlen(text)) : NULL, num};
    if (e.key && (!text || e.text))
        t->memo->e[t->memo->n++] = e;
}

void store_memo_free(struct store_txn *t)
{
    if (t->memo)
        arena_release(&t->memo->a);
    free(t->memo);
    t->memo = NULL;
}

struct access_row {
    int64_t default_tlp, can_read, can_write, found;
};

static int access_row(struct store_cur *cur, struct arena *a, void *dst)
{
    (void)a;
    struct access_row *r = dst;
    *r =
        (struct access_row){store_col_int(cur, 0), store_col_int(cur, 1), store_col_int(cur, 2), 1};
    return 0;
}

/* Reads the collection's default TLP and whether policy p may read (or write) it. */
int store_collection_access(struct store *s, struct store_conn *c, const struct store_policy *p,
                            int64_t coll, bool need_write, int *default_tlp, struct lia_err *err)
{
    static struct sq q = SQ("SELECT c.default_tlp, " STORE_RIGHT("read", "?1") ", " STORE_RIGHT(
        "write", "?1") " FROM collection c LEFT JOIN grant_right g"
                       " ON g.coll = c.rid AND g.partner = ?1 WHERE c.rid = ?2");
    struct access_row row = {0};
    if (!store_cache_get(s, c, CACHE_ACCESS, p->partner, coll, NULL, &row, sizeof row, NULL, 0,
                         NULL)) {
        int rc = store_one(c, &q, SV(sv_int(p->partner), sv_int(coll)), access_row, NULL, &row, "",
                           "read collection", err);
        if (rc && rc != LIA_ENOTFOUND)
            return rc;
        store_cache_put(s, c, CACHE_ACCESS, p->partner, coll, NULL, &row, sizeof row, NULL, 0);
    }
    *default_tlp = (int)row.default_tlp;
    if (!row.found || (!p->all && !(need_write ? row.can_write : row.can_read)))
        return lia_err_set(err, LIA_ENOTFOUND, "no such collection");
    return 0;
}

void store_set_digest_sample(struct store *s, unsigned n)
{
    atomic_store(&s->digest_sample, n);
}

/* Whether row r (read with its text; column 5 its digest) is one of the sample to check, and
 * if so whether its text still has the digest taken when it was written. */
static int check_digest(struct store *s, struct store_cur *cur, const struct store_row *r,
                        struct arena *a, struct lia_err *err)
{
    unsigned every = atomic_load(&s->digest_sample);
    if (!every || atomic_fetch_add(&s->digest_tick, 1) % every != 0)
        return 0;
    const char *want = store_col_dup(cur, 5, a);
    if (!want || strlen(want) != STORE_DIGEST_HEX - 1)
        return 0; /* no digest (written before it was taken, and not filled): nothing to compare */
    char got[STORE_DIGEST_HEX];
    store_digest(r->json, r->json_len, got);
    if (memcmp(got, want, STORE_DIGEST_HEX - 1) == 0)
        return 0;
    lia_log(LIA_LOG_ERROR, "object_damaged", "\"id\":\"%.200s\",\"date_added\":%lld", r->id,
            (long long)r->date_added);
    return lia_err_set(err, LIA_EIO,
                       "object %.200s (version %.40s) differs from the digest taken when it was "
                       "written: the store is damaged; nothing of it was served. Run `liaison "
                       "store check` and restore from a backup (docs/backup.md)",
                       r->id, r->modified ? r->modified : "?");
}

static int page_row(struct store_cur *cur, struct arena *a, struct store_row *r, bool with_json)
{
    r->date_added = store_col_int(cur, 0);
    r->id = store_col_dup(cur, 1, a);
    r->modified = store_col_dup(cur, 2, a);
    r->spec_version = store_col_dup(cur, 3, a);
    if (with_json)
        r->json = store_col_dupn(cur, 4, a, &r->json_len);
    return r->id && r->spec_version && (!with_json || r->json) ? 0 : LIA_ETOOBIG;
}

/* The filter asks for more than TAXII's filters (the desk's browsing). */
static bool browsing(const struct store_filter *f)
{
    return f->n_tlps || f->created_by || f->modified_from || f->modified_to || f->order ||
           f->descending || f->cursor || f->refers_to;
}

/* The ORDER BY of a page, on the rows of table alias a. */
static int order_sql(struct dbuf *q, const struct store *s, const struct store_filter *f,
                     const char *a)
{
    if (f->order == STORE_ORDER_MODIFIED)
        return f->descending
                   ? dbuf_printf(q, " ORDER BY %s.modified DESC, %s.date_added DESC", a, a)
                   : dbuf_printf(q, " ORDER BY %s.modified, %s.date_added", a, a);
    /* The same order: s.rowid = o.date_added; the index gives its matches in it. */
    if (!strcmp(a, "o") && store_search_joined(s, f))
        return dbuf_puts(q, f->descending ? " ORDER BY s.rowid DESC" : " ORDER BY s.rowid");
    return dbuf_printf(q, " ORDER BY %s.date_added%s", a, f->descending ? " DESC" : "");
}

/* The start of every read of objects: a connection (*c NULL when none could be had: then
 * nothing else is set), the collection's default TLP and the caller's right to read it (rc),
 * and an empty statement with its values. The caller releases q and c. */
static int query_begin(struct store *s, const struct store_policy *p, int64_t coll, struct arena *a,
                       struct store_conn **c, int *default_tlp, struct dbuf *q,
                       struct store_args *b, struct lia_err *err)
{
    *c = NULL;
    int rc = store_acquire(s, c, err);
    if (rc) {
        *c = NULL;
        return rc;
    }
    *default_tlp = STORE_TLP_AMBER;
    rc = store_collection_access(s, *c, p, coll, false, default_tlp, err);
    dbuf_init(q, 256 * 1024);
    store_args_init(b, a);
    return rc;
}

/* Runs "<head>SELECT <what> FROM object o WHERE <f and p> <tail>" on coll, each row through fn into
 * an arena array of size-byte elements: the one WHERE clause of the gate, for counts. */
static int aggregate(struct store *s, const struct store_policy *p, int64_t coll,
                     const struct store_filter *f, const char *head, const char *what,
                     const char *tail, size_t size, store_row_fn fn, struct arena *a, void **out,
                     size_t *n, struct lia_err *err)
{
    *out = NULL;
    *n = 0;
    struct store_conn *c;
    int default_tlp;
    struct dbuf q;
    struct store_args b;
    int rc = query_begin(s, p, coll, a, &c, &default_tlp, &q, &b, err);
    if (rc < 0 && !c)
        return rc;
    rc = rc ? rc : dbuf_printf(&q, "%sSELECT %s%s", head, what, store_from_sql(s, f));
    rc = rc ? rc : store_where_sql(&q, &b, s, p, default_tlp, coll, f, NULL);
    rc = rc ? rc : dbuf_puts(&q, tail);
    if (rc == LIA_ETOOBIG)
        rc = lia_err_set(err, LIA_ETOOBIG, "query has too many terms");
    else if (rc && !err->code)
        rc = lia_err_set(err, rc, "cannot build query");
    if (rc == 0)
        rc = store_list_text(c, q.ptr, q.len, &b, size, fn, a, out, n, "count", err);
    dbuf_release(&q);
    store_release(s, c);
    return rc;
}

int store_count_objects(struct store *s, const struct store_policy *p, int64_t coll,
                        const struct store_filter *f, int64_t *total, struct lia_err *err)
{
    struct arena a;
    arena_init(&a, 1024 * 1024);
    void *rows;
    size_t n;
    int rc = aggregate(s, p, coll, f, "", "count(*)", "", sizeof(int64_t), store_row_int, &a, &rows,
                       &n, err);
    *total = rc == 0 && n == 1 ? *(int64_t *)rows : 0;
    arena_release(&a);
    return rc;
}

static const struct store_field facet_fields[] = {FIELD(struct store_facet, value, 't'),
                                                  FIELD(struct store_facet, count, 'i')};
STORE_ROW_FN(facet_row, facet_fields)

int store_facet_objects(struct store *s, const struct store_policy *p, int64_t coll,
                        const struct store_filter *f, int column, size_t max, struct arena *a,
                        struct store_facet **out, size_t *n, struct lia_err *err)
{
    static const char *const what[] = {
        [STORE_FACET_TYPE] = "o.type, count(*)",
        [STORE_FACET_TLP] = "CAST(o.tlp AS TEXT), count(*)",
        [STORE_FACET_CREATOR] = "o.created_by_ref, count(*)",
    };
    if (column < STORE_FACET_TYPE || column > STORE_FACET_CREATOR)
        return lia_err_set(err, LIA_EINVAL, "no such facet");
    char tail[64];
    snprintf(tail, sizeof tail, " GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT %zu", max);
    void *rows;
    int rc =
        aggregate(s, p, coll, f, "", what[column], tail, sizeof **out, facet_row, a, &rows, n, err);
    *out = rows;
    return rc;
}

static const struct store_field sample_fields[] = {
    FIELD(struct store_facet_row, type, 't'), FIELD(struct store_facet_row, tlp, 't'),
    FIELD(struct store_facet_row, creator, 't'), FIELD(struct store_facet_row, count, 'i')};
STORE_ROW_FN(sample_row, sample_fields)

int store_facet_sample(struct store *s, const struct store_policy *p, int64_t coll,
                       const struct store_filter *f, size_t max_rows, struct arena *a,
                       struct store_facet_row **out, size_t *n, struct lia_err *err)
{
    /* Newest first where the index gives them so (SQLite's search); elsewhere the first the
     * plan finds: on PostgreSQL, ordering the matches of a common word costs every match. */
    char tail[96];
    snprintf(tail, sizeof tail, "%s LIMIT %zu) x GROUP BY 1, 2, 3",
             store_search_joined(s, f) ? " ORDER BY s.rowid DESC" : "", max_rows);
    void *rows;
    int rc = aggregate(s, p, coll, f, "SELECT type, tlp, creator, count(*) FROM (",
                       "o.type AS type, CAST(o.tlp AS TEXT) AS tlp, o.created_by_ref AS creator",
                       tail, sizeof **out, sample_row, a, &rows, n, err);
    *out = rows;
    return rc;
}

int store_gate_preview(struct store *s, const struct store_policy *p, int64_t coll,
                       const struct store_object *o, struct lia_err *err)
{
    if (!p->all && p->partner > STORE_MASK_MAX_PARTNER)
        return lia_err_set(err, LIA_EUNSUPPORTED, "no preview for partner %lld",
                           (long long)p->partner);
    struct arena a;
    arena_init(&a, 1024 * 1024);
    struct store_conn *c;
    int default_tlp;
    struct dbuf q;
    struct store_args b;
    int rc = query_begin(s, p, coll, &a, &c, &default_tlp, &q, &b, err);
    if (rc < 0 && !c) {
        arena_release(&a);
        return rc;
    }
    rc = rc ? rc
            : dbuf_puts(&q, "SELECT count(*) FROM (SELECT ? AS tlp, ? AS restricted, ? AS rel_mask,"
                            " ? AS red_mask, 0 AS date_added, ? AS id, ? AS coll) o WHERE 1 = 1");
    rc = rc ? rc : store_args_add(&b, sv_int(o->tlp));
    rc = rc ? rc : store_args_add(&b, sv_int(store_restricted(o)));
    rc = rc ? rc : store_args_add(&b, sv_int(store_audience_mask(o->rel_to, o->n_rel_to)));
    rc = rc ? rc : store_args_add(&b, sv_int(store_audience_mask(o->red_to, o->n_red_to)));
    rc = rc ? rc : store_args_add(&b, sv_text(o->id ? o->id : ""));
    rc = rc ? rc : store_args_add(&b, sv_int(coll));
    rc = rc ? rc : store_policy_sql(&q, &b, p, default_tlp, "o");
    /* The draft has no audience rows for the policy's group condition to read: it is said
     * here, as policy.c says it (a member of every group, now; group 0 has no member). */
    for (size_t i = 0; rc == 0 && !p->all && i < o->n_groups; i++) {
        rc = dbuf_puts(&q, " AND EXISTS(SELECT 1 FROM group_member gm WHERE gm.grp = ?"
                           " AND gm.partner = ?)");
        rc = rc ? rc : store_args_add(&b, sv_int(o->groups[i]));
        rc = rc ? rc : store_args_add(&b, sv_int(p->partner));
    }
    if (rc && !err->code)
        rc = lia_err_set(err, rc, "cannot build the preview");
    int64_t *rows = NULL;
    size_t n = 0;
    if (rc == 0)
        rc = store_list_text(c, q.ptr, q.len, &b, sizeof *rows, store_row_int, &a, (void **)&rows,
                             &n, "preview", err);
    int verdict = rc == 0 && n == 1 && rows[0] > 0 ? 1 : 0;
    dbuf_release(&q);
    store_release(s, c);
    arena_release(&a);
    return rc ? rc : verdict;
}

int store_query_objects(struct store *s, const struct store_policy *p, int64_t coll,
                        const struct store_filter *f, bool with_json, struct arena *a,
                        struct store_page *out, struct lia_err *err)
{
    memset(out, 0, sizeof *out);
    if (f->limit == 0)
        return lia_err_set(err, LIA_EINVAL, "limit must be positive");
    struct store_conn *c;
    int default_tlp;
    struct dbuf q;
    struct store_args b;
    int rc = query_begin(s, p, coll, a, &c, &default_tlp, &q, &b, err);
    if (rc < 0 && !c)
        return rc;
    /* A page in modified order is chosen among all the rows the filter selects: the keys are
     * sorted in the page index (which holds modified and every column of the WHERE clause),
     * and only the page's rows are then read, rather than every row's text carried through
     * the sort. */
    bool by_keys = f->order == STORE_ORDER_MODIFIED;
    const char *alias = by_keys ? "sel" : "o";
    /* Without statistics SQLite would rather walk the collection in date_added order than
     * look ids up; a few ids are far cheaper found directly and sorted. */
    if (rc == 0)
        rc = dbuf_printf(&q, "SELECT %s.date_added, %s.id, %s.modified_text, %s.spec_version",
                         alias, alias, alias, alias);
    if (rc == 0 && with_json)
        rc = dbuf_printf(&q, ", %s.json, %s.digest", alias, alias);
    if (rc == 0 && by_keys)
        rc = dbuf_puts(&q, " FROM object sel WHERE sel.date_added IN (SELECT o.date_added");
    if (rc == 0)
        rc = dbuf_printf(&q, "%s%s", store_from_sql(s, f),
                         f->n_ids ? " INDEXED BY object_version" : "");
    /* The plain read of one object (GET .../objects/ID/ with no other filter): its last
     * version the policy lets the caller see is the first row of that object's versions,
     * newest first, that passes the same policy predicate: the same answer as the general
     * query's NOT EXISTS, found by one index seek instead of a sort. */
    int sel = f->version_sel ? f->version_sel : (f->n_version_at ? 0 : STORE_VER_LAST);
    bool one_last = f->n_ids == 1 && sel == STORE_VER_LAST && f->n_version_at == 0 &&
                    f->n_types == 0 && f->n_spec_versions == 0 && !f->text_match &&
                    f->added_after == 0 && f->after_key == 0 && !browsing(f);
    if (rc == 0 && one_last) {
        rc = dbuf_puts(&q, " WHERE o.coll = ? AND o.id = ?");
        rc = rc ? rc : store_args_add(&b, sv_int(coll));
        rc = rc ? rc : store_args_add(&b, sv_text(f->ids[0]));
        rc = rc ? rc : store_policy_sql(&q, &b, p, default_tlp, "o");
        rc = rc ? rc : dbuf_puts(&q, " ORDER BY o.modified DESC LIMIT 1");
    } else if (rc == 0) {
        rc = store_where_sql(&q, &b, s, p, default_tlp, coll, f, NULL);
        rc = rc ? rc : order_sql(&q, s, f, "o");
        rc = rc ? rc : dbuf_puts(&q, " LIMIT ?");
        rc = rc ? rc : store_args_add(&b, sv_int((int64_t)f->limit + 1));
        if (by_keys) {
            rc = rc ? rc : dbuf_puts(&q, ")");
            rc = rc ? rc : order_sql(&q, s, f, alias);
        }
    }
    if (rc == LIA_ETOOBIG)
        rc = lia_err_set(err, LIA_ETOOBIG, "query has too many terms");
    else if (rc && !err->code)
        rc = lia_err_set(err, rc, "cannot build query");
    struct store_cur cur = {0};
    if (rc == 0)
        rc = store_exec_text(c, q.ptr, q.len, &b, false, &cur, "query", err);
    /* Rows grow by doubling: a by-id read with the default page size must not zero a
     * thousand rows it will never fill. */
    size_t cap = 0;
    while (rc == 0 && (rc = store_step(&cur, err)) == 1) {
        rc = 0;
        if (out->n == f->limit) {
            out->more = true;
            break;
        }
        if (out->n == cap) {
            cap = cap ? (cap * 2 < f->limit ? cap * 2 : f->limit) : (f->limit < 16 ? f->limit : 16);
            struct store_row *grown = arena_alloc(a, sizeof *grown * cap);
            if (grown && out->n)
                memcpy(grown, out->rows, sizeof *grown * out->n);
            out->rows = grown;
        }
        if (!out->rows || page_row(&cur, a, &out->rows[out->n], with_json))
            rc = lia_err_set(err, LIA_ETOOBIG, "page too large for the request's memory limit");
        else if (with_json && (rc = check_digest(s, &cur, &out->rows[out->n], a, err)) == 0)
            out->n++;
        else if (!with_json)
            out->n++;
    }
    store_end(&cur);
    dbuf_release(&q);
    store_release(s, c);
    if (rc)
        out->n = 0;
    return rc;
}

/* A new version (coll, id, modified) was inserted as row `added`: older versions are now
 * superseded and newer ones preceded (the new row got its own flags in the INSERT). Only
 * rows whose flag changes are written, and only when the new row has a neighbour: any writing
 * statement makes SQLite's search table flush its pending terms (a savepoint). */
static int mark_versions(struct store_txn *t, int64_t coll, const struct store_object *o,
                         int64_t added, struct lia_err *err)
{
    static struct sq own = SQ("SELECT superseded + preceded FROM object WHERE date_added = ?");
    static struct sq mark =
        SQ("UPDATE object SET superseded = CASE WHEN modified < ?3 THEN 1 ELSE superseded END,"
           " preceded = CASE WHEN modified > ?3 THEN 1 ELSE preceded END WHERE coll = ?1"
           " AND id = ?2 AND ((modified < ?3 AND superseded = 0) OR (modified > ?3 AND"
           " preceded = 0))");
    int64_t neighbours = 0;
    int rc = store_one(t->conn, &own, SV(sv_int(added)), store_row_int, NULL, &neighbours, "",
                       "read version flags", err);
    return rc || !neighbours
               ? rc
               : store_do(t->conn, &mark, SV(sv_int(coll), sv_text(o->id), sv_int(o->modified_us)),
                          NULL, "mark versions", err);
}

void store_digest(const char *json, size_t len, char out[STORE_DIGEST_HEX])
{
    unsigned char d[16];
    crypto_generichash(d, sizeof d, (const unsigned char *)json, len, NULL, 0);
    sodium_bin2hex(out, STORE_DIGEST_HEX, d, sizeof d);
}

int store_version_same(struct store_txn *t, int64_t coll, const char *id, int64_t modified_us,
                       const char *json, size_t len, bool *same, struct lia_err *err)
{
    static struct sq q =
        SQ("SELECT digest FROM object WHERE coll = ? AND id = ? AND modified = ? AND digest = ?");
    char digest[STORE_DIGEST_HEX];
    store_digest(json, len, digest);
    char *found = NULL;
    struct arena a;
    arena_init(&a, 0);
    int rc =
        store_one(t->conn, &q, SV(sv_int(coll), sv_text(id), sv_int(modified_us), sv_text(digest)),
                  store_row_str, &a, &found, "", "read version", err);
    *same = rc == 0;
    arena_release(&a);
    return rc == LIA_ENOTFOUND ? 0 : rc;
}

#define PUT_COLUMNS                                                                                \
    "INSERT INTO object(date_added, coll, id, type, spec_version, created, modified,"              \
    " modified_text, created_by_ref, tlp, restricted, json, rel_mask, red_mask, digest,"           \
    " superseded, preceded) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,"
#define PUT_FLAG(cmp)                                                                              \
    " CASE WHEN EXISTS(SELECT 1 FROM object n WHERE n.coll = ?2 AND n.id = ?3 AND n.modified " cmp \
    " ?7) THEN 1 ELSE 0 END"

int store_restricted(const struct store_object *o)
{
    return (o->has_rel ? RESTRICTED_REL : 0) | (o->n_groups ? RESTRICTED_GROUP : 0) |
           (o->derived ? RESTRICTED_DERIVED : 0);
}

int store_def_use_put(struct store_txn *t, int64_t date_added, const char *const *defs, size_t n,
                      struct lia_err *err)
{
    static struct sq q =
        SQ("INSERT INTO def_use(def, obj) VALUES(?, ?) ON CONFLICT(def, obj) DO NOTHING");
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = store_do(t->conn, &q, SV(sv_text(defs[i]), sv_int(date_added)), NULL,
                      "record definition use", err);
    return rc;
}

/* One version at a time, on a backend without a statement for many. */
static int put_one(struct store_txn *t, int64_t coll, const struct store_object *o, bool first,
                   struct store_put *out, struct lia_err *err)
{
    static struct sq put = SQ(
        PUT_COLUMNS PUT_FLAG(">") "," PUT_FLAG("<") ") ON CONFLICT(coll, id, modified) DO NOTHING");
    /* A first version (no other of its id held: the caller looked) has no neighbours. */
    static struct sq put_first = SQ(PUT_COLUMNS "0, 0) ON CONFLICT(coll, id, modified) DO NOTHING");
    static struct sq find =
        SQ("SELECT date_added FROM object WHERE coll = ? AND id = ? AND modified = ?");
    static struct sq audience = SQ("INSERT INTO audience(obj, kind, partner) VALUES(?, ?, ?)"
                                   " ON CONFLICT DO NOTHING");
    int64_t added = out->date_added, changes = 0;
    char own[STORE_DIGEST_HEX];
    const char *digest = o->digest ? o->digest : (store_digest(o->json, o->json_len, own), own);
    int rc =
        store_do(t->conn, first ? &put_first : &put,
                 SV(sv_int(added), sv_int(coll), sv_text(o->id), sv_text(o->type),
                    sv_text(o->spec_version ? o->spec_version : "2.1"), sv_int(o->created_us),
                    sv_int(o->modified_us), sv_text(o->modified), sv_text(o->created_by_ref),
                    sv_int(o->tlp), sv_int(store_restricted(o)), sv_textn(o->json, o->json_len),
                    sv_int(store_audience_mask(o->rel_to, o->n_rel_to)),
                    sv_int(store_audience_mask(o->red_to, o->n_red_to)), sv_text(digest)),
                 &changes, "store object", err);
    out->result = changes ? STORE_PUT_NEW : STORE_PUT_EXISTS;
    if (rc == 0 && !changes)
        return store_one(t->conn, &find, SV(sv_int(coll), sv_text(o->id), sv_int(o->modified_us)),
                         store_row_int, NULL, &out->date_added,
                         "store: find version: the stored version vanished", "find version", err);
    if (rc == 0 && !first)
        rc = mark_versions(t, coll, o, added, err);
    for (int kind = AUDIENCE_REL; kind <= AUDIENCE_GROUP && rc == 0; kind++) {
        const int64_t *who = kind == AUDIENCE_REL   ? o->rel_to
                             : kind == AUDIENCE_RED ? o->red_to
                                                    : o->groups;
        size_t n = kind == AUDIENCE_REL   ? o->n_rel_to
                   : kind == AUDIENCE_RED ? o->n_red_to
                                          : o->n_groups;
        for (size_t i = 0; i < n && rc == 0; i++)
            rc = store_do(t->conn, &audience, SV(sv_int(added), sv_int(kind), sv_int(who[i])), NULL,
                          "store audience", err);
    }
    return rc;
}

struct oref {
    const struct store_object *o;
};

static int by_id(const void *a, const void *b)
{
    const struct store_object *x = ((const struct oref *)a)->o, *y = ((const struct oref *)b)->o;
    int c = strcmp(x->id, y->id);
    return c ? c : x < y ? -1 : x > y;
}

int store_put_objects(struct store_txn *t, int64_t coll, const struct store_object *o, size_t n,
                      struct store_put *out, struct lia_err *err)
{
    static struct sq search = SQ("INSERT INTO search(rowid, body) VALUES(?, ?)");
    const struct store_backend *be = t->store->be;
    /* Versions of one id in the same batch flag each other (later, earlier), and only the
     * first of them in the batch can be a first version. */
    unsigned char *rel = calloc(n ? n : 1, 1);
    struct oref *ref = malloc((n ? n : 1) * sizeof *ref);
    int rc = rel && ref ? 0 : lia_err_set(err, LIA_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && rc == 0; i++) {
        out[i] = (struct store_put){0, store_next_added(t)};
        ref[i].o = &o[i];
    }
    if (rc == 0)
        qsort(ref, n, sizeof *ref, by_id);
    for (size_t k = 0, j; k < n && rc == 0; k = j) {
        int64_t lo = ref[k].o->modified_us, hi = lo;
        for (j = k + 1; j < n && !strcmp(ref[j].o->id, ref[k].o->id); j++) {
            lo = ref[j].o->modified_us < lo ? ref[j].o->modified_us : lo;
            hi = ref[j].o->modified_us > hi ? ref[j].o->modified_us : hi;
        }
        for (size_t m = k; m < j; m++) /* ref[k].o comes first in the batch */
            rel[ref[m].o - o] = (unsigned char)((ref[m].o->modified_us < hi ? PUT_LATER : 0) |
                                                (ref[m].o->modified_us > lo ? PUT_EARLIER : 0) |
                                                (m == k && ref[m].o->first ? PUT_FIRST : 0));
    }
    free(ref);
    if (rc == 0 && be->put_many && n)
        rc = be->put_many(t, coll, o, n, rel, out, err);
    for (size_t i = 0; i < n && rc == 0 && !be->put_many; i++)
        rc = put_one(t, coll, &o[i], rel[i] & PUT_FIRST, &out[i], err);
    free(rel);
    for (size_t i = 0; i < n && rc == 0 && !be->put_many; i++) /* put_many writes them too */
        if (out[i].result == STORE_PUT_NEW && (o[i].flow || o[i].n_placed))
            rc = store_put_flow_rows(t, coll, &o[i], out[i].date_added, err);
    /* The search rows last: on SQLite any other writing statement between two of them makes
     * the search table flush its pending terms. */
    for (size_t i = 0; i < n && rc == 0 && !be->put_many; i++)
        if (out[i].result == STORE_PUT_NEW && o[i].search_text && *o[i].search_text)
            rc =
                store_do(t->conn, &search, SV(sv_int(out[i].date_added), sv_text(o[i].search_text)),
                         NULL, "index object text", err);
    for (size_t i = 0; i < n && rc == 0; i++) {
        t->objects_put += out[i].result == STORE_PUT_NEW;
        struct memo_entry *m = memo_find(t, MEMO_MARKING, o[i].id);
        if (m && !strcmp(o[i].type, "marking-definition"))
            m->kind = 0; /* a new version: look it up again */
    }
    return rc;
}

int store_put_object(struct store_txn *t, int64_t coll, const struct store_object *o, int *result,
                     int64_t *date_added, struct lia_err *err)
{
    struct store_put p = {0};
    int rc = store_put_objects(t, coll, o, 1, &p, err);
    *result = p.result;
    *date_added = p.date_added;
    return rc;
}

static int gone_row(struct store_cur *cur, struct arena *a, void *dst)
{
    struct store_row *r = dst;
    r->date_added = store_col_int(cur, 0);
    r->modified = store_col_dup(cur, 1, a);
    r->modified = r->modified ? r->modified : "";
    return 0;
}

int store_delete_object(struct store_txn *t, const struct store_policy *p, int64_t coll,
                        const char *id, const struct store_filter *f, struct arena *a,
                        struct store_row **gone, size_t *deleted, struct lia_err *err)
{
    static struct sq del_audience = SQ("DELETE FROM audience WHERE obj = ?");
    static struct sq del_search = SQ("DELETE FROM search WHERE rowid = ?");
    static struct sq del_object = SQ("DELETE FROM object WHERE date_added = ?");
    static struct sq del_use = SQ("DELETE FROM def_use WHERE obj = ?");
    static struct sq del_flow = SQ("DELETE FROM flow WHERE obj = ?");
    static struct sq del_via = SQ("DELETE FROM flow_via WHERE obj = ?");
    static struct sq del_place = SQ("DELETE FROM place_of WHERE obj = ?");
    static struct sq *const del[] = {&del_audience, &del_search, &del_use,   &del_flow,
                                     &del_via,      &del_place,  &del_object};
    static struct sq reflag =
        SQ("UPDATE object SET" STORE_VERSION_FLAGS " WHERE coll = ? AND id = ?");
    *gone = NULL;
    *deleted = 0;
    int default_tlp = STORE_TLP_AMBER;
    int rc = store_collection_access(t->store, t->conn, p, coll, true, &default_tlp, err);
    struct dbuf q;
    dbuf_init(&q, 64 * 1024);
    struct store_args b;
    store_args_init(&b, a);
    struct store_filter g = *f;
    g.added_after = g.after_key = 0;
    if (!g.version_sel && !g.n_version_at)
        g.version_sel = STORE_VER_ALL; /* DELETE without match[version] removes every version */
    /* The keys first: the policy predicate reads the audience rows that then go. */
    int brc = rc ? 0
                 : dbuf_puts(&q, "SELECT o.date_added, o.modified_text FROM object o"
                                 " INDEXED BY object_version");
    brc = brc ? brc : store_where_sql(&q, &b, t->store, p, default_tlp, coll, &g, id);
    if (rc == 0 && brc)
        rc = lia_err_set(err, brc, "cannot build query");
    void *rows = NULL;
    if (rc == 0)
        rc = store_list_text(t->conn, q.ptr, q.len, &b, sizeof **gone, gone_row, a, &rows, deleted,
                             "delete object", err);
    dbuf_release(&q);
    struct store_row *r = rows;
    for (size_t i = 0; i < *deleted && rc == 0; i++) {
        r[i].id = id;
        for (size_t k = 0; k < sizeof del / sizeof del[0] && rc == 0; k++)
            rc = store_do(t->conn, del[k], SV(sv_int(r[i].date_added)), NULL, "delete object", err);
    }
    /* The versions left: their neighbours changed. */
    if (rc == 0 && *deleted)
        rc = store_do(t->conn, &reflag, SV(sv_int(coll), sv_text(id)), NULL, "delete object", err);
    *gone = rc ? NULL : r;
    *deleted = rc ? 0 : *deleted;
    return rc;
}

/* (value, index) pairs sorted by value, to match rows that come back in any order to the
 * places they were asked for. */
struct keyed {
    const char *s;
    int64_t k;
    size_t i;
};
static int keyed_cmp(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    return x->s ? strcmp(x->s, y->s) : (x->k > y->k) - (x->k < y->k);
}

/* Runs prefix + "?,?...)" over values (strs or nums, n of them) in slices of 500, first (when
 * >= 0) bound before them, and gives each row to fn with each index its column 0 matches. */
static int each_in(struct store_conn *c, const char *prefix, int64_t first, const char *const *strs,
                   const int64_t *nums, size_t n,
                   int (*fn)(struct store_cur *cur, size_t i, void *ctx), void *ctx,
                   const char *what, struct lia_err *err)
{
    struct keyed *sorted = malloc((n ? n : 1) * sizeof *sorted);
    if (!sorted)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        sorted[i] = (struct keyed){strs ? strs[i] : NULL, nums ? nums[i] : 0, i};
    qsort(sorted, n, sizeof *sorted, keyed_cmp);
    struct arena a;
    arena_init(&a, 0);
    struct dbuf q;
    dbuf_init(&q, 64 * 1024);
    int rc = 0;
    for (size_t base = 0, m; base < n && rc == 0; base += m) {
        m = n - base < 500 ? n - base : 500;
        struct store_args b;
        store_args_init(&b, &a);
        dbuf_reset(&q);
        rc = dbuf_puts(&q, prefix);
        if (rc == 0 && first >= 0)
            rc = store_args_add(&b, sv_int(first));
        for (size_t i = 0; i < m && rc == 0; i++) {
            const struct keyed *kv = &sorted[base + i];
            rc = dbuf_puts(&q, i ? ",?" : "?");
            rc = rc ? rc : store_args_add(&b, strs ? sv_text(kv->s) : sv_int(kv->k));
        }
        rc = rc ? lia_err_set(err, rc, "store: %s: too many keys", what) : dbuf_puts(&q, ")");
        struct store_cur cur = {0};
        if (rc == 0)
            rc = store_exec_text(c, q.ptr, q.len, &b, false, &cur, what, err);
        while (rc == 0 && (rc = store_step(&cur, err)) == 1) {
            size_t len;
            struct keyed want = {NULL, 0, 0}, *hit = NULL;
            if (strs)
                want.s = c->store->be->col_text(&cur, 0, &len);
            else
                want.k = store_col_int(&cur, 0);
            if (!strs || want.s)
                hit = bsearch(&want, sorted + base, m, sizeof *sorted, keyed_cmp);
            while (hit && hit > sorted + base && !keyed_cmp(hit - 1, &want))
                hit--; /* every place it was asked for: an id may come twice */
            for (rc = 0; rc == 0 && hit && hit < sorted + base + m && !keyed_cmp(hit, &want); hit++)
                rc = fn(&cur, hit->i, ctx);
        }
        store_end(&cur);
        arena_release(&a);
    }
    dbuf_release(&q);
    free(sorted);
    return rc;
}

struct keyed_ctx {
    void *out;
    struct arena *a;
    struct lia_err *err;
};

static int keyed_row(struct store_cur *cur, size_t i, void *ctx)
{
    struct keyed_ctx *x = ctx;
    struct store_keyed *o = (struct store_keyed *)x->out + i;
    o->id = store_col_dup(cur, 1, x->a);
    o->modified = store_col_dup(cur, 2, x->a);
    o->collection = store_col_dup(cur, 3, x->a);
    o->modified = o->modified ? o->modified : "";
    return o->id && o->collection ? 0 : lia_err_set(x->err, LIA_ENOMEM, "out of memory");
}

int store_versions_by_key(struct store *s, const int64_t *keys, size_t n, struct arena *a,
                          struct store_keyed *out, struct lia_err *err)
{
    memset(out, 0, n * sizeof *out);
    struct store_conn *c;
    int rc = store_acquire(s, &c, err);
    if (rc)
        return rc;
    struct keyed_ctx x = {out, a, err};
    rc = each_in(c,
                 "SELECT o.date_added, o.id, o.modified_text, c.id FROM object o"
                 " JOIN collection c ON c.rid = o.coll WHERE o.date_added IN (",
                 -1, NULL, keys, n, keyed_row, &x, "read versions by key", err);
    store_release(s, c);
    return rc;
}

static int creator_row(struct store_cur *cur, size_t i, void *ctx)
{
    struct keyed_ctx *x = ctx;
    struct store_creator *o = (struct store_creator *)x->out + i;
    size_t n;
    const char *by = cur->conn->store->be->col_text(cur, 1, &n);
    *o =
        (struct store_creator){true, by ? arena_strndup(x->a, by, n) : NULL, store_col_int(cur, 2)};
    return by && !o->created_by_ref ? lia_err_set(x->err, LIA_ENOMEM, "out of memory") : 0;
}

int store_object_creators(struct store_txn *t, int64_t coll, const char *const *ids, size_t n,
                          struct arena *a, struct store_creator *out, struct lia_err *err)
{
    memset(out, 0, n * sizeof *out);
    struct keyed_ctx x = {out, a, err};
    /* superseded = 0: the newest version (kept in this same transaction). */
    return each_in(t->conn,
                   "SELECT id, created_by_ref, modified FROM object WHERE coll = ?"
                   " AND superseded = 0 AND id IN (",
                   coll, ids, NULL, n, creator_row, &x, "find creator", err);
}

int store_object_text(struct store_txn *t, const char *id, const char *type, struct arena *a,
                      const char **json, struct lia_err *err)
{
    /* The type is written into the SQL so that the partial index applies. */
#define NEWEST "' ORDER BY modified DESC LIMIT 1"
#define TEXT_OF(type) SQ("SELECT json FROM object WHERE id = ? AND type = '" type NEWEST)
    static struct sq marking = TEXT_OF("marking-definition"), rfi = TEXT_OF("liaison-rfi"),
                     extdef = TEXT_OF("extension-definition");
#undef TEXT_OF
#undef NEWEST
    bool is_marking = !strcmp(type, "marking-definition");
    bool is_extdef = !strcmp(type, "extension-definition");
    if (!is_marking && !is_extdef && strcmp(type, "liaison-rfi"))
        return lia_err_set(err, LIA_EINTERNAL, "store_object_text: %s is not indexed", type);
    struct memo_entry *m = is_marking ? memo_find(t, MEMO_MARKING, id) : NULL;
    char *text = NULL;
    int rc = m ? m->rc
               : store_one(t->conn,
                           is_marking  ? &marking
                           : is_extdef ? &extdef
                                       : &rfi,
                           SV(sv_text(id)), store_row_str, a, &text, "", "find object", err);
    if (m && m->text && !(text = arena_strndup(a, m->text, strlen(m->text))))
        rc = LIA_ENOMEM;
    else if (!m && is_marking && (rc == 0 || rc == LIA_ENOTFOUND))
        memo_put(t, MEMO_MARKING, id, rc, text, 0);
    *json = text;
    if (rc == LIA_ENOTFOUND)
        return lia_err_set(err, LIA_ENOTFOUND, "unknown %s %s", type, id);
    return rc == LIA_ENOMEM ? lia_err_set(err, LIA_ENOMEM, "out of memory") : rc;
}

int store_partner_rids(struct store_txn *t, const char *const *identities, size_t n, int64_t *rids,
                       size_t *n_rids, struct lia_err *err)
{
    static struct sq q = SQ("SELECT rid FROM partner WHERE identity_id = ?");
    *n_rids = 0;
    for (size_t i = 0; i < n; i++) {
        struct memo_entry *m = memo_find(t, MEMO_PARTNER, identities[i]);
        int64_t rid = m ? m->num : 0;
        int rc = m ? m->rc
                   : store_one(t->conn, &q, SV(sv_text(identities[i])), store_row_int, NULL, &rid,
                               "", "find partner", err);
        if (!m && (rc == 0 || rc == LIA_ENOTFOUND))
            memo_put(t, MEMO_PARTNER, identities[i], rc, NULL, rid);
        if (rc == 0)
            rids[(*n_rids)++] = rid;
        else if (rc != LIA_ENOTFOUND)
            return rc;
    }
    return 0;
}

int store_object_set_json(struct store_txn *t, int64_t date_added, const char *json,
                          struct lia_err *err)
{
    static struct sq q = SQ("UPDATE object SET json = ? WHERE date_added = ?");
    int64_t n = 0;
    int rc =
        store_do(t->conn, &q, SV(sv_text(json), sv_int(date_added)), &n, "rename property", err);
    if (rc == 0 && n != 1)
        return lia_err_set(err, LIA_ENOTFOUND, "no object version %lld", (long long)date_added);
    return rc;
}

struct cleared {
    const char *name;
    int64_t clearance;
};

int store_partners_below(struct store_txn *t, const int64_t *rids, size_t n, int tlp,
                         struct arena *a, const char **names, int *clearances, size_t *n_below,
                         struct lia_err *err)
{
    static struct sq q = SQ("SELECT name, clearance FROM partner WHERE rid = ?");
    static const struct store_field f[] = {FIELD(struct cleared, name, 't'),
                                           FIELD(struct cleared, clearance, 'i')};
    *n_below = 0;
    for (size_t i = 0; i < n; i++) {
        struct store_cur cur;
        int rc = store_exec(t->conn, &q, SV(sv_int(rids[i])), &cur, "read partner", err);
        struct cleared c = {0};
        int step = rc ? rc : store_step(&cur, err);
        if (step == 1)
            rc =
                store_decode(&cur, a, &c, f, 2) ? lia_err_set(err, LIA_ENOMEM, "out of memory") : 0;
        else
            rc = step;
        store_end(&cur);
        if (rc)
            return rc;
        if (step == 1 && c.clearance < tlp) {
            names[*n_below] = c.name;
            clearances[(*n_below)++] = (int)c.clearance;
        }
    }
    return 0;
}
