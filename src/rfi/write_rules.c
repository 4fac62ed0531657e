/*
 * Write rules of the request types, registered with the one write path (src/ingest/) so
 * that every route (POST, pull, import, the RFI commands) applies them and none can bypass
 * them:
 *
 *  - liaison-rfi: a request from its creator (the requester) to one
 *    addressee. The addressee must be a registered partner or this instance,
 *    and not the requester. A new request's due date must not be past, and
 *    every object it is about must be in the same collection and visible to
 *    the addressee: a request must never tell the addressee that something it
 *    may not see exists. Versions (amend, withdraw, close) come only from the
 *    creator, by the general creator rule.
 *  - liaison-rfi-response: acknowledge, answer or decline, written only by
 *    the addressee of a request this server holds.
 *
 * Both request and response are released only to their two parties (rfi_parties: the
 * write path intersects their audience with any other), whatever else they carry.
 */
#include "rfi/rfi_int.h"

#include <string.h>

#include "ingest/ingest.h"
#include "stix/stix.h"

static const char *str(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool one_of(const char *v, const char *const *set)
{
    for (; v && *set; set++)
        if (!strcmp(v, *set))
            return true;
    return false;
}

int rfi_find_visible_row(struct store *s, const struct store_policy *p, const char *id,
                         struct arena *a, struct store_row *row, const char **collection,
                         struct lia_err *err)
{
    struct store_collection *cols;
    size_t n;
    memset(row, 0, sizeof *row);
    *collection = NULL;
    int rc = store_collection_list(s, p, a, &cols, &n, err);
    for (size_t i = 0; i < n && rc == 0 && !row->json; i++) {
        if (!cols[i].can_read)
            continue;
        struct store_filter f = {.ids = &id, .n_ids = 1, .version_sel = STORE_VER_LAST, .limit = 1};
        struct store_page page;
        rc = store_query_objects(s, p, cols[i].rid, &f, true, a, &page, err);
        if (rc == 0 && page.n > 0) {
            *row = page.rows[0];
            *collection = cols[i].id;
        }
    }
    return rc;
}

int rfi_find_visible(struct store *s, const struct store_policy *p, const char *id, struct arena *a,
                     const char **json, size_t *len, struct lia_err *err)
{
    struct store_row row;
    const char *collection;
    int rc = rfi_find_visible_row(s, p, id, a, &row, &collection, err);
    *json = row.json;
    *len = row.json_len;
    return rc;
}

static int visible_somewhere(struct store *s, const struct store_policy *p, const char *id,
                             struct arena *a, bool *seen, struct lia_err *err)
{
    const char *json;
    size_t len;
    int rc = rfi_find_visible(s, p, id, a, &json, &len, err);
    *seen = rc == 0 && json != NULL;
    return rc;
}

/* True when the version of id the requester sees here was created by the addressee, or came
 * from it (pulled, pushed, imported): asking it about what it made or sent tells it nothing
 * new, wherever this side keeps the copy (a collection pulled from it, which it has no grant
 * on). */
static int made_by(struct store *s, const struct store_policy *requester, const char *id,
                   const char *addressee, int64_t addressee_rid, struct arena *a, bool *made,
                   struct lia_err *err)
{
    struct store_row row;
    const char *coll;
    *made = false;
    int rc = rfi_find_visible_row(s, requester, id, a, &row, &coll, err);
    if (rc || !row.json)
        return rc;
    json_t *o = json_loadb(row.json, row.json_len, 0, NULL);
    const char *by = json_string_value(json_object_get(o, "created_by_ref"));
    *made = by && !strcmp(by, addressee);
    json_decref(o);
    int64_t from = 0;
    if (!*made && (rc = store_provenance_partner(s, row.date_added, &from, err)) == 0)
        *made = from && from == addressee_rid;
    return rc;
}

/* True when identity is this instance or a registered partner. */
static int known_party(struct store_txn *t, struct store *s, const char *identity, bool *known,
                       struct lia_err *err)
{
    const char *self = access_instance_identity(s);
    *known = self && !strcmp(self, identity);
    if (*known)
        return 0;
    int64_t rid;
    size_t n = 0;
    int rc = store_partner_rids(t, &identity, 1, &rid, &n, err);
    *known = n == 1;
    return rc;
}

static int check_rfi(struct store_txn *t, struct store *s, const struct access_principal *who,
                     int64_t coll, json_t *obj, bool is_new, struct arena *a, struct lia_err *err)
{
    static const char *const priorities[] = {"routine", "priority", "immediate", NULL};
    static const char *const states[] = {"open", "withdrawn", "closed", NULL};
    const char *addressee = str(obj, "addressee_ref");
    const char *requester = str(obj, "created_by_ref");
    const char *subject = str(obj, "subject");
    if (!addressee || !stix_is_valid_id(addressee, strlen(addressee)) ||
        strncmp(addressee, "identity--", 10) != 0)
        return lia_err_set(err, LIA_EINVAL, "a request needs addressee_ref, an identity id");
    if (!subject || !*subject || strlen(subject) > 1000)
        return lia_err_set(err, LIA_EINVAL, "a request needs a subject of 1-1000 bytes");
    if (!one_of(str(obj, "priority"), priorities))
        return lia_err_set(err, LIA_EINVAL, "priority must be routine, priority or immediate");
    if (!one_of(str(obj, "state"), states))
        return lia_err_set(err, LIA_EINVAL, "state must be open, withdrawn or closed");
    json_t *q = json_object_get(obj, "questions");
    size_t i;
    json_t *v;
    if (q && (!json_is_array(q) || json_array_size(q) > 50))
        return lia_err_set(err, LIA_EINVAL, "questions must be a list of at most 50 texts");
    json_array_foreach(q, i, v)
    {
        if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 4000)
            return lia_err_set(err, LIA_EINVAL, "each question must be a text of 1-4000 bytes");
    }
    if (requester && !strcmp(requester, addressee))
        return lia_err_set(err, LIA_EFORBIDDEN, "a request cannot be addressed to its requester");
    bool known;
    int rc = known_party(t, s, addressee, &known, err);
    if (rc)
        return rc;
    if (!known)
        return lia_err_set(err, LIA_EINVAL, "the addressee %s is not a registered partner",
                           addressee);
    const char *due = str(obj, "due");
    int64_t due_us = 0;
    int digits;
    if (due && stix_parse_timestamp(due, strlen(due), &due_us, &digits, err) != 0)
        return LIA_EINVAL;
    if (!is_new || who->via_exchange)
        return 0;
    if (due && due_us < lia_now_us())
        return lia_err_set(err, LIA_EINVAL, "the due date %s is in the past", due);
    /* The objects it is about must be visible to both parties: otherwise the request would
     * tell the addressee about something it may not see, or let a requester probe for ids. */
    json_t *about = json_object_get(obj, "about_refs");
    if (about && (!json_is_array(about) || json_array_size(about) > 100))
        return lia_err_set(err, LIA_EINVAL, "about_refs must list at most 100 ids");
    if (!about || json_array_size(about) == 0)
        return 0;
    struct store_policy views[2];
    size_t n_views = 0;
    if (who->partner)
        views[n_views++] = who->policy;
    int64_t rid = 0;
    size_t n = 0;
    rc = store_partner_rids(t, &addressee, 1, &rid, &n, err);
    if (rc)
        return rc;
    if (n == 1) {
        struct store_partner p;
        rc = store_partner_get(s, rid, NULL, NULL, a, &p, err);
        if (rc)
            return rc;
        views[n_views++] = (struct store_policy){.partner = rid, .clearance = p.clearance};
    }
    json_array_foreach(about, i, v)
    {
        const char *ref = json_string_value(v);
        if (!ref || !stix_is_valid_id(ref, strlen(ref)))
            return lia_err_set(err, LIA_EINVAL, "about_refs must hold STIX ids");
        for (size_t k = 0; k < n_views; k++) {
            bool seen = false;
            rc = visible_somewhere(s, &views[k], ref, a, &seen, err);
            bool addressee_view = k == n_views - 1 && n == 1;
            if (rc == 0 && !seen && addressee_view) {
                struct store_policy mine =
                    who->partner ? who->policy : (struct store_policy){.all = true};
                rc = made_by(s, &mine, ref, addressee, rid, a, &seen, err);
            }
            if (rc)
                return rc;
            if (!seen)
                return lia_err_set(err, LIA_EFORBIDDEN,
                                   "about_refs: %s is not visible to both parties of the request",
                                   ref);
        }
    }
    return 0;
}

static int check_response(struct store_txn *t, struct store *s, const struct access_principal *who,
                          int64_t coll, json_t *obj, bool is_new, struct arena *a,
                          struct lia_err *err)
{
    (void)s, (void)who, (void)coll, (void)is_new;
    static const char *const actions[] = {"acknowledge", "answer", "decline", NULL};
    const char *rfi = str(obj, "rfi_ref");
    const char *action = str(obj, ACCESS_RFI_RESPONSE_TYPE);
    const char *by = str(obj, "created_by_ref");
    if (!rfi || strncmp(rfi, ACCESS_TYPE_RFI "--", strlen(ACCESS_TYPE_RFI) + 2) != 0 ||
        !stix_is_valid_id(rfi, strlen(rfi)))
        return lia_err_set(err, LIA_EINVAL, "a response needs rfi_ref, a liaison-rfi id");
    if (!one_of(action, actions))
        return lia_err_set(err, LIA_EINVAL,
                           ACCESS_RFI_RESPONSE_TYPE " must be acknowledge, answer or decline");
    if (!strcmp(action, "answer") && !str(obj, "text") &&
        !json_array_size(json_object_get(obj, "object_refs")))
        return lia_err_set(err, LIA_EINVAL, "an answer needs text or object_refs");
    if (!strcmp(action, "decline") && !str(obj, "reason"))
        return lia_err_set(err, LIA_EINVAL, "declining needs a reason");
    const char *text;
    int rc = store_object_text(t, rfi, ACCESS_TYPE_RFI, a, &text, err);
    if (rc == LIA_ENOTFOUND)
        return lia_err_set(err, LIA_EINVAL, "no request %s is held here", rfi);
    if (rc)
        return rc;
    json_t *req = json_loads(text, 0, NULL);
    const char *addressee = str(req, "addressee_ref");
    const char *requester = str(req, "created_by_ref");
    const char *claimed = str(obj, "requester_ref");
    rc = 0;
    if (!by || !addressee || strcmp(by, addressee) != 0)
        rc = lia_err_set(err, LIA_EFORBIDDEN, "only the addressee of %s may respond to it", rfi);
    else if (!claimed || !requester || strcmp(claimed, requester) != 0)
        rc = lia_err_set(err, LIA_EINVAL, "requester_ref must name the request's requester");
    json_decref(req);
    return rc;
}

/* A request reaches its requester and addressee; a response, its writer and the requester. */
static int parties(json_t *obj, const char *ids[2], const char *other, size_t *n)
{
    *n = 0;
    const char *both[2] = {str(obj, "created_by_ref"), str(obj, other)};
    for (int i = 0; i < 2; i++)
        if (both[i])
            ids[(*n)++] = both[i];
    return 0;
}

static int request_parties(json_t *obj, const char *ids[2], size_t *n)
{
    return parties(obj, ids, "addressee_ref", n);
}

static int response_parties(json_t *obj, const char *ids[2], size_t *n)
{
    return parties(obj, ids, "requester_ref", n);
}

void rfi_register_rules(void)
{
    static const struct ingest_rule request = {ACCESS_TYPE_RFI, check_rfi, request_parties};
    static const struct ingest_rule response = {ACCESS_TYPE_RFI_RESPONSE, check_response,
                                                response_parties};
    ingest_register(&request);
    ingest_register(&response);
}
