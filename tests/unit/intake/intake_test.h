/*
 * Helpers of the intake unit tests (test_extract.c, test_demonym.c, test_region.c): the real
 * gazetteer of the source tree loaded once per test file, and assertions on what a text
 * yields. Header-only: each test is one executable.
 */
#ifndef LIAISON_TEST_INTAKE_H
#define LIAISON_TEST_INTAKE_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake/intake.h"

static struct intake_gazetteer *G;

static inline int setup(void **state)
{
    (void)state;
    const char *src = getenv("LIAISON_SOURCE");
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/data/gazetteer", src ? src : ".");
    struct lia_err err = {0};
    if (intake_gazetteer_load(dir, &G, &err) < 0) {
        fprintf(stderr, "gazetteer: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static inline int teardown(void **state)
{
    (void)state;
    intake_gazetteer_free(G);
    return 0;
}

/* Finds the entity with key in res, or NULL. */
static inline const struct intake_entity *find(const struct intake_result *res, const char *key)
{
    for (size_t i = 0; i < res->n_entities; i++)
        if (!strcmp(res->entities[i].key, key))
            return &res->entities[i];
    return NULL;
}

static inline void analyze(const char *text, struct intake_result *res)
{
    struct lia_err err = {0};
    int rc = intake_analyze(G, text, strlen(text), NULL, res, &err);
    if (rc < 0)
        fail_msg("analyze: %s", err.msg);
}

/* The entity key of text's result with a mention of that surface, prefix (NULL: any) and via
 * (-1: any); fails the test when there is none. */
static inline void expect_mention_of(const char *text, const char *key, const char *surface,
                                     const char *prefix, int via)
{
    struct intake_result res;
    analyze(text, &res);
    const struct intake_entity *e = find(&res, key);
    if (!e)
        fail_msg("%s: no %s", text, key);
    bool ok = false;
    for (size_t i = 0; i < e->n_mentions && !ok; i++) {
        const struct intake_mention *m = &e->mentions[i];
        size_t n = m->byte_end - m->byte_start, pn = m->prefix_byte_end - m->prefix_byte_start;
        ok = n == strlen(surface) && !memcmp(text + m->byte_start, surface, n) &&
             (!prefix ||
              (pn == strlen(prefix) && !memcmp(text + m->prefix_byte_start, prefix, pn))) &&
             (via < 0 || (int)m->via == via);
    }
    if (!ok) {
        const struct intake_mention *m = &e->mentions[0];
        fail_msg("%s: %s mention is [%.*s] prefix [%.*s] via %d, want [%s] [%s] %d", text, key,
                 (int)(m->byte_end - m->byte_start), text + m->byte_start,
                 (int)(m->prefix_byte_end - m->prefix_byte_start), text + m->prefix_byte_start,
                 (int)m->via, surface, prefix ? prefix : "*", via);
    }
    intake_result_release(&res);
}

/* Asserts that text yields entity key with a mention whose surface and prefix are given. */
static inline void expect_mention(const char *text, const char *key, const char *surface,
                                  const char *prefix)
{
    expect_mention_of(text, key, surface, prefix, -1);
}

static inline void expect_none(const char *text, const char *key)
{
    struct intake_result res;
    analyze(text, &res);
    if (key ? find(&res, key) != NULL : res.n_entities != 0)
        fail_msg("%s: unexpected %s", text, key ? key : res.entities[0].key);
    intake_result_release(&res);
}

/* Asserts that text yields key, with a mention of that surface whose via is as given. */
static inline void expect_via(const char *text, const char *key, const char *surface,
                              enum intake_via via)
{
    expect_mention_of(text, key, surface, NULL, (int)via);
}

/* Asserts that text yields key (whatever the mention). */
static inline void expect_key(const char *text, const char *key)
{
    struct intake_result res;
    analyze(text, &res);
    if (!find(&res, key))
        fail_msg("%s: no %s", text, key);
    intake_result_release(&res);
}

#endif
