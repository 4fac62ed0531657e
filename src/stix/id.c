/*
 * STIX names and identifiers (STIX 2.1 sections 2.9 and 3.1).
 *
 * A type name is 3-250 ASCII characters from [a-z0-9-], starts with a letter,
 * has no "--" (that separates type from UUID in an identifier) and does not
 * end with '-' (the identifier schema needs [a-z0-9] before "--").
 *
 * An identifier is "type--UUID" where the UUID is RFC 4122: 8-4-4-4-12 hex,
 * version 1-5, variant 10xx. The spec says SDOs, SROs and meta objects SHOULD
 * (not MUST) use v4, so every RFC 4122 version is accepted, as the OASIS JSON
 * schema does. RFC 4122 makes hex digits case-insensitive on input and the
 * schema accepts A-F, and published examples carry uppercase digits, so they are
 * accepted; stix_new_id writes lowercase. Ids are compared as exact strings
 * everywhere else in liaison.
 */
#include "stix/stix.h"
#include "stix/stix_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool stix_is_valid_type(const char *s, size_t len)
{
    if (!s || len < 3 || len > 250)
        return false;
    if (s[0] < 'a' || s[0] > 'z' || s[len - 1] == '-')
        return false;
    for (size_t i = 1; i < len; i++) {
        char c = s[i];
        if (c == '-') {
            if (s[i - 1] == '-')
                return false;
        } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
            return false;
        }
    }
    return true;
}

bool stix_is_valid_uuid(const char *u, size_t len)
{
    if (len != 36)
        return false;
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (u[i] != '-')
                return false;
        } else if (!is_hex(u[i])) {
            return false;
        }
    }
    if (u[14] < '1' || u[14] > '5')
        return false;
    return strchr("89abAB", u[19]) != NULL && u[19] != '\0';
}

bool stix_is_valid_id(const char *s, size_t len)
{
    if (!s || len < 3 + 2 + 36)
        return false;
    size_t type_len = len - 36 - 2;
    if (s[type_len] != '-' || s[type_len + 1] != '-')
        return false;
    return stix_is_valid_type(s, type_len) && stix_is_valid_uuid(s + type_len + 2, 36);
}

bool stix_id_has_type(const char *id, const char *type)
{
    size_t n = strlen(type);
    return strncmp(id, type, n) == 0 && id[n] == '-' && id[n + 1] == '-';
}

bool stix_is_valid_property_name(const char *s, size_t len)
{
    if (len == 2 && s[0] == 'i' && s[1] == 'd')
        return true;
    if (len < 3 || len > 250 || s[0] < 'a' || s[0] > 'z')
        return false;
    for (size_t i = 1; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

void stix_new_id(const char *type, char *out, size_t outlen)
{
    char uuid[37];
    if (sodium_init() < 0) {
        /* libsodium could not initialise its RNG: never hand out a guessable id. */
        if (outlen)
            out[0] = '\0';
        return;
    }
    lia_uuid4(uuid);
    int n = snprintf(out, outlen, "%s--%s", type, uuid);
    if (n < 0 || (size_t)n >= outlen) {
        if (outlen)
            out[0] = '\0';
    }
}
