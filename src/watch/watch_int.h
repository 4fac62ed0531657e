/*
 * Private to src/watch/: the parsed form of a watch's filters, matching, and the visibility
 * check every disclosure of an event goes through.
 */
#ifndef LIAISON_WATCH_INT_H
#define LIAISON_WATCH_INT_H

#include <jansson.h>

#include "audit/audit.h"
#include "watch/watch.h"

/* A watch's filters, parsed from its stored query JSON. Strings point into the json_t the
 * query was parsed from, except the needles (malloc'd; watch_query_release frees them). */
struct watch_query {
    const char *types[WATCH_MAX_VALUES];
    size_t n_types;
    char *needles[WATCH_MAX_VALUES]; /* normalised name-like texts (OR); none: any name */
    size_t n_needles;
    char *text_needles[WATCH_MAX_VALUES]; /* normalised text-like texts (OR); none: any */
    size_t n_text_needles;
    const char *locations[WATCH_MAX_VALUES];
    size_t n_locations;
    int max_tlp;      /* enum store_tlp; STORE_TLP_NONE: no limit */
    const char *into; /* a gazetteer key, NULL: any */
    const char *what[WATCH_MAX_VALUES];
    size_t n_what;
    json_t *root;
};

/* Validates spec and writes its filters as query JSON text (malloc'd, caller frees). */
int watch_query_build(const struct watch_spec *spec, char **json, struct lia_err *err);
/* Parses stored query JSON. LIA_EINVAL when it is not one watch_query_build wrote. */
int watch_query_parse(const char *json, struct watch_query *q, struct lia_err *err);
void watch_query_release(struct watch_query *q);

/* True when the filters of q select the object version obj of type with effective tlp. */
bool watch_query_selects(const struct watch_query *q, const char *type, int tlp, json_t *obj);

/* For a watch with an into place: whether the flow version stored at date_added in coll goes
 * into or through q->into, as policy p may see it (its places placed for p: store_query_flows). */
int watch_flow_into(struct store *s, const struct store_policy *p, const struct watch_query *q,
                    int64_t coll, int64_t date_added, bool *hit, struct lia_err *err);

/* Asks the one gate whether policy p may see the version of id stored at date_added in coll
 * (modified_us identifies the version). A collection p may not read is "not visible". */
int watch_visible(struct store *s, const struct store_policy *p, int64_t coll, const char *id,
                  int64_t modified_us, int64_t date_added, bool *visible, struct lia_err *err);

/* The JSON text an owner receives about a version (event summaries, watch test). */
int watch_summary(struct dbuf *out, const char *watch_id, const char *watch_name, json_t *obj,
                  const char *id, const char *type, const char *version, int64_t date_added,
                  const char *collection);

/* Delivers one event to its webhook (deliver.c): body signed with the watch's secret.
 * Returns 0 on a 2xx answer; otherwise fills err with what went wrong (no secret in it). */
int watch_webhook_post(const char *url, const char *secret, int64_t seq, const char *summary,
                       long timeout_s, struct lia_err *err);

/* Names event ev, about to be disclosed to its owner (a partner) over channel ("sse" or
 * "webhook"), in ticket t (initialised here; released by the caller) and commits it: the
 * caller sends only while audit_ticket_sendable(t). Nothing is named for local owners. */
int watch_audit_disclosure(struct audit_recorder *r, const struct store_watch_event *ev,
                           const char *channel, struct audit_ticket *t, struct lia_err *err);

#endif
