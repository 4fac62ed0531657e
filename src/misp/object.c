/*
 * MISP objects -> STIX (docs/misp.md, "Objects"), after misp-stix's object mapping:
 *  - file: one file SCO (name, hashes, size, mime_type);
 *  - domain-ip: domain-name SCOs resolving to the ipv4/ipv6-addr SCOs;
 *  - url: a url SCO;  ip-port: network-traffic to (or from) the address, with its port;
 *  - email: an email-message with its email-addr SCOs, subject and message id;
 *  - vulnerability: a vulnerability SDO (CVE and reference links as external references).
 * The SCOs go in an observed-data, or, when any attribute of the object is to_ids, the
 * pattern over them in an indicator. Every other template (pe, av-signature, victim...)
 * and an object whose SCO would be empty or refused becomes a note listing its attributes.
 * The carrier keeps the object's MISP record with every attribute (values included), so a
 * relation STIX has no property for (a file's "state", a url's "scheme") is not lost.
 *
 * ObjectReferences become relationships between the carriers, marked with the markings of
 * both ends (the stricter TLP wins, REL TO markings intersect).
 */
#include "misp/misp_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct oattr {
    json_t *attr;
    const char *type, *rel, *value;
    char uuid[37];
};

static json_t *obj_sco(const char *type, const char *src)
{
    char key[200], id[96];
    snprintf(key, sizeof key, "%s:%s", type, src);
    misp_stix_id(type, key, id);
    return misp_sco(type, id);
}

static bool is(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

static void file_object(const char *uuid, struct oattr *at, size_t n, struct misp_value_form *f)
{
    json_t *file = obj_sco("file", uuid), *hashes = json_object();
    for (size_t i = 0; i < n; i++) {
        const char *key = misp_hash_key(at[i].type);
        if (is(at[i].type, "filename") && !json_object_get(file, "name")) {
            json_object_set_new(file, "name", json_string(at[i].value));
            misp_pattern_cmp(&f->pattern, "file:name", at[i].value, false);
        } else if (key && !json_object_get(hashes, key)) {
            json_object_set_new(hashes, key, json_string(at[i].value));
            struct dbuf p;
            dbuf_init(&p, 512);
            misp_path_key(&p, "file:hashes", key);
            misp_pattern_cmp(&f->pattern, p.ptr ? p.ptr : "", at[i].value, false);
            dbuf_release(&p);
        } else if (is(at[i].type, "size-in-bytes") && !json_object_get(file, "size")) {
            int64_t sz;
            if (lia_parse_i64(at[i].value, strlen(at[i].value), 0, INT64_MAX / 2, &sz) == 0) {
                json_object_set_new(file, "size", json_integer(sz));
                misp_pattern_cmp(&f->pattern, "file:size", at[i].value, true);
            }
        } else if (is(at[i].rel, "mimetype") && !json_object_get(file, "mime_type")) {
            json_object_set_new(file, "mime_type", json_string(at[i].value));
            misp_pattern_cmp(&f->pattern, "file:mime_type", at[i].value, false);
        }
    }
    if (json_object_size(hashes))
        json_object_set(file, "hashes", hashes);
    json_decref(hashes);
    if (json_object_get(file, "name") || json_object_get(file, "hashes")) {
        json_array_append_new(f->scos, file);
        f->form = MISP_FORM_SCO;
    } else {
        json_decref(file);
    }
}

static void domain_ip_object(struct oattr *at, size_t n, struct misp_value_form *f)
{
    json_t *domains = json_array(), *ips = json_array();
    for (size_t i = 0; i < n; i++) {
        if (is(at[i].type, "domain") || is(at[i].type, "hostname")) {
            json_t *d = obj_sco("domain-name", at[i].uuid);
            json_object_set_new(d, "value", json_string(at[i].value));
            json_array_append_new(domains, d);
        } else if (is(at[i].type, "ip-dst") || is(at[i].type, "ip-src")) {
            json_t *ip = obj_sco(strchr(at[i].value, ':') ? "ipv6-addr" : "ipv4-addr", at[i].uuid);
            json_object_set_new(ip, "value", json_string(at[i].value));
            json_array_append_new(ips, ip);
        }
    }
    size_t i;
    json_t *d, *ip;
    json_array_foreach(domains, i, d)
    {
        json_t *refs = json_array();
        size_t k;
        json_array_foreach(ips, k, ip) json_array_append(refs, json_object_get(ip, "id"));
        if (json_array_size(refs))
            json_object_set(d, "resolves_to_refs", refs);
        json_decref(refs);
        json_array_append(f->scos, d);
    }
    json_array_foreach(ips, i, ip) json_array_append(f->scos, ip);
    /* One observation: one domain (further ones are in the record), and the addresses it
     * resolves to; or, without a domain, the first address. */
    if (json_array_size(domains)) {
        misp_pattern_cmp(&f->pattern, "domain-name:value",
                         misp_str(json_array_get(domains, 0), "value"), false);
        json_array_foreach(ips, i, ip) misp_pattern_cmp(
            &f->pattern, "domain-name:resolves_to_refs[*].value", misp_str(ip, "value"), false);
    } else if (json_array_size(ips)) {
        char path[32];
        snprintf(path, sizeof path, "%s:value", misp_str(json_array_get(ips, 0), "type"));
        misp_pattern_cmp(&f->pattern, path, misp_str(json_array_get(ips, 0), "value"), false);
    }
    if (json_array_size(f->scos))
        f->form = MISP_FORM_SCO;
    json_decref(domains);
    json_decref(ips);
}

static void url_object(const char *uuid, struct oattr *at, size_t n, struct misp_value_form *f)
{
    for (size_t i = 0; i < n; i++)
        if (is(at[i].rel, "url") && (is(at[i].type, "url") || is(at[i].type, "link"))) {
            json_t *u = obj_sco("url", uuid);
            json_object_set_new(u, "value", json_string(at[i].value));
            json_array_append_new(f->scos, u);
            misp_pattern_cmp(&f->pattern, "url:value", at[i].value, false);
            f->form = MISP_FORM_SCO;
            return;
        }
}

static void ip_port_object(const char *uuid, struct oattr *at, size_t n, struct misp_value_form *f)
{
    const struct oattr *ip = NULL;
    const char *port = NULL, *port_dir = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!ip && (is(at[i].type, "ip-dst") || is(at[i].type, "ip-src")))
            ip = &at[i];
        int64_t p;
        if (!port && is(at[i].type, "port") &&
            (is(at[i].rel, "dst-port") || is(at[i].rel, "src-port")) &&
            lia_parse_i64(at[i].value, strlen(at[i].value), 0, 65535, &p) == 0) {
            port = at[i].value;
            port_dir = is(at[i].rel, "src-port") ? "src" : "dst";
        }
    }
    if (!ip)
        return;
    const char *dir = is(ip->type, "ip-src") ? "src" : "dst";
    bool v6 = strchr(ip->value, ':') != NULL;
    json_t *addr = obj_sco(v6 ? "ipv6-addr" : "ipv4-addr", ip->uuid);
    json_object_set_new(addr, "value", json_string(ip->value));
    json_t *nt = obj_sco("network-traffic", uuid);
    char k[32], path[64];
    snprintf(k, sizeof k, "%s_ref", dir);
    json_object_set(nt, k, json_object_get(addr, "id"));
    json_object_set_new(nt, "protocols", json_pack("[s]", v6 ? "ipv6" : "ipv4"));
    snprintf(path, sizeof path, "network-traffic:%s_ref.type", dir);
    misp_pattern_cmp(&f->pattern, path, misp_str(addr, "type"), false);
    snprintf(path, sizeof path, "network-traffic:%s_ref.value", dir);
    misp_pattern_cmp(&f->pattern, path, ip->value, false);
    if (port) {
        int64_t p = 0;
        lia_parse_i64(port, strlen(port), 0, 65535, &p);
        snprintf(k, sizeof k, "%s_port", port_dir);
        json_object_set_new(nt, k, json_integer(p));
        snprintf(path, sizeof path, "network-traffic:%s_port", port_dir);
        char num[16];
        snprintf(num, sizeof num, "%lld", (long long)p);
        misp_pattern_cmp(&f->pattern, path, num, true);
    }
    json_array_append_new(f->scos, nt);
    json_array_append_new(f->scos, addr);
    f->form = MISP_FORM_SCO;
}

static void email_object(const char *uuid, struct oattr *at, size_t n, struct misp_value_form *f)
{
    json_t *m = obj_sco("email-message", uuid);
    json_object_set_new(m, "is_multipart", json_false());
    json_t *addrs = json_array();
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        const char *list = is(at[i].rel, "to")    ? "to_refs"
                           : is(at[i].rel, "cc")  ? "cc_refs"
                           : is(at[i].rel, "bcc") ? "bcc_refs"
                                                  : NULL;
        if (is(at[i].type, "email-src") && is(at[i].rel, "from") &&
            !json_object_get(m, "from_ref")) {
            json_t *a = obj_sco("email-addr", at[i].uuid);
            json_object_set_new(a, "value", json_string(at[i].value));
            json_object_set(m, "from_ref", json_object_get(a, "id"));
            json_array_append_new(addrs, a);
            misp_pattern_cmp(&f->pattern, "email-message:from_ref.value", at[i].value, false);
            any = true;
        } else if (is(at[i].type, "email-dst") && list) {
            json_t *a = obj_sco("email-addr", at[i].uuid);
            json_object_set_new(a, "value", json_string(at[i].value));
            json_t *refs = json_object_get(m, list);
            if (!refs)
                json_object_set_new(m, list, refs = json_array());
            json_array_append(refs, json_object_get(a, "id"));
            json_array_append_new(addrs, a);
            char path[64];
            snprintf(path, sizeof path, "email-message:%s[*].value", list);
            misp_pattern_cmp(&f->pattern, path, at[i].value, false);
            any = true;
        } else if (is(at[i].rel, "subject") && !json_object_get(m, "subject")) {
            json_object_set_new(m, "subject", json_string(at[i].value));
            misp_pattern_cmp(&f->pattern, "email-message:subject", at[i].value, false);
            any = true;
        } else if (is(at[i].rel, "message-id") && !json_object_get(m, "message_id")) {
            json_object_set_new(m, "message_id", json_string(at[i].value));
            misp_pattern_cmp(&f->pattern, "email-message:message_id", at[i].value, false);
            any = true;
        }
    }
    if (any) {
        json_array_append_new(f->scos, m);
        size_t i;
        json_t *a;
        json_array_foreach(addrs, i, a) json_array_append(f->scos, a);
        f->form = MISP_FORM_SCO;
    } else {
        json_decref(m);
    }
    json_decref(addrs);
}

static json_t *vulnerability_object(struct misp_ev *ev, const char *uuid, struct oattr *at,
                                    size_t n, int64_t ts)
{
    const char *name = NULL, *summary = NULL;
    json_t *refs = json_array();
    for (size_t i = 0; i < n; i++) {
        if (is(at[i].rel, "id") && !name)
            name = at[i].value;
        else if (is(at[i].rel, "summary") && !summary)
            summary = at[i].value;
        else if (is(at[i].rel, "references"))
            json_array_append_new(refs,
                                  json_pack("{s:s,s:s}", "source_name", "url", "url", at[i].value));
    }
    if (!name) {
        json_decref(refs);
        return NULL;
    }
    if (!strncasecmp(name, "CVE-", 4))
        json_array_insert_new(refs, 0,
                              json_pack("{s:s,s:s}", "source_name", "cve", "external_id", name));
    char key[120], id[96];
    snprintf(key, sizeof key, "vulnerability:%s", uuid);
    misp_stix_id("vulnerability", key, id);
    json_t *v = misp_sdo(ev, "vulnerability", id, misp_created(ev, ts), ts);
    json_object_set_new(v, "name", json_string(name));
    if (summary)
        json_object_set_new(v, "description", json_string(summary));
    if (json_array_size(refs))
        json_object_set(v, "external_references", refs);
    json_decref(refs);
    return v;
}

static json_t *object_record(json_t *obj, const char *uuid, struct oattr *at, size_t n)
{
    json_t *rec = json_pack("{s:s}", "uuid", uuid);
    static const char *const keys[] = {
        "name",      "meta-category", "template_uuid", "template_version", "comment",
        "timestamp", "distribution",  "first_seen",    "last_seen",        NULL};
    for (const char *const *k = keys; *k; k++) {
        char rk[40];
        snprintf(rk, sizeof rk, "%s", *k);
        for (char *p = rk; *p; p++)
            if (*p == '-')
                *p = '_';
        misp_copy(rec, rk, obj, *k);
    }
    json_t *attrs = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(attrs, misp_attribute_record(at[i].attr, true));
    json_object_set_new(rec, "attributes", attrs);
    return rec;
}

static json_t *object_note(struct misp_ev *ev, const char *name, const char *uuid, struct oattr *at,
                           size_t n, int64_t ts)
{
    struct dbuf text;
    dbuf_init(&text, 64u << 20);
    for (size_t i = 0; i < n; i++)
        dbuf_printf(&text, "%s%s (%s): %s", i ? "\n" : "", at[i].rel ? at[i].rel : "-", at[i].type,
                    at[i].value);
    if (!text.len)
        dbuf_puts(&text, "(no attributes)");
    char key[120], id[96], abstract[200];
    snprintf(key, sizeof key, "note:%s", uuid);
    misp_stix_id("note", key, id);
    snprintf(abstract, sizeof abstract, "MISP %.100s object", name);
    json_t *note = misp_note(ev, id, abstract, text.ptr ? text.ptr : "", ts);
    dbuf_release(&text);
    return note;
}

void misp_map_object(struct misp_ev *ev, json_t *obj)
{
    char uuid[37], pos[200];
    const char *name = misp_str(obj, "name");
    bool have_uuid = misp_uuid_norm(json_object_get(obj, "uuid"), uuid);
    snprintf(pos, sizeof pos, "event %s, object %s", ev->uuid, have_uuid ? uuid : "(no uuid)");
    if (!json_is_object(obj) || !name || !*name || !have_uuid) {
        misp_count(ev->sum, "objects", name && *name ? name : "(no name)",
                   "skipped: no name or no valid uuid");
        misp_problem(ev->sum, ev->o->report, pos, "skipped: an object needs a name and a uuid");
        return;
    }
    if (misp_bool(obj, "deleted", false)) {
        misp_count(ev->sum, "objects", name, "skipped: deleted in MISP");
        return;
    }
    struct misp_scope scope;
    misp_scope_copy(&scope, &ev->scope);
    misp_scope_narrow(&scope, obj);
    json_t *list = json_object_get(obj, "Attribute");
    size_t cap = json_array_size(list), n = 0;
    struct oattr *at = calloc(cap + 1, sizeof *at);
    if (!at) {
        misp_count(ev->sum, "objects", name, "skipped: out of memory");
        misp_scope_release(&scope);
        return;
    }
    bool to_ids = false;
    int64_t ts = misp_epoch_us(obj, "timestamp", 0);
    size_t i;
    json_t *a;
    json_array_foreach(list, i, a)
    {
        struct oattr *o = &at[n];
        o->attr = a;
        o->type = misp_str(a, "type");
        o->rel = misp_str(a, "object_relation");
        o->value = misp_str(a, "value");
        if (!o->type || !o->value || !misp_uuid_norm(json_object_get(a, "uuid"), o->uuid)) {
            misp_count(ev->sum, "objects", name, "attribute skipped: no type, value or uuid");
            misp_problem(ev->sum, ev->o->report, pos,
                         "attribute %zu skipped: it needs a string type, value and a uuid", i);
            continue;
        }
        if (misp_bool(a, "deleted", false))
            continue;
        misp_scope_narrow(&scope, a);
        to_ids = to_ids || misp_bool(a, "to_ids", false);
        int64_t ats = misp_epoch_us(a, "timestamp", 0);
        ts = ats > ts ? ats : ts;
        n++;
    }
    if (!ts)
        ts = ev->ts_us;
    struct misp_value_form f;
    memset(&f, 0, sizeof f);
    dbuf_init(&f.pattern, 64u << 20);
    f.scos = json_array();
    json_t *c = NULL;
    if (!strcmp(name, "file"))
        file_object(uuid, at, n, &f);
    else if (!strcmp(name, "domain-ip"))
        domain_ip_object(at, n, &f);
    else if (!strcmp(name, "url"))
        url_object(uuid, at, n, &f);
    else if (!strcmp(name, "ip-port"))
        ip_port_object(uuid, at, n, &f);
    else if (!strcmp(name, "email"))
        email_object(uuid, at, n, &f);
    else if (!strcmp(name, "vulnerability"))
        c = vulnerability_object(ev, uuid, at, n, ts);
    char key[120], id[96];
    int64_t created = misp_created(ev, ts);
    if (f.form == MISP_FORM_SCO && to_ids) {
        snprintf(key, sizeof key, "indicator:%s", uuid);
        misp_stix_id("indicator", key, id);
        c = misp_sdo(ev, "indicator", id, created, ts);
        json_object_set_new(c, "pattern", json_sprintf("[%s]", f.pattern.ptr));
        json_object_set_new(c, "pattern_type", json_string("stix"));
        json_object_set_new(c, "pattern_version", json_string("2.1"));
        json_object_set_new(c, "valid_from", misp_ts(ts));
    } else if (f.form == MISP_FORM_SCO) {
        snprintf(key, sizeof key, "observed-data:%s", uuid);
        misp_stix_id("observed-data", key, id);
        c = misp_sdo(ev, "observed-data", id, created, ts);
        json_object_set_new(c, "first_observed", misp_ts(ts));
        json_object_set_new(c, "last_observed", misp_ts(ts));
        json_object_set_new(c, "number_observed", json_integer(1));
        json_t *refs = json_array();
        json_t *s;
        json_array_foreach(f.scos, i, s) json_array_append(refs, json_object_get(s, "id"));
        json_object_set_new(c, "object_refs", refs);
    }
    bool emit_scos = f.form == MISP_FORM_SCO && !to_ids;
    const char *comment = misp_str(obj, "comment");
    if (c && comment && *comment && strcmp(misp_str(c, "type"), "observed-data") != 0 &&
        !json_object_get(c, "description"))
        json_object_set_new(c, "description", json_string(comment));
    const char *outcome = c ? misp_str(c, "type") : "note";
    struct lia_err why;
    if (c) {
        char l[300];
        snprintf(l, sizeof l, "misp:name=\"%.200s\"", name);
        json_object_set_new(c, "labels", json_pack("[s]", l));
        misp_scope_apply(ev, &scope, c);
        misp_set_record(c, "object", object_record(obj, uuid, at, n));
        bool ok = misp_valid(c, &why);
        json_t *s;
        json_array_foreach(f.scos, i, s)
        {
            misp_scope_apply(ev, &scope, s);
            if (emit_scos)
                ok = ok && misp_valid(s, &why);
        }
        if (!ok) {
            misp_problem(ev->sum, ev->o->report, pos, "%s object kept as a note: %s", name,
                         why.msg);
            json_decref(c);
            c = NULL;
            emit_scos = false;
            outcome = "note (STIX form refused by the validator)";
        }
    }
    if (!c) {
        c = object_note(ev, name, uuid, at, n, ts);
        char l[300];
        snprintf(l, sizeof l, "misp:name=\"%.200s\"", name);
        json_object_set_new(c, "labels", json_pack("[s]", l));
        misp_scope_apply(ev, &scope, c);
        misp_set_record(c, "object", object_record(obj, uuid, at, n));
        if (!misp_valid(c, &why)) {
            misp_count(ev->sum, "objects", name, "skipped: not representable in STIX");
            misp_problem(ev->sum, ev->o->report, pos, "skipped: %s", why.msg);
            json_decref(c);
            c = NULL;
        }
    }
    if (c) {
        if (emit_scos) {
            json_t *s;
            json_array_foreach(f.scos, i, s) misp_emit(ev, json_incref(s));
        }
        char carrier[96];
        snprintf(carrier, sizeof carrier, "%s", misp_str(c, "id"));
        json_t *marks = json_object_get(c, "object_marking_refs");
        json_object_set_new(ev->carriers, uuid, json_string(carrier));
        json_object_set_new(ev->scopes, uuid, marks ? json_incref(marks) : json_array());
        for (size_t k = 0; k < n; k++) {
            json_object_set_new(ev->carriers, at[k].uuid, json_string(carrier));
            json_object_set_new(ev->scopes, at[k].uuid, marks ? json_incref(marks) : json_array());
        }
        misp_count(ev->sum, "objects", name, outcome);
        misp_emit(ev, c);
        for (size_t k = 0; k < n; k++)
            misp_map_galaxies(ev, at[k].attr, carrier, &scope);
    }
    misp_value_form_release(&f);
    misp_scope_release(&scope);
    free(at);
}

/* relationship_type: lowercase a-z, 0-9 and '-' (STIX 2.1 section 5.1). */
static void relationship_type(const char *in, char out[64])
{
    size_t o = 0;
    for (const char *p = in; *p && o < 63; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        out[o++] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c : '-';
    }
    out[o] = '\0';
    if (!o)
        snprintf(out, 64, "related-to");
}

void misp_map_references(struct misp_ev *ev, json_t *obj)
{
    char src_uuid[37];
    if (!misp_uuid_norm(json_object_get(obj, "uuid"), src_uuid))
        return;
    const char *src = json_string_value(json_object_get(ev->carriers, src_uuid));
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(obj, "ObjectReference"), i, r)
    {
        char tgt_uuid[37], ref_uuid[37], pos[200];
        const char *rtype = misp_str(r, "relationship_type");
        bool have_ref = misp_uuid_norm(json_object_get(r, "uuid"), ref_uuid);
        snprintf(pos, sizeof pos, "event %s, object %s, reference %zu", ev->uuid, src_uuid, i);
        if (!misp_uuid_norm(json_object_get(r, "referenced_uuid"), tgt_uuid) || !rtype) {
            misp_count(ev->sum, "references", "ObjectReference",
                       "skipped: no referenced_uuid or relationship_type");
            misp_problem(ev->sum, ev->o->report, pos,
                         "skipped: a reference needs a referenced_uuid and a relationship_type");
            continue;
        }
        const char *tgt = json_string_value(json_object_get(ev->carriers, tgt_uuid));
        if (!src || !tgt || misp_bool(r, "deleted", false)) {
            misp_count(ev->sum, "references", "ObjectReference",
                       src && tgt ? "skipped: deleted in MISP"
                                  : "skipped: an end is not in this event (or was not imported)");
            continue;
        }
        char key[200], id[96], rt[64];
        if (have_ref)
            snprintf(key, sizeof key, "relationship:%s", ref_uuid);
        else
            snprintf(key, sizeof key, "relationship:%s:%s:%.60s", src_uuid, tgt_uuid, rtype);
        misp_stix_id("relationship", key, id);
        relationship_type(rtype, rt);
        int64_t ts = misp_epoch_us(r, "timestamp", ev->ts_us);
        json_t *rel = misp_sdo(ev, "relationship", id, misp_created(ev, ts), ts);
        json_object_set_new(rel, "relationship_type", json_string(rt));
        json_object_set_new(rel, "source_ref", json_string(src));
        json_object_set_new(rel, "target_ref", json_string(tgt));
        /* Both ends' markings: the stricter TLP wins, REL TO markings intersect. */
        json_t *marks = json_array();
        json_t *ends[2] = {json_object_get(ev->scopes, src_uuid),
                           json_object_get(ev->scopes, tgt_uuid)};
        bool red = false;
        for (int e = 0; e < 2; e++) {
            size_t k, m;
            json_t *v, *w;
            json_array_foreach(ends[e], k, v)
            {
                bool dup = false;
                json_array_foreach(marks, m, w) dup = dup || json_equal(v, w);
                if (!dup)
                    json_array_append(marks, v);
                red = red || access_tlp_of_marking(json_string_value(v)) == STORE_TLP_RED;
            }
        }
        if (json_array_size(marks))
            json_object_set(rel, "object_marking_refs", marks);
        json_decref(marks);
        if (red && ev->o->sender_identity)
            json_object_set_new(rel, "extensions",
                                json_pack("{s:{s:s,s:[s]}}", ACCESS_EXT_HANDLING, "extension_type",
                                          "property-extension", "red_recipients",
                                          ev->o->sender_identity));
        json_t *rec = json_pack("{s:s,s:s,s:s}", "object_uuid", src_uuid, "referenced_uuid",
                                tgt_uuid, "relationship_type", rtype);
        if (have_ref)
            json_object_set_new(rec, "uuid", json_string(ref_uuid));
        const char *comment = misp_str(r, "comment");
        if (comment && *comment)
            json_object_set_new(rec, "comment", json_string(comment));
        misp_set_record(rel, "reference", rec);
        struct lia_err why;
        if (!misp_valid(rel, &why)) {
            misp_count(ev->sum, "references", "ObjectReference",
                       "skipped: refused by the validator");
            misp_problem(ev->sum, ev->o->report, pos, "skipped: %s", why.msg);
            json_decref(rel);
            continue;
        }
        misp_count(ev->sum, "references", "ObjectReference", "relationship");
        misp_emit(ev, rel);
    }
}
