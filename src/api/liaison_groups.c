/*
 * Sharing groups over the liaison API (docs/groups.md, docs/api.md):
 *   GET    /liaison/groups                      {"groups": [view...]}
 *   GET    /liaison/groups/{id}                 view
 *   POST   /liaison/groups                      admin: {"name", "description", "disclose_members"}
 *                                               -> 201 {"id"}
 *   DELETE /liaison/groups/{id}[?force=true]    admin
 *   POST   /liaison/groups/{id}/members         admin: {"partner": name or identity id}
 *   DELETE /liaison/groups/{id}/members/{identity id}   admin
 * An administrator sees every group with its members. A partner sees only the groups it is a
 * member of: their name and description and that it is a member; the other members only when
 * the group was made with disclose_members. Any other group answers 404 with the very bytes a
 * group that does not exist answers.
 */
#include "api/api_int.h"

#include <string.h>

#include "stix/stix.h"

static void answer_json(struct api_call *c, int status)
{
    c->resp->status = status;
    c->resp->content_type = "application/json";
}

static int fail_group(struct api_call *c, const struct lia_err *err)
{
    if (err->code == LIA_EINVAL)
        return api_fail(c, 422, "Unprocessable request", "%s", err->msg);
    if (err->code == LIA_ECONFLICT)
        return api_fail(c, 409, "Conflict", "%s", err->msg);
    if (err->code == LIA_ENOTFOUND)
        return api_fail(c, 404, "Not found", "no such group");
    return api_fail_err(c, err);
}

static int put_text(struct dbuf *b, const char *key, const char *v)
{
    int rc = dbuf_printf(b, ",\"%s\":", key);
    return rc ? rc : v ? dbuf_json_string(b, v, strlen(v)) : dbuf_puts(b, "null");
}

/* One group as the caller may see it. */
static int view(struct api_call *c, const struct store_group *g, struct dbuf *b,
                struct lia_err *err)
{
    int rc = dbuf_printf(b, "{\"id\":\"%s\"", g->marking);
    rc = rc ? rc : put_text(b, "name", g->name);
    rc = rc ? rc : put_text(b, "description", g->description);
    rc = rc ? rc : dbuf_printf(b, ",\"disclose_members\":%s", g->disclose ? "true" : "false");
    if (rc == 0 && !c->who->admin)
        rc = dbuf_puts(b, ",\"member\":true");
    if (rc == 0 && (c->who->admin || g->disclose)) {
        int64_t *m;
        size_t n;
        if ((rc = store_group_members(c->api->store, g->rid, c->req->arena, &m, &n, err)) != 0)
            return rc;
        rc = dbuf_puts(b, ",\"members\":[");
        for (size_t i = 0; i < n && rc == 0; i++) {
            struct store_partner p;
            if ((rc = store_partner_get(c->api->store, m[i], NULL, NULL, c->req->arena, &p, err)) !=
                0)
                return rc;
            rc = dbuf_printf(b, "%s{\"identity\":\"%s\"", i ? "," : "", p.identity_id);
            rc = rc ? rc : put_text(b, "name", p.name);
            rc = rc ? rc : dbuf_puts(b, "}");
        }
        rc = rc ? rc : dbuf_puts(b, "]");
    }
    if (rc == 0 && c->who->admin)
        rc = dbuf_printf(b, ",\"member_count\":%lld", (long long)g->members);
    rc = rc ? rc : dbuf_puts(b, "}");
    return rc ? lia_err_set(err, LIA_ETOOBIG, "answer too large") : 0;
}

/* The group id names, if the caller may know of it (admin: any; partner: a member). */
static int find(struct api_call *c, const char *id, struct store_group *g, struct lia_err *err)
{
    if (strncmp(id, "marking-definition--", 20) != 0 || !stix_is_valid_id(id, strlen(id)))
        return lia_err_set(err, LIA_ENOTFOUND, "no such group");
    int rc = store_group_get(c->api->store, id, c->req->arena, g, err);
    if (rc || c->who->admin)
        return rc;
    struct store_group *mine;
    size_t n;
    rc = store_group_list(c->api->store, c->who->partner ? c->who->partner : -1, c->req->arena,
                          &mine, &n, err);
    for (size_t i = 0; i < n && rc == 0; i++)
        if (mine[i].rid == g->rid)
            return 0;
    return rc ? rc : lia_err_set(err, LIA_ENOTFOUND, "no such group");
}

static void create(struct api_call *c)
{
    json_t *body = api_json_body(c);
    if (!body)
        return;
    json_t *name = json_object_get(body, "name"), *desc = json_object_get(body, "description");
    json_t *disclose = json_object_get(body, "disclose_members");
    struct lia_err err;
    lia_err_clear(&err);
    const char *id = NULL;
    if (!json_is_string(name) || (desc && !json_is_string(desc) && !json_is_null(desc)) ||
        (disclose && !json_is_boolean(disclose)))
        api_fail(c, 422, "Unprocessable request",
                 "give name (text), and optionally description (text) and disclose_members "
                 "(true or false)");
    else if (access_group_add(c->api->store, c->who->actor, json_string_value(name),
                              json_string_value(desc), json_is_true(disclose), c->req->arena, &id,
                              &err))
        fail_group(c, &err);
    else {
        dbuf_printf(&c->resp->body, "{\"id\":\"%s\"}", id);
        answer_json(c, 201);
    }
    json_decref(body);
}

static void member_change(struct api_call *c, const struct store_group *g, const char *key,
                          bool add)
{
    json_t *body = NULL;
    if (add) {
        if (!(body = api_json_body(c)))
            return;
        json_t *p = json_object_get(body, "partner");
        key = json_string_value(p);
        if (!key) {
            json_decref(body);
            return (void)api_fail(c, 422, "Unprocessable request",
                                  "give partner: a partner's name or identity id");
        }
    }
    if (!key) /* DELETE .../members/{partner} always names one */
        return (void)api_fail(c, 404, "Not found", "no such member");
    struct lia_err err;
    lia_err_clear(&err);
    struct store_partner p;
    const char *field = !strncmp(key, "identity--", 10) ? "identity" : "name";
    if (store_partner_get(c->api->store, 0, field, key, c->req->arena, &p, &err))
        api_fail(c, err.code == LIA_ENOTFOUND ? 422 : 500, "Unprocessable request",
                 "no partner '%.200s'", key);
    else if (access_group_member(c->api->store, c->who->actor, g, &p, add, &err))
        api_fail(c, err.code == LIA_ECONFLICT || err.code == LIA_ENOTFOUND ? 409 : 500, "Conflict",
                 "%s", err.msg);
    else {
        dbuf_printf(&c->resp->body, "{\"group\":\"%s\",\"partner\":\"%s\",\"member\":%s}",
                    g->marking, p.identity_id, add ? "true" : "false");
        answer_json(c, 200);
    }
    json_decref(body);
}

void api_liaison_groups(struct api_call *c, const char **seg, size_t nseg)
{
    static const char *const no_params[] = {NULL}, *const force_param[] = {"force", NULL};
    const char *m = c->req->method;
    bool get = !strcmp(m, "GET"), post = !strcmp(m, "POST"), del = !strcmp(m, "DELETE");
    struct lia_err err;
    lia_err_clear(&err);
    if (api_check_params(c, nseg == 3 && del ? force_param : no_params))
        return;
    if (!get && !c->who->admin)
        return (void)api_fail(c, 403, "Forbidden", "only an administrator may change groups");
    if (!get && c->who->read_only)
        return (void)api_fail(c, 403, "Forbidden", "this token is read-only");
    if (nseg == 2) {
        if (post)
            return create(c);
        if (!get) {
            api_fail(c, 405, "Method not allowed", "use GET or POST");
            return http_add_header(c->resp, "Allow", "GET, POST");
        }
        struct store_group *g;
        size_t n;
        /* A local principal that is not an administrator is a member of no group. */
        int64_t member = c->who->admin ? 0 : c->who->partner ? c->who->partner : -1;
        if (store_group_list(c->api->store, member, c->req->arena, &g, &n, &err))
            return (void)api_fail_err(c, &err);
        dbuf_puts(&c->resp->body, "{\"groups\":[");
        for (size_t i = 0; i < n; i++) {
            if (i)
                dbuf_puts(&c->resp->body, ",");
            if (view(c, &g[i], &c->resp->body, &err))
                return (void)api_fail_err(c, &err);
        }
        dbuf_puts(&c->resp->body, "]}");
        return answer_json(c, 200);
    }
    struct store_group g;
    if (nseg > 5 || find(c, seg[2], &g, &err))
        return (void)fail_group(c, &err);
    if (nseg == 3) {
        if (get) {
            if (view(c, &g, &c->resp->body, &err))
                return (void)api_fail_err(c, &err);
            return answer_json(c, 200);
        }
        if (!del) {
            api_fail(c, 405, "Method not allowed", "use GET or DELETE");
            return http_add_header(c->resp, "Allow", "GET, DELETE");
        }
        const char *force = api_param(c, "force");
        if (force && strcmp(force, "true") != 0 && strcmp(force, "false") != 0)
            return (void)api_fail(c, 400, "Bad request", "force must be true or false");
        int64_t uses = 0;
        if (access_group_remove(c->api->store, c->who->actor, &g, force && !strcmp(force, "true"),
                                &uses, &err))
            return (void)fail_group(c, &err);
        dbuf_printf(&c->resp->body, "{\"id\":\"%s\",\"objects\":%lld}", g.marking, (long long)uses);
        return answer_json(c, 200);
    }
    if (strcmp(seg[3], "members") != 0)
        return (void)api_fail(c, 404, "Not found", "no such resource");
    if (nseg == 4 && post)
        return member_change(c, &g, NULL, true);
    if (nseg == 5 && del)
        return member_change(c, &g, seg[4], false);
    api_fail(c, 405, "Method not allowed", nseg == 4 ? "use POST" : "use DELETE");
    http_add_header(c->resp, "Allow", nseg == 4 ? "POST" : "DELETE");
}
