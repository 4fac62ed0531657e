/*
 * Asking a peer for the checkpoints of our audit log it keeps (audit/anchor.c): what
 * `liaison audit verify --witnesses` compares our log with. The peer answers, to us as its
 * partner, {"checkpoints": [line, ...]} at /liaison/audit/witness beside its TAXII server.
 */
#include "exchange/exchange_int.h"

#include <stdlib.h>
#include <string.h>

int exchange_fetch_witness(const struct store_peer *peer, const struct exchange_opts *o,
                           struct arena *a, char ***lines, size_t *n, struct lia_err *err)
{
    *lines = NULL;
    *n = 0;
    struct xc_client c;
    int rc = xc_open(peer, o, &c, err);
    if (rc)
        return rc;
    char *url = xc_resolve(peer->url, "/liaison/audit/witness");
    struct xc_resp r;
    rc =
        url ? xc_request(&c, url, NULL, 0, &r, err) : lia_err_set(err, LIA_ENOMEM, "out of memory");
    json_t *j = NULL;
    if (rc == 0) {
        if (r.status != 200)
            rc = xc_http_error(&c, "GET /liaison/audit/witness", &r, err);
        else if (!(j = json_loadb(r.body.ptr ? r.body.ptr : "", r.body.len, 0, NULL)))
            rc = lia_err_set(err, LIA_EIO, "peer %s: its witness answer is not JSON", peer->name);
        xc_resp_release(&r);
    }
    free(url);
    json_t *list = json_object_get(j, "checkpoints");
    if (rc == 0 && !json_is_array(list))
        rc = lia_err_set(err, LIA_EIO, "peer %s: its witness answer has no checkpoints list",
                         peer->name);
    size_t count = rc ? 0 : json_array_size(list);
    if (count) {
        *lines = arena_alloc(a, count * sizeof **lines);
        if (!*lines)
            rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    }
    for (size_t i = 0; rc == 0 && i < count; i++) {
        const char *v = json_string_value(json_array_get(list, i));
        if (v && !((*lines)[(*n)++] = arena_strndup(a, v, strlen(v))))
            rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    }
    json_decref(j);
    xc_close(&c);
    return rc;
}
