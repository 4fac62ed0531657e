/*
 * Fuzz target: the STIX patterning parser (src/stix/pattern.c). The input is a pattern as an
 * indicator's "pattern" property holds it (after JSON decoding). A refusal must say why; the
 * same input must get the same answer twice (the parser keeps no state between calls).
 */
#include "fuzz_common.h"

#include "stix/stix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lia_err a, b;
    lia_err_clear(&a);
    lia_err_clear(&b);
    int ra = stix_validate_pattern((const char *)data, size, &a);
    if (ra != 0 && (ra != STIX_EINVALID || !a.msg[0]))
        abort(); /* a refusal is STIX_EINVALID with a message */
    int rb = stix_validate_pattern((const char *)data, size, &b);
    if (ra != rb || strcmp(a.msg, b.msg) != 0)
        abort();
    return 0;
}
