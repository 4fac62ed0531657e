/*
 * intake: Arabic, English and French news text -> a draft STIX 2.1 bundle. The face of
 * src/intake/.
 *
 * Pipeline (docs/intake.md): validate UTF-8 -> normalise and tokenise (src/text/: NFC, the
 * steps of intake-notes.md, keeping for every normalised code point the span of original
 * bytes and code points it came from) -> gazetteer matches (longest multi-token alias, clitic
 * lattice on the first token, nisba phrases, context rules) -> mentions -> a bundle (report,
 * location, identity, threat-actor, relationship, the mentions extension-definition).
 *
 * Invariants:
 *  - A struct intake_gazetteer is immutable after intake_gazetteer_load; one may be shared
 *    by any number of threads calling intake_analyze / intake_extract at once.
 *  - Offsets in mentions are into the ORIGINAL text: byte offsets and code point offsets
 *    (STIX "start"/"end" are code points, end exclusive; never UTF-16 units).
 *  - The same gazetteer entry gives the same STIX id in every run: UUIDv5 of the entry key
 *    in a fixed liaison namespace. Only the report id and timestamps change between runs.
 *  - Memory is bounded by the input limit (intake_options.max_input): roughly 6 bytes of
 *    working memory per input byte.
 */
#ifndef LIAISON_INTAKE_H
#define LIAISON_INTAKE_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* Layer result codes, besides LIA_EINVAL / LIA_ETOOBIG / LIA_EIO / LIA_ENOMEM. */
enum intake_rc {
    INTAKE_EREFUSED = -401, /* input refused: invalid UTF-8, binary, empty */
};

#define INTAKE_DEFAULT_MAX_INPUT (8u << 20)
/* The gazetteer-style key of the "liaison intake" system identity that drafts name as their
 * creator until an analyst publishes them (intake_entity_stix_id gives its id). */
#define INTAKE_IDENTITY_KEY "liaison-intake-system"
/* The mentions extension: fixed id, schema in docs/schemas/intake-mentions.json. */
#define INTAKE_EXTENSION_ID "extension-definition--6f1d3c0a-5b7e-4c2a-9e51-2d7a4b8c9f10"

struct intake_gazetteer;

enum intake_type {
    INTAKE_COUNTRY,
    INTAKE_REGION,
    INTAKE_ADMIN1,
    INTAKE_CITY,
    INTAKE_GROUP,
    INTAKE_BODY,
    INTAKE_N_TYPES
};
/* "country", "region", ... as used in the gazetteer files and the evaluation set. */
const char *intake_type_name(enum intake_type t);

/* Loads the gazetteer of dir (rules, places-curated, groups, bodies, places-debian,
 * places-debian-cities-N, demonyms: data/gazetteer/README.md).
 * On success *out is owned by the caller: free with intake_gazetteer_free. */
int intake_gazetteer_load(const char *dir, struct intake_gazetteer **out, struct lia_err *err);
void intake_gazetteer_free(struct intake_gazetteer *g);
/* The directory to load by default: $LIAISON_GAZETTEER, else LIAISON_DATA_DIR/gazetteer. */
const char *intake_default_gazetteer_dir(char *buf, size_t bufsize);
size_t intake_gazetteer_entry_count(const struct intake_gazetteer *g);
size_t intake_gazetteer_alias_count(const struct intake_gazetteer *g);

/* Checks text is acceptable input: not empty, valid UTF-8, no NUL byte. Returns 0 or
 * INTAKE_EREFUSED with a message naming the byte offset. */
int intake_check_input(const char *text, size_t len, struct lia_err *err);

enum intake_lang { INTAKE_LANG_AUTO, INTAKE_LANG_AR, INTAKE_LANG_EN, INTAKE_LANG_FR };
/* "auto", "ar", "en", "fr" -> *out; -1 (out untouched) for anything else. */
int intake_lang_parse(const char *s, enum intake_lang *out);
/* "ar", "en", "fr" ("auto" for INTAKE_LANG_AUTO). */
const char *intake_lang_name(enum intake_lang l);

struct intake_options {
    enum intake_lang lang;
    size_t max_input;     /* 0 = INTAKE_DEFAULT_MAX_INPUT */
    int64_t published_us; /* 0 = now */
    int64_t now_us;       /* 0 = now; report created/modified */
    const char *name;     /* report name; NULL = derived from the first line */
};

enum intake_via {
    INTAKE_VIA_NAME = 0, /* the entry's name (or alias) is written there */
    INTAKE_VIA_DEMONYM = 1, /* a nisba or demonym adjective names it (الجيش المالي, Malian) */
};

struct intake_mention {
    uint32_t start, end;           /* code points in the original text, end exclusive */
    uint32_t byte_start, byte_end; /* bytes in the original text */
    uint32_t prefix_byte_start;    /* clitic prefix split off the name (لـ, ب, وال): bytes */
    uint32_t prefix_byte_end;      /* [start, end) of it; start == end when there is none */
    enum intake_via via;
};

struct intake_entity {
    const char *key; /* gazetteer key, e.g. "country-dz" (borrowed from the gazetteer) */
    enum intake_type type;
    const char *name;
    const char *country; /* ISO alpha-2 or "" */
    struct intake_mention *mentions;
    size_t n_mentions;
    size_t first; /* order of first mention */
};

struct intake_relation {
    size_t source, target; /* indexes into intake_result.entities */
    const char *type;      /* "located-at" or "targets" */
};

/* Something the text says moves from a place to a place (docs/flows.md): a draft
 * liaison-flow. Places are indexes into intake_result.entities. */
#define INTAKE_FLOW_MAX_VIA 4
#define INTAKE_FLOW_MAX_MENTIONS 8
struct intake_flow {
    uint32_t commodities; /* bit i: stix_flow_commodities()[i] */
    size_t from, to;
    size_t via[INTAKE_FLOW_MAX_VIA];
    size_t n_via;
    bool inherited; /* the text named only where it passes: the route of the flow before */
    struct intake_mention mentions[INTAKE_FLOW_MAX_MENTIONS]; /* the words that say it */
    size_t n_mentions;
};

struct intake_result {
    enum intake_lang lang;
    struct intake_entity *entities; /* in order of first mention */
    size_t n_entities;
    struct intake_relation *relations;
    size_t n_relations;
    struct intake_flow *flows;
    size_t n_flows;
    struct intake_private *priv;
};

/* Finds the entities of text. Fills res (release with intake_result_release). */
int intake_analyze(const struct intake_gazetteer *g, const char *text, size_t len,
                   const struct intake_options *opt, struct intake_result *res,
                   struct lia_err *err);
void intake_result_release(struct intake_result *res);

/* Writes the STIX bundle for an analysed text into out (appends). */
int intake_write_bundle(const struct intake_gazetteer *g, const struct intake_result *res,
                        const char *text, size_t len, const struct intake_options *opt,
                        struct dbuf *out, struct lia_err *err);

/* intake_analyze + intake_write_bundle. */
int intake_extract(const struct intake_gazetteer *g, const char *text, size_t len,
                   const struct intake_options *opt, struct dbuf *bundle_json_out,
                   struct lia_err *err);

/* The STIX id ("type--uuid") of a gazetteer entry key: UUIDv5, stable across runs. */
void intake_entity_stix_id(const char *stix_type, const char *key, char out[80]);

/* Stores a reviewed draft bundle in collection (id or alias) as principal who, through the one
 * write path, in one transaction with an audit entry (publish.c). Entities and relationships
 * already in the collection are reused; new objects get the TLP marking tlp (when they carry
 * none) and who's identity as creator. out gets {"collection", "objects": [{"id", "result":
 * "stored"|"reused"|"refused", "message"}], "stored", "reused", "refused"}. */
struct store;
struct access_principal;
int intake_publish(struct store *s, const struct access_principal *who, const char *collection,
                   int tlp, const char *bundle, size_t len, struct arena *a, struct dbuf *out,
                   struct lia_err *err);

/* `liaison intake FILE|- [--lang auto|ar|en|fr] [--out FILE] [--gazetteer DIR] [--max-bytes N]`;
 * argv[0] is "intake". Exit codes: 0 ok, 1 runtime failure, 2 usage, 4 refused input. */
int intake_cli_main(int argc, char **argv);

#endif
