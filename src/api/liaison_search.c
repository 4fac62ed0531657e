/*
 * Search (docs/api.md): GET /liaison/search?q=TEXT[&collection=C][&limit=N][&next=T]
 * answers {"results": [{"collection", "object"}], "more", "next"} with the latest version
 * the caller may see of every object whose names, aliases or text contain q after the
 * text/ normalisation (so الاسلامية finds الإسلامية and isis finds ISIS). The match is one
 * more condition of the store's one query (design.md invariant 1): search cannot show what
 * a listing would not. Results come collection by collection, in date_added order.
 */
#include "api/api_int.h"

#include <string.h>

#include "text/text.h"

#define MIN_QUERY_CHARS 3
#define FACET_MAX 64 /* values per facet */

int api_search_text(struct api_call *c, const char *q, const char *name, char **out)
{
    struct dbuf norm;
    dbuf_init(&norm, 4096);
    size_t ncp = 0;
    struct lia_err err;
    lia_err_clear(&err);
    if (strlen(q) > 500 || text_normalize(q, strlen(q), &norm, NULL, NULL, &ncp, &err) != 0) {
        dbuf_release(&norm);
        return api_fail(c, 400, "Bad request", "%s must be UTF-8 text of at most 500 bytes", name);
    }
    /* Trim the spaces normalisation may leave at either end. */
    char *nq = norm.ptr ? norm.ptr : "";
    while (*nq == ' ')
        nq++, ncp--;
    size_t nlen = strlen(nq);
    while (nlen && nq[nlen - 1] == ' ')
        nq[--nlen] = '\0', ncp--;
    if (ncp < MIN_QUERY_CHARS) {
        dbuf_release(&norm);
        return api_fail(c, 400, "Bad request", "%s needs at least %d letters", name,
                        MIN_QUERY_CHARS);
    }
    *out = arena_strndup(c->req->arena, nq, nlen);
    dbuf_release(&norm);
    return *out ? 0 : api_fail(c, 413, "Too large", "%s is too long", name);
}

/* A facet's counts, merged across collections (at most as many values as rows counted). */
struct facet {
    const char **value;
    int64_t *count;
    size_t n, cap;
};

static int facet_add(struct arena *a, struct facet *fc, const char *value, int64_t count)
{
    for (size_t i = 0; i < fc->n; i++)
        if ((!value && !fc->value[i]) || (value && fc->value[i] && !strcmp(value, fc->value[i]))) {
            fc->count[i] += count;
            return 0;
        }
    if (fc->n == fc->cap) {
        size_t cap = fc->cap ? fc->cap * 2 : 16;
        const char **v = arena_alloc(a, cap * sizeof *v);
        int64_t *k = arena_alloc(a, cap * sizeof *k);
        if (!v || !k)
            return -1;
        if (fc->n) {
            memcpy(v, fc->value, fc->n * sizeof *v);
            memcpy(k, fc->count, fc->n * sizeof *k);
        }
        fc->value = v, fc->count = k, fc->cap = cap;
    }
    fc->value[fc->n] = value;
    fc->count[fc->n++] = count;
    return 0;
}

/* The FACET_MAX most frequent values, most first (then by value), as JSON. */
static int facet_put(struct dbuf *b, const char *name, struct facet *fc, bool tlp)
{
    for (size_t i = 1; i < fc->n; i++) /* insertion sort: counts descending, values ascending */
        for (size_t j = i; j > 0; j--) {
            int64_t d = fc->count[j] - fc->count[j - 1];
            const char *x = fc->value[j], *y = fc->value[j - 1];
            if (d < 0 || (d == 0 && (!x || (y && strcmp(x, y) >= 0))))
                break;
            int64_t k = fc->count[j];
            fc->value[j] = y, fc->count[j] = fc->count[j - 1];
            fc->value[j - 1] = x, fc->count[j - 1] = k;
        }
    int rc = dbuf_printf(b, "%s\"%s\":[", strcmp(name, "type") ? "," : "", name);
    for (size_t i = 0; i < fc->n && i < FACET_MAX && rc == 0; i++) {
        const char *v = fc->value[i];
        if (tlp) {
            int64_t rank = STORE_TLP_NONE;
            if (v)
                lia_parse_i64(v, strlen(v), STORE_TLP_NONE, STORE_TLP_RED, &rank);
            v = rank == STORE_TLP_NONE ? "none" : access_tlp_name((int)rank);
        }
        rc = dbuf_puts(b, i ? ",{\"value\":" : "{\"value\":");
        rc = rc ? rc : v ? dbuf_json_string(b, v, strlen(v)) : dbuf_puts(b, "null");
        rc = rc ? rc : dbuf_printf(b, ",\"count\":%lld}", (long long)fc->count[i]);
    }
    return rc ? rc : dbuf_puts(b, "]");
}

/* The facets of a search: how many of the matching objects the caller may see have each type,
 * TLP, source (creator) and collection, counted by the store through the same gate, in one
 * pass per collection over at most search_facet_rows matches in all, collection after
 * collection (store_facet_sample says which of a collection's): past it "facets_partial" says
 * the counts are of those. The results themselves are never bounded so. */
static int put_facets(struct api_call *c, const struct store_collection *cols, size_t n,
                      const char *only, const struct store_filter *f, struct dbuf *b)
{
    struct facet fc[4] = {0}; /* type, TLP, creator, collection */
    struct arena *a = c->req->arena;
    struct lia_err err;
    lia_err_clear(&err);
    size_t budget = c->api->cfg.search_facet_rows ? c->api->cfg.search_facet_rows : 1000;
    bool partial = false;
    for (size_t i = 0; i < n && !partial; i++) {
        if (!cols[i].can_read ||
            (only && strcmp(only, cols[i].id) && (!cols[i].alias || strcmp(only, cols[i].alias))))
            continue;
        struct store_facet_row *rows;
        size_t m;
        if (store_facet_sample(c->api->store, &c->who->policy, cols[i].rid, f, budget, a, &rows, &m,
                               &err))
            return api_fail_err(c, &err);
        int64_t total = 0;
        for (size_t r = 0; r < m; r++) {
            total += rows[r].count;
            if (facet_add(a, &fc[0], rows[r].type, rows[r].count) ||
                facet_add(a, &fc[1], rows[r].tlp, rows[r].count) ||
                facet_add(a, &fc[2], rows[r].creator, rows[r].count))
                return api_fail(c, 413, "Too large", "the facets do not fit the request's memory");
        }
        if (total && facet_add(a, &fc[3], cols[i].id, total))
            return api_fail(c, 413, "Too large", "the facets do not fit the request's memory");
        partial = (size_t)total >= budget;
        budget -= (size_t)total;
    }
    int rc = dbuf_puts(b, ",\"facets\":{");
    rc = rc ? rc : facet_put(b, "type", &fc[0], false);
    rc = rc ? rc : facet_put(b, "tlp", &fc[1], true);
    rc = rc ? rc : facet_put(b, "source", &fc[2], false);
    rc = rc ? rc : facet_put(b, "collection", &fc[3], false);
    rc = rc ? rc : dbuf_puts(b, "}");
    return rc ? rc : dbuf_printf(b, ",\"facets_partial\":%s", partial ? "true" : "false");
}

/* Which of the page's objects (rows of cols[i]) other readable collections also hold in a
 * version the same search finds: in[k * n + j] for row k and collection j. One query per
 * collection, through the gate. */
static int elsewhere(struct api_call *c, const struct store_collection *cols, size_t n, size_t i,
                     const struct store_filter *f, const struct store_page *page, bool *in)
{
    const char **ids = arena_alloc(c->req->arena, page->n * sizeof *ids);
    if (!ids)
        return api_fail(c, 413, "Too large", "the results do not fit the request's memory");
    for (size_t k = 0; k < page->n; k++)
        ids[k] = page->rows[k].id;
    for (size_t j = 0; j < n; j++) {
        if (j == i || !cols[j].can_read)
            continue;
        struct store_filter g = *f;
        g.ids = ids;
        g.n_ids = page->n;
        g.after_key = 0;
        g.limit = page->n;
        struct store_page other;
        if (api_read_objects(c, &cols[j], "search", &g, false, &other))
            return -1;
        for (size_t r = 0; r < other.n; r++)
            for (size_t k = 0; k < page->n; k++)
                if (!strcmp(other.rows[r].id, page->rows[k].id))
                    in[k * n + j] = true;
    }
    return 0;
}

void api_liaison_search(struct api_call *c)
{
    static const char *const params[] = {"q",    "collection", "limit",   "next",
                                         "type", "tlp",        "creator", NULL};
    if (strcmp(c->req->method, "GET") != 0) {
        api_fail(c, 405, "Method not allowed", "use GET");
        return http_add_header(c->resp, "Allow", "GET");
    }
    if (api_check_params(c, params))
        return;
    const char *q = api_param(c, "q");
    if (!q)
        return (void)api_fail(c, 400, "Bad request", "give the text to find as q");
    char *match;
    if (api_search_text(c, q, "q", &match))
        return;
    struct store_filter cond = {.text_match = match, .version_sel = STORE_VER_LAST};
    if (api_object_conditions(c, &cond))
        return;
    struct lia_err err;
    lia_err_clear(&err);

    struct store_collection *cols;
    size_t n;
    if (store_collection_list(c->api->store, &c->who->policy, c->req->arena, &cols, &n, &err))
        return (void)api_fail_err(c, &err);
    const char *only = api_param(c, "collection");
    const char *type = api_param(c, "type"), *tlp = api_param(c, "tlp");
    const char *creator = api_param(c, "creator");
    /* The scope binds next tokens to this search. */
    const char *scope =
        arena_printf(c->req->arena, "search:%s:%s:%s:%s:%s", match, only ? only : "",
                     type ? type : "", tlp ? tlp : "", creator ? creator : "");
    int64_t start_coll = 0, after = 0;
    struct dbuf *b = &c->resp->body;
    int rc = dbuf_puts(b, "{\"results\":[");
    size_t limit, got = 0;
    if (api_parse_limit(c, &limit))
        return;
    const char *v;
    if ((v = api_param(c, "next"))) {
        /* A next token is made per collection: find which. */
        bool found = false;
        for (size_t i = 0; i < n && !found; i++) {
            struct api_call quiet = *c; /* a wrong guess must not answer the request */
            struct http_response scratch = {0};
            dbuf_init(&scratch.body, 4096);
            quiet.resp = &scratch;
            int64_t key;
            if (api_parse_next(&quiet, cols[i].rid, scope, v, &key) == 0) {
                found = true;
                start_coll = cols[i].rid;
                after = key;
            }
            dbuf_release(&scratch.body);
        }
        if (!found)
            return (void)api_fail(c, 400, "Bad request", "the next token is not valid");
    }
    bool more = false;
    const char *next = NULL;
    for (size_t i = 0; i < n && rc == 0 && !more; i++) {
        if (!cols[i].can_read || cols[i].rid < start_coll)
            continue;
        if (only && strcmp(only, cols[i].id) != 0 &&
            (!cols[i].alias || strcmp(only, cols[i].alias)))
            continue;
        struct store_filter f = cond;
        f.limit = limit - got;
        f.after_key = cols[i].rid == start_coll ? after : 0;
        struct store_page page;
        if (api_read_objects(c, &cols[i], "search", &f, true, &page))
            return;
        /* Grouped by entity: an object found in an earlier collection was listed there (with
         * every collection that holds it); later ones are named beside it. */
        bool *in = page.n ? arena_alloc(c->req->arena, page.n * n) : NULL;
        if (page.n && !in)
            return (void)api_fail(c, 413, "Too large",
                                  "the results do not fit the request's memory");
        if (page.n && !only && elsewhere(c, cols, n, i, &cond, &page, in))
            return;
        for (size_t k = 0; k < page.n && rc == 0; k++) {
            bool earlier = false;
            for (size_t j = 0; j < i; j++)
                earlier = earlier || in[k * n + j];
            if (earlier)
                continue;
            rc = dbuf_puts(b, got ? ",{\"collection\":\"" : "{\"collection\":\"");
            rc = rc ? rc : dbuf_puts(b, cols[i].id);
            rc = rc ? rc : dbuf_puts(b, "\",\"collections\":[\"");
            rc = rc ? rc : dbuf_puts(b, cols[i].id);
            for (size_t j = i + 1; j < n && rc == 0; j++)
                if (in[k * n + j])
                    rc = dbuf_printf(b, "\",\"%s", cols[j].id);
            rc = rc ? rc : dbuf_puts(b, "\"],\"object\":");
            rc = rc ? rc : dbuf_append(b, page.rows[k].json, page.rows[k].json_len);
            rc = rc ? rc : dbuf_puts(b, "}");
            got++;
        }
        if (page.more || (got == limit && page.n)) {
            /* Either this collection has more, or the page is full: continue from here. */
            more = true;
            next = api_next_token(c, cols[i].rid, scope, page.rows[page.n - 1].date_added);
        }
    }
    rc = rc ? rc : dbuf_printf(b, "],\"more\":%s", more ? "true" : "false");
    if (!rc && next)
        rc = dbuf_printf(b, ",\"next\":\"%s\"", next);
    /* The facets describe the whole search: given with its first page. */
    if (!rc && !api_param(c, "next") && put_facets(c, cols, n, only, &cond, b))
        return;
    rc = rc ? rc : dbuf_puts(b, "}");
    if (rc)
        return (void)api_fail(c, 413, "Too large", "the results do not fit the response limit");
    c->resp->status = 200;
    c->resp->content_type = "application/json";
}
