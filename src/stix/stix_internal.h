/*
 * Private to src/stix/: helpers shared by the files of this folder. Nothing
 * outside src/stix/ includes this header.
 */
#ifndef LIAISON_STIX_INTERNAL_H
#define LIAISON_STIX_INTERNAL_H

#include "stix/stix.h"

/* Value shapes a property table can ask for. */
enum stix_ptype {
    STIX_P_STRING,
    STIX_P_TIMESTAMP,
    STIX_P_BOOL,
    STIX_P_INT,        /* JSON integer */
    STIX_P_NUMBER,     /* integer or real */
    STIX_P_REF,        /* identifier */
    STIX_P_REFS,       /* non-empty list of identifiers */
    STIX_P_STRINGS,    /* non-empty list of strings */
    STIX_P_KILL_CHAIN, /* non-empty list of kill-chain-phase */
    STIX_P_HASHES,     /* hashes dictionary */
    STIX_P_DICT,       /* non-empty JSON object */
    STIX_P_LIST,       /* non-empty JSON array */
};

/* One property a type defines. target limits a reference to types: "" for any, else a
 * '|'-separated list ("artifact|file"). */
struct stix_prop {
    const char *name;
    unsigned char ptype;
    bool required;
    const char *target;
};

/* One type the spec defines. check (may be NULL) holds the rules a table cannot say
 * (exclusive or conditional properties); before/after name two timestamps of which
 * the second must not precede the first (strictly after when strict_order). */
struct stix_type {
    const char *name;
    enum stix_kind kind;
    const struct stix_prop *props;
    size_t n_props;
    int (*check)(json_t *obj, struct lia_err *err);
    const char *before, *after;
    bool strict_order;
    bool any_property; /* SCO that needs at least one of its own properties */
};

/* Looks up a spec-defined type; NULL for custom types. */
const struct stix_type *stix_type_lookup(const char *name);
/* The whole table, sorted by name (for tests). */
const struct stix_type *stix_type_table(size_t *n);
/* True when name is a predefined SCO extension ("archive-ext", ...). */
bool stix_is_predefined_extension(const char *name);

/* Checks one value against a property shape; err names prop. */
int stix_check_value(const char *prop, json_t *v, unsigned char ptype, const char *target,
                     struct lia_err *err);
/* Requires the timestamp in property after to be >= (or > when strict) the one in before. */
int stix_check_order(json_t *obj, const char *before, const char *after, bool strict,
                     struct lia_err *err);

bool stix_is_valid_uuid(const char *u, size_t len);
bool stix_id_has_type(const char *id, const char *type);
/* Property names (STIX 2.1 section 3.1): [a-zA-Z0-9_]{3,250}, or "id". */
bool stix_is_valid_property_name(const char *s, size_t len);

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

#endif
