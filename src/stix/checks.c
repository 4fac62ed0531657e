/*
 * Per-type rules that a property table cannot say: properties that exclude
 * or require each other, value ranges and the few vocabularies the spec closes
 * (opinion, extension types, TLP). One function per type, named after it, used
 * through the check hook of the table in types.c.
 *
 * Markings get the closest look, because liaison enforces them: a TLP 1.0
 * marking-definition (definition_type "tlp") must be one of the four the spec
 * predefines, with the matching id and colour; a TLP 2.0 marking (the
 * extension-definition--60a3c5c5-... property extension) must name one of the
 * five TLP 2.0 labels and carry that label's predefined id. So a producer
 * cannot mint a look-alike "TLP:CLEAR" with another id.
 */
#include "stix/stix_internal.h"

#include <string.h>

bool stix_is_extension_type(json_t *v);

#define TLP2_EXTENSION "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

static bool has(json_t *obj, const char *prop)
{
    return json_object_get(obj, prop) != NULL;
}

static const char *str(json_t *obj, const char *prop)
{
    return json_string_value(json_object_get(obj, prop));
}

static bool in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; s && i < n; i++) {
        if (strcmp(s, list[i]) == 0)
            return true;
    }
    return false;
}

int stix_check_location(json_t *obj, struct lia_err *err)
{
    bool lat = has(obj, "latitude"), lon = has(obj, "longitude");
    if (lat != lon)
        return lia_err_set(err, STIX_EINVALID, "location: latitude and longitude go together");
    if (!lat && !has(obj, "region") && !has(obj, "country"))
        return lia_err_set(err, STIX_EINVALID,
                           "location: needs region, country, or latitude "
                           "and longitude");
    if (has(obj, "precision") && !lat)
        return lia_err_set(err, STIX_EINVALID,
                           "location: precision needs latitude and "
                           "longitude");
    if (lat) {
        double la = json_number_value(json_object_get(obj, "latitude"));
        double lo = json_number_value(json_object_get(obj, "longitude"));
        if (la < -90.0 || la > 90.0 || lo < -180.0 || lo > 180.0)
            return lia_err_set(err, STIX_EINVALID,
                               "location: latitude must be within -90..90 "
                               "and longitude within -180..180");
    }
    return LIA_OK;
}

int stix_check_malware(json_t *obj, struct lia_err *err)
{
    if (json_is_true(json_object_get(obj, "is_family")) && !has(obj, "name"))
        return lia_err_set(err, STIX_EINVALID,
                           "malware: a malware family (is_family true) needs "
                           "a name");
    return LIA_OK;
}

int stix_check_malware_analysis(json_t *obj, struct lia_err *err)
{
    if (!has(obj, "result") && !has(obj, "analysis_sco_refs"))
        return lia_err_set(err, STIX_EINVALID,
                           "malware-analysis: needs result or "
                           "analysis_sco_refs");
    return LIA_OK;
}

int stix_check_observed_data(json_t *obj, struct lia_err *err)
{
    json_int_t n = json_integer_value(json_object_get(obj, "number_observed"));
    if (n < 1 || n > 999999999)
        return lia_err_set(err, STIX_EINVALID,
                           "observed-data: number_observed must be from 1 "
                           "to 999999999");
    if (has(obj, "objects") == has(obj, "object_refs"))
        return lia_err_set(err, STIX_EINVALID,
                           "observed-data: needs exactly one of objects "
                           "(deprecated) and object_refs");
    return LIA_OK;
}

int stix_check_opinion(json_t *obj, struct lia_err *err)
{
    static const char *const values[] = {"strongly-disagree", "disagree", "neutral", "agree",
                                         "strongly-agree"};
    if (!in_list(str(obj, "opinion"), values, sizeof values / sizeof values[0]))
        return lia_err_set(err, STIX_EINVALID,
                           "opinion: \"opinion\" must be one of "
                           "strongly-disagree, disagree, neutral, agree, strongly-agree");
    return LIA_OK;
}

int stix_check_artifact(json_t *obj, struct lia_err *err)
{
    bool bin = has(obj, "payload_bin"), url = has(obj, "url");
    if (bin == url)
        return lia_err_set(err, STIX_EINVALID,
                           "artifact: needs exactly one of payload_bin and "
                           "url");
    if (url && !has(obj, "hashes"))
        return lia_err_set(err, STIX_EINVALID, "artifact: url needs hashes");
    if (has(obj, "decryption_key") && !has(obj, "encryption_algorithm"))
        return lia_err_set(err, STIX_EINVALID,
                           "artifact: decryption_key needs "
                           "encryption_algorithm");
    return LIA_OK;
}

int stix_check_autonomous_system(json_t *obj, struct lia_err *err)
{
    json_int_t n = json_integer_value(json_object_get(obj, "number"));
    if (n < 0 || n > 4294967295LL)
        return lia_err_set(err, STIX_EINVALID,
                           "autonomous-system: number must be from 0 to "
                           "4294967295");
    return LIA_OK;
}

int stix_check_email_message(json_t *obj, struct lia_err *err)
{
    bool multipart = json_is_true(json_object_get(obj, "is_multipart"));
    if (multipart && has(obj, "body"))
        return lia_err_set(err, STIX_EINVALID,
                           "email-message: body is only for is_multipart "
                           "false");
    if (!multipart && has(obj, "body_multipart"))
        return lia_err_set(err, STIX_EINVALID,
                           "email-message: body_multipart needs "
                           "is_multipart true");
    return LIA_OK;
}

int stix_check_file(json_t *obj, struct lia_err *err)
{
    if (!has(obj, "hashes") && !has(obj, "name"))
        return lia_err_set(err, STIX_EINVALID, "file: needs hashes or name");
    return LIA_OK;
}

int stix_check_network_traffic(json_t *obj, struct lia_err *err)
{
    static const char *const ports[] = {"src_port", "dst_port"};
    if (!has(obj, "src_ref") && !has(obj, "dst_ref"))
        return lia_err_set(err, STIX_EINVALID, "network-traffic: needs src_ref or dst_ref");
    if (json_is_true(json_object_get(obj, "is_active")) && has(obj, "end"))
        return lia_err_set(err, STIX_EINVALID,
                           "network-traffic: an active flow (is_active "
                           "true) has no end");
    for (size_t i = 0; i < 2; i++) {
        json_t *p = json_object_get(obj, ports[i]);
        if (p && (json_integer_value(p) < 0 || json_integer_value(p) > 65535))
            return lia_err_set(err, STIX_EINVALID, "network-traffic: %s must be from 0 to 65535",
                               ports[i]);
    }
    return LIA_OK;
}

static const struct {
    const char *id, *colour, *name;
} tlp1[] = {
    {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", "white", "TLP:WHITE"},
    {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "green", "TLP:GREEN"},
    {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", "amber", "TLP:AMBER"},
    {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "red", "TLP:RED"},
};

static const struct {
    const char *id, *label;
} tlp2[] = {
    {"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "clear"},
    {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "green"},
    {"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "amber"},
    {"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", "amber+strict"},
    {"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "red"},
};

static int check_tlp1(json_t *obj, const char *id, struct lia_err *err)
{
    const char *colour = str(json_object_get(obj, "definition"), "tlp");
    for (size_t i = 0; i < sizeof tlp1 / sizeof tlp1[0]; i++) {
        if (strcmp(id, tlp1[i].id) != 0)
            continue;
        if (!colour || strcmp(colour, tlp1[i].colour) != 0)
            return lia_err_set(err, STIX_EINVALID,
                               "marking-definition: %s is TLP:%s, its "
                               "definition.tlp must be \"%s\"",
                               id, tlp1[i].colour, tlp1[i].colour);
        return LIA_OK;
    }
    return lia_err_set(err, STIX_EINVALID,
                       "marking-definition: definition_type \"tlp\" is "
                       "reserved for the four TLP 1.0 markings the spec predefines; %s is not "
                       "one of them",
                       id);
}

static int check_tlp2(json_t *ext, const char *id, struct lia_err *err)
{
    const char *label = str(ext, "tlp_2_0");
    for (size_t i = 0; i < sizeof tlp2 / sizeof tlp2[0]; i++) {
        if (label && strcmp(label, tlp2[i].label) == 0) {
            if (strcmp(id, tlp2[i].id) != 0)
                return lia_err_set(err, STIX_EINVALID,
                                   "marking-definition: TLP 2.0 \"%s\" "
                                   "must have the predefined id %s",
                                   label, tlp2[i].id);
            return LIA_OK;
        }
    }
    return lia_err_set(err, STIX_EINVALID,
                       "marking-definition: tlp_2_0 must be one of clear, "
                       "green, amber, amber+strict, red");
}

int stix_check_marking_definition(json_t *obj, struct lia_err *err)
{
    const char *id = str(obj, "id");
    const char *dtype = str(obj, "definition_type");
    json_t *def = json_object_get(obj, "definition");
    json_t *exts = json_object_get(obj, "extensions");
    if (!dtype != !def)
        return lia_err_set(err, STIX_EINVALID,
                           "marking-definition: definition_type and "
                           "definition go together");
    if (!dtype && !exts)
        return lia_err_set(err, STIX_EINVALID,
                           "marking-definition: needs definition_type and "
                           "definition, or an extension (e.g. TLP 2.0)");
    if (dtype && strcmp(dtype, "statement") == 0 &&
        !json_is_string(json_object_get(def, "statement")))
        return lia_err_set(err, STIX_EINVALID,
                           "marking-definition: a statement definition "
                           "needs a string \"statement\"");
    if (dtype && strcmp(dtype, "tlp") == 0) {
        int rc = check_tlp1(obj, id, err);
        if (rc)
            return rc;
    }
    json_t *tlp2_ext = json_object_get(exts, TLP2_EXTENSION);
    if (tlp2_ext)
        return check_tlp2(tlp2_ext, id, err);
    return LIA_OK;
}

int stix_check_extension_definition(json_t *obj, struct lia_err *err)
{
    size_t i;
    json_t *t;
    bool toplevel = false;
    if (!has(obj, "created_by_ref"))
        return lia_err_set(err, STIX_EINVALID,
                           "extension-definition: created_by_ref is "
                           "required");
    json_array_foreach(json_object_get(obj, "extension_types"), i, t)
    {
        if (!stix_is_extension_type(t))
            return lia_err_set(err, STIX_EINVALID,
                               "extension-definition: extension_types[%zu] "
                               "must be one of new-sdo, new-sco, new-sro, property-extension, "
                               "toplevel-property-extension",
                               i);
        toplevel |= strcmp(json_string_value(t), "toplevel-property-extension") == 0;
    }
    if (has(obj, "extension_properties") && !toplevel)
        return lia_err_set(err, STIX_EINVALID,
                           "extension-definition: extension_properties "
                           "only go with a toplevel-property-extension");
    return LIA_OK;
}

int stix_check_language_content(json_t *obj, struct lia_err *err)
{
    const char *ref = str(obj, "object_ref");
    if (stix_id_has_type(ref, "bundle") || stix_id_has_type(ref, "language-content"))
        return lia_err_set(err, STIX_EINVALID,
                           "language-content: object_ref cannot point to a "
                           "bundle or another language-content");
    return LIA_OK;
}
