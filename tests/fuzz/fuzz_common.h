/*
 * Shared by the libFuzzer targets in tests/fuzz/ (docs/security.md, "Fuzzing").
 *
 * Each fuzz_<name>.c defines LLVMFuzzerTestOneInput and, where it needs a store or a
 * gazetteer, LLVMFuzzerInitialize. A target must be deterministic for a given input and
 * free everything it allocates per input, so that LeakSanitizer findings are real.
 */
#ifndef LIAISON_FUZZ_COMMON_H
#define LIAISON_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A NUL-terminated malloc'd copy of the input (callers free it). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

#endif
