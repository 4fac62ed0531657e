/*
 * Disclosures to partners go on record (design.md invariant 5): when a page
 * of objects, manifest entries or versions is about to be sent to a partner,
 * the versions in it (by store key, with a digest of their ids and versions:
 * audit/disclosure.c) are appended to the audit log and committed first. If
 * that fails, nothing is sent.
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
    c->disclosed = true; /* never cached, even should the record fail */
    struct dbuf d;
    dbuf_init(&d, 64 * 1024 * 1024);
    int rc = audit_disclosure_detail(collection, what, page->rows, page->n, &d);
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
