/*
 * Request checks shared by every endpoint: media types, query parameters,
 * filters and next tokens.
 *
 * A next token is base64url(version | collection | last date_added | scope
 * hash | HMAC). The HMAC key lives in the store, so tokens survive restarts
 * and work on every node that shares the store; the scope hash binds a token
 * to the endpoint and filters it was made for, so a token cannot be replayed
 * against another query, and any edit of it is detected.
 */
#include "api/api_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

/* Media type matching: "type/subtype" with an optional ";version=2.1" (spaces allowed). */
static bool media_matches(const char *v, size_t n, const char *type, bool *any)
{
    while (n && (*v == ' ' || *v == '\t'))
        v++, n--;
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    const char *semi = memchr(v, ';', n);
    size_t tlen = semi ? (size_t)(semi - v) : n;
    while (tlen && v[tlen - 1] == ' ')
        tlen--;
    if (any && ((tlen == 3 && !strncmp(v, "*/*", 3)) ||
                (tlen == 13 && !strncasecmp(v, "application/*", 13)))) {
        *any = true;
        return false;
    }
    if (tlen != strlen(type) || strncasecmp(v, type, tlen) != 0)
        return false;
    if (!semi)
        return true; /* the bare type means the latest version, 2.1 */
    /* Parameters: only version=2.1 is acceptable (q= is allowed in Accept). */
    const char *p = semi + 1, *end = v + n;
    bool version_ok = true;
    while (p < end) {
        const char *next = memchr(p, ';', (size_t)(end - p));
        size_t plen = next ? (size_t)(next - p) : (size_t)(end - p);
        while (plen && *p == ' ')
            p++, plen--;
        while (plen && p[plen - 1] == ' ')
            plen--;
        if (plen >= 8 && !strncasecmp(p, "version=", 8))
            version_ok = plen == 11 && !strncmp(p + 8, "2.1", 3);
        p = next ? next + 1 : end;
    }
    return version_ok;
}

int api_negotiate(struct api_call *c, bool stix_ok)
{
    const char *accept = http_header(c->req, "Accept");
    c->media = TAXII_MEDIA;
    if (!accept || !*accept)
        return 0;
    const char *p = accept;
    bool any = false;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (media_matches(p, n, "application/taxii+json", &any))
            return 0;
        if (stix_ok && media_matches(p, n, "application/stix+json", &any)) {
            c->media = STIX_MEDIA;
            return 0;
        }
        p = comma ? comma + 1 : p + n;
    }
    if (any)
        return 0;
    return api_fail(c, 406, "Not acceptable",
                    "this endpoint answers %s%s; the Accept header allows neither", TAXII_MEDIA,
                    stix_ok ? " or " STIX_MEDIA : "");
}

int api_check_content_type(struct api_call *c)
{
    const char *ct = http_header(c->req, "Content-Type");
    if (ct && (media_matches(ct, strlen(ct), "application/taxii+json", NULL) ||
               media_matches(ct, strlen(ct), "application/stix+json", NULL)))
        return 0;
    return api_fail(c, 415, "Unsupported media type", "send the body as %s (got %s)", TAXII_MEDIA,
                    ct ? ct : "no Content-Type");
}

int api_check_params(struct api_call *c, const char *const *allowed)
{
    if (c->req->too_many_params)
        return api_fail(c, 400, "Bad request", "too many query parameters");
    for (size_t i = 0; i < c->req->n_params; i++) {
        const char *k = c->req->params[i].key;
        bool ok = false;
        for (const char *const *a = allowed; a && *a && !ok; a++)
            ok = !strcmp(*a, k);
        if (!ok)
            return api_fail(c, 400, "Bad request", "unknown query parameter '%.64s'", k);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(c->req->params[j].key, k))
                return api_fail(c, 400, "Bad request",
                                "query parameter '%.64s' is repeated; give several values as one "
                                "comma-separated list",
                                k);
        if (!c->req->params[i].value || !c->req->params[i].value[0])
            return api_fail(c, 400, "Bad request", "query parameter '%.64s' has no value", k);
    }
    return 0;
}

const char *api_param(struct api_call *c, const char *key)
{
    for (size_t i = 0; i < c->req->n_params; i++)
        if (!strcmp(c->req->params[i].key, key))
            return c->req->params[i].value;
    return NULL;
}

/* Splits a comma list into arena strings; refuses empty members and more than max. */
int api_split_list(struct api_call *c, const char *key, const char *v, size_t max, char ***out,
                   size_t *n)
{
    size_t count = 1;
    for (const char *p = v; *p; p++)
        count += *p == ',';
    if (count > max)
        return api_fail(c, 400, "Bad request", "%s has %zu values; at most %zu are allowed", key,
                        count, max);
    char **list = arena_alloc(c->req->arena, count * sizeof *list);
    if (!list)
        return api_fail(c, 413, "Too large", "%s is too long", key);
    size_t i = 0;
    const char *p = v;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == 0)
            return api_fail(c, 400, "Bad request", "%s has an empty value", key);
        list[i++] = arena_strndup(c->req->arena, p, len);
        if (!list[i - 1])
            return api_fail(c, 413, "Too large", "%s is too long", key);
        if (!comma)
            break;
        p = comma + 1;
    }
    *out = list;
    *n = i;
    return 0;
}

static bool valid_spec_version(const char *s)
{
    size_t n = strlen(s), dots = 0;
    if (n == 0 || n > 8 || s[0] == '.' || s[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.')
            dots++;
        else if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return dots == 1;
}

#define NEXT_VERSION 1
#define NEXT_PAYLOAD (1 + 8 + 8 + 16)
#define NEXT_RAW (NEXT_PAYLOAD + crypto_auth_BYTES)

/* Scope hash: the endpoint, the object and every filter except limit and next. */
static void scope_hash(struct api_call *c, int64_t coll, const char *scope, unsigned char out[16])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 16);
    crypto_generichash_update(&st, (const unsigned char *)&coll, sizeof coll);
    crypto_generichash_update(&st, (const unsigned char *)scope, strlen(scope) + 1);
    static const char *const keys[] = {"added_after",    "match[id]",           "match[type]",
                                       "match[version]", "match[spec_version]", NULL};
    for (const char *const *k = keys; *k; k++) {
        const char *v = api_param(c, *k);
        crypto_generichash_update(&st, (const unsigned char *)*k, strlen(*k) + 1);
        if (v)
            crypto_generichash_update(&st, (const unsigned char *)v, strlen(v) + 1);
    }
    crypto_generichash_final(&st, out, 16);
}

static void put_i64(unsigned char *p, int64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)((uint64_t)v & 0xff);
        v = (int64_t)((uint64_t)v >> 8);
    }
}

static int64_t get_i64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return (int64_t)v;
}

char *api_next_token(struct api_call *c, int64_t coll, const char *scope, int64_t last)
{
    unsigned char raw[NEXT_RAW];
    raw[0] = NEXT_VERSION;
    put_i64(raw + 1, coll);
    put_i64(raw + 9, last);
    scope_hash(c, coll, scope, raw + 17);
    crypto_auth(raw + NEXT_PAYLOAD, raw, NEXT_PAYLOAD, c->api->next_key);
    char *out = arena_alloc(c->req->arena, lia_b64url_len(sizeof raw) + 1);
    if (out)
        lia_b64url_encode(raw, sizeof raw, out);
    return out;
}

int api_parse_next(struct api_call *c, int64_t coll, const char *scope, const char *tok,
                   int64_t *after)
{
    unsigned char raw[NEXT_RAW + 4];
    size_t n = strlen(tok);
    long len = n > 2 * NEXT_RAW ? -1 : lia_b64url_decode(tok, n, raw, sizeof raw);
    unsigned char expect[16];
    scope_hash(c, coll, scope, expect);
    if (len != NEXT_RAW || raw[0] != NEXT_VERSION ||
        crypto_auth_verify(raw + NEXT_PAYLOAD, raw, NEXT_PAYLOAD, c->api->next_key) != 0)
        return api_fail(c, 400, "Bad request", "the next token is not valid");
    if (get_i64(raw + 1) != coll || sodium_memcmp(raw + 17, expect, 16) != 0)
        return api_fail(c, 400, "Bad request",
                        "the next token belongs to another query; repeat the same filters");
    *after = get_i64(raw + 9);
    return 0;
}

int api_parse_limit(struct api_call *c, size_t *limit)
{
    const struct api_config *cfg = &c->api->cfg;
    const char *v = api_param(c, "limit");
    int64_t lim;
    *limit = cfg->default_page_size;
    if (v && lia_parse_i64(v, strlen(v), 1, INT64_MAX / 2, &lim) != 0)
        return api_fail(c, 400, "Bad request", "limit must be a positive integer");
    if (v)
        *limit = (size_t)lim > cfg->max_page_size ? cfg->max_page_size : (size_t)lim;
    return 0;
}

int api_parse_types(struct api_call *c, const char *key, const char *v, struct store_filter *f)
{
    char **list;
    size_t n;
    if (api_split_list(c, key, v, c->api->cfg.max_filter_values, &list, &n))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!stix_is_valid_type(list[i], strlen(list[i])))
            return api_fail(c, 400, "Bad request", "%s: '%.100s' is not a STIX type name", key,
                            list[i]);
    f->types = (const char *const *)list;
    f->n_types = n;
    return 0;
}

int api_parse_filter(struct api_call *c, int64_t coll, const char *scope, struct store_filter *f)
{
    memset(f, 0, sizeof *f);
    struct lia_err err;
    lia_err_clear(&err);
    const struct api_config *cfg = &c->api->cfg;
    const char *v;
    size_t max = cfg->max_filter_values;
    if ((v = api_param(c, "added_after"))) {
        int digits;
        if (stix_parse_timestamp(v, strlen(v), &f->added_after, &digits, &err) != 0)
            return api_fail(c, 400, "Bad request", "added_after: %s", err.msg);
    }
    if (api_parse_limit(c, &f->limit))
        return -1;
    char **list;
    size_t n;
    if ((v = api_param(c, "match[id]"))) {
        if (api_split_list(c, "match[id]", v, max, &list, &n))
            return -1;
        for (size_t i = 0; i < n; i++)
            if (!stix_is_valid_id(list[i], strlen(list[i])))
                return api_fail(c, 400, "Bad request", "match[id]: '%.100s' is not a STIX id",
                                list[i]);
        f->ids = (const char *const *)list;
        f->n_ids = n;
    }
    if ((v = api_param(c, "match[type]")) && api_parse_types(c, "match[type]", v, f))
        return -1;
    if ((v = api_param(c, "match[spec_version]"))) {
        if (api_split_list(c, "match[spec_version]", v, max, &list, &n))
            return -1;
        for (size_t i = 0; i < n; i++)
            if (!valid_spec_version(list[i]))
                return api_fail(c, 400, "Bad request",
                                "match[spec_version]: '%.20s' is not a version such as 2.1",
                                list[i]);
        f->spec_versions = (const char *const *)list;
        f->n_spec_versions = n;
    }
    if ((v = api_param(c, "match[version]"))) {
        if (api_split_list(c, "match[version]", v, max, &list, &n))
            return -1;
        int64_t *at = arena_alloc(c->req->arena, n * sizeof *at);
        if (!at)
            return api_fail(c, 413, "Too large", "match[version] is too long");
        for (size_t i = 0; i < n; i++) {
            int digits;
            if (!strcmp(list[i], "last"))
                f->version_sel |= STORE_VER_LAST;
            else if (!strcmp(list[i], "first"))
                f->version_sel |= STORE_VER_FIRST;
            else if (!strcmp(list[i], "all"))
                f->version_sel |= STORE_VER_ALL;
            else if (stix_parse_timestamp(list[i], strlen(list[i]), &at[f->n_version_at++], &digits,
                                          &err) != 0)
                return api_fail(c, 400, "Bad request",
                                "match[version]: '%.64s' is not last, first, all or a timestamp "
                                "(%s)",
                                list[i], err.msg);
        }
        f->version_at = at;
    }
    if ((v = api_param(c, "next")) && api_parse_next(c, coll, scope, v, &f->after_key))
        return -1;
    return 0;
}

char *api_format_ts(struct api_call *c, int64_t us)
{
    char *out = arena_alloc(c->req->arena, 32);
    if (out)
        lia_format_ts(us, 6, out);
    return out;
}

void api_date_headers(struct api_call *c, const struct store_page *page)
{
    if (page->n == 0)
        return;
    http_add_header(c->resp, "X-TAXII-Date-Added-First",
                    api_format_ts(c, page->rows[0].date_added));
    http_add_header(c->resp, "X-TAXII-Date-Added-Last",
                    api_format_ts(c, page->rows[page->n - 1].date_added));
}
