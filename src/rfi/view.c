/*
 * Request views: what `rfi list`, `rfi show` and /liaison/rfi answer. The
 * status is derived from both sides' objects: the requester's state
 * (withdrawn, closed) first, then the addressee's latest response
 * (declined, answered, acknowledged), else open. A request past its due date
 * that is still open or acknowledged is overdue, on both sides alike.
 * Every party is shown with the trust this side gives it, beside any
 * grading the sender claimed on the objects it referenced. Every object a
 * view shows (requests, the responses their status or list comes from, the
 * objects they reference) is named in the viewer's disclosure ticket.
 */
#include "rfi/rfi_int.h"

#include <string.h>

#include "access/access.h"
#include "stix/stix.h"

static const char *jstr(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int put_str(struct dbuf *b, const char *key, const char *v)
{
    int rc = dbuf_printf(b, "\"%s\":", key);
    if (rc)
        return rc;
    return v ? dbuf_json_string(b, v, strlen(v)) : dbuf_puts(b, "null");
}

static int put_json(struct dbuf *b, const char *key, json_t *v)
{
    char *text = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    int rc = dbuf_printf(b, "\"%s\":%s", key, text ? text : "null");
    free(text);
    return rc;
}

/* {"identity","name","trust"} of a party, as this side knows it. */
static int put_party(struct store *s, struct dbuf *b, const char *key, const char *identity,
                     struct arena *a)
{
    struct store_partner p;
    struct lia_err e;
    const char *self = access_instance_identity(s);
    int rc = dbuf_printf(b, "\"%s\":{", key);
    rc = rc ? rc : put_str(b, "identity", identity);
    if (!rc && identity && self && !strcmp(identity, self)) {
        rc = dbuf_puts(b, ",\"name\":\"this instance\",\"trust\":null,\"self\":true}");
    } else if (!rc && identity && store_partner_get(s, 0, "identity", identity, a, &p, &e) == 0) {
        rc = dbuf_puts(b, ",");
        rc = rc ? rc : put_str(b, "name", p.name);
        rc = rc ? rc : dbuf_puts(b, ",");
        rc = rc ? rc : put_str(b, "trust", p.trust);
        rc = rc ? rc : dbuf_puts(b, ",\"self\":false}");
    } else if (!rc) {
        rc = dbuf_puts(b, ",\"name\":null,\"trust\":null,\"self\":false}");
    }
    return rc;
}

static const char *derive_status(json_t *req, const struct rfi_set *resps, json_t **latest)
{
    const char *state = jstr(req, "state");
    *latest = NULL;
    const char *id = jstr(req, "id");
    const char *best = NULL;
    for (size_t i = 0; i < resps->n; i++) {
        json_t *r = resps->items[i].obj;
        const char *ref = jstr(r, "rfi_ref");
        const char *created = jstr(r, "created");
        if (!ref || !id || strcmp(ref, id) != 0 || !created)
            continue;
        if (!best || strcmp(created, best) > 0) {
            best = created;
            *latest = r;
        }
    }
    if (state && !strcmp(state, "withdrawn"))
        return "withdrawn";
    if (state && !strcmp(state, "closed"))
        return "closed";
    if (*latest) {
        const char *action = rfi_response_type(*latest);
        if (action && !strcmp(action, "decline"))
            return "declined";
        if (action && !strcmp(action, "answer"))
            return "answered";
        return "acknowledged";
    }
    return "open";
}

static bool is_overdue(json_t *req, const char *status)
{
    const char *due = jstr(req, "due");
    int64_t us;
    int digits;
    if (!due || stix_parse_timestamp(due, strlen(due), &us, &digits, NULL) != 0)
        return false;
    return us < lia_now_us() && (!strcmp(status, "open") || !strcmp(status, "acknowledged"));
}

/* Names an object of the view in the viewer's disclosure ticket t (none: not a partner). */
static int name_item(struct audit_ticket *t, const struct rfi_item *it)
{
    if (!t)
        return 0;
    struct store_row row = {.date_added = it->date_added,
                            .id = jstr(it->obj, "id"),
                            .modified = jstr(it->obj, "modified")};
    if (!row.id)
        return LIA_EINTERNAL;
    struct lia_err e;
    return audit_ticket_add(t, it->coll_id, "rfi", &row, 1, &e);
}

/* One referenced object as the viewer may see it, with the grading its sender claimed. */
static int put_ref(struct store *s, const struct access_principal *who, int64_t coll,
                   const char *ref, struct arena *a, struct audit_ticket *t, struct dbuf *b,
                   bool *first)
{
    struct store_row row;
    const char *collection;
    struct lia_err e;
    (void)coll;
    if (rfi_find_visible_row(s, &who->policy, ref, a, &row, &collection, &e) != 0 || !row.json)
        return 0; /* not visible to this viewer: say nothing about it */
    json_t *o = json_loadb(row.json, row.json_len, 0, NULL);
    if (!o)
        return 0;
    if (t && audit_ticket_add(t, collection, "rfi", &row, 1, &e) != 0) {
        json_decref(o);
        return e.code;
    }
    int rc = dbuf_puts(b, *first ? "{" : ",{");
    *first = false;
    rc = rc ? rc : put_str(b, "id", ref);
    rc = rc ? rc : dbuf_puts(b, ",");
    rc = rc ? rc : put_str(b, "type", jstr(o, "type"));
    rc = rc ? rc : dbuf_puts(b, ",");
    rc = rc ? rc : put_str(b, "name", jstr(o, "name"));
    rc = rc ? rc : dbuf_puts(b, ",");
    rc = rc ? rc
            : put_json(b, "grading",
                       json_object_get(json_object_get(o, "extensions"), ACCESS_EXT_GRADING));
    rc = rc ? rc : dbuf_puts(b, "}");
    json_decref(o);
    return rc;
}

static int put_view(struct store *s, const struct access_principal *who, const struct rfi_item *it,
                    const struct rfi_set *resps, bool full, struct arena *a, struct audit_ticket *t,
                    struct dbuf *b)
{
    json_t *req = it->obj;
    json_t *latest;
    const char *status = derive_status(req, resps, &latest);
    /* The request is shown, and its status tells of its latest response. */
    int named = name_item(t, it);
    for (size_t k = 0; k < resps->n && !named && latest; k++)
        if (resps->items[k].obj == latest)
            named = name_item(t, &resps->items[k]);
    if (named)
        return named;
    const char *requester = jstr(req, "created_by_ref");
    const char *addressee = jstr(req, "addressee_ref");
    const char *me = who->identity;
    const char *direction = me && requester && !strcmp(me, requester)   ? "outgoing"
                            : me && addressee && !strcmp(me, addressee) ? "incoming"
                                                                        : "other";
    int rc = dbuf_puts(b, "{");
    rc = rc ? rc : put_str(b, "id", jstr(req, "id"));
    rc = rc ? rc : dbuf_puts(b, ",");
    rc = rc ? rc : put_str(b, "collection", it->coll_id);
    static const char *const fields[] = {"subject",  "priority", "due", "created",
                                         "modified", "state",    NULL};
    for (const char *const *k = fields; *k && !rc; k++) {
        rc = dbuf_puts(b, ",");
        rc = rc ? rc : put_str(b, *k, jstr(req, *k));
    }
    rc = rc ? rc : dbuf_puts(b, ",");
    rc = rc ? rc : put_json(b, "questions", json_object_get(req, "questions"));
    rc = rc ? rc
            : dbuf_printf(b, ",\"status\":\"%s\",\"overdue\":%s,\"direction\":\"%s\",", status,
                          is_overdue(req, status) ? "true" : "false", direction);
    rc = rc ? rc : put_party(s, b, "requester", requester, a);
    rc = rc ? rc : dbuf_puts(b, ",");
    rc = rc ? rc : put_party(s, b, "addressee", addressee, a);
    rc = rc ? rc : dbuf_puts(b, ",\"tlp\":");
    int tlp = access_object_tlp(req);
    rc = rc ? rc : dbuf_printf(b, "\"%s\"", access_tlp_name(tlp));
    if (full && !rc) {
        /* The objects it is about, as far as the viewer may see them. */
        rc = dbuf_puts(b, ",\"about\":[");
        bool first = true;
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(req, "about_refs"), i, v)
        {
            if (!rc && json_is_string(v))
                rc = put_ref(s, who, it->coll, json_string_value(v), a, t, b, &first);
        }
        rc = rc ? rc : dbuf_puts(b, "],\"responses\":[");
        first = true;
        for (size_t k = 0; k < resps->n && !rc; k++) {
            json_t *r = resps->items[k].obj;
            const char *ref = jstr(r, "rfi_ref");
            if (!ref || strcmp(ref, jstr(req, "id")) != 0)
                continue;
            rc = name_item(t, &resps->items[k]);
            rc = rc ? rc : dbuf_puts(b, first ? "{" : ",{");
            first = false;
            /* the view's "action" is the response's response_type (docs/api.md) */
            static const char *const rf[] = {"id", "action", "text", "reason", "created", NULL};
            for (const char *const *kk = rf; *kk && !rc; kk++) {
                rc = kk == rf ? 0 : dbuf_puts(b, ",");
                rc = rc ? rc : put_str(b, *kk, kk == rf + 1 ? rfi_response_type(r) : jstr(r, *kk));
            }
            rc = rc ? rc : dbuf_puts(b, ",");
            rc = rc ? rc : put_party(s, b, "by", jstr(r, "created_by_ref"), a);
            rc = rc ? rc : dbuf_puts(b, ",\"refs\":[");
            bool rfirst = true;
            json_array_foreach(json_object_get(r, "object_refs"), i, v)
            {
                if (!rc && json_is_string(v))
                    rc = put_ref(s, who, resps->items[k].coll, json_string_value(v), a, t, b,
                                 &rfirst);
            }
            rc = rc ? rc : dbuf_puts(b, "]}");
        }
        rc = rc ? rc : dbuf_puts(b, "]");
    }
    return rc ? rc : dbuf_puts(b, "}");
}

static bool keep(const struct access_principal *who, const struct rfi_filter *f, json_t *req,
                 const struct rfi_set *resps)
{
    json_t *latest;
    const char *status = derive_status(req, resps, &latest);
    if (f->box) {
        const char *key = !strcmp(f->box, "incoming") ? "addressee_ref" : "created_by_ref";
        const char *v = jstr(req, key);
        if (!v || !who->identity || strcmp(v, who->identity) != 0)
            return false;
    }
    if (f->status) {
        if (!strcmp(f->status, "overdue"))
            return is_overdue(req, status);
        return !strcmp(f->status, status);
    }
    return true;
}

int rfi_list_json(struct store *s, const struct access_principal *who, const struct rfi_filter *f,
                  struct arena *a, struct audit_ticket *t, struct dbuf *out, struct lia_err *err)
{
    struct rfi_set reqs, resps;
    int rc = rfi_load(s, who, a, &reqs, &resps, err);
    bool first = true;
    if (rc == 0)
        rc = dbuf_puts(out, "[");
    for (size_t i = 0; i < reqs.n && rc == 0; i++) {
        if (!keep(who, f, reqs.items[i].obj, &resps))
            continue;
        rc = first ? 0 : dbuf_puts(out, ",");
        first = false;
        rc = rc ? rc : put_view(s, who, &reqs.items[i], &resps, false, a, t, out);
    }
    if (rc == 0)
        rc = dbuf_puts(out, "]");
    else if (!err->code)
        lia_err_set(err, rc, "request list too large");
    rfi_set_release(&reqs);
    rfi_set_release(&resps);
    return rc;
}

int rfi_show_json(struct store *s, const struct access_principal *who, const char *id,
                  struct arena *a, struct audit_ticket *t, struct dbuf *out, struct lia_err *err)
{
    struct rfi_set reqs, resps;
    int rc = rfi_load(s, who, a, &reqs, &resps, err);
    const struct rfi_item *it = NULL;
    for (size_t i = 0; rc == 0 && i < reqs.n && !it; i++) {
        const char *v = jstr(reqs.items[i].obj, "id");
        if (v && !strcmp(v, id))
            it = &reqs.items[i];
    }
    if (rc == 0 && !it)
        rc = lia_err_set(err, LIA_ENOTFOUND, "no request %s", id);
    if (rc == 0 && put_view(s, who, it, &resps, true, a, t, out) != 0)
        rc = lia_err_set(err, LIA_ETOOBIG, "request view too large");
    rfi_set_release(&reqs);
    rfi_set_release(&resps);
    return rc;
}
