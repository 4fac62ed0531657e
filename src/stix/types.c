/*
 * The STIX 2.1 types liaison knows, as data: for each type its kind, the
 * properties the spec defines with their shapes (and which are required), an
 * optional pair of timestamps that must be in order, and a hook for the few
 * rules a table cannot say (exclusive or conditional properties). The same
 * tables describe the embedded types (registry values, MIME parts, PE
 * sections, ...) and the twelve predefined SCO extensions, so a timestamp or
 * an enumeration inside an extension is checked like one at the top level.
 * The tables follow the STIX 2.1 specification sections 4 (SDOs), 5 (SROs),
 * 6 (SCOs, their extensions and ID contributing properties), 7 (meta) and
 * 10 (enumerations), and the OASIS JSON schemas.
 *
 * Lookup is a binary search over the sorted type names (about 40 entries:
 * six comparisons); within a type, properties are fetched by name from the
 * object's hash table, so no step scans a table per property.
 */
#include "stix/stix_internal.h"

#include <stdlib.h>
#include <string.h>

#define P(n, t)                                                                                    \
    {                                                                                              \
        n, STIX_P_##t, false, "", NULL                                                             \
    }
#define R(n, t)                                                                                    \
    {                                                                                              \
        n, STIX_P_##t, true, "", NULL                                                              \
    }
#define PT(n, t, target)                                                                           \
    {                                                                                              \
        n, STIX_P_##t, false, target, NULL                                                         \
    }
#define RT(n, t, target)                                                                           \
    {                                                                                              \
        n, STIX_P_##t, true, target, NULL                                                          \
    }
#define PS(n, t, sub)                                                                              \
    {                                                                                              \
        n, STIX_P_##t, false, "", &(sub)                                                           \
    }
#define N(a) (sizeof(a) / sizeof((a)[0]))

int stix_check_location(json_t *obj, const char *path, struct lia_err *err);
int stix_check_malware(json_t *obj, const char *path, struct lia_err *err);
int stix_check_malware_analysis(json_t *obj, const char *path, struct lia_err *err);
int stix_check_observed_data(json_t *obj, const char *path, struct lia_err *err);
int stix_check_indicator(json_t *obj, const char *path, struct lia_err *err);
int stix_check_sighting(json_t *obj, const char *path, struct lia_err *err);
int stix_check_artifact(json_t *obj, const char *path, struct lia_err *err);
int stix_check_email_message(json_t *obj, const char *path, struct lia_err *err);
int stix_check_mime_part(json_t *obj, const char *path, struct lia_err *err);
int stix_check_file(json_t *obj, const char *path, struct lia_err *err);
int stix_check_network_traffic(json_t *obj, const char *path, struct lia_err *err);
int stix_check_extension_definition(json_t *obj, const char *path, struct lia_err *err);
int stix_check_language_content(json_t *obj, const char *path, struct lia_err *err);
int stix_check_autonomous_system(json_t *obj, const char *path, struct lia_err *err);

static const struct stix_prop attack_pattern[] = {
    R("name", STRING),
    P("description", STRING),
    P("aliases", STRINGS),
    P("kill_chain_phases", KILL_CHAIN),
};
static const struct stix_prop campaign[] = {
    R("name", STRING),          P("description", STRING),  P("aliases", STRINGS),
    P("first_seen", TIMESTAMP), P("last_seen", TIMESTAMP), P("objective", STRING),
};
static const struct stix_prop course_of_action[] = {
    R("name", STRING),
    P("description", STRING),
};
static const struct stix_prop grouping[] = {
    P("name", STRING),
    P("description", STRING),
    R("context", STRING),
    R("object_refs", REFS),
};
static const struct stix_prop identity[] = {
    R("name", STRING),           P("description", STRING), P("roles", STRINGS),
    P("identity_class", STRING), P("sectors", STRINGS),    P("contact_information", STRING),
};
static const struct stix_prop incident[] = {
    R("name", STRING),
    P("description", STRING),
    P("kill_chain_phases", KILL_CHAIN),
};
static const struct stix_prop indicator[] = {
    P("name", STRING),          P("description", STRING),    P("indicator_types", STRINGS),
    R("pattern", STRING),       R("pattern_type", STRING),   P("pattern_version", STRING),
    R("valid_from", TIMESTAMP), P("valid_until", TIMESTAMP), P("kill_chain_phases", KILL_CHAIN),
};
static const struct stix_prop infrastructure[] = {
    R("name", STRING),
    P("description", STRING),
    P("infrastructure_types", STRINGS),
    P("aliases", STRINGS),
    P("kill_chain_phases", KILL_CHAIN),
    P("first_seen", TIMESTAMP),
    P("last_seen", TIMESTAMP),
};
static const struct stix_prop intrusion_set[] = {
    R("name", STRING),
    P("description", STRING),
    P("aliases", STRINGS),
    P("first_seen", TIMESTAMP),
    P("last_seen", TIMESTAMP),
    P("goals", STRINGS),
    P("resource_level", STRING),
    P("primary_motivation", STRING),
    P("secondary_motivations", STRINGS),
};
static const struct stix_prop location[] = {
    P("name", STRING),           P("description", STRING),         P("latitude", NUMBER),
    P("longitude", NUMBER),      P("precision", NUMBER),           P("region", STRING),
    P("country", STRING),        P("administrative_area", STRING), P("city", STRING),
    P("street_address", STRING), P("postal_code", STRING),
};
static const struct stix_prop malware[] = {
    P("name", STRING),
    P("description", STRING),
    P("malware_types", STRINGS),
    R("is_family", BOOL),
    P("aliases", STRINGS),
    P("kill_chain_phases", KILL_CHAIN),
    P("first_seen", TIMESTAMP),
    P("last_seen", TIMESTAMP),
    PT("operating_system_refs", REFS, "software"),
    P("architecture_execution_envs", STRINGS),
    P("implementation_languages", STRINGS),
    P("capabilities", STRINGS),
    PT("sample_refs", REFS, "artifact|file"),
};
static const struct stix_prop malware_analysis[] = {
    R("product", STRING),
    P("version", STRING),
    PT("host_vm_ref", REF, "software"),
    PT("operating_system_ref", REF, "software"),
    PT("installed_software_refs", REFS, "software"),
    P("configuration_version", STRING),
    P("modules", STRINGS),
    P("analysis_engine_version", STRING),
    P("analysis_definition_version", STRING),
    P("submitted", TIMESTAMP),
    P("analysis_started", TIMESTAMP),
    P("analysis_ended", TIMESTAMP),
    P("result_name", STRING),
    P("result", STRING),
    PT("analysis_sco_refs", REFS, "@sco"),
    PT("sample_ref", REF, "artifact|file|network-traffic"),
};
static const struct stix_prop note[] = {
    P("abstract", STRING),
    R("content", STRING),
    P("authors", STRINGS),
    R("object_refs", REFS),
};
static const struct stix_prop observed_data[] = {
    R("first_observed", TIMESTAMP),      R("last_observed", TIMESTAMP),
    R("number_observed", INT),           P("objects", DICT),
    PT("object_refs", REFS, "@sco-sro"),
};
static const struct stix_prop opinion[] = {
    P("explanation", STRING),
    P("authors", STRINGS),
    RT("opinion", ENUM, "strongly-disagree|disagree|neutral|agree|strongly-agree"),
    R("object_refs", REFS),
};
static const struct stix_prop report[] = {
    R("name", STRING),         P("description", STRING), P("report_types", STRINGS),
    R("published", TIMESTAMP), R("object_refs", REFS),
};
static const struct stix_prop threat_actor[] = {
    R("name", STRING),
    P("description", STRING),
    P("threat_actor_types", STRINGS),
    P("aliases", STRINGS),
    P("first_seen", TIMESTAMP),
    P("last_seen", TIMESTAMP),
    P("roles", STRINGS),
    P("goals", STRINGS),
    P("sophistication", STRING),
    P("resource_level", STRING),
    P("primary_motivation", STRING),
    P("secondary_motivations", STRINGS),
    P("personal_motivations", STRINGS),
};
static const struct stix_prop tool[] = {
    R("name", STRING),     P("description", STRING),           P("tool_types", STRINGS),
    P("aliases", STRINGS), P("kill_chain_phases", KILL_CHAIN), P("tool_version", STRING),
};
static const struct stix_prop vulnerability[] = {
    R("name", STRING),
    P("description", STRING),
};
static const struct stix_prop relationship[] = {
    R("relationship_type", RELTYPE),   P("description", STRING),
    RT("source_ref", REF, "@sdo-sco"), RT("target_ref", REF, "@sdo-sco"),
    P("start_time", TIMESTAMP),        P("stop_time", TIMESTAMP),
};
static const struct stix_prop sighting[] = {
    P("description", STRING),
    P("first_seen", TIMESTAMP),
    P("last_seen", TIMESTAMP),
    P("count", UINT),
    RT("sighting_of_ref", REF, "@sdo"),
    PT("observed_data_refs", REFS, "observed-data"),
    PT("where_sighted_refs", REFS, "identity|location"),
    P("summary", BOOL),
};
static const struct stix_prop artifact[] = {
    P("mime_type", MIME),
    P("payload_bin", STRING),
    P("url", URL),
    P("hashes", HASHES),
    PT("encryption_algorithm", ENUM, "AES-256-GCM|ChaCha20-Poly1305|mime-type-indicated"),
    P("decryption_key", STRING),
};
static const struct stix_prop autonomous_system[] = {
    R("number", INT),
    P("name", STRING),
    P("rir", STRING),
};
static const struct stix_prop directory[] = {
    R("path", STRING),     P("path_enc", CHARSET), P("ctime", TIMESTAMP),
    P("mtime", TIMESTAMP), P("atime", TIMESTAMP),  PT("contains_refs", REFS, "file|directory"),
};
static const struct stix_prop domain_name[] = {
    R("value", DOMAIN),
    PT("resolves_to_refs", REFS, "ipv4-addr|ipv6-addr|domain-name"),
};
static const struct stix_prop email_addr[] = {
    R("value", EMAIL),
    P("display_name", STRING),
    PT("belongs_to_ref", REF, "user-account"),
};
static const struct stix_prop mime_part[] = {
    P("body", STRING),
    PT("body_raw_ref", REF, "artifact|file"),
    P("content_type", STRING),
    P("content_disposition", STRING),
};
static const struct stix_type mime_part_type = {"mime-part-type",
                                                STIX_KIND_SCO,
                                                mime_part,
                                                N(mime_part),
                                                stix_check_mime_part,
                                                NULL,
                                                NULL,
                                                false,
                                                false,
                                                NULL,
                                                NULL};
static const struct stix_prop email_message[] = {
    R("is_multipart", BOOL),
    P("date", TIMESTAMP),
    P("content_type", STRING),
    PT("from_ref", REF, "email-addr"),
    PT("sender_ref", REF, "email-addr"),
    PT("to_refs", REFS, "email-addr"),
    PT("cc_refs", REFS, "email-addr"),
    PT("bcc_refs", REFS, "email-addr"),
    P("message_id", STRING),
    P("subject", STRING),
    P("received_lines", STRINGS),
    P("additional_header_fields", DICT),
    P("body", STRING),
    PS("body_multipart", OBJECTS, mime_part_type),
    PT("raw_email_ref", REF, "artifact"),
};
static const struct stix_prop file[] = {
    P("hashes", HASHES),
    P("size", UINT),
    P("name", STRING),
    P("name_enc", CHARSET),
    P("magic_number_hex", STRING),
    P("mime_type", STRING), /* SHOULD be an IANA media type (6.7.1): not checked */
    P("ctime", TIMESTAMP),
    P("mtime", TIMESTAMP),
    P("atime", TIMESTAMP),
    PT("parent_directory_ref", REF, "directory"),
    PT("contains_refs", REFS, "@sco"),
    PT("content_ref", REF, "artifact"),
};
static const struct stix_prop ipv4_addr[] = {
    R("value", IPV4),
    PT("resolves_to_refs", REFS, "mac-addr"),
    PT("belongs_to_refs", REFS, "autonomous-system"),
};
static const struct stix_prop ipv6_addr[] = {
    R("value", IPV6),
    PT("resolves_to_refs", REFS, "mac-addr"),
    PT("belongs_to_refs", REFS, "autonomous-system"),
};
static const struct stix_prop mac_addr[] = {
    R("value", MAC),
};
static const struct stix_prop mutex[] = {
    R("name", STRING),
};
static const struct stix_prop network_traffic[] = {
    P("start", TIMESTAMP),
    P("end", TIMESTAMP),
    P("is_active", BOOL),
    PT("src_ref", REF, "ipv4-addr|ipv6-addr|mac-addr|domain-name"),
    PT("dst_ref", REF, "ipv4-addr|ipv6-addr|mac-addr|domain-name"),
    P("src_port", INT),
    P("dst_port", INT),
    R("protocols", STRINGS),
    P("src_byte_count", UINT),
    P("dst_byte_count", UINT),
    P("src_packets", UINT),
    P("dst_packets", UINT),
    P("ipfix", DICT),
    PT("src_payload_ref", REF, "artifact"),
    PT("dst_payload_ref", REF, "artifact"),
    PT("encapsulates_refs", REFS, "network-traffic"),
    PT("encapsulated_by_ref", REF, "network-traffic"),
};
static const struct stix_prop process[] = {
    P("is_hidden", BOOL),
    P("pid", INT),
    P("created_time", TIMESTAMP),
    P("cwd", STRING),
    P("command_line", STRING),
    P("environment_variables", DICT),
    PT("opened_connection_refs", REFS, "network-traffic"),
    PT("creator_user_ref", REF, "user-account"),
    PT("image_ref", REF, "file"),
    PT("parent_ref", REF, "process"),
    PT("child_refs", REFS, "process"),
};
static const struct stix_prop software[] = {
    R("name", STRING),       P("cpe", CPE),       P("swid", STRING),
    P("languages", SWLANGS), P("vendor", STRING), P("version", STRING),
};
static const struct stix_prop url[] = {
    R("value", URL),
};
static const struct stix_prop user_account[] = {
    P("user_id", STRING),
    P("credential", STRING),
    P("account_login", STRING),
    P("account_type", STRING),
    P("display_name", STRING),
    P("is_service_account", BOOL),
    P("is_privileged", BOOL),
    P("can_escalate_privs", BOOL),
    P("is_disabled", BOOL),
    P("account_created", TIMESTAMP),
    P("account_expires", TIMESTAMP),
    P("credential_last_changed", TIMESTAMP),
    P("account_first_login", TIMESTAMP),
    P("account_last_login", TIMESTAMP),
};
static const struct stix_prop registry_value[] = {
    P("name", STRING),
    P("data", STRING),
    PT("data_type", ENUM,
       "REG_NONE|REG_SZ|REG_EXPAND_SZ|REG_BINARY|REG_DWORD|REG_DWORD_BIG_ENDIAN|"
       "REG_DWORD_LITTLE_ENDIAN|REG_LINK|REG_MULTI_SZ|REG_RESOURCE_LIST|"
       "REG_FULL_RESOURCE_DESCRIPTION|REG_RESOURCE_REQUIREMENTS_LIST|REG_QWORD|"
       "REG_INVALID_TYPE"),
};
static const struct stix_type registry_value_type = {"windows-registry-value-type",
                                                     STIX_KIND_SCO,
                                                     registry_value,
                                                     N(registry_value),
                                                     NULL,
                                                     NULL,
                                                     NULL,
                                                     false,
                                                     true,
                                                     NULL,
                                                     NULL};
static const struct stix_prop windows_registry_key[] = {
    P("key", REGKEY),
    PS("values", OBJECTS, registry_value_type),
    P("modified_time", TIMESTAMP),
    PT("creator_user_ref", REF, "user-account"),
    P("number_of_subkeys", UINT),
};
static const struct stix_prop x509_v3[] = {
    P("basic_constraints", STRING),
    P("name_constraints", STRING),
    P("policy_constraints", STRING),
    P("key_usage", STRING),
    P("extended_key_usage", STRING),
    P("subject_key_identifier", STRING),
    P("authority_key_identifier", STRING),
    P("subject_alternative_name", STRING),
    P("issuer_alternative_name", STRING),
    P("subject_directory_attributes", STRING),
    P("crl_distribution_points", STRING),
    P("inhibit_any_policy", STRING),
    P("private_key_usage_period_not_before", TIMESTAMP),
    P("private_key_usage_period_not_after", TIMESTAMP),
    P("certificate_policies", STRING),
    P("policy_mappings", STRING),
};
static const struct stix_type x509_v3_type = {"x509-v3-extensions-type",
                                              STIX_KIND_SCO,
                                              x509_v3,
                                              N(x509_v3),
                                              NULL,
                                              "private_key_usage_period_not_before",
                                              "private_key_usage_period_not_after",
                                              false,
                                              true,
                                              NULL,
                                              NULL};
static const struct stix_prop x509_certificate[] = {
    P("is_self_signed", BOOL),
    P("hashes", HASHES),
    P("version", STRING),
    P("serial_number", STRING),
    P("signature_algorithm", STRING),
    P("issuer", STRING),
    P("validity_not_before", TIMESTAMP),
    P("validity_not_after", TIMESTAMP),
    P("subject", STRING),
    P("subject_public_key_algorithm", STRING),
    P("subject_public_key_modulus", STRING),
    P("subject_public_key_exponent", INT),
    PS("x509_v3_extensions", OBJECT, x509_v3_type),
};
static const struct stix_prop marking_definition[] = {
    P("name", STRING),
    P("definition_type", STRING),
    P("definition", DICT),
};
static const struct stix_prop language_content[] = {
    R("object_ref", REF),
    P("object_modified", TIMESTAMP),
    R("contents", DICT),
};
static const struct stix_prop extension_definition[] = {
    R("name", STRING),    P("description", STRING),      R("schema", STRING),
    R("version", STRING), R("extension_types", STRINGS), P("extension_properties", STRINGS),
};

#define SDO STIX_KIND_SDO
#define SRO STIX_KIND_SRO
#define SCO STIX_KIND_SCO
#define META STIX_KIND_META
/* name, kind, properties, check hook, ordered timestamps (strict?), needs one of its own
 * properties, ID contributing properties (SCOs) */
#define T(name, kind, props, check, before, after, strict, any, contributing)                      \
    {                                                                                              \
        name, kind, props, N(props), check, before, after, strict, any, contributing, NULL         \
    }

/* Sorted by name (strcmp order) for bsearch; checked by the unit tests. */
static const struct stix_type types[] = {
    T("artifact", SCO, artifact, stix_check_artifact, NULL, NULL, false, false,
      "hashes|payload_bin"),
    T("attack-pattern", SDO, attack_pattern, NULL, NULL, NULL, false, false, NULL),
    T("autonomous-system", SCO, autonomous_system, stix_check_autonomous_system, NULL, NULL, false,
      false, "number"),
    T("campaign", SDO, campaign, NULL, "first_seen", "last_seen", false, false, NULL),
    T("course-of-action", SDO, course_of_action, NULL, NULL, NULL, false, false, NULL),
    T("directory", SCO, directory, NULL, NULL, NULL, false, false, "path"),
    T("domain-name", SCO, domain_name, NULL, NULL, NULL, false, false, "value"),
    T("email-addr", SCO, email_addr, NULL, NULL, NULL, false, false, "value"),
    T("email-message", SCO, email_message, stix_check_email_message, NULL, NULL, false, false,
      "from_ref|subject|body"),
    T("extension-definition", META, extension_definition, stix_check_extension_definition, NULL,
      NULL, false, false, NULL),
    T("file", SCO, file, stix_check_file, NULL, NULL, false, false,
      "hashes|name|extensions|parent_directory_ref"),
    T("grouping", SDO, grouping, NULL, NULL, NULL, false, false, NULL),
    T("identity", SDO, identity, NULL, NULL, NULL, false, false, NULL),
    T("incident", SDO, incident, NULL, NULL, NULL, false, false, NULL),
    T("indicator", SDO, indicator, stix_check_indicator, "valid_from", "valid_until", true, false,
      NULL),
    T("infrastructure", SDO, infrastructure, NULL, "first_seen", "last_seen", false, false, NULL),
    T("intrusion-set", SDO, intrusion_set, NULL, "first_seen", "last_seen", false, false, NULL),
    T("ipv4-addr", SCO, ipv4_addr, NULL, NULL, NULL, false, false, "value"),
    T("ipv6-addr", SCO, ipv6_addr, NULL, NULL, NULL, false, false, "value"),
    T("language-content", META, language_content, stix_check_language_content, NULL, NULL, false,
      false, NULL),
    T("location", SDO, location, stix_check_location, NULL, NULL, false, false, NULL),
    T("mac-addr", SCO, mac_addr, NULL, NULL, NULL, false, false, "value"),
    T("malware", SDO, malware, stix_check_malware, "first_seen", "last_seen", false, false, NULL),
    T("malware-analysis", SDO, malware_analysis, stix_check_malware_analysis, NULL, NULL, false,
      false, NULL),
    T("marking-definition", META, marking_definition, stix_check_marking_definition, NULL, NULL,
      false, false, NULL),
    T("mutex", SCO, mutex, NULL, NULL, NULL, false, false, "name"),
    T("network-traffic", SCO, network_traffic, stix_check_network_traffic, "start", "end", false,
      false, "start|end|src_ref|dst_ref|src_port|dst_port|protocols|extensions"),
    T("note", SDO, note, NULL, NULL, NULL, false, false, NULL),
    T("observed-data", SDO, observed_data, stix_check_observed_data, "first_observed",
      "last_observed", false, false, NULL),
    T("opinion", SDO, opinion, NULL, NULL, NULL, false, false, NULL),
    T("process", SCO, process, NULL, NULL, NULL, false, true, NULL),
    T("relationship", SRO, relationship, NULL, "start_time", "stop_time", true, false, NULL),
    T("report", SDO, report, NULL, NULL, NULL, false, false, NULL),
    T("sighting", SRO, sighting, stix_check_sighting, "first_seen", "last_seen", false, false,
      NULL),
    T("software", SCO, software, NULL, NULL, NULL, false, false, "name|cpe|swid|vendor|version"),
    T("threat-actor", SDO, threat_actor, NULL, "first_seen", "last_seen", false, false, NULL),
    T("tool", SDO, tool, NULL, NULL, NULL, false, false, NULL),
    T("url", SCO, url, NULL, NULL, NULL, false, false, "value"),
    T("user-account", SCO, user_account, NULL, NULL, NULL, false, true,
      "account_type|user_id|account_login"),
    T("vulnerability", SDO, vulnerability, NULL, NULL, NULL, false, false, NULL),
    T("windows-registry-key", SCO, windows_registry_key, NULL, NULL, NULL, false, true,
      "key|values"),
    T("x509-certificate", SCO, x509_certificate, NULL, "validity_not_before", "validity_not_after",
      false, true, "hashes|serial_number"),
};

static int compare_type(const void *key, const void *elem)
{
    return strcmp(key, ((const struct stix_type *)elem)->name);
}

const struct stix_type *stix_type_lookup(const char *name)
{
    return bsearch(name, types, N(types), sizeof types[0], compare_type);
}

bool stix_is_known_type(const char *name)
{
    return stix_type_lookup(name) != NULL;
}

enum stix_kind stix_kind_of(const char *name, size_t n)
{
    char buf[64];
    if (n >= sizeof buf)
        return STIX_KIND_CUSTOM;
    memcpy(buf, name, n);
    buf[n] = '\0';
    if (strcmp(buf, "bundle") == 0)
        return STIX_KIND_META; /* not a STIX object; refused wherever meta objects are */
    const struct stix_type *t = stix_type_lookup(buf);
    return t ? t->kind : STIX_KIND_CUSTOM;
}

/* For the unit tests: the table, to check it is sorted and complete. */
const struct stix_type *stix_type_table(size_t *n)
{
    *n = N(types);
    return types;
}

/* The predefined SCO extensions (sections 6.7.2-6.7.6, 6.12.2-6.12.5, 6.13.2-3, 6.16.2). */
static const struct stix_prop archive_ext[] = {
    RT("contains_refs", REFS, "file|directory"),
    P("comment", STRING),
};
static const struct stix_prop ads[] = {
    R("name", STRING),
    P("hashes", HASHES),
    P("size", UINT),
};
static const struct stix_type ads_type = {
    "alternate-data-stream-type", SCO, ads, N(ads), NULL, NULL, NULL, false, false, NULL, NULL};
static const struct stix_prop ntfs_ext[] = {
    P("sid", STRING),
    PS("alternate_data_streams", OBJECTS, ads_type),
};
static const struct stix_prop pdf_ext[] = {
    P("version", STRING), P("is_optimized", BOOL), P("document_info_dict", DICT),
    P("pdfid0", STRING),  P("pdfid1", STRING),
};
static const struct stix_prop raster_image_ext[] = {
    P("image_height", INT),
    P("image_width", INT),
    P("bits_per_pixel", INT),
    P("exif_tags", DICT),
};
static const struct stix_prop pe_optional_header[] = {
    P("magic_hex", STRING),
    P("major_linker_version", INT),
    P("minor_linker_version", INT),
    P("size_of_code", UINT),
    P("size_of_initialized_data", UINT),
    P("size_of_uninitialized_data", UINT),
    P("address_of_entry_point", INT),
    P("base_of_code", INT),
    P("base_of_data", INT),
    P("image_base", INT),
    P("section_alignment", INT),
    P("file_alignment", INT),
    P("major_os_version", INT),
    P("minor_os_version", INT),
    P("major_image_version", INT),
    P("minor_image_version", INT),
    P("major_subsystem_version", INT),
    P("minor_subsystem_version", INT),
    P("win32_version_value_hex", STRING),
    P("size_of_image", UINT),
    P("size_of_headers", UINT),
    P("checksum_hex", STRING),
    P("subsystem_hex", STRING),
    P("dll_characteristics_hex", STRING),
    P("size_of_stack_reserve", UINT),
    P("size_of_stack_commit", UINT),
    P("size_of_heap_reserve", UINT),
    P("size_of_heap_commit", UINT),
    P("loader_flags_hex", STRING),
    P("number_of_rva_and_sizes", INT),
    P("hashes", HASHES),
};
static const struct stix_type pe_optional_header_type = {"windows-pe-optional-header-type",
                                                         SCO,
                                                         pe_optional_header,
                                                         N(pe_optional_header),
                                                         NULL,
                                                         NULL,
                                                         NULL,
                                                         false,
                                                         true,
                                                         NULL,
                                                         NULL};
static const struct stix_prop pe_section[] = {
    R("name", STRING),
    P("size", UINT),
    P("entropy", NUMBER),
    P("hashes", HASHES),
};
static const struct stix_type pe_section_type = {"windows-pe-section-type",
                                                 SCO,
                                                 pe_section,
                                                 N(pe_section),
                                                 NULL,
                                                 NULL,
                                                 NULL,
                                                 false,
                                                 false,
                                                 NULL,
                                                 NULL};
static const struct stix_prop pebinary_ext[] = {
    R("pe_type", STRING),
    P("imphash", STRING),
    P("machine_hex", STRING),
    P("number_of_sections", UINT),
    P("time_date_stamp", TIMESTAMP),
    P("pointer_to_symbol_table_hex", STRING),
    P("number_of_symbols", UINT),
    P("size_of_optional_header", UINT),
    P("characteristics_hex", STRING),
    P("file_header_hashes", HASHES),
    PS("optional_header", OBJECT, pe_optional_header_type),
    PS("sections", OBJECTS, pe_section_type),
};
static const struct stix_prop http_request_ext[] = {
    R("request_method", STRING),    R("request_value", STRING),
    P("request_version", STRING),   P("request_header", DICT),
    P("message_body_length", UINT), PT("message_body_data_ref", REF, "artifact"),
};
static const struct stix_prop icmp_ext[] = {
    R("icmp_type_hex", STRING),
    R("icmp_code_hex", STRING),
};
static const struct stix_prop socket_ext[] = {
    RT("address_family", ENUM,
       "AF_UNSPEC|AF_INET|AF_IPX|AF_APPLETALK|AF_NETBIOS|AF_INET6|AF_IRDA|AF_BTH"),
    P("is_blocking", BOOL),
    P("is_listening", BOOL),
    P("options", DICT),
    PT("socket_type", ENUM, "SOCK_STREAM|SOCK_DGRAM|SOCK_RAW|SOCK_RDM|SOCK_SEQPACKET"),
    P("socket_descriptor", UINT),
    P("socket_handle", INT),
};
static const struct stix_prop tcp_ext[] = {
    P("src_flags_hex", STRING),
    P("dst_flags_hex", STRING),
};
static const struct stix_prop windows_process_ext[] = {
    P("aslr_enabled", BOOL),
    P("dep_enabled", BOOL),
    P("priority", STRING),
    P("owner_sid", STRING),
    P("window_title", STRING),
    P("startup_info", DICT),
    PT("integrity_level", ENUM, "low|medium|high|system"),
};
static const struct stix_prop windows_service_ext[] = {
    P("service_name", STRING),
    P("descriptions", STRINGS),
    P("display_name", STRING),
    P("group_name", STRING),
    PT("start_type", ENUM,
       "SERVICE_AUTO_START|SERVICE_BOOT_START|SERVICE_DEMAND_START|SERVICE_DISABLED|"
       "SERVICE_SYSTEM_ALERT"),
    PT("service_dll_refs", REFS, "file"),
    PT("service_type", ENUM,
       "SERVICE_KERNEL_DRIVER|SERVICE_FILE_SYSTEM_DRIVER|SERVICE_WIN32_OWN_PROCESS|"
       "SERVICE_WIN32_SHARE_PROCESS"),
    PT("service_status", ENUM,
       "SERVICE_CONTINUE_PENDING|SERVICE_PAUSE_PENDING|SERVICE_PAUSED|SERVICE_RUNNING|"
       "SERVICE_START_PENDING|SERVICE_STOP_PENDING|SERVICE_STOPPED"),
};
static const struct stix_prop unix_account_ext[] = {
    P("gid", INT),
    P("groups", STRINGS),
    P("home_dir", STRING),
    P("shell", STRING),
};

/* name, properties, needs one of its own properties, the SCO type it extends */
#define E(name, props, any, sco)                                                                   \
    {                                                                                              \
        name, SCO, props, N(props), NULL, NULL, NULL, false, any, NULL, sco                        \
    }

/* Sorted by name for bsearch. */
static const struct stix_type extensions[] = {
    E("archive-ext", archive_ext, false, "file"),
    E("http-request-ext", http_request_ext, false, "network-traffic"),
    E("icmp-ext", icmp_ext, false, "network-traffic"),
    E("ntfs-ext", ntfs_ext, true, "file"),
    E("pdf-ext", pdf_ext, true, "file"),
    E("raster-image-ext", raster_image_ext, true, "file"),
    E("socket-ext", socket_ext, false, "network-traffic"),
    E("tcp-ext", tcp_ext, true, "network-traffic"),
    E("unix-account-ext", unix_account_ext, true, "user-account"),
    E("windows-pebinary-ext", pebinary_ext, false, "file"),
    E("windows-process-ext", windows_process_ext, true, "process"),
    E("windows-service-ext", windows_service_ext, true, "process"),
};

const struct stix_type *stix_extension_lookup(const char *name)
{
    return bsearch(name, extensions, N(extensions), sizeof extensions[0], compare_type);
}

bool stix_is_predefined_extension(const char *name)
{
    return stix_extension_lookup(name) != NULL;
}
