/*
 * Whole answers kept apart from the request that made them: by the response
 * cache (rcache.c), to send again, and by the read-ahead (readahead.c), made
 * before their request came. Both find them under the same key, a hash of
 * everything a TAXII GET's answer is made from.
 */
#include "pipeline/pipeline_int.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

static void hash_field(crypto_generichash_state *st, const char *s)
{
    uint64_t n = s ? strlen(s) : UINT64_MAX; /* absent differs from empty */
    crypto_generichash_update(st, (const unsigned char *)&n, sizeof n);
    if (s)
        crypto_generichash_update(st, (const unsigned char *)s, (size_t)n);
}

void pipeline_request_key(uint64_t instance, const struct http_request *req, unsigned char key[32])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, (const unsigned char *)&instance, sizeof instance);
    hash_field(&st, req->path);
    /* Parameters in the order of their names: a client that puts next= first asks for the
     * same page as one that puts it last (a repeated name is refused before any answer is
     * kept, so names are unique here; ties keep their order all the same). */
    size_t n = req->n_params < HTTP_MAX_PARAMS ? req->n_params : HTTP_MAX_PARAMS;
    size_t order[HTTP_MAX_PARAMS];
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        while (j > 0 && strcmp(req->params[order[j - 1]].key, req->params[i].key) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    uint64_t count = n;
    crypto_generichash_update(&st, (const unsigned char *)&count, sizeof count);
    for (size_t i = 0; i < n; i++) {
        hash_field(&st, req->params[order[i]].key);
        hash_field(&st, req->params[order[i]].value);
    }
    hash_field(&st, http_header(req, "Accept"));
    hash_field(&st, http_header(req, "Authorization"));
    hash_field(&st, req->client_cert_fingerprint);
    hash_field(&st, req->client_cert_subject);
    crypto_generichash_final(&st, key, 32);
}

/* Copies s into the block at *at. */
static const char *put(char **at, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    memcpy(*at, s, n);
    const char *r = *at;
    *at += n;
    return r;
}

static size_t len0(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

size_t pipeline_answer_size(const struct pipeline_call *c, bool take)
{
    const struct http_response *resp = c->resp;
    const char *next = take ? c->next : NULL;
    size_t need = sizeof(struct pipeline_answer) + resp->body.len + len0(resp->content_type) +
                  len0(c->who.actor) + len0(c->who.token_id) + len0(c->who.name) + len0(next) +
                  (take ? audit_ticket_size(&c->ticket) : 0);
    for (size_t i = 0; i < resp->n_headers; i++)
        need += len0(resp->header_names[i]) + len0(resp->header_values[i]);
    return need;
}

struct pipeline_answer *pipeline_answer_pack(struct pipeline_call *c, bool take)
{
    struct http_response *resp = c->resp;
    bool take_body = take;
    const char *next = take ? c->next : NULL;
    size_t need = pipeline_answer_size(c, take);
    size_t body_len = resp->body.len, ticket = take ? audit_ticket_size(&c->ticket) : 0;
    struct pipeline_answer *a = malloc(take_body ? need - body_len - ticket : need);
    char *owned = NULL;
    if (a && take_body && !(owned = dbuf_detach(&resp->body, &body_len))) {
        free(a);
        a = NULL;
    }
    if (!a)
        return NULL;
    memset(a, 0, sizeof *a);
    char *at = (char *)(a + 1);
    a->size = need; /* the body counts, wherever it lies */
    a->status = resp->status;
    if (owned) {
        a->owned_body = owned;
        a->body = owned;
    } else {
        a->body = at;
        if (body_len)
            memcpy(at, resp->body.ptr, body_len);
        at += body_len;
    }
    a->body_len = body_len;
    a->content_type = put(&at, resp->content_type);
    a->n_headers = resp->n_headers;
    for (size_t i = 0; i < resp->n_headers; i++) {
        a->names[i] = put(&at, resp->header_names[i]);
        a->values[i] = put(&at, resp->header_values[i]);
    }
    a->actor = put(&at, c->who.actor);
    a->token_id = put(&at, c->who.token_id);
    a->name = put(&at, c->who.name);
    a->partner = c->who.partner;
    a->expires_us = c->who.expires;
    a->next = put(&at, next);
    if (take) { /* the ticket goes with the body: they are one answer made ahead */
        a->ticket = c->ticket;
        memset(&c->ticket, 0, sizeof c->ticket);
    }
    return a;
}

void pipeline_answer_free(struct pipeline_answer *a)
{
    if (!a)
        return;
    audit_ticket_release(&a->ticket);
    free(a->owned_body);
    free(a);
}

void pipeline_answer_who(struct pipeline_call *c, const struct pipeline_answer *a)
{
    memset(&c->who, 0, sizeof c->who);
    c->who.actor = a->actor;
    c->who.token_id = a->token_id;
    c->who.name = a->name;
    c->who.partner = a->partner;
    c->who.expires = a->expires_us;
}

/* s, or its copy in the request's arena when the answer goes before the response is sent. */
static const char *keep(struct pipeline_call *c, const char *s, bool copy, bool *oom)
{
    if (!copy || !s)
        return s;
    char *d = arena_strndup(c->req->arena, s, strlen(s));
    *oom |= d == NULL;
    return d;
}

int pipeline_answer_replay(struct pipeline_call *c, struct pipeline_answer *a, bool last)
{
    struct http_response *resp = c->resp;
    bool oom = false;
    const char *type = keep(c, a->content_type, last, &oom);
    const char *names[HTTP_MAX_RESP_HEADERS], *values[HTTP_MAX_RESP_HEADERS];
    for (size_t i = 0; i < a->n_headers; i++) {
        names[i] = keep(c, a->names[i], last, &oom);
        values[i] = keep(c, a->values[i], last, &oom);
    }
    if (!oom && last && a->owned_body && resp->body.len == 0) {
        /* Its last use: the response takes the body over instead of a copy of it. */
        dbuf_release(&resp->body);
        resp->body.ptr = a->owned_body;
        resp->body.len = resp->body.cap = a->body_len;
        a->owned_body = NULL;
        a->body = NULL;
    } else if (!oom && a->body_len) {
        oom = dbuf_append(&resp->body, a->body, a->body_len) != 0;
    }
    if (oom)
        return LIA_ENOMEM;
    resp->status = a->status;
    resp->content_type = type;
    for (size_t i = 0; i < a->n_headers; i++)
        http_add_header(resp, names[i], values[i]);
    return 0;
}
