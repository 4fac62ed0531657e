/*
 * Tests for src/stix/timestamp.c: accepted forms, refused forms, calendar
 * rules (leap years), microsecond truncation and round trips through
 * lia_format_ts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "stix/stix.h"

static int parse(const char *s, int64_t *us, int *digits)
{
    struct lia_err err;
    return stix_parse_timestamp(s, strlen(s), us, digits, &err);
}

static void test_good(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t us;
        int digits;
    } good[] = {
        {"1970-01-01T00:00:00Z", 0, 0},
        {"1970-01-01T00:00:00.000Z", 0, 3},
        {"1970-01-01T00:00:01.5Z", 1500000, 1},
        {"2017-01-20T00:00:00.000Z", 1484870400000000LL, 3},
        {"2016-04-06T20:03:48.123456Z", 1459973028123456LL, 6},
        {"2016-04-06T20:03:48.1234569Z", 1459973028123456LL, 7},    /* truncated, not rounded */
        {"1999-12-31T23:59:59.9999999999Z", 946684799999999LL, 10}, /* stays in 1999 */
        {"1969-12-31T23:59:59.999Z", -1000, 3},
        {"2000-02-29T00:00:00Z", 951782400000000LL, 0},  /* 2000 is leap */
        {"2016-12-31T23:59:60Z", 1483228799999999LL, 0}, /* leap second */
        {"0000-01-01T00:00:00Z", -62167219200000000LL, 0},
        {"9999-12-31T23:59:59.999999Z", 253402300799999999LL, 6},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int64_t us = 42;
        int digits = -1;
        if (parse(good[i].text, &us, &digits) != 0 || us != good[i].us || digits != good[i].digits)
            fail_msg("%s: got %lld/%d, want %lld/%d", good[i].text, (long long)us, digits,
                     (long long)good[i].us, good[i].digits);
    }
}

static void test_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "2016-04-06",
        "2016-04-06T20:03:48",       /* no Z */
        "2016-04-06T20:03:48+01:00", /* offset */
        "2016-04-06T20:03:48.000+00:00",
        "2016-04-06t20:03:48Z", /* lowercase t */
        "2016-04-06T20:03:48z", /* lowercase z */
        "2016-04-06 20:03:48Z",
        "2016-02-30T00:00:00Z", /* Feb 30 */
        "1900-02-29T00:00:00Z", /* 1900 is not leap */
        "2019-02-29T00:00:00Z",
        "2016-04-31T00:00:00Z",
        "2016-13-01T00:00:00Z",
        "2016-00-01T00:00:00Z",
        "2016-01-00T00:00:00Z",
        "2016-04-06T24:00:00Z", /* hour 24 */
        "2016-04-06T23:60:00Z",
        "2016-04-06T23:59:61Z",
        "2016-04-06T20:03:48.Z", /* dot without digits */
        "2016-04-06T20:03:48.12a4Z",
        "2016-04-06T20:03:48ZZ",
        "2016-4-06T20:03:48Z",
        "12016-04-06T20:03:48Z",
        "-016-04-06T20:03:48Z",
        " 2016-04-06T20:03:48Z",
        "2016-04-06T20:03:48Z ",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t us;
        struct lia_err err;
        lia_err_clear(&err);
        int rc = stix_parse_timestamp(bad[i], strlen(bad[i]), &us, NULL, &err);
        if (rc != LIA_EINVAL || err.msg[0] == '\0')
            fail_msg("\"%s\" was accepted (rc %d)", bad[i], rc);
    }
}

static void test_leap_years(void **state)
{
    (void)state;
    int64_t feb28, mar1;
    assert_int_equal(parse("2000-02-28T00:00:00Z", &feb28, NULL), 0);
    assert_int_equal(parse("2000-03-01T00:00:00Z", &mar1, NULL), 0);
    assert_int_equal(mar1 - feb28, 2 * 86400LL * 1000000); /* 2000 has a Feb 29 */
    assert_int_equal(parse("1900-02-28T00:00:00Z", &feb28, NULL), 0);
    assert_int_equal(parse("1900-03-01T00:00:00Z", &mar1, NULL), 0);
    assert_int_equal(mar1 - feb28, 86400LL * 1000000); /* 1900 has none */
    assert_int_equal(parse("2024-02-29T12:00:00Z", &mar1, NULL), 0);
    assert_int_equal(parse("2100-02-29T12:00:00Z", &mar1, NULL), LIA_EINVAL);
}

static void test_round_trip(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int digits;
    } cases[] = {
        {"2016-04-06T20:03:48.123456Z", 6}, {"2016-04-06T20:03:48.123Z", 3},
        {"2016-04-06T20:03:48Z", 0},        {"1999-12-31T23:59:59.999Z", 3},
        {"2024-02-29T00:00:00.000001Z", 6}, {"1970-01-01T00:00:00.000Z", 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t us;
        int digits;
        char out[32];
        assert_int_equal(parse(cases[i].text, &us, &digits), 0);
        lia_format_ts(us, cases[i].digits, out);
        assert_string_equal(out, cases[i].text);
    }
    /* truncation: 7 digits come back as the first 6 */
    int64_t us;
    char out[32];
    assert_int_equal(parse("2016-04-06T20:03:48.9999999Z", &us, NULL), 0);
    lia_format_ts(us, 6, out);
    assert_string_equal(out, "2016-04-06T20:03:48.999999Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_leap_years),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
