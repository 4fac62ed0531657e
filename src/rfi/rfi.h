/*
 * rfi: formal Requests For Information between partners. The face of
 * src/rfi/ (docs/rfi.md).
 *
 * A request is a `liaison-rfi` object written by its requester; each
 * acknowledgement, answer or refusal is a `liaison-rfi-response` written by
 * the addressee. Each side writes only its own objects (the write rules live
 * in rfi/write_rules.c, registered with the one write path), both travel between
 * instances like any STIX object, and the status everybody sees is derived
 * from both. This module builds those objects, stores them through the one
 * write path, and reads them back into views through the one read gate.
 */
#ifndef LIAISON_RFI_H
#define LIAISON_RFI_H

#include <jansson.h>

#include "access/access.h"
#include "audit/audit.h"
#include "store/store.h"
#include "util/util.h"

struct rfi_request_spec {
    const char *to; /* addressee identity id */
    const char *subject;
    const char *const *questions;
    size_t n_questions;
    const char *const *about; /* object ids */
    size_t n_about;
    const char *priority;   /* routine (default), priority, immediate */
    const char *due;        /* RFC 3339, or NULL */
    int tlp;                /* enum store_tlp of the request (default amber) */
    const char *collection; /* id or alias; NULL: the "rfi" collection, made on first use */
};

/* What a response or change says. */
struct rfi_action {
    const char *verb; /* acknowledge, answer, decline, amend, withdraw, close */
    const char *text;
    const char *reason;
    const char *const *refs;
    size_t n_refs;
    const char *subject;          /* amend */
    const char *const *questions; /* amend */
    size_t n_questions;
    const char *due; /* amend */
};

/* Registers the rules of requests and responses with the write path (src/ingest/): every
 * process that stores objects calls it once at start (cli/main.c); until then they are
 * refused. */
void rfi_register_rules(void);

/* LIA_EINVAL with the reason when due is not a timestamp; LIA_ECONFLICT when it is past. */
int rfi_check_due(const char *due, struct lia_err *err);

/* Creates a request as principal who. On success *id (arena) is its id, and *warning (arena,
 * NULL when none) says why a party would not receive it: a marking above the addressee's or
 * the requesting partner's clearance. A refusal by the rules gives LIA_EFORBIDDEN /
 * LIA_EINVAL with the reason. A TLP:RED request names its two parties as its RED recipients. */
int rfi_create(struct store *s, const struct access_principal *who,
               const struct rfi_request_spec *spec, struct arena *a, const char **id,
               const char **warning, struct lia_err *err);

/* Acts on request id: acknowledge/answer/decline (addressee), amend/withdraw/close
 * (requester). *written gets the id of the object written. */
int rfi_act(struct store *s, const struct access_principal *who, const char *id,
            const struct rfi_action *act, struct arena *a, const char **written,
            struct lia_err *err);

/* Filters of rfi_list. */
struct rfi_filter {
    const char *box;    /* "incoming", "outgoing" or NULL for both */
    const char *status; /* open, acknowledged, answered, declined, withdrawn, closed, overdue */
};

/* Writes a JSON array of request views the principal may see into out, naming every object
 * shown in t when it is not NULL (a partner's view: the caller commits t before sending). */
int rfi_list_json(struct store *s, const struct access_principal *who, const struct rfi_filter *f,
                  struct arena *a, struct audit_ticket *t, struct dbuf *out, struct lia_err *err);
/* Writes one request view (with responses, referenced objects, grading and trust) into out,
 * naming every object shown in t as rfi_list_json does; LIA_ENOTFOUND when absent or
 * invisible. */
int rfi_show_json(struct store *s, const struct access_principal *who, const char *id,
                  struct arena *a, struct audit_ticket *t, struct dbuf *out, struct lia_err *err);

/* Renames "action" to response_type in every stored RFI response version (STIX 2.1 reserves
 * "action"), once per store (the setting rfi_response_type_renamed), on record. */
int rfi_upgrade_responses(struct store *s, struct lia_err *err);

#endif
