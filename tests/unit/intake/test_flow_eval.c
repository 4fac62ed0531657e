/*
 * The flow evaluation as a test (docs/flows.md): runs the development set
 * tests/intake/flows/dev/{ar,en,fr}.txt, prints every miss and false positive, and fails when
 * precision < 0.85 or recall < 0.75 on (what, from, to). The held-out set is scored only by
 * bench_intake_bench, without its errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../../bench/flow_eval.h"

static void test_flow_eval(void **state)
{
    (void)state;
    const char *src = getenv("LIAISON_SOURCE");
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/data/gazetteer", src ? src : ".");
    struct intake_gazetteer *g;
    struct lia_err err = {0};
    if (intake_gazetteer_load(dir, &g, &err) < 0)
        fail_msg("%s", err.msg);
    double p, r;
    printf("flows, development set (tests/intake/flows/dev)\n");
    assert_int_equal(flow_eval_set(g, src ? src : ".", "dev", stdout, stdout, &p, &r), 0);
    intake_gazetteer_free(g);
    assert_true(p >= 0.85);
    assert_true(r >= 0.75);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_flow_eval)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
