/*
 * One row per rule of STIX 2.1 that src/stix/ enforces (stix_rules()): an object the rule
 * accepts and one or more it refuses, each refusal naming that rule and the property path.
 * The test also checks that every rule has a row here and a line in
 * docs/stix-validation.md, so a rule cannot be added without a test and a word for users.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stix/stix.h"

#define U "--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
#define U2 "--2f2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
#define V5 "--28bb3599-77cd-5a82-a950-b5bc3caf07c4"
#define TS "2016-04-06T20:03:48.000Z"
#define HDR(type)                                                                                  \
    "\"type\": \"" type "\", \"spec_version\": \"2.1\", \"id\": \"" type U "\", "                  \
    "\"created\": \"" TS "\", \"modified\": \"" TS "\""
#define SCO(type) "\"type\": \"" type "\", \"id\": \"" type U "\""
#define TOOL(extra) "{" HDR("tool") ", \"name\": \"x\"" extra "}"
#define IND(pattern)                                                                               \
    "{" HDR("indicator") ", \"pattern_type\": \"stix\", \"valid_from\": \"" TS                     \
                         "\", \"pattern\": \"" pattern "\"}"
#define REL(src, dst, rtype)                                                                       \
    "{" HDR("relationship") ", \"relationship_type\": \"" rtype "\", \"source_ref\": \"" src       \
                            "\", \"target_ref\": \"" dst "\"}"
#define NT(extra)                                                                                  \
    "{" SCO("network-traffic") ", \"src_ref\": \"ipv4-addr" U "\", \"protocols\": [\"tcp\"]" extra \
                               "}"
#define FILE_(extra) "{" SCO("file") ", \"name\": \"a.exe\"" extra "}"
#define MDEF(extra)                                                                                \
    "{\"type\": \"marking-definition\", \"spec_version\": \"2.1\", \"id\": "                       \
    "\"marking-definition" U "\", \"created\": \"" TS "\"" extra "}"
#define TLP2_GREEN_ID "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define TLP2_EXT "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
#define TLP2_GREEN(extra)                                                                          \
    "{\"type\": \"marking-definition\", \"spec_version\": \"2.1\", \"id\": \"" TLP2_GREEN_ID       \
    "\", \"created\": \"2022-10-01T00:00:00.000Z\", \"name\": \"TLP:GREEN\", \"extensions\": "     \
    "{\"" TLP2_EXT                                                                                 \
    "\": {\"extension_type\": \"property-extension\", \"tlp_2_0\": \"green\"}}" extra "}"

#define FLOW_EXT "extension-definition--b708057e-3178-4c8c-a463-32ad8e683cd7"
#define FLOW_NEW_SDO "\"extensions\": {\"" FLOW_EXT "\": {\"extension_type\": \"new-sdo\"}}"
#define FLOW_FROM_TO "\"from_ref\": \"location" U "\", \"to_ref\": \"location" U2 "\""
/* A flow with what moves, from and to, and extra members. */
#define FLOW(extra)                                                                                \
    "{" HDR("liaison-flow") ", \"commodities\": [\"weapons\"], " FLOW_FROM_TO                      \
                            ", " FLOW_NEW_SDO extra "}"
#define FLOW_BARE(members) "{" HDR("liaison-flow") ", " members ", " FLOW_NEW_SDO "}"

struct rule_case {
    const char *rule; /* as in stix_rules() */
    const char *valid;
    const char *invalid[5]; /* each refused, naming the rule */
    const char *path;       /* the path the first refusal names */
};

static const struct rule_case cases[] = {
    {"object", TOOL(""), {"[1, 2]"}, ""},
    {"type-name", TOOL(""), {"{\"type\": \"Tool\", \"id\": \"Tool" U "\"}"}, "type"},
    {"id-format", TOOL(""), {"{\"type\": \"tool\", \"id\": \"tool--123\"}"}, "id"},
    {"id-prefix", TOOL(""), {"{\"type\": \"tool\", \"id\": \"malware" U "\"}"}, "id"},
    {"sco-uuid-v4",
     "{\"type\": \"user-account\", \"id\": \"user-account" U "\", \"display_name\": \"x\"}",
     {"{\"type\": \"user-account\", \"id\": \"user-account" V5 "\", \"display_name\": \"x\"}",
      "{\"type\": \"process\", \"id\": \"process" V5 "\", \"pid\": 4}",
      "{\"type\": \"x509-certificate\", \"id\": \"x509-certificate" V5 "\", \"subject\": "
      "\"CN=x\"}"},
     "id"},
    {"spec-version",
     TOOL(""),
     {"{\"type\": \"tool\", \"spec_version\": 2.1, \"id\": \"tool" U "\", \"name\": \"x\"}"},
     "spec_version"},
    {"required-property", TOOL(""), {"{" HDR("tool") "}"}, "name"},
    {"property-type", TOOL(""), {"{" HDR("tool") ", \"name\": 5}"}, "name"},
    {"property-name",
     TOOL(", \"x_acme_score\": 1"),
     {TOOL(", \"x_Acme_Score\": 1"), TOOL(", \"_x_score\": 1"), TOOL(", \"9lives\": 1"),
      "{" SCO("file") ", \"name\": \"a\", \"extensions\": {\"extension-definition" U
                      "\": {\"extension_type\": \"property-extension\", \"Bad-Name\": 1}}}"},
     ""},
    {"reserved-name",
     TOOL(", \"x_action\": \"go\""),
     {TOOL(", \"action\": \"go\""), TOOL(", \"severity\": \"high\""), TOOL(", \"username\": \"u\""),
      TOOL(", \"phone_number\": \"1\""),
      /* our own RFI responses too (issue 27.5: they say response_type now) */
      "{" HDR("liaison-rfi-response") ", \"action\": \"answer\"}"},
     "action"},
    {"empty-list",
     TOOL(", \"labels\": [\"a\"]"),
     {TOOL(", \"x_things\": []"), TOOL(", \"aliases\": []")},
     "x_things"},
    {"empty-dictionary",
     FILE_(", \"hashes\": {\"MD5\": \"cead3f77f6cda6ec00f57d76c9a6879f\"}"),
     {FILE_(", \"hashes\": {}"), TOOL(", \"x_map\": {}")},
     "hashes"},
    {"dictionary-key",
     "{" SCO("email-message") ", \"is_multipart\": false, \"additional_header_fields\": "
                              "{\"Reply-To\": \"a@b.org\"}}",
     {"{" SCO("email-message") ", \"is_multipart\": false, \"additional_header_fields\": "
                               "{\"Reply To\": \"a@b.org\"}}"},
     "additional_header_fields.Reply To"},
    {"integer-range",
     FILE_(", \"size\": 9007199254740991"),
     {FILE_(", \"size\": 9007199254740993")},
     "size"},
    {"timestamp",
     FILE_(", \"extensions\": {\"windows-pebinary-ext\": {\"pe_type\": \"exe\", "
           "\"time_date_stamp\": \"2016-11-30T00:00:00Z\"}}"),
     {FILE_(", \"extensions\": {\"windows-pebinary-ext\": {\"pe_type\": \"exe\", "
            "\"time_date_stamp\": \"2016-11-31T00:00:00Z\"}}"),
      "{" SCO("x509-certificate") ", \"x509_v3_extensions\": "
                                  "{\"private_key_usage_period_not_before\": "
                                  "\"2016-02-30T00:00:00Z\"}}",
      FILE_(", \"created\": \"2016-11-31T08:17:27.000000Z\"")},
     "extensions.windows-pebinary-ext.time_date_stamp"},
    {"timestamp-precision",
     TOOL(""),
     {"{\"type\": \"tool\", \"spec_version\": \"2.1\", \"id\": \"tool" U
      "\", \"created\": \"2016-04-06T20:03:48Z\", \"modified\": \"" TS "\", \"name\": \"x\"}"},
     "created"},
    {"modified-after-created",
     TOOL(""),
     {"{\"type\": \"tool\", \"spec_version\": \"2.1\", \"id\": \"tool" U "\", \"created\": \"" TS
      "\", \"modified\": \"2015-01-01T00:00:00.000Z\", \"name\": "
      "\"x\"}"},
     "modified"},
    {"timestamp-order",
     "{" HDR("campaign") ", \"name\": \"c\", \"first_seen\": \"" TS "\", \"last_seen\": \"" TS
                         "\"}",
     {"{" HDR("campaign") ", \"name\": \"c\", \"first_seen\": \"" TS
                          "\", \"last_seen\": \"2015-01-01T00:00:00Z\"}",
      "{" SCO("x509-certificate") ", \"validity_not_before\": \"" TS
                                  "\", \"validity_not_after\": \"2015-01-01T00:00:00Z\"}"},
     "last_seen"},
    {"reference-format",
     TOOL(", \"created_by_ref\": \"identity" U "\""),
     {TOOL(", \"created_by_ref\": \"acme\""), TOOL(", \"x_thing_ref\": \"x\"")},
     "created_by_ref"},
    {"reference-target",
     REL("malware" U, "x-acme-thing" U, "uses"),
     {REL("relationship" U2, "malware" U, "uses"), REL("malware" U, "bundle" U, "uses"),
      REL("malware" U, "marking-definition" U, "uses"),
      "{" HDR("sighting") ", \"sighting_of_ref\": \"ipv4-addr" U "\"}"},
     "source_ref"},
    {"binary",
     TOOL(", \"x_blob_bin\": \"aGVsbG8=\""),
     {TOOL(", \"x_blob_bin\": \"hello!\"")},
     "x_blob_bin"},
    {"hex",
     TOOL(", \"x_magic_hex\": \"ffd8\""),
     {TOOL(", \"x_magic_hex\": \"ffd\"")},
     "x_magic_hex"},
    {"hashes",
     FILE_(", \"hashes\": {\"SHA-256\": "
           "\"aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f\", \"ssdeep\": "
           "\"3:a:b\"}"),
     {FILE_(", \"hashes\": {\"MD5\": \"abc\"}"), FILE_(", \"hashes\": {\"md\": \"abc\"}"),
      FILE_(", \"hashes\": {\"TLSH\": \"abcd\"}")},
     "hashes.MD5"},
    {"confidence", TOOL(", \"confidence\": 100"), {TOOL(", \"confidence\": 101")}, "confidence"},
    {"language-tag",
     TOOL(", \"lang\": \"zh-Hant-TW\""),
     {TOOL(", \"lang\": \"english\""), TOOL(", \"lang\": \"xq-US\""), TOOL(", \"lang\": \"en-\""),
      "{" HDR("language-content") ", \"object_ref\": \"tool" U "\", \"contents\": "
                                  "{\"klingon\": {\"name\": \"x\"}}}"},
     "lang"},
    {"defanged-on-sco",
     "{" SCO("url") ", \"value\": \"hxxp://x.org/\", \"defanged\": true}",
     {TOOL(", \"defanged\": true")},
     "defanged"},
    {"external-reference",
     TOOL(", \"external_references\": [{\"source_name\": \"s\", \"url\": \"https://x.org/\"}]"),
     {TOOL(", \"external_references\": [{\"source_name\": \"s\"}]")},
     "external_references[0]"},
    {"external-id-format",
     "{" HDR("vulnerability") ", \"name\": \"v\", \"external_references\": [{\"source_name\": "
                              "\"cve\", \"external_id\": \"CVE-2014-0160\"}]}",
     {"{" HDR("vulnerability") ", \"name\": \"v\", \"external_references\": [{\"source_name\": "
                               "\"cve\", \"external_id\": \"2014-0160\"}]}",
      "{" HDR("attack-pattern") ", \"name\": \"a\", \"external_references\": [{\"source_name\": "
                                "\"capec\", \"external_id\": \"163\"}]}",
      "{" HDR("vulnerability") ", \"name\": \"v\", \"external_references\": [{\"source_name\": "
                               "\"CVE\", \"external_id\": \"CVE-2016-1234\"}]}"},
     "external_references[0].external_id"},
    {"kill-chain-phase",
     TOOL(", \"kill_chain_phases\": [{\"kill_chain_name\": \"k\", \"phase_name\": \"p\"}]"),
     {TOOL(", \"kill_chain_phases\": [{\"kill_chain_name\": \"k\"}]")},
     "kill_chain_phases[0]"},
    {"object-marking-refs",
     MDEF(", \"definition_type\": \"statement\", \"definition\": {\"statement\": \"s\"}, "
          "\"object_marking_refs\": [\"marking-definition" U2 "\"]"),
     {MDEF(", \"definition_type\": \"statement\", \"definition\": {\"statement\": \"s\"}, "
           "\"object_marking_refs\": [\"marking-definition" U "\"]"),
      MDEF(", \"definition_type\": \"statement\", \"definition\": {\"statement\": \"s\"}, "
           "\"granular_markings\": [{\"selectors\": [\"definition\"], \"marking_ref\": "
           "\"marking-definition" U "\"}]")},
     "object_marking_refs[0]"},
    {"granular-marking",
     TOOL(", \"granular_markings\": [{\"selectors\": [\"name\"], \"lang\": \"fr\"}]"),
     {TOOL(", \"granular_markings\": [{\"selectors\": [\"name\"], \"lang\": \"fr\", "
           "\"marking_ref\": \"marking-definition" U "\"}]"),
      TOOL(", \"granular_markings\": [{\"selectors\": [], \"lang\": \"fr\"}]")},
     "granular_markings[0]"},
    {"granular-selector",
     TOOL(", \"labels\": [\"a\", \"b\"], \"granular_markings\": [{\"selectors\": [\"labels.[1]\", "
          "\"name\"], \"marking_ref\": \"marking-definition" U "\"}]"),
     {TOOL(", \"granular_markings\": [{\"selectors\": [\"description\"], \"marking_ref\": "
           "\"marking-definition" U "\"}]"),
      TOOL(", \"labels\": [\"a\"], \"granular_markings\": [{\"selectors\": [\"labels.[3]\"], "
           "\"marking_ref\": \"marking-definition" U "\"}]"),
      TOOL(", \"granular_markings\": [{\"selectors\": [\"name.[0]\"], \"marking_ref\": "
           "\"marking-definition" U "\"}]")},
     "granular_markings[0].selectors[0]"},
    {"marking-definition",
     MDEF(", \"definition_type\": \"statement\", \"definition\": {\"statement\": \"s\"}"),
     {MDEF(", \"definition_type\": \"statement\", \"definition\": {\"x_text\": \"s\"}"),
      MDEF(", \"definition_type\": \"statement\"")},
     "definition.statement"},
    {"tlp-predefined",
     TLP2_GREEN(""),
     {TLP2_GREEN(", \"description\": \"also for partners\""),
      MDEF(", \"name\": \"TLP:GREEN\", \"extensions\": {\"" TLP2_EXT "\": {\"extension_type\": "
           "\"property-extension\", \"tlp_2_0\": \"green\"}}"),
      MDEF(", \"definition_type\": \"tlp\", \"definition\": {\"tlp\": \"green\"}")},
     "description"},
    {"extensions",
     "{" SCO("file") ", \"name\": \"a\", \"extensions\": {\"ntfs-ext\": {\"sid\": \"1\"}, "
                     "\"x-acme-scan-ext\": {\"score\": 1}}}",
     {TOOL(", \"extensions\": {\"acme\": {\"a\": 1}}"),
      FILE_(", \"extensions\": {\"x_acme_ext\": {\"x_a\": 1}}"),
      TOOL(", \"extensions\": {\"extension-definition" U "\": {\"x_a\": 1}}")},
     "extensions.acme"},
    {"predefined-extension",
     NT(", \"extensions\": {\"tcp-ext\": {\"src_flags_hex\": \"02\"}}"),
     {NT(", \"extensions\": {\"ntfs-ext\": {\"sid\": \"1\"}}")},
     "extensions.ntfs-ext"},
    {"at-least-one-property",
     "{" SCO("user-account") ", \"user_id\": \"1001\"}",
     {"{" SCO("user-account") "}", FILE_(", \"extensions\": {\"ntfs-ext\": {\"x_other\": 1}}"),
      "{" SCO("windows-registry-key") ", \"values\": [{\"x_thing\": 1}]}"},
     ""},
    {"property-combination",
     "{" SCO("artifact") ", \"payload_bin\": \"aGVsbG8=\"}",
     {"{" SCO("artifact") ", \"payload_bin\": \"aGVsbG8=\", \"url\": \"https://x.org/a\", "
                          "\"hashes\": {\"MD5\": \"cead3f77f6cda6ec00f57d76c9a6879f\"}}",
      "{" SCO("email-message") ", \"is_multipart\": true, \"body\": \"b\"}"},
     ""},
    {"value-range",
     NT(", \"src_port\": 65535"),
     {NT(", \"src_port\": 70000"), FILE_(", \"size\": -1"),
      "{" HDR("sighting") ", \"sighting_of_ref\": \"malware" U "\", \"count\": 1000000000}"},
     "src_port"},
    {"enumeration",
     "{" SCO("artifact") ", \"payload_bin\": \"aGVsbG8=\", \"encryption_algorithm\": "
                         "\"AES-256-GCM\", \"decryption_key\": \"k\"}",
     {"{" SCO("artifact") ", \"payload_bin\": \"aGVsbG8=\", \"encryption_algorithm\": "
                          "\"AES-128\"}",
      NT(", \"extensions\": {\"socket-ext\": {\"address_family\": \"AF_PIGEON\"}}"),
      "{" HDR("opinion") ", \"opinion\": \"maybe\", \"object_refs\": [\"tool" U "\"]}"},
     "encryption_algorithm"},
    {"relationship-type",
     REL("malware" U, "tool" U2, "located-at"),
     {REL("malware" U, "tool" U2, "located-at<img src=x>"), REL("malware" U, "tool" U2, "Uses")},
     "relationship_type"},
    {"ip-address",
     "{" SCO("ipv4-addr") ", \"value\": \"198.51.100.0/24\"}",
     {"{" SCO("ipv4-addr") ", \"value\": \"foo\"}",
      "{" SCO("ipv4-addr") ", \"value\": \"10.0.0.0/33\"}",
      "{" SCO("ipv6-addr") ", \"value\": \"2001:db8::/129\"}",
      "{" SCO("ipv4-addr") ", \"value\": \"2001:db8::1\"}"},
     "value"},
    {"mac-address",
     "{" SCO("mac-addr") ", \"value\": \"00:00:ab:cd:ef:01\"}",
     {"{" SCO("mac-addr") ", \"value\": \"00:00:AB:CD:EF:01\"}",
      "{" SCO("mac-addr") ", \"value\": \"0:0:ab:cd:ef:1\"}"},
     "value"},
    {"domain-name",
     "{" SCO("domain-name") ", \"value\": \"xn--bcher-kva.example\"}",
     {"{" SCO("domain-name") ", \"value\": \"exa mple.com\"}",
      "{" SCO("domain-name") ", \"value\": \"-bad.example\"}",
      "{" SCO("domain-name") ", \"value\": \"a..b\"}"},
     "value"},
    {"url",
     "{" SCO("url") ", \"value\": \"https://example.com/a?b=c\"}",
     {"{" SCO("url") ", \"value\": \"not a url\"}", "{" SCO("url") ", \"value\": \"/relative\"}",
      "{" SCO("artifact") ", \"url\": \"ht tp://x\", \"hashes\": {\"MD5\": "
                          "\"cead3f77f6cda6ec00f57d76c9a6879f\"}}"},
     "value"},
    {"email-address",
     "{" SCO("email-addr") ", \"value\": \"jdoe@example.com\"}",
     {"{" SCO("email-addr") ", \"value\": \"John Doe <jdoe@example.com>\"}",
      "{" SCO("email-addr") ", \"value\": \"jdoe\"}",
      "{" SCO("email-addr") ", \"value\": \"j..doe@example.com\"}"},
     "value"},
    {"mime-type",
     "{" SCO("artifact") ", \"payload_bin\": \"aGVsbG8=\", \"mime_type\": "
                         "\"application/vnd.tcpdump.pcap\"}",
     {"{" SCO("artifact") ", \"payload_bin\": \"aGVsbG8=\", \"mime_type\": \"pdf\"}",
      "{" SCO("artifact") ", \"payload_bin\": \"aGVsbG8=\", \"mime_type\": \"foo/bar\"}"},
     "mime_type"},
    {"charset",
     FILE_(", \"name_enc\": \"windows-1252\""),
     {FILE_(", \"name_enc\": \"klingon-8\""), FILE_(", \"name_enc\": \"latin1\""),
      "{" SCO("directory") ", \"path\": \"/\", \"path_enc\": \"nonsense\"}"},
     "name_enc"},
    {"cpe",
     "{" SCO("software") ", \"name\": \"w\", \"cpe\": "
                         "\"cpe:2.3:a:microsoft:word:2000:*:*:*:*:*:*:*\"}",
     {"{" SCO("software") ", \"name\": \"w\", \"cpe\": \"cpe:/a:microsoft:word:2000\"}",
      "{" SCO("software") ", \"name\": \"w\", \"cpe\": "
                          "\"cpe:2.3:x:microsoft:word:2000:*:*:*:*:*:*:*\"}"},
     "cpe"},
    {"software-languages",
     "{" SCO("software") ", \"name\": \"w\", \"languages\": [\"eng\", \"fre\", \"ara\"]}",
     {"{" SCO("software") ", \"name\": \"w\", \"languages\": [\"english\"]}"},
     "languages[0]"},
    {"registry-hive",
     "{" SCO("windows-registry-key") ", \"key\": \"HKEY_LOCAL_MACHINE\\\\Software\\\\x\"}",
     {"{" SCO("windows-registry-key") ", \"key\": \"HKLM\\\\Software\\\\x\"}"},
     "key"},
    {"extension-definition",
     "{" HDR("extension-definition") ", \"created_by_ref\": \"identity" U
                                     "\", \"name\": \"e\", \"schema\": \"s\", \"version\": \"1\", "
                                     "\"extension_types\": "
                                     "[\"toplevel-property-extension\"], \"extension_properties\": "
                                     "[\"x_a\"]}",
     {"{" HDR("extension-definition") ", \"created_by_ref\": \"identity" U
                                      "\", \"name\": \"e\", \"schema\": \"s\", \"version\": \"1\", "
                                      "\"extension_types\": "
                                      "[\"new-sdo\"], \"extension_properties\": [\"x_a\"]}"},
     "extension_properties"},
    {"language-content",
     "{" HDR("language-content") ", \"object_ref\": \"tool" U "\", \"contents\": "
                                 "{\"de\": {\"name\": \"Werkzeug\"}}}",
     {"{" HDR("language-content") ", \"object_ref\": \"tool" U "\", \"contents\": "
                                  "{\"de\": {\"Name\": \"Werkzeug\"}}}"},
     "contents.de"},
    {"pattern",
     IND("[file:size = 1280]"),
     {IND("file:size = 1280"), IND("[foo:bar=1] within 2 seconds"),
      IND("[artifact:payload_bin = b'====']")},
     "pattern"},
    {"flow-extension",
     FLOW(""),
     {"{" HDR("liaison-flow") ", \"commodities\": [\"weapons\"], " FLOW_FROM_TO "}",
      "{" HDR("liaison-flow") ", \"commodities\": [\"weapons\"], " FLOW_FROM_TO
                              ", \"extensions\": {\"" FLOW_EXT
                              "\": {\"extension_type\": \"property-extension\"}}}"},
     "extensions"},
    {"flow-endpoints",
     FLOW(", \"via_refs\": [\"location" U "\"]"),
     {FLOW_BARE("\"commodities\": [\"money\"], \"to_ref\": \"location" U "\""),
      FLOW_BARE("\"commodities\": [\"money\"], \"from_ref\": \"location" U "\"")},
     "from_ref"},
    {"flow-places",
     FLOW(", \"via_refs\": [\"location" U "\", \"location" U2 "\"]"),
     {FLOW_BARE("\"commodities\": [\"money\"], \"from_ref\": \"identity" U
                "\", \"to_ref\": \"location" U "\""),
      FLOW_BARE("\"commodities\": [\"money\"], \"from_ref\": \"location" U
                "\", \"to_ref\": \"threat-actor" U "\""),
      FLOW(", \"via_refs\": [\"location" U "\", \"report" U "\"]")},
     "from_ref"},
    {"flow-carriers",
     FLOW(", \"carrier_refs\": [\"threat-actor" U "\", \"intrusion-set" U "\", \"identity" U "\"]"),
     {FLOW(", \"carrier_refs\": [\"location" U "\"]"),
      FLOW(", \"carrier_refs\": [\"threat-actor" U "\", \"malware" U "\"]")},
     "carrier_refs[0]"},
    {"flow-commodity",
     FLOW_BARE("\"commodities\": [\"fighters\", \"other\"], \"other_commodities\": "
               "[\"cigarettes\"], " FLOW_FROM_TO),
     {FLOW_BARE("\"commodities\": [\"cigarettes\"], " FLOW_FROM_TO), FLOW_BARE(FLOW_FROM_TO),
      FLOW_BARE("\"commodities\": [\"money\", \"money\"], " FLOW_FROM_TO),
      FLOW_BARE("\"commodities\": [\"money\"], \"other_commodities\": [\"gold\"], " FLOW_FROM_TO)},
     "commodities[0]"},
    {"flow-estimate",
     FLOW(", \"estimate\": {\"quantity\": 0, \"unit\": \"rifles\"}"),
     {FLOW(", \"estimate\": {\"quantity\": -5, \"unit\": \"rifles\"}"),
      FLOW(", \"estimate\": {\"quantity\": -0.5, \"unit\": \"USD\"}"),
      FLOW(", \"estimate\": {\"quantity\": 12}"),
      FLOW(", \"estimate\": {\"quantity\": 12, \"unit\": \"kg\", \"per\": \"week\"}")},
     "estimate.quantity"},
    {"pattern-object-path",
     IND("[network-traffic:dst_ref.value = '198.51.100.1']"),
     {IND("[indicator:name = 'x']"), IND("[file:size.bytes = 1]"), IND("[file:name[0] = 'x']"),
      IND("[file:size = '12']")},
     "pattern"},
};

static json_t *load(const char *text)
{
    json_error_t je;
    json_t *o = json_loads(text, JSON_DECODE_ANY, &je);
    if (!o)
        fail_msg("test JSON does not parse: %s: %s", je.text, text);
    return o;
}

static void test_each_rule(void **state)
{
    (void)state;
    size_t wrong = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct rule_case *c = &cases[i];
        struct stix_info info;
        struct lia_err err;
        lia_err_clear(&err);
        json_t *o = load(c->valid);
        if (stix_validate_object(o, &info, &err) != 0) {
            print_error("%s: the valid object is refused: %s\n", c->rule, err.msg);
            wrong++;
        }
        json_decref(o);
        char want[128];
        snprintf(want, sizeof want, "(rule %s, STIX 2.1 section", c->rule);
        for (size_t j = 0; j < 5 && c->invalid[j]; j++) {
            o = load(c->invalid[j]);
            lia_err_clear(&err);
            int rc = stix_validate_object(o, &info, &err);
            bool path_ok = j > 0 || !c->path[0] || strncmp(err.msg, c->path, strlen(c->path)) == 0;
            if (rc != STIX_EINVALID || !strstr(err.msg, want) || !path_ok) {
                print_error("%s: invalid[%zu]: rc %d, \"%s\"\n", c->rule, j, rc, err.msg);
                wrong++;
            }
            json_decref(o);
        }
    }
    assert_int_equal(wrong, 0);
}

/* Every rule has a row above and is listed in docs/stix-validation.md. */
static void test_every_rule_tested_and_documented(void **state)
{
    (void)state;
    const char *src = getenv("LIAISON_SOURCE");
    assert_non_null(src);
    char path[4096];
    snprintf(path, sizeof path, "%s/docs/stix-validation.md", src);
    char *doc;
    size_t len;
    struct lia_err err;
    assert_int_equal(lia_read_file(path, 1 << 20, &doc, &len, &err), 0);
    size_t n, missing = 0;
    const struct stix_rule_desc *r = stix_rules(&n);
    for (size_t i = 0; i < n; i++) {
        bool tested = false;
        for (size_t j = 0; j < sizeof cases / sizeof cases[0]; j++)
            tested |= strcmp(cases[j].rule, r[i].id) == 0;
        char cell[96];
        snprintf(cell, sizeof cell, "| `%s` |", r[i].id);
        if (!tested || !strstr(doc, cell)) {
            print_error("rule %s: %s\n", r[i].id, tested ? "not in the docs" : "no test");
            missing++;
        }
    }
    free(doc);
    assert_int_equal(missing, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_rule),
        cmocka_unit_test(test_every_rule_tested_and_documented),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
