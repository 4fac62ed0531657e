/*
 * TAXII error messages (TAXII 2.1 section 3.6.1): the one place where a
 * failure becomes an HTTP status and a JSON body. Internal details (store
 * messages, paths) are logged, never sent to the client.
 */
#include "api/api_int.h"

#include <stdio.h>
#include <string.h>

int(api_fail)(struct api_call *c, int status, const char *title, const char *fmt, ...)
{
    char desc[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(desc, sizeof desc, fmt, ap);
    va_end(ap);
    if (status == 500 && c->req->arena && c->req->arena->refused) {
        /* The request outgrew request_memory: its size is at fault, not the server. */
        status = 413;
        title = "Too large";
        snprintf(desc, sizeof desc,
                 "the request needs more memory than request_memory (%zu bytes) allows",
                 c->req->arena->max);
    }
    struct dbuf *b = &c->resp->body;
    dbuf_reset(b);
    char code[8];
    snprintf(code, sizeof code, "%d", status);
    int rc = dbuf_puts(b, "{\"title\":");
    if (!rc)
        rc = dbuf_json_string(b, title, strlen(title));
    if (!rc)
        rc = dbuf_puts(b, ",\"description\":");
    if (!rc)
        rc = dbuf_json_string(b, desc, strlen(desc));
    if (!rc)
        rc = dbuf_printf(b, ",\"http_status\":\"%d\"}", status);
    if (rc) { /* never half a message: this one fits any response limit worth having */
        dbuf_reset(b);
        dbuf_printf(b, "{\"title\":\"Error\",\"description\":\"-\",\"http_status\":\"%d\"}",
                    status);
    }
    c->resp->status = status;
    c->resp->content_type = TAXII_MEDIA;
    if (status == 401) {
        http_add_header(c->resp, "WWW-Authenticate", "Bearer realm=\"liaison\"");
        http_add_header(c->resp, "WWW-Authenticate", "Basic realm=\"liaison\"");
    }
    return -1;
}

int api_fail_refused(struct api_call *c, int status, const char *reason)
{
    const char *title = "Refused";
    switch (status) {
    case 400:
        title = "Bad request";
        break;
    case 413:
        title = "Too large";
        break;
    case 414:
        title = "URI too long";
        break;
    case 431:
        title = "Request header fields too large";
        break;
    case 501:
        title = "Not implemented";
        break;
    case 505:
        title = "HTTP version not supported";
        break;
    }
    return api_fail(c, status, title, "%s", reason ? reason : "the request was refused");
}

int api_fail_err(struct api_call *c, const struct lia_err *err)
{
    switch (err->code) {
    case LIA_EINVAL:
    case STIX_EJSON:
        return api_fail(c, 400, "Bad request", "%s", err->msg);
    case STIX_EINVALID:
    case STIX_EVERSION:
        return api_fail(c, 422, "Unprocessable content", "%s", err->msg);
    case LIA_ETOOBIG:
        return api_fail(c, 413, "Too large", "%s", err->msg);
    case LIA_ENOTFOUND:
        return api_fail(c, 404, "Not found", "%s", err->msg);
    case LIA_EFORBIDDEN:
        return api_fail(c, 403, "Forbidden", "%s", err->msg);
    case LIA_EUNAUTH:
        return api_fail(c, 401, "Unauthorized", "%s", err->msg);
    case LIA_EBUSY:
        /* the store unreachable, or a lock held too long: the access log names which */
        c->resp->cause = arena_strndup(c->req->arena, err->msg, strlen(err->msg));
        http_add_header(c->resp, "Retry-After", API_BUSY_RETRY_AFTER);
        return api_fail(c, 503, "Busy", "the server is busy; try again shortly");
    case LIA_ENOSPC:
        /* Nothing of the request was committed (the transaction failed whole); the server
         * recovers by itself once space is freed. */
        lia_log(LIA_LOG_ERROR, "disk_full", "\"status\":%d", 507);
        http_add_header(c->resp, "Retry-After", "60");
        return api_fail(c, 507, "Insufficient storage",
                        "the server's disk is full: nothing of this request was stored; try "
                        "again once space has been freed");
    default: {
        struct dbuf m;
        dbuf_init(&m, 2048);
        dbuf_json_string(&m, err->msg, strlen(err->msg));
        lia_log(LIA_LOG_ERROR, "request_failed", "\"error\":%s", m.ptr ? m.ptr : "\"\"");
        c->resp->cause = arena_strndup(c->req->arena, err->msg, strlen(err->msg));
        dbuf_release(&m);
        return api_fail(c, 500, "Internal error", "the server could not complete the request");
    }
    }
}
