/*
 * Fuzz target: Arabic/English normalisation and intake. The input is an article: checked,
 * normalised (the offset maps must stay inside the input) and run through the whole
 * extraction with the real gazetteer (data/gazetteer, loaded once), under a small input
 * limit so that each run stays fast.
 */
#include "fuzz_common.h"

#include <stdio.h>

#include "intake/intake.h"
#include "text/text.h"

static struct intake_gazetteer *gaz;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char dir[4096];
    struct lia_err err;
    lia_err_clear(&err);
    lia_log_set_level(LIA_LOG_ERROR);
    if (intake_gazetteer_load(intake_default_gazetteer_dir(dir, sizeof dir), &gaz, &err)) {
        fprintf(stderr, "fuzz_intake: %s\n", err.msg);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct lia_err err;
    lia_err_clear(&err);
    (void)intake_check_input(text, size, &err);

    struct dbuf out;
    dbuf_init(&out, 16 * size + 64);
    uint32_t *byte_map = NULL, *char_map = NULL;
    size_t n_cps = 0;
    lia_err_clear(&err);
    if (text_normalize(text, size, &out, &byte_map, &char_map, &n_cps, &err) == 0) {
        for (size_t i = 0; i < n_cps; i++)
            if (byte_map[i] > size || char_map[i] > size)
                abort(); /* offsets must point into the original text */
    }
    free(byte_map);
    free(char_map);
    dbuf_release(&out);

    struct intake_options opt = {.lang = INTAKE_LANG_AUTO,
                                 .max_input = 64 * 1024,
                                 .published_us = 1700000000000000,
                                 .now_us = 1700000000000000};
    struct dbuf bundle;
    dbuf_init(&bundle, 64u << 20);
    lia_err_clear(&err);
    (void)intake_extract(gaz, text, size, &opt, &bundle, &err);
    dbuf_release(&bundle);
    return 0;
}
