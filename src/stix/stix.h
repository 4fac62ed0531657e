/*
 * stix: parse and validate STIX 2.1 content. The face of src/stix/.
 *
 * What it promises:
 *  - stix_parse_envelope accepts a TAXII 2.1 envelope ({"objects": [...]})
 *    or a STIX 2.1 bundle, as strict JSON: valid UTF-8 only (no lone
 *    surrogates, no NUL), no duplicate keys at any level, nesting no deeper
 *    than limits->max_depth, no string longer than limits->max_string, at
 *    most limits->max_objects objects. For each element of "objects" it gives
 *    the exact byte span of that element in the input text, so the store can
 *    keep the text verbatim (design.md, invariant 2).
 *  - stix_validate_object checks one object against STIX 2.1 (common
 *    properties, the required properties of its type, ids, timestamps,
 *    markings, extensions, custom content as the spec allows) and fills
 *    struct stix_info with what the store indexes. It never changes the
 *    object.
 *  - Every refusal fills err with a message a user can act on, naming the
 *    property at fault (and the byte offset for JSON syntax errors).
 *
 * What it assumes: jansson, with JSON_REJECT_DUPLICATES; callers own the
 * json_t they pass and free it with json_decref.
 */
#ifndef LIAISON_STIX_H
#define LIAISON_STIX_H

#include <jansson.h>

#include "util/util.h"

/* Layer-specific result codes (besides LIA_EINVAL / LIA_ETOOBIG from util). */
enum stix_rc {
    STIX_EJSON = -101,    /* not well-formed JSON, or not UTF-8 */
    STIX_EINVALID = -102, /* well-formed but not valid STIX 2.1 */
    STIX_EVERSION = -103, /* STIX 2.0 (or other non-2.1) content */
};

struct stix_limits {
    size_t max_depth;   /* deepest nesting of arrays/objects, e.g. 64 */
    size_t max_string;  /* longest string value in bytes, e.g. 1 MiB */
    size_t max_objects; /* most objects in one envelope or bundle */
};

/* One element of the "objects" array, in input order. */
struct stix_item {
    json_t *obj;      /* borrowed from the envelope's tree */
    const char *text; /* points into the input text: the element's exact bytes */
    size_t len;
};

struct stix_arena;
struct stix_envelope {
    json_t *root; /* owned; freed by stix_envelope_release */
    bool is_bundle;
    struct stix_item *items; /* malloc'd array of n_items */
    size_t n_items;
    struct stix_arena *arenas; /* owned: where the items' trees were built, or NULL (stream.c) */
};

/* Parses text as an envelope or bundle. On error env is left empty. Limits crossed give
 * LIA_ETOOBIG; broken JSON gives STIX_EJSON; a 2.0 bundle gives STIX_EVERSION; a body that
 * is JSON but neither envelope nor bundle gives STIX_EINVALID. Objects themselves are not
 * validated here (a bad object must not sink the good ones: invariant 4). */
int stix_parse_envelope(const char *text, size_t len, const struct stix_limits *limits,
                        struct stix_envelope *env, struct lia_err *err);
void stix_envelope_release(struct stix_envelope *env);
/* The same, on a background thread: freeing a 1,000-object tree took a twentieth of a
 * POST. env is emptied at once. stix_reaper_drain waits until every such tree is freed. */
void stix_envelope_release_later(struct stix_envelope *env);
void stix_reaper_drain(void);
/* The size from which envelopes are split (64 objects and 64 KiB): lower for tests and the
 * fuzzer, which compare the split parse with the whole one on small inputs. */
void stix_set_split_thresholds(size_t min_items, size_t min_bytes);
/* Address space for the trees of envelopes parsed on two cores, which are then built in
 * bump arenas, not value by value with malloc (parse_arena.c; config parse_arena_bytes).
 * 0: plain malloc. Takes effect before the first such parse; 0 switches it off at any time. */
void stix_set_parse_arena(size_t bytes);
/* Whether the parsing threads try stix_fast_parse_object before jansson (fast_parse.c; config
 * fast_parse, default on). Off: jansson reads every element. The trees are the same. */
void stix_set_fast_parse(bool on);
/* Envelopes parsed on two cores so far (large ones: json.c, parse_parallel). */
unsigned long stix_parallel_parses(void);

/* Parses one JSON document (any value) with the same strictness and limits. Caller frees
 * *out with json_decref. */
int stix_parse_json(const char *text, size_t len, const struct stix_limits *limits, json_t **out,
                    struct lia_err *err);

enum stix_kind { STIX_KIND_SDO, STIX_KIND_SRO, STIX_KIND_SCO, STIX_KIND_META, STIX_KIND_CUSTOM };

/* What the store indexes about one validated object. Strings are borrowed from the json_t
 * and live as long as it does. */
struct stix_info {
    const char *id; /* "type--uuid" */
    const char *type;
    const char *spec_version; /* "2.1" (SCOs without one are 2.1 by the spec) */
    enum stix_kind kind;
    bool versioned;             /* has created/modified (SDO, SRO, meta but not SCO) */
    int64_t created_us;         /* 0 when !versioned */
    int64_t modified_us;        /* == created_us when the object has no modified */
    const char *modified;       /* the text of "modified" (or "created"), NULL when !versioned */
    const char *created_by_ref; /* NULL when absent */
    json_t *marking_refs;       /* the object_marking_refs array, or NULL */
    bool revoked;
    bool revocation_stub; /* revoked, and nothing but the common properties (docs/people.md) */
};

/* Validates obj as a STIX 2.1 object. Returns 0 and fills info, or STIX_EINVALID /
 * STIX_EVERSION with err naming the fault. */
int stix_validate_object(json_t *obj, struct stix_info *info, struct lia_err *err);

/* The rules refusals name (docs/stix-validation.md): id as it appears in messages, the
 * STIX 2.1 section it comes from, and what it asks. A refusal's message reads
 * "<property path>: <what is wrong> (rule <id>, STIX 2.1 section <s>)". */
struct stix_rule_desc {
    const char *id, *section, *text;
};
const struct stix_rule_desc *stix_rules(size_t *n);

/* Checks a pattern of pattern_type "stix" (STIX 2.1 section 9): syntax, constants, and
 * object paths against the SCO types and properties the spec defines (custom types and
 * properties allowed as it says). Returns 0, or STIX_EINVALID with err saying where. */
int stix_validate_pattern(const char *pattern, size_t len, struct lia_err *err);

/* Streamed parse of a large envelope (64+ objects, 64+ KiB): two threads parse its elements
 * while the caller works on those already parsed, in order. stix_stream_start returns -1
 * when the text does not qualify or its skeleton (the body with every element taken out)
 * is not a valid envelope: then use stix_parse_envelope. stix_stream_item waits for item i
 * and returns it (borrowed; text/len get its bytes, *checked its validation when validate
 * was asked, valid until the stream is finished), or NULL when it does not parse as a
 * JSON object: then abort the stream and use stix_parse_envelope, which gives the error.
 * stix_stream_finish waits for the rest and hands the whole tree to env (LIA_OK), or
 * returns non-zero (-1 when some item failed); it frees the stream either way. */
struct stix_stream;
/* What stix_validate_object said of an item, worked out by the parsing thread. */
struct stix_checked {
    int rc;
    struct stix_info info;
    struct lia_err why;
    void *slot; /* the item's slot of work (below) when work->fn filled it, else NULL */
};
/* Work a caller has the parsing threads do on each valid item, after validating it, so that
 * it is off the caller's thread (ingest: its search text, digest, flow rows). fn fills slot
 * (size bytes, zeroed) with memory from a, its thread's own arena, which lives until the stream
 * is finished or aborted, and returns true; false leaves the slot unused (the caller then does
 * the work itself). fn must not change obj. */
struct stix_stream_work {
    size_t size;
    bool (*fn)(json_t *obj, const struct stix_info *info, const char *text, size_t len, void *slot,
               struct arena *a);
};
int stix_stream_start(const char *text, size_t len, const struct stix_limits *limits, bool validate,
                      const struct stix_stream_work *work, struct stix_stream **out,
                      size_t *n_items);
json_t *stix_stream_item(struct stix_stream *s, size_t i, const char **text, size_t *len,
                         const struct stix_checked **checked);
int stix_stream_finish(struct stix_stream *s, struct stix_envelope *env, struct lia_err *err);
void stix_stream_abort(struct stix_stream *s);

/* Timestamps. stix_parse_timestamp accepts RFC 3339 in UTC with "Z" and any number of
 * fractional digits (STIX 2.1 section 3.2); *us is truncated to microseconds, *digits tells
 * how many fractional digits were written. Returns LIA_EINVAL with a message otherwise. */
int stix_parse_timestamp(const char *s, size_t len, int64_t *us, int *digits, struct lia_err *err);

/* True when s is "type--UUID" with a valid STIX type name and an RFC 4122 UUID. */
bool stix_is_valid_id(const char *s, size_t len);
/* True when s is a valid STIX type name (3-250 chars, [a-z0-9-], no "--" ...). */
bool stix_is_valid_type(const char *s, size_t len);
/* True when name is an object type of the STIX 2.1 specification (SDO, SRO, SCO, meta). */
bool stix_is_known_type(const char *name);

/* The flow: a new SDO type liaison defines by extension (docs/flows.md, schema
 * docs/schemas/liaison-flow.json). stix_validate_object applies its rules (flow-*). */
#define STIX_FLOW_TYPE "liaison-flow"
/* The grading property-extension (docs/rfi.md): access/ checks it, the store indexes it. */
#define STIX_EXT_GRADING "extension-definition--79cbf8a2-1d41-4b10-9682-2577872b23b7"
#define STIX_FLOW_EXTENSION_ID "extension-definition--b708057e-3178-4c8c-a463-32ad8e683cd7"
/* The "liaison" system identity that defines liaison's extensions (created_by_ref of the
 * flow extension-definition). */
#define STIX_LIAISON_IDENTITY_ID "identity--39b9baf5-cfbc-4750-9b0b-554abd550c9e"
/* The two objects that define the flow type, each as one line of compact JSON, exactly as
 * docs/schemas/liaison-flow-definition.json holds them: the liaison identity and the
 * extension-definition (both TLP:CLEAR, fixed forever for version 1.0.0). A bundle or page
 * that carries flows carries these with them. */
extern const char stix_flow_identity_json[];
extern const char stix_flow_extension_json[];
/* True when obj is one of those two objects, exactly (the same JSON value): any writer may
 * store them, whoever it is, since every instance holds the same text (docs/flows.md). */
bool stix_is_flow_definition(json_t *obj);
/* What moves (flow-commodity-ov): the values version 1.0.0 knows, "other" last. */
const char *const *stix_flow_commodities(size_t *n);
/* True when s (n bytes) is one of them. */
bool stix_is_flow_commodity(const char *s, size_t n);
/* True when name is a type liaison defines by extension (liaison-flow). */
bool stix_is_liaison_type(const char *name);

/* Writes a new random (v4) id for type into out (size >= strlen(type) + 39). */
void stix_new_id(const char *type, char *out, size_t outlen);

#endif
