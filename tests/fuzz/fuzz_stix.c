/*
 * Fuzz target: JSON and STIX 2.1 validation of a posted body. The input is the body of a
 * POST: parsed as an envelope or bundle under small limits, then every object validated,
 * as api/post.c does; also parsed once as any JSON document (stix_parse_json).
 */
#include "fuzz_common.h"

#include "stix/stix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct stix_limits lim = {.max_depth = 32, .max_string = 4096, .max_objects = 64};
    struct lia_err err;
    lia_err_clear(&err);
    struct stix_envelope env;
    if (stix_parse_envelope((const char *)data, size, &lim, &env, &err) == 0) {
        for (size_t i = 0; i < env.n_items; i++) {
            const struct stix_item *it = &env.items[i];
            if (it->text < (const char *)data || it->text + it->len > (const char *)data + size)
                abort(); /* the verbatim span must lie inside the input */
            struct stix_info info;
            lia_err_clear(&err);
            if (stix_validate_object(it->obj, &info, &err) == 0 &&
                (!info.id || !info.type || !stix_is_valid_id(info.id, strlen(info.id))))
                abort(); /* a valid object has a valid id */
        }
        stix_envelope_release(&env);
    }
    json_t *j = NULL;
    lia_err_clear(&err);
    if (stix_parse_json((const char *)data, size, &lim, &j, &err) == 0)
        json_decref(j);
    return 0;
}
