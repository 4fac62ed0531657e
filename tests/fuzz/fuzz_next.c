/*
 * Fuzz target: `next` token decoding (api_parse_next). The first byte picks a mode:
 *  0: the rest is a token as a client would send it; it must be refused (the HMAC key is
 *     random, so no input can carry a valid MAC).
 *  1: the rest gives a collection, a date_added and a scope; the token made for them must
 *     decode to the same date_added, and be refused for another collection or scope.
 *  2: a valid token is edited by XOR with the rest; any edit must be refused.
 */
#include "fuzz_common.h"

#include <sodium.h>

#include "api/api_int.h"

static struct api api;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (sodium_init() < 0)
        abort();
    randombytes_buf(api.next_key, sizeof api.next_key);
    return 0;
}

static int64_t take_i64(const uint8_t **p, size_t *n)
{
    uint64_t v = 0;
    for (int i = 0; i < 8 && *n; i++, (*p)++, (*n)--)
        v = v << 8 | **p;
    return (int64_t)v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int mode = data[0] % 3;
    data++, size--;
    struct arena a;
    arena_init(&a, 1u << 20);
    struct http_request req = {0};
    req.arena = &a;
    req.method = "GET";
    req.path = "/";
    struct http_response resp = {0};
    dbuf_init(&resp.body, 1u << 16);
    struct api_call c = {.api = &api, .req = &req, .resp = &resp, .media = TAXII_MEDIA};
    int64_t after = 0;
    if (mode == 0) {
        char *tok = fuzz_strndup(data, size);
        if (api_parse_next(&c, 7, "objects", tok, &after) == 0)
            abort(); /* forged token accepted */
        free(tok);
    } else {
        int64_t coll = take_i64(&data, &size);
        int64_t last = take_i64(&data, &size);
        char *tok = api_next_token(&c, coll, mode == 1 ? "objects" : "manifest", last);
        if (!tok)
            abort();
        if (mode == 1) {
            if (api_parse_next(&c, coll, "objects", tok, &after) != 0 || after != last)
                abort(); /* a genuine token refused or misread */
            char *scope = fuzz_strndup(data, size);
            if (strcmp(scope, "objects") != 0 && api_parse_next(&c, coll, scope, tok, &after) == 0)
                abort(); /* replayed against another scope */
            if (api_parse_next(&c, coll ^ 1, "objects", tok, &after) == 0)
                abort(); /* replayed against another collection */
            free(scope);
        } else {
            size_t len = strlen(tok);
            bool changed = false;
            for (size_t i = 0; i < size && i < len; i++) {
                changed |= data[i] != 0;
                tok[i] = (char)(tok[i] ^ data[i]);
            }
            /* a NUL cuts the token short: still an edit */
            if (changed && api_parse_next(&c, coll, "manifest", tok, &after) == 0)
                abort(); /* an edited token accepted */
        }
    }
    dbuf_release(&resp.body);
    arena_release(&a);
    return 0;
}
