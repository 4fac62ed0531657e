/*
 * The desk's signed export (docs/api.md, "Signed export"; issue 21.3): an administrator turns
 * a bulk selection of a collection into the signed bundle file a partner imports with
 * `liaison import` on its own instance.
 *
 * POST /liaison/export   {"for": partner or group (name or id), "collection": id or alias,
 *                         "objects": [{"id", "modified"}...], "preview": false}
 *
 * Each named version goes in the file only as the recipient's own gate releases it
 * (exchange_export_file, the one export of `liaison export` too): the selection names
 * versions, never grants them. The preview ("preview": true) answers what the file would
 * hold, per recipient, and why the rest is withheld, without writing anything:
 *   {"for", "group"?, "collection", "selected", "recipients": [{"name", "identity",
 *    "clearance", "granted", "disabled", "objects", "definitions",
 *    "withheld": {"clearance", "marking", "unknown"}}]}
 * "definitions" counts the marking- and extension-definitions the released versions name,
 * which travel with them though not selected, as the gate releases them.
 * A group's preview lists each current member; its files are asked for one member at a time
 * (one file, one recipient, one disclosure record: as `liaison export --for GROUP` writes one
 * file per member). The file answers as a download (Content-Disposition: attachment) with the
 * counts in X-Liaison-Export-Objects and X-Liaison-Export-Withheld, and its disclosure is on
 * record before the answer leaves. A read-only administrator may preview, not export.
 */
#include "api/api_int.h"

#include <string.h>

#include "exchange/exchange.h"
#include "stix/stix.h"

struct export_ask {
    const char *recipient;
    const char *collection;
    struct exchange_pick *picks;
    size_t n;
    bool preview;
};

static bool only_keys(json_t *o, const char *const *keys)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        const char *const *p = keys;
        while (*p && strcmp(*p, k))
            p++;
        if (!*p)
            return false;
    }
    return true;
}

/* The body, checked: answers 400 or 413 and returns -1 when it is not what is asked. */
static int parse_ask(struct api_call *c, json_t *body, struct export_ask *q)
{
    static const char *const keys[] = {"for", "collection", "objects", "preview", NULL};
    static const char *const pick_keys[] = {"id", "modified", NULL};
    json_t *objs = json_object_get(body, "objects"), *pv = json_object_get(body, "preview");
    q->recipient = json_string_value(json_object_get(body, "for"));
    q->collection = json_string_value(json_object_get(body, "collection"));
    if (!only_keys(body, keys))
        return api_fail(c, 400, "Bad request",
                        "the body has for, collection, objects and optionally preview; nothing "
                        "else");
    if (!q->recipient || !q->collection || !json_is_array(objs) || (pv && !json_is_boolean(pv)))
        return api_fail(c, 400, "Bad request",
                        "give for (a partner or group), collection (its id) and objects (a list "
                        "of {\"id\", \"modified\"}); preview is true or false");
    q->preview = json_is_true(pv);
    q->n = json_array_size(objs);
    if (q->n == 0)
        return api_fail(c, 400, "Bad request", "objects is empty: select what to export");
    if (q->n > c->api->cfg.export_max_objects)
        return api_fail(c, 413, "Too large",
                        "%zu objects selected; one export names at most %zu (export_max_objects)",
                        q->n, c->api->cfg.export_max_objects);
    q->picks = arena_alloc(c->req->arena, q->n * sizeof *q->picks);
    if (!q->picks)
        return api_fail(c, 413, "Too large", "the selection does not fit in memory");
    for (size_t i = 0; i < q->n; i++) {
        json_t *o = json_array_get(objs, i), *m = json_object_get(o, "modified");
        const char *id = json_string_value(json_object_get(o, "id"));
        if (!json_is_object(o) || !only_keys(o, pick_keys) || !id ||
            (m && !json_is_string(m) && !json_is_null(m)))
            return api_fail(c, 400, "Bad request",
                            "objects[%zu] is not {\"id\": text, \"modified\": text or null}", i);
        q->picks[i] = (struct exchange_pick){.id = id, .modified = json_string_value(m)};
    }
    return 0;
}

/* The recipients named: one partner, or a group's current members (*group set). */
static int find_recipients(struct api_call *c, const char *name, struct store_partner **out,
                           size_t *n, const char **group)
{
    struct lia_err err;
    lia_err_clear(&err);
    struct store *s = c->api->store;
    struct arena *a = c->req->arena;
    *group = NULL;
    *out = arena_alloc(a, sizeof **out);
    if (!*out)
        return api_fail(c, 413, "Too large", "out of memory");
    *n = 1;
    if (store_partner_get(s, 0, "name", name, a, *out, &err) == 0 ||
        store_partner_get(s, 0, "identity", name, a, *out, &err) == 0)
        return 0;
    struct store_group g;
    int64_t *m;
    if (store_group_get(s, name, a, &g, &err) != 0)
        return api_fail(c, 404, "Not found", "no partner or sharing group is named '%.100s'", name);
    if (store_group_members(s, g.rid, a, &m, n, &err))
        return api_fail_err(c, &err);
    if (*n == 0)
        return api_fail(c, 422, "Unprocessable request",
                        "group %s has no member: nothing to export", g.name);
    *out = arena_alloc(a, *n * sizeof **out);
    if (!*out)
        return api_fail(c, 413, "Too large", "out of memory");
    for (size_t i = 0; i < *n; i++)
        if (store_partner_get(s, m[i], NULL, NULL, a, &(*out)[i], &err))
            return api_fail_err(c, &err);
    *group = g.name;
    return 0;
}

/* An export's failure, worded for the desk. */
static int fail_export(struct api_call *c, const struct store_partner *p, const char *coll,
                       const struct lia_err *err)
{
    if (err->code == LIA_ENOTFOUND)
        return api_fail(c, 422, "Unprocessable request",
                        "partner %s may not read collection %s: grant it read first (`liaison "
                        "grant --collection %s --partner %s --read`); nothing exported",
                        p->name, coll, coll, p->name);
    if (err->code == LIA_ECONFLICT)
        return api_fail(c, 422, "Unprocessable request", "%s", err->msg);
    if (err->code == LIA_EUNSUPPORTED)
        return api_fail(c, 409, "Conflict", "%s", err->msg);
    return api_fail_err(c, err);
}

static int put_recipient(struct dbuf *b, const struct store_partner *p, bool granted,
                         const struct exchange_export_counts *n)
{
    int rc = dbuf_puts(b, "{\"name\":");
    rc = rc ? rc : dbuf_json_string(b, p->name, strlen(p->name));
    rc = rc ? rc : dbuf_puts(b, ",\"identity\":");
    rc = rc ? rc : dbuf_json_string(b, p->identity_id, strlen(p->identity_id));
    return rc ? rc
              : dbuf_printf(b,
                            ",\"clearance\":\"%s\",\"granted\":%s,\"disabled\":%s,\"objects\":%llu,"
                            "\"definitions\":%llu,\"withheld\":"
                            "{\"clearance\":%llu,\"marking\":%llu,\"unknown\":%llu}}",
                            access_tlp_name(p->clearance), granted ? "true" : "false",
                            p->disabled ? "true" : "false", (unsigned long long)n->objects,
                            (unsigned long long)n->carried,
                            (unsigned long long)n->withheld_clearance,
                            (unsigned long long)n->withheld_marking,
                            (unsigned long long)n->withheld_unknown);
}

static void preview(struct api_call *c, const struct export_ask *q,
                    const struct store_collection *col, const struct store_partner *ps, size_t n,
                    const char *group)
{
    struct dbuf *b = &c->resp->body;
    dbuf_reset(b);
    int rc = dbuf_puts(b, "{\"for\":");
    rc = rc ? rc : dbuf_json_string(b, q->recipient, strlen(q->recipient));
    if (rc == 0 && group) {
        rc = dbuf_puts(b, ",\"group\":");
        rc = rc ? rc : dbuf_json_string(b, group, strlen(group));
    }
    rc = rc ? rc : dbuf_printf(b, ",\"collection\":\"%s\"", col->id);
    size_t selected = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct lia_err err;
        lia_err_clear(&err);
        struct exchange_export e = {.collection = col->id,
                                    .partner = ps[i].rid,
                                    .picks = q->picks,
                                    .n_picks = q->n,
                                    .preview = true,
                                    .data_dir = c->api->cfg.data_dir};
        struct exchange_export_counts k;
        int erc = exchange_export_file(c->api->store, &e, &k, &err);
        /* In a group, a member without the right is listed as such; alone, it is refused. */
        if (erc && (erc != LIA_ENOTFOUND || !group))
            return (void)fail_export(c, &ps[i], col->id, &err);
        if (erc) /* nothing counted for it but the selection */
            k = (struct exchange_export_counts){.picks = k.picks};
        selected = k.picks;
        rc = dbuf_puts(b, i ? "," : ",\"recipients\":[");
        rc = rc ? rc : put_recipient(b, &ps[i], erc == 0, &k);
    }
    rc = rc ? rc : dbuf_printf(b, "],\"selected\":%zu}", selected);
    if (rc)
        return (void)api_fail(c, 413, "Too large", "the answer does not fit the response limit");
    c->resp->status = 200;
    c->resp->content_type = "application/json";
}

/* The file's name: the recipient's name in safe characters, and the day. */
static const char *file_name(struct api_call *c, const struct store_partner *p)
{
    char day[40];
    lia_format_ts(lia_now_us(), 0, day);
    day[10] = '\0';
    char *name = arena_printf(c->req->arena, "attachment; filename=\"%s-%s.bundle\"", p->name, day);
    if (!name)
        return NULL;
    /* Only letters, digits, '.', '-' and '_' between the quotes. */
    char *q = strchr(name, '"') + 1;
    for (char *s = q; *s && s[1]; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '.' || *s == '-' || *s == '_'))
            *s = '_';
    return name;
}

static void download(struct api_call *c, const struct export_ask *q,
                     const struct store_collection *col, const struct store_partner *p)
{
    struct lia_err err;
    lia_err_clear(&err);
    dbuf_reset(&c->resp->body);
    struct exchange_export e = {.collection = col->id,
                                .partner = p->rid,
                                .picks = q->picks,
                                .n_picks = q->n,
                                .out = &c->resp->body,
                                .data_dir = c->api->cfg.data_dir,
                                .actor = c->who->actor,
                                .recorder = &c->api->recorder};
    struct exchange_export_counts k;
    if (exchange_export_file(c->api->store, &e, &k, &err))
        return (void)fail_export(c, p, col->id, &err);
    const char *disp = file_name(c, p);
    const char *objects = arena_printf(c->req->arena, "%llu", (unsigned long long)k.objects);
    const char *withheld = arena_printf(c->req->arena, "clearance=%llu, marking=%llu, unknown=%llu",
                                        (unsigned long long)k.withheld_clearance,
                                        (unsigned long long)k.withheld_marking,
                                        (unsigned long long)k.withheld_unknown);
    if (!disp || !objects || !withheld)
        return (void)api_fail(c, 413, "Too large", "out of memory");
    http_add_header(c->resp, "Content-Disposition", disp);
    http_add_header(c->resp, "X-Liaison-Export-Objects", objects);
    http_add_header(c->resp, "X-Liaison-Export-Withheld", withheld);
    const char *carried = arena_printf(c->req->arena, "%llu", (unsigned long long)k.carried);
    if (carried)
        http_add_header(c->resp, "X-Liaison-Export-Definitions", carried);
    c->resp->status = 200;
    c->resp->content_type = "application/octet-stream";
}

static void answer(struct api_call *c, const struct export_ask *q)
{
    if (!q->preview && c->who->read_only)
        return (void)api_fail(c, 403, "Forbidden",
                              "this token is read-only: it may preview an export, not make one");
    struct lia_err err;
    lia_err_clear(&err);
    struct store_collection col;
    if (store_collection_get(c->api->store, &c->who->policy, q->collection, c->req->arena, &col,
                             &err) != 0)
        return (void)api_fail(c, 404, "Not found", "no such collection");
    struct store_partner *ps;
    size_t n;
    const char *group;
    if (find_recipients(c, q->recipient, &ps, &n, &group))
        return;
    if (q->preview)
        return preview(c, q, &col, ps, n, group);
    if (group)
        return (void)api_fail(c, 422, "Unprocessable request",
                              "group %s: each member gets its own file; ask for each member by "
                              "name (the preview lists them)",
                              group);
    if (ps[0].disabled)
        return (void)api_fail(c, 409, "Conflict",
                              "partner %s is disabled: nothing goes to it until `liaison partner "
                              "enable` (nothing exported)",
                              ps[0].name);
    download(c, q, &col, &ps[0]);
}

void api_liaison_export(struct api_call *c, const char **seg, size_t nseg)
{
    static const char *const no_params[] = {NULL};
    (void)seg;
    if (nseg != 2)
        return (void)api_fail(c, 404, "Not found", "use POST /liaison/export");
    if (strcmp(c->req->method, "POST") != 0) {
        http_add_header(c->resp, "Allow", "POST");
        return (void)api_fail(c, 405, "Method not allowed", "use POST");
    }
    if (api_check_params(c, no_params))
        return;
    if (!c->who->admin || c->who->partner)
        return (void)api_fail(c, 403, "Forbidden",
                              "only an administrator may export signed bundles for partners");
    json_t *body = api_json_body(c);
    if (!body)
        return;
    struct export_ask q;
    if (parse_ask(c, body, &q) == 0)
        answer(c, &q);
    json_decref(body);
}
