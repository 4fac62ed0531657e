/*
 * Query-string splitting for the fuzz targets that build requests in memory: the same
 * result libmicrohttpd gives the server (split on '&', key and value at the first '=',
 * each unescaped with http_unescape, at most HTTP_MAX_PARAMS), into arena strings.
 */
#ifndef LIAISON_FUZZ_QUERY_H
#define LIAISON_FUZZ_QUERY_H

#include <string.h>

#include "http/http.h"

static inline void fuzz_parse_query(struct arena *a, const char *q, size_t len,
                                    struct http_request *req)
{
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && q[end] != '&')
            end++;
        if (end > i) {
            if (req->n_params == HTTP_MAX_PARAMS) {
                req->too_many_params = true;
                return;
            }
            const char *eq = memchr(q + i, '=', end - i);
            size_t klen = eq ? (size_t)(eq - (q + i)) : end - i;
            char *k = arena_strndup(a, q + i, klen);
            char *v = eq ? arena_strndup(a, eq + 1, (size_t)(q + end - eq - 1)) : NULL;
            if (!k || (eq && !v))
                return;
            http_unescape(k);
            if (v)
                http_unescape(v);
            req->params[req->n_params].key = k;
            req->params[req->n_params].value = v;
            req->n_params++;
        }
        i = end + 1;
    }
}

#endif
