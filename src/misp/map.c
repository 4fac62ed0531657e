/*
 * One MISP event -> STIX 2.1 (docs/misp.md, "Events"). The event becomes a report (name
 * from info, published from publish_timestamp, or the event's timestamp while unpublished;
 * every object of the event in object_refs), created by the identity of the event's creating
 * organisation (Orgc); its attributes, objects, references and galaxies are mapped by
 * attribute.c, object.c and galaxy.c under the event's handling (scope.c).
 *
 * Versions: modified is the MISP timestamp of what was mapped, created the event's date
 * when that is earlier, so an event edited in MISP and imported again adds new versions of
 * what changed and nothing else. Objects that are the same in every event (the mapping's
 * identity and extension-definition, organisations, markings, galaxy clusters) have one
 * fixed version.
 */
#include "misp/misp_int.h"

#include <string.h>

static json_t *ext_definition(void)
{
    json_t *d = misp_sdo(NULL, "extension-definition", MISP_EXT_ID, 0, 0);
    json_object_set_new(d, "created_by_ref", json_string(MISP_IDENTITY_ID));
    json_object_set_new(d, "created", json_string(MISP_EPOCH));
    json_object_set_new(d, "modified", json_string(MISP_EPOCH));
    json_object_set_new(d, "name", json_string("liaison MISP record"));
    json_object_set_new(d, "description",
                        json_string("What a MISP event, attribute, object, reference, galaxy "
                                    "cluster or distribution said that STIX has no property for "
                                    "(uuid, type, category, to_ids, tags, distribution, sharing "
                                    "group...), kept so that a MISP feed can give it back."));
    json_object_set_new(d, "schema",
                        json_string("https://liaison.invalid/schemas/misp.json "
                                    "(docs/schemas/misp.json in the liaison repository)"));
    json_object_set_new(d, "version", json_string("1.0.0"));
    json_object_set_new(d, "extension_types", json_pack("[s]", "property-extension"));
    return d;
}

static json_t *mapping_identity(void)
{
    json_t *i = misp_sdo(NULL, "identity", MISP_IDENTITY_ID, 0, 0);
    json_object_set_new(i, "created", json_string(MISP_EPOCH));
    json_object_set_new(i, "modified", json_string(MISP_EPOCH));
    json_object_set_new(i, "name", json_string("liaison MISP mapping"));
    json_object_set_new(i, "identity_class", json_string("system"));
    json_object_set_new(i, "description",
                        json_string("Defines the MISP record extension of objects imported "
                                    "from MISP (docs/misp.md)."));
    return i;
}

/* An object every event refers to but the report does not list. */
static void emit_unlisted(struct misp_ev *ev, json_t *obj)
{
    const char *id = misp_str(obj, "id");
    if (json_object_get(ev->seen, id)) {
        json_decref(obj);
        return;
    }
    json_object_set_new(ev->seen, id, json_true());
    json_array_append_new(ev->objects, obj);
}

/* The creating organisation's identity (Orgc, else Org); sets ev->creator. */
static void organisation(struct misp_ev *ev, json_t *e)
{
    json_t *org = json_object_get(e, "Orgc");
    if (!json_is_object(org))
        org = json_object_get(e, "Org");
    if (!json_is_object(org))
        return;
    char uuid[37], key[300];
    const char *name = misp_str(org, "name");
    bool have_uuid = misp_uuid_norm(json_object_get(org, "uuid"), uuid);
    if (have_uuid)
        snprintf(key, sizeof key, "identity:%s", uuid);
    else if (name && *name)
        snprintf(key, sizeof key, "identity:name:%.250s", name);
    else
        return;
    misp_stix_id("identity", key, ev->creator);
    json_t *i = misp_sdo(NULL, "identity", ev->creator, 0, 0);
    json_object_set_new(i, "created", json_string(MISP_EPOCH));
    json_object_set_new(i, "modified", json_string(MISP_EPOCH));
    json_object_set_new(i, "name", json_string(name && *name ? name : uuid));
    json_object_set_new(i, "identity_class", json_string("organization"));
    json_t *rec = json_object();
    if (have_uuid)
        json_object_set_new(rec, "uuid", json_string(uuid));
    if (name && *name)
        json_object_set_new(rec, "name", json_string(name));
    misp_set_record(i, "organisation", rec);
    struct lia_err why;
    if (misp_valid(i, &why))
        emit_unlisted(ev, i);
    else
        json_decref(i), ev->creator[0] = '\0';
}

static json_t *event_record(struct misp_ev *ev, json_t *e)
{
    json_t *rec = json_pack("{s:s}", "uuid", ev->uuid);
    static const char *const keys[] = {"info",         "date",         "threat_level_id",
                                       "analysis",     "timestamp",    "publish_timestamp",
                                       "distribution", "extends_uuid", NULL};
    for (const char *const *k = keys; *k; k++)
        misp_copy(rec, *k, e, *k);
    json_object_set_new(rec, "published", json_boolean(misp_bool(e, "published", false)));
    static const char *const orgs[] = {"Orgc", "Org"};
    for (int i = 0; i < 2; i++) {
        json_t *org = json_object_get(e, orgs[i]);
        if (!json_is_object(org))
            continue;
        json_t *o = json_object();
        misp_copy(o, "uuid", org, "uuid");
        misp_copy(o, "name", org, "name");
        json_object_set_new(rec, i ? "org" : "orgc", o);
    }
    json_t *sg = json_object_get(e, "SharingGroup");
    if (misp_int(e, "distribution", 3) == 4 && json_is_object(sg)) {
        json_t *o = json_object();
        misp_copy(o, "uuid", sg, "uuid");
        misp_copy(o, "name", sg, "name");
        json_object_set_new(rec, "sharing_group", o);
    }
    json_t *tags = misp_tag_names(e);
    json_object_set_new(rec, "tags", tags);
    return rec;
}

static void count_tags(struct misp_ev *ev, json_t *e)
{
    json_t *tags = misp_tag_names(e);
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        const char *name = json_string_value(t);
        const char *colon = strchr(name, ':');
        char ns[64];
        snprintf(ns, sizeof ns, "%.*s", colon ? (int)(colon - name) : 0, name);
        const char *outcome = misp_tag_tlp(name) != STORE_TLP_NONE ? "TLP marking"
                              : !strcmp(ns, "misp-galaxy")         ? "galaxy (see galaxies)"
                                                                   : "kept in the MISP record";
        misp_count(ev->sum, "tags", colon ? ns : "(no namespace)", outcome);
    }
    json_decref(tags);
}

static int map_into(struct misp_ev *ev, json_t *e, struct lia_err *err)
{
    const char *info = misp_str(e, "info");
    ev->date_us = misp_date_us(misp_str(e, "date"));
    ev->ts_us = misp_epoch_us(e, "timestamp", ev->date_us);
    if (!ev->ts_us)
        return lia_err_set(err, LIA_EINVAL, "the event has neither a timestamp nor a date");
    misp_scope_narrow(&ev->scope, e);
    misp_stix_id("report", ev->uuid, ev->report_id); /* name: "report" prefix added below */
    char key[80];
    snprintf(key, sizeof key, "report:%s", ev->uuid);
    misp_stix_id("report", key, ev->report_id);
    emit_unlisted(ev, mapping_identity());
    misp_emit(ev, ext_definition());
    organisation(ev, e);
    count_tags(ev, e);

    json_t *attrs = json_object_get(e, "Attribute"), *objs = json_object_get(e, "Object");
    if (attrs && !json_is_array(attrs))
        misp_problem(ev->sum, ev->o->report, ev->uuid, "Attribute is not a list: ignored");
    if (objs && !json_is_array(objs))
        misp_problem(ev->sum, ev->o->report, ev->uuid, "Object is not a list: ignored");
    size_t i;
    json_t *a;
    json_array_foreach(attrs, i, a) misp_map_attribute(ev, a, &ev->scope);
    json_array_foreach(objs, i, a) misp_map_object(ev, a);
    json_array_foreach(objs, i, a) misp_map_references(ev, a);
    misp_map_galaxies(ev, e, NULL, &ev->scope);

    int64_t pub = misp_bool(e, "published", false)
                      ? misp_epoch_us(e, "publish_timestamp", ev->ts_us)
                      : ev->ts_us;
    json_t *r = misp_sdo(ev, "report", ev->report_id, misp_created(ev, ev->ts_us), ev->ts_us);
    char name[120];
    snprintf(name, sizeof name, "MISP event %s", ev->uuid);
    json_object_set_new(r, "name", json_string(info && *info ? info : name));
    json_object_set_new(r, "report_types", json_pack("[s]", "threat-report"));
    json_object_set_new(r, "published", misp_ts(pub));
    json_object_set(r, "object_refs", ev->refs);
    misp_scope_apply(ev, &ev->scope, r);
    misp_set_record(r, "event", event_record(ev, e));
    struct lia_err why;
    if (!misp_valid(r, &why)) {
        json_decref(r);
        return lia_err_set(err, LIA_EINVAL, "the event's report is not valid STIX: %s", why.msg);
    }
    json_array_append_new(ev->objects, r);
    return 0;
}

int misp_map_event(json_t *e, const struct misp_map_opts *o, json_t *out, struct misp_summary *sum,
                   struct lia_err *err)
{
    char uuid[37];
    if (!json_is_object(e))
        return lia_err_set(err, LIA_EINVAL, "not a MISP event (not a JSON object)");
    if (!misp_uuid_norm(json_object_get(e, "uuid"), uuid))
        return lia_err_set(err, LIA_EINVAL, "not a MISP event: no valid \"uuid\"");
    struct misp_ev ev;
    memset(&ev, 0, sizeof ev);
    ev.o = o;
    ev.sum = sum;
    ev.uuid = uuid;
    ev.markings = json_object();
    ev.objects = json_array();
    ev.refs = json_array();
    ev.seen = json_object();
    ev.carriers = json_object();
    ev.scopes = json_object();
    misp_scope_init(&ev.scope);
    int rc = map_into(&ev, e, err);
    if (rc == 0) {
        const char *k;
        json_t *m;
        json_object_foreach(ev.markings, k, m) json_array_append(out, m);
        size_t i;
        json_array_foreach(ev.objects, i, m) json_array_append(out, m);
    }
    misp_scope_release(&ev.scope);
    json_decref(ev.markings);
    json_decref(ev.objects);
    json_decref(ev.refs);
    json_decref(ev.seen);
    json_decref(ev.carriers);
    json_decref(ev.scopes);
    return rc;
}
