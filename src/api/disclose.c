/*
 * Disclosures to partners go on record (design.md invariant 5): when a page
 * of objects, manifest entries or versions is about to be sent to a partner,
 * the ids and versions in it are appended to the audit log and committed
 * first. If that fails, nothing is sent.
 */
#include "api/api_int.h"

#include <string.h>

#include "audit/audit.h"

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
    struct dbuf d;
    dbuf_init(&d, 64 * 1024 * 1024);
    int rc = dbuf_printf(&d, "{\"collection\":\"%s\",\"endpoint\":\"%s\",\"objects\":[", collection,
                         what);
    /* Ids and timestamps are validated on write: no character in them needs escaping. Built
     * by hand, as printf showed at a thousand rows a page. */
    for (size_t i = 0; i < page->n && !rc; i++) {
        const struct store_row *r = &page->rows[i];
        const char *m = r->modified ? r->modified : "";
        rc = dbuf_puts(&d, i ? ",[\"" : "[\"");
        rc = rc ? rc : dbuf_puts(&d, r->id);
        rc = rc ? rc : dbuf_puts(&d, "\",\"");
        rc = rc ? rc : dbuf_puts(&d, m);
        rc = rc ? rc : dbuf_puts(&d, "\"]");
    }
    rc = rc ? rc : dbuf_puts(&d, "]}");
    struct lia_err err;
    lia_err_clear(&err);
    struct store_txn *t = NULL;
    if (rc)
        rc = lia_err_set(&err, rc, "audit record too large");
    else
        rc = store_begin(c->api->store, &t, &err);
    if (rc == 0)
        rc = audit_append(t, c->who.actor, "objects.disclose", d.ptr, &err);
    if (rc == 0)
        rc = store_commit(t, &err);
    else if (t)
        store_rollback(t);
    dbuf_release(&d);
    if (rc) {
        api_fail_err(c, &err);
        return -1;
    }
    api_metrics_disclosed(page->n);
    return 0;
}
