/*
 * Private to src/stix/: helpers shared by the files of this folder. Nothing
 * outside src/stix/ includes this header.
 */
#ifndef LIAISON_STIX_INTERNAL_H
#define LIAISON_STIX_INTERNAL_H

#include "stix/stix.h"

/* Every rule a refusal can name: enum name, rule id, STIX 2.1 section, what it asks. The
 * same list is docs/stix-validation.md's table (test_rules checks that each id is there and
 * that a unit test refuses an object for it). */
#define STIX_RULES(X)                                                                              \
    X(OBJECT, "object", "3.2", "a STIX object is a JSON object")                                   \
    X(TYPE_NAME, "type-name", "3.1", "type: 3-250 characters of a-z, 0-9 and single hyphens")      \
    X(ID_FORMAT, "id-format", "2.9", "identifiers are type--UUID with an RFC 4122 UUID")           \
    X(ID_PREFIX, "id-prefix", "2.9", "an id starts with its object's own type")                    \
    X(SCO_UUID_V4, "sco-uuid-v4", "2.9",                                                           \
      "an SCO without any ID contributing property (and every process) uses a UUIDv4")             \
    X(SPEC_VERSION, "spec-version", "3.2", "spec_version is \"2.1\" (SCOs may omit it)")           \
    X(REQUIRED, "required-property", "3.1", "required properties are present")                     \
    X(PROPERTY_TYPE, "property-type", "2", "a property holds the data type the spec gives it")     \
    X(PROPERTY_NAME, "property-name", "3.1",                                                       \
      "property names: 3-250 of a-z, 0-9, _; starting with a letter")                              \
    X(RESERVED_NAME, "reserved-name", "3.8",                                                       \
      "severity, username, phone_number and action are not used")                                  \
    X(EMPTY_LIST, "empty-list", "2.12", "lists are not empty")                                     \
    X(EMPTY_DICT, "empty-dictionary", "2.3", "dictionaries are not empty")                         \
    X(DICT_KEY, "dictionary-key", "2.3",                                                           \
      "dictionary keys: at most 250 ASCII a-z, A-Z, 0-9, - and _")                                 \
    X(INTEGER_RANGE, "integer-range", "2.10", "integers fit in [-(2^53)+1, (2^53)-1]")             \
    X(TIMESTAMP, "timestamp", "2.16", "timestamps are RFC 3339 UTC, with Z, real dates")           \
    X(TIMESTAMP_MILLIS, "timestamp-precision", "3.2",                                              \
      "created and modified are precise to the millisecond")                                       \
    X(MODIFIED_ORDER, "modified-after-created", "3.6.1", "modified is not earlier than created")   \
    X(TIME_ORDER, "timestamp-order", "4, 5, 6",                                                    \
      "end times are not before start times (last_seen, stop_time, valid_until, ...)")             \
    X(REF_FORMAT, "reference-format", "2.9", "*_ref and *_refs hold identifiers")                  \
    X(REF_TARGET, "reference-target", "4, 5, 6",                                                   \
      "references point to the object types the spec allows")                                      \
    X(BINARY, "binary", "2.1", "*_bin values are RFC 4648 base64")                                 \
    X(HEX, "hex", "2.8", "*_hex values are an even number of hex digits")                          \
    X(HASHES, "hashes", "2.7, 10.7",                                                               \
      "hash keys are 3-250 characters; MD5, SHA-* and SHA3-* values have their length")            \
    X(CONFIDENCE, "confidence", "3.2", "confidence is an integer from 0 to 100")                   \
    X(LANG, "language-tag", "3.2, 7.1, 7.2.3",                                                     \
      "lang, language-content keys and granular lang are RFC 5646 tags")                           \
    X(DEFANGED, "defanged-on-sco", "3.2", "defanged is only on SCOs")                              \
    X(EXTERNAL_REF, "external-reference", "2.5",                                                   \
      "an external reference has source_name and one of description, url, external_id")            \
    X(EXTERNAL_ID, "external-id-format", "4.1, 4.19",                                              \
      "source_name cve takes a CVE id, capec takes CAPEC-<n>")                                     \
    X(KILL_CHAIN, "kill-chain-phase", "2.11",                                                      \
      "kill chain phases have kill_chain_name, phase_name")                                        \
    X(MARKING_REFS, "object-marking-refs", "3.2, 7.2.2",                                           \
      "object_marking_refs point to marking definitions, never to the object itself")              \
    X(GRANULAR, "granular-marking", "7.2.3",                                                       \
      "granular markings: selectors and exactly one of marking_ref and lang")                      \
    X(SELECTOR, "granular-selector", "7.2.3",                                                      \
      "selectors select properties or list items present on the object")                           \
    X(MARKING_DEF, "marking-definition", "7.2.1",                                                  \
      "a marking definition has definition_type and definition, or an extension")                  \
    X(TLP, "tlp-predefined", "7.2.1.4",                                                            \
      "TLP markings are exactly the predefined TLP 1.0 and 2.0 definitions")                       \
    X(EXTENSIONS, "extensions", "3.2, 7.3",                                                        \
      "extension keys are extension-definition ids (with extension_type) or predefined names")     \
    X(PREDEF_EXTENSION, "predefined-extension", "6",                                               \
      "a predefined extension is used on its own object type")                                     \
    X(AT_LEAST_ONE, "at-least-one-property", "6",                                                  \
      "objects and types whose properties are all optional have at least one")                     \
    X(EXCLUSIVE, "property-combination", "4, 6",                                                   \
      "properties that exclude or require each other (payload_bin/url, body/is_multipart, ...)")   \
    X(RANGE, "value-range", "4, 5, 6",                                                             \
      "numbers within their range (ports, counts, latitude, ...)")                                 \
    X(ENUM, "enumeration", "10", "values of closed enumerations come from their list")             \
    X(RELATIONSHIP_TYPE, "relationship-type", "5.1.2",                                             \
      "relationship_type is ASCII a-z, 0-9 and hyphen")                                            \
    X(IP_ADDRESS, "ip-address", "6.8, 6.9", "ipv4-addr/ipv6-addr values are addresses or CIDR")    \
    X(MAC_ADDRESS, "mac-address", "6.10", "mac-addr values are lowercase colon-delimited MAC-48")  \
    X(DOMAIN_NAME, "domain-name", "6.4", "domain names conform to RFC 1034 and RFC 5890")          \
    X(URL, "url", "6.1, 6.15", "URLs conform to RFC 3986")                                         \
    X(EMAIL_ADDRESS, "email-address", "6.5",                                                       \
      "email-addr values are RFC 5322 addr-spec, without a display name")                          \
    X(MIME_TYPE, "mime-type", "6.1", "artifact MIME types are type/subtype (RFC 6838)")            \
    X(CHARSET, "charset", "3.9.1", "*_enc names an IANA character set, by its MIME name")          \
    X(CPE, "cpe", "6.14", "software cpe is a CPE 2.3 formatted string")                            \
    X(SOFTWARE_LANGUAGES, "software-languages", "6.14",                                            \
      "software languages are ISO 639-2 codes (RFC 5646 tags per errata 01)")                      \
    X(REGISTRY_HIVE, "registry-hive", "6.17",                                                      \
      "registry key hives are written out in full (HKEY_LOCAL_MACHINE, not HKLM)")                 \
    X(EXTENSION_DEFINITION, "extension-definition", "7.3",                                         \
      "extension definitions: created_by_ref, extension types, extension_properties")              \
    X(LANGUAGE_CONTENT, "language-content", "7.1",                                                 \
      "language-content points at a STIX object; contents mirror property names")                  \
    X(PATTERN, "pattern", "9", "pattern_type stix: the pattern parses as STIX patterning")         \
    X(PATTERN_PATH, "pattern-object-path", "9.7",                                                  \
      "pattern object paths name SCO types and their properties")                                  \
    X(FLOW_EXTENSION, "flow-extension", "7.3 (liaison-flow)",                                      \
      "a liaison-flow names its extension-definition with extension_type new-sdo")                 \
    X(FLOW_ENDPOINTS, "flow-endpoints", "7.3 (liaison-flow)",                                      \
      "a liaison-flow has from_ref and to_ref")                                                    \
    X(FLOW_PLACES, "flow-places", "7.3 (liaison-flow)",                                            \
      "from_ref, to_ref and via_refs point at locations")                                          \
    X(FLOW_CARRIERS, "flow-carriers", "7.3 (liaison-flow)",                                        \
      "carrier_refs point at threat actors, intrusion sets or identities")                         \
    X(FLOW_COMMODITY, "flow-commodity", "7.3 (liaison-flow)",                                      \
      "commodities come from flow-commodity-ov; other_commodities only with other")                \
    X(FLOW_ESTIMATE, "flow-estimate", "7.3 (liaison-flow)",                                        \
      "an estimate has a quantity that is not negative and a unit")

enum stix_rule {
#define STIX_RULE_ENUM(e, id, sec, text) STIX_RULE_##e,
    STIX_RULES(STIX_RULE_ENUM)
#undef STIX_RULE_ENUM
        STIX_RULE_COUNT
};

/* Refuses: fills err with "<path>: <message> (rule <id>, STIX 2.1 section <s>)" (path may
 * be "" for the object itself) and returns STIX_EINVALID. */
int stix_refuse(struct lia_err *err, enum stix_rule rule, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#ifdef __clang_analyzer__
#define stix_refuse(err, rule, path, ...) (stix_refuse((err), (rule), (path), __VA_ARGS__), -102)
#endif

/* JSON paths for messages: "a.b[3].c". Paths longer than this are cut. */
#define STIX_PATH_MAX 200
void stix_path_key(char *out, const char *path, const char *key);
void stix_path_index(char *out, const char *path, size_t i);

/* Value shapes a property table can ask for. */
enum stix_ptype {
    STIX_P_STRING,
    STIX_P_TIMESTAMP,
    STIX_P_BOOL,
    STIX_P_INT,        /* JSON integer within 2^53 */
    STIX_P_UINT,       /* the same, not negative */
    STIX_P_NUMBER,     /* integer or real */
    STIX_P_REF,        /* identifier */
    STIX_P_REFS,       /* non-empty list of identifiers */
    STIX_P_STRINGS,    /* non-empty list of strings */
    STIX_P_KILL_CHAIN, /* non-empty list of kill-chain-phase */
    STIX_P_HASHES,     /* hashes dictionary */
    STIX_P_DICT,       /* non-empty dictionary (keys per section 2.3) */
    STIX_P_LIST,       /* non-empty JSON array */
    STIX_P_ENUM,       /* a string from target ('|'-separated) */
    STIX_P_OBJECT,     /* an embedded object of shape sub */
    STIX_P_OBJECTS,    /* non-empty list of embedded objects of shape sub */
    STIX_P_IPV4,       /* IPv4 address or CIDR */
    STIX_P_IPV6,       /* IPv6 address or CIDR */
    STIX_P_MAC,        /* MAC-48, lowercase, colons */
    STIX_P_DOMAIN,     /* domain name */
    STIX_P_URL,        /* RFC 3986 URL */
    STIX_P_EMAIL,      /* RFC 5322 addr-spec */
    STIX_P_MIME,       /* type/subtype */
    STIX_P_CHARSET,    /* IANA character set name */
    STIX_P_CPE,        /* CPE 2.3 formatted string */
    STIX_P_SWLANGS,    /* non-empty list of ISO 639-2 codes or RFC 5646 tags */
    STIX_P_REGKEY,     /* Windows registry key with its hive in full */
    STIX_P_RELTYPE,    /* [a-z0-9-]+ */
};

struct stix_type;

/* One property a type defines. target: for references the types they may point to ("" for
 * any; '|'-separated; "@sdo" any SDO or custom type, "@sdo-sco" any SDO, SCO or custom
 * type, "@sco-sro" any SCO, relationship or custom type); for enums the allowed values.
 * sub: the shape of embedded objects. */
struct stix_prop {
    const char *name;
    unsigned char ptype;
    bool required;
    const char *target;
    const struct stix_type *sub;
};

/* One type the spec defines (or an embedded type or predefined extension). check (may be
 * NULL) holds the rules a table cannot say (exclusive or conditional properties);
 * before/after name two timestamps of which the second must not precede the first
 * (strictly after when strict_order). */
struct stix_type {
    const char *name;
    enum stix_kind kind;
    const struct stix_prop *props;
    size_t n_props;
    int (*check)(json_t *obj, const char *path, struct lia_err *err);
    const char *before, *after;
    bool strict_order;
    bool any_property;        /* needs at least one of its own properties */
    const char *contributing; /* SCOs: ID contributing properties, '|'-separated; NULL none */
    const char *extends;      /* predefined extensions: the SCO type they belong to */
};

/* The types liaison defines by extension (liaison_types.c): NULL for any other name. */
const struct stix_type *stix_liaison_type_lookup(const char *name);

/* Looks up a spec-defined type; NULL for custom types. */
const struct stix_type *stix_type_lookup(const char *name);
/* The whole table, sorted by name (for tests). */
const struct stix_type *stix_type_table(size_t *n);
/* A predefined SCO extension ("archive-ext", ...) or NULL. */
const struct stix_type *stix_extension_lookup(const char *name);
bool stix_is_predefined_extension(const char *name);
/* The kind of the type named by the first n bytes of name; STIX_KIND_CUSTOM when unknown. */
enum stix_kind stix_kind_of(const char *name, size_t n);

/* Checks one value against a property; err names path. */
int stix_check_value(const char *path, json_t *v, const struct stix_prop *p, struct lia_err *err);
/* Checks the properties of o (at path) against type t: shapes, required, order, hook. */
int stix_check_props(json_t *o, const char *path, const struct stix_type *t, struct lia_err *err);
/* Requires the timestamp in property after to be >= (or > when strict) the one in before. */
int stix_check_order(json_t *obj, const char *path, const char *before, const char *after,
                     bool strict, struct lia_err *err);

bool stix_is_valid_uuid(const char *u, size_t len);
bool stix_id_has_type(const char *id, const char *type);
/* Property names (STIX 2.1 sections 3.1, 11.1): [a-z][a-z0-9_]{2,249}, or "id". */
bool stix_is_valid_property_name(const char *s, size_t len);

/* values.c: observable values. Each returns 0 or refuses with err naming path. s holds n
 * bytes and is NUL-terminated (a JSON string), except for stix_check_ip and stix_check_hash,
 * which pattern.c also calls on pieces of a pattern. */
int stix_check_ip(const char *path, const char *s, size_t n, bool v6, struct lia_err *err);
int stix_check_mac(const char *path, const char *s, size_t n, struct lia_err *err);
int stix_check_domain(const char *path, const char *s, size_t n, struct lia_err *err);
int stix_check_url(const char *path, const char *s, size_t n, struct lia_err *err);
int stix_check_email(const char *path, const char *s, size_t n, struct lia_err *err);
int stix_check_mime(const char *path, const char *s, size_t n, struct lia_err *err);
int stix_check_charset(const char *path, const char *s, size_t n, struct lia_err *err);
int stix_check_cpe(const char *path, const char *s, size_t n, struct lia_err *err);
int stix_check_regkey(const char *path, const char *s, size_t n, struct lia_err *err);
int stix_check_hash(const char *path, const char *algo, const char *v, size_t n,
                    struct lia_err *err);
int stix_check_external_id(const char *path, const char *source, const char *id,
                           struct lia_err *err);

/* lang.c: RFC 5646 language tags, with the primary language from ISO 639 (iso-codes). */
bool stix_is_language_tag(const char *s, size_t n);
/* An ISO 639-2 code (bibliographic or terminology, or qaa-qtz). */
bool stix_is_iso639_2(const char *s, size_t n);

/* markings.c */
int stix_check_granular_markings(json_t *obj, json_t *v, bool is_marking, struct lia_err *err);
int stix_check_marking_definition(json_t *obj, const char *path, struct lia_err *err);

/* pattern.c: STIX patterning (section 9). Returns 0 or refuses, naming path. */
int stix_check_pattern(const char *path, const char *s, size_t n, struct lia_err *err);

/* json.c: the strict parser. Limits with defaults filled in (docs/stix-validation.md). */
struct stix_json_limits {
    size_t depth, string, objects;
};
struct stix_json_limits stix_effective_limits(const struct stix_limits *l);
/* One pass over raw bytes: depth, decoded string lengths, NUL bytes (err may be NULL). */
int stix_prescan(const char *t, size_t n, const struct stix_json_limits *lim, struct lia_err *err);
/* prescan, then jansson with duplicate keys refused; *out owned by the caller. */
int stix_parse_strict(const char *text, size_t len, const struct stix_json_limits *lim,
                      json_t **out, struct lia_err *err);
/* Value of the 4 hex digits at t[i..i+4), or -1. */
long stix_hex4(const char *t, size_t n, size_t i);

/* envelope.c: the envelope rules and the span scanner. */
struct stix_span {
    size_t start, end;
};
/* Classifies root as bundle or envelope (env->is_bundle) and applies the envelope rules;
 * with elements false, not the one that every element is an object. */
int stix_check_envelope_root(json_t *root, struct stix_envelope *env, bool elements,
                             struct lia_err *err);
/* The spans of the root "objects" elements of text not yet parsed (malloc'd into *out);
 * 0 when there is no such array, the scan runs off the text, or there are more than max. */
size_t stix_scan_spans(const char *t, size_t n, struct stix_span **out, size_t max);

/* A parse arena (parse_arena.c): chunks of the reserved range, linked through their first
 * word, and the free room of the newest. Zeroed: empty. */
struct stix_arena {
    char *chunks, *at, *end;
};
/* Whether arenas may be used (the range is reserved; reserves it on first call). */
bool stix_arena_ready(void);
/* jansson allocates from a (NULL: the heap) on this thread until the next call. */
void stix_arena_use(struct stix_arena *a);
/* Gives a's chunks back; every tree built in it must have been released (json_decref). */
void stix_arena_release(struct stix_arena *a);
/* The arenas of the two parsing threads (stream.c): released, and the array freed. */
void stix_arenas_free(struct stix_arena *a);

/* The element text[0..len) as a JSON object, read the fast way (fast_parse.c), or NULL when
 * it is not one this reader takes: then json_loadb decides. What it returns, json_loadb with
 * JSON_REJECT_DUPLICATES would have returned too. */
json_t *stix_fast_parse_object(const char *text, size_t len);

#endif
