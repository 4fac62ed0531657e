/*
 * STIX -> MISP: the MISP feed of a collection as one principal sees it (docs/misp.md, "The
 * feed" and "STIX -> MISP").
 *
 * Every object is read through store_query_objects with the principal's policy (design.md
 * invariant 1): the reports of the collection for the manifest; for an event, its report,
 * the objects it lists and the SCOs its observed-data refer to, by id. What the policy hides
 * is simply absent, never fetched and then dropped. Each row read is added to rows, so the
 * caller can put exactly what will be sent on the audit record first.
 *
 * Each report is an event. What came from MISP carries its MISP record and is given back as
 * it was (uuid, type, category, value, to_ids, comment, tags, objects and references); the
 * value is taken from the STIX form unless the record kept it. STIX from anywhere else is
 * read with the reverse table: an indicator's pattern or an observed-data's SCOs become
 * attributes, a vulnerability, campaign or note theirs, threat actors, tools, malware...
 * galaxy tags. Tags follow the object's markings (a tlp:* tag says its TLP marking now) and
 * the distribution never says more than the markings allow (docs/misp.md).
 */
#include "misp/misp_int.h"

#include <gnutls/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "stix/stix.h"

#define FETCH_CHUNK 200

/* The key under which a parsed object carries its collection's default TLP: a space keeps it
 * apart from every STIX property name. Parsed copies are only read, never written back. */
#define DEFAULT_TLP_KEY " default_tlp"

static int rows_add(struct misp_rows *r, struct arena *a, const struct store_row *row)
{
    if (!r)
        return 0;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        struct store_row *grown = arena_alloc(a, cap * sizeof *grown);
        if (!grown)
            return LIA_ENOMEM;
        if (r->n)
            memcpy(grown, r->rows, r->n * sizeof *grown);
        r->rows = grown;
        r->cap = cap;
    }
    struct store_row *c = &r->rows[r->n];
    memset(c, 0, sizeof *c);
    c->date_added = row->date_added;
    c->id = arena_strndup(a, row->id, strlen(row->id));
    c->modified = row->modified ? arena_strndup(a, row->modified, strlen(row->modified)) : NULL;
    if (!c->id || (row->modified && !c->modified))
        return LIA_ENOMEM;
    r->n++;
    return 0;
}

/* Reads the newest visible version of each of ids into by_id (id -> parsed object). */
static int fetch(struct store *s, const struct store_policy *p, const struct store_collection *col,
                 json_t *ids, json_t *by_id, struct arena *a, struct misp_rows *rows,
                 struct lia_err *err)
{
    size_t n = json_array_size(ids);
    for (size_t start = 0; start < n; start += FETCH_CHUNK) {
        const char *chunk[FETCH_CHUNK];
        size_t k = 0;
        for (size_t i = start; i < n && k < FETCH_CHUNK; i++)
            chunk[k++] = json_string_value(json_array_get(ids, i));
        int64_t after = 0;
        bool more = true;
        while (more) {
            struct arena pa;
            arena_init(&pa, 0);
            struct store_filter f = {.ids = chunk,
                                     .n_ids = k,
                                     .version_sel = STORE_VER_LAST,
                                     .after_key = after,
                                     .limit = FETCH_CHUNK};
            struct store_page page;
            int rc = store_query_objects(s, p, col->rid, &f, true, &pa, &page, err);
            for (size_t i = 0; rc == 0 && i < page.n; i++) {
                json_t *o = json_loadb(page.rows[i].json, page.rows[i].json_len, 0, NULL);
                if (o) {
                    json_object_set_new(o, DEFAULT_TLP_KEY, json_integer(col->default_tlp));
                    json_object_set_new(by_id, page.rows[i].id, o);
                }
                rc = rows_add(rows, a, &page.rows[i]);
                if (rc)
                    lia_err_set(err, rc, "out of memory");
            }
            more = rc == 0 && page.more && page.n;
            if (more)
                after = page.rows[page.n - 1].date_added;
            arena_release(&pa);
            if (rc)
                return rc;
        }
    }
    return 0;
}

static int64_t ts_seconds(json_t *obj, const char *key)
{
    const char *t = misp_str(obj, key);
    int64_t us;
    int digits;
    struct lia_err e;
    if (!t || stix_parse_timestamp(t, strlen(t), &us, &digits, &e) != 0)
        return 0;
    return us / 1000000;
}

static json_t *epoch_string(int64_t s)
{
    return json_sprintf("%lld", (long long)s);
}

/* The UUID part of a STIX id. */
static const char *id_uuid(const char *id)
{
    const char *dd = id ? strstr(id, "--") : NULL;
    return dd ? dd + 2 : "";
}

/* The TLP the object is shared under: its markings', else its collection's default. */
static int obj_tlp(json_t *obj)
{
    int tlp = access_object_tlp(obj);
    json_t *d = json_object_get(obj, DEFAULT_TLP_KEY);
    return tlp != STORE_TLP_NONE || !d ? tlp : (int)json_integer_value(d);
}

static bool has_restriction(json_t *obj)
{
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(obj, "object_marking_refs"), i, m)
    {
        if (access_tlp_of_marking(json_string_value(m)) == STORE_TLP_NONE)
            return true;
    }
    return false;
}

/* The distribution an event is served with: never more than its markings allow. */
static const char *served_distribution(json_t *obj, const char *recorded)
{
    if (has_restriction(obj))
        return "0"; /* REL TO: the receiving organisation only */
    if (recorded && strcmp(recorded, "4") != 0 && strcmp(recorded, "5") != 0)
        return recorded;
    int tlp = obj_tlp(obj);
    return tlp == STORE_TLP_RED ? "0" : tlp >= STORE_TLP_AMBER ? "1" : "3";
}

/* [{"name": tag}]: the recorded tags, with tlp:* tags saying the object's TLP marking now. */
static json_t *tags_for(json_t *recorded, json_t *obj, json_t *extra)
{
    int tlp = obj_tlp(obj);
    json_t *names = json_array(), *out = json_array();
    bool have_tlp = false;
    size_t i;
    json_t *t;
    json_array_foreach(recorded, i, t)
    {
        const char *n = json_string_value(t);
        if (!n)
            continue;
        int r = misp_tag_tlp(n);
        if (r != STORE_TLP_NONE && r != tlp)
            continue;
        have_tlp = have_tlp || r != STORE_TLP_NONE;
        json_array_append(names, t);
    }
    if (tlp != STORE_TLP_NONE && !have_tlp)
        json_array_append_new(names, json_sprintf("tlp:%s", access_tlp_name(tlp)));
    json_array_foreach(extra, i, t) json_array_append(names, t);
    json_array_foreach(names, i, t)
    {
        bool dup = false;
        for (size_t k = 0; k < i && !dup; k++)
            dup = json_equal(json_array_get(names, k), t);
        if (!dup)
            json_array_append_new(out, json_pack("{s:O}", "name", t));
    }
    json_decref(names);
    return out;
}

/* timestamp and distribution of an attribute or object served from its record: never wider
 * than the carrier's markings now allow (a sharing group, unknown to the receiver, is
 * inherited from the event). */
static void item_header(json_t *dst, json_t *rec, json_t *carrier)
{
    if (json_object_get(rec, "timestamp"))
        misp_copy(dst, "timestamp", rec, "timestamp");
    else
        json_object_set_new(dst, "timestamp", epoch_string(ts_seconds(carrier, "modified")));
    const char *d = misp_str(rec, "distribution");
    const char *served = !d || !strcmp(d, "4")                             ? "5"
                         : has_restriction(carrier) && strcmp(d, "5") != 0 ? "0"
                                                                           : d;
    json_object_set_new(dst, "distribution", json_string(served));
}

static bool is_type(json_t *obj, const char *type)
{
    const char *t = misp_str(obj, "type");
    return t && !strcmp(t, type);
}

/* A MISP Attribute from a record and the STIX object carrying it. */
static json_t *attribute_from_record(json_t *rec, json_t *carrier, json_t *by_id,
                                     json_t *obj_for_tags, struct arena *a)
{
    const char *type = misp_str(rec, "type");
    json_t *value = json_object_get(rec, "value");
    const char *v = json_is_string(value) ? json_string_value(value)
                                          : misp_carrier_value(type ? type : "", carrier, by_id, a);
    if (!type || !v)
        return NULL;
    json_t *at = json_pack("{s:s,s:s}", "type", type, "value", v);
    misp_copy(at, "uuid", rec, "uuid");
    misp_copy(at, "category", rec, "category");
    json_object_set_new(at, "to_ids", json_boolean(json_is_true(json_object_get(rec, "to_ids"))));
    misp_copy(at, "comment", rec, "comment");
    misp_copy(at, "object_relation", rec, "object_relation");
    misp_copy(at, "first_seen", rec, "first_seen");
    misp_copy(at, "last_seen", rec, "last_seen");
    item_header(at, rec, carrier);
    if (json_object_get(rec, "disable_correlation"))
        json_object_set(at, "disable_correlation", json_object_get(rec, "disable_correlation"));
    json_object_set_new(at, "Tag", tags_for(json_object_get(rec, "tags"), obj_for_tags, NULL));
    /* An attachment's bytes are in the artifact its file points to. */
    if (!strcmp(type, "attachment") && !strcmp(misp_str(carrier, "type"), "observed-data")) {
        size_t i;
        json_t *r;
        json_array_foreach(json_object_get(carrier, "object_refs"), i, r)
        {
            json_t *o = json_object_get(by_id, json_string_value(r));
            if (is_type(o, "artifact") && misp_str(o, "payload_bin"))
                json_object_set(at, "data", json_object_get(o, "payload_bin"));
        }
    }
    return at;
}

/* Default categories of the types the reverse table makes (describeTypes' sane defaults). */
static const char *default_category(const char *type)
{
    static const struct {
        const char *type, *category;
    } cats[] = {
        {"md5", "Payload delivery"},
        {"sha1", "Payload delivery"},
        {"sha256", "Payload delivery"},
        {"sha512", "Payload delivery"},
        {"ssdeep", "Payload delivery"},
        {"tlsh", "Payload delivery"},
        {"filename", "Payload delivery"},
        {"email-src", "Payload delivery"},
        {"email-dst", "Payload delivery"},
        {"email-subject", "Payload delivery"},
        {"email", "Social network"},
        {"regkey", "Persistence mechanism"},
        {"mutex", "Artifacts dropped"},
        {"vulnerability", "External analysis"},
        {"text", "Other"},
        {"campaign-name", "Attribution"},
        {"yara", "Payload installation"},
        {"sigma", "Payload installation"},
        {"stix2-pattern", "Payload installation"},
    };
    for (size_t i = 0; i < sizeof cats / sizeof cats[0]; i++)
        if (!strcmp(cats[i].type, type))
            return cats[i].category;
    return "Network activity";
}

static json_t *generic_attribute(json_t *obj, const char *type, const char *value, size_t index,
                                 bool to_ids)
{
    char key[200], uuid[37];
    const char *id = misp_str(obj, "id");
    if (index == 0)
        snprintf(uuid, sizeof uuid, "%s", id_uuid(id));
    else {
        snprintf(key, sizeof key, "attribute:%s:%zu", id, index);
        misp_uuid5(key, uuid);
    }
    json_t *at =
        json_pack("{s:s,s:s,s:s,s:s,s:b,s:s}", "uuid", uuid, "type", type, "category",
                  default_category(type), "value", value, "to_ids", to_ids, "distribution", "5");
    json_object_set_new(at, "timestamp",
                        epoch_string(ts_seconds(obj, "modified") ? ts_seconds(obj, "modified")
                                                                 : ts_seconds(obj, "created")));
    const char *desc = misp_str(obj, "description");
    if (desc)
        json_object_set_new(at, "comment", json_string(desc));
    json_object_set_new(at, "Tag", tags_for(NULL, obj, NULL));
    return at;
}

/* The galaxy tag of an SDO MISP knows as a galaxy cluster, or NULL. */
static json_t *galaxy_tag(json_t *obj)
{
    json_t *rec = misp_record(obj, "galaxy_cluster");
    if (misp_str(rec, "tag_name"))
        return json_string(misp_str(rec, "tag_name"));
    static const struct {
        const char *stix, *galaxy;
    } g[] = {{"threat-actor", "threat-actor"},
             {"intrusion-set", "mitre-intrusion-set"},
             {"malware", "malware"},
             {"tool", "tool"},
             {"attack-pattern", "attack-pattern"},
             {"course-of-action", "course-of-action"}};
    const char *name = misp_str(obj, "name");
    const char *gtype = misp_str(rec, "galaxy_type");
    for (size_t i = 0; i < sizeof g / sizeof g[0] && !gtype; i++)
        if (is_type(obj, g[i].stix))
            gtype = g[i].galaxy;
    if (is_type(obj, "location") && misp_str(obj, "country") && !gtype) {
        gtype = "country";
        name = misp_str(obj, "name") ? misp_str(obj, "name") : misp_str(obj, "country");
    }
    if (!gtype || !name)
        return NULL;
    return json_sprintf("misp-galaxy:%s=\"%s\"", gtype,
                        misp_str(rec, "value") ? misp_str(rec, "value") : name);
}

/* Attributes for one STIX object that carries no MISP record. */
static void generic_attributes(json_t *obj, json_t *by_id, json_t *attrs)
{
    const char *type = misp_str(obj, "type");
    json_t *pairs = NULL;
    bool to_ids = false;
    if (!strcmp(type, "indicator")) {
        const char *pt = misp_str(obj, "pattern_type"), *pattern = misp_str(obj, "pattern");
        static const char *const rules[] = {"yara", "snort", "sigma", "suricata", "pcre", NULL};
        for (const char *const *r = rules; pt && pattern && *r; r++)
            if (!strcmp(pt, *r)) {
                json_array_append_new(attrs, generic_attribute(obj, *r, pattern, 0, true));
                return;
            }
        pairs = pt && !strcmp(pt, "stix") ? misp_pattern_pairs(pattern) : NULL;
        to_ids = true;
        if (!pairs && pattern) {
            json_array_append_new(attrs, generic_attribute(obj, "stix2-pattern", pattern, 0, true));
            return;
        }
    } else if (!strcmp(type, "observed-data")) {
        pairs = misp_sco_pairs(obj, by_id);
    } else if (!strcmp(type, "vulnerability") || !strcmp(type, "campaign")) {
        const char *name = misp_str(obj, "name");
        if (name)
            json_array_append_new(
                attrs, generic_attribute(obj, type[0] == 'v' ? "vulnerability" : "campaign-name",
                                         name, 0, false));
        return;
    } else if (!strcmp(type, "note")) {
        const char *content = misp_str(obj, "content");
        if (content)
            json_array_append_new(attrs, generic_attribute(obj, "text", content, 0, false));
        return;
    }
    json_t *list = misp_pairs_attributes(pairs);
    size_t i;
    json_t *at;
    json_array_foreach(list, i, at) json_array_append_new(
        attrs, generic_attribute(obj, misp_str(at, "type"), misp_str(at, "value"), i, to_ids));
    json_decref(list);
    json_decref(pairs);
}

static json_t *object_from_record(json_t *rec, json_t *carrier, json_t *by_id, struct arena *a)
{
    json_t *o = json_object();
    misp_copy(o, "uuid", rec, "uuid");
    misp_copy(o, "name", rec, "name");
    misp_copy(o, "meta-category", rec, "meta_category");
    misp_copy(o, "template_uuid", rec, "template_uuid");
    misp_copy(o, "template_version", rec, "template_version");
    misp_copy(o, "comment", rec, "comment");
    misp_copy(o, "first_seen", rec, "first_seen");
    misp_copy(o, "last_seen", rec, "last_seen");
    item_header(o, rec, carrier);
    json_t *attrs = json_array();
    size_t i;
    json_t *ar;
    json_array_foreach(json_object_get(rec, "attributes"), i, ar)
    {
        json_t *at = attribute_from_record(ar, carrier, by_id, carrier, a);
        if (at)
            json_array_append_new(attrs, at);
    }
    json_object_set_new(o, "Attribute", attrs);
    json_object_set_new(o, "ObjectReference", json_array());
    return o;
}

/* Orgc: the record's, else the report creator's identity (when visible). */
static json_t *orgc_of(json_t *report, json_t *rec, json_t *by_id)
{
    json_t *o = json_object_get(rec, "orgc");
    if (json_is_object(o) && misp_str(o, "name"))
        return json_pack("{s:s,s:s}", "name", misp_str(o, "name"), "uuid",
                         misp_str(o, "uuid") ? misp_str(o, "uuid") : "");
    const char *by = misp_str(report, "created_by_ref");
    json_t *ident = by ? json_object_get(by_id, by) : NULL;
    json_t *orec = misp_record(ident, "organisation");
    const char *name = misp_str(ident, "name");
    const char *uuid = misp_str(orec, "uuid") ? misp_str(orec, "uuid") : id_uuid(by);
    return json_pack("{s:s,s:s}", "name", name ? name : "unknown", "uuid", uuid);
}

static void event_header(json_t *ev, json_t *report, json_t *rec, json_t *by_id)
{
    const char *uuid =
        misp_str(rec, "uuid") ? misp_str(rec, "uuid") : id_uuid(misp_str(report, "id"));
    json_object_set_new(ev, "uuid", json_string(uuid));
    const char *info = misp_str(rec, "info") ? misp_str(rec, "info") : misp_str(report, "name");
    json_object_set_new(ev, "info", json_string(info ? info : ""));
    int64_t pub = ts_seconds(report, "published");
    if (misp_str(rec, "date")) {
        misp_copy(ev, "date", rec, "date");
    } else {
        char t[32];
        lia_format_ts(pub * 1000000, 0, t);
        json_object_set_new(ev, "date", json_stringn(t, 10));
    }
    json_object_set_new(ev, "timestamp", epoch_string(ts_seconds(report, "modified")));
    json_t *published = json_object_get(rec, "published");
    json_object_set_new(ev, "published", json_boolean(!published || json_is_true(published)));
    json_object_set_new(ev, "publish_timestamp",
                        misp_str(rec, "publish_timestamp")
                            ? json_string(misp_str(rec, "publish_timestamp"))
                            : epoch_string(pub));
    json_object_set_new(ev, "analysis",
                        json_string(misp_str(rec, "analysis") ? misp_str(rec, "analysis") : "2"));
    json_object_set_new(
        ev, "threat_level_id",
        json_string(misp_str(rec, "threat_level_id") ? misp_str(rec, "threat_level_id") : "4"));
    json_object_set_new(ev, "distribution",
                        json_string(served_distribution(report, misp_str(rec, "distribution"))));
    json_object_set_new(ev, "Orgc", orgc_of(report, rec, by_id));
}

/* The MISP event of report, from the visible objects in by_id. */
static json_t *build_event(json_t *report, json_t *by_id, struct arena *a)
{
    json_t *rec = misp_record(report, "event");
    json_t *ev = json_object();
    event_header(ev, report, rec, by_id);
    json_t *attrs = json_array(), *objects = json_array(), *galaxy_tags = json_array();
    json_t *objects_by_uuid = json_object();
    size_t i;
    json_t *r;
    json_t *refs = json_object_get(report, "object_refs");
    json_array_foreach(refs, i, r)
    {
        json_t *obj = json_object_get(by_id, json_string_value(r));
        if (!obj)
            continue; /* not visible to this principal, or not stored */
        json_t *arec = misp_record(obj, "attribute"), *orec = misp_record(obj, "object");
        json_t *tag;
        if (arec) {
            json_t *at = attribute_from_record(arec, obj, by_id, obj, a);
            if (at)
                json_array_append_new(attrs, at);
        } else if (orec) {
            json_t *o = object_from_record(orec, obj, by_id, a);
            json_array_append_new(objects, o);
            if (misp_str(o, "uuid"))
                json_object_set(objects_by_uuid, misp_str(o, "uuid"), o);
        } else if ((tag = galaxy_tag(obj))) {
            json_array_append_new(galaxy_tags, tag);
        } else if (!misp_record(obj, "reference") && !is_type(obj, "relationship")) {
            generic_attributes(obj, by_id, attrs);
        }
    }
    /* References, once every object is known. */
    json_array_foreach(refs, i, r)
    {
        json_t *rel = json_object_get(by_id, json_string_value(r));
        json_t *rrec = misp_record(rel, "reference");
        json_t *src = json_object_get(
            objects_by_uuid, misp_str(rrec, "object_uuid") ? misp_str(rrec, "object_uuid") : "");
        if (!rrec || !src)
            continue;
        json_t *ref = json_object();
        misp_copy(ref, "uuid", rrec, "uuid");
        misp_copy(ref, "object_uuid", rrec, "object_uuid");
        misp_copy(ref, "referenced_uuid", rrec, "referenced_uuid");
        misp_copy(ref, "relationship_type", rrec, "relationship_type");
        misp_copy(ref, "comment", rrec, "comment");
        json_object_set_new(ref, "timestamp", epoch_string(ts_seconds(rel, "modified")));
        json_array_append_new(json_object_get(src, "ObjectReference"), ref);
    }
    json_object_set_new(ev, "Tag", tags_for(json_object_get(rec, "tags"), report, galaxy_tags));
    json_object_set_new(ev, "Attribute", attrs);
    json_object_set_new(ev, "Object", objects);
    json_decref(galaxy_tags);
    json_decref(objects_by_uuid);
    return ev;
}

/* The report of event uuid that p may see, parsed, or NULL (LIA_ENOTFOUND). */
static int find_report(struct store *s, const struct store_policy *p,
                       const struct store_collection *col, const char *uuid, json_t **report,
                       struct arena *a, struct misp_rows *rows, struct lia_err *err)
{
    char key[80], mine[96], theirs[96];
    snprintf(key, sizeof key, "report:%s", uuid);
    misp_stix_id("report", key, mine);
    snprintf(theirs, sizeof theirs, "report--%s", uuid);
    json_t *ids = json_pack("[s,s]", mine, theirs), *by_id = json_object();
    struct misp_rows found = {0};
    int rc = fetch(s, p, col, ids, by_id, a, &found, err);
    json_t *r = json_object_get(by_id, mine);
    if (!r)
        r = json_object_get(by_id, theirs);
    *report = r ? json_incref(r) : NULL;
    for (size_t i = 0; rc == 0 && r && i < found.n; i++)
        if (!strcmp(found.rows[i].id, misp_str(r, "id")))
            rc = rows_add(rows, a, &found.rows[i]);
    json_decref(ids);
    json_decref(by_id);
    if (rc)
        return rc;
    return r ? 0 : lia_err_set(err, LIA_ENOTFOUND, "no such event");
}

/* The event of report (already read) as JSON in by_id, after reading what it refers to. */
static int event_of(struct store *s, const struct store_policy *p,
                    const struct store_collection *col, json_t *report, struct arena *a,
                    struct misp_rows *rows, json_t **event, struct lia_err *err)
{
    json_t *ids = json_array(), *by_id = json_object();
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(report, "object_refs"), i, r) json_array_append(ids, r);
    if (misp_str(report, "created_by_ref"))
        json_array_append(ids, json_object_get(report, "created_by_ref"));
    int rc = fetch(s, p, col, ids, by_id, a, rows, err);
    /* The SCOs of observed-data the report does not list itself. */
    json_array_clear(ids);
    const char *k;
    json_t *o;
    json_object_foreach(by_id, k, o)
    {
        if (!is_type(o, "observed-data"))
            continue;
        json_array_foreach(json_object_get(o, "object_refs"), i, r)
        {
            const char *id = json_string_value(r);
            if (id && !json_object_get(by_id, id))
                json_array_append(ids, r);
        }
    }
    if (rc == 0 && json_array_size(ids))
        rc = fetch(s, p, col, ids, by_id, a, rows, err);
    if (rc == 0)
        *event = build_event(report, by_id, a);
    json_decref(ids);
    json_decref(by_id);
    return rc;
}

int misp_feed_event(struct store *s, const struct store_policy *p,
                    const struct store_collection *col, const char *uuid, struct arena *a,
                    struct dbuf *out, struct misp_rows *rows, struct lia_err *err)
{
    char norm[37];
    json_t *u = json_string(uuid);
    bool ok = misp_uuid_norm(u, norm);
    json_decref(u);
    if (!ok)
        return lia_err_set(err, LIA_ENOTFOUND, "no such event");
    json_t *report = NULL, *event = NULL;
    int rc = find_report(s, p, col, norm, &report, a, rows, err);
    if (rc == 0)
        rc = event_of(s, p, col, report, a, rows, &event, err);
    char *text = NULL;
    if (rc == 0) {
        json_t *doc = json_pack("{s:o}", "Event", event);
        text = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
        if (!text || dbuf_puts(out, text))
            rc = lia_err_set(err, LIA_ETOOBIG, "the event does not fit the response limit");
    }
    free(text);
    json_decref(report);
    return rc;
}

/* Calls fn for every report of the collection p may see, in date_added order. */
static int each_report(struct store *s, const struct store_policy *p,
                       const struct store_collection *col, struct arena *a, struct misp_rows *rows,
                       int (*fn)(json_t *report, void *ctx, struct lia_err *err), void *ctx,
                       struct lia_err *err)
{
    static const char *const report_type[] = {"report"};
    int64_t after = 0;
    bool more = true;
    int rc = 0;
    while (rc == 0 && more) {
        struct arena pa;
        arena_init(&pa, 0);
        struct store_filter f = {.types = report_type,
                                 .n_types = 1,
                                 .version_sel = STORE_VER_LAST,
                                 .after_key = after,
                                 .limit = 500};
        struct store_page page;
        rc = store_query_objects(s, p, col->rid, &f, true, &pa, &page, err);
        for (size_t i = 0; rc == 0 && i < page.n; i++) {
            json_t *r = json_loadb(page.rows[i].json, page.rows[i].json_len, 0, NULL);
            if (r)
                json_object_set_new(r, DEFAULT_TLP_KEY, json_integer(col->default_tlp));
            if (rows_add(rows, a, &page.rows[i]))
                rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
            if (rc == 0 && r)
                rc = fn(r, ctx, err);
            json_decref(r);
        }
        more = rc == 0 && page.more && page.n;
        if (more)
            after = page.rows[page.n - 1].date_added;
        arena_release(&pa);
    }
    return rc;
}

int misp_manifest_entry(json_t *report, struct dbuf *out, bool first)
{
    json_t *rec = misp_record(report, "event");
    json_t *ev = json_object();
    event_header(ev, report, rec, NULL);
    json_t *entry = json_object();
    static const char *const keys[] = {"info",      "Orgc", "date", "analysis", "threat_level_id",
                                       "timestamp", NULL};
    for (const char *const *k = keys; *k; k++)
        json_object_set(entry, *k, json_object_get(ev, *k));
    json_object_set_new(entry, "Tag", tags_for(json_object_get(rec, "tags"), report, NULL));
    char *text = json_dumps(entry, JSON_COMPACT);
    int rc = text ? dbuf_printf(out, "%s\"%s\":%s", first ? "" : ",", misp_str(ev, "uuid"), text)
                  : LIA_ENOMEM;
    free(text);
    json_decref(entry);
    json_decref(ev);
    return rc;
}

struct manifest_ctx {
    struct dbuf *out;
    size_t n;
};

static int manifest_entry(json_t *report, void *vctx, struct lia_err *err)
{
    struct manifest_ctx *m = vctx;
    int rc = misp_manifest_entry(report, m->out, m->n++ == 0);
    return rc ? lia_err_set(err, LIA_ETOOBIG, "the manifest does not fit the response limit") : 0;
}

int misp_feed_manifest(struct store *s, const struct store_policy *p,
                       const struct store_collection *col, struct arena *a, struct dbuf *out,
                       struct misp_rows *rows, struct lia_err *err)
{
    struct manifest_ctx m = {.out = out};
    if (dbuf_puts(out, "{"))
        return lia_err_set(err, LIA_ETOOBIG, "out of memory");
    int rc = each_report(s, p, col, a, rows, manifest_entry, &m, err);
    if (rc == 0 && dbuf_puts(out, "}"))
        rc = lia_err_set(err, LIA_ETOOBIG, "the manifest does not fit the response limit");
    return rc;
}

static int hash_line(struct dbuf *out, const char *value, const char *uuid)
{
    unsigned char md[16];
    gnutls_hash_fast(GNUTLS_DIG_MD5, value, strlen(value), md);
    char hex[33];
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return dbuf_printf(out, "%s,%s\n", hex, uuid);
}

static int hash_attributes(json_t *attrs, const char *uuid, struct dbuf *out)
{
    size_t i;
    json_t *at;
    int rc = 0;
    json_array_foreach(attrs, i, at)
    {
        const char *type = misp_str(at, "type"), *value = misp_str(at, "value");
        if (!type || !value)
            continue;
        const char *bar = strchr(type, '|') ? strchr(value, '|') : NULL;
        if (bar) { /* a composite: each part, as MISP does */
            char *first = strndup(value, (size_t)(bar - value));
            rc = rc ? rc : first ? hash_line(out, first, uuid) : LIA_ENOMEM;
            free(first);
            rc = rc ? rc : hash_line(out, bar + 1, uuid);
        } else {
            rc = rc ? rc : hash_line(out, value, uuid);
        }
    }
    return rc;
}

int misp_hashes_of(json_t *event, struct dbuf *out)
{
    const char *uuid = misp_str(event, "uuid");
    int rc = hash_attributes(json_object_get(event, "Attribute"), uuid, out);
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(event, "Object"), i, o)
    {
        if (rc == 0)
            rc = hash_attributes(json_object_get(o, "Attribute"), uuid, out);
    }
    return rc;
}

static int hashes_of(json_t *report, json_t *event, void *vctx, struct lia_err *err)
{
    (void)report;
    return misp_hashes_of(event, vctx)
               ? lia_err_set(err, LIA_ETOOBIG, "hashes.csv does not fit the response limit")
               : 0;
}

struct each_ctx {
    struct store *s;
    const struct store_policy *p;
    const struct store_collection *col;
    struct arena *a;
    struct misp_rows *rows;
    int (*fn)(json_t *report, json_t *event, void *ctx, struct lia_err *err);
    void *ctx;
};

static int each_event(json_t *report, void *vctx, struct lia_err *err)
{
    struct each_ctx *e = vctx;
    json_t *event = NULL;
    int rc = event_of(e->s, e->p, e->col, report, e->a, e->rows, &event, err);
    if (rc == 0)
        rc = e->fn(report, event, e->ctx, err);
    json_decref(event);
    return rc;
}

int misp_feed_each_event(struct store *s, const struct store_policy *p,
                         const struct store_collection *col, struct arena *a,
                         struct misp_rows *rows,
                         int (*fn)(json_t *report, json_t *event, void *ctx, struct lia_err *err),
                         void *ctx, struct lia_err *err)
{
    struct each_ctx e = {.s = s, .p = p, .col = col, .a = a, .rows = rows, .fn = fn, .ctx = ctx};
    return each_report(s, p, col, a, rows, each_event, &e, err);
}

int misp_feed_hashes(struct store *s, const struct store_policy *p,
                     const struct store_collection *col, struct arena *a, struct dbuf *out,
                     struct misp_rows *rows, struct lia_err *err)
{
    return misp_feed_each_event(s, p, col, a, rows, hashes_of, out, err);
}
