/*
 * Disclosures to partners go on record (design.md invariant 5): when a page
 * of objects, manifest entries or versions is about to be sent to a partner,
 * the versions in it go into the request's disclosure ticket (audit/ticket.c:
 * by store key, with a digest of their ids and versions), which is committed
 * first. If that fails, nothing is sent.
 */
#include "api/api_int.h"

#include <string.h>

const char *api_owner(struct api_call *c)
{
    if (c->who.partner)
        return arena_printf(c->req->arena, "partner:%s", c->who.name);
    return c->who.actor;
}

int api_audit_disclosure(struct api_call *c, const char *collection, const char *what,
                         const struct store_page *page)
{
    if (!c->who.partner || page->n == 0)
        return 0;
    struct lia_err err;
    lia_err_clear(&err);
    if (!c->ticket.actor &&
        audit_ticket_init(&c->ticket, AUDIT_ROUTE_READ, c->who.actor, c->who.identity, &err) != 0)
        return api_fail_err(c, &err);
    if (audit_ticket_add(&c->ticket, collection, what, page->rows, page->n, &err) != 0)
        return api_fail_err(c, &err);
    if (c->ahead)
        return 0; /* made ahead of its request (readahead.c): committed before it is kept */
    /* The page has been read: end the request's read transaction first, so that the record
     * is written on the connection that read the page. A write on a second connection made
     * the reading one drop its whole page cache at its next read (the store changed under
     * it), and the two swapped roles on every page: 0.7 to 1 ms of server CPU per 1,000-object
     * page (bench/RESULTS.md, run 7). Nothing is read after this. */
    store_read_end(c->api->store);
    if (audit_ticket_commit(&c->api->recorder, &c->ticket, &err) != 0)
        return api_fail_err(c, &err);
    api_metrics_disclosed(page->n);
    return 0;
}

char *api_delete_detail(struct api_call *c, const char *collection, const char *id,
                        const struct store_row *gone, size_t n)
{
    struct dbuf d;
    dbuf_init(&d, 64 * 1024 * 1024);
    int rc = dbuf_puts(&d, "{\"collection\":");
    rc = rc ? rc : dbuf_json_string(&d, collection, strlen(collection));
    rc = rc ? rc : dbuf_puts(&d, ",\"id\":");
    rc = rc ? rc : dbuf_json_string(&d, id, strlen(id));
    rc = rc ? rc : dbuf_printf(&d, ",\"versions\":%zu,\"removed\":[", n);
    for (size_t i = 0; i < n && !rc; i++) {
        const char *m = gone[i].modified ? gone[i].modified : "";
        rc = dbuf_printf(&d, "%s[%lld,", i ? "," : "", (long long)gone[i].date_added);
        rc = rc ? rc : dbuf_json_string(&d, m, strlen(m));
        rc = rc ? rc : dbuf_puts(&d, "]");
    }
    rc = rc ? rc : dbuf_puts(&d, "]}");
    char *out = rc ? NULL : arena_strndup(c->req->arena, d.ptr, d.len);
    dbuf_release(&d);
    return out;
}
