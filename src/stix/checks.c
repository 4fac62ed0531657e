/*
 * Per-type rules that a property table cannot say: properties that exclude
 * or require each other, value ranges, and what an indicator's pattern must be.
 * One function per type, named after it, used through the check hook of the
 * tables in types.c. Markings have their own file (markings.c).
 */
#include "stix/stix_internal.h"

#include <string.h>

bool stix_is_extension_type(json_t *v);

static bool has(json_t *obj, const char *prop)
{
    return json_object_get(obj, prop) != NULL;
}

static const char *str(json_t *obj, const char *prop)
{
    return json_string_value(json_object_get(obj, prop));
}

int stix_check_location(json_t *obj, const char *path, struct lia_err *err)
{
    bool lat = has(obj, "latitude"), lon = has(obj, "longitude");
    if (lat != lon)
        return stix_refuse(err, STIX_RULE_EXCLUSIVE, lat ? "latitude" : "longitude",
                           "latitude and longitude go together");
    if (!lat && !has(obj, "region") && !has(obj, "country"))
        return stix_refuse(err, STIX_RULE_AT_LEAST_ONE, path,
                           "location needs region, country, or latitude and longitude");
    if (has(obj, "precision") && !lat)
        return stix_refuse(err, STIX_RULE_EXCLUSIVE, "precision", "needs latitude and longitude");
    if (lat) {
        double la = json_number_value(json_object_get(obj, "latitude"));
        double lo = json_number_value(json_object_get(obj, "longitude"));
        if (la < -90.0 || la > 90.0)
            return stix_refuse(err, STIX_RULE_RANGE, "latitude", "must be within -90..90");
        if (lo < -180.0 || lo > 180.0)
            return stix_refuse(err, STIX_RULE_RANGE, "longitude", "must be within -180..180");
    }
    return LIA_OK;
}

int stix_check_malware(json_t *obj, const char *path, struct lia_err *err)
{
    if (json_is_true(json_object_get(obj, "is_family")) && !has(obj, "name"))
        return stix_refuse(err, STIX_RULE_REQUIRED, "name",
                           "a malware family (is_family true) needs a name");
    return LIA_OK;
}

int stix_check_malware_analysis(json_t *obj, const char *path, struct lia_err *err)
{
    if (!has(obj, "result") && !has(obj, "analysis_sco_refs"))
        return stix_refuse(err, STIX_RULE_AT_LEAST_ONE, path,
                           "malware-analysis needs result or analysis_sco_refs");
    return LIA_OK;
}

int stix_check_observed_data(json_t *obj, const char *path, struct lia_err *err)
{
    json_int_t n = json_integer_value(json_object_get(obj, "number_observed"));
    if (n < 1 || n > 999999999)
        return stix_refuse(err, STIX_RULE_RANGE, "number_observed", "must be from 1 to 999999999");
    if (has(obj, "objects") == has(obj, "object_refs"))
        return stix_refuse(err, STIX_RULE_EXCLUSIVE, path,
                           "observed-data needs exactly one of objects (deprecated) and "
                           "object_refs");
    json_t *refs = json_object_get(obj, "object_refs");
    size_t i;
    json_t *ref;
    json_array_foreach(refs, i, ref)
    {
        const char *id = json_string_value(ref);
        const char *dd = strstr(id, "--");
        enum stix_kind k = stix_kind_of(id, (size_t)(dd - id));
        if (k == STIX_KIND_SCO || k == STIX_KIND_CUSTOM)
            return LIA_OK;
    }
    if (refs)
        return stix_refuse(err, STIX_RULE_REF_TARGET, "object_refs",
                           "must hold at least one SCO reference");
    return LIA_OK;
}

/* Section 4.7: a pattern of type stix is STIX patterning (section 9). Other pattern types
 * (sigma, yara, snort, suricata, pcre, custom) are stored as given. */
int stix_check_indicator(json_t *obj, const char *path, struct lia_err *err)
{
    const char *type = str(obj, "pattern_type");
    json_t *pattern = json_object_get(obj, "pattern");
    if (!type || strcmp(type, "stix") != 0)
        return LIA_OK;
    return stix_check_pattern("pattern", json_string_value(pattern), json_string_length(pattern),
                              err);
}

int stix_check_sighting(json_t *obj, const char *path, struct lia_err *err)
{
    json_t *count = json_object_get(obj, "count");
    if (count && json_integer_value(count) > 999999999)
        return stix_refuse(err, STIX_RULE_RANGE, "count", "must be from 0 to 999999999");
    return LIA_OK;
}

int stix_check_artifact(json_t *obj, const char *path, struct lia_err *err)
{
    bool bin = has(obj, "payload_bin"), url = has(obj, "url");
    if (bin == url)
        return stix_refuse(err, STIX_RULE_EXCLUSIVE, path,
                           "artifact needs exactly one of payload_bin and url");
    if (url && !has(obj, "hashes"))
        return stix_refuse(err, STIX_RULE_EXCLUSIVE, "hashes", "required when url is present");
    if (has(obj, "decryption_key") && !has(obj, "encryption_algorithm"))
        return stix_refuse(err, STIX_RULE_EXCLUSIVE, "decryption_key",
                           "needs encryption_algorithm");
    return LIA_OK;
}

int stix_check_autonomous_system(json_t *obj, const char *path, struct lia_err *err)
{
    json_int_t n = json_integer_value(json_object_get(obj, "number"));
    if (n < 0 || n > 4294967295LL)
        return stix_refuse(err, STIX_RULE_RANGE, "number", "must be from 0 to 4294967295");
    return LIA_OK;
}

int stix_check_email_message(json_t *obj, const char *path, struct lia_err *err)
{
    bool multipart = json_is_true(json_object_get(obj, "is_multipart"));
    if (multipart && has(obj, "body"))
        return stix_refuse(err, STIX_RULE_EXCLUSIVE, "body", "only for is_multipart false");
    if (!multipart && has(obj, "body_multipart"))
        return stix_refuse(err, STIX_RULE_EXCLUSIVE, "body_multipart", "needs is_multipart true");
    return LIA_OK;
}

int stix_check_mime_part(json_t *obj, const char *path, struct lia_err *err)
{
    if (!has(obj, "body") && !has(obj, "body_raw_ref"))
        return stix_refuse(err, STIX_RULE_AT_LEAST_ONE, path,
                           "a MIME part needs body or body_raw_ref");
    return LIA_OK;
}

int stix_check_file(json_t *obj, const char *path, struct lia_err *err)
{
    if (!has(obj, "hashes") && !has(obj, "name"))
        return stix_refuse(err, STIX_RULE_AT_LEAST_ONE, path, "file needs hashes or name");
    return LIA_OK;
}

int stix_check_network_traffic(json_t *obj, const char *path, struct lia_err *err)
{
    static const char *const ports[] = {"src_port", "dst_port"};
    if (!has(obj, "src_ref") && !has(obj, "dst_ref"))
        return stix_refuse(err, STIX_RULE_AT_LEAST_ONE, path,
                           "network-traffic needs src_ref or dst_ref");
    if (json_is_true(json_object_get(obj, "is_active")) && has(obj, "end"))
        return stix_refuse(err, STIX_RULE_EXCLUSIVE, "end",
                           "an active flow (is_active true) has no end");
    for (size_t i = 0; i < 2; i++) {
        json_t *p = json_object_get(obj, ports[i]);
        if (p && (json_integer_value(p) < 0 || json_integer_value(p) > 65535))
            return stix_refuse(err, STIX_RULE_RANGE, ports[i], "must be from 0 to 65535");
    }
    return LIA_OK;
}

int stix_check_extension_definition(json_t *obj, const char *path, struct lia_err *err)
{
    size_t i;
    json_t *t;
    bool toplevel = false;
    char sub[STIX_PATH_MAX];
    if (!has(obj, "created_by_ref"))
        return stix_refuse(err, STIX_RULE_EXTENSION_DEFINITION, "created_by_ref",
                           "required on extension definitions");
    json_array_foreach(json_object_get(obj, "extension_types"), i, t)
    {
        if (!stix_is_extension_type(t)) {
            stix_path_index(sub, "extension_types", i);
            return stix_refuse(err, STIX_RULE_EXTENSION_DEFINITION, sub,
                               "must be one of new-sdo, new-sco, new-sro, property-extension, "
                               "toplevel-property-extension");
        }
        toplevel |= strcmp(json_string_value(t), "toplevel-property-extension") == 0;
    }
    if (has(obj, "extension_properties") && !toplevel)
        return stix_refuse(err, STIX_RULE_EXTENSION_DEFINITION, "extension_properties",
                           "only goes with a toplevel-property-extension");
    return LIA_OK;
}

/* Section 7.1: object_ref points at a STIX object (not a bundle or another
 * language-content); the keys of contents are language tags, and the keys inside each
 * translation are property names. */
int stix_check_language_content(json_t *obj, const char *path, struct lia_err *err)
{
    const char *ref = str(obj, "object_ref");
    if (stix_id_has_type(ref, "bundle") || stix_id_has_type(ref, "language-content"))
        return stix_refuse(err, STIX_RULE_REF_TARGET, "object_ref",
                           "cannot point to a bundle or another language-content");
    const char *lang;
    json_t *tr;
    char sub[STIX_PATH_MAX];
    json_object_foreach(json_object_get(obj, "contents"), lang, tr)
    {
        stix_path_key(sub, "contents", lang);
        if (!stix_is_language_tag(lang, strlen(lang)))
            return stix_refuse(err, STIX_RULE_LANG, sub,
                               "\"%.40s\" is not an RFC 5646 language tag", lang);
        if (!json_is_object(tr) || json_object_size(tr) == 0)
            return stix_refuse(err, STIX_RULE_LANGUAGE_CONTENT, sub,
                               "a translation is a non-empty object of properties");
        const char *k;
        json_t *v;
        json_object_foreach(tr, k, v)
        {
            if (!stix_is_valid_property_name(k, strlen(k)))
                return stix_refuse(err, STIX_RULE_LANGUAGE_CONTENT, sub,
                                   "\"%.64s\" is not a property name", k);
        }
    }
    return LIA_OK;
}
