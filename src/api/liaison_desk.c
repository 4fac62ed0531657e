/*
 * What the analyst's desk asks beyond TAXII (docs/web.md, docs/api.md):
 *
 * GET /liaison/browse/{collection}?type=&text=&tlp=&creator=&added_after=&modified_from=
 *     &modified_to=&sort=added|modified&order=asc|desc&limit=&next=|prev=
 *   a page of a collection, filtered and sorted by the store, with the total the filters
 *   select and the page's position in it, and tokens for the pages either side:
 *   {"total", "position", "objects": [...], "next"?, "prev"?}. Every condition is part of the
 *   store's one query (store_query_objects, store_count_objects) with the caller's policy, so
 *   a total never counts, and a page never shows, what a TAXII listing would not; a partner's
 *   page is named in its disclosure ticket like any other read.
 *
 * GET /liaison/neighbours/{collection}/{object-id}?limit=&next=
 *   the objects around one: the latest visible versions of the relationships, reports,
 *   groupings, notes, opinions, sightings and flows of the collection that name it (as an end,
 *   in object_refs or any other reference): {"objects": [...], "more", "next"?}. One condition
 *   more of the store's one query, so the caller meets only what it may see.
 *
 * GET /liaison/audience/{collection}/{object-id}
 *   who this instance's partners are that the gate would give the object to:
 *   {"id", "partners": [{"name", "identity", "clearance", "visible", "version", "latest",
 *   "reason"}]}. Each answer is the one gate's own (store_query_objects with that partner's
 *   policy, as the partner would be served), never a second reading of the rules; the reason
 *   a partner is not given it is found the same way: no right on the collection (the gate
 *   refuses the collection), its clearance (the gate would give it with clearance red), or the
 *   object's markings (REL TO or TLP:RED recipients that do not name it). For this instance's
 *   own principals only: a partner is not told who else receives what.
 */
#include "api/api_int.h"

#include <string.h>

#include "stix/stix.h"

static int bad_method(struct api_call *c)
{
    http_add_header(c->resp, "Allow", "GET");
    return api_fail(c, 405, "Method not allowed", "use GET");
}

static int parse_time(struct api_call *c, const char *key, bool end, int64_t *out)
{
    const char *v = api_param(c, key);
    *out = 0;
    if (!v)
        return 0;
    struct lia_err err;
    lia_err_clear(&err);
    int digits;
    char day[40];
    /* A day (from a date field) means its first or, for an upper bound, its last moment. */
    if (strlen(v) == 10) {
        int n = snprintf(day, sizeof day, "%sT%s", v, end ? "23:59:59.999999Z" : "00:00:00Z");
        if (n > 0 && (size_t)n < sizeof day)
            v = day;
    }
    if (stix_parse_timestamp(v, strlen(v), out, &digits, &err) != 0)
        return api_fail(c, 400, "Bad request", "%s: %s", key, err.msg);
    return 0;
}

int api_object_conditions(struct api_call *c, struct store_filter *f)
{
    const struct api_config *cfg = &c->api->cfg;
    const char *v;
    char **list;
    size_t n;
    if ((v = api_param(c, "type")) && api_parse_types(c, "type", v, f))
        return -1;
    if ((v = api_param(c, "tlp"))) {
        if (api_split_list(c, "tlp", v, cfg->max_filter_values, &list, &n))
            return -1;
        int *ranks = arena_alloc(c->req->arena, n * sizeof *ranks);
        if (!ranks)
            return api_fail(c, 413, "Too large", "tlp is too long");
        for (size_t i = 0; i < n; i++) {
            ranks[i] = !strcmp(list[i], "none") ? STORE_TLP_NONE : access_tlp_parse(list[i]);
            if (ranks[i] < STORE_TLP_NONE)
                return api_fail(c, 400, "Bad request",
                                "tlp: '%.40s' is not clear, green, amber, amber+strict, red or"
                                " none",
                                list[i]);
        }
        f->tlps = ranks;
        f->n_tlps = n;
    }
    if ((v = api_param(c, "creator"))) {
        if (!stix_is_valid_id(v, strlen(v)))
            return api_fail(c, 400, "Bad request", "creator: '%.100s' is not a STIX id", v);
        f->created_by = v;
    }
    return 0;
}

/* The store filter of a browse request; *scope names its filters for the paging tokens. */
static int browse_filter(struct api_call *c, struct store_filter *f, const char **scope)
{
    memset(f, 0, sizeof *f);
    const char *v;
    f->version_sel = STORE_VER_LAST;
    if (api_parse_limit(c, &f->limit) || api_object_conditions(c, f))
        return -1;
    if ((v = api_param(c, "text"))) {
        char *match;
        if (api_search_text(c, v, "text", &match))
            return -1;
        f->text_match = match;
    }
    if ((v = api_param(c, "added_after"))) {
        struct lia_err err;
        lia_err_clear(&err);
        int digits;
        if (stix_parse_timestamp(v, strlen(v), &f->added_after, &digits, &err) != 0)
            return api_fail(c, 400, "Bad request", "added_after: %s", err.msg);
    }
    if (parse_time(c, "modified_from", false, &f->modified_from) ||
        parse_time(c, "modified_to", true, &f->modified_to))
        return -1;
    if (f->modified_from && f->modified_to && f->modified_from > f->modified_to)
        return api_fail(c, 400, "Bad request", "modified_from is after modified_to");
    v = api_param(c, "sort");
    if (v && strcmp(v, "added") && strcmp(v, "modified"))
        return api_fail(c, 400, "Bad request", "sort is added or modified");
    f->order = v && !strcmp(v, "modified") ? STORE_ORDER_MODIFIED : STORE_ORDER_ADDED;
    v = api_param(c, "order");
    if (v && strcmp(v, "asc") && strcmp(v, "desc"))
        return api_fail(c, 400, "Bad request", "order is asc or desc");
    f->descending = v && !strcmp(v, "desc");
    static const char *const keys[] = {
        "type",          "tlp",         "creator", "text",  "added_after",
        "modified_from", "modified_to", "sort",    "order", NULL};
    struct dbuf sb;
    dbuf_init(&sb, 8192);
    int rc = dbuf_puts(&sb, "browse");
    for (const char *const *k = keys; *k && rc == 0; k++)
        rc = dbuf_printf(&sb, "|%s=%s", *k, api_param(c, *k) ? api_param(c, *k) : "");
    *scope = rc ? NULL : arena_strndup(c->req->arena, sb.ptr, sb.len);
    dbuf_release(&sb);
    return *scope ? 0 : api_fail(c, 413, "Too large", "the filters are too long");
}

static int find_collection(struct api_call *c, const char *id, struct store_collection *col)
{
    struct lia_err err;
    lia_err_clear(&err);
    if (store_collection_get(c->api->store, &c->who->policy, id, c->req->arena, col, &err) != 0)
        return api_fail_err(c, &err);
    if (!col->can_read)
        return api_fail(c, 404, "Not found", "no such collection");
    return 0;
}

static void send_json(struct api_call *c, int rc)
{
    if (rc)
        return (void)api_fail(c, 413, "Too large", "the answer does not fit the response limit");
    c->resp->status = 200;
    c->resp->content_type = "application/json";
}

void api_liaison_browse(struct api_call *c, const char **seg, size_t nseg)
{
    static const char *const params[] = {
        "type",  "tlp",   "creator", "text", "added_after", "modified_from", "modified_to", "sort",
        "order", "limit", "next",    "prev", NULL};
    if (strcmp(c->req->method, "GET") != 0)
        return (void)bad_method(c);
    if (nseg != 3)
        return (void)api_fail(c, 404, "Not found", "use /liaison/browse/{collection}");
    struct store_collection col;
    struct store_filter f;
    const char *scope;
    if (api_check_params(c, params) || find_collection(c, seg[2], &col) ||
        browse_filter(c, &f, &scope))
        return;
    const char *next = api_param(c, "next"), *prev = api_param(c, "prev");
    if (next && prev)
        return (void)api_fail(c, 400, "Bad request", "give next or prev, not both");
    const char *next_scope = arena_printf(c->req->arena, "next:%s", scope);
    const char *prev_scope = arena_printf(c->req->arena, "prev:%s", scope);
    if (!next_scope || !prev_scope)
        return (void)api_fail(c, 413, "Too large", "the filters are too long");
    int64_t total = 0, before = 0;
    if (api_count_objects(c, &col, &f, &total))
        return;
    /* A page before a row is read in the other order from it, then turned round. */
    if (next && api_parse_next(c, col.rid, next_scope, next, &f.cursor))
        return;
    if (prev && api_parse_next(c, col.rid, prev_scope, prev, &f.cursor))
        return;
    if (prev)
        f.descending = !f.descending;
    struct store_page page;
    if (api_read_objects(c, &col, "browse", &f, true, &page))
        return;
    if (prev) {
        f.descending = !f.descending;
        for (size_t i = 0; i < page.n / 2; i++) {
            struct store_row r = page.rows[i];
            page.rows[i] = page.rows[page.n - 1 - i];
            page.rows[page.n - 1 - i] = r;
        }
    }
    /* The rows before this page, in the page's order: the position of its first row (none
     * before the first page). */
    if (page.n && (next || prev)) {
        struct store_filter g = f;
        g.cursor = page.rows[0].date_added;
        g.descending = !f.descending;
        if (api_count_objects(c, &col, &g, &before))
            return;
    }
    struct dbuf *b = &c->resp->body;
    dbuf_reset(b);
    int rc = dbuf_printf(b, "{\"total\":%lld,\"position\":%lld,\"objects\":[", (long long)total,
                         page.n ? (long long)before + 1 : 0LL);
    for (size_t i = 0; i < page.n && rc == 0; i++) {
        rc = i ? dbuf_puts(b, ",") : 0;
        rc = rc ? rc : dbuf_append(b, page.rows[i].json, page.rows[i].json_len);
    }
    rc = rc ? rc : dbuf_puts(b, "]");
    if (rc == 0 && page.n && before + (int64_t)page.n < total) {
        const char *tok = api_next_token(c, col.rid, next_scope, page.rows[page.n - 1].date_added);
        rc = tok ? dbuf_printf(b, ",\"next\":\"%s\"", tok) : LIA_ENOMEM;
    }
    if (rc == 0 && page.n && before > 0) {
        const char *tok = api_next_token(c, col.rid, prev_scope, page.rows[0].date_added);
        rc = tok ? dbuf_printf(b, ",\"prev\":\"%s\"", tok) : LIA_ENOMEM;
    }
    rc = rc ? rc : dbuf_puts(b, "}");
    send_json(c, rc);
}

static int put_text(struct dbuf *b, const char *key, const char *v)
{
    int rc = dbuf_printf(b, ",\"%s\":", key);
    return rc ? rc : v ? dbuf_json_string(b, v, strlen(v)) : dbuf_puts(b, "null");
}

/* What is asked of the gate: a stored object (id), or an object not yet stored (draft: its
 * handling columns, as access_object_handling computed them). */
struct probe {
    const char *id;
    const struct store_object *draft;
};

static int probe_gate(struct api_call *c, const struct store_policy *pol,
                      const struct store_collection *col, const struct probe *what,
                      const char **version, struct lia_err *err)
{
    lia_err_clear(err);
    if (what->draft) {
        *version = "";
        return store_gate_preview(c->api->store, pol, col->rid, what->draft, err);
    }
    return api_gate_probe(c, pol, col, what->id, version, err);
}

/* Why the gate does not give partner p the object: asked of the gate itself. */
static const char *refusal(struct api_call *c, const struct store_partner *p,
                           const struct store_collection *col, const struct probe *what,
                           const char **version, struct lia_err *err)
{
    if (p->disabled)
        return "disabled";
    struct store_policy pol = {.all = false, .partner = p->rid, .clearance = p->clearance};
    int rc = probe_gate(c, &pol, col, what, version, err);
    if (rc == LIA_ENOTFOUND)
        return "collection";
    if (rc == LIA_EUNSUPPORTED)
        return "unknown";
    if (rc < 0)
        return NULL;
    if (rc == 1)
        return "";
    pol.clearance = STORE_TLP_RED;
    const char *ignored;
    rc = probe_gate(c, &pol, col, what, &ignored, err);
    if (rc < 0)
        return NULL;
    return rc == 1 ? "clearance" : "marking";
}

/* Writes {"id", "partners": [...]} of what (a stored version: latest is the caller's; or a
 * draft). */
static void audience_answer(struct api_call *c, const struct store_collection *col, const char *id,
                            const struct probe *what, const char *latest)
{
    struct lia_err err;
    lia_err_clear(&err);
    struct store_partner *ps;
    size_t n;
    if (store_partner_list(c->api->store, c->req->arena, &ps, &n, &err) != 0)
        return (void)api_fail_err(c, &err);
    struct dbuf *b = &c->resp->body;
    dbuf_reset(b);
    int wrc = dbuf_puts(b, "{\"id\":");
    wrc = wrc ? wrc : dbuf_json_string(b, id, strlen(id));
    wrc = wrc ? wrc : dbuf_puts(b, ",\"partners\":[");
    for (size_t i = 0; i < n && wrc == 0; i++) {
        const char *version = NULL;
        const char *why = refusal(c, &ps[i], col, what, &version, &err);
        if (!why)
            return (void)api_fail_err(c, &err);
        bool newest = !*why && (what->draft || !strcmp(version, latest));
        wrc = dbuf_printf(b, "%s{\"name\":", i ? "," : "");
        wrc = wrc ? wrc : dbuf_json_string(b, ps[i].name, strlen(ps[i].name));
        wrc = wrc ? wrc : put_text(b, "identity", ps[i].identity_id);
        wrc = wrc ? wrc : put_text(b, "clearance", access_tlp_name(ps[i].clearance));
        wrc = wrc ? wrc : dbuf_printf(b, ",\"visible\":%s", *why ? "false" : "true");
        wrc = wrc ? wrc : put_text(b, "version", *why || what->draft ? NULL : version);
        wrc = wrc ? wrc : dbuf_printf(b, ",\"latest\":%s", newest ? "true" : "false");
        wrc = wrc ? wrc : put_text(b, "reason", *why ? why : NULL);
        wrc = wrc ? wrc : dbuf_puts(b, "}");
    }
    wrc = wrc ? wrc : dbuf_puts(b, "]}");
    send_json(c, wrc);
}

/* POST /liaison/audience/{collection} with an object not yet stored: who the gate would give
 * it to once stored as the latest version (its markings read as a write reads them, in a
 * transaction that is rolled back: nothing is written). */
static void audience_preview(struct api_call *c, const struct store_collection *col)
{
    json_t *obj = NULL;
    struct lia_err err;
    lia_err_clear(&err);
    if (stix_parse_json(c->req->body, c->req->body_len, &c->api->cfg.stix, &obj, &err))
        return (void)api_fail_err(c, &err);
    const char *id = json_string_value(json_object_get(obj, "id"));
    const char *type = json_string_value(json_object_get(obj, "type"));
    if (!json_is_object(obj) || !id || !type || !stix_is_valid_id(id, strlen(id))) {
        json_decref(obj);
        return (void)api_fail(c, 400, "Bad request",
                              "send the object to preview: a JSON object with its type and id");
    }
    struct store_object o = {.id = arena_strndup(c->req->arena, id, strlen(id)), .type = type};
    struct store_txn *t = NULL;
    int rc = o.id ? store_begin(c->api->store, &t, &err)
                  : lia_err_set(&err, LIA_ENOMEM, "out of memory");
    rc = rc ? rc : access_object_handling(t, obj, NULL, 0, c->req->arena, &o, &err);
    store_rollback(t);
    if (rc == LIA_EINVAL)
        api_fail(c, 422, "Unprocessable request", "%s", err.msg);
    else if (rc)
        api_fail_err(c, &err);
    else
        audience_answer(c, col, o.id, &(struct probe){.id = o.id, .draft = &o}, NULL);
    json_decref(obj);
}

void api_liaison_audience(struct api_call *c, const char **seg, size_t nseg)
{
    static const char *const no_params[] = {NULL};
    bool post = !strcmp(c->req->method, "POST");
    if (!post && strcmp(c->req->method, "GET") != 0) {
        http_add_header(c->resp, "Allow", "GET, POST");
        return (void)api_fail(c, 405, "Method not allowed", "use GET, or POST for a preview");
    }
    if (nseg != (post ? 3u : 4u))
        return (void)api_fail(c, 404, "Not found",
                              "use GET /liaison/audience/{collection}/{id} or POST"
                              " /liaison/audience/{collection}");
    if (c->who->partner)
        return (void)api_fail(c, 403, "Forbidden",
                              "who receives an object is for this instance's analysts");
    struct store_collection col;
    if (api_check_params(c, no_params) || find_collection(c, seg[2], &col))
        return;
    if (post)
        return audience_preview(c, &col);
    const char *id = seg[3];
    if (!stix_is_valid_id(id, strlen(id)))
        return (void)api_fail(c, 400, "Bad request", "'%.100s' is not a STIX id", id);
    struct lia_err err;
    lia_err_clear(&err);
    const char *latest;
    int rc = api_gate_probe(c, &c->who->policy, &col, id, &latest, &err);
    if (rc < 0)
        return (void)api_fail_err(c, &err);
    if (rc == 0)
        return (void)api_fail(c, 404, "Not found", "no such object");
    audience_answer(c, &col, id, &(struct probe){.id = id}, latest);
}

/* The types whose references connect objects (the neighbours of one). */
static const char *const linking_types[] = {"relationship", "report",   "grouping",    "note",
                                            "opinion",      "sighting", "liaison-flow"};

void api_liaison_neighbours(struct api_call *c, const char **seg, size_t nseg)
{
    static const char *const params[] = {"limit", "next", NULL};
    if (strcmp(c->req->method, "GET") != 0)
        return (void)bad_method(c);
    if (nseg != 4)
        return (void)api_fail(c, 404, "Not found", "use /liaison/neighbours/{collection}/{id}");
    struct store_collection col;
    if (api_check_params(c, params) || find_collection(c, seg[2], &col))
        return;
    const char *id = seg[3];
    if (!stix_is_valid_id(id, strlen(id)))
        return (void)api_fail(c, 400, "Bad request", "'%.100s' is not a STIX id", id);
    const char *scope = arena_printf(c->req->arena, "neighbours:%s", id);
    struct store_filter f = {.refers_to = id,
                             .types = linking_types,
                             .n_types = sizeof linking_types / sizeof linking_types[0],
                             .version_sel = STORE_VER_LAST};
    if (api_parse_limit(c, &f.limit))
        return;
    const char *v;
    if (!scope)
        return (void)api_fail(c, 413, "Too large", "the id is too long");
    if ((v = api_param(c, "next")) && api_parse_next(c, col.rid, scope, v, &f.after_key))
        return;
    struct store_page page;
    if (api_read_objects(c, &col, "neighbours", &f, true, &page))
        return;
    struct dbuf *b = &c->resp->body;
    dbuf_reset(b);
    int rc = dbuf_puts(b, "{\"objects\":[");
    for (size_t i = 0; i < page.n && rc == 0; i++) {
        rc = i ? dbuf_puts(b, ",") : 0;
        rc = rc ? rc : dbuf_append(b, page.rows[i].json, page.rows[i].json_len);
    }
    rc = rc ? rc : dbuf_printf(b, "],\"more\":%s", page.more ? "true" : "false");
    if (rc == 0 && page.more) {
        const char *tok = api_next_token(c, col.rid, scope, page.rows[page.n - 1].date_added);
        rc = tok ? dbuf_printf(b, ",\"next\":\"%s\"", tok) : LIA_ENOMEM;
    }
    rc = rc ? rc : dbuf_puts(b, "}");
    send_json(c, rc);
}
