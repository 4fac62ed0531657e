/*
 * Private to src/ingest/.
 */
#ifndef LIAISON_INGEST_INT_H
#define LIAISON_INGEST_INT_H

#include <pthread.h>

#include "ingest/ingest.h"

/* One batch: its transaction, and what it knows so far. */
struct ingest_batch {
    const struct ingest_spec *spec;
    struct store_txn *t;
    struct arena *a;  /* the spec's, or own (results, handling, texts) */
    struct arena own; /* freed after each chunk */
    const char *self; /* this instance's identity (exchange writes) */
    struct ingest_tally n;
};

/* The rules (object_rules.c). Each refusal fills why (LIA_EFORBIDDEN, LIA_EINVAL) and returns its
 * code; a failure of the transaction fills err. */
int ingest_marking_check(struct store_txn *t, json_t *obj, const struct stix_info *info,
                         struct arena *a, struct lia_err *why, struct lia_err *err);
/* held: the collection's newest version of the object (and whether there is one), as this
 * transaction sees it. LIA_ECONFLICT: exactly this version is held already (exchange). */
int ingest_creator_rule(struct ingest_batch *b, const struct stix_info *info,
                        const struct store_creator *held, const char **inject, struct lia_err *why,
                        struct lia_err *err);
int ingest_grading_check(json_t *obj, struct lia_err *why);
/* The registered rule of type (*out NULL when none); LIA_EFORBIDDEN for a type that needs
 * one and has none here. */
int ingest_rule_for(const char *type, const struct ingest_rule **out, struct lia_err *why);

/* The normalised text search matches (search.c); *out NULL when there is none. */
int ingest_search_text(json_t *obj, const char *type, struct arena *a, const char **out);
/* The flow and place rows of a liaison-flow or a location (flow_rows.c) into so; 0 for any
 * other type. LIA_ENOMEM only. */
int ingest_flow_rows(json_t *obj, const struct stix_info *info, struct arena *a,
                     struct store_object *so);

#endif
