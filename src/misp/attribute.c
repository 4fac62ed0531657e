/*
 * One MISP attribute -> its STIX carrier (docs/misp.md, "Attributes"):
 *  - to_ids set and a STIX form: an indicator with the STIX pattern;
 *  - a STIX form, to_ids unset: an observed-data with its SCOs;
 *  - detection rules (yara, snort, sigma, suricata, pcre): an indicator whose pattern_type
 *    says the language and whose pattern is the rule;
 *  - vulnerability, campaign-name, threat-actor: an SDO of that type;
 *  - anything else (text, comment, other, btc...), or a STIX form the validator refuses: a
 *    note whose content is the value, related to the event's report.
 * The carrier keeps the attribute's MISP record (uuid, type, category, to_ids, comment,
 * timestamps, distribution, tags); the value only when the STIX form does not give it back
 * exactly (a note's content or an SDO's name does; "AS174" read as number 174 does not).
 */
#include "misp/misp_int.h"

#include <string.h>
#include <strings.h>

#include "stix/stix.h"

int64_t misp_created(const struct misp_ev *ev, int64_t ts)
{
    return ev->date_us && ev->date_us < ts ? ev->date_us : ts;
}

bool misp_valid(json_t *obj, struct lia_err *why)
{
    struct stix_info info;
    lia_err_clear(why);
    return stix_validate_object(obj, &info, why) == 0;
}

json_t *misp_attribute_record(json_t *attr, bool keep_value)
{
    json_t *rec = json_object();
    char uuid[37];
    if (misp_uuid_norm(json_object_get(attr, "uuid"), uuid))
        json_object_set_new(rec, "uuid", json_string(uuid));
    misp_copy(rec, "type", attr, "type");
    misp_copy(rec, "category", attr, "category");
    if (keep_value)
        json_object_set(rec, "value", json_object_get(attr, "value"));
    json_object_set_new(rec, "to_ids", json_boolean(misp_bool(attr, "to_ids", false)));
    misp_copy(rec, "object_relation", attr, "object_relation");
    misp_copy(rec, "comment", attr, "comment");
    misp_copy(rec, "timestamp", attr, "timestamp");
    misp_copy(rec, "distribution", attr, "distribution");
    misp_copy(rec, "first_seen", attr, "first_seen");
    misp_copy(rec, "last_seen", attr, "last_seen");
    if (json_object_get(attr, "disable_correlation"))
        json_object_set_new(rec, "disable_correlation",
                            json_boolean(misp_bool(attr, "disable_correlation", false)));
    json_t *sg = json_object_get(attr, "SharingGroup");
    if (misp_int(attr, "distribution", 5) == 4 && json_is_object(sg)) {
        json_t *g = json_object();
        misp_copy(g, "uuid", sg, "uuid");
        misp_copy(g, "name", sg, "name");
        json_object_set_new(rec, "sharing_group", g);
    }
    json_t *tags = misp_tag_names(attr);
    if (json_array_size(tags))
        json_object_set_new(rec, "tags", tags);
    else
        json_decref(tags);
    return rec;
}

/* MISP's first_seen/last_seen ("2020-10-25T16:22:00.000000+00:00") in UTC, or def. */
static int64_t seen_us(json_t *attr, const char *key, int64_t def)
{
    const char *s = misp_str(attr, key);
    if (!s)
        return def;
    char t[64];
    size_t n = strlen(s);
    if (n >= sizeof t - 1)
        return def;
    memcpy(t, s, n + 1);
    if (n > 6 && !strcmp(t + n - 6, "+00:00")) {
        t[n - 6] = 'Z';
        t[n - 5] = '\0';
    }
    int64_t us;
    int digits;
    struct lia_err e;
    return stix_parse_timestamp(t, strlen(t), &us, &digits, &e) == 0 ? us : def;
}

json_t *misp_note(struct misp_ev *ev, const char *id, const char *abstract, const char *text,
                  int64_t modified_us)
{
    json_t *n = misp_sdo(ev, "note", id, misp_created(ev, modified_us), modified_us);
    json_object_set_new(n, "abstract", json_string(abstract));
    json_object_set_new(n, "content", json_string(text));
    json_object_set_new(n, "object_refs", json_pack("[s]", ev->report_id));
    return n;
}

static json_t *labels(const char *type, const char *category)
{
    json_t *l = json_array();
    char t[300];
    snprintf(t, sizeof t, "misp:type=\"%.200s\"", type);
    json_array_append_new(l, json_string(t));
    if (category) {
        snprintf(t, sizeof t, "misp:category=\"%.200s\"", category);
        json_array_append_new(l, json_string(t));
    }
    return l;
}

/* The carrier of a value with a STIX form: indicator, observed-data or SDO. */
static json_t *carrier_of(struct misp_ev *ev, json_t *attr, const char *type, const char *value,
                          const char *uuid, struct misp_value_form *f, bool to_ids, int64_t ts)
{
    char key[120], id[96];
    int64_t created = misp_created(ev, ts);
    const char *comment = misp_str(attr, "comment");
    json_t *c = NULL;
    if (f->form == MISP_FORM_SCO && to_ids) {
        snprintf(key, sizeof key, "indicator:%s", uuid);
        misp_stix_id("indicator", key, id);
        c = misp_sdo(ev, "indicator", id, created, ts);
        json_object_set_new(c, "pattern", json_sprintf("[%s]", f->pattern.ptr));
        json_object_set_new(c, "pattern_type", json_string("stix"));
        json_object_set_new(c, "pattern_version", json_string("2.1"));
        json_object_set_new(c, "valid_from", misp_ts(seen_us(attr, "first_seen", ts)));
    } else if (f->form == MISP_FORM_SCO) {
        snprintf(key, sizeof key, "observed-data:%s", uuid);
        misp_stix_id("observed-data", key, id);
        c = misp_sdo(ev, "observed-data", id, created, ts);
        int64_t first = seen_us(attr, "first_seen", ts), last = seen_us(attr, "last_seen", first);
        json_object_set_new(c, "first_observed", misp_ts(first));
        json_object_set_new(c, "last_observed", misp_ts(last < first ? first : last));
        json_object_set_new(c, "number_observed", json_integer(1));
        json_t *refs = json_array();
        size_t i;
        json_t *s;
        json_array_foreach(f->scos, i, s) json_array_append(refs, json_object_get(s, "id"));
        json_object_set_new(c, "object_refs", refs);
    } else if (f->form == MISP_FORM_RULE) {
        snprintf(key, sizeof key, "indicator:%s", uuid);
        misp_stix_id("indicator", key, id);
        c = misp_sdo(ev, "indicator", id, created, ts);
        json_object_set_new(c, "pattern", json_string(value));
        json_object_set_new(c, "pattern_type", json_string(f->sdo_type));
        json_object_set_new(c, "valid_from", misp_ts(seen_us(attr, "first_seen", ts)));
    } else if (f->form == MISP_FORM_SDO) {
        snprintf(key, sizeof key, "%s:%s", f->sdo_type, uuid);
        misp_stix_id(f->sdo_type, key, id);
        c = misp_sdo(ev, f->sdo_type, id, created, ts);
        json_object_set_new(c, "name", json_string(value));
        if (!strcmp(f->sdo_type, "vulnerability") && !strncasecmp(value, "CVE-", 4))
            json_object_set_new(
                c, "external_references",
                json_pack("[{s:s,s:s}]", "source_name", "cve", "external_id", value));
    }
    if (c && comment && *comment && strcmp(misp_str(c, "type"), "observed-data") != 0)
        json_object_set_new(c, "description", json_string(comment));
    (void)type;
    return c;
}

void misp_map_attribute(struct misp_ev *ev, json_t *attr, const struct misp_scope *parent)
{
    char pos[200], uuid[37];
    const char *type = misp_str(attr, "type");
    json_t *jv = json_object_get(attr, "value");
    bool have_uuid = misp_uuid_norm(json_object_get(attr, "uuid"), uuid);
    snprintf(pos, sizeof pos, "event %s, attribute %s", ev->uuid,
             have_uuid ? uuid : "(without a uuid)");
    if (!json_is_object(attr) || !type || !*type) {
        misp_count(ev->sum, "attributes", "(no type)", "skipped: not an attribute with a type");
        misp_problem(ev->sum, ev->o->report, pos, "skipped: not an attribute with a string type");
        return;
    }
    if (!have_uuid) {
        misp_count(ev->sum, "attributes", type, "skipped: no valid uuid");
        misp_problem(ev->sum, ev->o->report, pos, "skipped: %s attribute without a valid uuid",
                     type);
        return;
    }
    if (!json_is_string(jv)) {
        misp_count(ev->sum, "attributes", type, "skipped: value is not a string");
        misp_problem(ev->sum, ev->o->report, pos, "skipped: the value of this %s is not a string",
                     type);
        return;
    }
    if (misp_bool(attr, "deleted", false)) {
        misp_count(ev->sum, "attributes", type, "skipped: deleted in MISP");
        return;
    }
    const char *value = json_string_value(jv);
    struct misp_scope scope;
    misp_scope_copy(&scope, parent);
    misp_scope_narrow(&scope, attr);
    int64_t ts = misp_epoch_us(attr, "timestamp", ev->ts_us);
    bool to_ids = misp_bool(attr, "to_ids", false);
    struct misp_value_form f;
    misp_value_stix(type, value, uuid, attr, &f);
    if (f.form == MISP_FORM_SKIP) {
        char why[160];
        snprintf(why, sizeof why, "skipped: %s", f.why);
        misp_count(ev->sum, "attributes", type, why);
        misp_problem(ev->sum, ev->o->report, pos, "%s (%s)", why, type);
        misp_value_form_release(&f);
        misp_scope_release(&scope);
        return;
    }
    /* A pattern with no SCO (a port alone): an indicator, or nothing to observe. */
    if (f.form == MISP_FORM_SCO && !to_ids && !json_array_size(f.scos)) {
        f.form = MISP_FORM_NONE;
        f.why = "no observable without a pattern";
    }
    json_t *c = carrier_of(ev, attr, type, value, uuid, &f, to_ids, ts);
    json_t *by_id = json_object();
    size_t i;
    json_t *s;
    json_array_foreach(f.scos, i, s) json_object_set(by_id, misp_str(s, "id"), s);
    struct arena a;
    arena_init(&a, 0);
    const char *back = c ? misp_carrier_value(type, c, by_id, &a) : NULL;
    bool keep_value = !back || strcmp(back, value) != 0;
    arena_release(&a);
    json_decref(by_id);
    const char *outcome = c ? misp_str(c, "type") : "note";
    bool emit_scos = f.form == MISP_FORM_SCO && !to_ids;
    char refused[600] = "";
    if (c) {
        json_object_set_new(c, "labels", labels(type, misp_str(attr, "category")));
        misp_scope_apply(ev, &scope, c);
        misp_set_record(c, "attribute", misp_attribute_record(attr, keep_value));
        struct lia_err why;
        bool ok = misp_valid(c, &why);
        json_array_foreach(f.scos, i, s)
        {
            misp_scope_apply(ev, &scope, s);
            if (emit_scos) /* an indicator stands alone: its SCOs are not written */
                ok = ok && misp_valid(s, &why);
        }
        if (!ok) {
            snprintf(refused, sizeof refused, "%s", why.msg);
            json_decref(c);
            c = NULL;
            outcome = "note (STIX form refused by the validator)";
        }
    }
    if (!c) {
        char key[120], id[96], abstract[300];
        snprintf(key, sizeof key, "note:%s", uuid);
        misp_stix_id("note", key, id);
        snprintf(abstract, sizeof abstract, "MISP %.100s attribute (%.100s)", type,
                 misp_str(attr, "category") ? misp_str(attr, "category") : "no category");
        c = misp_note(ev, id, abstract, value, ts);
        json_object_set_new(c, "labels", labels(type, misp_str(attr, "category")));
        misp_scope_apply(ev, &scope, c);
        misp_set_record(c, "attribute", misp_attribute_record(attr, false));
        struct lia_err why;
        if (!misp_valid(c, &why)) {
            misp_count(ev->sum, "attributes", type, "skipped: not representable in STIX");
            misp_problem(ev->sum, ev->o->report, pos, "skipped: %s", why.msg);
            json_decref(c);
            misp_value_form_release(&f);
            misp_scope_release(&scope);
            return;
        }
        if (refused[0])
            misp_problem(ev->sum, ev->o->report, pos, "%s kept as a note: %s", type, refused);
        f.form = MISP_FORM_NONE;
    }
    if (emit_scos && f.form == MISP_FORM_SCO)
        json_array_foreach(f.scos, i, s) misp_emit(ev, json_incref(s));
    char carrier[96];
    snprintf(carrier, sizeof carrier, "%s", misp_str(c, "id"));
    json_object_set_new(ev->carriers, uuid, json_string(carrier));
    json_t *marks = json_object_get(c, "object_marking_refs");
    json_object_set_new(ev->scopes, uuid, marks ? json_incref(marks) : json_array());
    char counted[200];
    snprintf(counted, sizeof counted, "%s%s", outcome,
             f.why && f.form == MISP_FORM_SCO ? " (the sample itself is not imported)" : "");
    misp_count(ev->sum, "attributes", type, counted);
    misp_emit(ev, c);
    misp_map_galaxies(ev, attr, carrier, &scope);
    misp_value_form_release(&f);
    misp_scope_release(&scope);
}
