/*
 * Fuzz target: the split parse of envelopes (stix/json.c) against the whole parse. Every
 * input is parsed twice, once with the split forced from one object up and once never
 * split; both must give the same code and message, and on success the same tree, the same
 * item spans, and (through the stream that validates) the same validation of every item.
 */
#include "fuzz_common.h"

#include "stix/stix.h"

static void same_or_abort(bool ok)
{
    if (!ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct stix_limits lim = {.max_depth = 32, .max_string = 4096, .max_objects = 64};
    const char *text = (const char *)data;
    struct lia_err e1, e2;
    struct stix_envelope split, whole;
    lia_err_clear(&e1);
    lia_err_clear(&e2);
    stix_set_split_thresholds(1, 0);
    int r1 = stix_parse_envelope(text, size, &lim, &split, &e1);
    stix_set_split_thresholds((size_t)-1, (size_t)-1);
    int r2 = stix_parse_envelope(text, size, &lim, &whole, &e2);
    same_or_abort(r1 == r2 && strcmp(e1.msg, e2.msg) == 0);
    if (r1 == 0) {
        same_or_abort(json_equal(split.root, whole.root) && split.n_items == whole.n_items &&
                      split.is_bundle == whole.is_bundle);
        for (size_t i = 0; i < split.n_items; i++)
            same_or_abort(split.items[i].text == whole.items[i].text &&
                          split.items[i].len == whole.items[i].len);
    }
    /* The stream that validates, as api/post.c uses it. */
    stix_set_split_thresholds(1, 0);
    struct stix_stream *st;
    size_t n;
    if (stix_stream_start(text, size, &lim, true, NULL, &st, &n) == 0) {
        bool broken = false;
        for (size_t i = 0; i < n && !broken; i++) {
            const char *t;
            size_t len;
            const struct stix_checked *ck;
            json_t *o = stix_stream_item(st, i, &t, &len, &ck);
            if (!o) {
                broken = true;
                break;
            }
            /* Whatever the whole parse says of the body, an item handed out parsed. */
            struct stix_info info;
            struct lia_err why;
            lia_err_clear(&why);
            int vrc = stix_validate_object(o, &info, &why);
            same_or_abort(vrc == ck->rc && strcmp(why.msg, ck->why.msg) == 0);
            if (r2 == 0)
                same_or_abort(i < whole.n_items && t == whole.items[i].text &&
                              json_equal(o, whole.items[i].obj));
        }
        if (broken) {
            stix_stream_abort(st);
        } else {
            struct stix_envelope env;
            struct lia_err e3;
            lia_err_clear(&e3);
            int r3 = stix_stream_finish(st, &env, &e3);
            if (r3 != -1)
                same_or_abort(r3 == r2 && strcmp(e3.msg, e2.msg) == 0);
            if (r3 == 0)
                stix_envelope_release(&env);
        }
    }
    if (r1 == 0) {
        stix_envelope_release(&split);
        stix_envelope_release(&whole);
    }
    return 0;
}
