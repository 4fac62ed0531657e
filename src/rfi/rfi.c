/*
 * Requests for information: building the request and response objects,
 * and the actions each side may take. Who may do what is decided twice: here,
 * to give a clear refusal early, and again by the write rules on the one
 * write path (rfi/write_rules.c, registered with src/ingest/), which no route can bypass.
 */
#include "rfi/rfi_int.h"

#include <string.h>

#include "stix/stix.h"

static const char *jstr(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static json_t *string_array(const char *const *v, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_string(v[i]));
    return arr;
}

static char *dump(struct arena *a, json_t *obj)
{
    char *text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    char *out = text ? arena_strndup(a, text, strlen(text)) : NULL;
    free(text);
    return out;
}

int rfi_check_due(const char *due, struct lia_err *err)
{
    int64_t us;
    int digits;
    struct lia_err why;
    lia_err_clear(&why);
    if (stix_parse_timestamp(due, strlen(due), &us, &digits, &why) != 0)
        return lia_err_set(err, LIA_EINVAL,
                           "due: \"%.40s\" is not a date (YYYY-MM-DD, or an RFC 3339 time in UTC "
                           "such as 2027-01-31T12:00:00Z)",
                           due);
    if (us < lia_now_us())
        return lia_err_set(err, LIA_ECONFLICT, "the due date %s is in the past", due);
    return 0;
}

/* A timestamp strictly after `after` (a version must move forward), millisecond precision. */
static void version_time(const char *after, char out[32])
{
    int64_t now = lia_now_us() / 1000 * 1000;
    int64_t prev = 0;
    int digits;
    if (after && stix_parse_timestamp(after, strlen(after), &prev, &digits, NULL) == 0 &&
        now <= prev)
        now = prev / 1000 * 1000 + 1000;
    lia_format_ts(now, 3, out);
}

/* Finds (or, for local principals, makes) the collection a new request goes to. */
static int request_collection(struct store *s, const struct access_principal *who, const char *want,
                              const char *addressee, struct arena *a, struct store_collection *col,
                              struct lia_err *err)
{
    int rc = store_collection_get(s, &who->policy, want ? want : "rfi", a, col, err);
    if (rc == LIA_ENOTFOUND && !want && !who->partner) {
        lia_err_clear(err);
        rc = store_collection_add(s, "Requests for information",
                                  "Requests and responses exchanged with partners", "rfi",
                                  STORE_TLP_AMBER, a, col, err);
    }
    if (rc)
        return rc;
    if (!col->can_write)
        return lia_err_set(err, LIA_EFORBIDDEN, "this principal may not write to collection %s",
                           col->id);
    /* The addressee must be able to read the request and write its responses here. */
    if (!who->partner) {
        struct store_partner p;
        struct lia_err e2;
        if (store_partner_get(s, 0, "identity", addressee, a, &p, &e2) == 0)
            rc = store_grant_set(s, col->rid, p.rid, true, true, err);
    }
    return rc;
}

/* The handling extension naming a RED request's or response's two parties as its RED
 * recipients: without it a TLP:RED request reached nobody (docs/rfi.md). */
static void red_parties(json_t *exts, const char *requester, const char *addressee)
{
    const char *both[2] = {requester, addressee};
    json_t *h = json_object();
    json_object_set_new(h, "extension_type", json_string("property-extension"));
    json_object_set_new(h, "red_recipients", string_array(both, 2));
    json_object_set_new(exts, ACCESS_EXT_HANDLING, h);
}

/* Why a party of a request marked tlp would never see it, or NULL. */
static const char *uncleared(struct store *s, const struct access_principal *who,
                             const struct store_partner *to, int tlp, struct arena *a)
{
    struct store_partner me;
    struct lia_err e2;
    if (to && to->clearance < tlp)
        return arena_printf(a,
                            "the request is TLP:%s but %s is cleared up to TLP:%s only: it will "
                            "never see it (mark it lower, or liaison partner set %s --clearance "
                            "%s)",
                            access_tlp_name(tlp), to->name, access_tlp_name(to->clearance),
                            to->name, access_tlp_name(tlp));
    if (who->partner && store_partner_get(s, who->partner, NULL, NULL, a, &me, &e2) == 0 &&
        me.clearance < tlp)
        return arena_printf(a,
                            "the request is TLP:%s but you (%s) are cleared up to TLP:%s only: "
                            "you will not see it or its answers",
                            access_tlp_name(tlp), me.name, access_tlp_name(me.clearance));
    return NULL;
}

int rfi_create(struct store *s, const struct access_principal *who,
               const struct rfi_request_spec *spec, struct arena *a, const char **id,
               const char **warning, struct lia_err *err)
{
    *warning = NULL;
    if (!who->identity)
        return lia_err_set(err, LIA_EINTERNAL, "this instance has no identity (run init)");
    if (!spec->to || !spec->subject || !*spec->subject)
        return lia_err_set(err, LIA_EINVAL, "a request needs an addressee and a subject");
    const char *self = access_instance_identity(s);
    struct store_partner p;
    struct lia_err e2;
    bool to_self = self && !strcmp(spec->to, self);
    if (who->partner && !to_self)
        return lia_err_set(err, LIA_EFORBIDDEN,
                           "a partner addresses its requests to this instance only");
    if (!to_self && store_partner_get(s, 0, "identity", spec->to, a, &p, &e2) != 0)
        return lia_err_set(err, LIA_EINVAL, "unknown partner %s", spec->to);
    if (!strcmp(spec->to, who->identity))
        return lia_err_set(err, LIA_EINVAL, "a request cannot be addressed to its requester");
    if (spec->due) {
        int rc = rfi_check_due(spec->due, err);
        if (rc)
            return rc;
    }
    struct store_collection col;
    int rc = request_collection(s, who, spec->collection, spec->to, a, &col, err);
    if (rc)
        return rc;

    char newid[128], now[32];
    stix_new_id(ACCESS_TYPE_RFI, newid, sizeof newid);
    lia_format_ts(lia_now_us(), 3, now);
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string(ACCESS_TYPE_RFI));
    json_object_set_new(o, "spec_version", json_string("2.1"));
    json_object_set_new(o, "id", json_string(newid));
    json_object_set_new(o, "created", json_string(now));
    json_object_set_new(o, "modified", json_string(now));
    json_object_set_new(o, "created_by_ref", json_string(who->identity));
    json_object_set_new(o, "addressee_ref", json_string(spec->to));
    json_object_set_new(o, "subject", json_string(spec->subject));
    if (spec->n_questions)
        json_object_set_new(o, "questions", string_array(spec->questions, spec->n_questions));
    if (spec->n_about)
        json_object_set_new(o, "about_refs", string_array(spec->about, spec->n_about));
    json_object_set_new(o, "priority", json_string(spec->priority ? spec->priority : "routine"));
    if (spec->due)
        json_object_set_new(o, "due", json_string(spec->due));
    json_object_set_new(o, "state", json_string("open"));
    const char *marking = access_tlp_marking_id(spec->tlp >= 0 ? spec->tlp : STORE_TLP_AMBER);
    json_object_set_new(o, "object_marking_refs", string_array(&marking, 1));
    json_t *ext = json_object();
    json_object_set_new(ext, "extension_type", json_string("new-sdo"));
    json_t *exts = json_object();
    json_object_set_new(exts, ACCESS_EXT_RFI, ext);
    int tlp = spec->tlp >= 0 ? spec->tlp : STORE_TLP_AMBER;
    if (tlp == STORE_TLP_RED)
        red_parties(exts, who->identity, spec->to);
    json_object_set_new(o, "extensions", exts);
    char *text = dump(a, o);
    json_decref(o);
    if (!text)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    rc = rfi_write(s, who, col.rid, text, "rfi.new", a, err);
    if (rc == 0) {
        *id = arena_strndup(a, newid, strlen(newid));
        *warning = uncleared(s, who, to_self ? NULL : &p, tlp, a);
    }
    return rc;
}

static const struct rfi_item *find(const struct rfi_set *set, const char *id)
{
    for (size_t i = 0; i < set->n; i++) {
        const char *v = jstr(set->items[i].obj, "id");
        if (v && !strcmp(v, id))
            return &set->items[i];
    }
    return NULL;
}

/* The requester (a partner) may read the collection that holds its request here: a request
 * pulled from it lands in a collection it has no grant on, and the answer written beside it
 * must reach it by its pull or our push (docs/rfi.md). The mirror of request_collection. */
static int requester_may_read(struct store *s, const struct rfi_item *req, struct arena *a,
                              struct lia_err *err)
{
    struct store_partner p;
    struct lia_err e2;
    const char *requester = jstr(req->obj, "created_by_ref");
    if (!requester || store_partner_get(s, 0, "identity", requester, a, &p, &e2) != 0)
        return 0; /* a local requester sees everything */
    struct store_policy theirs = {.partner = p.rid, .clearance = p.clearance};
    struct store_collection col;
    int rc = store_collection_get(s, &theirs, req->coll_id, a, &col, &e2);
    if (rc == 0 && col.can_read)
        return 0;
    return store_grant_set(s, req->coll, p.rid, true, rc == 0 && col.can_write, err);
}

static int respond(struct store *s, const struct access_principal *who, const struct rfi_item *req,
                   const struct rfi_action *act, struct arena *a, const char **written,
                   struct lia_err *err)
{
    const char *verb = !strcmp(act->verb, "ack") ? "acknowledge" : act->verb;
    if (!strcmp(verb, "answer") && !act->text && !act->n_refs)
        return lia_err_set(err, LIA_EINVAL, "an answer needs --text or --ref");
    if (!strcmp(verb, "decline") && !act->reason)
        return lia_err_set(err, LIA_EINVAL, "declining needs a --reason");
    /* What the answer refers to must be visible to the requester (anywhere here): an answer
     * must not point at what the requester cannot have. */
    for (size_t i = 0; i < act->n_refs; i++) {
        if (!stix_is_valid_id(act->refs[i], strlen(act->refs[i])))
            return lia_err_set(err, LIA_EINVAL, "%s is not a STIX id", act->refs[i]);
        struct store_policy view = who->policy;
        struct store_partner p;
        struct lia_err e2;
        if (store_partner_get(s, 0, "identity", jstr(req->obj, "created_by_ref"), a, &p, &e2) == 0)
            view = (struct store_policy){.partner = p.rid, .clearance = p.clearance};
        const char *json;
        size_t len;
        int rc = rfi_find_visible(s, &view, act->refs[i], a, &json, &len, err);
        if (rc)
            return rc;
        if (!json)
            return lia_err_set(err, LIA_EINVAL,
                               "the requester may not see %s; share it with them first",
                               act->refs[i]);
    }
    char newid[128], now[32];
    stix_new_id(ACCESS_TYPE_RFI_RESPONSE, newid, sizeof newid);
    lia_format_ts(lia_now_us(), 3, now);
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string(ACCESS_TYPE_RFI_RESPONSE));
    json_object_set_new(o, "spec_version", json_string("2.1"));
    json_object_set_new(o, "id", json_string(newid));
    json_object_set_new(o, "created", json_string(now));
    json_object_set_new(o, "modified", json_string(now));
    json_object_set_new(o, "created_by_ref", json_string(who->identity));
    json_object_set_new(o, "rfi_ref", json_string(jstr(req->obj, "id")));
    json_object_set_new(o, "requester_ref", json_string(jstr(req->obj, "created_by_ref")));
    json_object_set_new(o, ACCESS_RFI_RESPONSE_TYPE, json_string(verb));
    if (act->text)
        json_object_set_new(o, "text", json_string(act->text));
    if (act->reason)
        json_object_set_new(o, "reason", json_string(act->reason));
    if (act->n_refs)
        json_object_set_new(o, "object_refs", string_array(act->refs, act->n_refs));
    json_t *markings = json_object_get(req->obj, "object_marking_refs");
    if (markings)
        json_object_set(o, "object_marking_refs", markings);
    json_t *ext = json_object();
    json_object_set_new(ext, "extension_type", json_string("new-sdo"));
    json_t *exts = json_object();
    json_object_set_new(exts, ACCESS_EXT_RFI_RESPONSE, ext);
    json_t *handling =
        json_object_get(json_object_get(req->obj, "extensions"), ACCESS_EXT_HANDLING);
    if (handling) /* a RED request's answer goes to the same two parties */
        json_object_set(exts, ACCESS_EXT_HANDLING, handling);
    json_object_set_new(o, "extensions", exts);
    char *text = dump(a, o);
    json_decref(o);
    if (!text)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    char action[32];
    snprintf(action, sizeof action, "rfi.%s", verb);
    int rc = rfi_write(s, who, req->coll, text, action, a, err);
    if (rc == 0)
        *written = arena_strndup(a, newid, strlen(newid));
    if (rc == 0 && !who->partner)
        rc = requester_may_read(s, req, a, err);
    return rc;
}

static int change(struct store *s, const struct access_principal *who, const struct rfi_item *req,
                  const struct rfi_action *act, struct arena *a, const char **written,
                  struct lia_err *err)
{
    const char *state = jstr(req->obj, "state");
    if (state && strcmp(state, "open") != 0)
        return lia_err_set(err, LIA_EINVAL, "the request is %s already", state);
    json_t *o = json_deep_copy(req->obj);
    char now[32];
    version_time(jstr(o, "modified"), now);
    json_object_set_new(o, "modified", json_string(now));
    if (!strcmp(act->verb, "withdraw")) {
        json_object_set_new(o, "state", json_string("withdrawn"));
    } else if (!strcmp(act->verb, "close")) {
        json_object_set_new(o, "state", json_string("closed"));
    } else {
        if (!act->subject && !act->n_questions && !act->due) {
            json_decref(o);
            return lia_err_set(err, LIA_EINVAL, "amend needs --subject, --question or --due");
        }
        if (act->subject)
            json_object_set_new(o, "subject", json_string(act->subject));
        if (act->n_questions)
            json_object_set_new(o, "questions", string_array(act->questions, act->n_questions));
        int rc = act->due ? rfi_check_due(act->due, err) : 0;
        if (rc) {
            json_decref(o);
            return rc;
        }
        if (act->due)
            json_object_set_new(o, "due", json_string(act->due));
    }
    char *text = dump(a, o);
    json_decref(o);
    if (!text)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    char action[32];
    snprintf(action, sizeof action, "rfi.%s", act->verb);
    int rc = rfi_write(s, who, req->coll, text, action, a, err);
    if (rc == 0)
        *written = jstr(req->obj, "id") ? arena_printf(a, "%s", jstr(req->obj, "id")) : NULL;
    return rc;
}

int rfi_act(struct store *s, const struct access_principal *who, const char *id,
            const struct rfi_action *act, struct arena *a, const char **written,
            struct lia_err *err)
{
    static const char *const addressee_verbs[] = {"ack", "acknowledge", "answer", "decline", NULL};
    static const char *const requester_verbs[] = {"amend", "withdraw", "close", NULL};
    bool by_addressee = false, by_requester = false;
    for (const char *const *v = addressee_verbs; *v; v++)
        by_addressee |= !strcmp(*v, act->verb);
    for (const char *const *v = requester_verbs; *v; v++)
        by_requester |= !strcmp(*v, act->verb);
    if (!by_addressee && !by_requester)
        return lia_err_set(err, LIA_EINVAL, "unknown action '%s'", act->verb);
    struct rfi_set reqs, resps;
    int rc = rfi_load(s, who, a, &reqs, &resps, err);
    const struct rfi_item *req = rc ? NULL : find(&reqs, id);
    if (rc == 0 && !req)
        rc = lia_err_set(err, LIA_ENOTFOUND, "no request %s", id);
    if (rc == 0) {
        const char *requester = jstr(req->obj, "created_by_ref");
        const char *addressee = jstr(req->obj, "addressee_ref");
        bool is_requester = requester && who->identity && !strcmp(requester, who->identity);
        bool is_addressee = addressee && who->identity && !strcmp(addressee, who->identity);
        if (by_addressee && !is_addressee)
            rc = lia_err_set(err, LIA_EFORBIDDEN, "only the addressee may %s this request",
                             act->verb);
        else if (by_requester && !is_requester)
            rc = lia_err_set(err, LIA_EFORBIDDEN, "only the requester may %s this request",
                             act->verb);
        else if (by_addressee)
            rc = respond(s, who, req, act, a, written, err);
        else
            rc = change(s, who, req, act, a, written, err);
    }
    rfi_set_release(&reqs);
    rfi_set_release(&resps);
    return rc;
}
