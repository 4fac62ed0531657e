/*
 * The analyst pages' static files (web/dist, built by scripts/build-web),
 * served at / and /assets/... without credentials: the files hold no data;
 * the pages send the analyst's token with every API call they make.
 *
 * Promises:
 *  - Only GET and HEAD; never a path under /taxii2/, /liaison/, /metrics or
 *    /healthz (those keep their own routes, errors and authentication).
 *  - Nothing outside web_root is ever opened. Each path segment must be a
 *    plain name ([A-Za-z0-9_.-], not starting with '.', so no "..", no
 *    hidden files); the http layer has already decoded %XX, so "%2e%2e" is
 *    ".." here and refused, and %2F and %00 stay encoded (refused by the
 *    same rule). The file is reached with openat() one segment at a time with
 *    O_NOFOLLOW: a symbolic link anywhere below web_root is refused, whatever
 *    it points to. Only regular files up to STATIC_MAX_FILE bytes are sent.
 *  - A browser asking for a page route (GET, Accept naming text/html, a last
 *    segment without a dot) gets index.html, so client-side routes survive a
 *    reload; anything else that is not a file falls through to the API's 404.
 *  - Every answer carries a strict Content-Security-Policy (no inline
 *    script or style, nothing from another origin, no framing) and
 *    Referrer-Policy no-referrer: tokens never travel in URLs or referrers.
 */
#include "api/api_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATIC_MAX_FILE (16u * 1024u * 1024u)
#define STATIC_MAX_DEPTH 8
#define STATIC_MAX_NAME 128

#define STATIC_CSP                                                                                 \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "              \
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "                    \
    "form-action 'self'; frame-ancestors 'none'"

static const struct {
    const char *ext;
    const char *type;
} media_types[] = {
    {"html", "text/html; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"json", "application/json"},
    {"geojson", "application/geo+json"},
    {"map", "application/json"},
    {"webmanifest", "application/manifest+json"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"ico", "image/x-icon"},
    {"woff2", "font/woff2"},
    {"woff", "font/woff"},
    {"ttf", "font/ttf"},
    {"txt", "text/plain; charset=utf-8"},
};

static const char *media_type_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot)
        for (size_t i = 0; i < sizeof media_types / sizeof media_types[0]; i++)
            if (!strcasecmp(dot + 1, media_types[i].ext))
                return media_types[i].type;
    return "application/octet-stream";
}

/* A plain file or folder name: no separators, escapes, dot segments or hidden files. */
static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > STATIC_MAX_NAME || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.'))
            return false;
    }
    return true;
}

static void security_headers(struct http_response *resp)
{
    http_add_header(resp, "Content-Security-Policy", STATIC_CSP);
    http_add_header(resp, "X-Frame-Options", "DENY");
    http_add_header(resp, "Referrer-Policy", "no-referrer");
    http_add_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
    http_add_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
    http_add_header(resp, "Permissions-Policy", "camera=(), microphone=(), geolocation=()");
}

/* Opens web_root/seg[0]/.../seg[n-1] without following any symbolic link below web_root.
 * Returns the descriptor of a regular file, or -1 (errno ENOENT for anything else). */
static int open_below(const char *root, const char **seg, size_t n)
{
    int dir = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    for (size_t i = 0; dir >= 0 && i + 1 < n; i++) {
        int next = openat(dir, seg[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        close(dir);
        dir = next;
    }
    if (dir < 0)
        return -1;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; fstat refuses it next. */
    int fd = openat(dir, seg[n - 1], O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    close(dir);
    if (fd < 0)
        return -1;
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        errno = ENOENT;
        return -1;
    }
    return fd;
}

/* Reads the file into the response. 0, LIA_ENOTFOUND, LIA_ETOOBIG or LIA_EIO. */
static int send_file(struct api_call *c, const char **seg, size_t n)
{
    int fd = open_below(c->api->cfg.web_root, seg, n);
    if (fd < 0)
        return LIA_ENOTFOUND;
    struct stat sb;
    int rc = 0;
    if (fstat(fd, &sb) != 0)
        rc = LIA_EIO;
    else if ((uint64_t)sb.st_size > STATIC_MAX_FILE)
        rc = LIA_ETOOBIG;
    struct dbuf *b = &c->resp->body;
    dbuf_reset(b);
    char chunk[65536];
    size_t total = 0;
    while (rc == 0) {
        ssize_t got = read(fd, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            rc = LIA_EIO;
        else if (got == 0)
            break;
        else if ((total += (size_t)got) > STATIC_MAX_FILE)
            rc = LIA_ETOOBIG;
        else if (dbuf_append(b, chunk, (size_t)got) != 0)
            rc = LIA_ETOOBIG;
    }
    close(fd);
    if (rc) {
        dbuf_reset(b);
        return rc;
    }
    c->resp->status = 200;
    c->resp->content_type = media_type_of(seg[n - 1]);
    security_headers(c->resp);
    return 0;
}

/* A browser navigating to a page: it names text/html in Accept. Scripts and API clients
 * asking for a missing file get the API's 404 instead of a page. */
static bool wants_page(struct api_call *c, const char *last)
{
    const char *accept = http_header(c->req, "Accept");
    return accept && strstr(accept, "text/html") && (!last || !strchr(last, '.'));
}

static void send_index(struct api_call *c)
{
    static const char *index[] = {"index.html"};
    int rc = send_file(c, index, 1);
    if (rc == LIA_ENOTFOUND)
        api_fail(c, 404, "Not found",
                 "the analyst pages are not installed (web_root has no index.html; run "
                 "scripts/build-web)");
    else if (rc)
        api_fail(c, 500, "Internal error", "the analyst pages could not be read");
    if (rc)
        security_headers(c->resp);
}

bool api_static_route(struct api_call *c, const char **seg, size_t nseg)
{
    const char *root = c->api->cfg.web_root;
    const char *m = c->req->method;
    if (!root || !*root || (strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0))
        return false;
    if (nseg > 0 && (!strcmp(seg[0], "taxii2") || !strcmp(seg[0], "liaison") ||
                     !strcmp(seg[0], "metrics") || !strcmp(seg[0], "healthz")))
        return false;
    if (nseg > STATIC_MAX_DEPTH)
        return false;
    for (size_t i = 0; i < nseg; i++)
        if (!name_ok(seg[i]))
            return false;
    if (nseg == 0) {
        send_index(c);
        return true;
    }
    size_t plen = strlen(c->req->path);
    bool trailing_slash = plen > 1 && c->req->path[plen - 1] == '/';
    if (!trailing_slash) {
        int rc = send_file(c, seg, nseg);
        if (rc == 0)
            return true;
        if (rc != LIA_ENOTFOUND) {
            api_fail(c, rc == LIA_ETOOBIG ? 413 : 500,
                     rc == LIA_ETOOBIG ? "Too large" : "Internal error",
                     "the file could not be served");
            return true;
        }
    }
    if (strcmp(m, "GET") == 0 && strcmp(seg[0], "assets") != 0 && wants_page(c, seg[nseg - 1])) {
        send_index(c);
        return true;
    }
    return false;
}
