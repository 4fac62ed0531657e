/*
 * The rules a refusal names, and the wording of refusals.
 *
 * Every refusal of an object says where (the JSON path of the property at fault), what is
 * wrong, which rule of STIX 2.1 it breaks and the section that rule comes from, so that a
 * partner can fix its data (the OASIS validator words its errors the same way). The list of
 * rules is STIX_RULES in stix_internal.h; docs/stix-validation.md has the same table.
 */
#include "stix/stix_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct stix_rule_desc rules[] = {
#define STIX_RULE_DESC(e, id, sec, text) {id, sec, text},
    STIX_RULES(STIX_RULE_DESC)
#undef STIX_RULE_DESC
};

const struct stix_rule_desc *stix_rules(size_t *n)
{
    *n = sizeof rules / sizeof rules[0];
    return rules;
}

#undef stix_refuse
int stix_refuse(struct lia_err *err, enum stix_rule rule, const char *path, const char *fmt, ...)
{
    if (!err)
        return STIX_EINVALID;
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    const struct stix_rule_desc *r = &rules[rule];
    if (path && path[0])
        return lia_err_set(err, STIX_EINVALID, "%s: %s (rule %s, STIX 2.1 section %s)", path, what,
                           r->id, r->section);
    return lia_err_set(err, STIX_EINVALID, "%s (rule %s, STIX 2.1 section %s)", what, r->id,
                       r->section);
}

/* Paths are built for every property checked, so without printf: a copy and a join. */
static size_t put(char *out, size_t at, const char *s)
{
    size_t n = strlen(s);
    if (at + n >= STIX_PATH_MAX)
        n = STIX_PATH_MAX - 1 - at;
    memcpy(out + at, s, n);
    return at + n;
}

void stix_path_key(char *out, const char *path, const char *key)
{
    size_t at = 0;
    if (path && path[0]) {
        at = put(out, 0, path);
        at = put(out, at, ".");
    }
    at = put(out, at, key);
    out[at] = '\0';
}

void stix_path_index(char *out, const char *path, size_t i)
{
    char num[24];
    size_t k = sizeof num;
    num[--k] = '\0';
    num[--k] = ']';
    do {
        num[--k] = (char)('0' + i % 10);
        i /= 10;
    } while (i);
    num[--k] = '[';
    size_t at = put(out, 0, path ? path : "");
    at = put(out, at, num + k);
    out[at] = '\0';
}
