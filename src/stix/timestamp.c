/*
 * STIX timestamps (STIX 2.1 section 3.2): RFC 3339 in UTC, written
 * "YYYY-MM-DDTHH:MM:SS[.fraction]Z" with an uppercase T and Z, any number of
 * fractional digits. liaison keeps every time as int64 microseconds since the
 * Unix epoch, so digits past the sixth are truncated (never rounded: rounding
 * could move a time across a second, minute or year boundary and change the
 * order of two versions).
 *
 * A leap second (":60") is accepted as the JSON schema allows it and is held
 * as :59.999999 of the same minute, which keeps it after every other instant
 * of that minute and before the next one; its fractional digits are ignored.
 * Years 0000-9999 are accepted (the proleptic Gregorian calendar).
 */
#include "stix/stix.h"

#include <string.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads n digits at s (caller checked they are digits). */
static int digits_value(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

static bool is_leap_year(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const unsigned char days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap_year(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int stix_parse_timestamp(const char *s, size_t len, int64_t *us, int *digits, struct lia_err *err)
{
    /* Fixed part: "YYYY-MM-DDTHH:MM:SS" is 19 bytes, then optional fraction, then "Z". */
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    if (!s || len < 20)
        return lia_err_set(err, LIA_EINVAL,
                           "timestamp \"%.*s\" is too short for "
                           "YYYY-MM-DDTHH:MM:SS[.s]Z",
                           (int)(s ? len : 0), s ? s : "");
    for (size_t i = 0; i < 19; i++) {
        bool ok = shape[i] == 'd' ? is_digit(s[i]) : s[i] == shape[i];
        if (!ok)
            return lia_err_set(err, LIA_EINVAL,
                               "timestamp \"%.*s\" is not "
                               "YYYY-MM-DDTHH:MM:SS[.s]Z (uppercase T, UTC \"Z\"): bad character "
                               "at position %zu",
                               (int)(len > 64 ? 64 : len), s, i);
    }
    int year = digits_value(s, 4), month = digits_value(s + 5, 2), day = digits_value(s + 8, 2);
    int hour = digits_value(s + 11, 2), minute = digits_value(s + 14, 2);
    int second = digits_value(s + 17, 2);

    size_t i = 19;
    int nfrac = 0;
    int64_t frac_us = 0;
    if (s[i] == '.') {
        i++;
        while (i < len && is_digit(s[i])) {
            if (nfrac < 6)
                frac_us = frac_us * 10 + (s[i] - '0');
            if (nfrac < 1000000)
                nfrac++;
            i++;
        }
        if (nfrac == 0)
            return lia_err_set(err, LIA_EINVAL,
                               "timestamp \"%.*s\": a '.' must be "
                               "followed by digits",
                               (int)(len > 64 ? 64 : len), s);
        for (int k = nfrac; k < 6; k++)
            frac_us *= 10;
    }
    if (i + 1 != len || s[i] != 'Z')
        return lia_err_set(err, LIA_EINVAL,
                           "timestamp \"%.*s\" must end in an uppercase "
                           "\"Z\" (UTC); offsets such as +01:00 are not allowed in STIX",
                           (int)(len > 64 ? 64 : len), s);
    if (month < 1 || month > 12)
        return lia_err_set(err, LIA_EINVAL, "timestamp \"%.*s\": month %02d is out of range",
                           (int)len, s, month);
    if (day < 1 || day > days_in_month(year, month))
        return lia_err_set(err, LIA_EINVAL, "timestamp \"%.*s\": %04d-%02d has no day %02d",
                           (int)len, s, year, month, day);
    if (hour > 23 || minute > 59 || second > 60)
        return lia_err_set(err, LIA_EINVAL,
                           "timestamp \"%.*s\": time of day out of range "
                           "(hour 00-23, minute 00-59, second 00-60)",
                           (int)len, s);
    if (second == 60) {
        second = 59;
        frac_us = 999999;
    }
    int64_t days = days_from_civil(year, month, day);
    *us = ((days * 86400 + hour * 3600 + minute * 60 + second) * 1000000) + frac_us;
    if (digits)
        *digits = nfrac;
    return LIA_OK;
}
