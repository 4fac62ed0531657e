/*
 * The liaison API beside TAXII: /liaison/... endpoints the analyst pages and
 * the CLI use. The caller is already authenticated (handle.c); each endpoint
 * answers through the caller's policy like every TAXII read. Answers are
 * plain JSON (application/json); errors are TAXII error messages, as
 * everywhere else. Unknown /liaison/ paths answer 404.
 */
#include "api/api_int.h"

#include <string.h>

static void liaison_not_allowed(struct api_call *c, const char *allow)
{
    api_fail(c, 405, "Method not allowed", "%s is not allowed here; use %s", c->req->method, allow);
    http_add_header(c->resp, "Allow", allow);
}

/* seg[0] == "liaison". */
void api_liaison_route(struct api_call *c, const char **seg, size_t nseg)
{
    if (nseg == 2 && !strcmp(seg[1], "whoami")) {
        if (strcmp(c->req->method, "GET") != 0)
            return liaison_not_allowed(c, "GET");
        return api_liaison_whoami(c);
    }
    if (nseg == 2 && !strcmp(seg[1], "partners")) {
        if (strcmp(c->req->method, "GET") != 0)
            return liaison_not_allowed(c, "GET");
        return api_liaison_partners(c);
    }
    if (nseg >= 2 && !strcmp(seg[1], "misp"))
        return api_liaison_misp(c, seg, nseg);
    if (nseg >= 2 && !strcmp(seg[1], "rfi"))
        return api_liaison_rfi(c, seg, nseg);
    if (nseg >= 2 && !strcmp(seg[1], "intake"))
        return api_liaison_intake(c, seg, nseg);
    if (nseg >= 2 && (!strcmp(seg[1], "watches") || !strcmp(seg[1], "events")))
        return api_liaison_watches(c, seg, nseg);
    if (nseg >= 2 && !strcmp(seg[1], "browse"))
        return api_liaison_browse(c, seg, nseg);
    if (nseg >= 2 && !strcmp(seg[1], "neighbours"))
        return api_liaison_neighbours(c, seg, nseg);
    if (nseg >= 2 && !strcmp(seg[1], "audience"))
        return api_liaison_audience(c, seg, nseg);
    if (nseg >= 2 && !strcmp(seg[1], "review"))
        return api_liaison_review(c, seg, nseg);
    if (nseg >= 2 && !strcmp(seg[1], "releases"))
        return api_liaison_releases(c, seg, nseg);
    if (nseg >= 2 && !strcmp(seg[1], "audit"))
        return api_liaison_audit(c, seg, nseg);
    if (nseg == 2 && !strcmp(seg[1], "flows"))
        return api_liaison_flows(c);
    if (nseg >= 2 && !strcmp(seg[1], "corroboration"))
        return api_liaison_corroboration(c, seg, nseg);
    if (nseg == 2 && !strcmp(seg[1], "search"))
        return api_liaison_search(c);
    if (nseg >= 2 && !strcmp(seg[1], "export"))
        return api_liaison_export(c, seg, nseg);
    if (nseg >= 2 && !strcmp(seg[1], "groups"))
        return api_liaison_groups(c, seg, nseg);
    api_fail(c, 404, "Not found", "no such resource");
}
