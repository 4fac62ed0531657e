/*
 * The endpoints' one reader of objects. Every object an endpoint shows comes
 * through the store's one gate with the caller's policy (design.md invariant
 * 1), and for a partner every version read is named in the request's
 * disclosure ticket (audit/ticket.c: by store key, with a digest of their ids
 * and versions), which the request pipeline commits before the answer may
 * leave (invariant 5; pipeline/pipeline.c). No endpoint of this folder calls
 * store_query_objects but this file (scripts/check-source checks), so none
 * can send a partner a version that is not on record.
 */
#include "api/api_int.h"

#include <string.h>

const char *api_owner(struct api_call *c)
{
    if (c->who->partner)
        return arena_printf(c->req->arena, "partner:%s", c->who->name);
    return c->who->actor;
}

int api_ticket(struct api_call *c, struct audit_ticket **out)
{
    struct lia_err err;
    lia_err_clear(&err);
    if (pipeline_ticket(c->run, out, &err) != 0)
        return api_fail_err(c, &err);
    return 0;
}

int api_read_objects(struct api_call *c, const struct store_collection *col, const char *endpoint,
                     const struct store_filter *f, bool with_json, struct store_page *page)
{
    struct lia_err err;
    lia_err_clear(&err);
    if (store_query_objects(c->api->store, &c->who->policy, col->rid, f, with_json, c->req->arena,
                            page, &err) != 0)
        return api_fail_err(c, &err);
    struct audit_ticket *t;
    if (api_ticket(c, &t) != 0)
        return -1;
    if (t && audit_ticket_add(t, col->id, endpoint, page->rows, page->n, &err) != 0)
        return api_fail_err(c, &err);
    return 0;
}

int api_read_rows(struct store *s, const struct store_policy *p, const struct store_collection *col,
                  const char *endpoint, const struct store_filter *f, struct arena *a,
                  struct audit_ticket *t, struct store_page *page, struct lia_err *err)
{
    int rc = store_query_objects(s, p, col->rid, f, true, a, page, err);
    if (rc == 0 && t && page->n)
        rc = audit_ticket_add(t, col->id, endpoint, page->rows, page->n, err);
    return rc;
}

int api_gate_probe(struct api_call *c, const struct store_policy *p,
                   const struct store_collection *col, const char *id, const char **modified,
                   struct lia_err *err)
{
    const char *ids[1] = {id};
    struct store_filter f = {.ids = ids, .n_ids = 1, .limit = 1};
    struct store_page page;
    *modified = NULL;
    int rc = store_query_objects(c->api->store, p, col->rid, &f, false, c->req->arena, &page, err);
    if (rc)
        return rc;
    if (page.n == 0)
        return 0;
    *modified = page.rows[0].modified ? page.rows[0].modified : "";
    return 1;
}

int api_count_objects(struct api_call *c, const struct store_collection *col,
                      const struct store_filter *f, int64_t *total)
{
    struct lia_err err;
    lia_err_clear(&err);
    if (store_count_objects(c->api->store, &c->who->policy, col->rid, f, total, &err) != 0)
        return api_fail_err(c, &err);
    return 0;
}

char *api_delete_detail(struct api_call *c, const char *collection, const char *id,
                        const struct store_row *gone, size_t n)
{
    return audit_delete_detail(c->req->arena, collection, id, gone, n);
}
