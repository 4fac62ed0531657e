/*
 * Object versions: put (one or a batch), the policy-aware query (the one gate of design.md
 * invariant 1), delete, look-ups by key, and the look-ups the write rules make inside a
 * transaction (creators, marking-definitions), remembered for the rest of the transaction.
 *
 * Each version row carries superseded (a later version of the object exists) and preceded
 * (an earlier one does), set in the same transaction as every insert and delete: a version
 * with neither flag is the last and first for every caller, so reading the last versions
 * needs no probe per row.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>

/* Transaction-scoped answers to look-ups repeated within a batch: a marking-definition's
 * text, an identity's partner rowid. At most MEMO_MAX of them; then look-ups just run. */
#define MEMO_SLOTS 512
#define MEMO_MAX 256
enum { MEMO_MARKING = 1, MEMO_PARTNER = 2 };
struct memo_entry {
    int kind, rc;
    const char *key, *text;
    int64_t num;
};
struct store_memo {
    struct arena a;
    size_t n;
    uint16_t slot[MEMO_SLOTS]; /* entry index + 1 */
    struct memo_entry e[MEMO_MAX];
};

static size_t memo_hash(int kind, const char *key)
{
    uint32_t h = 2166136261u ^ (uint32_t)kind;
    for (; *key; key++)
        h = (h ^ (unsigned char)*key) * 16777619u;
    return h % MEMO_SLOTS;
}

static struct memo_entry *memo_find(struct store_txn *t, int kind, const char *key)
{
    if (!t->memo)
        return NULL;
    for (size_t i = memo_hash(kind, key), k = 0; k < MEMO_SLOTS && t->memo->slot[i];
         k++, i = (i + 1) % MEMO_SLOTS) {
        struct memo_entry *e = &t->memo->e[t->memo->slot[i] - 1];
        if (e->kind == kind && !strcmp(e->key, key))
            return e;
    }
    return NULL;
}

static void memo_put(struct store_txn *t, int kind, const char *key, int rc, const char *text,
                     int64_t num)
{
    if (!t->memo && !(t->memo = calloc(1, sizeof *t->memo)))
        return;
    struct store_memo *m = t->memo;
    if (m->n == MEMO_MAX || memo_find(t, kind, key))
        return;
    struct memo_entry *e = &m->e[m->n];
    e->key = arena_strndup(&m->a, key, strlen(key));
    e->text = text ? arena_strndup(&m->a, text, strlen(text)) : NULL;
    if (!e->key || (text && !e->text))
        return;
    e->kind = kind;
    e->rc = rc;
    e->num = num;
    size_t i = memo_hash(kind, key);
    while (m->slot[i])
        i = (i + 1) % MEMO_SLOTS;
    m->slot[i] = (uint16_t)++m->n;
}

void store_memo_free(struct store_txn *t)
{
    if (t->memo)
        arena_release(&t->memo->a);
    free(t->memo);
    t->memo = NULL;
}

/* Reads the collection's default TLP and whether policy p may read (or write) it. */
static int collection_access(struct store *s, struct store_conn *c, const struct store_policy *p,
                             int64_t coll, bool need_write, int *default_tlp, struct lia_err *err)
{
    static struct sq q = SQ("SELECT c.default_tlp, coalesce(g.can_read, 0),"
                            " coalesce(g.can_write, 0), 1 FROM collection c LEFT JOIN grant_right g"
                            " ON g.coll = c.rid AND g.partner = ? WHERE c.rid = ?");
    struct access_row {
        int64_t default_tlp, can_read, can_write, found;
    } row = {0};
    if (!store_cache_get(s, c, CACHE_ACCESS, p->partner, coll, NULL, &row, sizeof row, NULL, 0,
                         NULL)) {
        struct store_cur cur;
        int rc =
            store_exec(c, &q, SV(sv_int(p->partner), sv_int(coll)), &cur, "read collection", err);
        if (rc == 0 && (rc = store_step(&cur, err)) == 1) {
            for (int i = 0; i < 4; i++)
                (&row.default_tlp)[i] = store_col_int(&cur, i);
            rc = 0;
        }
        store_end(&cur);
        if (rc)
            return rc;
        store_cache_put(s, c, CACHE_ACCESS, p->partner, coll, NULL, &row, sizeof row, NULL, 0);
    }
    *default_tlp = (int)row.default_tlp;
    if (!row.found || (!p->all && !(need_write ? row.can_write : row.can_read)))
        return lia_err_set(err, LIA_ENOTFOUND, "no such collection");
    return 0;
}

static int page_row(struct store_cur *cur, struct arena *a, struct store_row *r, bool with_json)
{
    r->date_added = store_col_int(cur, 0);
    r->id = store_col_dup(cur, 1, a);
    r->modified = store_col_dup(cur, 2, a);
    r->spec_version = store_col_dup(cur, 3, a);
    if (with_json) {
        const char *j = cur->conn->store->be->col_text(cur, 4, &r->json_len);
        r->json = j ? arena_strndup(a, j, r->json_len) : NULL;
    }
    return r->id && r->spec_version && (!with_json || r->json) ? 0 : LIA_ETOOBIG;
}

int store_query_objects(struct store *s, const struct store_policy *p, int64_t coll,
                        const struct store_filter *f, bool with_json, struct arena *a,
                        struct store_page *out, struct lia_err *err)
{
    memset(out, 0, sizeof *out);
    if (f->limit == 0)
        return lia_err_set(err, LIA_EINVAL, "limit must be positive");
    struct store_conn *c;
    int rc = store_acquire(s, &c, err);
    if (rc)
        return rc;
    int default_tlp = STORE_TLP_AMBER;
    rc = collection_access(s, c, p, coll, false, &default_tlp, err);
    struct dbuf q;
    dbuf_init(&q, 256 * 1024);
    struct store_args b;
    store_args_init(&b, a);
    /* Without statistics SQLite would rather walk the collection in date_added order than
     * look ids up; a few ids are far cheaper found directly and sorted. */
    if (rc == 0)
        rc = dbuf_printf(&q,
                         "SELECT o.date_added, o.id, o.modified_text, o.spec_version%s"
                         " FROM object o%s",
                         with_json ? ", o.json" : "", f->n_ids ? " INDEXED BY object_version" : "");
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
        rc = rc ? rc : store_args_add(&b, sv_int(coll));
        rc = rc ? rc : store_args_add(&b, sv_text(f->ids[0]));
        rc = rc ? rc : store_policy_sql(&q, &b, p, default_tlp, "o");
        rc = rc ? rc : dbuf_puts(&q, " ORDER BY o.modified DESC LIMIT 1");
    } else if (rc == 0) {
        rc = store_where_sql(&q, &b, s, p, default_tlp, coll, f, NULL);
        rc = rc ? rc : dbuf_puts(&q, " ORDER BY o.date_added LIMIT ?");
        rc = rc ? rc : store_args_add(&b, sv_int((int64_t)f->limit + 1));
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
    size_t cap = f->limit < 16 ? f->limit : 16;
    if (rc == 0 && !(out->rows = arena_alloc(a, sizeof *out->rows * cap)))
        rc = lia_err_set(err, LIA_ENOMEM, "page too large for the request's memory limit");
    while (rc == 0 && (rc = store_step(&cur, err)) == 1) {
        rc = 0;
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
        if (page_row(&cur, a, &out->rows[out->n], with_json))
            rc = lia_err_set(err, LIA_ETOOBIG, "page too large for the request's memory limit");
        else
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
 * rows whose flag changes are written. The first version of an object, the common case,
 * has neither flag, so there is nothing to mark: the UPDATE is not even run, because any
 * writing statement makes SQLite's search table flush its pending terms (a savepoint). */
static int mark_versions(struct store_txn *t, int64_t coll, const struct store_object *o,
                         int64_t added, struct lia_err *err)
{
    static struct sq own = SQ("SELECT superseded + preceded FROM object WHERE date_added = ?");
    static struct sq mark =
        SQ("UPDATE object SET"
           " superseded = CASE WHEN modified < ?3 THEN 1 ELSE superseded END,"
           " preceded = CASE WHEN modified > ?3 THEN 1 ELSE preceded END"
           " WHERE coll = ?1 AND id = ?2 AND ((modified < ?3 AND superseded = 0)"
           " OR (modified > ?3 AND preceded = 0))");
    struct store_cur cur;
    int rc = store_exec(t->conn, &own, SV(sv_int(added)), &cur, "read version flags", err);
    int64_t neighbours = 0;
    if (rc == 0 && (rc = store_step(&cur, err)) == 1) {
        neighbours = store_col_int(&cur, 0);
        rc = 0;
    }
    store_end(&cur);
    if (rc || !neighbours)
        return rc;
    return store_do(t->conn, &mark, SV(sv_int(coll), sv_text(o->id), sv_int(o->modified_us)), NULL,
                    "mark versions", err);
}

#define PUT_COLUMNS                                                                                \
    "INSERT INTO object(date_added, coll, id, type, spec_version, created, modified,"              \
    " modified_text, created_by_ref, tlp, restricted, json, rel_mask, red_mask, superseded,"       \
    " preceded) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,"
#define PUT_FLAG(cmp)                                                                              \
    " CASE WHEN EXISTS(SELECT 1 FROM object n WHERE n.coll = ?2 AND n.id = ?3 AND n.modified " cmp \
    " ?7) THEN 1 ELSE 0 END"

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
    int rc = store_do(t->conn, first ? &put_first : &put,
                      SV(sv_int(added), sv_int(coll), sv_text(o->id), sv_text(o->type),
                         sv_text(o->spec_version ? o->spec_version : "2.1"), sv_int(o->created_us),
                         sv_int(o->modified_us), sv_text(o->modified), sv_text(o->created_by_ref),
                         sv_int(o->tlp), sv_int(o->has_rel ? RESTRICTED_REL : 0),
                         sv_textn(o->json, o->json_len),
                         sv_int(store_audience_mask(o->rel_to, o->n_rel_to)),
                         sv_int(store_audience_mask(o->red_to, o->n_red_to))),
                      &changes, "store object", err);
    if (rc == 0 && changes == 0) {
        struct store_cur cur;
        rc = store_exec(t->conn, &find, SV(sv_int(coll), sv_text(o->id), sv_int(o->modified_us)),
                        &cur, "find version", err);
        if (rc == 0 && (rc = store_step(&cur, err)) == 1)
            out->date_added = store_col_int(&cur, 0), rc = 0;
        else if (rc == 0)
            rc = lia_err_set(err, LIA_EIO, "store: find version: the stored version vanished");
        store_end(&cur);
        out->result = STORE_PUT_EXISTS;
        return rc;
    }
    if (rc == 0 && !first)
        rc = mark_versions(t, coll, o, added, err);
    for (int kind = AUDIENCE_REL; kind <= AUDIENCE_RED && rc == 0; kind++) {
        const int64_t *who = kind == AUDIENCE_REL ? o->rel_to : o->red_to;
        size_t n = kind == AUDIENCE_REL ? o->n_rel_to : o->n_red_to;
        for (size_t i = 0; i < n && rc == 0; i++)
            rc = store_do(t->conn, &audience, SV(sv_int(added), sv_int(kind), sv_int(who[i])), NULL,
                          "store audience", err);
    }
    out->result = STORE_PUT_NEW;
    return rc;
}

struct version_ref {
    const struct store_object *o;
    size_t i;
};
static int version_cmp(const void *a, const void *b)
{
    const struct version_ref *x = a, *y = b;
    int c = strcmp(x->o->id, y->o->id);
    if (c)
        return c;
    if (x->o->modified_us != y->o->modified_us)
        return x->o->modified_us < y->o->modified_us ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

int store_put_objects(struct store_txn *t, int64_t coll, const struct store_object *o, size_t n,
                      struct store_put *out, struct lia_err *err)
{
    static struct sq search = SQ("INSERT INTO search(rowid, body) VALUES(?, ?)");
    const struct store_backend *be = t->store->be;
    /* Versions of one id in the same batch: the later/earlier ones flag each other, and
     * only the first of them can be a first version. */
    unsigned char *rel = calloc(n ? n : 1, 1);
    struct version_ref *by = malloc((n ? n : 1) * sizeof *by);
    if (!rel || !by) {
        free(rel);
        free(by);
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        out[i].date_added = store_next_added(t);
        out[i].result = 0;
        by[i] = (struct version_ref){&o[i], i};
        rel[i] = o[i].first ? PUT_FIRST : 0;
    }
    qsort(by, n, sizeof *by, version_cmp);
    for (size_t k = 0, j; k < n; k = j) {
        for (j = k + 1; j < n && !strcmp(by[j].o->id, by[k].o->id); j++)
            ;
        for (size_t m = k; m < j && j - k > 1; m++) {
            size_t i = by[m].i;
            bool later = by[j - 1].o->modified_us > o[i].modified_us;
            bool earlier = by[k].o->modified_us < o[i].modified_us;
            bool not_first_seen = false;
            for (size_t x = k; x < j; x++)
                not_first_seen |= by[x].i < i;
            rel[i] = (unsigned char)((later ? PUT_LATER : 0) | (earlier ? PUT_EARLIER : 0) |
                                     (o[i].first && !not_first_seen ? PUT_FIRST : 0));
        }
    }
    free(by);
    int rc = 0;
    if (be->put_many && n)
        rc = be->put_many(t, coll, o, n, rel, out, err);
    for (size_t i = 0; i < n && rc == 0 && !be->put_many; i++)
        rc = put_one(t, coll, &o[i], rel[i] & PUT_FIRST, &out[i], err);
    free(rel);
    /* The search rows last: on SQLite any other writing statement between two of them makes
     * the search table flush its pending terms. */
    for (size_t i = 0; i < n && rc == 0 && !be->put_many; i++)
        if (out[i].result == STORE_PUT_NEW && o[i].search_text && *o[i].search_text)
            rc =
                store_do(t->conn, &search, SV(sv_int(out[i].date_added), sv_text(o[i].search_text)),
                         NULL, "index object text", err);
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (out[i].result == STORE_PUT_NEW)
            t->objects_put++;
        struct memo_entry *m = memo_find(t, MEMO_MARKING, o[i].id);
        if (m && !strcmp(o[i].type, "marking-definition"))
            m->kind = 0; /* a new version: look it up again */
    }
    return rc;
}

int store_put_object(struct store_txn *t, int64_t coll, const struct store_object *o, int *result,
                     int64_t *date_added, struct lia_err *err)
{
    struct store_put p;
    int rc = store_put_objects(t, coll, o, 1, &p, err);
    *result = p.result;
    *date_added = p.date_added;
    return rc;
}

int store_delete_object(struct store_txn *t, const struct store_policy *p, int64_t coll,
                        const char *id, const struct store_filter *f, struct arena *a,
                        struct store_row **gone, size_t *deleted, struct lia_err *err)
{
    static struct sq del_audience = SQ("DELETE FROM audience WHERE obj = ?");
    static struct sq del_search = SQ("DELETE FROM search WHERE rowid = ?");
    static struct sq del_object = SQ("DELETE FROM object WHERE date_added = ?");
    static struct sq *const del[] = {&del_audience, &del_search, &del_object};
    static struct sq reflag =
        SQ("UPDATE object SET" STORE_VERSION_FLAGS " WHERE coll = ? AND id = ?");
    *gone = NULL;
    *deleted = 0;
    int default_tlp = STORE_TLP_AMBER;
    int rc = collection_access(t->store, t->conn, p, coll, true, &default_tlp, err);
    if (rc)
        return rc;
    struct dbuf q;
    dbuf_init(&q, 64 * 1024);
    struct arena scratch;
    arena_init(&scratch, 0);
    struct store_args b;
    store_args_init(&b, &scratch);
    struct store_filter g = *f;
    g.added_after = g.after_key = 0;
    if (!g.version_sel && !g.n_version_at)
        g.version_sel = STORE_VER_ALL; /* DELETE without match[version] removes every version */
    rc = dbuf_puts(&q, "SELECT o.date_added, o.modified_text FROM object o"
                       " INDEXED BY object_version");
    rc = rc ? rc : store_where_sql(&q, &b, t->store, p, default_tlp, coll, &g, id);
    if (rc) {
        dbuf_release(&q);
        arena_release(&scratch);
        return lia_err_set(err, rc, "cannot build query");
    }
    /* The keys first: the policy predicate reads the audience rows that then go. */
    struct store_cur cur;
    size_t cap = 0;
    struct store_row *rows = NULL;
    rc = store_exec_text(t->conn, q.ptr, q.len, &b, false, &cur, "delete object", err);
    while (rc == 0 && (rc = store_step(&cur, err)) == 1) {
        rc = 0;
        if (*deleted == cap) {
            struct store_row *bigger = arena_alloc(a, (cap = cap ? 2 * cap : 8) * sizeof *rows);
            if (!bigger) {
                rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
                break;
            }
            if (rows)
                memcpy(bigger, rows, *deleted * sizeof *rows);
            rows = bigger;
        }
        struct store_row *r = &rows[(*deleted)++];
        r->date_added = store_col_int(&cur, 0);
        r->id = id;
        r->modified = store_col_dup(&cur, 1, a);
        if (!r->modified)
            r->modified = "";
    }
    store_end(&cur);
    dbuf_release(&q);
    arena_release(&scratch);
    for (size_t i = 0; i < *deleted && rc == 0; i++)
        for (int k = 0; k < 3 && rc == 0; k++)
            rc = store_do(t->conn, del[k], SV(sv_int(rows[i].date_added)), NULL, "delete object",
                          err);
    /* The versions left: their neighbours changed. */
    if (rc == 0 && *deleted)
        rc = store_do(t->conn, &reflag, SV(sv_int(coll), sv_text(id)), NULL, "delete object", err);
    *gone = rc ? NULL : rows;
    if (rc)
        *deleted = 0;
    return rc;
}

/* Sorted (key, index) pairs, to match rows that come back in any order to what was asked. */
struct keyed {
    const char *s;
    int64_t k;
    size_t i;
};
static int keyed_cmp(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    if (x->s)
        return strcmp(x->s, y->s);
    return x->k < y->k ? -1 : x->k > y->k;
}

/* Runs prefix + "?,?,...)" + suffix over vals[0..n) in slices of 500 (text when strs), and
 * gives each row to fn with the index of the value it matches (column col). */
static int each_in(struct store_conn *c, const char *prefix, const char *suffix, int64_t first,
                   const char *const *strs, const int64_t *nums, size_t n, int col,
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
    for (size_t base = 0; base < n && rc == 0; base += 500) {
        size_t m = n - base < 500 ? n - base : 500;
        struct store_args b;
        store_args_init(&b, &a);
        dbuf_reset(&q);
        rc = dbuf_puts(&q, prefix);
        if (rc == 0 && first >= 0)
            rc = store_args_add(&b, sv_int(first));
        for (size_t i = 0; i < m && rc == 0; i++) {
            rc = dbuf_puts(&q, i ? ",?" : "?");
            const struct keyed *kv = &sorted[base + i];
            rc = rc ? rc : store_args_add(&b, strs ? sv_text(kv->s) : sv_int(kv->k));
        }
        rc = rc ? lia_err_set(err, rc, "store: %s: too many keys", what)
                : dbuf_printf(&q, ")%s", suffix);
        struct store_cur cur = {0};
        if (rc == 0)
            rc = store_exec_text(c, q.ptr, q.len, &b, false, &cur, what, err);
        while (rc == 0 && (rc = store_step(&cur, err)) == 1) {
            rc = 0;
            size_t len;
            struct keyed want = {NULL, 0, 0}, *hit = NULL;
            if (strs)
                want.s = c->store->be->col_text(&cur, col, &len);
            else
                want.k = store_col_int(&cur, col);
            if (!strs || want.s)
                hit = bsearch(&want, sorted + base, m, sizeof *sorted, keyed_cmp);
            /* Every place the value was asked for (an id may come twice). */
            while (hit && hit > sorted + base && !keyed_cmp(hit - 1, &want))
                hit--;
            for (; rc == 0 && hit && hit < sorted + base + m && !keyed_cmp(hit, &want); hit++)
                rc = fn(&cur, hit->i, ctx);
        }
        store_end(&cur);
        arena_release(&a);
    }
    dbuf_release(&q);
    free(sorted);
    return rc < 0 ? rc : 0;
}

struct keyed_ctx {
    struct store_keyed *out;
    struct store_creator *creators;
    struct arena *a;
    struct lia_err *err;
};

static int keyed_row(struct store_cur *cur, size_t i, void *ctx)
{
    struct keyed_ctx *x = ctx;
    struct store_keyed *o = &x->out[i];
    o->id = store_col_dup(cur, 1, x->a);
    o->modified = store_col_dup(cur, 2, x->a);
    o->collection = store_col_dup(cur, 3, x->a);
    if (!o->modified)
        o->modified = "";
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
    struct keyed_ctx x = {out, NULL, a, err};
    rc = each_in(c,
                 "SELECT o.date_added, o.id, o.modified_text, c.id FROM object o"
                 " JOIN collection c ON c.rid = o.coll WHERE o.date_added IN (",
                 "", -1, NULL, keys, n, 0, keyed_row, &x, "read versions by key", err);
    store_release(s, c);
    return rc;
}

static int creator_row(struct store_cur *cur, size_t i, void *ctx)
{
    struct keyed_ctx *x = ctx;
    struct store_creator *o = &x->creators[i];
    size_t n;
    const char *by = cur->conn->store->be->col_text(cur, 1, &n);
    o->found = true;
    o->created_by_ref = by ? arena_strndup(x->a, by, n) : NULL;
    o->modified_us = store_col_int(cur, 2);
    return by && !o->created_by_ref ? lia_err_set(x->err, LIA_ENOMEM, "out of memory") : 0;
}

int store_object_creators(struct store_txn *t, int64_t coll, const char *const *ids, size_t n,
                          struct arena *a, struct store_creator *out, struct lia_err *err)
{
    memset(out, 0, n * sizeof *out);
    struct keyed_ctx x = {NULL, out, a, err};
    /* superseded = 0: the newest version (kept in this same transaction). */
    return each_in(t->conn,
                   "SELECT id, created_by_ref, modified FROM object WHERE coll = ?"
                   " AND superseded = 0 AND id IN (",
                   "", coll, ids, NULL, n, 0, creator_row, &x, "find creator", err);
}

int store_object_creator(struct store_txn *t, int64_t coll, const char *id, struct arena *a,
                         const char **creator, struct lia_err *err)
{
    struct store_creator c;
    int rc = store_object_creators(t, coll, &id, 1, a, &c, err);
    if (rc == 0 && !c.found)
        rc = lia_err_set(err, LIA_ENOTFOUND, "no such object");
    *creator = c.created_by_ref;
    return rc;
}

int store_object_text(struct store_txn *t, const char *id, const char *type, struct arena *a,
                      const char **json, struct lia_err *err)
{
    /* The type is written into the SQL so that the partial index applies. */
    static struct sq marking =
        SQ("SELECT json FROM object WHERE id = ?"
           " AND type = 'marking-definition' ORDER BY modified DESC LIMIT 1");
    static struct sq rfi = SQ("SELECT json FROM object WHERE id = ? AND type = 'liaison-rfi'"
                              " ORDER BY modified DESC LIMIT 1");
    bool is_marking = !strcmp(type, "marking-definition");
    if (!is_marking && strcmp(type, "liaison-rfi"))
        return lia_err_set(err, LIA_EINTERNAL, "store_object_text: %s is not indexed", type);
    struct memo_entry *m = is_marking ? memo_find(t, MEMO_MARKING, id) : NULL;
    char *text = NULL;
    int rc;
    if (m) {
        rc = m->rc;
        text = m->text ? arena_strndup(a, m->text, strlen(m->text)) : NULL;
        if (rc == 0 && !text)
            rc = LIA_ENOMEM;
    } else {
        rc = store_one(t->conn, is_marking ? &marking : &rfi, SV(sv_text(id)), store_row_str, a,
                       &text, "", "find object", err);
        if (is_marking && (rc == 0 || rc == LIA_ENOTFOUND))
            memo_put(t, MEMO_MARKING, id, rc, text, 0);
    }
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
        int rc = m ? m->rc : 0;
        if (!m) {
            struct store_cur cur;
            rc = store_exec(t->conn, &q, SV(sv_text(identities[i])), &cur, "find partner", err);
            if (rc == 0 && (rc = store_step(&cur, err)) == 1)
                rid = store_col_int(&cur, 0), rc = 0;
            else if (rc == 0)
                rc = LIA_ENOTFOUND;
            store_end(&cur);
            if (rc == 0 || rc == LIA_ENOTFOUND)
                memo_put(t, MEMO_PARTNER, identities[i], rc, NULL, rid);
        }
        if (rc == 0)
            rids[(*n_rids)++] = rid;
        else if (rc != LIA_ENOTFOUND)
            return rc;
    }
    return 0;
}

static int watch_version_row(struct store_cur *cur, struct arena *a, void *dst)
{
    struct store_watch_version *v = dst;
    v->date_added = store_col_int(cur, 0);
    v->coll = store_col_int(cur, 1);
    v->coll_id = store_col_dup(cur, 2, a);
    v->id = store_col_dup(cur, 3, a);
    v->type = store_col_dup(cur, 4, a);
    v->modified_us = store_col_int(cur, 5);
    v->modified = store_col_dup(cur, 6, a);
    v->tlp = (int)store_col_int(cur, 7);
    const char *j = cur->conn->store->be->col_text(cur, 8, &v->json_len);
    v->json = j ? arena_strndup(a, j, v->json_len) : NULL;
    return v->coll_id && v->id && v->type && v->json ? 0 : LIA_ENOMEM;
}

int store_watch_versions(struct store *s, int64_t after, size_t limit, struct arena *a,
                         struct store_watch_version **out, size_t *n, struct lia_err *err)
{
    static struct sq q = SQ("SELECT o.date_added, o.coll, c.id, o.id, o.type, o.modified,"
                            " o.modified_text, CASE WHEN o.tlp < 0 THEN c.default_tlp ELSE o.tlp"
                            " END, o.json FROM object o JOIN collection c ON c.rid = o.coll"
                            " WHERE o.date_added > ? ORDER BY o.date_added LIMIT ?");
    void *rows;
    int rc = store_list(s, &q, SV(sv_int(after), sv_int((int64_t)limit)), sizeof **out,
                        watch_version_row, a, &rows, n, "read new versions", err);
    *out = rows;
    return rc;
}
