/*
 * Validation of one STIX 2.1 object: the common properties (section 3.2),
 * identifiers, versioning timestamps, markings, extensions and custom content
 * (section 11), then the properties of its type from the tables in types.c.
 * Every refusal names the property path and the rule (rules.c).
 *
 * Rules decided here (docs/stix-validation.md explains them):
 *  - spec_version must be "2.1" on everything that is not an SCO; missing
 *    there, the object "looks like STIX 2.0" (STIX_EVERSION). SCOs may omit it.
 *  - created and modified must be at least millisecond precise (3 fractional
 *    digits), as the OASIS core schema asks; marking-definition's created is
 *    exempt (its schema uses a plain timestamp, and 2.1 data in the wild has
 *    "2017-06-01T00:00:00Z" marking definitions). modified >= created.
 *  - a custom object type (any valid type name we do not know) is an SDO-like
 *    object (spec_version, created, modified required) unless one of its
 *    extensions says "new-sco", which makes it SCO-like.
 *  - every top-level property name (and every property name inside an
 *    extension) is [a-z][a-z0-9_]{2,249} (sections 3.1, 7.3.2, 11.1) and not a
 *    reserved name (3.8); no top-level or extension property is an empty list
 *    or dictionary (2.3, 2.12). Lists nested deeper inside custom properties are
 *    left alone: MITRE ATT&CK ships empty ones there.
 *  - *_ref / *_refs properties must hold identifiers, on spec-defined types
 *    (for their custom properties too). On custom object types only the
 *    common reference properties are checked: the shape of their own
 *    properties belongs to their extension definition, and real data
 *    (MITRE ATT&CK's x_mitre_data_source_ref: "") uses other conventions.
 *  - *_bin must be base64 and *_hex hex, at the top level and in extension
 *    dictionaries (sections 2.1 and 2.8).
 *
 * Cost: one pass over the object's members plus one hash lookup per property
 * the type defines; value checks only on the properties present.
 */
#include "stix/stix_internal.h"

#include <string.h>

#define MAX_SAFE_INTEGER 9007199254740991LL /* 2^53 - 1, section 2.10 */

static bool str_eq(json_t *v, const char *z)
{
    return json_is_string(v) && strcmp(json_string_value(v), z) == 0;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* True when s (n bytes) is one of the '|'-separated words of list. */
static bool in_bar_list(const char *s, size_t n, const char *list)
{
    const char *p = list;
    while (*p) {
        const char *bar = strchr(p, '|');
        size_t k = bar ? (size_t)(bar - p) : strlen(p);
        if (k == n && memcmp(s, p, n) == 0)
            return true;
        p += k + (bar ? 1 : 0);
    }
    return false;
}

/* True when id's type is allowed by targets (see struct stix_prop). */
static bool ref_target_ok(const char *id, const char *targets)
{
    if (!targets || !targets[0])
        return true;
    const char *dd = strstr(id, "--");
    size_t n = dd ? (size_t)(dd - id) : strlen(id);
    if (targets[0] != '@')
        return in_bar_list(id, n, targets);
    enum stix_kind k = stix_kind_of(id, n);
    if (k == STIX_KIND_CUSTOM)
        return true;
    if (strcmp(targets, "@sdo") == 0)
        return k == STIX_KIND_SDO;
    if (strcmp(targets, "@sdo-sco") == 0)
        return k == STIX_KIND_SDO || k == STIX_KIND_SCO;
    if (strcmp(targets, "@sco") == 0)
        return k == STIX_KIND_SCO;
    if (strcmp(targets, "@sco-sro") == 0)
        return k == STIX_KIND_SCO || k == STIX_KIND_SRO;
    return false;
}

static const char *target_words(const char *targets)
{
    if (strcmp(targets, "@sdo") == 0)
        return "an SDO (not an SCO, SRO, bundle or meta object)";
    if (strcmp(targets, "@sdo-sco") == 0)
        return "an SDO or SCO (not an SRO, bundle, language-content, marking-definition or "
               "extension-definition)";
    if (strcmp(targets, "@sco") == 0)
        return "an SCO";
    if (strcmp(targets, "@sco-sro") == 0)
        return "an SCO or SRO";
    return targets;
}

static int check_ref(const char *path, json_t *v, const char *target, struct lia_err *err)
{
    if (!json_is_string(v) || !stix_is_valid_id(json_string_value(v), json_string_length(v)))
        return stix_refuse(err, STIX_RULE_REF_FORMAT, path,
                           "not a STIX identifier (type--uuid, RFC 4122 UUID)");
    if (!ref_target_ok(json_string_value(v), target))
        return stix_refuse(err, STIX_RULE_REF_TARGET, path, "\"%s\" must refer to %s",
                           json_string_value(v), target_words(target));
    return LIA_OK;
}

static bool is_hex_string(const char *s, size_t n)
{
    if (n % 2)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

/* RFC 4648 base64 with padding, as the binary type asks (section 2.1). */
static bool is_base64(const char *s, size_t n)
{
    if (n % 4)
        return false;
    size_t pad = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '+' || c == '/';
        if (c == '=') {
            if (i < n - 2)
                return false;
            pad++;
        } else if (!alpha || pad) {
            return false;
        }
    }
    return true;
}

static int check_kill_chain(const char *path, json_t *list, struct lia_err *err)
{
    size_t i;
    json_t *phase;
    char sub[STIX_PATH_MAX];
    json_array_foreach(list, i, phase)
    {
        if (!json_is_object(phase) || !json_is_string(json_object_get(phase, "kill_chain_name")) ||
            !json_is_string(json_object_get(phase, "phase_name"))) {
            stix_path_index(sub, path, i);
            return stix_refuse(err, STIX_RULE_KILL_CHAIN, sub,
                               "a kill chain phase needs string kill_chain_name and phase_name");
        }
    }
    return LIA_OK;
}

/* Dictionary keys (section 2.3), and hash keys of 3+ characters (2.7). */
static int check_dict_keys(const char *path, json_t *v, bool hashes, struct lia_err *err)
{
    const char *k;
    json_t *item;
    char sub[STIX_PATH_MAX];
    json_object_foreach(v, k, item)
    {
        size_t n = strlen(k);
        bool ok = n <= 250 && (!hashes || n >= 3);
        for (size_t i = 0; ok && i < n; i++) {
            char c = k[i];
            ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_';
        }
        if (!ok) {
            stix_path_key(sub, path, k);
            if (hashes)
                return stix_refuse(err, STIX_RULE_HASHES, sub,
                                   "hash names are 3-250 ASCII letters, digits, - and _");
            return stix_refuse(err, STIX_RULE_DICT_KEY, sub,
                               "dictionary keys are at most 250 ASCII letters, digits, - and _");
        }
        if (hashes) {
            if (!json_is_string(item)) {
                stix_path_key(sub, path, k);
                return stix_refuse(err, STIX_RULE_PROPERTY_TYPE, sub, "a hash value is a string");
            }
            stix_path_key(sub, path, k);
            if (stix_check_hash(sub, k, json_string_value(item), json_string_length(item), err))
                return STIX_EINVALID;
        }
    }
    return LIA_OK;
}

static int check_list(const char *path, json_t *v, const struct stix_prop *p, struct lia_err *err)
{
    size_t i;
    json_t *item;
    char sub[STIX_PATH_MAX];
    if (!json_is_array(v))
        return stix_refuse(err, STIX_RULE_PROPERTY_TYPE, path, "must be a list");
    if (json_array_size(v) == 0)
        return stix_refuse(err, STIX_RULE_EMPTY_LIST, path,
                           "must not be an empty list (omit the property instead)");
    if (p->ptype == STIX_P_KILL_CHAIN)
        return check_kill_chain(path, v, err);
    json_array_foreach(v, i, item)
    {
        stix_path_index(sub, path, i);
        switch (p->ptype) {
        case STIX_P_REFS:
            if (check_ref(sub, item, p->target, err))
                return STIX_EINVALID;
            break;
        case STIX_P_STRINGS:
            if (!json_is_string(item))
                return stix_refuse(err, STIX_RULE_PROPERTY_TYPE, sub, "must be a string");
            break;
        case STIX_P_SWLANGS:
            if (!json_is_string(item) ||
                !(stix_is_iso639_2(json_string_value(item), json_string_length(item)) ||
                  stix_is_language_tag(json_string_value(item), json_string_length(item))))
                return stix_refuse(err, STIX_RULE_SOFTWARE_LANGUAGES, sub,
                                   "\"%s\" is not an ISO 639-2 code or RFC 5646 language tag",
                                   json_is_string(item) ? json_string_value(item) : "?");
            break;
        case STIX_P_OBJECTS:
            if (!json_is_object(item))
                return stix_refuse(err, STIX_RULE_PROPERTY_TYPE, sub, "must be an object (%s)",
                                   p->sub->name);
            if (stix_check_props(item, sub, p->sub, err))
                return STIX_EINVALID;
            break;
        default:
            break;
        }
    }
    return LIA_OK;
}

static int check_string_value(const char *path, json_t *v, const struct stix_prop *p,
                              struct lia_err *err)
{
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    switch (p->ptype) {
    case STIX_P_ENUM:
        if (!in_bar_list(s, n, p->target))
            return stix_refuse(err, STIX_RULE_ENUM, path, "\"%s\" is not one of %s", s, p->target);
        return LIA_OK;
    case STIX_P_IPV4:
    case STIX_P_IPV6:
        return stix_check_ip(path, s, n, p->ptype == STIX_P_IPV6, err);
    case STIX_P_MAC:
        return stix_check_mac(path, s, n, err);
    case STIX_P_DOMAIN:
        return stix_check_domain(path, s, n, err);
    case STIX_P_URL:
        return stix_check_url(path, s, n, err);
    case STIX_P_EMAIL:
        return stix_check_email(path, s, n, err);
    case STIX_P_MIME:
        return stix_check_mime(path, s, n, err);
    case STIX_P_CHARSET:
        return stix_check_charset(path, s, n, err);
    case STIX_P_CPE:
        return stix_check_cpe(path, s, n, err);
    case STIX_P_REGKEY:
        return stix_check_regkey(path, s, n, err);
    case STIX_P_RELTYPE:
        for (size_t i = 0; i < n; i++) {
            char c = s[i];
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
                return stix_refuse(err, STIX_RULE_RELATIONSHIP_TYPE, path,
                                   "may hold only a-z, 0-9 and hyphen; \"%.60s\" has '%c'", s,
                                   c >= 0x20 && c < 0x7f ? c : '?');
        }
        if (n == 0)
            return stix_refuse(err, STIX_RULE_RELATIONSHIP_TYPE, path, "must not be empty");
        return LIA_OK;
    default:
        return LIA_OK;
    }
}

int stix_check_value(const char *path, json_t *v, const struct stix_prop *p, struct lia_err *err)
{
    int64_t us;
    struct lia_err why;
    switch (p->ptype) {
    case STIX_P_STRING:
        if (!json_is_string(v))
            return stix_refuse(err, STIX_RULE_PROPERTY_TYPE, path, "must be a string");
        return LIA_OK;
    case STIX_P_TIMESTAMP:
        if (!json_is_string(v))
            return stix_refuse(err, STIX_RULE_PROPERTY_TYPE, path, "must be a timestamp string");
        if (stix_parse_timestamp(json_string_value(v), json_string_length(v), &us, NULL, &why))
            return stix_refuse(err, STIX_RULE_TIMESTAMP, path, "%s", why.msg);
        return LIA_OK;
    case STIX_P_BOOL:
        if (!json_is_boolean(v))
            return stix_refuse(err, STIX_RULE_PROPERTY_TYPE, path, "must be true or false");
        return LIA_OK;
    case STIX_P_INT:
    case STIX_P_UINT:
        if (!json_is_integer(v))
            return stix_refuse(err, STIX_RULE_PROPERTY_TYPE, path, "must be an integer");
        if (json_integer_value(v) > MAX_SAFE_INTEGER || json_integer_value(v) < -MAX_SAFE_INTEGER)
            return stix_refuse(err, STIX_RULE_INTEGER_RANGE, path,
                               "integers must lie within -(2^53)+1 and (2^53)-1");
        if (p->ptype == STIX_P_UINT && json_integer_value(v) < 0)
            return stix_refuse(err, STIX_RULE_RANGE, path, "must not be negative");
        return LIA_OK;
    case STIX_P_NUMBER:
        if (!json_is_number(v))
            return stix_refuse(err, STIX_RULE_PROPERTY_TYPE, path, "must be a number");
        return LIA_OK;
    case STIX_P_REF:
        return check_ref(path, v, p->target, err);
    case STIX_P_REFS:
    case STIX_P_STRINGS:
    case STIX_P_KILL_CHAIN:
    case STIX_P_LIST:
    case STIX_P_SWLANGS:
    case STIX_P_OBJECTS:
        return check_list(path, v, p, err);
    case STIX_P_DICT:
    case STIX_P_HASHES:
        if (!json_is_object(v))
            return stix_refuse(err, STIX_RULE_PROPERTY_TYPE, path, "must be a dictionary");
        if (json_object_size(v) == 0)
            return stix_refuse(err, STIX_RULE_EMPTY_DICT, path,
                               "must not be an empty dictionary (omit the property instead)");
        return check_dict_keys(path, v, p->ptype == STIX_P_HASHES, err);
    case STIX_P_OBJECT:
        if (!json_is_object(v))
            return stix_refuse(err, STIX_RULE_PROPERTY_TYPE, path, "must be an object (%s)",
                               p->sub->name);
        return stix_check_props(v, path, p->sub, err);
    default:
        if (!json_is_string(v))
            return stix_refuse(err, STIX_RULE_PROPERTY_TYPE, path, "must be a string");
        return check_string_value(path, v, p, err);
    }
}

int stix_check_order(json_t *obj, const char *path, const char *before, const char *after,
                     bool strict, struct lia_err *err)
{
    json_t *a = json_object_get(obj, before), *b = json_object_get(obj, after);
    int64_t ta, tb;
    char sub[STIX_PATH_MAX];
    if (!json_is_string(a) || !json_is_string(b))
        return LIA_OK;
    if (stix_parse_timestamp(json_string_value(a), json_string_length(a), &ta, NULL, NULL) ||
        stix_parse_timestamp(json_string_value(b), json_string_length(b), &tb, NULL, NULL))
        return LIA_OK; /* reported by the shape checks */
    if (strict ? tb <= ta : tb < ta) {
        stix_path_key(sub, path, after);
        return stix_refuse(err, STIX_RULE_TIME_ORDER, sub, "must be %s \"%s\"",
                           strict ? "later than" : "the same as or later than", before);
    }
    return LIA_OK;
}

int stix_check_props(json_t *o, const char *path, const struct stix_type *t, struct lia_err *err)
{
    bool any = false;
    char sub[STIX_PATH_MAX];
    for (size_t i = 0; i < t->n_props; i++) {
        const struct stix_prop *p = &t->props[i];
        json_t *v = json_object_get(o, p->name);
        if (!v) {
            if (!p->required)
                continue;
            stix_path_key(sub, path, p->name);
            return stix_refuse(err, STIX_RULE_REQUIRED, sub, "required by %s is missing", t->name);
        }
        stix_path_key(sub, path, p->name);
        any = true;
        int rc = stix_check_value(sub, v, p, err);
        if (rc)
            return rc;
    }
    /* An SCO's extension counts as one of its properties (section 6.13). */
    if (t->any_property && !any && !json_object_get(o, "extensions"))
        return stix_refuse(err, STIX_RULE_AT_LEAST_ONE, path,
                           "%s needs at least one of its own properties", t->name);
    if (t->before) {
        int rc = stix_check_order(o, path, t->before, t->after, t->strict_order, err);
        if (rc)
            return rc;
    }
    return t->check ? t->check(o, path, err) : LIA_OK;
}

/* Checks *_bin and *_hex members of one JSON object (the object or one extension). */
static int check_encoded_members(json_t *o, const char *path, struct lia_err *err)
{
    const char *k;
    json_t *v;
    char sub[STIX_PATH_MAX];
    json_object_foreach(o, k, v)
    {
        size_t n = strlen(k);
        if (ends_with(k, n, "_bin") &&
            !(json_is_string(v) && is_base64(json_string_value(v), json_string_length(v)))) {
            stix_path_key(sub, path, k);
            return stix_refuse(err, STIX_RULE_BINARY, sub, "must be base64 (RFC 4648)");
        }
        if (ends_with(k, n, "_hex") &&
            !(json_is_string(v) && is_hex_string(json_string_value(v), json_string_length(v)))) {
            stix_path_key(sub, path, k);
            return stix_refuse(err, STIX_RULE_HEX, sub, "must be an even number of hex digits");
        }
    }
    return LIA_OK;
}

static const char *const reserved_names[] = {"action", "phone_number", "severity", "username"};

/* Names, reserved names, and no empty list or dictionary: for every member of o (the
 * object, or one extension's members). */
static int check_member_names(json_t *o, const char *path, struct lia_err *err)
{
    const char *k;
    json_t *v;
    char sub[STIX_PATH_MAX];
    json_object_foreach(o, k, v)
    {
        size_t n = strlen(k);
        if (!stix_is_valid_property_name(k, n)) {
            return stix_refuse(err, STIX_RULE_PROPERTY_NAME, path,
                               "property name \"%.64s\" is not allowed: names are 3-250 "
                               "characters of a-z, 0-9 and _, starting with a letter",
                               k);
        }
        for (size_t i = 0;
             strchr("apsu", k[0]) && i < sizeof reserved_names / sizeof reserved_names[0]; i++) {
            if (strcmp(k, reserved_names[i]) == 0) {
                stix_path_key(sub, path, k);
                return stix_refuse(err, STIX_RULE_RESERVED_NAME, sub,
                                   "\"%s\" is a reserved property name: it must not be used", k);
            }
        }
        if (json_is_array(v) && json_array_size(v) == 0) {
            stix_path_key(sub, path, k);
            return stix_refuse(err, STIX_RULE_EMPTY_LIST, sub,
                               "must not be an empty list (omit the property instead)");
        }
        if (json_is_object(v) && json_object_size(v) == 0) {
            stix_path_key(sub, path, k);
            return stix_refuse(err, STIX_RULE_EMPTY_DICT, sub,
                               "must not be an empty dictionary (omit the property instead)");
        }
    }
    return LIA_OK;
}

static int check_external_references(json_t *v, struct lia_err *err)
{
    size_t i;
    json_t *er;
    char path[STIX_PATH_MAX], sub[STIX_PATH_MAX];
    if (!json_is_array(v))
        return stix_refuse(err, STIX_RULE_PROPERTY_TYPE, "external_references", "must be a list");
    json_array_foreach(v, i, er)
    {
        stix_path_index(path, "external_references", i);
        json_t *source = json_object_get(er, "source_name");
        json_t *ext_id = json_object_get(er, "external_id");
        json_t *desc = json_object_get(er, "description"), *url = json_object_get(er, "url");
        if (!json_is_object(er) || !json_is_string(source))
            return stix_refuse(err, STIX_RULE_EXTERNAL_REF, path, "needs a string source_name");
        if ((ext_id && !json_is_string(ext_id)) || (desc && !json_is_string(desc)) ||
            (url && !json_is_string(url)))
            return stix_refuse(err, STIX_RULE_PROPERTY_TYPE, path,
                               "external_id, description and url must be strings");
        if (!ext_id && !desc && !url)
            return stix_refuse(err, STIX_RULE_EXTERNAL_REF, path,
                               "needs at least one of description, url and external_id");
        if (url) {
            stix_path_key(sub, path, "url");
            if (stix_check_url(sub, json_string_value(url), json_string_length(url), err))
                return STIX_EINVALID;
        }
        if (ext_id) {
            stix_path_key(sub, path, "external_id");
            if (stix_check_external_id(sub, json_string_value(source), json_string_value(ext_id),
                                       err))
                return STIX_EINVALID;
        }
        json_t *hashes = json_object_get(er, "hashes");
        static const struct stix_prop hashes_prop = {"hashes", STIX_P_HASHES, false, "", NULL};
        stix_path_key(sub, path, "hashes");
        if (hashes && stix_check_value(sub, hashes, &hashes_prop, err))
            return STIX_EINVALID;
    }
    return LIA_OK;
}

static const char *const extension_types[] = {"new-sdo", "new-sco", "new-sro", "property-extension",
                                              "toplevel-property-extension"};

bool stix_is_extension_type(json_t *v)
{
    for (size_t i = 0; i < sizeof extension_types / sizeof extension_types[0]; i++) {
        if (str_eq(v, extension_types[i]))
            return true;
    }
    return false;
}

/* Section 11.3.1 (deprecated custom SCO extensions): 3-250 of a-z, 0-9 and hyphen, ending
 * in "-ext". */
static bool custom_extension_name(const char *k, size_t n)
{
    if (n < 5 || n > 250 || !ends_with(k, n, "-ext"))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '-'))
            return false;
    }
    return true;
}

/* extensions: keys are extension-definition ids (value has a valid extension_type) or, on
 * SCOs, predefined extension names of that SCO type, whose contents are checked like a
 * type's; values are non-empty objects with valid property names. */
static int check_extensions(json_t *v, const char *type, bool sco, struct lia_err *err)
{
    const char *k;
    json_t *ext;
    char path[STIX_PATH_MAX];
    if (!json_is_object(v))
        return stix_refuse(err, STIX_RULE_PROPERTY_TYPE, "extensions", "must be a dictionary");
    json_object_foreach(v, k, ext)
    {
        size_t n = strlen(k);
        stix_path_key(path, "extensions", k);
        if (!json_is_object(ext) || json_object_size(ext) == 0)
            return stix_refuse(err, STIX_RULE_EXTENSIONS, path,
                               "an extension is a non-empty object");
        const struct stix_type *pre = NULL;
        if (strncmp(k, "extension-definition--", 22) == 0 && stix_is_valid_id(k, n)) {
            if (!stix_is_extension_type(json_object_get(ext, "extension_type")))
                return stix_refuse(err, STIX_RULE_EXTENSIONS, path,
                                   "extension_type must be one of new-sdo, new-sco, new-sro, "
                                   "property-extension, toplevel-property-extension");
        } else if (sco && !(pre = stix_extension_lookup(k)) && custom_extension_name(k, n)) {
            /* a custom SCO extension of section 11.3 (deprecated, still allowed) */
        } else if (!pre) {
            return stix_refuse(err, STIX_RULE_EXTENSIONS, path,
                               "\"%s\" is neither an extension-definition id, a predefined SCO "
                               "extension nor a custom SCO extension name (a-z, 0-9, -, ending "
                               "in -ext)",
                               k);
        } else if (strcmp(pre->extends, type) != 0) {
            return stix_refuse(err, STIX_RULE_PREDEF_EXTENSION, path,
                               "%s is an extension of %s objects, not of %s", k, pre->extends,
                               type);
        }
        if (check_member_names(ext, path, err) || check_encoded_members(ext, path, err))
            return STIX_EINVALID;
        if (pre && stix_check_props(ext, path, pre, err))
            return STIX_EINVALID;
    }
    return LIA_OK;
}

/* The custom kind: SCO-like when an extension declares "new-sco". */
static bool declares_new_sco(json_t *obj)
{
    const char *k;
    json_t *ext;
    json_object_foreach(json_object_get(obj, "extensions"), k, ext)
    {
        if (str_eq(json_object_get(ext, "extension_type"), "new-sco"))
            return true;
    }
    return false;
}

static int check_spec_version(json_t *obj, bool sco, struct stix_info *info, struct lia_err *err)
{
    json_t *sv = json_object_get(obj, "spec_version");
    if (!sv) {
        if (sco) {
            info->spec_version = "2.1";
            return LIA_OK;
        }
        return lia_err_set(err, STIX_EVERSION,
                           "no spec_version: this looks like STIX 2.0; "
                           "STIX 2.0 content is not accepted, liaison stores STIX 2.1 "
                           "(rule spec-version, STIX 2.1 section 3.2)");
    }
    if (!json_is_string(sv))
        return stix_refuse(err, STIX_RULE_SPEC_VERSION, "spec_version",
                           "must be the string \"2.1\"");
    if (strcmp(json_string_value(sv), "2.1") != 0)
        return lia_err_set(err, STIX_EVERSION,
                           "spec_version: \"%s\" is not accepted; liaison stores STIX 2.1 "
                           "(rule spec-version, STIX 2.1 section 3.2)",
                           json_string_value(sv));
    info->spec_version = json_string_value(sv);
    return LIA_OK;
}

static int parse_version_time(json_t *obj, const char *prop, bool millis, int64_t *us,
                              struct lia_err *err)
{
    json_t *v = json_object_get(obj, prop);
    int digits;
    struct lia_err why;
    if (!v)
        return stix_refuse(err, STIX_RULE_REQUIRED, prop, "required property is missing");
    if (!json_is_string(v))
        return stix_refuse(err, STIX_RULE_PROPERTY_TYPE, prop, "must be a timestamp string");
    if (stix_parse_timestamp(json_string_value(v), json_string_length(v), us, &digits, &why))
        return stix_refuse(err, STIX_RULE_TIMESTAMP, prop, "%s", why.msg);
    if (millis && digits < 3)
        return stix_refuse(err, STIX_RULE_TIMESTAMP_MILLIS, prop,
                           "must be precise to the millisecond (at least 3 fractional digits)");
    return LIA_OK;
}

static int check_versioning(json_t *obj, bool is_marking, struct stix_info *info,
                            struct lia_err *err)
{
    int rc = parse_version_time(obj, "created", !is_marking, &info->created_us, err);
    if (rc)
        return rc;
    json_t *modified = json_object_get(obj, "modified");
    if (!modified && is_marking) {
        info->modified_us = info->created_us;
        info->modified = json_string_value(json_object_get(obj, "created"));
    } else {
        rc = parse_version_time(obj, "modified", !is_marking, &info->modified_us, err);
        if (rc)
            return rc;
        if (info->modified_us < info->created_us)
            return stix_refuse(err, STIX_RULE_MODIFIED_ORDER, "modified",
                               "is earlier than \"created\"");
        info->modified = json_string_value(modified);
    }
    info->versioned = true;
    return LIA_OK;
}

static int check_marking_refs(json_t *obj, json_t *v, struct stix_info *info, struct lia_err *err)
{
    static const struct stix_prop prop = {"object_marking_refs", STIX_P_REFS, false,
                                          "marking-definition", NULL};
    if (stix_check_value("object_marking_refs", v, &prop, err))
        return STIX_EINVALID;
    size_t i;
    json_t *ref;
    char sub[STIX_PATH_MAX];
    json_array_foreach(v, i, ref)
    {
        if (strcmp(json_string_value(ref), info->id) == 0) {
            stix_path_index(sub, "object_marking_refs", i);
            return stix_refuse(err, STIX_RULE_MARKING_REFS, sub,
                               "a marking definition cannot mark itself (circular reference)");
        }
    }
    (void)obj;
    info->marking_refs = v;
    return LIA_OK;
}

/* Common properties found in the member pass; returns 1 when prop was one of them. */
static int check_common(json_t *obj, const char *k, json_t *v, bool sco, struct stix_info *info,
                        struct lia_err *err)
{
    static const struct stix_prop labels = {"labels", STIX_P_STRINGS, false, "", NULL};
    switch (k[0]) {
    case 'c':
        if (strcmp(k, "created_by_ref") == 0) {
            if (check_ref(k, v, "identity", err))
                return STIX_EINVALID;
            info->created_by_ref = json_string_value(v);
            return 1;
        }
        if (strcmp(k, "confidence") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 100)
                return stix_refuse(err, STIX_RULE_CONFIDENCE, k,
                                   "must be an integer from 0 to 100");
            return 1;
        }
        break;
    case 'd':
        if (strcmp(k, "defanged") == 0) {
            if (!json_is_boolean(v))
                return stix_refuse(err, STIX_RULE_PROPERTY_TYPE, k, "must be true or false");
            if (!sco)
                return stix_refuse(err, STIX_RULE_DEFANGED, k,
                                   "is only for SCOs, not for %s objects", info->type);
            return 1;
        }
        break;
    case 'e':
        if (strcmp(k, "external_references") == 0)
            return check_external_references(v, err) ? STIX_EINVALID : 1;
        if (strcmp(k, "extensions") == 0)
            return check_extensions(v, info->type, sco, err) ? STIX_EINVALID : 1;
        break;
    case 'g':
        if (strcmp(k, "granular_markings") == 0)
            return stix_check_granular_markings(obj, v,
                                                strcmp(info->type, "marking-definition") == 0, err)
                       ? STIX_EINVALID
                       : 1;
        break;
    case 'l':
        if (strcmp(k, "labels") == 0)
            return stix_check_value(k, v, &labels, err) ? STIX_EINVALID : 1;
        if (strcmp(k, "lang") == 0) {
            if (!json_is_string(v))
                return stix_refuse(err, STIX_RULE_PROPERTY_TYPE, k, "must be a string");
            if (!stix_is_language_tag(json_string_value(v), json_string_length(v)))
                return stix_refuse(err, STIX_RULE_LANG, k,
                                   "\"%.40s\" is not an RFC 5646 language tag",
                                   json_string_value(v));
            return 1;
        }
        break;
    case 'o':
        if (strcmp(k, "object_marking_refs") == 0)
            return check_marking_refs(obj, v, info, err) ? STIX_EINVALID : 1;
        break;
    case 'r':
        if (strcmp(k, "revoked") == 0) {
            if (!json_is_boolean(v))
                return stix_refuse(err, STIX_RULE_PROPERTY_TYPE, k, "must be true or false");
            info->revoked = json_is_true(v);
            return 1;
        }
        break;
    }
    return 0;
}

/* Member pass: property names, common properties, and reference/encoding rules. */
static int check_members(json_t *obj, const struct stix_type *t, bool sco, struct stix_info *info,
                         struct lia_err *err)
{
    static const struct stix_prop any_refs = {"", STIX_P_REFS, false, "", NULL};
    const char *k;
    json_t *v;
    if (check_member_names(obj, "", err))
        return STIX_EINVALID;
    json_object_foreach(obj, k, v)
    {
        size_t n = strlen(k);
        int rc = check_common(obj, k, v, sco, info, err);
        if (rc < 0)
            return rc;
        if (rc == 1 || !t)
            continue;
        if (ends_with(k, n, "_ref") && check_ref(k, v, "", err))
            return STIX_EINVALID;
        if (ends_with(k, n, "_refs") && stix_check_value(k, v, &any_refs, err))
            return STIX_EINVALID;
    }
    return check_encoded_members(obj, "", err);
}

/* SCOs have no created or modified (3.2), but some carry them: they are timestamps. */
static int check_sco_times(json_t *obj, struct lia_err *err)
{
    static const struct stix_prop times[] = {{"created", STIX_P_TIMESTAMP, false, "", NULL},
                                             {"modified", STIX_P_TIMESTAMP, false, "", NULL}};
    for (size_t i = 0; i < 2; i++) {
        json_t *v = json_object_get(obj, times[i].name);
        if (v && stix_check_value(times[i].name, v, &times[i], err))
            return STIX_EINVALID;
    }
    return LIA_OK;
}

/* Section 2.9: an SCO whose ID contributing properties are all optional and all absent
 * (and a process, which has none) has a UUIDv4 id. */
static int check_sco_uuid(json_t *obj, const struct stix_type *t, const char *id,
                          struct lia_err *err)
{
    const char *p = t->contributing;
    while (p && *p) {
        const char *bar = strchr(p, '|');
        size_t k = bar ? (size_t)(bar - p) : strlen(p);
        char name[64];
        if (k < sizeof name) {
            memcpy(name, p, k);
            name[k] = '\0';
            if (json_object_get(obj, name))
                return LIA_OK;
        }
        p += k + (bar ? 1 : 0);
    }
    const char *uuid = strstr(id, "--") + 2;
    if (uuid[14] != '4')
        return stix_refuse(err, STIX_RULE_SCO_UUID_V4, "id",
                           "%s has none of its ID contributing properties%s%s, so its id must "
                           "be a UUIDv4 (this one is version %c)",
                           t->name, t->contributing ? " " : "",
                           t->contributing ? t->contributing : "", uuid[14]);
    return LIA_OK;
}

/* A revocation stub (docs/people.md, a departure): the version that revokes an object whose
 * content was deleted carries no more than the common properties, so the properties its type
 * requires are not asked of it. Anything else in it makes it an ordinary object. */
static bool revocation_stub(json_t *obj)
{
    static const char *const common[] = {
        "type",           "spec_version",        "id",        "created", "modified", "revoked",
        "created_by_ref", "object_marking_refs", "extensions"};
    if (!json_is_true(json_object_get(obj, "revoked")))
        return false;
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        bool found = false;
        for (size_t i = 0; i < sizeof common / sizeof common[0] && !found; i++)
            found = !strcmp(k, common[i]);
        if (!found)
            return false;
    }
    return true;
}

int stix_validate_object(json_t *obj, struct stix_info *info, struct lia_err *err)
{
    memset(info, 0, sizeof *info);
    if (!json_is_object(obj))
        return stix_refuse(err, STIX_RULE_OBJECT, "", "a STIX object must be a JSON object");
    json_t *type = json_object_get(obj, "type"), *id = json_object_get(obj, "id");
    if (!type)
        return stix_refuse(err, STIX_RULE_REQUIRED, "type", "required property is missing");
    if (!json_is_string(type) ||
        !stix_is_valid_type(json_string_value(type), json_string_length(type)))
        return stix_refuse(err, STIX_RULE_TYPE_NAME, "type",
                           "not a valid STIX type name (3-250 characters of a-z, 0-9 and single "
                           "hyphens)");
    info->type = json_string_value(type);
    if (!id)
        return stix_refuse(err, STIX_RULE_REQUIRED, "id", "required property is missing");
    if (!json_is_string(id) || !stix_is_valid_id(json_string_value(id), json_string_length(id)))
        return stix_refuse(err, STIX_RULE_ID_FORMAT, "id",
                           "not a STIX identifier (type--uuid, RFC 4122 UUID)");
    info->id = json_string_value(id);
    if (!stix_id_has_type(info->id, info->type))
        return stix_refuse(err, STIX_RULE_ID_PREFIX, "id",
                           "%s does not start with its type \"%s--\"", info->id, info->type);

    const struct stix_type *t = stix_type_lookup(info->type);
    info->kind = t ? t->kind : STIX_KIND_CUSTOM;
    if (!t) /* a type liaison defines by extension (liaison_types.c): its kind stays custom */
        t = stix_liaison_type_lookup(info->type);
    bool sco = t ? t->kind == STIX_KIND_SCO : declares_new_sco(obj);
    int rc = check_spec_version(obj, sco, info, err);
    if (!rc && !sco)
        rc = check_versioning(obj, t && strcmp(t->name, "marking-definition") == 0, info, err);
    if (!rc && sco)
        rc = check_sco_times(obj, err);
    if (!rc)
        rc = check_members(obj, t, sco, info, err);
    if (!rc && !sco && strcmp(info->type, "marking-definition") != 0 && revocation_stub(obj))
        info->revocation_stub = true;
    if (!rc && t && !info->revocation_stub)
        rc = stix_check_props(obj, "", t, err);
    if (!rc && t && t->kind == STIX_KIND_SCO)
        rc = check_sco_uuid(obj, t, info->id, err);
    return rc;
}
