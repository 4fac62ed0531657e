/*
 * The TAXII 2.1 client of pull and push, over libcurl.
 *
 * Every answer is bounded (o->max_response, the transfer is cut beyond it),
 * every request has a connect timeout and a total timeout, TLS peers are
 * verified (against --ca when given), redirects are not followed (a bearer
 * token must not travel to another host), and only http and https are
 * spoken. 429, 5xx, timeouts and network faults are retried with a doubling
 * backoff (Retry-After wins when the peer gives one); when the attempts run
 * out the error says what the last one was. The login is a bearer token (the
 * Authorization header lives only in the curl header list) or HTTP Basic
 * (user and password handed to curl, never to a URL): neither is logged or
 * put in a message. A peer's own timeouts (peer add --timeout,
 * --connect-timeout) win over the run's defaults.
 */
#include "exchange/exchange_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

void exchange_opts_defaults(struct exchange_opts *o)
{
    memset(o, 0, sizeof *o);
    o->connect_timeout_s = 10;
    o->timeout_s = 120;
    o->retries = 5;
    o->backoff_ms = 500;
    o->max_response = 256u * 1024 * 1024;
    o->page = 1000;
}

static size_t on_body(char *ptr, size_t size, size_t n, void *ud)
{
    struct xc_resp *r = ud;
    return dbuf_append(&r->body, ptr, size * n) ? 0 : size * n;
}

static void header_value(const char *line, size_t n, const char *name, char *out, size_t outlen)
{
    size_t k = strlen(name);
    if (n <= k + 1 || strncasecmp(line, name, k) != 0 || line[k] != ':')
        return;
    const char *v = line + k + 1;
    const char *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    size_t len = (size_t)(end - v);
    if (len >= outlen)
        len = outlen - 1;
    memcpy(out, v, len);
    out[len] = '\0';
}

static size_t on_header(char *line, size_t size, size_t n, void *ud)
{
    struct xc_resp *r = ud;
    size_t len = size * n;
    char retry[32] = "";
    header_value(line, len, "Content-Type", r->content_type, sizeof r->content_type);
    header_value(line, len, "X-TAXII-Date-Added-Last", r->added_last, sizeof r->added_last);
    header_value(line, len, "Retry-After", retry, sizeof retry);
    header_value(line, len, "WWW-Authenticate", r->www_auth, sizeof r->www_auth);
    header_value(line, len, AUDIT_CHECKPOINT_HEADER, r->checkpoint, sizeof r->checkpoint);
    int64_t v;
    if (retry[0] && lia_parse_i64(retry, strlen(retry), 0, 3600, &v) == 0)
        r->retry_after = (long)v;
    return len;
}

int xc_open(const struct store_peer *peer, const struct exchange_opts *o, struct xc_client *c,
            struct lia_err *err)
{
    memset(c, 0, sizeof *c);
    c->peer = peer;
    c->o = o;
    c->curl = curl_easy_init();
    if (!c->curl)
        return lia_err_set(err, LIA_ENOMEM, "cannot start the HTTP client");
    struct curl_slist *h = curl_slist_append(NULL, "Accept: " XC_TAXII);
    if (h && peer->token && !peer->basic_user) {
        struct dbuf auth;
        dbuf_init(&auth, 8192);
        if (dbuf_printf(&auth, "Authorization: Bearer %s", peer->token) == 0)
            h = curl_slist_append(h, auth.ptr);
        if (auth.ptr)
            sodium_memzero(auth.ptr, auth.len);
        dbuf_release(&auth);
    }
    c->get_headers = h;
    struct curl_slist *p = NULL;
    for (struct curl_slist *i = h; i; i = i->next)
        p = curl_slist_append(p, i->data);
    c->post_headers = p ? curl_slist_append(p, "Content-Type: " XC_TAXII) : NULL;
    if (!c->get_headers || !c->post_headers) {
        xc_close(c);
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    }
    CURL *k = c->curl;
    curl_easy_setopt(k, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(k, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(k, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(k, CURLOPT_CONNECTTIMEOUT,
                     peer->connect_timeout_s ? (long)peer->connect_timeout_s
                                             : o->connect_timeout_s);
    curl_easy_setopt(k, CURLOPT_TIMEOUT, peer->timeout_s ? (long)peer->timeout_s : o->timeout_s);
    if (peer->basic_user) {
        /* curl keeps its own copies; sent on every request (no challenge round trip), never on
         * a redirect (not followed). */
        curl_easy_setopt(k, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(k, CURLOPT_USERNAME, peer->basic_user);
        curl_easy_setopt(k, CURLOPT_PASSWORD, peer->token ? peer->token : "");
    }
    curl_easy_setopt(k, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(k, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(k, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(k, CURLOPT_USERAGENT, "liaison/" LIAISON_VERSION);
    if (peer->ca)
        curl_easy_setopt(k, CURLOPT_CAINFO, peer->ca);
    if (peer->client_cert)
        curl_easy_setopt(k, CURLOPT_SSLCERT, peer->client_cert);
    if (peer->client_key)
        curl_easy_setopt(k, CURLOPT_SSLKEY, peer->client_key);
    curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(k, CURLOPT_HEADERFUNCTION, on_header);
    return 0;
}

void xc_close(struct xc_client *c)
{
    if (c->curl)
        curl_easy_cleanup(c->curl);
    curl_slist_free_all(c->get_headers);
    curl_slist_free_all(c->post_headers);
    free(c->root);
    memset(c, 0, sizeof *c);
}

void xc_resp_release(struct xc_resp *r)
{
    dbuf_release(&r->body);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static bool transient(CURLcode cc)
{
    switch (cc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_COULDNT_RESOLVE_HOST:
        return true;
    default:
        return false;
    }
}

static int request(struct xc_client *c, const char *url, const char *body, size_t len,
                   struct curl_slist *post_headers, struct xc_resp *r, struct lia_err *err);

int xc_request(struct xc_client *c, const char *url, const char *body, size_t len,
               struct xc_resp *r, struct lia_err *err)
{
    struct curl_slist *with_cp = NULL; /* the POST headers and our checkpoint */
    if (body && c->send_cp[0]) {
        for (struct curl_slist *i = c->post_headers; i; i = i->next)
            with_cp = curl_slist_append(with_cp, i->data);
        char h[AUDIT_CHECKPOINT_MAX + 64];
        snprintf(h, sizeof h, AUDIT_CHECKPOINT_HEADER ": %s", c->send_cp);
        with_cp = with_cp ? curl_slist_append(with_cp, h) : NULL;
    }
    int rc = request(c, url, body, len, with_cp ? with_cp : c->post_headers, r, err);
    if (with_cp) {
        for (struct curl_slist *i = with_cp; i; i = i->next) /* the token is in it */
            sodium_memzero(i->data, strlen(i->data));
        curl_slist_free_all(with_cp);
    }
    if (rc == 0 && r->checkpoint[0])
        memcpy(c->received_cp, r->checkpoint, sizeof c->received_cp);
    return rc;
}

static int request(struct xc_client *c, const char *url, const char *body, size_t len,
                   struct curl_slist *post_headers, struct xc_resp *r, struct lia_err *err)
{
    CURL *k = c->curl;
    curl_easy_setopt(k, CURLOPT_URL, url);
    curl_easy_setopt(k, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(k, CURLOPT_HEADERDATA, r);
    if (body) {
        curl_easy_setopt(k, CURLOPT_HTTPHEADER, post_headers);
        curl_easy_setopt(k, CURLOPT_POST, 1L);
        curl_easy_setopt(k, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(k, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    } else {
        curl_easy_setopt(k, CURLOPT_HTTPHEADER, c->get_headers);
        curl_easy_setopt(k, CURLOPT_HTTPGET, 1L);
    }
    long wait = c->o->backoff_ms > 0 ? c->o->backoff_ms : 500;
    char last[300] = "";
    for (int attempt = 0;; attempt++) {
        dbuf_init(&r->body, c->o->max_response);
        r->status = 0;
        r->content_type[0] = r->added_last[0] = r->www_auth[0] = r->checkpoint[0] = '\0';
        r->retry_after = -1;
        CURLcode cc = curl_easy_perform(k);
        bool retry = false;
        if (cc == CURLE_OK) {
            curl_easy_getinfo(k, CURLINFO_RESPONSE_CODE, &r->status);
            if (r->status != 429 && r->status < 500)
                return 0;
            snprintf(last, sizeof last, "it answered HTTP %ld", r->status);
            retry = true;
        } else if (cc == CURLE_WRITE_ERROR) {
            xc_resp_release(r);
            return lia_err_set(err, LIA_EIO, "peer %s: answer larger than %zu bytes from %s",
                               c->peer->name, c->o->max_response, url);
        } else if (cc == CURLE_OPERATION_TIMEDOUT) {
            long t = c->peer->timeout_s ? (long)c->peer->timeout_s : c->o->timeout_s;
            snprintf(last, sizeof last,
                     "no complete answer within %ld s (a slow peer: give it a longer --timeout)",
                     t);
            retry = true;
        } else {
            snprintf(last, sizeof last, "%s", curl_easy_strerror(cc));
            retry = transient(cc);
        }
        if (!retry || attempt >= c->o->retries) {
            xc_resp_release(r);
            if (!retry)
                return lia_err_set(err, LIA_EIO, "peer %s: %s (%s)", c->peer->name, last, url);
            return lia_err_set(err, LIA_EIO, "peer %s: gave up after %d attempts: %s (%s)",
                               c->peer->name, attempt + 1, last, url);
        }
        long ms = r->retry_after >= 0 ? r->retry_after * 1000 : wait;
        if (ms > 60000)
            ms = 60000;
        lia_log(LIA_LOG_WARN, "exchange.retry", "\"peer\":\"%s\",\"attempt\":%d,\"wait_ms\":%ld",
                c->peer->name, attempt + 1, ms);
        xc_resp_release(r);
        sleep_ms(ms);
        wait = wait * 2 > 30000 ? 30000 : wait * 2;
    }
}

bool xc_media_ok(const char *ct, bool stix_ok)
{
    char t[160] = ""; /* zeroed: t[k] below is read only after strncmp matched k bytes */
    size_t n = 0;
    for (const char *p = ct; *p && n + 1 < sizeof t; p++)
        if (*p != ' ' && *p != '\t')
            t[n++] = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
    t[n] = '\0';
    static const char *const ok[] = {"application/taxii+json;version=2.1", "application/taxii+json",
                                     "application/stix+json;version=2.1", "application/stix+json"};
    for (size_t i = 0; i < 4; i++) {
        if (i >= 2 && !stix_ok)
            break;
        size_t k = strlen(ok[i]);
        if (!strncmp(t, ok[i], k) && (t[k] == '\0' || (i % 2 == 0 && t[k] == ';') ||
                                      (i % 2 == 1 && t[k] == ';' && !strstr(t + k, "version="))))
            return true;
    }
    return false;
}

int xc_http_error(struct xc_client *c, const char *what, const struct xc_resp *r,
                  struct lia_err *err)
{
    json_t *j = r->body.ptr ? json_loadb(r->body.ptr, r->body.len, 0, NULL) : NULL;
    const char *title = json_string_value(json_object_get(j, "title"));
    const char *desc = json_string_value(json_object_get(j, "description"));
    int code = r->status == 404                       ? LIA_ENOTFOUND
               : r->status == 401 || r->status == 403 ? LIA_EFORBIDDEN
                                                      : LIA_EIO;
    char login[300] = "";
    if (r->status == 401) {
        /* Name the login the peer asked for, and the one we presented. */
        size_t n = strcspn(r->www_auth, " ,");
        const char *ours = c->peer->basic_user ? "HTTP Basic"
                           : c->peer->token    ? "a bearer token"
                                               : "a client certificate";
        if (r->www_auth[0])
            snprintf(login, sizeof login,
                     " (the peer asks for %.*s login: WWW-Authenticate: %.150s; we presented %s%s)",
                     (int)n, r->www_auth, r->www_auth, ours,
                     !strncasecmp(r->www_auth, "Basic", 5) && !c->peer->basic_user
                         ? ": add the peer with --basic USER"
                         : "");
        else
            snprintf(login, sizeof login,
                     " (the peer names no login method: no WWW-Authenticate; we presented %s)",
                     ours);
    }
    lia_err_set(err, code, "peer %s: %s: HTTP %ld%s%.100s%s%.300s%s", c->peer->name, what,
                r->status, title ? " " : "", title ? title : "", desc ? ": " : "", desc ? desc : "",
                login);
    json_decref(j);
    return code;
}

int xc_get_json(struct xc_client *c, const char *url, json_t **out, struct lia_err *err)
{
    struct xc_resp r;
    int rc = xc_request(c, url, NULL, 0, &r, err);
    if (rc)
        return rc;
    if (r.status != 200) {
        rc = xc_http_error(c, url, &r, err);
    } else if (!xc_media_ok(r.content_type, false)) {
        rc = lia_err_set(err, LIA_EIO, "peer %s: %s answered Content-Type '%.80s', not TAXII 2.1",
                         c->peer->name, url, r.content_type);
    } else {
        json_error_t je;
        *out = json_loadb(r.body.ptr ? r.body.ptr : "", r.body.len, JSON_REJECT_DUPLICATES, &je);
        if (!json_is_object(*out)) {
            json_decref(*out);
            *out = NULL;
            rc = lia_err_set(err, LIA_EIO,
                             "peer %s: %s answered something that is not a JSON "
                             "object",
                             c->peer->name, url);
        }
    }
    xc_resp_release(&r);
    return rc;
}

int xc_escape(struct dbuf *url, const char *s)
{
    char *e = curl_easy_escape(NULL, s, 0);
    if (!e)
        return LIA_ENOMEM;
    int rc = dbuf_puts(url, e);
    curl_free(e);
    return rc;
}

static char *with_slash(const char *base, const char *tail)
{
    struct dbuf b;
    dbuf_init(&b, 8192);
    int rc = dbuf_puts(&b, base);
    if (!rc && tail) {
        if (b.len && b.ptr[b.len - 1] != '/')
            rc = dbuf_puts(&b, "/");
        rc = rc ? rc : dbuf_puts(&b, tail);
    }
    if (!rc && (!b.len || b.ptr[b.len - 1] != '/'))
        rc = dbuf_puts(&b, "/");
    size_t len;
    char *s = rc ? NULL : dbuf_detach(&b, &len);
    dbuf_release(&b);
    return s;
}

/* Resolves an api_roots entry (absolute URL or path) against the discovery URL. */
char *xc_resolve(const char *discovery, const char *ref)
{
    if (!strncmp(ref, "http://", 7) || !strncmp(ref, "https://", 8))
        return with_slash(ref, NULL);
    if (ref[0] == '/') {
        const char *p = strstr(discovery, "://");
        const char *slash = p ? strchr(p + 3, '/') : NULL;
        size_t n = slash ? (size_t)(slash - discovery) : strlen(discovery);
        struct dbuf b;
        dbuf_init(&b, 8192);
        int rc = dbuf_append(&b, discovery, n);
        rc = rc ? rc : dbuf_puts(&b, ref);
        size_t len;
        char *s = rc ? NULL : dbuf_detach(&b, &len);
        dbuf_release(&b);
        if (!s)
            return NULL;
        char *r = with_slash(s, NULL);
        free(s);
        return r;
    }
    return with_slash(discovery, ref);
}

int xc_find_root(struct xc_client *c, struct lia_err *err)
{
    const struct store_peer *p = c->peer;
    if (p->api_root) {
        c->root = xc_resolve(p->url, p->api_root);
        return c->root ? 0 : lia_err_set(err, LIA_ENOMEM, "out of memory");
    }
    json_t *d = NULL;
    int rc = xc_get_json(c, p->url, &d, err);
    if (rc)
        return rc;
    const char *def = json_string_value(json_object_get(d, "default"));
    json_t *roots = json_object_get(d, "api_roots");
    if (!def && json_is_array(roots) && json_array_size(roots) > 0)
        def = json_string_value(json_array_get(roots, 0));
    if (def)
        c->root = xc_resolve(p->url, def);
    else if (json_object_get(d, "max_content_length"))
        c->root = with_slash(p->url, NULL); /* the URL was an API root already */
    json_decref(d);
    if (!c->root)
        return lia_err_set(err, LIA_EIO,
                           "peer %s: discovery at %s names no API root (give --api-root)", p->name,
                           p->url);
    return 0;
}

void xc_keep_witness(struct xc_client *c, struct store *s, const struct store_partner *partner)
{
    if (!c->received_cp[0])
        return;
    struct lia_err err;
    lia_err_clear(&err);
    if (audit_witness_keep(s, partner, c->received_cp, &err) != 0)
        lia_log(LIA_LOG_WARN, "witness_refused", "\"peer\":\"%s\",\"why\":\"%s\"", c->peer->name,
                err.msg);
}

void xc_send_checkpoint(struct xc_client *c, struct store *s)
{
    struct arena a;
    arena_init(&a, 0);
    char *line = NULL;
    c->send_cp[0] = '\0';
    if (audit_checkpoint_current(s, &a, &line, NULL) == 0 && strlen(line) < sizeof c->send_cp)
        memcpy(c->send_cp, line, strlen(line) + 1);
    arena_release(&a);
}
