/*
 * intake_analyze: text -> entities with mentions and the relationships the text supports.
 *
 * Steps: check the input (limit, UTF-8, NUL), tokenise, match, keep context-dependent
 * mentions only for entries named elsewhere without needing context, group mentions per
 * entry in order of first appearance, then three conservative relationship patterns:
 *   - a state body (identity) is located-at its country, when that country is mentioned;
 *   - "<group> في|in <place>" and "<group> ب<place>": threat-actor located-at location;
 *   - "<group> ... <attack verb> ... <place or body>" within one sentence and a few tokens:
 *     threat-actor targets location/identity.
 */
#include "intake/intake_int.h"

#include <stdlib.h>
#include <string.h>

static bool is_place(enum intake_type t)
{
    return t == INTAKE_COUNTRY || t == INTAKE_REGION || t == INTAKE_ADMIN1 || t == INTAKE_CITY;
}

static int add_relation(struct intake_result *res, size_t *cap, size_t s, size_t t,
                        const char *type)
{
    if (s == t)
        return 0;
    for (size_t i = 0; i < res->n_relations; i++)
        if (res->relations[i].source == s && res->relations[i].target == t &&
            !strcmp(res->relations[i].type, type))
            return 0;
    if (res->n_relations == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        struct intake_relation *v = realloc(res->relations, nc * sizeof(*v));
        if (!v)
            return LIA_ENOMEM;
        res->relations = v;
        *cap = nc;
    }
    res->relations[res->n_relations++] = (struct intake_relation){s, t, type};
    return 0;
}

static int relations(const struct intake_gazetteer *g, const char *text, struct token_list *tl,
                     struct raw_mention *v, size_t n, const int *res_of,
                     struct intake_result *res)
{
    size_t cap = 0;
    int rc = 0;
    for (size_t x = 0; rc == 0 && x < res->n_entities; x++) {
        const struct intake_entity *e = &res->entities[x];
        if (e->type != INTAKE_BODY || !e->country[0])
            continue;
        for (size_t y = 0; y < res->n_entities; y++)
            if (res->entities[y].type == INTAKE_COUNTRY &&
                !strcmp(res->entities[y].country, e->country))
                rc = add_relation(res, &cap, x, y, "located-at");
    }
    for (size_t a = 0; rc == 0 && a < n; a++) {
        if (g->entries[v[a].entry].type != INTAKE_GROUP)
            continue;
        uint32_t sent = tl->v[v[a].tj - 1].sentence;
        size_t src = (size_t)res_of[v[a].entry];
        if (a + 1 < n && is_place(g->entries[v[a + 1].entry].type) &&
            tl->v[v[a + 1].ti].sentence == sent) {
            const struct raw_mention *b = &v[a + 1];
            size_t gap = b->ti - v[a].tj;
            bool in_word = gap == 1 && (intake_is_word(g, tl, v[a].tj, "في") ||
                                        intake_is_word(g, tl, v[a].tj, "in"));
            const char *pf = text + b->m.prefix_byte_start;
            size_t pl = b->m.prefix_byte_end - b->m.prefix_byte_start;
            bool bi = gap == 0 && pl >= 2 && (!memcmp(pf, "ب", 2) || (pl >= 4 && !memcmp(pf, "وب", 4)));
            if (in_word || bi)
                rc = add_relation(res, &cap, src, (size_t)res_of[b->entry], "located-at");
        }
        for (size_t k = v[a].tj; rc == 0 && k < tl->n && k < v[a].tj + 6; k++) {
            if (tl->v[k].sentence != sent)
                break;
            size_t vl;
            if (!intake_is_verb(g, tl, text, k, &vl))
                continue;
            for (size_t b = a + 1; b < n; b++) {
                if (v[b].ti < k + vl)
                    continue;
                if (v[b].ti > k + vl + 4 || tl->v[v[b].ti].sentence != sent)
                    break;
                enum intake_type bt = g->entries[v[b].entry].type;
                if (is_place(bt) || bt == INTAKE_BODY) {
                    rc = add_relation(res, &cap, src, (size_t)res_of[v[b].entry], "targets");
                    break;
                }
            }
            break;
        }
    }
    return rc;
}

/* True when tokens [a, b) only join two items of a list: nothing (a comma, a prefixed و)
 * or one conjunction. */
static bool list_gap(const struct intake_gazetteer *g, struct token_list *tl, size_t a, size_t b)
{
    if (b == a)
        return true;
    return b == a + 1 && (intake_is_word(g, tl, a, "and") || intake_is_word(g, tl, a, "or") ||
                          intake_is_word(g, tl, a, "و") || intake_is_word(g, tl, a, "او"));
}

static enum intake_lang detect_lang(const char *text, size_t len)
{
    size_t ar = 0, lat = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == 0xD8 || c == 0xD9 || c == 0xDA || c == 0xDB)
            ar++;
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
            lat++;
    }
    return ar >= lat / 3 && ar > 0 ? INTAKE_LANG_AR : INTAKE_LANG_EN;
}

int intake_analyze(const struct intake_gazetteer *g, const char *text, size_t len,
                   const struct intake_options *opt, struct intake_result *res,
                   struct lia_err *err)
{
    memset(res, 0, sizeof(*res));
    size_t max = opt && opt->max_input ? opt->max_input : INTAKE_DEFAULT_MAX_INPUT;
    if (len > max)
        return lia_err_set(err, LIA_ETOOBIG, "input is %zu bytes, over the %zu byte limit", len,
                           max);
    int rc = intake_check_input(text, len, err);
    if (rc < 0)
        return rc;
    res->lang = opt && opt->lang != INTAKE_LANG_AUTO ? opt->lang : detect_lang(text, len);
    struct token_list tl;
    memset(&tl, 0, sizeof(tl));
    rc = intake_tokenize(text, len, &tl, err);
    struct raw_mention *v = NULL;
    size_t n = 0;
    if (rc == 0)
        rc = intake_match_tokens(g, text, &tl, &v, &n, err);
    int *res_of = NULL;
    if (rc == 0) {
        res_of = malloc((g->n_entries + 1) * sizeof(*res_of));
        res->entities = calloc(n + 1, sizeof(*res->entities));
        if (!res_of || !res->entities)
            rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    }
    if (rc == 0) {
        for (size_t i = 0; i < g->n_entries; i++)
            res_of[i] = -1;
        for (size_t i = 0; i < n; i++) /* confirmed entries */
            if (!v[i].pending)
                res_of[v[i].entry] = -2;
        /* a pending name listed next to a confirmed one of the same type (Nigeria, Niger,
         * Chad and Cameroon) is confirmed by the list */
        for (size_t i = 0; i < n; i++) {
            if (!v[i].pending)
                continue;
            enum intake_type t = g->entries[v[i].entry].type;
            bool prev = i > 0 && !v[i - 1].pending && g->entries[v[i - 1].entry].type == t &&
                        list_gap(g, &tl, v[i - 1].tj, v[i].ti);
            bool next = i + 1 < n && !v[i + 1].pending &&
                        g->entries[v[i + 1].entry].type == t && list_gap(g, &tl, v[i].tj, v[i + 1].ti);
            if (prev || next) {
                v[i].pending = false;
                res_of[v[i].entry] = -2;
            }
        }
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (res_of[v[i].entry] == -2 || !v[i].pending)
                v[k++] = v[i];
        n = k;
        for (size_t i = 0; i < n && rc == 0; i++) {
            int32_t ei = v[i].entry;
            if (res_of[ei] < 0) {
                struct intake_entity *e = &res->entities[res->n_entities];
                const struct gz_entry *ge = &g->entries[ei];
                e->key = ge->key;
                e->type = ge->type;
                e->name = ge->name;
                e->country = ge->country;
                e->first = res->n_entities;
                res_of[ei] = (int)res->n_entities++;
            }
            struct intake_entity *e = &res->entities[res_of[ei]];
            struct intake_mention *m = realloc(e->mentions, (e->n_mentions + 1) * sizeof(*m));
            if (!m) {
                rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
                break;
            }
            e->mentions = m;
            m[e->n_mentions++] = v[i].m;
        }
    }
    if (rc == 0 && relations(g, text, &tl, v, n, res_of, res) < 0)
        rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    free(res_of);
    free(v);
    intake_tokens_release(&tl);
    if (rc < 0)
        intake_result_release(res);
    return rc;
}

void intake_result_release(struct intake_result *res)
{
    for (size_t i = 0; res->entities && i < res->n_entities; i++)
        free(res->entities[i].mentions);
    free(res->entities);
    free(res->relations);
    memset(res, 0, sizeof(*res));
}
