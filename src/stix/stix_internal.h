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

#endif
