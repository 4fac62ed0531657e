/*
 * The intake evaluation as a test: runs the development set tests/intake/eval/{ar,en,fr}.txt
 * and fails when precision < 0.90 or recall < 0.85, overall or for the places or the groups
 * of one language (issues 6 and 22). Prints every miss and false positive of the development
 * set (never of the held-out set: see docs/intake.md).
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
    struct eval_counts c[EVAL_N_LANGS], all;
    memset(c, 0, sizeof(c));
    memset(&all, 0, sizeof(all));
    for (int l = 0; l < EVAL_N_LANGS; l++) {
        snprintf(path, sizeof(path), "%s/tests/intake/eval/%s.txt", src ? src : ".", eval_langs[l]);
        assert_int_equal(eval_file(g, path, &c[l], stdout), 0);
        eval_add(&all, &c[l]);
    }
    double p, r;
    eval_print(&all, stdout, &p, &r);
    eval_print_langs(c, stdout);
    assert_true(all.paragraphs >= 100);
    assert_true(p >= 0.90);
    assert_true(r >= 0.85);
    for (int l = 0; l < EVAL_N_LANGS; l++) {
        double pp, pr, gp, gr;
        eval_class(&c[l], true, &pp, &pr);
        eval_class(&c[l], false, &gp, &gr);
        if (pp < 0.90 || pr < 0.85 || gp < 0.90 || gr < 0.85)
            fail_msg("%s: places %.3f/%.3f, groups %.3f/%.3f: below 0.90/0.85", eval_langs[l], pp,
                     pr, gp, gr);
    }
    intake_gazetteer_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_eval)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
