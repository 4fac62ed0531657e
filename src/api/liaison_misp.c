/*
 * A MISP feed of a collection (docs/misp.md, "The feed"), for a MISP instance that adds
 * liaison as a feed with a partner's token in its Authorization header:
 *
 *   GET /liaison/misp/<collection>/manifest.json   the events the caller may see
 *   GET /liaison/misp/<collection>/<uuid>.json     one event, as the caller may see it
 *   GET /liaison/misp/<collection>/hashes.csv      md5 of each attribute value, event uuid
 *
 * src/misp/feed.c makes them from the objects the caller may see, read only through the
 * store's policy-aware query (design.md invariant 1). Everything read for the answer is named
 * in the request's disclosure ticket (misp_disclose), which the request pipeline puts on the
 * audit record before the answer leaves. An event the caller may not see, or that
 * does not exist, answers 404 alike.
 */
#include "api/api_int.h"

#include <string.h>

#include "misp/misp.h"

/* The one place this route names what it discloses: every row the answer was made from, in
 * the request's disclosure ticket (api_ticket; a local principal's reads are not disclosures),
 * which the request pipeline commits before the answer leaves. Answers 5xx and returns -1
 * when it cannot. */
static int misp_disclose(struct api_call *c, const char *collection, const char *what,
                         const struct misp_rows *rows)
{
    struct audit_ticket *t;
    if (api_ticket(c, &t))
        return -1;
    struct lia_err err;
    lia_err_clear(&err);
    if (t && audit_ticket_add(t, collection, what, rows->rows, rows->n, &err))
        return api_fail_err(c, &err);
    return 0;
}

void api_liaison_misp(struct api_call *c, const char **seg, size_t nseg)
{
    if (nseg != 4)
        return (void)api_fail(c, 404, "Not found", "no such resource");
    if (strcmp(c->req->method, "GET") != 0) {
        api_fail(c, 405, "Method not allowed", "use GET");
        return http_add_header(c->resp, "Allow", "GET");
    }
    if (api_check_params(c, NULL))
        return;
    struct lia_err err;
    lia_err_clear(&err);
    struct store_collection col;
    if (store_collection_get(c->api->store, &c->who->policy, seg[2], c->req->arena, &col, &err))
        return (void)api_fail_err(c, &err);
    if (!col.can_read)
        return (void)api_fail(c, 404, "Not found", "no such collection");
    const char *name = seg[3];
    size_t n = strlen(name);
    struct misp_rows rows = {0};
    struct dbuf body;
    dbuf_init(&body, c->resp->body.max ? c->resp->body.max : 64u << 20);
    int rc;
    const char *what, *type = "application/json";
    if (!strcmp(name, "manifest.json")) {
        what = "misp-manifest";
        rc = misp_feed_manifest(c->api->store, &c->who->policy, &col, c->req->arena, &body, &rows,
                                &err);
    } else if (!strcmp(name, "hashes.csv")) {
        what = "misp-hashes";
        type = "text/csv";
        rc = misp_feed_hashes(c->api->store, &c->who->policy, &col, c->req->arena, &body, &rows,
                              &err);
    } else if (n == 41 && !strcmp(name + 36, ".json")) {
        what = "misp-event";
        char *uuid = arena_strndup(c->req->arena, name, 36);
        rc = uuid ? misp_feed_event(c->api->store, &c->who->policy, &col, uuid, c->req->arena,
                                    &body, &rows, &err)
                  : lia_err_set(&err, LIA_ENOMEM, "out of memory");
    } else {
        dbuf_release(&body);
        return (void)api_fail(c, 404, "Not found", "no such resource");
    }
    if (rc == 0 && misp_disclose(c, col.id, what, &rows) == 0) {
        if (dbuf_append(&c->resp->body, body.ptr ? body.ptr : "", body.len))
            api_fail(c, 413, "Too large", "the answer does not fit the response limit");
        else {
            c->resp->status = 200;
            c->resp->content_type = type;
        }
    } else if (rc) {
        api_fail_err(c, &err);
    }
    dbuf_release(&body);
}
