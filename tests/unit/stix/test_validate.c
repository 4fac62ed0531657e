/*
 * Tests for src/stix/validate.c, types.c and checks.c: a table of objects,
 * each with the code stix_validate_object must return and a word its message
 * must hold. Valid minimal objects of every type come first, then one or more
 * refusals per type and per common rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "stix/stix.h"
#include "stix/stix_internal.h"

#define U "--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
#define TS "2016-04-06T20:03:48.000Z"
#define LATER "2016-05-06T20:03:48.000Z"
#define HDR(type)                                                                                  \
    "\"type\": \"" type "\", \"spec_version\": \"2.1\", \"id\": \"" type U "\", "                  \
    "\"created\": \"" TS "\", \"modified\": \"" TS "\""
#define SCO(type) "\"type\": \"" type "\", \"id\": \"" type U "\""
#define IDENT "identity" U
#define MD "marking-definition" U
#define OBJ(body) "{" body "}"

struct vcase {
    const char *name;
    const char *json;
    int rc;
    const char *why;
};

static const struct vcase cases[] = {
    /* valid minimal objects of every type */
    {"attack-pattern", OBJ(HDR("attack-pattern") ", \"name\": \"x\""), 0, ""},
    {"campaign", OBJ(HDR("campaign") ", \"name\": \"x\""), 0, ""},
    {"course-of-action", OBJ(HDR("course-of-action") ", \"name\": \"x\""), 0, ""},
    {"grouping", OBJ(HDR("grouping") ", \"context\": \"x\", \"object_refs\": [\"" IDENT "\"]"), 0,
     ""},
    {"identity", OBJ(HDR("identity") ", \"name\": \"x\""), 0, ""},
    {"incident", OBJ(HDR("incident") ", \"name\": \"x\""), 0, ""},
    {"indicator",
     OBJ(HDR("indicator") ", \"pattern\": \"[file:name = 'c']\", \"pattern_type\": "
                          "\"stix\", \"valid_from\": \"" TS "\""),
     0, ""},
    {"infrastructure", OBJ(HDR("infrastructure") ", \"name\": \"x\""), 0, ""},
    {"intrusion-set", OBJ(HDR("intrusion-set") ", \"name\": \"x\""), 0, ""},
    {"location region", OBJ(HDR("location") ", \"region\": \"africa\""), 0, ""},
    {"location lat/long",
     OBJ(HDR("location") ", \"latitude\": 36.7, \"longitude\": 3.2, "
                         "\"precision\": 10.5"),
     0, ""},
    {"malware", OBJ(HDR("malware") ", \"is_family\": false"), 0, ""},
    {"malware-analysis",
     OBJ(HDR("malware-analysis") ", \"product\": \"x\", \"result\": "
                                 "\"benign\""),
     0, ""},
    {"note", OBJ(HDR("note") ", \"content\": \"x\", \"object_refs\": [\"" IDENT "\"]"), 0, ""},
    {"observed-data",
     OBJ(HDR("observed-data") ", \"first_observed\": \"" TS "\", "
                              "\"last_observed\": \"" TS "\", \"number_observed\": 1, "
                              "\"object_refs\": [\"ipv4-addr" U "\"]"),
     0, ""},
    {"opinion", OBJ(HDR("opinion") ", \"opinion\": \"agree\", \"object_refs\": [\"" IDENT "\"]"), 0,
     ""},
    {"report",
     OBJ(HDR("report") ", \"name\": \"x\", \"published\": \"" TS "\", "
                       "\"object_refs\": [\"" IDENT "\"]"),
     0, ""},
    {"threat-actor", OBJ(HDR("threat-actor") ", \"name\": \"x\""), 0, ""},
    {"tool", OBJ(HDR("tool") ", \"name\": \"x\""), 0, ""},
    {"vulnerability", OBJ(HDR("vulnerability") ", \"name\": \"x\""), 0, ""},
    {"relationship",
     OBJ(HDR("relationship") ", \"relationship_type\": \"uses\", "
                             "\"source_ref\": \"" IDENT "\", \"target_ref\": \"tool" U "\""),
     0, ""},
    {"sighting", OBJ(HDR("sighting") ", \"sighting_of_ref\": \"indicator" U "\""), 0, ""},
    {"artifact", OBJ(SCO("artifact") ", \"payload_bin\": \"aGVsbG8=\""), 0, ""},
    {"autonomous-system", OBJ(SCO("autonomous-system") ", \"number\": 15139"), 0, ""},
    {"directory", OBJ(SCO("directory") ", \"path\": \"C:\\\\x\""), 0, ""},
    {"domain-name", OBJ(SCO("domain-name") ", \"value\": \"example.com\""), 0, ""},
    {"email-addr", OBJ(SCO("email-addr") ", \"value\": \"a@example.com\""), 0, ""},
    {"email-message", OBJ(SCO("email-message") ", \"is_multipart\": false"), 0, ""},
    {"file", OBJ(SCO("file") ", \"name\": \"x.exe\""), 0, ""},
    {"ipv4-addr", OBJ(SCO("ipv4-addr") ", \"value\": \"198.51.100.3\""), 0, ""},
    {"ipv6-addr",
     OBJ(SCO("ipv6-addr") ", \"value\": \"2001:db8::1\", \"spec_version\": "
                          "\"2.1\""),
     0, ""},
    {"mac-addr", OBJ(SCO("mac-addr") ", \"value\": \"d2:fb:49:24:37:18\""), 0, ""},
    {"mutex", OBJ(SCO("mutex") ", \"name\": \"x\""), 0, ""},
    {"network-traffic",
     OBJ(SCO("network-traffic") ", \"protocols\": [\"tcp\"], \"src_ref\": "
                                "\"ipv4-addr" U "\""),
     0, ""},
    {"process", OBJ(SCO("process") ", \"pid\": 1"), 0, ""},
    {"software", OBJ(SCO("software") ", \"name\": \"x\""), 0, ""},
    {"url", OBJ(SCO("url") ", \"value\": \"https://example.com/\""), 0, ""},
    {"user-account", OBJ(SCO("user-account") ", \"user_id\": \"1001\""), 0, ""},
    {"windows-registry-key", OBJ(SCO("windows-registry-key") ", \"key\": \"HKEY_LOCAL_MACHINE\""),
     0, ""},
    {"x509-certificate", OBJ(SCO("x509-certificate") ", \"serial_number\": \"01\""), 0, ""},
    {"marking statement",
     OBJ("\"type\": \"marking-definition\", \"spec_version\": \"2.1\", "
         "\"id\": \"" MD "\", \"created\": \"2017-06-01T00:00:00Z\", "
         "\"definition_type\": \"statement\", \"definition\": "
         "{\"statement\": \"x\"}"),
     0, ""},
    {"marking TLP 1.0",
     OBJ("\"type\": \"marking-definition\", \"spec_version\": \"2.1\", "
         "\"id\": \"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9\", "
         "\"created\": \"2017-01-20T00:00:00.000Z\", \"definition_type\": "
         "\"tlp\", \"name\": \"TLP:WHITE\", \"definition\": {\"tlp\": "
         "\"white\"}"),
     0, ""},
    {"marking TLP 2.0",
     OBJ("\"type\": \"marking-definition\", \"spec_version\": \"2.1\", "
         "\"id\": \"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1\", "
         "\"created\": \"2022-10-01T00:00:00.000Z\", \"name\": \"TLP:RED\", "
         "\"extensions\": {\"extension-definition--60a3c5c5-0d10-413e-aab3-"
         "9e08dde9e88d\": {\"extension_type\": \"property-extension\", "
         "\"tlp_2_0\": \"red\"}}"),
     0, ""},
    {"language-content",
     OBJ(HDR("language-content") ", \"object_ref\": \"" IDENT "\", "
                                 "\"contents\": {\"fr\": {\"name\": \"x\"}}"),
     0, ""},
    {"extension-definition",
     OBJ(HDR("extension-definition") ", \"created_by_ref\": \"" IDENT
                                     "\", \"name\": \"x\", \"schema\": \"https://x\", \"version\": "
                                     "\"1.0\", \"extension_types\": [\"new-sdo\"]"),
     0, ""},
    {"custom object", OBJ(HDR("x-acme-widget") ", \"x_mitre_thing_ref\": \"\", \"size\": 3"), 0,
     ""},
    {"custom SCO via new-sco",
     OBJ(SCO("acme-gadget") ", \"extensions\": {\"extension-"
                            "definition" U "\": {\"extension_type\": \"new-sco\"}}"),
     0, ""},
    {"custom property, mixed case", OBJ(HDR("tool") ", \"name\": \"x\", \"x_Acme_Score\": 7"),
     STIX_EINVALID, "rule property-name"},
    {"full common properties",
     OBJ(HDR(
         "indicator") ", \"name\": \"n\", \"pattern\": \"[url:value = 'x']\", \"pattern_type\": "
                      "\"stix\", \"valid_from\": \"" TS "\", \"valid_until\": \"" LATER
                      "\", \"created_by_ref\": \"" IDENT "\", \"labels\": "
                      "[\"a\"], \"confidence\": 100, \"lang\": \"en\", \"revoked\": false, "
                      "\"object_marking_refs\": [\"" MD
                      "\"], \"granular_markings\": [{\"selectors\": "
                      "[\"pattern\"], \"marking_ref\": \"" MD
                      "\"}, {\"selectors\": [\"name\"], \"lang\": "
                      "\"fr\"}], \"external_references\": [{\"source_name\": \"cve\", "
                      "\"external_id\": "
                      "\"CVE-2016-0001\"}], \"kill_chain_phases\": [{\"kill_chain_name\": \"k\", "
                      "\"phase_name\": \"p\"}]"),
     0, ""},

    /* common: type, id */
    {"no type", "{\"id\": \"tool" U "\"}", STIX_EINVALID, "type: required"},
    {"bad type", OBJ("\"type\": \"Tool\", \"id\": \"tool" U "\""), STIX_EINVALID, "type"},
    {"no id", OBJ("\"type\": \"tool\", \"name\": \"x\""), STIX_EINVALID, "id: "},
    {"uuid wrong variant",
     OBJ("\"type\": \"tool\", \"id\": \"tool--8e2e2d2b-17d4-4cbf-c38f-"
         "98ee46b3cd3f\""),
     STIX_EINVALID, "id: "},
    {"id missing --",
     OBJ("\"type\": \"tool\", \"id\": \"tool-8e2e2d2b-17d4-4cbf-938f-"
         "98ee46b3cd3f\""),
     STIX_EINVALID, "id: "},
    {"id type mismatch",
     OBJ("\"type\": \"tool\", \"id\": \"malware" U "\", \"spec_version\": "
         "\"2.1\""),
     STIX_EINVALID, "does not start"},
    {"not an object", "[1]", STIX_EINVALID, "JSON object"},
    /* common: versions */
    {"STIX 2.0 SDO (no spec_version)",
     OBJ("\"type\": \"tool\", \"id\": \"tool" U "\", "
         "\"created\": \"" TS "\", \"modified\": \"" TS "\", "
         "\"name\": \"x\", \"labels\": [\"a\"]"),
     STIX_EVERSION, "STIX 2.0"},
    {"STIX 2.0 SRO",
     OBJ("\"type\": \"relationship\", \"id\": \"relationship" U "\", "
         "\"created\": \"" TS "\", \"modified\": \"" TS "\", "
         "\"relationship_type\": \"uses\", \"source_ref\": \"" IDENT "\", "
         "\"target_ref\": \"" IDENT "\""),
     STIX_EVERSION, "2.0"},
    {"spec_version 2.0",
     OBJ("\"type\": \"tool\", \"spec_version\": \"2.0\", \"id\": \"tool" U "\", \"created\": \"" TS
         "\", \"modified\": \"" TS "\", \"name\": "
         "\"x\""),
     STIX_EVERSION, "2.0"},
    {"SCO spec_version 2.0", OBJ(SCO("url") ", \"value\": \"x\", \"spec_version\": \"2.0\""),
     STIX_EVERSION, "2.0"},
    {"custom object without spec_version",
     OBJ("\"type\": \"x-thing\", \"id\": \"x-thing" U "\","
         " \"created\": \"" TS "\", \"modified\": \"" TS "\""),
     STIX_EVERSION, "2.0"},
    /* common: created / modified */
    {"no created",
     OBJ("\"type\": \"tool\", \"spec_version\": \"2.1\", \"id\": \"tool" U "\", "
         "\"modified\": \"" TS "\", \"name\": \"x\""),
     STIX_EINVALID, "created"},
    {"no modified",
     OBJ("\"type\": \"tool\", \"spec_version\": \"2.1\", \"id\": \"tool" U "\", "
         "\"created\": \"" TS "\", \"name\": \"x\""),
     STIX_EINVALID, "modified"},
    {"modified before created",
     OBJ("\"type\": \"tool\", \"spec_version\": \"2.1\", \"id\": "
         "\"tool" U "\", \"created\": \"" LATER "\", \"modified\": \"" TS "\", \"name\": \"x\""),
     STIX_EINVALID, "earlier"},
    {"created not millisecond",
     OBJ("\"type\": \"tool\", \"spec_version\": \"2.1\", \"id\": "
         "\"tool" U "\", \"created\": \"2016-04-06T20:03:48Z\", "
         "\"modified\": \"" TS "\", \"name\": \"x\""),
     STIX_EINVALID, "millisecond"},
    {"created with offset",
     OBJ("\"type\": \"tool\", \"spec_version\": \"2.1\", \"id\": \"tool" U
         "\", \"created\": \"2016-04-06T20:03:48.000+01:00\", "
         "\"modified\": \"" TS "\", \"name\": \"x\""),
     STIX_EINVALID, "created"},
    {"created Feb 30",
     OBJ("\"type\": \"tool\", \"spec_version\": \"2.1\", \"id\": \"tool" U
         "\", \"created\": \"2016-02-30T20:03:48.000Z\", \"modified\": \"" TS
         "\", \"name\": \"x\""),
     STIX_EINVALID, "created"},
    {"created not string",
     OBJ("\"type\": \"tool\", \"spec_version\": \"2.1\", \"id\": \"tool" U
         "\", \"created\": 1, \"modified\": \"" TS "\", \"name\": \"x\""),
     STIX_EINVALID, "created"},
    /* common: other properties */
    {"confidence 101", OBJ(HDR("tool") ", \"name\": \"x\", \"confidence\": 101"), STIX_EINVALID,
     "confidence"},
    {"confidence -1", OBJ(HDR("tool") ", \"name\": \"x\", \"confidence\": -1"), STIX_EINVALID,
     "confidence"},
    {"confidence real", OBJ(HDR("tool") ", \"name\": \"x\", \"confidence\": 50.5"), STIX_EINVALID,
     "confidence"},
    {"confidence string", OBJ(HDR("tool") ", \"name\": \"x\", \"confidence\": \"50\""),
     STIX_EINVALID, "confidence"},
    {"revoked string", OBJ(HDR("tool") ", \"name\": \"x\", \"revoked\": \"true\""), STIX_EINVALID,
     "revoked"},
    {"labels empty", OBJ(HDR("tool") ", \"name\": \"x\", \"labels\": []"), STIX_EINVALID, "labels"},
    {"labels not strings", OBJ(HDR("tool") ", \"name\": \"x\", \"labels\": [1]"), STIX_EINVALID,
     "labels"},
    {"lang number", OBJ(HDR("tool") ", \"name\": \"x\", \"lang\": 1"), STIX_EINVALID, "lang"},
    {"created_by_ref not identity",
     OBJ(HDR("tool") ", \"name\": \"x\", \"created_by_ref\": "
                     "\"tool" U "\""),
     STIX_EINVALID, "identity"},
    {"created_by_ref bad id",
     OBJ(HDR("tool") ", \"name\": \"x\", \"created_by_ref\": "
                     "\"identity--x\""),
     STIX_EINVALID, "created_by_ref"},
    {"marking ref to non-marking",
     OBJ(HDR("tool") ", \"name\": \"x\", \"object_marking_refs\": "
                     "[\"" IDENT "\"]"),
     STIX_EINVALID, "marking-definition"},
    {"granular marking without selectors",
     OBJ(HDR("tool") ", \"name\": \"x\", "
                     "\"granular_markings\": [{\"marking_ref\": \"" MD "\"}]"),
     STIX_EINVALID, "selectors"},
    {"granular marking with both",
     OBJ(HDR("tool") ", \"name\": \"x\", \"granular_markings\": "
                     "[{\"selectors\": [\"name\"], \"marking_ref\": \"" MD
                     "\", \"lang\": \"en\"}]"),
     STIX_EINVALID, "exactly one"},
    {"external reference without source",
     OBJ(HDR("tool") ", \"name\": \"x\", "
                     "\"external_references\": [{\"url\": \"u\"}]"),
     STIX_EINVALID, "source_name"},
    {"external reference with only source",
     OBJ(HDR("tool") ", \"name\": \"x\", "
                     "\"external_references\": [{\"source_name\": "
                     "\"s\"}]"),
     STIX_EINVALID, "at least one"},
    {"external reference bad MD5",
     OBJ(HDR("tool") ", \"name\": \"x\", \"external_references\": "
                     "[{\"source_name\": \"s\", \"url\": \"https://x.org/\", \"hashes\": "
                     "{\"MD5\": \"abc\"}}]"),
     STIX_EINVALID, "MD5"},
    {"extension key not an id",
     OBJ(HDR("tool") ", \"name\": \"x\", \"extensions\": "
                     "{\"acme\": {\"a\": 1}}"),
     STIX_EINVALID, "extensions"},
    {"predefined extension on an SDO",
     OBJ(HDR("tool") ", \"name\": \"x\", \"extensions\": "
                     "{\"ntfs-ext\": {\"sid\": \"1\"}}"),
     STIX_EINVALID, "extensions"},
    {"extension without extension_type",
     OBJ(HDR("tool") ", \"name\": \"x\", \"extensions\": "
                     "{\"extension-definition" U "\": {\"a\": 1}}"),
     STIX_EINVALID, "extension_type"},
    {"extension bad extension_type",
     OBJ(HDR("tool") ", \"name\": \"x\", \"extensions\": "
                     "{\"extension-definition" U "\": {\"extension_type\": "
                     "\"new-thing\"}}"),
     STIX_EINVALID, "extension_type"},
    {"custom property with hyphen", OBJ(HDR("tool") ", \"name\": \"x\", \"x-acme\": 1"),
     STIX_EINVALID, "property name"},
    {"custom property too short", OBJ(HDR("tool") ", \"name\": \"x\", \"xa\": 1"), STIX_EINVALID,
     "property name"},
    {"custom property non-ASCII", OBJ(HDR("tool") ", \"name\": \"x\", \"x_acm\xc3\xa9\": 1"),
     STIX_EINVALID, "property name"},
    {"custom property with space", OBJ(HDR("tool") ", \"name\": \"x\", \"x acme\": 1"),
     STIX_EINVALID, "property name"},
    {"custom _ref not an id", OBJ(HDR("tool") ", \"name\": \"x\", \"x_acme_ref\": \"nope\""),
     STIX_EINVALID, "x_acme_ref"},
    {"custom _refs not ids", OBJ(HDR("tool") ", \"name\": \"x\", \"x_acme_refs\": [\"nope\"]"),
     STIX_EINVALID, "x_acme_refs"},
    {"custom _bin not base64", OBJ(HDR("tool") ", \"name\": \"x\", \"x_acme_bin\": \"abc\""),
     STIX_EINVALID, "base64"},
    {"custom _hex not hex", OBJ(HDR("tool") ", \"name\": \"x\", \"x_acme_hex\": \"0g\""),
     STIX_EINVALID, "hex"},
    {"custom object without created",
     OBJ("\"type\": \"x-thing\", \"spec_version\": \"2.1\", "
         "\"id\": \"x-thing" U "\""),
     STIX_EINVALID, "created"},

    /* per type: required properties and rules */
    {"attack-pattern no name", OBJ(HDR("attack-pattern")), STIX_EINVALID, "name"},
    {"attack-pattern bad kill chain",
     OBJ(HDR("attack-pattern") ", \"name\": \"x\", "
                               "\"kill_chain_phases\": [{\"phase_name\": \"p\"}]"),
     STIX_EINVALID, "kill_chain_name"},
    {"campaign no name", OBJ(HDR("campaign")), STIX_EINVALID, "name"},
    {"campaign last before first",
     OBJ(HDR("campaign") ", \"name\": \"x\", \"first_seen\": \"" LATER "\", \"last_seen\": \"" TS
                         "\""),
     STIX_EINVALID, "last_seen"},
    {"course-of-action no name", OBJ(HDR("course-of-action")), STIX_EINVALID, "name"},
    {"grouping no context", OBJ(HDR("grouping") ", \"object_refs\": [\"" IDENT "\"]"),
     STIX_EINVALID, "context"},
    {"grouping empty object_refs",
     OBJ(HDR("grouping") ", \"context\": \"x\", \"object_refs\": "
                         "[]"),
     STIX_EINVALID, "object_refs"},
    {"identity no name", OBJ(HDR("identity")), STIX_EINVALID, "name"},
    {"incident no name", OBJ(HDR("incident")), STIX_EINVALID, "name"},
    {"indicator no pattern",
     OBJ(HDR("indicator") ", \"pattern_type\": \"stix\", "
                          "\"valid_from\": \"" TS "\""),
     STIX_EINVALID, "pattern"},
    {"indicator no pattern_type",
     OBJ(HDR("indicator") ", \"pattern\": \"p\", \"valid_from\": \"" TS "\""), STIX_EINVALID,
     "pattern_type"},
    {"indicator no valid_from",
     OBJ(HDR("indicator") ", \"pattern\": \"p\", \"pattern_type\": "
                          "\"stix\""),
     STIX_EINVALID, "valid_from"},
    {"indicator valid_until not later",
     OBJ(HDR("indicator") ", \"pattern\": \"p\", "
                          "\"pattern_type\": \"stix\", \"valid_from\": \"" TS
                          "\", \"valid_until\": \"" TS "\""),
     STIX_EINVALID, "valid_until"},
    {"indicator bad valid_from",
     OBJ(HDR("indicator") ", \"pattern\": \"p\", \"pattern_type\": "
                          "\"stix\", \"valid_from\": \"2016-04-06\""),
     STIX_EINVALID, "valid_from"},
    {"infrastructure no name", OBJ(HDR("infrastructure")), STIX_EINVALID, "name"},
    {"intrusion-set no name", OBJ(HDR("intrusion-set")), STIX_EINVALID, "name"},
    {"location nothing", OBJ(HDR("location") ", \"name\": \"x\""), STIX_EINVALID, "region"},
    {"location latitude alone", OBJ(HDR("location") ", \"latitude\": 1, \"country\": \"dz\""),
     STIX_EINVALID, "latitude"},
    {"location latitude 91", OBJ(HDR("location") ", \"latitude\": 91, \"longitude\": 0"),
     STIX_EINVALID, "latitude"},
    {"location precision alone", OBJ(HDR("location") ", \"precision\": 1, \"country\": \"dz\""),
     STIX_EINVALID, "precision"},
    {"malware no is_family", OBJ(HDR("malware") ", \"name\": \"x\""), STIX_EINVALID, "is_family"},
    {"malware family without name", OBJ(HDR("malware") ", \"is_family\": true"), STIX_EINVALID,
     "name"},
    {"malware sample_refs to identity",
     OBJ(HDR("malware") ", \"is_family\": false, "
                        "\"sample_refs\": [\"" IDENT "\"]"),
     STIX_EINVALID, "sample_refs"},
    {"malware-analysis no product", OBJ(HDR("malware-analysis") ", \"result\": \"benign\""),
     STIX_EINVALID, "product"},
    {"malware-analysis no result", OBJ(HDR("malware-analysis") ", \"product\": \"x\""),
     STIX_EINVALID, "result"},
    {"note no content", OBJ(HDR("note") ", \"object_refs\": [\"" IDENT "\"]"), STIX_EINVALID,
     "content"},
    {"note no object_refs", OBJ(HDR("note") ", \"content\": \"x\""), STIX_EINVALID, "object_refs"},
    {"observed-data no number",
     OBJ(HDR("observed-data") ", \"first_observed\": \"" TS "\", "
                              "\"last_observed\": \"" TS "\", \"object_refs\": [\"url" U "\"]"),
     STIX_EINVALID, "number_observed"},
    {"observed-data number 0",
     OBJ(HDR("observed-data") ", \"first_observed\": \"" TS "\", "
                              "\"last_observed\": \"" TS "\", \"number_observed\": 0, "
                              "\"object_refs\": [\"url" U "\"]"),
     STIX_EINVALID, "number_observed"},
    {"observed-data neither objects nor refs",
     OBJ(HDR("observed-data") ", \"first_observed\": "
                              "\"" TS "\", \"last_observed\": \"" TS "\", "
                              "\"number_observed\": 1"),
     STIX_EINVALID, "object_refs"},
    {"opinion bad value",
     OBJ(HDR("opinion") ", \"opinion\": \"maybe\", \"object_refs\": [\"" IDENT "\"]"),
     STIX_EINVALID, "opinion"},
    {"opinion no object_refs", OBJ(HDR("opinion") ", \"opinion\": \"agree\""), STIX_EINVALID,
     "object_refs"},
    {"report no published",
     OBJ(HDR("report") ", \"name\": \"x\", \"object_refs\": [\"" IDENT "\"]"), STIX_EINVALID,
     "published"},
    {"report no object_refs", OBJ(HDR("report") ", \"name\": \"x\", \"published\": \"" TS "\""),
     STIX_EINVALID, "object_refs"},
    {"report bad object ref",
     OBJ(HDR("report") ", \"name\": \"x\", \"published\": \"" TS "\", "
                       "\"object_refs\": [\"nope\"]"),
     STIX_EINVALID, "object_refs"},
    {"threat-actor no name", OBJ(HDR("threat-actor")), STIX_EINVALID, "name"},
    {"tool no name", OBJ(HDR("tool")), STIX_EINVALID, "name"},
    {"tool name not string", OBJ(HDR("tool") ", \"name\": 3"), STIX_EINVALID, "name"},
    {"vulnerability no name", OBJ(HDR("vulnerability")), STIX_EINVALID, "name"},
    {"relationship no type",
     OBJ(HDR("relationship") ", \"source_ref\": \"" IDENT "\", "
                             "\"target_ref\": \"" IDENT "\""),
     STIX_EINVALID, "relationship_type"},
    {"relationship bad target",
     OBJ(HDR("relationship") ", \"relationship_type\": \"uses\", "
                             "\"source_ref\": \"" IDENT "\", \"target_ref\": \"x\""),
     STIX_EINVALID, "target_ref"},
    {"sighting no sighting_of_ref", OBJ(HDR("sighting")), STIX_EINVALID, "sighting_of_ref"},
    {"sighting where_sighted to tool",
     OBJ(HDR("sighting") ", \"sighting_of_ref\": \"indicator" U
                         "\", \"where_sighted_refs\": [\"tool" U "\"]"),
     STIX_EINVALID, "where_sighted_refs"},
    {"artifact neither", OBJ(SCO("artifact") ", \"mime_type\": \"text/plain\""), STIX_EINVALID,
     "payload_bin"},
    {"artifact url without hashes", OBJ(SCO("artifact") ", \"url\": \"https://x\""), STIX_EINVALID,
     "hashes"},
    {"artifact payload not base64", OBJ(SCO("artifact") ", \"payload_bin\": \"aGVsbG8= ...\""),
     STIX_EINVALID, "payload_bin"},
    {"autonomous-system no number", OBJ(SCO("autonomous-system") ", \"name\": \"x\""),
     STIX_EINVALID, "number"},
    {"directory no path", OBJ(SCO("directory")), STIX_EINVALID, "path"},
    {"domain-name no value", OBJ(SCO("domain-name")), STIX_EINVALID, "value"},
    {"email-addr no value", OBJ(SCO("email-addr")), STIX_EINVALID, "value"},
    {"email-message no is_multipart", OBJ(SCO("email-message") ", \"subject\": \"x\""),
     STIX_EINVALID, "is_multipart"},
    {"email-message multipart with body",
     OBJ(SCO("email-message") ", \"is_multipart\": true, "
                              "\"body\": \"x\""),
     STIX_EINVALID, "body"},
    {"file neither hashes nor name", OBJ(SCO("file") ", \"size\": 1"), STIX_EINVALID, "hashes"},
    {"file bad SHA-256", OBJ(SCO("file") ", \"hashes\": {\"SHA-256\": \"00\"}"), STIX_EINVALID,
     "SHA-256"},
    {"ipv4-addr no value", OBJ(SCO("ipv4-addr")), STIX_EINVALID, "value"},
    {"ipv6-addr no value", OBJ(SCO("ipv6-addr")), STIX_EINVALID, "value"},
    {"mac-addr no value", OBJ(SCO("mac-addr")), STIX_EINVALID, "value"},
    {"mutex no name", OBJ(SCO("mutex")), STIX_EINVALID, "name"},
    {"network-traffic no protocols",
     OBJ(SCO("network-traffic") ", \"src_ref\": \"ipv4-addr" U "\""), STIX_EINVALID, "protocols"},
    {"network-traffic no endpoints", OBJ(SCO("network-traffic") ", \"protocols\": [\"tcp\"]"),
     STIX_EINVALID, "src_ref"},
    {"network-traffic port 70000",
     OBJ(SCO("network-traffic") ", \"protocols\": [\"tcp\"], "
                                "\"src_ref\": \"ipv4-addr" U "\", \"src_port\": 70000"),
     STIX_EINVALID, "src_port"},
    {"process empty", OBJ(SCO("process")), STIX_EINVALID, "at least one"},
    {"software no name", OBJ(SCO("software")), STIX_EINVALID, "name"},
    {"url no value", OBJ(SCO("url")), STIX_EINVALID, "value"},
    {"user-account empty", OBJ(SCO("user-account")), STIX_EINVALID, "at least one"},
    {"windows-registry-key empty", OBJ(SCO("windows-registry-key")), STIX_EINVALID, "at least one"},
    {"x509-certificate empty", OBJ(SCO("x509-certificate")), STIX_EINVALID, "at least one"},
    {"SCO unknown extension",
     OBJ(SCO("file") ", \"name\": \"x\", \"extensions\": {\"acme-ext\": "
                     "{\"a\": 1}}"),
     STIX_EINVALID, "extensions"},
    {"marking without definition",
     OBJ("\"type\": \"marking-definition\", \"spec_version\": "
         "\"2.1\", \"id\": \"" MD "\", \"created\": \"" TS "\""),
     STIX_EINVALID, "definition"},
    {"marking statement not string",
     OBJ("\"type\": \"marking-definition\", \"spec_version\": "
         "\"2.1\", \"id\": \"" MD "\", \"created\": \"" TS "\", "
         "\"definition_type\": \"statement\", \"definition\": "
         "{\"text\": \"x\"}"),
     STIX_EINVALID, "statement"},
    {"marking fake TLP 1.0",
     OBJ("\"type\": \"marking-definition\", \"spec_version\": \"2.1\", "
         "\"id\": \"" MD "\", \"created\": \"" TS "\", "
         "\"definition_type\": \"tlp\", \"definition\": {\"tlp\": "
         "\"white\"}"),
     STIX_EINVALID, "tlp"},
    {"marking TLP 1.0 wrong colour",
     OBJ("\"type\": \"marking-definition\", \"spec_version\": "
         "\"2.1\", \"id\": \"marking-definition--613f2e26-407d-"
         "48c7-9eca-b8e91df99dc9\", \"created\": \"" TS "\", "
         "\"definition_type\": \"tlp\", \"definition\": {\"tlp\": "
         "\"red\"}"),
     STIX_EINVALID, "white"},
    {"marking fake TLP 2.0",
     OBJ("\"type\": \"marking-definition\", \"spec_version\": \"2.1\", "
         "\"id\": \"" MD "\", \"created\": \"" TS "\", \"extensions\": "
         "{\"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d\": "
         "{\"extension_type\": \"property-extension\", \"tlp_2_0\": "
         "\"clear\"}}"),
     STIX_EINVALID, "predefined id"},
    {"marking bad TLP 2.0 label",
     OBJ("\"type\": \"marking-definition\", \"spec_version\": "
         "\"2.1\", \"id\": \"" MD "\", \"created\": \"" TS "\", "
         "\"extensions\": {\"extension-definition--60a3c5c5-0d10-"
         "413e-aab3-9e08dde9e88d\": {\"extension_type\": \"property-"
         "extension\", \"tlp_2_0\": \"white\"}}"),
     STIX_EINVALID, "tlp_2_0"},
    {"marking STIX 2.0",
     OBJ("\"type\": \"marking-definition\", \"id\": \"" MD "\", "
         "\"created\": \"" TS "\", \"definition_type\": \"statement\", "
         "\"definition\": {\"statement\": \"x\"}"),
     STIX_EVERSION, "2.0"},
    {"language-content no contents", OBJ(HDR("language-content") ", \"object_ref\": \"" IDENT "\""),
     STIX_EINVALID, "contents"},
    {"language-content ref to bundle",
     OBJ(HDR("language-content") ", \"object_ref\": \"bundle" U
                                 "\", \"contents\": {\"fr\": {\"name\": \"x\"}}"),
     STIX_EINVALID, "bundle"},
    {"extension-definition no schema",
     OBJ(HDR("extension-definition") ", \"created_by_ref\": \"" IDENT
                                     "\", \"name\": \"x\", \"version\": \"1\", "
                                     "\"extension_types\": [\"new-sdo\"]"),
     STIX_EINVALID, "schema"},
    {"extension-definition bad type",
     OBJ(HDR("extension-definition") ", \"created_by_ref\": \"" IDENT
                                     "\", \"name\": \"x\", \"schema\": \"s\", "
                                     "\"version\": \"1\", \"extension_types\": "
                                     "[\"new-thing\"]"),
     STIX_EINVALID, "extension_types"},
};

static void test_table(void **state)
{
    (void)state;
    size_t valid = 0, refused = 0, wrong = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct vcase *c = &cases[i];
        json_error_t je;
        json_t *obj = json_loads(c->json, JSON_DECODE_ANY, &je);
        if (!obj)
            fail_msg("%s: test JSON does not parse: %s", c->name, je.text);
        struct stix_info info;
        struct lia_err err;
        lia_err_clear(&err);
        int rc = stix_validate_object(obj, &info, &err);
        if (rc != c->rc || !strstr(err.msg, c->why)) {
            print_error("%s: rc %d (want %d), message \"%s\" (want \"%s\")\n", c->name, rc, c->rc,
                        err.msg, c->why);
            wrong++;
        }
        if (rc == 0) {
            valid++;
            assert_string_equal(info.id, json_string_value(json_object_get(obj, "id")));
        } else {
            refused++;
        }
        json_decref(obj);
    }
    assert_int_equal(wrong, 0);
    assert_true(valid >= 48);
    assert_true(refused >= 100);
}

static void test_info(void **state)
{
    (void)state;
    const char *text = OBJ(HDR("tool") ", \"name\": \"x\", \"created_by_ref\": \"" IDENT "\", "
                                       "\"object_marking_refs\": [\"" MD "\"], \"revoked\": true");
    json_t *obj = json_loads(text, 0, NULL);
    struct stix_info info;
    struct lia_err err;
    assert_int_equal(stix_validate_object(obj, &info, &err), 0);
    assert_string_equal(info.type, "tool");
    assert_string_equal(info.spec_version, "2.1");
    assert_int_equal(info.kind, STIX_KIND_SDO);
    assert_true(info.versioned);
    assert_int_equal(info.created_us, 1459973028000000LL);
    assert_int_equal(info.modified_us, info.created_us);
    assert_string_equal(info.modified, TS);
    assert_string_equal(info.created_by_ref, IDENT);
    assert_ptr_equal(info.marking_refs, json_object_get(obj, "object_marking_refs"));
    assert_true(info.revoked);
    json_decref(obj);

    obj = json_loads(OBJ(SCO("url") ", \"value\": \"https://example.com/\""), 0, NULL);
    assert_int_equal(stix_validate_object(obj, &info, &err), 0);
    assert_int_equal(info.kind, STIX_KIND_SCO);
    assert_false(info.versioned);
    assert_null(info.modified);
    assert_string_equal(info.spec_version, "2.1");
    json_decref(obj);

    obj = json_loads(OBJ("\"type\": \"marking-definition\", \"spec_version\": \"2.1\", \"id\": "
                         "\"" MD "\", \"created\": \"" TS "\", \"definition_type\": \"statement\","
                         " \"definition\": {\"statement\": \"x\"}"),
                     0, NULL);
    assert_int_equal(stix_validate_object(obj, &info, &err), 0);
    assert_int_equal(info.kind, STIX_KIND_META);
    assert_true(info.versioned);
    assert_string_equal(info.modified, TS);
    json_decref(obj);

    obj = json_loads(OBJ(HDR("x-acme-widget")), 0, NULL);
    assert_int_equal(stix_validate_object(obj, &info, &err), 0);
    assert_int_equal(info.kind, STIX_KIND_CUSTOM);
    json_decref(obj);
}

static void test_table_sorted(void **state)
{
    (void)state;
    size_t n;
    const struct stix_type *t = stix_type_table(&n);
    assert_int_equal(n, 19 + 2 + 18 + 3); /* SDOs, SROs, SCOs, meta */
    for (size_t i = 1; i < n; i++)
        assert_true(strcmp(t[i - 1].name, t[i].name) < 0);
    for (size_t i = 0; i < n; i++)
        assert_ptr_equal(stix_type_lookup(t[i].name), &t[i]);
    assert_null(stix_type_lookup("x-mitre-tactic"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_info),
        cmocka_unit_test(test_table_sorted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
