/*
 * Error values: one struct lia_err threaded through every fallible call, so
 * that the layer that meets a problem words the message and the API layer maps
 * the code to a TAXII error in one place.
 */
#include "util.h"

#include <stdio.h>
#include <string.h>

int(lia_err_set)(struct lia_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

void lia_err_clear(struct lia_err *err)
{
    if (err) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}

const char *lia_rc_name(int code)
{
    switch (code) {
    case LIA_OK:
        return "ok";
    case LIA_ENOMEM:
        return "out of memory";
    case LIA_EINVAL:
        return "invalid input";
    case LIA_ETOOBIG:
        return "limit exceeded";
    case LIA_ENOTFOUND:
        return "not found";
    case LIA_EIO:
        return "i/o error";
    case LIA_EFORBIDDEN:
        return "forbidden";
    case LIA_EUNAUTH:
        return "unauthorized";
    case LIA_ECONFLICT:
        return "conflict";
    case LIA_EUNSUPPORTED:
        return "unsupported";
    case LIA_EBUSY:
        return "busy";
    case LIA_EINTERNAL:
        return "internal error";
    case LIA_ENOSPC:
        return "disk full";
    default:
        return "error";
    }
}

bool lia_str_eq(struct lia_str a, const char *z)
{
    size_t n = strlen(z);
    return a.len == n && memcmp(a.ptr, z, n) == 0;
}
