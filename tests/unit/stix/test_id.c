/*
 * Tests for src/stix/id.c: type names, identifiers and new ids.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "stix/stix.h"

static bool valid_id(const char *s)
{
    return stix_is_valid_id(s, strlen(s));
}

static bool valid_type(const char *s)
{
    return stix_is_valid_type(s, strlen(s));
}

static void test_types(void **state)
{
    (void)state;
    static const char *const good[] = {"indicator", "x-mitre-tactic", "abc", "a1b", "new-type-2"};
    static const char *const bad[] = {"",     "ab",   "Indicator", "x--y", "-abc",
                                      "abc-", "1abc", "x_mitre",   "ab c", "abcé"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!valid_type(good[i]))
            fail_msg("type \"%s\" refused", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (valid_type(bad[i]))
            fail_msg("type \"%s\" accepted", bad[i]);
    char long_type[252];
    memset(long_type, 'a', sizeof long_type);
    assert_true(stix_is_valid_type(long_type, 250));
    assert_false(stix_is_valid_type(long_type, 251));
}

static void test_ids(void **state)
{
    (void)state;
    static const char *const good[] = {
        "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "x-mitre-tactic--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "identity--1621d4d4-b67d-11e3-9670-f01faf20d111",     /* v1: SHOULD v4, not MUST */
        "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd",    /* v5 */
        "relationship--81f12913-1372-4c96-85ec-E9034ac98aba", /* RFC 4122: case-insensitive */
        "indicator--8e2e2d2b-17d4-4cbf-b38f-98ee46b3cd3f",    /* variant b */
    };
    static const char *const bad[] = {
        "",
        "indicator",
        "indicator--",
        "indicator-8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", /* single hyphen */
        "indicator8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",  /* no separator */
        "--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "Indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",  /* uppercase type */
        "indicator--8e2e2d2b-17d4-4cbf-c38f-98ee46b3cd3f",  /* variant 110x */
        "indicator--8e2e2d2b-17d4-4cbf-738f-98ee46b3cd3f",  /* variant 0xxx */
        "indicator--8e2e2d2b-17d4-0cbf-938f-98ee46b3cd3f",  /* version 0 */
        "indicator--8e2e2d2b-17d4-6cbf-938f-98ee46b3cd3f",  /* version 6 */
        "indicator--00000000-0000-0000-0000-000000000000",  /* nil */
        "indicator--8e2e2d2b17d4-4cbf-938f-98ee46b3cd3f0",  /* misplaced hyphen */
        "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3",   /* short */
        "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3ff", /* long */
        "indicator--8e2e2d2g-17d4-4cbf-938f-98ee46b3cd3f",  /* not hex */
        "indicator--{8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f}",
        "in--dicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!valid_id(good[i]))
            fail_msg("id \"%s\" refused", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (valid_id(bad[i]))
            fail_msg("id \"%s\" accepted", bad[i]);
}

static void test_new_id(void **state)
{
    (void)state;
    char a[64], b[64];
    stix_new_id("indicator", a, sizeof a);
    stix_new_id("indicator", b, sizeof b);
    assert_int_equal(strlen(a), strlen("indicator--") + 36);
    assert_true(valid_id(a));
    assert_string_not_equal(a, b);
    assert_int_equal(a[11 + 14], '4');
    assert_non_null(strchr("89ab", a[11 + 19]));
    for (const char *p = a; *p; p++)
        assert_false(*p >= 'A' && *p <= 'Z');
    char small[20] = "unchanged";
    stix_new_id("indicator", small, sizeof small);
    assert_string_equal(small, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_new_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
