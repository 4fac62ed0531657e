/*
 * The intake evaluation as a test: runs tests/intake/eval/{ar,en}.txt and fails when overall
 * precision < 0.90 or recall < 0.85 (issue 6). Prints every miss and false positive.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../../bench/intake_eval.h"

static void test_eval(void **state)
{
    (void)state;
    const char *src = getenv("LIAISON_SOURCE");
    char dir[4096], path[4200];
    snprintf(dir, sizeof(dir), "%s/data/gazetteer", src ? src : ".");
    struct intake_gazetteer *g;
    struct lia_err err = {0};
    if (intake_gazetteer_load(dir, &g, &err) < 0)
        fail_msg("%s", err.msg);
    struct eval_counts c;
    memset(&c, 0, sizeof(c));
    static const char *files[] = {"ar.txt", "en.txt"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "%s/tests/intake/eval/%s", src ? src : ".", files[i]);
        assert_int_equal(eval_file(g, path, &c, stdout), 0);
    }
    double p, r;
    eval_print(&c, stdout, &p, &r);
    assert_true(c.paragraphs >= 60);
    assert_true(p >= 0.90);
    assert_true(r >= 0.85);
    intake_gazetteer_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_eval)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
