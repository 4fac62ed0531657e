/*
 * Who the caller is, for the analyst pages: GET /liaison/whoami answers
 *   {"kind": "admin" | "local" | "partner", "name", "identity", "country",
 *    "clearance", "trust", "read_only", "expires"}
 * (expires: when the caller's token stops working, null for never or a certificate, so the
 * pages can tell an expired session from a refused token: a 401 says neither, by design)
 * and GET /liaison/partners the partner directory the pages use to name the
 * creator of an object and show how far its reporting is trusted:
 *   {"instance": {"name", "identity"}, "partners": [{"name", "identity",
 *    "country", "clearance", "trust", "disabled"}]}
 * A local principal sees every partner; a partner sees only itself (the list
 * of an instance's partners is not shared with them). No token, key or
 * certificate detail is ever part of either answer.
 */
#include "api/api_int.h"

#include <string.h>

static int put_string_or_null(struct dbuf *b, const char *key, const char *v)
{
    int rc = dbuf_printf(b, "\"%s\":", key);
    if (!rc)
        rc = v ? dbuf_json_string(b, v, strlen(v)) : dbuf_puts(b, "null");
    return rc;
}

/* The instance's own name and identity (from `liaison init`); NULL when unset. */
static void instance_of(struct api_call *c, const char **name, const char **identity)
{
    struct lia_err err;
    lia_err_clear(&err);
    char *v = NULL;
    *name = store_meta_get(c->api->store, "instance_name", c->req->arena, &v, &err) == 0 ? v : NULL;
    lia_err_clear(&err);
    v = NULL;
    *identity =
        store_meta_get(c->api->store, "instance_identity", c->req->arena, &v, &err) == 0 ? v : NULL;
}

static int put_partner(struct dbuf *b, const struct store_partner *p)
{
    int rc = dbuf_puts(b, "{");
    if (!rc)
        rc = put_string_or_null(b, "name", p->name);
    if (!rc)
        rc = dbuf_puts(b, ",");
    if (!rc)
        rc = put_string_or_null(b, "identity", p->identity_id);
    if (!rc)
        rc = dbuf_puts(b, ",");
    if (!rc)
        rc = put_string_or_null(b, "country", p->country);
    if (!rc)
        rc = dbuf_printf(b, ",\"clearance\":\"%s\",", access_tlp_name(p->clearance));
    if (!rc)
        rc = put_string_or_null(b, "trust", p->trust);
    if (!rc)
        rc = dbuf_printf(b, ",\"disabled\":%s}", p->disabled ? "true" : "false");
    return rc;
}

static void send_json(struct api_call *c, int rc)
{
    if (rc) {
        api_fail(c, 500, "Internal error", "the answer could not be built");
        return;
    }
    c->resp->status = 200;
    c->resp->content_type = "application/json";
}

void api_liaison_whoami(struct api_call *c)
{
    static const char *const no_params[] = {NULL};
    if (api_check_params(c, no_params))
        return;
    struct dbuf *b = &c->resp->body;
    dbuf_reset(b);
    int rc = 0;
    if (c->who->partner) {
        struct store_partner p;
        struct lia_err err;
        lia_err_clear(&err);
        if (store_partner_get(c->api->store, c->who->partner, NULL, NULL, c->req->arena, &p,
                              &err)) {
            api_fail_err(c, &err);
            return;
        }
        rc = dbuf_puts(b, "{\"kind\":\"partner\",");
        if (!rc)
            rc = put_string_or_null(b, "name", p.name);
        if (!rc)
            rc = dbuf_puts(b, ",");
        if (!rc)
            rc = put_string_or_null(b, "identity", p.identity_id);
        if (!rc)
            rc = dbuf_puts(b, ",");
        if (!rc)
            rc = put_string_or_null(b, "country", p.country);
        if (!rc)
            rc =
                dbuf_printf(b, ",\"clearance\":\"%s\",", access_tlp_name(c->who->policy.clearance));
        if (!rc)
            rc = put_string_or_null(b, "trust", p.trust);
    } else {
        const char *name, *identity;
        instance_of(c, &name, &identity);
        rc = dbuf_printf(b, "{\"kind\":\"%s\",", c->who->admin ? "admin" : "local");
        if (!rc)
            rc = put_string_or_null(b, "name", name);
        if (!rc)
            rc = dbuf_puts(b, ",");
        if (!rc)
            rc = put_string_or_null(b, "identity", identity);
        if (!rc)
            rc = dbuf_printf(b, ",\"country\":null,\"clearance\":\"%s\",\"trust\":null",
                             access_tlp_name(c->who->policy.clearance));
    }
    if (!rc)
        rc = dbuf_printf(b, ",\"read_only\":%s,\"expires\":", c->who->read_only ? "true" : "false");
    if (!rc && c->who->expires) {
        char ts[32];
        lia_format_ts(c->who->expires, 3, ts);
        rc = dbuf_printf(b, "\"%s\"}", ts);
    } else if (!rc) {
        rc = dbuf_puts(b, "null}");
    }
    send_json(c, rc);
}

void api_liaison_partners(struct api_call *c)
{
    static const char *const no_params[] = {NULL};
    if (api_check_params(c, no_params))
        return;
    struct lia_err err;
    lia_err_clear(&err);
    struct store_partner *ps = NULL;
    size_t n = 0;
    if (store_partner_list(c->api->store, c->req->arena, &ps, &n, &err)) {
        api_fail_err(c, &err);
        return;
    }
    const char *name, *identity;
    instance_of(c, &name, &identity);
    struct dbuf *b = &c->resp->body;
    dbuf_reset(b);
    int rc = dbuf_puts(b, "{\"instance\":{");
    if (!rc)
        rc = put_string_or_null(b, "name", name);
    if (!rc)
        rc = dbuf_puts(b, ",");
    if (!rc)
        rc = put_string_or_null(b, "identity", identity);
    if (!rc)
        rc = dbuf_puts(b, "},\"partners\":[");
    bool first = true;
    for (size_t i = 0; i < n && !rc; i++) {
        if (c->who->partner && ps[i].rid != c->who->partner)
            continue;
        if (!first)
            rc = dbuf_puts(b, ",");
        first = false;
        if (!rc)
            rc = put_partner(b, &ps[i]);
    }
    if (!rc)
        rc = dbuf_puts(b, "]}");
    send_json(c, rc);
}
