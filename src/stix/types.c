/*
 * The STIX 2.1 types liaison knows, as data: for each type its kind, the
 * properties the spec defines with their shapes (and which are required), an
 * optional pair of timestamps that must be in order, and a hook for the few
 * rules a table cannot say (exclusive or conditional properties). The tables
 * follow the OASIS JSON schemas (cti-stix2-json-schemas, stix2.1) and the
 * STIX 2.1 specification sections 4 (SDOs), 5 (SROs), 6 (SCOs) and 7 (meta).
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
        n, STIX_P_##t, false, ""                                                                   \
    }
#define R(n, t)                                                                                    \
    {                                                                                              \
        n, STIX_P_##t, true, ""                                                                    \
    }
#define PT(n, t, target)                                                                           \
    {                                                                                              \
        n, STIX_P_##t, false, target                                                               \
    }
#define RT(n, t, target)                                                                           \
    {                                                                                              \
        n, STIX_P_##t, true, target                                                                \
    }
#define N(a) (sizeof(a) / sizeof((a)[0]))

int stix_check_location(json_t *obj, struct lia_err *err);
int stix_check_malware(json_t *obj, struct lia_err *err);
int stix_check_malware_analysis(json_t *obj, struct lia_err *err);
int stix_check_observed_data(json_t *obj, struct lia_err *err);
int stix_check_opinion(json_t *obj, struct lia_err *err);
int stix_check_artifact(json_t *obj, struct lia_err *err);
int stix_check_email_message(json_t *obj, struct lia_err *err);
int stix_check_file(json_t *obj, struct lia_err *err);
int stix_check_network_traffic(json_t *obj, struct lia_err *err);
int stix_check_marking_definition(json_t *obj, struct lia_err *err);
int stix_check_extension_definition(json_t *obj, struct lia_err *err);
int stix_check_language_content(json_t *obj, struct lia_err *err);
int stix_check_autonomous_system(json_t *obj, struct lia_err *err);

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
    P("analysis_sco_refs", REFS),
    PT("sample_ref", REF, "artifact|file|network-traffic"),
};
static const struct stix_prop note[] = {
    P("abstract", STRING),
    R("content", STRING),
    P("authors", STRINGS),
    R("object_refs", REFS),
};
static const struct stix_prop observed_data[] = {
    R("first_observed", TIMESTAMP), R("last_observed", TIMESTAMP),
    R("number_observed", INT),      P("objects", DICT),
    P("object_refs", REFS),
};
static const struct stix_prop opinion[] = {
    P("explanation", STRING),
    P("authors", STRINGS),
    R("opinion", STRING),
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
    R("relationship_type", STRING), P("description", STRING),   R("source_ref", REF),
    R("target_ref", REF),           P("start_time", TIMESTAMP), P("stop_time", TIMESTAMP),
};
static const struct stix_prop sighting[] = {
    P("description", STRING),
    P("first_seen", TIMESTAMP),
    P("last_seen", TIMESTAMP),
    P("count", INT),
    R("sighting_of_ref", REF),
    PT("observed_data_refs", REFS, "observed-data"),
    PT("where_sighted_refs", REFS, "identity|location"),
    P("summary", BOOL),
};
static const struct stix_prop artifact[] = {
    P("mime_type", STRING), P("payload_bin", STRING),          P("url", STRING),
    P("hashes", HASHES),    P("encryption_algorithm", STRING), P("decryption_key", STRING),
};
static const struct stix_prop autonomous_system[] = {
    R("number", INT),
    P("name", STRING),
    P("rir", STRING),
};
static const struct stix_prop directory[] = {
    R("path", STRING),     P("path_enc", STRING), P("ctime", TIMESTAMP),
    P("mtime", TIMESTAMP), P("atime", TIMESTAMP), PT("contains_refs", REFS, "file|directory"),
};
static const struct stix_prop domain_name[] = {
    R("value", STRING),
    PT("resolves_to_refs", REFS, "ipv4-addr|ipv6-addr|domain-name"),
};
static const struct stix_prop email_addr[] = {
    R("value", STRING),
    P("display_name", STRING),
    PT("belongs_to_ref", REF, "user-account"),
};
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
    P("body_multipart", LIST),
    PT("raw_email_ref", REF, "artifact"),
};
static const struct stix_prop file[] = {
    P("hashes", HASHES),
    P("size", INT),
    P("name", STRING),
    P("name_enc", STRING),
    P("magic_number_hex", STRING),
    P("mime_type", STRING),
    P("ctime", TIMESTAMP),
    P("mtime", TIMESTAMP),
    P("atime", TIMESTAMP),
    PT("parent_directory_ref", REF, "directory"),
    P("contains_refs", REFS),
    PT("content_ref", REF, "artifact"),
};
static const struct stix_prop ipv4_addr[] = {
    R("value", STRING),
    PT("resolves_to_refs", REFS, "mac-addr"),
    PT("belongs_to_refs", REFS, "autonomous-system"),
};
static const struct stix_prop ipv6_addr[] = {
    R("value", STRING),
    PT("resolves_to_refs", REFS, "mac-addr"),
    PT("belongs_to_refs", REFS, "autonomous-system"),
};
static const struct stix_prop mac_addr[] = {
    R("value", STRING),
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
    P("src_byte_count", INT),
    P("dst_byte_count", INT),
    P("src_packets", INT),
    P("dst_packets", INT),
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
    R("name", STRING),       P("cpe", STRING),    P("swid", STRING),
    P("languages", STRINGS), P("vendor", STRING), P("version", STRING),
};
static const struct stix_prop url[] = {
    R("value", STRING),
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
static const struct stix_prop windows_registry_key[] = {
    P("key", STRING),
    P("values", LIST),
    P("modified_time", TIMESTAMP),
    PT("creator_user_ref", REF, "user-account"),
    P("number_of_subkeys", INT),
};
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
    P("x509_v3_extensions", DICT),
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
#define T(name, kind, props) name, kind, props, N(props)

/* Sorted by name (strcmp order) for bsearch; checked by the unit tests. */
static const struct stix_type types[] = {
    {T("artifact", SCO, artifact), stix_check_artifact, NULL, NULL, false, false},
    {T("attack-pattern", SDO, attack_pattern), NULL, NULL, NULL, false, false},
    {T("autonomous-system", SCO, autonomous_system), stix_check_autonomous_system, NULL, NULL,
     false, false},
    {T("campaign", SDO, campaign), NULL, "first_seen", "last_seen", false, false},
    {T("course-of-action", SDO, course_of_action), NULL, NULL, NULL, false, false},
    {T("directory", SCO, directory), NULL, NULL, NULL, false, false},
    {T("domain-name", SCO, domain_name), NULL, NULL, NULL, false, false},
    {T("email-addr", SCO, email_addr), NULL, NULL, NULL, false, false},
    {T("email-message", SCO, email_message), stix_check_email_message, NULL, NULL, false, false},
    {T("extension-definition", META, extension_definition), stix_check_extension_definition, NULL,
     NULL, false, false},
    {T("file", SCO, file), stix_check_file, NULL, NULL, false, false},
    {T("grouping", SDO, grouping), NULL, NULL, NULL, false, false},
    {T("identity", SDO, identity), NULL, NULL, NULL, false, false},
    {T("incident", SDO, incident), NULL, NULL, NULL, false, false},
    {T("indicator", SDO, indicator), NULL, "valid_from", "valid_until", true, false},
    {T("infrastructure", SDO, infrastructure), NULL, "first_seen", "last_seen", false, false},
    {T("intrusion-set", SDO, intrusion_set), NULL, "first_seen", "last_seen", false, false},
    {T("ipv4-addr", SCO, ipv4_addr), NULL, NULL, NULL, false, false},
    {T("ipv6-addr", SCO, ipv6_addr), NULL, NULL, NULL, false, false},
    {T("language-content", META, language_content), stix_check_language_content, NULL, NULL, false,
     false},
    {T("location", SDO, location), stix_check_location, NULL, NULL, false, false},
    {T("mac-addr", SCO, mac_addr), NULL, NULL, NULL, false, false},
    {T("malware", SDO, malware), stix_check_malware, "first_seen", "last_seen", false, false},
    {T("malware-analysis", SDO, malware_analysis), stix_check_malware_analysis, NULL, NULL, false,
     false},
    {T("marking-definition", META, marking_definition), stix_check_marking_definition, NULL, NULL,
     false, false},
    {T("mutex", SCO, mutex), NULL, NULL, NULL, false, false},
    {T("network-traffic", SCO, network_traffic), stix_check_network_traffic, "start", "end", false,
     false},
    {T("note", SDO, note), NULL, NULL, NULL, false, false},
    {T("observed-data", SDO, observed_data), stix_check_observed_data, "first_observed",
     "last_observed", false, false},
    {T("opinion", SDO, opinion), stix_check_opinion, NULL, NULL, false, false},
    {T("process", SCO, process), NULL, NULL, NULL, false, true},
    {T("relationship", SRO, relationship), NULL, "start_time", "stop_time", true, false},
    {T("report", SDO, report), NULL, NULL, NULL, false, false},
    {T("sighting", SRO, sighting), NULL, "first_seen", "last_seen", false, false},
    {T("software", SCO, software), NULL, NULL, NULL, false, false},
    {T("threat-actor", SDO, threat_actor), NULL, "first_seen", "last_seen", false, false},
    {T("tool", SDO, tool), NULL, NULL, NULL, false, false},
    {T("url", SCO, url), NULL, NULL, NULL, false, false},
    {T("user-account", SCO, user_account), NULL, NULL, NULL, false, true},
    {T("vulnerability", SDO, vulnerability), NULL, NULL, NULL, false, false},
    {T("windows-registry-key", SCO, windows_registry_key), NULL, NULL, NULL, false, true},
    {T("x509-certificate", SCO, x509_certificate), NULL, "validity_not_before",
     "validity_not_after", false, true},
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

/* For the unit tests: the table, to check it is sorted and complete. */
const struct stix_type *stix_type_table(size_t *n)
{
    *n = N(types);
    return types;
}

static const char *const predefined_extensions[] = {
    "archive-ext",
    "http-request-ext",
    "icmp-ext",
    "ntfs-ext",
    "pdf-ext",
    "raster-image-ext",
    "socket-ext",
    "tcp-ext",
    "unix-account-ext",
    "windows-pebinary-ext",
    "windows-process-ext",
    "windows-service-ext",
};

static int compare_name(const void *key, const void *elem)
{
    return strcmp(key, *(const char *const *)elem);
}

bool stix_is_predefined_extension(const char *name)
{
    return bsearch(name, predefined_extensions, N(predefined_extensions),
                   sizeof predefined_extensions[0], compare_name) != NULL;
}
