/*
 * Fuzz target: TAXII query string and filter parsing. The input is a query string as a
 * client would send it (?match[type]=indicator,malware&limit=5...): split and unescaped
 * as the server does, checked against the parameters the objects endpoint allows, then
 * turned into a store filter. Checks that the filter respects the configured limits.
 */
#include "fuzz_common.h"

#include "api/api_int.h"
#include "fuzz_query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const allowed[] = {"added_after",         "limit",       "next",
                                          "match[id]",           "match[type]", "match[version]",
                                          "match[spec_version]", NULL};
    struct api api = {0};
    api.cfg.default_page_size = 100;
    api.cfg.max_page_size = 1000;
    api.cfg.max_filter_values = 10;
    struct arena a;
    arena_init(&a, 1u << 20);
    struct http_request req = {0};
    req.arena = &a;
    req.method = "GET";
    req.path = "/taxii2/default/collections/c/objects/";
    fuzz_parse_query(&a, (const char *)data, size, &req);
    struct http_response resp = {0};
    dbuf_init(&resp.body, 1u << 16);
    struct api_call c = {.api = &api, .req = &req, .resp = &resp, .media = TAXII_MEDIA};
    if (api_check_params(&c, allowed) == 0) {
        struct store_filter f;
        if (api_parse_filter(&c, 1, "objects", &f) == 0) {
            if (f.limit < 1 || f.limit > api.cfg.max_page_size || f.n_ids > 10 || f.n_types > 10 ||
                f.n_spec_versions > 10 || f.n_version_at > 10)
                abort(); /* a filter past the configured limits */
        } else if (resp.status < 400 || resp.body.len == 0) {
            abort(); /* a refusal must carry an error */
        }
    }
    dbuf_release(&resp.body);
    arena_release(&a);
    return 0;
}
