/*
 * TAXII 2.1 endpoints (OASIS TAXII 2.1, June 2021, sections 4 and 5):
 * discovery, API root, status, collections, objects, object, versions,
 * manifest. Responses are assembled from the stored object text (design.md
 * invariant 2); every object read goes through store_query_objects with the
 * caller's policy (invariant 1).
 */
#include "api/api_int.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "audit/audit.h"

#define API_ROOT "/taxii2/default/"

static const char *const no_params[] = {NULL};
static const char *const objects_params[] = {"added_after",         "limit",       "next",
                                             "match[id]",           "match[type]", "match[version]",
                                             "match[spec_version]", NULL};
static const char *const object_params[] = {
    "added_after", "limit", "next", "match[version]", "match[spec_version]", NULL};
static const char *const delete_params[] = {"match[version]", "match[spec_version]", NULL};
static const char *const versions_params[] = {"added_after", "limit", "next", "match[spec_version]",
                                              NULL};

static void ok_json(struct api_call *c, int status)
{
    c->resp->status = status;
    c->resp->content_type = c->media ? c->media : TAXII_MEDIA;
}

static int put_json_member(struct dbuf *b, const char *sep, const char *key, const char *val)
{
    if (!val)
        return 0;
    int rc = dbuf_printf(b, "%s\"%s\":", sep, key);
    return rc ? rc : dbuf_json_string(b, val, strlen(val));
}

static void discovery(struct api_call *c)
{
    const struct api_config *cfg = &c->api->cfg;
    struct dbuf *b = &c->resp->body;
    int rc = dbuf_puts(b, "{");
    rc = rc ? rc : put_json_member(b, "", "title", cfg->title);
    rc = rc ? rc : put_json_member(b, ",", "description", cfg->description);
    rc = rc ? rc : put_json_member(b, ",", "contact", cfg->contact);
    rc = rc ? rc : dbuf_puts(b, ",\"default\":\"" API_ROOT "\",\"api_roots\":[\"" API_ROOT "\"]}");
    if (rc)
        return (void)api_fail(c, 500, "Internal error", "response too large");
    ok_json(c, 200);
}

static void api_root(struct api_call *c)
{
    const struct api_config *cfg = &c->api->cfg;
    struct dbuf *b = &c->resp->body;
    int rc = dbuf_puts(b, "{");
    rc = rc ? rc : put_json_member(b, "", "title", cfg->title);
    rc = rc ? rc : put_json_member(b, ",", "description", cfg->description);
    rc = rc ? rc
            : dbuf_printf(b, ",\"versions\":[\"%s\"],\"max_content_length\":%zu}", TAXII_MEDIA,
                          cfg->max_content_length);
    if (rc)
        return (void)api_fail(c, 500, "Internal error", "response too large");
    ok_json(c, 200);
}

static int collection_json(struct dbuf *b, const struct store_collection *col)
{
    int rc = put_json_member(b, "{", "id", col->id);
    rc = rc ? rc : put_json_member(b, ",", "title", col->title);
    rc = rc ? rc : put_json_member(b, ",", "description", col->description);
    rc = rc ? rc : put_json_member(b, ",", "alias", col->alias);
    rc = rc ? rc
            : dbuf_printf(b, ",\"can_read\":%s,\"can_write\":%s,\"media_types\":[\"%s\"]}",
                          col->can_read ? "true" : "false", col->can_write ? "true" : "false",
                          STIX_MEDIA);
    return rc;
}

static void collections(struct api_call *c)
{
    struct store_collection *cols;
    size_t n;
    struct lia_err err;
    lia_err_clear(&err);
    if (store_collection_list(c->api->store, &c->who->policy, c->req->arena, &cols, &n, &err))
        return (void)api_fail_err(c, &err);
    struct dbuf *b = &c->resp->body;
    int rc = dbuf_puts(b, n ? "{\"collections\":[" : "{");
    for (size_t i = 0; i < n && !rc; i++) {
        if (i)
            rc = dbuf_puts(b, ",");
        rc = rc ? rc : collection_json(b, &cols[i]);
    }
    rc = rc ? rc : dbuf_puts(b, n ? "]}" : "}");
    if (rc)
        return (void)api_fail(c, 500, "Internal error", "response too large");
    ok_json(c, 200);
}

static void status(struct api_call *c, const char *id)
{
    char *json;
    struct lia_err err;
    lia_err_clear(&err);
    if (strlen(id) != 36)
        return (void)api_fail(c, 404, "Not found", "no such status resource");
    const char *owner = c->who->admin ? NULL : api_owner(c);
    if (store_status_get(c->api->store, id, owner, c->req->arena, &json, &err))
        return (void)api_fail_err(c, &err);
    if (dbuf_puts(&c->resp->body, json))
        return (void)api_fail(c, 500, "Internal error", "response too large");
    ok_json(c, 200);
}

/* Version text of a row: modified, else the date it was added (SCOs carry neither). */
static const char *row_version(struct api_call *c, const struct store_row *r)
{
    return r->modified ? r->modified : api_format_ts(c, r->date_added);
}

static int page_tail(struct api_call *c, int64_t coll, const char *scope,
                     const struct store_page *page)
{
    struct dbuf *b = &c->resp->body;
    if (!page->more)
        return 0;
    char *next = api_next_token(c, coll, scope, page->rows[page->n - 1].date_added);
    if (!next)
        return LIA_ENOMEM;
    c->run->next = next; /* the page a read-ahead may make (pipeline/readahead.c) */
    return dbuf_printf(b, ",\"next\":\"%s\"", next);
}

enum listing { LIST_OBJECTS, LIST_MANIFEST, LIST_VERSIONS };

/* GET objects, object, manifest and versions: one page through the gate. */
static void listing(struct api_call *c, const struct store_collection *col, const char *object_id,
                    enum listing kind)
{
    const char *scope = kind == LIST_MANIFEST ? "manifest"
                        : kind == LIST_VERSIONS
                            ? arena_printf(c->req->arena, "versions:%s", object_id)
                        : object_id ? arena_printf(c->req->arena, "object:%s", object_id)
                                    : "objects";
    struct store_filter f;
    if (!scope || api_parse_filter(c, col->rid, scope, &f))
        return;
    const char *one[1] = {object_id};
    if (object_id) {
        f.ids = one;
        f.n_ids = 1;
    }
    if (kind == LIST_VERSIONS)
        f.version_sel = STORE_VER_ALL, f.n_version_at = 0;
    struct store_page page;
    if (api_read_objects(c, col, scope, &f, kind == LIST_OBJECTS, &page))
        return;
    if (object_id && page.n == 0 && !f.after_key)
        return (void)api_fail(c, 404, "Not found", "no such object in this collection");

    struct dbuf *b = &c->resp->body;
    int rc = dbuf_printf(b, "{\"more\":%s", page.more ? "true" : "false");
    rc = rc ? rc : page_tail(c, col->rid, scope, &page);
    if (!rc && page.n)
        rc = dbuf_puts(b, kind == LIST_VERSIONS ? ",\"versions\":[" : ",\"objects\":[");
    for (size_t i = 0; i < page.n && !rc; i++) {
        const struct store_row *r = &page.rows[i];
        if (i)
            rc = dbuf_puts(b, ",");
        if (rc)
            break;
        if (kind == LIST_OBJECTS) {
            rc = dbuf_append(b, r->json, r->json_len);
        } else if (kind == LIST_VERSIONS) {
            rc = dbuf_printf(b, "\"%s\"", row_version(c, r));
        } else {
            rc = dbuf_printf(b,
                             "{\"id\":\"%s\",\"date_added\":\"%s\",\"version\":\"%s\","
                             "\"media_type\":\"application/stix+json;version=%s\"}",
                             r->id, api_format_ts(c, r->date_added), row_version(c, r),
                             r->spec_version);
        }
    }
    if (!rc && page.n)
        rc = dbuf_puts(b, "]");
    rc = rc ? rc : dbuf_puts(b, "}");
    if (rc)
        return (void)api_fail(c, 413, "Too large",
                              "the page does not fit the response limit; ask for a smaller limit");
    api_date_headers(c, &page);
    ok_json(c, 200);
}

void api_objects_post(struct api_call *c, const struct store_collection *col);

static void delete_object(struct api_call *c, const struct store_collection *col, const char *id)
{
    if (c->who->read_only || !col->can_write)
        return (void)api_fail(c, 403, "Forbidden", "this token may not write to this collection");
    struct store_filter f;
    if (api_parse_filter(c, col->rid, "delete", &f))
        return;
    struct lia_err err;
    lia_err_clear(&err);
    struct store_txn *t = NULL; /* stays NULL when store_begin fails */
    size_t deleted = 0;
    struct store_row *gone = NULL;
    int rc = store_begin(c->api->store, &t, &err);
    /* The creator rule, as for new versions; asked before the rows go, but told only when the
     * caller could see what it asked to delete (deleted > 0): else it is "not found". */
    struct lia_err rule;
    lia_err_clear(&rule);
    int ruled = rc ? 0 : access_check_delete(t, c->who, col->rid, id, c->req->arena, &rule);
    if (rc == 0)
        rc = store_delete_object(t, &c->who->policy, col->rid, id, &f, c->req->arena, &gone,
                                 &deleted, &err);
    if (rc == 0 && deleted == 0)
        rc = lia_err_set(&err, LIA_ENOTFOUND, "no such object in this collection");
    if (rc == 0 && ruled) {
        rc = ruled;
        err = rule;
    }
    if (rc == 0) {
        /* The keys of the removed versions: disclosure records name versions by key, and
         * this entry keeps them readable (and checkable) after the rows are gone. */
        char *detail = api_delete_detail(c, col->id, id, gone, deleted);
        rc = detail ? audit_append(t, c->who->actor, "object.delete", detail, &err)
                    : lia_err_set(&err, LIA_ENOMEM, "out of memory");
    }
    if (rc) {
        store_rollback(t); /* NULL-safe: gives the connection back whatever failed */
        return (void)api_fail_err(c, &err);
    }
    if (store_commit(t, &err))
        return (void)api_fail_err(c, &err);
    c->resp->status = 200;
    c->resp->content_type = c->media;
}

static bool safe_segment(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 300)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.'))
            return false;
    }
    return !(n <= 2 && s[0] == '.');
}

static bool method_is(struct api_call *c, const char *m)
{
    return !strcmp(c->req->method, m);
}

static void not_allowed(struct api_call *c, const char *allow)
{
    api_fail(c, 405, "Method not allowed", "%s is not allowed here; use %s", c->req->method, allow);
    http_add_header(c->resp, "Allow", allow);
}

/* seg[0] == "taxii2". */
void api_taxii_route(struct api_call *c, const char **seg, size_t nseg)
{
    bool get = method_is(c, "GET") || method_is(c, "HEAD");
    if (nseg == 1) {
        if (!get)
            return not_allowed(c, "GET");
        if (api_check_params(c, no_params) || api_negotiate(c, false))
            return;
        return discovery(c);
    }
    if (strcmp(seg[1], "default") != 0)
        return (void)api_fail(c, 404, "Not found", "no such API root");
    if (nseg == 2) {
        if (!get)
            return not_allowed(c, "GET");
        if (api_check_params(c, no_params) || api_negotiate(c, false))
            return;
        return api_root(c);
    }
    if (!strcmp(seg[2], "status") && nseg == 4) {
        if (!get)
            return not_allowed(c, "GET");
        if (api_check_params(c, no_params) || api_negotiate(c, false))
            return;
        if (!safe_segment(seg[3]))
            return (void)api_fail(c, 404, "Not found", "no such status resource");
        return status(c, seg[3]);
    }
    if (strcmp(seg[2], "collections") != 0)
        return (void)api_fail(c, 404, "Not found", "no such resource");
    if (nseg == 3) {
        if (!get)
            return not_allowed(c, "GET");
        if (api_check_params(c, no_params) || api_negotiate(c, false))
            return;
        return collections(c);
    }
    if (!safe_segment(seg[3]))
        return (void)api_fail(c, 404, "Not found", "no such collection");
    bool objects_ep = nseg >= 5 && !strcmp(seg[4], "objects");
    if (api_negotiate(c, objects_ep))
        return;
    struct store_collection col;
    struct lia_err err;
    lia_err_clear(&err);
    if (store_collection_get(c->api->store, &c->who->policy, seg[3], c->req->arena, &col, &err))
        return (void)api_fail_err(c, &err);
    if (nseg == 4) {
        if (!get)
            return not_allowed(c, "GET");
        if (api_check_params(c, no_params))
            return;
        if (collection_json(&c->resp->body, &col))
            return (void)api_fail(c, 500, "Internal error", "response too large");
        return ok_json(c, 200);
    }
    bool readable = col.can_read;
    if (nseg == 5 && !strcmp(seg[4], "manifest")) {
        if (!get)
            return not_allowed(c, "GET");
        if (!readable)
            return (void)api_fail(c, 403, "Forbidden", "this token may not read this collection");
        if (api_check_params(c, objects_params))
            return;
        return listing(c, &col, NULL, LIST_MANIFEST);
    }
    if (!objects_ep || nseg > 7 || (nseg == 7 && strcmp(seg[6], "versions") != 0))
        return (void)api_fail(c, 404, "Not found", "no such resource");
    if (nseg == 5) {
        if (method_is(c, "POST")) {
            if (api_check_params(c, no_params))
                return;
            return api_objects_post(c, &col);
        }
        if (!get)
            return not_allowed(c, "GET, POST");
        if (!readable)
            return (void)api_fail(c, 403, "Forbidden", "this token may not read this collection");
        if (api_check_params(c, objects_params))
            return;
        return listing(c, &col, NULL, LIST_OBJECTS);
    }
    const char *id = seg[5];
    if (!stix_is_valid_id(id, strlen(id)))
        return (void)api_fail(c, 404, "Not found", "no such object in this collection");
    if (nseg == 7) {
        if (!get)
            return not_allowed(c, "GET");
        if (!readable)
            return (void)api_fail(c, 403, "Forbidden", "this token may not read this collection");
        if (api_check_params(c, versions_params))
            return;
        c->media = TAXII_MEDIA;
        return listing(c, &col, id, LIST_VERSIONS);
    }
    if (method_is(c, "DELETE")) {
        if (api_check_params(c, delete_params))
            return;
        return delete_object(c, &col, id);
    }
    if (!get)
        return not_allowed(c, "GET, DELETE");
    if (!readable)
        return (void)api_fail(c, 403, "Forbidden", "this token may not read this collection");
    if (api_check_params(c, object_params))
        return;
    return listing(c, &col, id, LIST_OBJECTS);
}
