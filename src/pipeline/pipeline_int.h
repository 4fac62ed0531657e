/*
 * Private to src/pipeline/: answers kept apart from the request that made them (answer.c),
 * the response cache (rcache.c) and the read-ahead (readahead.c), as pipeline.c runs them.
 */
#ifndef LIAISON_PIPELINE_INT_H
#define LIAISON_PIPELINE_INT_H

#include "pipeline/pipeline.h"

/* A whole answer in one allocation: kept by the response cache, to send again, or by the
 * read-ahead, made before it was asked for. */
struct pipeline_answer {
    size_t size; /* bytes held, this struct (and the ticket) included */
    int status;
    const char *content_type;
    size_t n_headers;
    const char *names[HTTP_MAX_RESP_HEADERS];
    const char *values[HTTP_MAX_RESP_HEADERS];
    const char *actor, *token_id, *name; /* who it was made for */
    int64_t partner, expires_us;
    const char *body;
    size_t body_len;
    char *owned_body;           /* the body, when it is not in the same allocation */
    struct audit_ticket ticket; /* read-ahead: what it discloses, on record (or empty) */
    const char *next;           /* read-ahead: the next token in it, or NULL */
};

/* Hash of everything a GET's answer is made from: instance, path, parameters (in the order of
 * their names), Accept, and the credentials (Authorization, client certificate). */
void pipeline_request_key(uint64_t instance, const struct http_request *req, unsigned char key[32]);
/* Bytes pipeline_answer_pack would take for the response of c. */
size_t pipeline_answer_size(const struct pipeline_call *c, bool take);
/* Copies the response of c, and who it was made for, into one allocation; NULL when out of
 * memory. take: an answer made ahead, whose response will not be sent: the body and the
 * ticket are taken from c instead (which keeps neither), and c->next is kept with it. Freed
 * with pipeline_answer_free. */
struct pipeline_answer *pipeline_answer_pack(struct pipeline_call *c, bool take);
void pipeline_answer_free(struct pipeline_answer *a);
/* Sets c->who to whom a was made for (its actor, token, partner: for the rate limit and the
 * request log). */
void pipeline_answer_who(struct pipeline_call *c, const struct pipeline_answer *a);
/* Fills the response from a; LIA_ENOMEM when out of memory. last: a is freed before the
 * response is sent, so its strings are copied into the request's arena and a body of its own
 * is handed over to the response, not copied. */
int pipeline_answer_replay(struct pipeline_call *c, struct pipeline_answer *a, bool last);

/* The response cache (rcache.c). A probe is made before the request reads the store. */
struct pipeline_probe {
    bool on;                     /* the request may be answered from, or kept in, the cache */
    uint64_t gen;                /* the store's commit generation before anything was read */
    int64_t at_us;               /* and the time then: a kept answer's age counts from it */
    unsigned char key[32];       /* hash of the instance, path, parameters, Accept, credentials */
    struct pipeline_answer *hit; /* the kept answer found (the cache owns it), or NULL */
};
/* Looks the request up; true when a kept answer may be replayed (p->hit), with c->who set to
 * the principal it was made for (for the rate limit and the log). */
bool pipeline_rcache_find(struct pipeline *pl, struct pipeline_call *c, struct pipeline_probe *p);
/* Keeps the answer just made, when it qualifies (see rcache.c). */
void pipeline_rcache_keep(struct pipeline *pl, struct pipeline_call *c,
                          const struct pipeline_probe *p);
/* A number no other pipeline in this process has. */
uint64_t pipeline_rcache_instance(void);

/* Read-ahead (readahead.c). Takes the answer made ahead for this request, if one was and is
 * still right (waits for one being made); NULL otherwise. c->who is set when it returns one.
 * key: the request's key when already hashed, or NULL. */
struct pipeline_answer *pipeline_readahead_take(struct pipeline *p, struct pipeline_call *c,
                                                const unsigned char *key);
/* After an answer with a next page (c->next): asks for that page to be made. */
void pipeline_readahead_schedule(struct pipeline *p, struct pipeline_call *c);
/* An answer made ahead and not sent: its record taken back, then freed. */
void pipeline_readahead_withdraw(struct pipeline *p, struct pipeline_answer *a, const char *reason);

/* Counters (pipeline.c). */
enum pipeline_counter {
    PIPELINE_CACHE_HIT,
    PIPELINE_CACHE_MISS,
    PIPELINE_AHEAD_MADE,
    PIPELINE_AHEAD_SENT,
    PIPELINE_AHEAD_DISCARDED,
    PIPELINE_DISCLOSED,
    PIPELINE_COUNTERS
};
void pipeline_count(enum pipeline_counter what, size_t n);

#endif
