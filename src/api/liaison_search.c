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

void api_liaison_search(struct api_call *c)
{
    static const char *const params[] = {"q", "collection", "limit", "next", NULL};
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
    struct lia_err err;
    lia_err_clear(&err);

    struct store_collection *cols;
    size_t n;
    if (store_collection_list(c->api->store, &c->who->policy, c->req->arena, &cols, &n, &err))
        return (void)api_fail_err(c, &err);
    const char *only = api_param(c, "collection");
    /* The scope binds next tokens to this search. */
    const char *scope = arena_printf(c->req->arena, "search:%s:%s", match, only ? only : "");
    int64_t start_coll = 0, after = 0;
    struct dbuf *b = &c->resp->body;
    int rc = dbuf_puts(b, "{\"results\":[");
    size_t limit = c->api->cfg.default_page_size, got = 0;
    const char *v = api_param(c, "limit");
    int64_t lim;
    if (v && lia_parse_i64(v, strlen(v), 1, INT64_MAX / 2, &lim) != 0)
        return (void)api_fail(c, 400, "Bad request", "limit must be a positive integer");
    if (v)
        limit = (size_t)lim > c->api->cfg.max_page_size ? c->api->cfg.max_page_size : (size_t)lim;
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
        struct store_filter f = {.text_match = match,
                                 .version_sel = STORE_VER_LAST,
                                 .limit = limit - got,
                                 .after_key = cols[i].rid == start_coll ? after : 0};
        struct store_page page;
        if (api_read_objects(c, &cols[i], "search", &f, true, &page))
            return;
        for (size_t k = 0; k < page.n && rc == 0; k++) {
            rc = dbuf_puts(b, got ? ",{\"collection\":\"" : "{\"collection\":\"");
            rc = rc ? rc : dbuf_puts(b, cols[i].id);
            rc = rc ? rc : dbuf_puts(b, "\",\"object\":");
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
    rc = rc ? rc : dbuf_puts(b, "}");
    if (rc)
        return (void)api_fail(c, 413, "Too large", "the results do not fit the response limit");
    c->resp->status = 200;
    c->resp->content_type = "application/json";
}
