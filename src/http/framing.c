/*
 * Framing checks on a parsed request head: what libmicrohttpd 0.9.75 accepts
 * and a proxy in front of us might frame differently (request smuggling).
 *
 * libmicrohttpd frames a body by Transfer-Encoding when there is one (and
 * ignores Content-Length then), by the first Content-Length otherwise, and
 * reads a body of any other coding until the connection ends. A proxy that
 * frames by Content-Length, or by the last one, would see another request
 * boundary. So, before any body byte is used (server.c calls this when the
 * head is in), the request is refused (400, or 501 for a coding we do not
 * implement) and its connection closed when it has:
 *   - Content-Length together with Transfer-Encoding (RFC 9112 6.1 lets a
 *     server treat this as an error; we do);
 *   - Content-Length more than once, same value or not;
 *   - Transfer-Encoding more than once, or any value but "chunked";
 *   - a header line folded onto the previous one (obsolete line folding,
 *     RFC 9112 5.2: a server may reject it with 400).
 *
 * libmicrohttpd unfolds a folded line without telling anyone. It parses the
 * head in place, in its read buffer: each header's value follows its name in
 * memory, separated by the NUL that replaced the colon and by the spaces it
 * skipped. Folding breaks that: 0.9.75 appends the continuation to a copy of
 * the line made elsewhere in the connection's memory pool and keeps the value
 * pointer into the original line. So a header whose value does not follow
 * its name that way was folded. This reads libmicrohttpd's layout, not a
 * documented promise: test_hostile.py's folding test fails (it would be
 * served) should a later libmicrohttpd unfold in place; libmicrohttpd 1.0
 * can refuse folding itself (MHD_OPTION_CLIENT_DISCIPLINE_LVL 1).
 */
#include "http/http_int.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#define MAX_OWS 4096 /* spaces skipped after a colon that this check walks */

struct head_scan {
    unsigned content_length, transfer_encoding;
    bool folded;
};

/* Whether value sits right after name in one line: name, NUL, optional spaces, value. */
static bool in_place(const char *name, const char *value)
{
    size_t n = strlen(name);
    uintptr_t k = (uintptr_t)name, v = (uintptr_t)value;
    if (v <= k + n || v - (k + n) > 1 + MAX_OWS)
        return false;
    for (const char *p = name + n + 1; p < value; p++)
        if (*p != ' ' && *p != '\t')
            return false;
    return true;
}

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    struct head_scan *h = cls;
    (void)kind;
    if (!key || !value)
        return MHD_YES;
    if (!strcasecmp(key, "Content-Length"))
        h->content_length++;
    else if (!strcasecmp(key, "Transfer-Encoding"))
        h->transfer_encoding++;
    if (!in_place(key, value))
        h->folded = true;
    return MHD_YES;
}

int framing_check(struct MHD_Connection *conn, const char **reason)
{
    struct head_scan h = {0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, scan_header, &h);
    if (h.folded) {
        *reason = "a header line is folded onto the previous one (obsolete line folding); "
                  "send each header on one line";
        return 400;
    }
    if (h.content_length > 1) {
        *reason = "Content-Length is given more than once";
        return 400;
    }
    if (h.content_length && h.transfer_encoding) {
        *reason = "Content-Length and Transfer-Encoding are both given; send one";
        return 400;
    }
    if (h.transfer_encoding > 1) {
        *reason = "Transfer-Encoding is given more than once";
        return 400;
    }
    if (h.transfer_encoding) {
        const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Transfer-Encoding");
        if (!te || strcasecmp(te, "chunked") != 0) {
            *reason = "the only transfer coding this server implements is \"chunked\"";
            return 501;
        }
    }
    return 0;
}
