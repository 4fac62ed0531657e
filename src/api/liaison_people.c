/*
 * People and four-eyes release over the API (docs/people.md):
 *
 *   POST /liaison/signin            {"name", "password", "totp"?} or, the first time,
 *                                   {"name", "code", "new_password", "totp"?}
 *                                   -> {"token", "expires", "name", "role"}
 *   GET  /liaison/releases          ?state=pending (default) | approved | rejected | all
 *   POST /liaison/releases/KEY/approve   {"reason"?}
 *   POST /liaison/releases/KEY/reject    {"reason"}
 *   GET  /liaison/review            ?collection=C&all=true: the review queue
 *   POST /liaison/review/COLL/ID/extend  {"days", "reason"}: review date moved to now + days
 *   POST /liaison/review/COLL/ID/delete  {"reason"}: revoked (ours) or our copy deleted
 *
 * Sign-in needs no token (it makes one) and runs outside the pipeline: it reads no object.
 * Its failures count against the client address like any failed authentication, and against
 * the person (access/person.c: a lock after signin_max_failures, on record). The releases
 * are for this instance's own people: a partner is answered 404, as for any path it may not
 * know. Decisions need a person's token (a session), never the automation token.
 */
#include "api/api_int.h"
#include "ingest/ingest.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

static void answer_json(struct api_call *c, int status)
{
    c->resp->status = status;
    c->resp->content_type = "application/json";
    http_add_header(c->resp, "Cache-Control", "no-store");
}

/* The errors of this file that api_fail_err words for other uses: a decided release is a
 * conflict, a locked person is told to wait (as the address throttle does). */
static int fail(struct api_call *c, const struct lia_err *err)
{
    if (err->code == LIA_ECONFLICT)
        return api_fail(c, 409, "Conflict", "%s", err->msg);
    if (err->code == LIA_EBUSY) {
        http_add_header(c->resp, "Retry-After",
                        arena_printf(c->req->arena, "%zu", c->api->cfg.signin_lockout_seconds));
        return api_fail(c, 429, "Too many requests", "%s", err->msg);
    }
    return api_fail_err(c, err);
}

/* The body as a JSON object (*out), or an answer and -1. */
static int json_body(struct api_call *c, json_t **out)
{
    *out = NULL;
    const char *ct = http_header(c->req, "Content-Type");
    if (!ct || strncmp(ct, "application/json", 16) != 0)
        return api_fail(c, 415, "Unsupported media type", "send the body as application/json");
    struct lia_err err;
    lia_err_clear(&err);
    if (stix_parse_json(c->req->body ? c->req->body : "", c->req->body_len, &c->api->cfg.stix, out,
                        &err))
        return api_fail_err(c, &err);
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return api_fail(c, 400, "Bad request", "the body must be a JSON object");
    }
    return 0;
}

/* A text member (NULL when absent); an answer and -1 when it is not a text. */
static int member(struct api_call *c, json_t *o, const char *key, const char **out)
{
    json_t *v = json_object_get(o, key);
    *out = json_is_string(v) ? json_string_value(v) : NULL;
    if (v && !json_is_string(v) && !json_is_null(v))
        return api_fail(c, 422, "Unprocessable request", "%s must be a text", key);
    return 0;
}

void api_liaison_signin(struct api_call *c)
{
    if (strcmp(c->req->method, "POST") != 0) {
        api_fail(c, 405, "Method not allowed", "use POST");
        http_add_header(c->resp, "Allow", "POST");
        return;
    }
    if (api_auth_blocked_or_reply(c))
        return;
    json_t *body;
    if (json_body(c, &body))
        return;
    const struct api_config *cfg = &c->api->cfg;
    struct access_signin in = {
        .session_us = (int64_t)cfg->session_minutes * 60 * 1000000,
        .max_failures = (int)cfg->signin_max_failures,
        .lockout_us = (int64_t)cfg->signin_lockout_seconds * 1000000,
    };
    if (member(c, body, "name", &in.name) || member(c, body, "password", &in.password) ||
        member(c, body, "totp", &in.totp) || member(c, body, "code", &in.code) ||
        member(c, body, "new_password", &in.new_password)) {
        json_decref(body);
        return;
    }
    if (!in.name || (!in.password && !in.code) || (in.code && !in.new_password)) {
        json_decref(body);
        api_fail(c, 400, "Bad request",
                 "give name and password (and totp when enrolled), or, the first time, name, "
                 "code and new_password");
        return;
    }
    char token[ACCESS_TOKEN_MAX];
    struct store_person who;
    struct lia_err err;
    lia_err_clear(&err);
    int rc = access_signin(c->api->store, &in, c->req->arena, token, &who, &err);
    json_decref(body); /* held the password */
    if (rc) {
        if (rc == LIA_EUNAUTH || rc == LIA_EBUSY)
            api_auth_failed(c);
        fail(c, &err);
        return;
    }
    struct dbuf *b = &c->resp->body;
    char expires[40];
    lia_format_ts(lia_now_us() + in.session_us, 3, expires);
    dbuf_printf(b, "{\"token\":\"%s\",\"expires\":\"%s\",\"name\":", token, expires);
    dbuf_json_string(b, who.name, strlen(who.name));
    dbuf_printf(b, ",\"role\":\"%s\"}", access_role_name(who.role));
    sodium_memzero(token, sizeof token);
    answer_json(c, 200);
}

static const char *state_name(int s)
{
    return s == STORE_RELEASE_APPROVED   ? "approved"
           : s == STORE_RELEASE_REJECTED ? "rejected"
                                         : "pending";
}

static void put_release(struct dbuf *b, const struct store_release *r)
{
    dbuf_printf(b, "{\"key\":%lld,\"first_key\":%lld,\"state\":\"%s\",\"held_from\":\"%s\",",
                (long long)r->obj, (long long)r->first_key, state_name(r->state),
                r->scope == STORE_RELEASE_ALL ? "all" : "four-eyes");
    dbuf_printf(b, "\"tlp\":\"%s\",\"collection\":\"%s\",\"id\":", access_tlp_name(r->tlp),
                r->coll_id);
    dbuf_json_string(b, r->id, strlen(r->id));
    dbuf_printf(b, ",\"type\":\"%s\",\"version\":", r->type);
    if (r->modified)
        dbuf_json_string(b, r->modified, strlen(r->modified));
    else
        dbuf_puts(b, "null");
    dbuf_puts(b, ",\"author\":");
    dbuf_json_string(b, r->author, strlen(r->author));
    dbuf_puts(b, ",\"decided_by\":");
    if (r->decided_by)
        dbuf_json_string(b, r->decided_by, strlen(r->decided_by));
    else
        dbuf_puts(b, "null");
    dbuf_puts(b, ",\"reason\":");
    if (r->reason)
        dbuf_json_string(b, r->reason, strlen(r->reason));
    else
        dbuf_puts(b, "null");
    dbuf_puts(b, "}");
}

static void list(struct api_call *c)
{
    static const char *const params[] = {"state", "limit", NULL};
    if (api_check_params(c, params))
        return;
    const char *st = api_param(c, "state");
    int state = !st || !strcmp(st, "pending") ? STORE_RELEASE_PENDING
                : !strcmp(st, "approved")     ? STORE_RELEASE_APPROVED
                : !strcmp(st, "rejected")     ? STORE_RELEASE_REJECTED
                : !strcmp(st, "all")          ? -1
                                              : -2;
    if (state == -2)
        return (void)api_fail(c, 400, "Bad request", "state is pending, approved, rejected or all");
    int64_t limit = (int64_t)c->api->cfg.max_page_size;
    const char *l = api_param(c, "limit");
    if (l && lia_parse_i64(l, strlen(l), 1, (int64_t)c->api->cfg.max_page_size, &limit))
        return (void)api_fail(c, 400, "Bad request", "limit is a number from 1 to %zu",
                              c->api->cfg.max_page_size);
    struct store_release *r;
    size_t n = 0;
    struct lia_err err;
    lia_err_clear(&err);
    if (store_release_list(c->api->store, state, (size_t)limit, c->req->arena, &r, &n, &err))
        return (void)api_fail_err(c, &err);
    struct dbuf *b = &c->resp->body;
    dbuf_puts(b, "{\"releases\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            dbuf_puts(b, ",");
        put_release(b, &r[i]);
    }
    dbuf_puts(b, "]}");
    answer_json(c, 200);
}

static void decide(struct api_call *c, const char *key_text, bool approve)
{
    int64_t key;
    if (lia_parse_i64(key_text, strlen(key_text), 1, INT64_MAX, &key))
        return (void)api_fail(c, 404, "Not found", "no such release");
    json_t *body = NULL;
    const char *reason = NULL;
    if (c->req->body_len && (json_body(c, &body) || member(c, body, "reason", &reason))) {
        json_decref(body);
        return;
    }
    const struct access_principal *w = c->who;
    struct access_decider who = {w->person, w->person_name, w->role, w->actor, "api"};
    struct store_release r;
    struct lia_err err;
    lia_err_clear(&err);
    int rc =
        access_release_decide(c->api->store, &who, key, approve, reason, c->req->arena, &r, &err);
    json_decref(body);
    if (rc)
        return (void)fail(c, &err);
    put_release(&c->resp->body, &r);
    answer_json(c, 200);
}

static void put_time(struct dbuf *b, const char *key, int64_t us)
{
    char t[40];
    if (us)
        lia_format_ts(us, 3, t);
    dbuf_printf(b, us ? ",\"%s\":\"%s\"" : ",\"%s\":null", key, t);
}

/* Extend or delete one object of the queue, as the person whose session this is (the same
 * rules and records as `liaison review extend|delete --as`, docs/people.md). */
static void review_act(struct api_call *c, const char *coll, const char *id, bool extend)
{
    json_t *body = NULL;
    const char *reason = NULL;
    if (json_body(c, &body) || member(c, body, "reason", &reason)) {
        json_decref(body);
        return;
    }
    json_t *days = json_object_get(body, "days");
    if (extend && (!json_is_integer(days) || json_integer_value(days) < 1 ||
                   json_integer_value(days) > 36500)) {
        json_decref(body);
        return (void)api_fail(c, 422, "Unprocessable request", "days is a number from 1 to 36500");
    }
    const struct access_principal *w = c->who;
    struct access_decider who = {w->person, w->person_name, w->role, w->actor, "api"};
    struct store_policy all = {.all = true, .clearance = STORE_TLP_RED};
    struct store_collection col;
    struct lia_err err;
    lia_err_clear(&err);
    size_t n = 0;
    bool revoked = false;
    int rc = access_decider_check(&who, !extend,
                                  extend ? "extending a review" : "deleting an object", &err);
    rc = rc ? rc : store_collection_get(c->api->store, &all, coll, c->req->arena, &col, &err);
    if (rc == 0 && extend)
        rc = access_review_extend(
            c->api->store, &who, &col, id,
            lia_now_us() + json_integer_value(days) * 86400 * INT64_C(1000000), reason, &err);
    else if (rc == 0)
        rc = ingest_review_remove(c->api->store, w, &who, &col, id, reason, &n, &revoked, &err);
    json_decref(body);
    if (rc)
        return (void)fail(c, &err);
    struct dbuf *b = &c->resp->body;
    dbuf_printf(b, "{\"collection\":\"%s\",\"id\":", col.id);
    dbuf_json_string(b, id, strlen(id));
    dbuf_printf(b, ",\"done\":\"%s\",\"versions\":%zu}",
                extend    ? "extended"
                : revoked ? "revoked"
                          : "deleted",
                n);
    answer_json(c, 200);
}

void api_liaison_review(struct api_call *c, const char **seg, size_t nseg)
{
    static const char *const params[] = {"collection", "all", NULL};
    if (c->who->partner)
        return (void)api_fail(c, 404, "Not found", "no such resource");
    if (nseg == 5 && !strcmp(c->req->method, "POST") &&
        (!strcmp(seg[4], "extend") || !strcmp(seg[4], "delete")))
        return review_act(c, seg[2], seg[3], !strcmp(seg[4], "extend"));
    if (nseg != 2 && !(nseg == 5 && (!strcmp(seg[4], "extend") || !strcmp(seg[4], "delete"))))
        return (void)api_fail(c, 404, "Not found", "no such resource");
    if (nseg == 5) {
        api_fail(c, 405, "Method not allowed", "%s is not allowed here", c->req->method);
        http_add_header(c->resp, "Allow", "POST");
        return;
    }
    if (strcmp(c->req->method, "GET") != 0) {
        api_fail(c, 405, "Method not allowed", "%s is not allowed here", c->req->method);
        http_add_header(c->resp, "Allow", "GET");
        return;
    }
    if (api_check_params(c, params))
        return;
    const char *coll = api_param(c, "collection"), *all = api_param(c, "all");
    if (all && strcmp(all, "true") && strcmp(all, "false"))
        return (void)api_fail(c, 400, "Bad request", "all is true or false");
    struct lia_err err;
    lia_err_clear(&err);
    struct store_collection col = {0};
    if (coll &&
        store_collection_get(c->api->store, &c->who->policy, coll, c->req->arena, &col, &err))
        return (void)api_fail_err(c, &err);
    struct store_review_item *it;
    size_t n = 0;
    int64_t now = lia_now_us();
    if (store_review_queue(c->api->store, col.rid, now, all && !strcmp(all, "true"),
                           c->api->cfg.max_page_size, c->req->arena, &it, &n, &err))
        return (void)api_fail_err(c, &err);
    struct dbuf *b = &c->resp->body;
    dbuf_puts(b, "{\"objects\":[");
    for (size_t i = 0; i < n; i++) {
        dbuf_printf(b, "%s{\"collection\":\"%s\",\"id\":", i ? "," : "", it[i].coll_id);
        dbuf_json_string(b, it[i].id, strlen(it[i].id));
        dbuf_printf(b, ",\"type\":\"%s\"", it[i].type);
        put_time(b, "review_due", it[i].due);
        put_time(b, "retention_limit", it[i].limit);
        dbuf_printf(b, ",\"state\":\"%s\",\"extended_by\":",
                    it[i].limit && it[i].limit <= now ? "at-limit"
                    : it[i].due && it[i].due <= now   ? "due"
                                                      : "kept");
        if (it[i].extended_by)
            dbuf_json_string(b, it[i].extended_by, strlen(it[i].extended_by));
        else
            dbuf_puts(b, "null");
        dbuf_puts(b, "}");
    }
    dbuf_puts(b, "]}");
    answer_json(c, 200);
}

void api_liaison_releases(struct api_call *c, const char **seg, size_t nseg)
{
    if (c->who->partner)
        return (void)api_fail(c, 404, "Not found", "no such resource");
    bool post = !strcmp(c->req->method, "POST");
    if (nseg == 2 && !strcmp(c->req->method, "GET"))
        return list(c);
    if (nseg == 4 && post && (!strcmp(seg[3], "approve") || !strcmp(seg[3], "reject")))
        return decide(c, seg[2], !strcmp(seg[3], "approve"));
    if (nseg == 2 || (nseg == 4 && (!strcmp(seg[3], "approve") || !strcmp(seg[3], "reject")))) {
        api_fail(c, 405, "Method not allowed", "%s is not allowed here", c->req->method);
        http_add_header(c->resp, "Allow", nseg == 2 ? "GET" : "POST");
        return;
    }
    api_fail(c, 404, "Not found", "no such resource");
}
