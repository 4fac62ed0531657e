/*
 * The STIX 2.1 bundle of an analysed text: the liaison intake identity (creator), the
 * mentions extension-definition, one report (the text as description, lang, published,
 * object_refs), one location / identity / threat-actor per gazetteer entry found, and the
 * relationships (docs/intake.md).
 *
 * Ids: entities and relationships get UUIDv5 ids from a fixed namespace and the gazetteer
 * key (relationships: both keys and the type), so the same entity is the same object in
 * every draft and drafts link up in the store. Their `created` is fixed (the gazetteer
 * epoch) and `modified` is the time of the intake: each draft is a new version carrying
 * that article's mentions. Only the bundle and report ids are random (v4).
 */
#include "intake/intake_int.h"

#include "place/place.h"
#include "stix/stix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GAZETTEER_EPOCH "2026-01-01T00:00:00.000Z"

/* The same UUIDv5 of the key as the containment index computes (src/place/), so a location
 * intake made is placed by its id alone. */
void intake_entity_stix_id(const char *stix_type, const char *key, char out[80])
{
    place_stix_id(stix_type, key, out);
}

static void random_id(const char *type, char out[80])
{
    char u[37];
    lia_uuid4(u);
    snprintf(out, 80, "%s--%s", type, u);
}

static const char *stix_type_of(enum intake_type t)
{
    switch (t) {
    case INTAKE_GROUP:
        return "threat-actor";
    case INTAKE_BODY:
        return "identity";
    default:
        return "location";
    }
}

static void entity_id(const struct intake_entity *e, char out[80])
{
    intake_entity_stix_id(stix_type_of(e->type), e->key, out);
}

static int str_member(struct dbuf *b, const char *name, const char *v, size_t n)
{
    int rc = dbuf_printf(b, ",\"%s\":", name);
    return rc < 0 ? rc : dbuf_json_string(b, v, n);
}

/* The mentions extension's member (no "extensions" wrapper): mentions ms[0..n). */
static int mentions_member(struct dbuf *b, const struct intake_mention *ms, size_t n,
                           const char *text)
{
    int rc = dbuf_printf(b, "\"%s\":{\"extension_type\":\"property-extension\",\"mentions\":[",
                         INTAKE_EXTENSION_ID);
    for (size_t i = 0; rc >= 0 && i < n; i++) {
        const struct intake_mention *m = &ms[i];
        rc = dbuf_printf(b, "%s{\"start\":%u,\"end\":%u,\"byte_start\":%u,\"byte_end\":%u",
                         i ? "," : "", m->start, m->end, m->byte_start, m->byte_end);
        if (rc >= 0)
            rc = str_member(b, "text", text + m->byte_start, m->byte_end - m->byte_start);
        if (rc >= 0 && m->prefix_byte_end > m->prefix_byte_start)
            rc = str_member(b, "prefix", text + m->prefix_byte_start,
                            m->prefix_byte_end - m->prefix_byte_start);
        if (rc >= 0 && m->via == INTAKE_VIA_DEMONYM)
            rc = dbuf_puts(b, ",\"via\":\"demonym\"");
        if (rc >= 0)
            rc = dbuf_puts(b, "}");
    }
    return rc < 0 ? rc : dbuf_puts(b, "]}");
}

static int mentions_ext(struct dbuf *b, const struct intake_entity *e, const char *text)
{
    int rc = dbuf_puts(b, ",\"extensions\":{");
    rc = rc < 0 ? rc : mentions_member(b, e->mentions, e->n_mentions, text);
    return rc < 0 ? rc : dbuf_puts(b, "}");
}

static int common(struct dbuf *b, const char *type, const char *id, const char *created,
                  const char *modified, const char *creator);

/* A draft liaison-flow (docs/flows.md): what moves, from, to, via, the words that say it. */
static int flow_object(struct dbuf *b, const struct intake_result *res, const struct intake_flow *f,
                       const char *id, const char *text, const char *now, const char *creator)
{
    size_t nc;
    const char *const *comm = stix_flow_commodities(&nc);
    char name[600], ref[80];
    size_t used = 0;
    for (size_t c = 0; c < nc; c++)
        if (f->commodities >> c & 1)
            used += (size_t)snprintf(name + used, sizeof name - used, "%s%s", used ? ", " : "",
                                     comm[c]);
    snprintf(name + used, sizeof name - used, ": %s -> %s", res->entities[f->from].name,
             res->entities[f->to].name);
    int rc = common(b, STIX_FLOW_TYPE, id, now, now, creator);
    rc = rc < 0 ? rc : str_member(b, "name", name, strlen(name));
    rc = rc < 0 ? rc : dbuf_puts(b, ",\"labels\":[\"draft\"],\"commodities\":[");
    for (size_t c = 0, k = 0; rc >= 0 && c < nc; c++)
        if (f->commodities >> c & 1)
            rc = dbuf_printf(b, "%s\"%s\"", k++ ? "," : "", comm[c]);
    entity_id(&res->entities[f->from], ref);
    rc = rc < 0 ? rc : dbuf_printf(b, "],\"from_ref\":\"%s\"", ref);
    entity_id(&res->entities[f->to], ref);
    rc = rc < 0 ? rc : dbuf_printf(b, ",\"to_ref\":\"%s\"", ref);
    for (size_t v = 0; rc >= 0 && v < f->n_via; v++) {
        entity_id(&res->entities[f->via[v]], ref);
        rc = dbuf_printf(b, "%s\"%s\"", v ? "," : ",\"via_refs\":[", ref);
    }
    if (rc >= 0 && f->n_via)
        rc = dbuf_puts(b, "]");
    if (rc >= 0 && f->inherited)
        rc = dbuf_puts(b, ",\"description\":\"The text names only where this passes; from and "
                          "to are those of the flow stated before it.\"");
    rc = rc < 0 ? rc
                : dbuf_printf(b, ",\"extensions\":{\"%s\":{\"extension_type\":\"new-sdo\"},",
                              STIX_FLOW_EXTENSION_ID);
    rc = rc < 0 ? rc : mentions_member(b, f->mentions, f->n_mentions, text);
    return rc < 0 ? rc : dbuf_puts(b, "}}");
}

static int common(struct dbuf *b, const char *type, const char *id, const char *created,
                  const char *modified, const char *creator)
{
    int rc = dbuf_printf(b,
                         "{\"type\":\"%s\",\"spec_version\":\"2.1\",\"id\":\"%s\","
                         "\"created\":\"%s\",\"modified\":\"%s\"",
                         type, id, created, modified);
    if (rc >= 0 && creator)
        rc = dbuf_printf(b, ",\"created_by_ref\":\"%s\"", creator);
    return rc;
}

static int entity_object(struct dbuf *b, const struct intake_gazetteer *g,
                         const struct intake_entity *e, const char *text, const char *now,
                         const char *creator)
{
    char id[80];
    entity_id(e, id);
    const struct hslot *s = hmap_get(&g->entry_by_key, e->key, strlen(e->key));
    const struct gz_entry *ge = &g->entries[s->val];
    int rc = common(b, stix_type_of(e->type), id, GAZETTEER_EPOCH, now, creator);
    if (rc >= 0)
        rc = str_member(b, "name", ge->name, strlen(ge->name));
    if (rc < 0)
        return rc;
    switch (e->type) {
    case INTAKE_GROUP:
        rc = dbuf_puts(b, ",\"threat_actor_types\":[\"terrorist\"],\"aliases\":[");
        for (size_t i = 0; rc >= 0 && i < ge->n_aliases; i++) {
            rc = dbuf_puts(b, i ? "," : "");
            if (rc >= 0)
                rc = dbuf_json_string(b, ge->aliases[i], strlen(ge->aliases[i]));
        }
        if (rc >= 0)
            rc = dbuf_puts(b, "]");
        break;
    case INTAKE_BODY:
        rc = dbuf_puts(b, ",\"identity_class\":\"organization\",\"sectors\":[");
        for (const char *p = ge->info; rc >= 0 && *p;) {
            const char *bar = strchr(p, '|');
            size_t n = bar ? (size_t)(bar - p) : strlen(p);
            rc = dbuf_json_string(b, p, n);
            p += n;
            if (*p == '|' && rc >= 0) {
                p++;
                rc = dbuf_puts(b, ",");
            }
        }
        if (rc >= 0)
            rc = dbuf_puts(b, "]");
        break;
    default:
        if (e->type == INTAKE_REGION && ge->info[0])
            rc = str_member(b, "region", ge->info, strlen(ge->info));
        if (rc >= 0 && ge->country[0])
            rc = str_member(b, "country", ge->country, strlen(ge->country));
        if (rc >= 0 && e->type == INTAKE_ADMIN1)
            rc = str_member(b, "administrative_area", ge->info, strlen(ge->info));
        if (rc >= 0 && e->type == INTAKE_CITY)
            rc = str_member(b, "city", ge->name, strlen(ge->name));
        if (rc >= 0 && ge->has_coord)
            rc = dbuf_printf(b, ",\"latitude\":%.5f,\"longitude\":%.5f", ge->lat, ge->lon);
        if (rc >= 0 && !ge->country[0] && !ge->has_coord && !ge->info[0])
            rc = str_member(b, "region", "africa", 6); /* never happens with our data */
        break;
    }
    if (rc >= 0)
        rc = mentions_ext(b, e, text);
    return rc < 0 ? rc : dbuf_puts(b, "}");
}

static int report_name(struct dbuf *b, const char *text, size_t len,
                       const struct intake_options *opt)
{
    if (opt && opt->name)
        return str_member(b, "name", opt->name, strlen(opt->name));
    size_t i = 0, cps = 0;
    while (i < len && (text[i] == '\n' || text[i] == '\r' || text[i] == ' '))
        i++;
    size_t s = i;
    while (i < len && text[i] != '\n' && cps < 80) {
        i++;
        while (i < len && ((unsigned char)text[i] & 0xC0) == 0x80)
            i++;
        cps++;
    }
    char name[512];
    int n = snprintf(name, sizeof(name), "Intake draft: %.*s%s", (int)(i - s), text + s,
                     i < len && text[i] != '\n' ? "..." : "");
    return str_member(b, "name", name, n > 0 && (size_t)n < sizeof(name) ? (size_t)n : 0);
}

int intake_write_bundle(const struct intake_gazetteer *g, const struct intake_result *res,
                        const char *text, size_t len, const struct intake_options *opt,
                        struct dbuf *b, struct lia_err *err)
{
    char now[32], published[32], creator[80], id[80];
    int64_t now_us = opt && opt->now_us ? opt->now_us : lia_now_us();
    lia_format_ts(now_us, 3, now);
    lia_format_ts(opt && opt->published_us ? opt->published_us : now_us, 3, published);
    intake_entity_stix_id("identity", INTAKE_IDENTITY_KEY, creator);
    random_id("bundle", id);
    int rc = dbuf_printf(b, "{\"type\":\"bundle\",\"id\":\"%s\",\"objects\":[\n", id);
    if (rc >= 0)
        rc = common(b, "identity", creator, GAZETTEER_EPOCH, GAZETTEER_EPOCH, NULL);
    if (rc >= 0)
        rc = dbuf_puts(b, ",\"name\":\"liaison intake\",\"identity_class\":\"system\","
                          "\"description\":\"Drafts STIX from news text; every draft needs an "
                          "analyst's review.\"},\n");
    if (rc >= 0)
        rc = common(b, "extension-definition", INTAKE_EXTENSION_ID, GAZETTEER_EPOCH,
                    GAZETTEER_EPOCH, creator);
    if (rc >= 0)
        rc = dbuf_puts(b, ",\"name\":\"liaison intake mentions\",\"description\":\"Where in the "
                          "report text each extracted object was named: code point offsets "
                          "(start inclusive, end exclusive), byte offsets, the surface form and "
                          "any clitic prefix split off it.\",\"schema\":\"https://liaison.invalid/"
                          "schemas/intake-mentions.json (docs/schemas/intake-mentions.json in "
                          "the liaison repository)\",\"version\":\"1.0.0\",\"extension_types\":"
                          "[\"property-extension\"]},\n");
    if (rc >= 0 && res->n_flows)
        rc = dbuf_printf(b, "%s,\n%s,\n", stix_flow_identity_json, stix_flow_extension_json);
    for (size_t i = 0; rc >= 0 && i < res->n_entities; i++) {
        rc = entity_object(b, g, &res->entities[i], text, now, creator);
        if (rc >= 0)
            rc = dbuf_puts(b, ",\n");
    }
    char rel_ids[1][80];
    for (size_t i = 0; rc >= 0 && i < res->n_relations; i++) {
        const struct intake_relation *r = &res->relations[i];
        const struct intake_entity *s = &res->entities[r->source], *t = &res->entities[r->target];
        char key[600], sid[80], tid[80];
        snprintf(key, sizeof(key), "rel|%s|%s|%s", s->key, r->type, t->key);
        intake_entity_stix_id("relationship", key, rel_ids[0]);
        entity_id(s, sid);
        entity_id(t, tid);
        rc = common(b, "relationship", rel_ids[0], GAZETTEER_EPOCH, now, creator);
        if (rc >= 0)
            rc = dbuf_printf(b,
                             ",\"relationship_type\":\"%s\",\"source_ref\":\"%s\","
                             "\"target_ref\":\"%s\"},\n",
                             r->type, sid, tid);
    }
    char(*flow_ids)[80] = res->n_flows ? calloc(res->n_flows, sizeof *flow_ids) : NULL;
    if (res->n_flows && !flow_ids)
        rc = LIA_ENOMEM;
    for (size_t i = 0; rc >= 0 && i < res->n_flows; i++) {
        random_id(STIX_FLOW_TYPE, flow_ids[i]);
        rc = flow_object(b, res, &res->flows[i], flow_ids[i], text, now, creator);
        if (rc >= 0)
            rc = dbuf_puts(b, ",\n");
    }
    char rid[80];
    random_id("report", rid);
    if (rc >= 0)
        rc = common(b, "report", rid, now, now, creator);
    if (rc >= 0)
        rc = report_name(b, text, len, opt);
    if (rc >= 0)
        rc = dbuf_printf(b,
                         ",\"report_types\":[\"threat-report\"],\"labels\":[\"draft\"],"
                         "\"lang\":\"%s\",\"published\":\"%s\"",
                         intake_lang_name(res->lang), published);
    if (rc >= 0)
        rc = str_member(b, "description", text, len);
    if (rc >= 0)
        rc = dbuf_printf(b, ",\"object_refs\":[\"%s\"", INTAKE_EXTENSION_ID);
    for (size_t i = 0; rc >= 0 && i < res->n_entities; i++) {
        entity_id(&res->entities[i], id);
        rc = dbuf_printf(b, ",\"%s\"", id);
    }
    for (size_t i = 0; rc >= 0 && i < res->n_relations; i++) {
        const struct intake_relation *r = &res->relations[i];
        char key[600];
        snprintf(key, sizeof(key), "rel|%s|%s|%s", res->entities[r->source].key, r->type,
                 res->entities[r->target].key);
        intake_entity_stix_id("relationship", key, id);
        rc = dbuf_printf(b, ",\"%s\"", id);
    }
    if (rc >= 0 && res->n_flows)
        rc = dbuf_printf(b, ",\"%s\",\"%s\"", STIX_LIAISON_IDENTITY_ID, STIX_FLOW_EXTENSION_ID);
    for (size_t i = 0; rc >= 0 && i < res->n_flows; i++)
        rc = dbuf_printf(b, ",\"%s\"", flow_ids[i]);
    free(flow_ids);
    if (rc >= 0)
        rc = dbuf_puts(b, "]}\n]}\n");
    if (rc == LIA_ENOMEM)
        return lia_err_set(err, rc, "out of memory");
    if (rc < 0)
        return lia_err_set(err, rc, "bundle exceeds its size limit (%zu bytes)", b->max);
    return 0;
}

int intake_extract(const struct intake_gazetteer *g, const char *text, size_t len,
                   const struct intake_options *opt, struct dbuf *out, struct lia_err *err)
{
    struct intake_result res;
    int rc = intake_analyze(g, text, len, opt, &res, err);
    if (rc < 0)
        return rc;
    rc = intake_write_bundle(g, &res, text, len, opt, out, err);
    intake_result_release(&res);
    return rc;
}
