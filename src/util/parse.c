/*
 * Strict integer parsing: the sanctioned replacement for atoi and friends,
 * which are banned (style.md) because they cannot say that a text was not a
 * number, or was out of range.
 */
#include "util.h"

int lia_parse_i64(const char *s, size_t n, int64_t min, int64_t max, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (n > 0 && s[0] == '-' && min < 0) {
        neg = true;
        i = 1;
    }
    if (i >= n || n - i > 18)
        return LIA_EINVAL;
    int64_t v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return LIA_EINVAL;
        v = v * 10 + (s[i] - '0');
    }
    if (neg)
        v = -v;
    if (v < min || v > max)
        return LIA_EINVAL;
    *out = v;
    return LIA_OK;
}
