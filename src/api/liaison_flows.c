/*
 * The flows query (docs/flows.md): GET /liaison/flows?into=&out_of=&through=&what=&since=
 * &source=&min_grade=&level=&collection= and `liaison flows` answer aggregated edges (from,
 * to, what) with the number of reports, the distinct sources (which partners, or we, reported
 * it), first and last seen, best and typical grading, our trust in each source, and the ids
 * behind each edge; and, per source, how often its reports were corroborated by another
 * source's.
 *
 * The rows come from one store query per collection (store_query_flows) that takes the
 * caller's policy as part of its filter (design.md invariant 1): a partner's edges, counts
 * and sources are built from the flows it may see and nothing else, and every flow version
 * counted is named in the request's disclosure ticket. Here the rows are only folded into
 * edges: nothing is filtered after the query.
 */
#include "api/api_int.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest.h"
#include "place/place.h"

/* A place parameter: a gazetteer key (region-sahel), a code (ML, ML-8) or a region-ov value. */
static int place_param(const char *name, const char *v, const char **key, struct lia_err *err)
{
    *key = NULL;
    if (!v)
        return 0;
    const struct place_index *ix = store_places();
    if (!ix)
        return lia_err_set(err, LIA_EUNSUPPORTED, "the containment index cannot be loaded");
    place_id p = place_find(ix, v);
    if (p == PLACE_NONE)
        return lia_err_set(err, LIA_EINVAL,
                           "%s: unknown place '%.60s' (a gazetteer key such as region-sahel or "
                           "country-ml, an ISO 3166 code, or a STIX region)",
                           name, v);
    *key = place_key(ix, p);
    return 0;
}

static int parse(const struct api_flows_params *in, struct arena *a, struct store_flow_query *q,
                 struct lia_err *err)
{
    int rc = place_param("into", in->into, &q->into, err);
    rc = rc ? rc : place_param("out_of", in->out_of, &q->out_of, err);
    rc = rc ? rc : place_param("through", in->through, &q->through, err);
    if (rc)
        return rc;
    if (in->what) {
        const char **w = arena_alloc(a, 10 * sizeof *w);
        size_t n = 0;
        for (const char *p = in->what; w;) {
            size_t len = strcspn(p, ",");
            if (!stix_is_flow_commodity(p, len) || n == 9)
                return lia_err_set(err, LIA_EINVAL,
                                   "what: '%.*s' is not in flow-commodity-ov (weapons, ammunition,"
                                   " explosives, money, fighters, fuel, drugs, people, other)",
                                   (int)(len < 40 ? len : 40), p);
            w[n++] = arena_strndup(a, p, len);
            if (!p[len])
                break;
            p += len + 1;
        }
        q->what = w, q->n_what = n;
        if (!w)
            return lia_err_set(err, LIA_ENOMEM, "out of memory");
    }
    int digits;
    if (in->since && stix_parse_timestamp(in->since, strlen(in->since), &q->since, &digits, NULL))
        return lia_err_set(err, LIA_EINVAL, "since must be a timestamp (2026-03-01T00:00:00Z)");
    if (in->level && strcmp(in->level, "country") && strcmp(in->level, "place"))
        return lia_err_set(err, LIA_EINVAL, "level must be country or place");
    q->by_place = in->level && !strcmp(in->level, "place");
    q->source = in->source;
    if (in->source && strncmp(in->source, "identity--", 10))
        return lia_err_set(err, LIA_EINVAL, "source must be an identity id");
    if (in->min_grade) {
        const char *g = in->min_grade;
        if (strlen(g) != 2 || !strchr("ABCDEFX", g[0]) || g[1] < '1' || g[1] > '6')
            return lia_err_set(err, LIA_EINVAL,
                               "min_grade must be a grading such as B2 (A-F or X, then 1-6)");
        q->min_grade = g;
    }
    return 0;
}

/* A row's place in the answer: edge (from, to, what by rank), source, flow, version. */
struct keyed {
    uint32_t from, to, what, source, id;
    int64_t date_added;
    struct store_flow_row *r;
};

static int by_edge(const void *x, const void *y)
{
    const struct keyed *a = x, *b = y;
    if (a->from != b->from)
        return a->from < b->from ? -1 : 1;
    if (a->to != b->to)
        return a->to < b->to ? -1 : 1;
    if (a->what != b->what)
        return a->what < b->what ? -1 : 1;
    if (a->source != b->source)
        return a->source < b->source ? -1 : 1;
    if (a->id != b->id)
        return a->id < b->id ? -1 : 1;
    return (a->date_added > b->date_added) - (a->date_added < b->date_added);
}

/* Stable counting sort of k[0..n) by the field at offset off (a rank below nk), through tmp. */
static int count_sort(struct keyed **k, struct keyed **tmp, size_t n, size_t off, size_t nk,
                      struct arena *a)
{
    size_t *at = arena_alloc(a, (nk + 1) * sizeof *at); /* zeroed */
    if (!at)
        return LIA_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        uint32_t v;
        memcpy(&v, (const char *)&(*k)[i] + off, sizeof v);
        at[v + 1]++;
    }
    for (size_t v = 1; v <= nk; v++)
        at[v] += at[v - 1];
    for (size_t i = 0; i < n; i++) {
        uint32_t v;
        memcpy(&v, (const char *)&(*k)[i] + off, sizeof v);
        (*tmp)[at[v]++] = (*k)[i];
    }
    struct keyed *swap = *k;
    *k = *tmp, *tmp = swap;
    return 0;
}

/* Interns the rows' strings (so that equal texts are equal pointers, across collections:
 * lia_intern) and sorts them into edges: rows[] is rewritten in answer order. Rows of one
 * collection come in date_added order, one per flow and commodity, so an edge never holds an
 * id twice and the ids need no numbers of their own: four stable counting passes on the
 * ranks (source, what, to, from) give by_edge's order. Rows of several collections (the
 * same id may be in two) are numbered and compared (qsort, by_edge). */
/* A memo in front of the interner: the store interns the words of one collection's rows
 * (equal texts are one pointer), so a pointer seen before has its number without hashing its
 * text. Direct-mapped; a miss interns the text. */
#define MEMO_BITS 12
struct memo {
    const char *p, *canon;
    uint32_t num;
};

static const char *word_of(struct lia_interner *words, struct memo *m, const char *s, uint32_t *num)
{
    struct memo *e = &m[((uint64_t)(uintptr_t)s * 0x9e3779b97f4a7c15ULL) >> (64 - MEMO_BITS)];
    if (e->p != s) {
        const char *c = lia_intern(words, s, strlen(s), false, &e->num);
        if (!c)
            return NULL;
        e->p = s, e->canon = c;
    }
    if (num)
        *num = e->num;
    return e->canon;
}

static int sort_rows(struct store_flow_row **rows, size_t n, bool one_collection, struct arena *a)
{
    struct lia_interner words, ids;
    struct keyed *k = arena_alloc(a, (n ? n : 1) * sizeof *k);
    struct memo *m = arena_alloc(a, ((size_t)1 << MEMO_BITS) * sizeof *m); /* zeroed */
    if (!k || !m || lia_intern_init(&words, 1024, a) ||
        (!one_collection && lia_intern_init(&ids, 2 * n + 2, a)))
        return LIA_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        struct store_flow_row *r = rows[i];
        r->from = word_of(&words, m, r->from, &k[i].from);
        r->to = word_of(&words, m, r->to, &k[i].to);
        r->what = word_of(&words, m, r->what, &k[i].what);
        r->source = word_of(&words, m, r->source, &k[i].source);
        r->grade = word_of(&words, m, r->grade, NULL);
        r->modified = r->modified ? r->modified : "";
        if (one_collection)
            k[i].id = (uint32_t)i;
        else
            r->id = lia_intern(&ids, r->id, strlen(r->id), false, &k[i].id);
        if (!r->from || !r->to || !r->what || !r->source || !r->grade || !r->id)
            return LIA_ENOMEM;
        k[i].date_added = r->date_added;
        k[i].r = r;
    }
    uint32_t *rank = lia_intern_ranks(&words, a);
    if (!rank)
        return LIA_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        k[i].from = rank[k[i].from], k[i].to = rank[k[i].to];
        k[i].what = rank[k[i].what], k[i].source = rank[k[i].source];
    }
    if (one_collection) {
        struct keyed *tmp = arena_alloc(a, (n ? n : 1) * sizeof *tmp);
        static const size_t by[] = {offsetof(struct keyed, source), offsetof(struct keyed, what),
                                    offsetof(struct keyed, to), offsetof(struct keyed, from)};
        for (size_t p = 0; p < 4; p++)
            if (!tmp || count_sort(&k, &tmp, n, by[p], words.n, a))
                return LIA_ENOMEM;
    } else {
        qsort(k, n, sizeof *k, by_edge);
    }
    for (size_t i = 0; i < n; i++)
        rows[i] = k[i].r;
    return 0;
}

/* Grades compare as reliability, then credibility: "A2" is better than "B2" and than "A3". */
static bool better(const char *g, const char *than)
{
    return *g && (!*than || strcmp(g, than) < 0);
}

/* One source of the answer, across its edges. */
struct source {
    const char *id, *name, *trust;
    size_t edges, corroborated;
};

struct answer {
    struct dbuf *out;
    struct arena *a;
    struct source *src;
    size_t n_src, cap_src;
    const struct store_partner *partners;
    size_t n_partners;
    const char *self;
    bool names;
    const struct store_collection *cols;
    size_t n_cols;
};

static size_t collection_index(const struct answer *s, int64_t rid)
{
    size_t i = 0;
    while (i + 1 < s->n_cols && s->cols[i].rid != rid)
        i++;
    return i;
}

static struct source *source_of(struct answer *s, const char *id)
{
    for (size_t i = 0; i < s->n_src; i++)
        if (!strcmp(s->src[i].id, id))
            return &s->src[i];
    if (s->n_src == s->cap_src) {
        size_t cap = s->cap_src ? 2 * s->cap_src : 16;
        struct source *grown = arena_alloc(s->a, cap * sizeof *grown);
        if (!grown)
            return NULL;
        if (s->n_src)
            memcpy(grown, s->src, s->n_src * sizeof *grown);
        s->src = grown, s->cap_src = cap;
    }
    struct source *n = &s->src[s->n_src++];
    *n = (struct source){.id = id};
    for (size_t i = 0; s->names && i < s->n_partners; i++)
        if (!strcmp(s->partners[i].identity_id, id))
            n->name = s->partners[i].name, n->trust = s->partners[i].trust;
    if (s->names && s->self && !strcmp(s->self, id))
        n->name = "us";
    return n;
}

/* ,"key": (without printf: written tens of thousands of times for a broad answer) */
static int put_key(struct dbuf *b, const char *key)
{
    int rc = dbuf_append(b, ",\"", 2);
    rc = rc ? rc : dbuf_puts(b, key);
    return rc ? rc : dbuf_append(b, "\":", 2);
}

static int put_str(struct dbuf *b, const char *key, const char *v)
{
    int rc = put_key(b, key);
    return rc ? rc : v ? dbuf_json_string(b, v, strlen(v)) : dbuf_append(b, "null", 4);
}

static int put_ts(struct dbuf *b, const char *key, int64_t us)
{
    char ts[32];
    int rc = put_key(b, key);
    if (rc || !us)
        return rc ? rc : dbuf_append(b, "null", 4);
    lia_format_ts(us, 3, ts);
    rc = dbuf_append(b, "\"", 1);
    rc = rc ? rc : dbuf_puts(b, ts);
    return rc ? rc : dbuf_append(b, "\"", 1);
}

static int put_bool(struct dbuf *b, const char *key, bool v)
{
    int rc = put_key(b, key);
    return rc ? rc : v ? dbuf_append(b, "true", 4) : dbuf_append(b, "false", 5);
}

/* A count in decimal. */
static int put_num(struct dbuf *b, size_t v)
{
    char d[24];
    size_t i = sizeof d;
    do
        d[--i] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    return dbuf_append(b, d + i, sizeof d - i);
}

/* Writes the edge of rows e[0..n) (one edge, sorted by source then id). */
static int edge(struct answer *s, struct store_flow_row **e, size_t n, bool first)
{
    struct dbuf *b = s->out;
    const struct store_flow_row *r0 = e[0];
    size_t reports = 0, n_sources = 0;
    int64_t first_seen = 0, last_seen = 0;
    const char *best = "";
    /* The typical grade: the most frequent (the better on a tie). */
    const char *grades[64];
    size_t counts[64], n_grades = 0;
    for (size_t i = 0; i < n; i++) {
        /* Strings are interned (sort_rows): equal texts are one pointer. */
        bool new_id = i == 0 || e[i]->id != e[i - 1]->id || e[i]->source != e[i - 1]->source;
        reports += new_id;
        n_sources += i == 0 || e[i]->source != e[i - 1]->source;
        if (e[i]->first_seen && (!first_seen || e[i]->first_seen < first_seen))
            first_seen = e[i]->first_seen;
        if (e[i]->last_seen > last_seen)
            last_seen = e[i]->last_seen;
        if (better(e[i]->grade, best))
            best = e[i]->grade;
        size_t k = 0;
        while (k < n_grades && grades[k] != e[i]->grade)
            k++;
        if (k == n_grades && n_grades < 64)
            grades[n_grades] = e[i]->grade, counts[n_grades++] = 0;
        if (k < n_grades)
            counts[k] += new_id;
    }
    const char *typical = "";
    size_t top = 0;
    for (size_t k = 0; k < n_grades; k++)
        if (*grades[k] && (counts[k] > top || (counts[k] == top && better(grades[k], typical))))
            typical = grades[k], top = counts[k];
    int rc = dbuf_puts(b, first ? "{" : ",{");
    rc = rc ? rc : dbuf_puts(b, "\"from\":");
    rc = rc ? rc : dbuf_json_string(b, r0->from, strlen(r0->from));
    rc = rc ? rc : put_str(b, "to", r0->to);
    rc = rc ? rc : put_str(b, "what", r0->what);
    rc = rc ? rc : put_bool(b, "from_placed", r0->from_placed);
    rc = rc ? rc : put_bool(b, "to_placed", r0->to_placed);
    rc = rc ? rc : put_key(b, "reports");
    rc = rc ? rc : put_num(b, reports);
    rc = rc ? rc : put_key(b, "n_sources");
    rc = rc ? rc : put_num(b, n_sources);
    rc = rc ? rc : put_bool(b, "corroborated", n_sources > 1);
    rc = rc ? rc : put_ts(b, "first_seen", first_seen);
    rc = rc ? rc : put_ts(b, "last_seen", last_seen);
    rc = rc ? rc : put_str(b, "best_grade", *best ? best : NULL);
    rc = rc ? rc : put_str(b, "typical_grade", *typical ? typical : NULL);
    rc = rc ? rc : dbuf_puts(b, ",\"sources\":[");
    /* Per source: its reports on this edge, its best grade, when it first reported it (the
     * time this instance stored its first flow version); corroborated when another source
     * reported the edge later. */
    for (size_t i = 0, j; i < n && rc == 0; i = j) {
        size_t sreports = 0;
        int64_t added = INT64_MAX;
        const char *sbest = "";
        for (j = i; j < n && e[j]->source == e[i]->source; j++) {
            sreports += j == i || e[j]->id != e[j - 1]->id;
            added = e[j]->date_added < added ? e[j]->date_added : added;
            if (better(e[j]->grade, sbest))
                sbest = e[j]->grade;
        }
        bool later = false;
        for (size_t k = 0; k < n && !later; k++)
            later = e[k]->source != e[i]->source && e[k]->date_added > added;
        struct source *src = source_of(s, e[i]->source);
        if (!src)
            return LIA_ENOMEM;
        src->edges++;
        src->corroborated += later;
        rc = dbuf_puts(b, i ? ",{\"source\":" : "{\"source\":");
        rc = rc ? rc : dbuf_json_string(b, e[i]->source, strlen(e[i]->source));
        if (rc == 0 && s->names) {
            rc = put_str(b, "name", src->name);
            rc = rc ? rc : put_str(b, "trust", src->trust);
        }
        rc = rc ? rc : put_key(b, "reports");
        rc = rc ? rc : put_num(b, sreports);
        rc = rc ? rc : put_str(b, "best_grade", *sbest ? sbest : NULL);
        rc = rc ? rc : put_ts(b, "first_reported", added);
        rc = rc ? rc : put_bool(b, "corroborated_later", later);
        rc = rc ? rc : dbuf_append(b, "}", 1);
    }
    /* The ids behind the edge, and (in the same order) where each was read from: its
     * collection's place in the answer's "collections". */
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
        rc = dbuf_puts(b, pass ? "],\"in\":[" : "],\"ids\":[");
        for (size_t i = 0, w = 0; i < n && rc == 0; i++) {
            if (i && e[i]->id == e[i - 1]->id)
                continue;
            rc = w++ ? dbuf_append(b, ",", 1) : 0;
            if (rc == 0 && pass)
                rc = put_num(b, collection_index(s, e[i]->coll));
            else if (rc == 0)
                rc = dbuf_json_string(b, e[i]->id, strlen(e[i]->id));
        }
    }
    return rc ? rc : dbuf_puts(b, "]}");
}

int api_flows_answer(struct store *s, const struct store_policy *p,
                     const struct api_flows_params *in, size_t max_rows, struct arena *a,
                     struct audit_ticket *t, struct dbuf *out, struct lia_err *err)
{
    struct store_flow_query q = {.max_rows = max_rows};
    int rc = parse(in, a, &q, err);
    struct store_collection *cols = NULL;
    size_t n_cols = 0, n_rows = 0, cap = 0, n_read = 0; /* n_read: collections with rows */
    rc = rc ? rc : store_collection_list(s, p, a, &cols, &n_cols, err);
    struct store_flow_row **rows = NULL;
    bool found = !in->collection;
    for (size_t i = 0; i < n_cols && rc == 0; i++) {
        if (!cols[i].can_read)
            continue;
        if (in->collection && strcmp(in->collection, cols[i].id) &&
            (!cols[i].alias || strcmp(in->collection, cols[i].alias)))
            continue;
        found = true;
        struct store_flow_row *got;
        size_t n;
        q.max_rows = max_rows - n_rows;
        rc = store_query_flows(s, p, cols[i].rid, &q, a, &got, &n, err);
        n_read += rc == 0 && n > 0;
        if (rc == 0 && n_rows + n > cap) {
            size_t ncap = (n_rows + n) * 2;
            struct store_flow_row **grown = arena_alloc(a, ncap * sizeof(struct store_flow_row *));
            if (grown && n_rows)
                memcpy(grown, rows, n_rows * sizeof(struct store_flow_row *));
            rows = grown, cap = ncap;
            if (!rows)
                rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
        }
        /* Every version counted is disclosed: named once in the ticket. */
        struct store_row *named = rc || !t ? NULL : arena_alloc(a, (n ? n : 1) * sizeof *named);
        size_t n_named = 0;
        if (rc == 0 && t && !named)
            rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
        for (size_t k = 0; k < n && rc == 0; k++) {
            rows[n_rows++] = &got[k];
            if (named && (k == 0 || got[k].date_added != got[k - 1].date_added))
                named[n_named++] = (struct store_row){
                    .date_added = got[k].date_added, .id = got[k].id, .modified = got[k].modified};
        }
        if (rc == 0 && t && n_named)
            rc = audit_ticket_add(t, cols[i].id, "flows", named, n_named, err);
    }
    if (rc == 0 && !found)
        rc = lia_err_set(err, LIA_ENOTFOUND, "no such collection");
    if (rc)
        return rc;
    if (rc == 0 && sort_rows(rows, n_rows, n_read < 2, a))
        rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    struct answer s_ = {
        .out = out, .a = a, .names = p->partner == 0, .cols = cols, .n_cols = n_cols};
    if (s_.names) {
        char *self = NULL;
        struct store_partner *partners = NULL;
        struct lia_err ignored;
        lia_err_clear(&ignored);
        if (store_meta_get(s, "instance_identity", a, &self, &ignored) == 0)
            s_.self = self;
        rc = store_partner_list(s, a, &partners, &s_.n_partners, err);
        s_.partners = partners;
    }
    rc = rc ? rc
            : dbuf_printf(out, "{\"level\":\"%s\",\"edges\":[", q.by_place ? "place" : "country");
    size_t n_edges = 0;
    for (size_t i = 0, j; i < n_rows && rc == 0; i = j) {
        for (j = i + 1; j < n_rows && rows[j]->from == rows[i]->from &&
                        rows[j]->to == rows[i]->to && rows[j]->what == rows[i]->what;
             j++)
            ;
        /* The same flow version held in two collections is one report. */
        size_t w = i;
        for (size_t k = i; k < j; k++)
            if (k == i || rows[k]->id != rows[w - 1]->id ||
                rows[k]->source != rows[w - 1]->source ||
                strcmp(rows[k]->modified, rows[w - 1]->modified))
                rows[w++] = rows[k];
        rc = edge(&s_, rows + i, w - i, n_edges++ == 0);
    }
    rc = rc ? rc : dbuf_printf(out, "],\"n_edges\":%zu,\"corroboration\":[", n_edges);
    for (size_t i = 0; i < s_.n_src && rc == 0; i++) {
        rc = dbuf_puts(out, i ? ",{\"source\":" : "{\"source\":");
        rc = rc ? rc : dbuf_json_string(out, s_.src[i].id, strlen(s_.src[i].id));
        if (rc == 0 && s_.names) {
            rc = put_str(out, "name", s_.src[i].name);
            rc = rc ? rc : put_str(out, "trust", s_.src[i].trust);
        }
        rc = rc ? rc
                : dbuf_printf(out, ",\"edges\":%zu,\"corroborated_later\":%zu,\"rate\":%.3f}",
                              s_.src[i].edges, s_.src[i].corroborated,
                              s_.src[i].edges
                                  ? (double)s_.src[i].corroborated / (double)s_.src[i].edges
                                  : 0.0);
    }
    rc = rc ? rc : dbuf_puts(out, "],\"collections\":[");
    for (size_t i = 0; i < n_cols && rc == 0; i++) {
        rc = dbuf_puts(out, i ? "," : "");
        rc = rc ? rc : dbuf_json_string(out, cols[i].id, strlen(cols[i].id));
    }
    rc = rc ? rc : dbuf_puts(out, "]}");
    if (rc && !err->code)
        rc = lia_err_set(err, LIA_ETOOBIG, "the flows answer does not fit the response limit");
    return rc;
}

void api_liaison_flows(struct api_call *c)
{
    static const char *const params[] = {"into",   "out_of",    "through", "what",       "since",
                                         "source", "min_grade", "level",   "collection", NULL};
    if (strcmp(c->req->method, "GET") != 0) {
        api_fail(c, 405, "Method not allowed", "use GET");
        return http_add_header(c->resp, "Allow", "GET");
    }
    if (api_check_params(c, params))
        return;
    struct api_flows_params in = {
        .into = api_param(c, "into"),
        .out_of = api_param(c, "out_of"),
        .through = api_param(c, "through"),
        .what = api_param(c, "what"),
        .since = api_param(c, "since"),
        .source = api_param(c, "source"),
        .min_grade = api_param(c, "min_grade"),
        .level = api_param(c, "level"),
        .collection = api_param(c, "collection"),
    };
    struct audit_ticket *t;
    if (api_ticket(c, &t) != 0)
        return;
    struct lia_err err;
    lia_err_clear(&err);
    if (api_flows_answer(c->api->store, &c->who->policy, &in, c->api->cfg.flows_max_rows,
                         c->req->arena, t, &c->resp->body, &err))
        return (void)api_fail_err(c, &err);
    c->resp->status = 200;
    c->resp->content_type = "application/json";
}
