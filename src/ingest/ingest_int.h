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
    /* marking-definitions this batch has made sure the collection holds (carry_definitions) */
    char carried[16][80];
    size_t n_carried;
    bool rules_read; /* rules holds the release policy of the batch's collection */
    struct store_release_rules rules;
    struct arena rules_a; /* rules' memory, for the whole batch */
    size_t pruned;        /* versions removed by revocations (hold.c) */
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

/* Four-eyes release (hold.c, docs/people.md): holds the new version o (stored under key)
 * for a second person's approval when the release policy asks for it. */
int ingest_hold_for_release(struct ingest_batch *b, json_t *obj, const struct store_object *o,
                            int64_t key, struct lia_err *err);

/* A revocation stub (stix_info.revocation_stub) was stored: the older versions of its object
 * in the collection go, on record as "object.delete" (docs/people.md). */
int ingest_revocation_prune(struct ingest_batch *b, const struct stix_info *info,
                            struct lia_err *err);

/* The normalised text search matches (search.c); *out NULL when there is none. */
int ingest_search_text(json_t *obj, const char *type, struct arena *a, const char **out);

/* What a parsing thread worked out for a streamed object (prepare.c), for accept() to use
 * when the object it stores is the one parsed. */
struct ingest_prepared {
    const char *search_text;
    const struct store_flow *flow;
    const struct store_placed *placed;
    size_t n_placed;
    char digest[STORE_DIGEST_HEX]; /* of the object's text as sent */
    size_t bytes;                  /* the memory it took, charged to the batch's arena */
};
extern const struct stix_stream_work ingest_prepare_work;

#endif
