/*
 * The benchmarks' way of storing an envelope without HTTP: parsed as a TAXII POST body is,
 * then handed to ingest_items, the one write path (so every rule, the search text and the
 * audit entry are as the server makes them). Header-only, for the C benchmarks; exits on failure.
 */
#ifndef LIAISON_BENCH_INGEST_H
#define LIAISON_BENCH_INGEST_H

#include <stdio.h>
#include <stdlib.h>

#include "api/api.h"
#include "ingest/ingest.h"

/* Stores the envelope in body into coll as who (every object must be accepted), then empties
 * body. what names the bench in a failure's message. */
static inline void bench_ingest_envelope(const char *what, struct store *s,
                                         const struct access_principal *who, int64_t coll,
                                         struct dbuf *body)
{
    struct stix_limits lim = {.max_depth = 64, .max_string = 1 << 20, .max_objects = 1000000};
    struct stix_envelope env;
    struct lia_err err;
    lia_err_clear(&err);
    const char *failed = NULL;
    struct ingest_spec spec = {.store = s, .who = who, .coll = coll, .action = "objects.add"};
    struct ingest_tally n;
    if (stix_parse_envelope(body->ptr, body->len, &lim, &env, &err))
        failed = "parse";
    else if (ingest_items(&spec, env.items, env.n_items, &n, &err))
        failed = "ingest";
    else if (n.refused)
        failed = "ingest refused objects";
    if (failed) {
        fprintf(stderr, "%s: %s: %s\n", what, failed, err.msg);
        exit(1);
    }
    stix_envelope_release(&env);
    dbuf_reset(body);
}

#endif
