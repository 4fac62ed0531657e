/*
 * The RFI endpoints of the liaison API (docs/api.md), for the analyst pages
 * and scripts, with the same rights as the command line and TAXII:
 *   GET  /liaison/rfi[?box=incoming|outgoing][&status=S]  {"rfis": [view...]}
 *   POST /liaison/rfi                                     201 {"id"}
 *   GET  /liaison/rfi/{id}                                view with responses
 *   POST /liaison/rfi/{id}/{ack|answer|decline|amend|withdraw|close}  200 {"id"}
 * The caller acts as its own identity (a partner's, or this instance's for
 * local principals). Bodies are JSON objects (application/json).
 */
#include "api/api_int.h"

#include <string.h>

#include "rfi/rfi.h"
#include "stix/stix.h"

#define MAX_LIST 50

static const char *jstr(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Reads a list of strings from body[key] into out (at most MAX_LIST). */
static int str_list(struct api_call *c, json_t *body, const char *key, const char **out, size_t *n)
{
    json_t *v = json_object_get(body, key);
    *n = 0;
    if (!v)
        return 0;
    if (!json_is_array(v) || json_array_size(v) > MAX_LIST)
        return api_fail(c, 400, "Bad request", "%s must be a list of at most %d texts", key,
                        MAX_LIST);
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e)
    {
        if (!json_is_string(e))
            return api_fail(c, 400, "Bad request", "%s must hold only texts", key);
        out[(*n)++] = json_string_value(e);
    }
    return 0;
}

static int fail_rfi(struct api_call *c, const struct lia_err *err)
{
    if (err->code == LIA_EINVAL || err->code == LIA_ECONFLICT)
        return api_fail(c, 422, "Unprocessable request", "%s", err->msg);
    return api_fail_err(c, err);
}

json_t *api_json_body(struct api_call *c)
{
    const char *ct = http_header(c->req, "Content-Type");
    if (!ct || strncmp(ct, "application/json", 16) != 0) {
        api_fail(c, 415, "Unsupported media type", "send the body as application/json");
        return NULL;
    }
    if (c->req->body_len == 0) {
        api_fail(c, 400, "Bad request", "a JSON object body is required");
        return NULL;
    }
    json_t *body = NULL;
    struct lia_err err;
    lia_err_clear(&err);
    if (stix_parse_json(c->req->body, c->req->body_len, &c->api->cfg.stix, &body, &err)) {
        api_fail_err(c, &err);
        return NULL;
    }
    if (!json_is_object(body)) {
        json_decref(body);
        api_fail(c, 400, "Bad request", "the body must be a JSON object");
        return NULL;
    }
    return body;
}

static void answer_json(struct api_call *c, int status)
{
    c->resp->status = status;
    c->resp->content_type = "application/json";
}

static void create(struct api_call *c)
{
    if (c->who->read_only)
        return (void)api_fail(c, 403, "Forbidden", "this token is read-only");
    json_t *body = api_json_body(c);
    if (!body)
        return;
    const char *questions[MAX_LIST], *about[MAX_LIST];
    struct rfi_request_spec spec = {0};
    spec.to = jstr(body, "to");
    spec.subject = jstr(body, "subject");
    spec.priority = jstr(body, "priority");
    spec.due = jstr(body, "due");
    spec.collection = jstr(body, "collection");
    spec.questions = questions;
    spec.about = about;
    const char *marking = jstr(body, "marking");
    spec.tlp = marking ? access_tlp_parse(marking) : STORE_TLP_AMBER;
    struct lia_err err;
    lia_err_clear(&err);
    if (str_list(c, body, "questions", questions, &spec.n_questions) ||
        str_list(c, body, "about", about, &spec.n_about)) {
        json_decref(body);
        return;
    }
    if (spec.tlp < STORE_TLP_CLEAR) {
        json_decref(body);
        return (void)api_fail(c, 400, "Bad request", "unknown marking");
    }
    /* "to" may name a partner (by name or identity) or this instance. */
    struct store_partner p;
    const char *self = access_instance_identity(c->api->store);
    if (spec.to && !(self && !strcmp(spec.to, self)) && strncmp(spec.to, "identity--", 10) != 0) {
        if (store_partner_get(c->api->store, 0, "name", spec.to, c->req->arena, &p, &err) == 0)
            spec.to = p.identity_id;
        lia_err_clear(&err);
    }
    const char *id = NULL, *warning = NULL;
    int rc = rfi_create(c->api->store, c->who, &spec, c->req->arena, &id, &warning, &err);
    json_decref(body);
    if (rc)
        return (void)fail_rfi(c, &err);
    dbuf_printf(&c->resp->body, "{\"id\":\"%s\",\"warnings\":[", id);
    if (warning)
        dbuf_json_string(&c->resp->body, warning, strlen(warning));
    dbuf_puts(&c->resp->body, "]}");
    answer_json(c, 201);
}

static void act(struct api_call *c, const char *id, const char *verb)
{
    if (c->who->read_only)
        return (void)api_fail(c, 403, "Forbidden", "this token is read-only");
    json_t *body = c->req->body_len ? api_json_body(c) : json_object();
    if (!body)
        return;
    const char *refs[MAX_LIST], *questions[MAX_LIST];
    struct rfi_action a = {.verb = verb,
                           .text = jstr(body, "text"),
                           .reason = jstr(body, "reason"),
                           .subject = jstr(body, "subject"),
                           .due = jstr(body, "due"),
                           .refs = refs,
                           .questions = questions};
    if (str_list(c, body, "refs", refs, &a.n_refs) ||
        str_list(c, body, "questions", questions, &a.n_questions)) {
        json_decref(body);
        return;
    }
    struct lia_err err;
    lia_err_clear(&err);
    const char *written = NULL;
    int rc = rfi_act(c->api->store, c->who, id, &a, c->req->arena, &written, &err);
    json_decref(body);
    if (rc)
        return (void)fail_rfi(c, &err);
    dbuf_printf(&c->resp->body, "{\"id\":\"%s\"}", written ? written : id);
    answer_json(c, 200);
}

void api_liaison_rfi(struct api_call *c, const char **seg, size_t nseg)
{
    struct lia_err err;
    lia_err_clear(&err);
    bool get = !strcmp(c->req->method, "GET");
    bool post = !strcmp(c->req->method, "POST");
    static const char *const list_params[] = {"box", "status", NULL};
    static const char *const no_params[] = {NULL};
    if (nseg == 2) {
        if (post)
            return api_check_params(c, no_params) ? (void)0 : create(c);
        if (!get) {
            api_fail(c, 405, "Method not allowed", "use GET or POST");
            return http_add_header(c->resp, "Allow", "GET, POST");
        }
        if (api_check_params(c, list_params))
            return;
        struct rfi_filter f = {.box = api_param(c, "box"), .status = api_param(c, "status")};
        static const char *const statuses[] = {"open",      "acknowledged", "answered", "declined",
                                               "withdrawn", "closed",       "overdue",  NULL};
        bool ok = !f.status;
        for (const char *const *s = statuses; f.status && *s; s++)
            ok |= !strcmp(*s, f.status);
        if (!ok || (f.box && strcmp(f.box, "incoming") && strcmp(f.box, "outgoing")))
            return (void)api_fail(c, 400, "Bad request", "unknown box or status");
        struct audit_ticket *t; /* what a partner is shown goes on record first */
        if (api_ticket(c, &t))
            return;
        dbuf_puts(&c->resp->body, "{\"rfis\":");
        if (rfi_list_json(c->api->store, c->who, &f, c->req->arena, t, &c->resp->body, &err))
            return (void)api_fail_err(c, &err);
        dbuf_puts(&c->resp->body, "}");
        return answer_json(c, 200);
    }
    const char *id = seg[2];
    if (!stix_is_valid_id(id, strlen(id)) || strncmp(id, "liaison-rfi--", 13) != 0 || nseg > 4)
        return (void)api_fail(c, 404, "Not found", "no such request");
    if (api_check_params(c, no_params))
        return;
    if (nseg == 3) {
        if (!get) {
            api_fail(c, 405, "Method not allowed", "use GET");
            return http_add_header(c->resp, "Allow", "GET");
        }
        struct audit_ticket *t;
        if (api_ticket(c, &t))
            return;
        if (rfi_show_json(c->api->store, c->who, id, c->req->arena, t, &c->resp->body, &err))
            return (void)api_fail_err(c, &err);
        return answer_json(c, 200);
    }
    if (!post) {
        api_fail(c, 405, "Method not allowed", "use POST");
        return http_add_header(c->resp, "Allow", "POST");
    }
    static const char *const verbs[] = {"ack",      "answer", "decline", "amend",
                                        "withdraw", "close",  NULL};
    for (const char *const *v = verbs; *v; v++)
        if (!strcmp(*v, seg[3]))
            return act(c, id, *v);
    api_fail(c, 404, "Not found",
             "no such action; use ack, answer, decline, amend, withdraw or close");
}
