/*
 * misp: MISP events and feeds <-> STIX 2.1. The face of src/misp/; docs/misp.md is the
 * user's description and holds both mapping tables.
 *
 *  - Import (map.c and the files it calls, import.c): a MISP event (JSON, in any of the
 *    shapes MISP and its feeds write) becomes STIX 2.1 objects following misp-stix's
 *    documented mapping: the event a report, attributes indicators (to_ids) or observed-data
 *    with SCOs, objects observed-data or indicators, galaxies threat-actors, tools,
 *    malware, locations..., tlp:* tags the TLP 2.0 markings, the distribution and sharing
 *    group liaison releasability markings that never release wider than MISP allowed, the
 *    creating organisation an identity. Ids are UUIDv5 in MISP_NAMESPACE of the MISP
 *    UUIDs, so importing the same event again stores nothing new. What the mapping cannot
 *    express natively (a MISP attribute's uuid, type, category, tags...) travels in the
 *    MISP record property-extension (MISP_EXT_ID, docs/schemas/misp.json). Every object is
 *    validated before it is written; an attribute whose STIX form is refused is kept as a
 *    note, never dropped silently.
 *  - Feed (feed.c, export.c): the reverse, STIX -> MISP event JSON, for the objects a
 *    principal may see, read only through the store's policy-aware query (design.md
 *    invariant 1). The caller puts every row it returns on the audit record.
 *
 * Errors: LIA_EINVAL for input that is not a MISP event (with the position), LIA_EIO for
 * files, store errors as the store gives them.
 */
#ifndef LIAISON_MISP_H
#define LIAISON_MISP_H

#include <jansson.h>
#include <stdio.h>

#include "access/access.h"
#include "store/store.h"
#include "util/util.h"

/* UUIDv5 namespace of every id the mapping derives (a random v4, fixed forever). */
#define MISP_NAMESPACE "7f20224f-1475-4f5e-af76-5c01d1250354"
/* The MISP record property-extension, and the system identity that defines it. */
#define MISP_EXT_ID "extension-definition--c99476fd-cdb9-497c-b85d-4b08e14dba83"
#define MISP_IDENTITY_ID "identity--6b0f37fb-db92-482e-9f0d-860e19dffcb8"

/* Defaults of the limits (cli flags; docs/misp.md). */
#define MISP_MAX_EVENT_BYTES ((size_t)256 << 20)
#define MISP_MAX_FEED_EVENTS 100000

/* uuid5(MISP_NAMESPACE, name), lowercase text. */
void misp_uuid5(const char *name, char out[37]);
/* "<type>--<uuid5(MISP_NAMESPACE, name)>" into out. */
void misp_stix_id(const char *type, const char *name, char out[96]);

/* Counts of what an import did, per MISP type and outcome, and its problems. Owned; free
 * with misp_summary_release. */
struct misp_summary {
    json_t *counts; /* {"attributes":{type:{outcome:n}}, "objects":..., "galaxies":..., "tags":...}
                     */
    json_t *problems; /* [{"position":..., "error":...}], the first MISP_MAX_PROBLEMS */
    uint64_t events, events_malformed, objects_stored, objects_existed, objects_refused;
    uint64_t problems_total;
};
#define MISP_MAX_PROBLEMS 200
void misp_summary_init(struct misp_summary *s);
void misp_summary_release(struct misp_summary *s);
/* Adds one to counts[group][key][outcome]. */
void misp_count(struct misp_summary *s, const char *group, const char *key, const char *outcome);
/* Records a problem at position (an event, a file, an attribute); also written to report. */
void misp_problem(struct misp_summary *s, FILE *report, const char *position, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The summary as JSON text (caller frees), or printed for people. */
char *misp_summary_json(const struct misp_summary *s);
void misp_summary_print(const struct misp_summary *s, FILE *out);

/* How one event is mapped. */
struct misp_map_opts {
    /* The partner the event came from (--from): its identity is the one releasability marking
     * audience MISP's distribution allows beyond this instance, and a TLP:RED recipient.
     * NULL for a local import: restricted distributions then reach no partner. */
    const char *sender_identity;
    FILE *report; /* per-attribute problems, or NULL */
};

/* Maps one MISP event (the object inside {"Event": ...}, or a bare event) to STIX objects,
 * appended to out (a JSON array) in write order: marking-definitions first, the report
 * last. Counts go to sum. LIA_EINVAL (err says why) when event is not a usable event. */
int misp_map_event(json_t *event, const struct misp_map_opts *o, json_t *out,
                   struct misp_summary *sum, struct lia_err *err);

/* Import of a file or a feed directory (import.c). */
struct misp_import {
    struct store *store;
    int64_t coll;                       /* collection rowid */
    const char *coll_id;                /* its id, for the audit record */
    const struct access_principal *who; /* local admin, or the sending partner */
    const char *trust;                  /* the sending partner's trust (provenance), or NULL */
    bool exchange;                      /* --from: the exchange write rule (docs/exchange.md) */
    struct misp_map_opts map;
    size_t max_event_bytes; /* largest event (or event file) read at once */
    size_t max_events;      /* most events in one file or feed */
    /* Called after each event with the bytes read so far of bytes_total. */
    void (*progress)(void *ctx, uint64_t bytes_done, uint64_t bytes_total, uint64_t events);
    void *progress_ctx;
};
/* Imports path: a MISP event file ({"Event":...}, {"response":[...]}, a bare event, a list
 * of events) or a feed directory (manifest.json and one <uuid>.json per event; files the
 * manifest does not name are not read). A malformed event is reported by position and the
 * others imported. Non-zero only when nothing could be done (path unreadable, store down). */
int misp_import_path(const char *path, const struct misp_import *im, struct misp_summary *sum,
                     struct lia_err *err);

/* The reverse mapping (feed.c). Rows read through the gate are appended to rows (in a), so
 * that the caller can put exactly them on record before anything is sent. */
struct misp_rows {
    struct store_row *rows;
    size_t n, cap;
};
/* manifest.json of the events in collection col that policy p may see (an unmarked object
 * counts at the collection's default TLP). */
int misp_feed_manifest(struct store *s, const struct store_policy *p,
                       const struct store_collection *col, struct arena *a, struct dbuf *out,
                       struct misp_rows *rows, struct lia_err *err);
/* <uuid>.json: the event uuid as policy p sees it; LIA_ENOTFOUND when it may see no report
 * for that event. */
int misp_feed_event(struct store *s, const struct store_policy *p,
                    const struct store_collection *col, const char *uuid, struct arena *a,
                    struct dbuf *out, struct misp_rows *rows, struct lia_err *err);
/* hashes.csv: "<md5 of attribute value>,<event uuid>" per attribute, MISP's form. */
int misp_feed_hashes(struct store *s, const struct store_policy *p,
                     const struct store_collection *col, struct arena *a, struct dbuf *out,
                     struct misp_rows *rows, struct lia_err *err);

/* Writes the feed (manifest.json, <uuid>.json, hashes.csv) of what partner may see in
 * collection coll_id into out_dir, after its disclosure is on record (an objects.export
 * entry of actor partner:<name>/misp-export, endpoint misp-export).
 * *events gets the number of events written (export.c). */
int misp_export_feed(struct store *s, int64_t partner, const char *coll_id, const char *out_dir,
                     uint64_t *events, struct lia_err *err);

#endif
