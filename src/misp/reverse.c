/*
 * From STIX back to MISP values (docs/misp.md, "STIX -> MISP"). Both a STIX pattern and the
 * SCOs of an observed-data are read as the same list of comparisons, [path, value] with
 * paths written exactly as the forward mapping writes them (attributes.c), so one function
 * (misp_pairs_value) turns either into the value of a MISP attribute.
 *
 * The pattern reader accepts the one shape the mapping writes and most producers use for a
 * single observable: "[" comparison ("AND" comparison)* "]", each comparison an object path,
 * "=", and a string literal (only \' and \\ escapes, as the grammar says) or an integer.
 * Anything else (OR, other operators, several observations, qualifiers) is not read as
 * attributes: the feed then carries the whole pattern as a stix2-pattern attribute.
 */
#include "misp/misp_int.h"

#include <ctype.h>
#include <string.h>

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

/* An object path: type ":" components, quoted components may hold anything but a quote. */
static const char *read_path(const char *p, struct dbuf *out)
{
    const char *s = p;
    bool colon = false;
    int brackets = 0; /* a list step, [*] or [0], is part of the path */
    while (*p && *p != ' ' && *p != '\t' && *p != '=' && (*p != ']' || brackets)) {
        if (*p == ':')
            colon = true;
        if (*p == '[')
            brackets++;
        if (*p == ']')
            brackets--;
        if (*p == '\'') {
            p++;
            while (*p && *p != '\'')
                p++;
            if (!*p)
                return NULL;
        }
        p++;
    }
    if (!colon || p == s || dbuf_append(out, s, (size_t)(p - s)))
        return NULL;
    return p;
}

static const char *read_literal(const char *p, struct dbuf *out)
{
    if (*p == '\'') {
        for (p++; *p && *p != '\''; p++) {
            if (*p == '\\') {
                p++;
                if (*p != '\'' && *p != '\\')
                    return NULL;
            }
            if (dbuf_append(out, p, 1))
                return NULL;
        }
        return *p == '\'' ? p + 1 : NULL;
    }
    const char *s = p;
    if (*p == '-')
        p++;
    if (!isdigit((unsigned char)*p))
        return NULL;
    while (isdigit((unsigned char)*p))
        p++;
    return dbuf_append(out, s, (size_t)(p - s)) ? NULL : p;
}

json_t *misp_pattern_pairs(const char *pattern)
{
    if (!pattern)
        return NULL;
    const char *p = skip_ws(pattern);
    if (*p++ != '[')
        return NULL;
    json_t *pairs = json_array();
    struct dbuf path, lit;
    dbuf_init(&path, 4096);
    dbuf_init(&lit, 64u << 20);
    bool ok = false;
    for (;;) {
        dbuf_reset(&path);
        dbuf_reset(&lit);
        p = skip_ws(p);
        if (!(p = read_path(p, &path)))
            break;
        p = skip_ws(p);
        if (*p++ != '=')
            break;
        p = skip_ws(p);
        if (!(p = read_literal(p, &lit)))
            break;
        json_array_append_new(pairs, json_pack("[s,s]", path.ptr, lit.ptr ? lit.ptr : ""));
        p = skip_ws(p);
        if (*p == ']') {
            ok = *skip_ws(p + 1) == '\0';
            break;
        }
        if (strncmp(p, "AND", 3) != 0 || (p[3] != ' ' && p[3] != '\t' && p[3] != '\n'))
            break;
        p += 3;
    }
    dbuf_release(&path);
    dbuf_release(&lit);
    if (!ok) {
        json_decref(pairs);
        return NULL;
    }
    return pairs;
}

static void add(json_t *pairs, const char *path, json_t *v)
{
    if (json_is_string(v))
        json_array_append_new(pairs, json_pack("[s,s]", path, json_string_value(v)));
    else if (json_is_integer(v)) {
        char n[24];
        snprintf(n, sizeof n, "%lld", (long long)json_integer_value(v));
        json_array_append_new(pairs, json_pack("[s,s]", path, n));
    }
}

static void add_ref_values(json_t *pairs, const char *path, json_t *refs, json_t *by_id)
{
    size_t i;
    json_t *r;
    if (json_is_string(refs)) {
        add(pairs, path, json_object_get(json_object_get(by_id, json_string_value(refs)), "value"));
        return;
    }
    json_array_foreach(refs, i, r)
        add(pairs, path, json_object_get(json_object_get(by_id, json_string_value(r)), "value"));
}

static void add_hashes(json_t *pairs, const char *prefix, json_t *hashes)
{
    const char *k;
    json_t *v;
    json_object_foreach(hashes, k, v)
    {
        struct dbuf b;
        dbuf_init(&b, 512);
        if (misp_path_key(&b, prefix, k) == 0)
            add(pairs, b.ptr, v);
        dbuf_release(&b);
    }
}

static void sco_pairs(json_t *sco, json_t *by_id, json_t *pairs)
{
    const char *type = misp_str(sco, "type");
    if (!type)
        return;
    char path[96];
    if (!strcmp(type, "domain-name")) {
        add(pairs, "domain-name:value", json_object_get(sco, "value"));
        add_ref_values(pairs, "domain-name:resolves_to_refs[*].value",
                       json_object_get(sco, "resolves_to_refs"), by_id);
    } else if (!strcmp(type, "ipv4-addr") || !strcmp(type, "ipv6-addr") || !strcmp(type, "url") ||
               !strcmp(type, "email-addr") || !strcmp(type, "mac-addr")) {
        snprintf(path, sizeof path, "%s:value", type);
        add(pairs, path, json_object_get(sco, "value"));
    } else if (!strcmp(type, "network-traffic")) {
        static const char *const dirs[] = {"src", "dst"};
        for (int d = 0; d < 2; d++) {
            snprintf(path, sizeof path, "%s_ref", dirs[d]);
            json_t *ref = json_object_get(by_id, misp_str(sco, path) ? misp_str(sco, path) : "");
            if (ref) {
                snprintf(path, sizeof path, "network-traffic:%s_ref.type", dirs[d]);
                add(pairs, path, json_object_get(ref, "type"));
                snprintf(path, sizeof path, "network-traffic:%s_ref.value", dirs[d]);
                add(pairs, path, json_object_get(ref, "value"));
            }
            char port[16];
            snprintf(port, sizeof port, "%s_port", dirs[d]);
            snprintf(path, sizeof path, "network-traffic:%s_port", dirs[d]);
            add(pairs, path, json_object_get(sco, port));
        }
    } else if (!strcmp(type, "file")) {
        add(pairs, "file:name", json_object_get(sco, "name"));
        add_hashes(pairs, "file:hashes", json_object_get(sco, "hashes"));
        add(pairs, "file:size", json_object_get(sco, "size"));
        add(pairs, "file:mime_type", json_object_get(sco, "mime_type"));
    } else if (!strcmp(type, "email-message")) {
        add_ref_values(pairs, "email-message:from_ref.value", json_object_get(sco, "from_ref"),
                       by_id);
        add_ref_values(pairs, "email-message:to_refs[*].value", json_object_get(sco, "to_refs"),
                       by_id);
        add_ref_values(pairs, "email-message:cc_refs[*].value", json_object_get(sco, "cc_refs"),
                       by_id);
        add(pairs, "email-message:subject", json_object_get(sco, "subject"));
        add(pairs, "email-message:body", json_object_get(sco, "body"));
        size_t r;
        json_t *line;
        json_array_foreach(json_object_get(sco, "received_lines"), r, line)
            add(pairs, "email-message:received_lines[*]", line);
        const char *hk;
        json_t *hv;
        json_object_foreach(json_object_get(sco, "additional_header_fields"), hk, hv)
        {
            struct dbuf b;
            dbuf_init(&b, 512);
            if (misp_path_key(&b, "email-message:additional_header_fields", hk) == 0)
                add(pairs, b.ptr, hv);
            dbuf_release(&b);
        }
        add(pairs, "email-message:message_id", json_object_get(sco, "message_id"));
        size_t i;
        json_t *part;
        json_array_foreach(json_object_get(sco, "body_multipart"), i, part)
        {
            json_t *f = json_object_get(
                by_id, misp_str(part, "body_raw_ref") ? misp_str(part, "body_raw_ref") : "");
            add(pairs, "email-message:body_multipart[*].body_raw_ref.name",
                json_object_get(f, "name"));
        }
    } else if (!strcmp(type, "windows-registry-key")) {
        add(pairs, "windows-registry-key:key", json_object_get(sco, "key"));
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(sco, "values"), i, v)
            add(pairs, "windows-registry-key:values[*].data", json_object_get(v, "data"));
    } else if (!strcmp(type, "user-account")) {
        add(pairs, "user-account:account_type", json_object_get(sco, "account_type"));
        add(pairs, "user-account:account_login", json_object_get(sco, "account_login"));
    } else if (!strcmp(type, "mutex")) {
        add(pairs, "mutex:name", json_object_get(sco, "name"));
    } else if (!strcmp(type, "autonomous-system")) {
        add(pairs, "autonomous-system:number", json_object_get(sco, "number"));
    } else if (!strcmp(type, "x509-certificate")) {
        add_hashes(pairs, "x509-certificate:hashes", json_object_get(sco, "hashes"));
    }
}

/* Ids a SCO refers to (*_ref, *_refs, body_raw_ref) go into set. */
static void referenced(json_t *sco, json_t *set)
{
    const char *k;
    json_t *v;
    json_object_foreach(sco, k, v)
    {
        size_t n = strlen(k);
        if (n > 4 && !strcmp(k + n - 4, "_ref") && json_is_string(v))
            json_object_set_new(set, json_string_value(v), json_true());
        if (n > 5 && !strcmp(k + n - 5, "_refs")) {
            size_t i;
            json_t *r;
            json_array_foreach(v, i, r) if (json_is_string(r))
                json_object_set_new(set, json_string_value(r), json_true());
        }
    }
    size_t i;
    json_t *part;
    json_array_foreach(json_object_get(sco, "body_multipart"), i, part)
    {
        const char *r = misp_str(part, "body_raw_ref");
        if (r)
            json_object_set_new(set, r, json_true());
    }
}

json_t *misp_sco_pairs(json_t *observed, json_t *by_id)
{
    json_t *refs = json_object_get(observed, "object_refs");
    json_t *inner = json_object();
    size_t i;
    json_t *r;
    json_array_foreach(refs, i, r) referenced(json_object_get(by_id, json_string_value(r)), inner);
    json_t *pairs = json_array();
    json_array_foreach(refs, i, r)
    {
        const char *id = json_string_value(r);
        if (id && !json_object_get(inner, id))
            sco_pairs(json_object_get(by_id, id), by_id, pairs);
    }
    json_decref(inner);
    return pairs;
}

const char *misp_carrier_value(const char *type, json_t *carrier, json_t *by_id, struct arena *a)
{
    const char *stype = misp_str(carrier, "type");
    if (!stype)
        return NULL;
    if (!strcmp(stype, "note"))
        return misp_str(carrier, "content");
    if (!strcmp(stype, "vulnerability") || !strcmp(stype, "campaign") ||
        !strcmp(stype, "threat-actor"))
        return misp_str(carrier, "name");
    json_t *pairs = NULL;
    if (!strcmp(stype, "indicator")) {
        const char *pt = misp_str(carrier, "pattern_type");
        if (pt && strcmp(pt, "stix") != 0)
            return misp_str(carrier, "pattern");
        pairs = misp_pattern_pairs(misp_str(carrier, "pattern"));
    } else if (!strcmp(stype, "observed-data")) {
        pairs = misp_sco_pairs(carrier, by_id);
    }
    const char *v = misp_pairs_value(type, pairs, a);
    v = v ? arena_strndup(a, v, strlen(v)) : NULL; /* pairs is freed below */
    json_decref(pairs);
    return v;
}
