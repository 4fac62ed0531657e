/*
 * Private to src/misp/: the state of one event's mapping and the helpers the mapping files
 * share. Every json_t here is owned by the struct that holds it unless said otherwise.
 */
#ifndef LIAISON_MISP_INT_H
#define LIAISON_MISP_INT_H

#include "misp/misp.h"

/* created/modified of objects that are the same in every event: the mapping's identity, its
 * extension-definition, releasability markings, organisations, galaxy clusters. */
#define MISP_EPOCH "2020-01-01T00:00:00.000Z"

/* Who may receive something, as MISP's tags and distribution say: narrowed step by step
 * (event, object, attribute), never widened. */
struct misp_scope {
    int tlp;        /* most restrictive TLP rank of a tlp:* tag; STORE_TLP_NONE when none */
    bool org_only;  /* a distribution 0 applies */
    bool community; /* a distribution 1 or 2 applies */
    json_t *groups; /* the sharing groups that apply, [{"uuid","name","id"}] */
};

/* One event being mapped. */
struct misp_ev {
    const struct misp_map_opts *o;
    struct misp_summary *sum;
    json_t *markings; /* marking-definitions to write first, by id */
    json_t *objects;  /* every other object but the report, in write order */
    json_t *refs;     /* ids the report lists, in order */
    json_t *seen;     /* ids already emitted (no object twice) */
    json_t *carriers; /* MISP uuid (attribute or object) -> STIX id carrying it */
    json_t *scopes;   /* MISP uuid -> TLP rank of its carrier (relationships take the max) */
    const char *uuid; /* the event's, lowercase */
    char report_id[96];
    char creator[96]; /* the creating organisation's identity, "" when the event names none */
    int64_t date_us;  /* the event's date (midnight UTC), 0 when absent */
    int64_t ts_us;    /* the event's timestamp */
    struct misp_scope scope;
};

/* common.c */
/* Lowercase copy of a UUID-looking string into out, or false when v is not a UUID. */
bool misp_uuid_norm(json_t *v, char out[37]);
/* A string member, or NULL when absent or not a string. */
const char *misp_str(json_t *obj, const char *key);
/* dst[key] = src[from] when that is a string, or an integer (as its decimal text): MISP
 * writes numbers either way, records keep them as strings. */
void misp_copy(json_t *dst, const char *key, json_t *src, const char *from);
/* A member as MISP writes numbers and flags ("1", 1, true); def when absent or unreadable. */
int64_t misp_int(json_t *obj, const char *key, int64_t def);
bool misp_bool(json_t *obj, const char *key, bool def);
/* An epoch-seconds member as microseconds, or def. */
int64_t misp_epoch_us(json_t *obj, const char *key, int64_t def);
/* "YYYY-MM-DD" as microseconds at midnight UTC, 0 when not such a date. */
int64_t misp_date_us(const char *s);
/* A STIX timestamp (milliseconds) of us into a new json string. */
json_t *misp_ts(int64_t us);
/* Sets obj.extensions[MISP_EXT_ID] = {"extension_type":"property-extension", key: rec}
 * (takes rec). */
void misp_set_record(json_t *obj, const char *key, json_t *rec);
/* The record under key of a STIX object's MISP extension, or NULL (borrowed). */
json_t *misp_record(json_t *obj, const char *key);
/* A new STIX object of type with common properties: id, spec_version, and for SDOs/SROs
 * created/modified and created_by_ref (when ev->creator is set). */
json_t *misp_sdo(struct misp_ev *ev, const char *type, const char *id, int64_t created_us,
                 int64_t modified_us);
json_t *misp_sco(const char *type, const char *id);
/* Appends obj (taken) to the event's objects and its id to the report's refs, once. */
void misp_emit(struct misp_ev *ev, json_t *obj);
/* The tag names of a MISP item (its Tag list, or EventTag[].Tag), as a new array. */
json_t *misp_tag_names(json_t *item);

/* scope.c: TLP, distribution and sharing groups. */
void misp_scope_init(struct misp_scope *s);
void misp_scope_copy(struct misp_scope *dst, const struct misp_scope *src);
void misp_scope_release(struct misp_scope *s);
/* Narrows s by what item (an event, object or attribute) says. */
void misp_scope_narrow(struct misp_scope *s, json_t *item);
/* Sets obj's object_marking_refs (and the liaison handling extension for TLP:RED) for s,
 * adding the releasability marking-definitions it needs to ev->markings. */
void misp_scope_apply(struct misp_ev *ev, const struct misp_scope *s, json_t *obj);
/* The TLP rank a tag names (tlp:white/clear/green/amber/amber+strict/red, any case), or
 * STORE_TLP_NONE. */
int misp_tag_tlp(const char *tag);

/* attributes.c: the STIX form of MISP values (docs/misp.md, first table). */
enum misp_form {
    MISP_FORM_NONE = 0, /* no STIX form: kept as a note */
    MISP_FORM_SCO,      /* SCOs, and a STIX pattern over them */
    MISP_FORM_RULE,     /* an indicator whose pattern is the value (yara, snort, sigma...) */
    MISP_FORM_SDO,      /* an SDO of its own (vulnerability, campaign, threat-actor) */
    MISP_FORM_SKIP,     /* deliberately not imported (why says so) */
};
struct misp_value_form {
    enum misp_form form;
    const char *sdo_type; /* MISP_FORM_SDO: the type; MISP_FORM_RULE: the pattern_type */
    const char *why;      /* MISP_FORM_SKIP / NONE: a short reason, a constant */
    json_t *scos;         /* MISP_FORM_SCO: new array */
    struct dbuf pattern;  /* MISP_FORM_SCO: comparisons joined by " AND ", no brackets */
};
/* The STIX form of value of MISP type type; src names the SCO ids (the attribute's uuid).
 * Release with misp_value_form_release. */
void misp_value_stix(const char *type, const char *value, const char *src, json_t *attr,
                     struct misp_value_form *f);
void misp_value_form_release(struct misp_value_form *f);
/* The STIX hashes key of a MISP hash type (md5 -> MD5, sha1 -> SHA-1), or NULL. */
const char *misp_hash_key(const char *type);
/* Appends "prefix.key" to b, quoting key when the patterning grammar needs it ('SHA-256'). */
int misp_path_key(struct dbuf *b, const char *prefix, const char *key);
/* Appends "path = 'value'" (escaped as the STIX patterning grammar says) to b. */
int misp_pattern_cmp(struct dbuf *b, const char *path, const char *value, bool number);

/* reverse.c: from STIX back to MISP values. A comparison list is a JSON array of
 * [path, value] pairs, paths written as the forward mapping writes them. */
/* The comparisons of a STIX pattern made only of "path = literal" joined by AND in one
 * observation; NULL when the pattern is anything else. */
json_t *misp_pattern_pairs(const char *pattern);
/* The comparisons the SCOs of an observed-data say (by_id: id -> SCO). */
json_t *misp_sco_pairs(json_t *observed, json_t *by_id);
/* The value of a MISP attribute of type type from pairs, or NULL (new string in a). */
const char *misp_pairs_value(const char *type, json_t *pairs, struct arena *a);
/* The value a carrier (indicator, observed-data, note, vulnerability...) gives an attribute of
 * MISP type type, or NULL when it cannot say. */
const char *misp_carrier_value(const char *type, json_t *carrier, json_t *by_id, struct arena *a);
/* Attributes [{"type","value"}] for comparisons with no MISP record (STIX from elsewhere). */
json_t *misp_pairs_attributes(json_t *pairs);

/* attribute.c, object.c, galaxy.c */
void misp_map_attribute(struct misp_ev *ev, json_t *attr, const struct misp_scope *parent);
void misp_map_object(struct misp_ev *ev, json_t *object);
void misp_map_references(struct misp_ev *ev, json_t *object);
/* The galaxies of item (Galaxy blocks and misp-galaxy tags); carrier: the STIX id they are
 * related to, NULL for the event (the report lists them). */
void misp_map_galaxies(struct misp_ev *ev, json_t *item, const char *carrier,
                       const struct misp_scope *s);
/* A note keeping what has no STIX form: text is its content. */
json_t *misp_note(struct misp_ev *ev, const char *id, const char *abstract, const char *text,
                  int64_t modified_us);
/* created for an item last changed at ts: the event's date when earlier. */
int64_t misp_created(const struct misp_ev *ev, int64_t ts);
/* True when obj passes the STIX validator; else why gets the reason. */
bool misp_valid(json_t *obj, struct lia_err *why);
/* The MISP record of an attribute (or object attribute): the fields the mapping keeps. */
json_t *misp_attribute_record(json_t *attr, bool keep_value);

/* feed.c, for export.c */
/* Calls fn with each report of the collection p may see and its MISP event (read through the
 * gate; rows gets every row read). */
int misp_feed_each_event(struct store *s, const struct store_policy *p,
                         const struct store_collection *col, struct arena *a,
                         struct misp_rows *rows,
                         int (*fn)(json_t *report, json_t *event, void *ctx, struct lia_err *err),
                         void *ctx, struct lia_err *err);
/* Appends the manifest.json member of report ("uuid":{...}) to out, after a comma unless
 * first. */
int misp_manifest_entry(json_t *report, struct dbuf *out, bool first);
/* Appends the hashes.csv lines of event to out. */
int misp_hashes_of(json_t *event, struct dbuf *out);

#endif
