/*
 * Validation of one STIX 2.1 object: the common properties (section 3.2),
 * identifiers, versioning timestamps, markings, extensions and custom content
 * (section 11), then the properties of its type from the table in types.c.
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
 *  - *_ref / *_refs properties must hold identifiers, on spec-defined types
 *    (for their custom properties too). On custom object types only the
 *    common reference properties are checked: the shape of their own
 *    properties belongs to their extension definition, and real data
 *    (MITRE ATT&CK's x_mitre_data_source_ref: "") uses other conventions.
 *  - *_bin must be base64 and *_hex hex, at the top level and in extension
 *    dictionaries (sections 2.2 and 2.6).
 *
 * Cost: one pass over the object's members plus one hash lookup per property
 * the type defines; no allocation.
 */
#include "stix/stix_internal.h"

#include <string.h>

static bool str_eq(json_t *v, const char *z)
{
    return json_is_string(v) && strcmp(json_string_value(v), z) == 0;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* True when id's type is one of the '|'-separated names in targets ("" allows any). */
static bool ref_target_ok(const char *id, const char *targets)
{
    if (!targets || !targets[0])
        return true;
    const char *p = targets;
    while (*p) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (strncmp(id, p, n) == 0 && id[n] == '-' && id[n + 1] == '-')
            return true;
        p += n + (bar ? 1 : 0);
    }
    return false;
}

static int check_ref(const char *prop, json_t *v, const char *target, struct lia_err *err)
{
    if (!json_is_string(v) || !stix_is_valid_id(json_string_value(v), json_string_length(v)))
        return lia_err_set(err, STIX_EINVALID,
                           "property \"%s\": not a STIX identifier "
                           "(type--uuid)",
                           prop);
    if (!ref_target_ok(json_string_value(v), target))
        return lia_err_set(err, STIX_EINVALID, "property \"%s\": \"%s\" must refer to %s", prop,
                           json_string_value(v), target);
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

/* RFC 4648 base64 with padding, as the binary type asks (section 2.2). */
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

static int check_hash_value(const char *algo, const char *v, size_t n, struct lia_err *err)
{
    static const struct {
        const char *algo;
        size_t len;
    } sizes[] = {{"MD5", 32},      {"SHA-1", 40},    {"SHA-256", 64},
                 {"SHA-512", 128}, {"SHA3-256", 64}, {"SHA3-512", 128}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        if (strcmp(algo, sizes[i].algo) == 0 && (n != sizes[i].len || !is_hex_string(v, n)))
            return lia_err_set(err, STIX_EINVALID, "hashes \"%s\": expected %zu hex digits", algo,
                               sizes[i].len);
    }
    return LIA_OK;
}

static int check_kill_chain(const char *prop, json_t *list, struct lia_err *err)
{
    size_t i;
    json_t *phase;
    json_array_foreach(list, i, phase)
    {
        if (!json_is_object(phase) || !json_is_string(json_object_get(phase, "kill_chain_name")) ||
            !json_is_string(json_object_get(phase, "phase_name")))
            return lia_err_set(err, STIX_EINVALID,
                               "property \"%s\"[%zu]: a kill chain phase "
                               "needs string kill_chain_name and phase_name",
                               prop, i);
    }
    return LIA_OK;
}

int stix_check_value(const char *prop, json_t *v, unsigned char ptype, const char *target,
                     struct lia_err *err)
{
    int64_t us;
    size_t i;
    json_t *item;
    const char *k;
    struct lia_err why;
    switch (ptype) {
    case STIX_P_STRING:
        if (!json_is_string(v))
            return lia_err_set(err, STIX_EINVALID, "property \"%s\" must be a string", prop);
        return LIA_OK;
    case STIX_P_TIMESTAMP:
        if (!json_is_string(v))
            return lia_err_set(err, STIX_EINVALID,
                               "property \"%s\" must be a timestamp "
                               "string",
                               prop);
        if (stix_parse_timestamp(json_string_value(v), json_string_length(v), &us, NULL, &why))
            return lia_err_set(err, STIX_EINVALID, "property \"%s\": %s", prop, why.msg);
        return LIA_OK;
    case STIX_P_BOOL:
        if (!json_is_boolean(v))
            return lia_err_set(err, STIX_EINVALID, "property \"%s\" must be true or false", prop);
        return LIA_OK;
    case STIX_P_INT:
        if (!json_is_integer(v))
            return lia_err_set(err, STIX_EINVALID, "property \"%s\" must be an integer", prop);
        return LIA_OK;
    case STIX_P_NUMBER:
        if (!json_is_number(v))
            return lia_err_set(err, STIX_EINVALID, "property \"%s\" must be a number", prop);
        return LIA_OK;
    case STIX_P_REF:
        return check_ref(prop, v, target, err);
    case STIX_P_REFS:
    case STIX_P_STRINGS:
    case STIX_P_KILL_CHAIN:
    case STIX_P_LIST:
        if (!json_is_array(v) || json_array_size(v) == 0)
            return lia_err_set(err, STIX_EINVALID, "property \"%s\" must be a non-empty list",
                               prop);
        if (ptype == STIX_P_KILL_CHAIN)
            return check_kill_chain(prop, v, err);
        json_array_foreach(v, i, item)
        {
            if (ptype == STIX_P_REFS && check_ref(prop, item, target, err))
                return STIX_EINVALID;
            if (ptype == STIX_P_STRINGS && !json_is_string(item))
                return lia_err_set(err, STIX_EINVALID, "property \"%s\"[%zu] must be a string",
                                   prop, i);
        }
        return LIA_OK;
    case STIX_P_DICT:
    case STIX_P_HASHES:
        if (!json_is_object(v) || json_object_size(v) == 0)
            return lia_err_set(err, STIX_EINVALID,
                               "property \"%s\" must be a non-empty "
                               "dictionary",
                               prop);
        if (ptype == STIX_P_HASHES) {
            json_object_foreach(v, k, item)
            {
                if (!json_is_string(item) || strlen(k) > 250)
                    return lia_err_set(err, STIX_EINVALID,
                                       "property \"%s\": hash \"%s\" must "
                                       "be a string",
                                       prop, k);
                if (check_hash_value(k, json_string_value(item), json_string_length(item), &why))
                    return lia_err_set(err, STIX_EINVALID, "property \"%s\": %s", prop, why.msg);
            }
        }
        return LIA_OK;
    }
    return lia_err_set(err, LIA_EINTERNAL, "unknown property shape %d", ptype);
}

int stix_check_order(json_t *obj, const char *before, const char *after, bool strict,
                     struct lia_err *err)
{
    json_t *a = json_object_get(obj, before), *b = json_object_get(obj, after);
    int64_t ta, tb;
    if (!json_is_string(a) || !json_is_string(b))
        return LIA_OK;
    if (stix_parse_timestamp(json_string_value(a), json_string_length(a), &ta, NULL, NULL) ||
        stix_parse_timestamp(json_string_value(b), json_string_length(b), &tb, NULL, NULL))
        return LIA_OK; /* reported by the shape checks */
    if (strict ? tb <= ta : tb < ta)
        return lia_err_set(err, STIX_EINVALID, "\"%s\" must be %s \"%s\"", after,
                           strict ? "later than" : "the same as or later than", before);
    return LIA_OK;
}

/* Checks *_bin and *_hex members of one JSON object (the object or one extension). */
static int check_encoded_members(json_t *o, struct lia_err *err)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        size_t n = strlen(k);
        if (ends_with(k, n, "_bin") &&
            !(json_is_string(v) && is_base64(json_string_value(v), json_string_length(v))))
            return lia_err_set(err, STIX_EINVALID,
                               "property \"%s\" must be base64 "
                               "(RFC 4648)",
                               k);
        if (ends_with(k, n, "_hex") &&
            !(json_is_string(v) && is_hex_string(json_string_value(v), json_string_length(v))))
            return lia_err_set(err, STIX_EINVALID,
                               "property \"%s\" must be an even number of "
                               "hex digits",
                               k);
    }
    return LIA_OK;
}

static int check_granular_markings(json_t *v, struct lia_err *err)
{
    size_t i, j;
    json_t *gm, *sel;
    if (!json_is_array(v) || json_array_size(v) == 0)
        return lia_err_set(err, STIX_EINVALID, "granular_markings must be a non-empty list");
    json_array_foreach(v, i, gm)
    {
        json_t *selectors = json_object_get(gm, "selectors");
        json_t *ref = json_object_get(gm, "marking_ref"), *lang = json_object_get(gm, "lang");
        if (!json_is_object(gm) || !json_is_array(selectors) || json_array_size(selectors) == 0)
            return lia_err_set(err, STIX_EINVALID,
                               "granular_markings[%zu] needs a non-empty "
                               "selectors list",
                               i);
        json_array_foreach(selectors, j, sel)
        {
            if (!json_is_string(sel) || json_string_length(sel) == 0)
                return lia_err_set(err, STIX_EINVALID,
                                   "granular_markings[%zu].selectors[%zu] "
                                   "must be a non-empty string",
                                   i, j);
        }
        if (!ref == !lang)
            return lia_err_set(err, STIX_EINVALID,
                               "granular_markings[%zu] needs exactly one of "
                               "marking_ref and lang",
                               i);
        if (ref && check_ref("granular_markings.marking_ref", ref, "marking-definition", err))
            return STIX_EINVALID;
        if (lang && !json_is_string(lang))
            return lia_err_set(err, STIX_EINVALID,
                               "granular_markings[%zu].lang must be a "
                               "string",
                               i);
    }
    return LIA_OK;
}

static int check_external_references(json_t *v, struct lia_err *err)
{
    size_t i;
    json_t *er;
    if (!json_is_array(v) || json_array_size(v) == 0)
        return lia_err_set(err, STIX_EINVALID, "external_references must be a non-empty list");
    json_array_foreach(v, i, er)
    {
        json_t *source = json_object_get(er, "source_name");
        json_t *ext_id = json_object_get(er, "external_id");
        json_t *desc = json_object_get(er, "description"), *url = json_object_get(er, "url");
        if (!json_is_object(er) || !json_is_string(source))
            return lia_err_set(err, STIX_EINVALID,
                               "external_references[%zu] needs a string "
                               "source_name",
                               i);
        if ((ext_id && !json_is_string(ext_id)) || (desc && !json_is_string(desc)) ||
            (url && !json_is_string(url)))
            return lia_err_set(err, STIX_EINVALID,
                               "external_references[%zu]: external_id, "
                               "description and url must be strings",
                               i);
        if (!ext_id && !desc && !url)
            return lia_err_set(err, STIX_EINVALID,
                               "external_references[%zu] needs at least one "
                               "of description, url and external_id",
                               i);
        json_t *hashes = json_object_get(er, "hashes");
        if (hashes &&
            stix_check_value("external_references.hashes", hashes, STIX_P_HASHES, "", err))
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

/* extensions: keys are extension-definition ids (value has a valid extension_type) or,
 * on SCOs, predefined extension names; values are non-empty objects. */
static int check_extensions(json_t *v, bool sco, struct lia_err *err)
{
    const char *k;
    json_t *ext;
    if (!json_is_object(v) || json_object_size(v) == 0)
        return lia_err_set(err, STIX_EINVALID, "extensions must be a non-empty dictionary");
    json_object_foreach(v, k, ext)
    {
        size_t n = strlen(k);
        if (!json_is_object(ext) || json_object_size(ext) == 0)
            return lia_err_set(err, STIX_EINVALID,
                               "extensions[\"%s\"] must be a non-empty "
                               "object",
                               k);
        if (strncmp(k, "extension-definition--", 22) == 0 && stix_is_valid_id(k, n)) {
            if (!stix_is_extension_type(json_object_get(ext, "extension_type")))
                return lia_err_set(err, STIX_EINVALID,
                                   "extensions[\"%s\"].extension_type must "
                                   "be one of new-sdo, new-sco, new-sro, property-extension, "
                                   "toplevel-property-extension",
                                   k);
        } else if (!(sco && stix_is_predefined_extension(k))) {
            return lia_err_set(err, STIX_EINVALID,
                               "extensions key \"%s\" is neither an "
                               "extension-definition id nor a predefined SCO extension",
                               k);
        }
        if (check_encoded_members(ext, err))
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
                           "STIX 2.0 content is not accepted, liaison stores STIX 2.1");
    }
    if (!json_is_string(sv))
        return lia_err_set(err, STIX_EINVALID, "spec_version must be the string \"2.1\"");
    if (strcmp(json_string_value(sv), "2.1") != 0)
        return lia_err_set(err, STIX_EVERSION,
                           "spec_version \"%s\" is not accepted; liaison "
                           "stores STIX 2.1",
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
    if (!json_is_string(v))
        return lia_err_set(err, STIX_EINVALID,
                           v ? "property \"%s\" must be a timestamp string"
                             : "required property \"%s\" is missing",
                           prop);
    if (stix_parse_timestamp(json_string_value(v), json_string_length(v), us, &digits, &why))
        return lia_err_set(err, STIX_EINVALID, "property \"%s\": %s", prop, why.msg);
    if (millis && digits < 3)
        return lia_err_set(err, STIX_EINVALID,
                           "property \"%s\" must be precise to the "
                           "millisecond (at least 3 fractional digits)",
                           prop);
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
            return lia_err_set(err, STIX_EINVALID, "\"modified\" is earlier than \"created\"");
        info->modified = json_string_value(modified);
    }
    info->versioned = true;
    return LIA_OK;
}

/* Common properties found in the member pass; returns 1 when prop was one of them. */
static int check_common(json_t *obj, const char *k, json_t *v, bool sco, struct stix_info *info,
                        struct lia_err *err)
{
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
                return lia_err_set(err, STIX_EINVALID,
                                   "confidence must be an integer from 0 "
                                   "to 100");
            return 1;
        }
        break;
    case 'd':
        if (strcmp(k, "defanged") == 0) {
            if (!json_is_boolean(v))
                return lia_err_set(err, STIX_EINVALID, "defanged must be true or false");
            return 1;
        }
        break;
    case 'e':
        if (strcmp(k, "external_references") == 0)
            return check_external_references(v, err) ? STIX_EINVALID : 1;
        if (strcmp(k, "extensions") == 0)
            return check_extensions(v, sco, err) ? STIX_EINVALID : 1;
        break;
    case 'g':
        if (strcmp(k, "granular_markings") == 0)
            return check_granular_markings(v, err) ? STIX_EINVALID : 1;
        break;
    case 'l':
        if (strcmp(k, "labels") == 0)
            return stix_check_value(k, v, STIX_P_STRINGS, "", err) ? STIX_EINVALID : 1;
        if (strcmp(k, "lang") == 0) {
            if (!json_is_string(v) || json_string_length(v) == 0)
                return lia_err_set(err, STIX_EINVALID, "lang must be a language tag string");
            return 1;
        }
        break;
    case 'o':
        if (strcmp(k, "object_marking_refs") == 0) {
            if (stix_check_value(k, v, STIX_P_REFS, "marking-definition", err))
                return STIX_EINVALID;
            info->marking_refs = v;
            return 1;
        }
        break;
    case 'r':
        if (strcmp(k, "revoked") == 0) {
            if (!json_is_boolean(v))
                return lia_err_set(err, STIX_EINVALID, "revoked must be true or false");
            info->revoked = json_is_true(v);
            return 1;
        }
        break;
    }
    (void)obj;
    return 0;
}

/* Member pass: property names, common properties, and reference/encoding rules. */
static int check_members(json_t *obj, const struct stix_type *t, bool sco, struct stix_info *info,
                         struct lia_err *err)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        size_t n = strlen(k);
        if (!stix_is_valid_property_name(k, n))
            return lia_err_set(err, STIX_EINVALID,
                               "property name \"%.*s\" is not allowed: "
                               "names are 3-250 characters of a-z, A-Z, 0-9 and _",
                               (int)(n > 64 ? 64 : n), k);
        int rc = check_common(obj, k, v, sco, info, err);
        if (rc < 0)
            return rc;
        if (rc == 1 || !t)
            continue;
        if (ends_with(k, n, "_ref") && check_ref(k, v, "", err))
            return STIX_EINVALID;
        if (ends_with(k, n, "_refs") && stix_check_value(k, v, STIX_P_REFS, "", err))
            return STIX_EINVALID;
    }
    return check_encoded_members(obj, err);
}

static int check_type_props(json_t *obj, const struct stix_type *t, struct lia_err *err)
{
    bool any = false;
    for (size_t i = 0; i < t->n_props; i++) {
        const struct stix_prop *p = &t->props[i];
        json_t *v = json_object_get(obj, p->name);
        if (!v) {
            if (p->required)
                return lia_err_set(err, STIX_EINVALID,
                                   "%s: required property \"%s\" is "
                                   "missing",
                                   t->name, p->name);
            continue;
        }
        any = true;
        int rc = stix_check_value(p->name, v, p->ptype, p->target, err);
        if (rc)
            return rc;
    }
    if (t->any_property && !any && !json_object_get(obj, "extensions"))
        return lia_err_set(err, STIX_EINVALID, "%s: needs at least one of its own properties",
                           t->name);
    if (t->before) {
        int rc = stix_check_order(obj, t->before, t->after, t->strict_order, err);
        if (rc)
            return rc;
    }
    return t->check ? t->check(obj, err) : LIA_OK;
}

int stix_validate_object(json_t *obj, struct stix_info *info, struct lia_err *err)
{
    memset(info, 0, sizeof *info);
    if (!json_is_object(obj))
        return lia_err_set(err, STIX_EINVALID, "a STIX object must be a JSON object");
    json_t *type = json_object_get(obj, "type"), *id = json_object_get(obj, "id");
    if (!json_is_string(type) ||
        !stix_is_valid_type(json_string_value(type), json_string_length(type)))
        return lia_err_set(err, STIX_EINVALID,
                           type ? "\"type\" is not a valid STIX type name "
                                  "(3-250 characters of a-z, 0-9 and single hyphens)"
                                : "required property \"type\" is missing");
    info->type = json_string_value(type);
    if (!json_is_string(id) || !stix_is_valid_id(json_string_value(id), json_string_length(id)))
        return lia_err_set(err, STIX_EINVALID,
                           id ? "\"id\" is not a STIX identifier "
                                "(type--uuid, RFC 4122 UUID)"
                              : "required property \"id\" is missing");
    info->id = json_string_value(id);
    if (!stix_id_has_type(info->id, info->type))
        return lia_err_set(err, STIX_EINVALID, "\"id\" %s does not start with its type \"%s--\"",
                           info->id, info->type);

    const struct stix_type *t = stix_type_lookup(info->type);
    bool sco = t ? t->kind == STIX_KIND_SCO : declares_new_sco(obj);
    info->kind = t ? t->kind : STIX_KIND_CUSTOM;
    int rc = check_spec_version(obj, sco, info, err);
    if (!rc && !sco)
        rc = check_versioning(obj, t && strcmp(t->name, "marking-definition") == 0, info, err);
    if (!rc)
        rc = check_members(obj, t, sco, info, err);
    if (!rc && t)
        rc = check_type_props(obj, t, err);
    return rc;
}
