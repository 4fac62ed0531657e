/*
 * pipeline: the one path every API request runs, and the speed-up machinery on
 * it, kept apart from what the endpoints mean. The face of src/pipeline/.
 *
 * pipeline_run takes a request from the moment it is read to the moment its
 * response may be written:
 *   1. an answer made before the request came: kept by the response cache
 *      (rcache.c), or made ahead by a read-ahead thread (readahead.c);
 *   2. otherwise the read snapshot: one store read transaction for a read
 *      request, begun and ended by pipeline_run and nothing else;
 *   3. the application's steps (struct pipeline_handler: authentication and
 *      rate limit, then the endpoint), which answer and name in the request's
 *      disclosure ticket every object version the answer shows a partner;
 *   4. the response writer: the ticket is committed to the audit log (design.md
 *      invariant 5), and a response whose ticket is not committed is never
 *      let out: it becomes an error naming nothing. So an endpoint cannot
 *      forget a disclosure record; it can only fail to name what it read;
 *   5. the answer kept for the response cache, and the next page of a paged
 *      listing queued for a read-ahead thread.
 * The same function runs a request made ahead (PIPELINE_AHEAD), on a
 * read-ahead thread: the same authentication, endpoint, snapshot and writer,
 * no rate limit, cache or log line; its answer is kept for the request to come
 * once its ticket is committed. docs/architecture.md, "Response cache" and
 * "Read-ahead", says when a kept answer may be sent and what each costs.
 */
#ifndef LIAISON_PIPELINE_H
#define LIAISON_PIPELINE_H

#include "access/access.h"
#include "audit/audit.h"
#include "http/http.h"
#include "store/store.h"
#include "util/util.h"

enum pipeline_mode {
    PIPELINE_REQUEST, /* a request a client sent */
    PIPELINE_AHEAD,   /* the request for the next page, made before the client sends it */
};

struct pipeline_config {
    size_t response_cache_bytes; /* per worker thread; 0: no response cache */
    size_t response_cache_ms;    /* longest a kept answer is sent */
    size_t readahead_bytes;      /* answers made ahead, at most; 0: none */
    size_t readahead_threads;    /* threads making them; 0: none */
    size_t request_memory;       /* one request's arena, for requests made ahead */
    size_t max_response;         /* one response body, for requests made ahead */
};

struct pipeline_answer;

/* One request as the pipeline runs it. The handler reads and writes the public fields. */
struct pipeline_call {
    enum pipeline_mode mode;
    struct http_request *req;
    struct http_response *resp;
    struct access_principal who; /* the caller: set by the handler's admit, or from a kept
                                    answer (which owns the strings until pipeline_finish) */
    const char *next;            /* the next token of the page answered, when there is one */
    struct audit_ticket ticket;  /* what the answer discloses to a partner (pipeline_ticket) */
    /* Private to the pipeline. */
    bool admitted;
    bool made;                    /* answered by a kept answer */
    struct pipeline_answer *kept; /* the answer found or taken */
    bool kept_sent;
    struct pipeline_answer *ahead; /* PIPELINE_AHEAD: the answer made, to keep */
    uint64_t gen;                  /* PIPELINE_AHEAD: the store's generation it was made from */
};

/* The application's steps, each given the ctx of pipeline_init. */
struct pipeline_handler {
    /* Says who asks (c->who), unless made (an answer made for these exact credentials
     * already: c->who is set), and whether it may: the rate limit, for PIPELINE_REQUEST.
     * False when it answered the request itself (401, 429, ...). */
    bool (*admit)(void *ctx, struct pipeline_call *c, bool made);
    /* Answers the request: the endpoint. */
    void (*route)(void *ctx, struct pipeline_call *c);
    /* Answers with the error err (the ticket could not be committed); the response has been
     * emptied. */
    void (*fail)(void *ctx, struct pipeline_call *c, const struct lia_err *err);
};

struct pipeline {
    struct store *store;
    struct audit_recorder *recorder; /* commits tickets (in groups) */
    struct pipeline_config cfg;
    struct pipeline_handler handler;
    void *ctx;
    uint64_t instance;                /* part of every kept answer's key: no other pipeline of
                                         this process has it */
    struct pipeline_readahead *ahead; /* NULL unless pipeline_readahead_start started it */
};

void pipeline_init(struct pipeline *p, struct store *s, struct audit_recorder *r,
                   const struct pipeline_config *cfg, const struct pipeline_handler *h, void *ctx);

/* A request of mode on req and resp, to run. */
void pipeline_call_init(struct pipeline_call *c, enum pipeline_mode mode, struct http_request *req,
                        struct http_response *resp);
/* Runs c through the pipeline (above); when it returns, resp may be sent. */
void pipeline_run(struct pipeline *p, struct pipeline_call *c);
/* After the response (and the request's log line, which may read c->who): gives up an
 * answer taken and not sent (withdrawing its record) and releases c. */
void pipeline_finish(struct pipeline *p, struct pipeline_call *c);

/* The request's disclosure ticket, ready for the handler to name what it reads in (*out), or
 * NULL when the caller is not a partner (nothing it is sent is a disclosure). */
int pipeline_ticket(struct pipeline_call *c, struct audit_ticket **out, struct lia_err *err);

/* Starts the threads that make the next page of a paged listing while its client reads this
 * one (none when readahead_threads or readahead_bytes is 0, or when the store cannot tell
 * whether it changed: PostgreSQL). Stop before the store is closed. */
int pipeline_readahead_start(struct pipeline *p, struct lia_err *err);
void pipeline_readahead_stop(struct pipeline *p);

/* Counters for /metrics, process-wide. */
struct pipeline_stats {
    unsigned long long cache_hits, cache_misses;
    unsigned long long ahead_made, ahead_sent, ahead_discarded;
    unsigned long long disclosed; /* object versions sent to partners in answers */
};
void pipeline_stats(struct pipeline_stats *out);

#endif
