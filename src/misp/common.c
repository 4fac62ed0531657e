/*
 * What every file of the MISP mapping needs: ids derived from MISP UUIDs (UUIDv5, RFC 4122
 * section 4.3, SHA-1 from GnuTLS as intake does), MISP's loosely typed members (numbers and
 * flags arrive as strings, integers or booleans depending on the exporter), timestamps, the
 * record extension, and the import summary.
 */
#include "misp/misp_int.h"

#include <gnutls/crypto.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "stix/stix.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void misp_uuid5(const char *name, char out[37])
{
    /* MISP_NAMESPACE as bytes. */
    static const unsigned char ns[16] = {0x7f, 0x20, 0x22, 0x4f, 0x14, 0x75, 0x4f, 0x5e,
                                         0xaf, 0x76, 0x5c, 0x01, 0xd1, 0x25, 0x03, 0x54};
    unsigned char digest[20];
    gnutls_hash_hd_t h;
    if (gnutls_hash_init(&h, GNUTLS_DIG_SHA1) != 0) {
        memset(digest, 0, sizeof digest);
    } else {
        gnutls_hash(h, ns, 16);
        gnutls_hash(h, name, strlen(name));
        gnutls_hash_deinit(h, digest);
    }
    digest[6] = (unsigned char)((digest[6] & 0x0F) | 0x50);
    digest[8] = (unsigned char)((digest[8] & 0x3F) | 0x80);
    static const char hex[] = "0123456789abcdef";
    char u[37];
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            u[o++] = '-';
        u[o++] = hex[digest[i] >> 4];
        u[o++] = hex[digest[i] & 15];
    }
    u[o] = '\0';
    memcpy(out, u, 37);
}

void misp_stix_id(const char *type, const char *name, char out[96])
{
    char u[37];
    misp_uuid5(name, u);
    snprintf(out, 96, "%.50s--%s", type, u);
}

bool misp_uuid_norm(json_t *v, char out[37])
{
    const char *s = json_string_value(v);
    if (!s || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : hexval(s[i]) < 0)
            return false;
        out[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] + 32 : s[i]);
    }
    out[36] = '\0';
    return true;
}

const char *misp_str(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

void misp_copy(json_t *dst, const char *key, json_t *src, const char *from)
{
    json_t *v = json_object_get(src, from);
    if (json_is_string(v))
        json_object_set(dst, key, v);
    else if (json_is_integer(v))
        json_object_set_new(dst, key, json_sprintf("%lld", (long long)json_integer_value(v)));
}

int64_t misp_int(json_t *obj, const char *key, int64_t def)
{
    json_t *v = json_object_get(obj, key);
    int64_t n;
    if (json_is_integer(v))
        return json_integer_value(v);
    if (json_is_string(v) &&
        lia_parse_i64(json_string_value(v), json_string_length(v), 0, INT64_MAX / 2, &n) == 0)
        return n;
    return def;
}

bool misp_bool(json_t *obj, const char *key, bool def)
{
    json_t *v = json_object_get(obj, key);
    if (json_is_boolean(v))
        return json_is_true(v);
    if (json_is_integer(v))
        return json_integer_value(v) != 0;
    const char *s = json_string_value(v);
    if (s && (!strcmp(s, "1") || !strcmp(s, "true")))
        return true;
    if (s && (!strcmp(s, "0") || !strcmp(s, "false")))
        return false;
    return def;
}

int64_t misp_epoch_us(json_t *obj, const char *key, int64_t def)
{
    int64_t s = misp_int(obj, key, -1);
    /* 0 is MISP's "never" (publish_timestamp of an unpublished event); past 9999 is not a time
     * STIX can write. */
    if (s <= 0 || s > 253402300799)
        return def;
    return s * 1000000;
}

int64_t misp_date_us(const char *s)
{
    if (!s || strlen(s) != 10)
        return 0;
    char ts[32];
    snprintf(ts, sizeof ts, "%sT00:00:00Z", s);
    int64_t us;
    int digits;
    struct lia_err e;
    return stix_parse_timestamp(ts, strlen(ts), &us, &digits, &e) == 0 && us >= 0 ? us : 0;
}

json_t *misp_ts(int64_t us)
{
    char t[32];
    lia_format_ts(us, 3, t);
    return json_string(t);
}

void misp_set_record(json_t *obj, const char *key, json_t *rec)
{
    json_t *exts = json_object_get(obj, "extensions");
    if (!exts) {
        exts = json_object();
        json_object_set_new(obj, "extensions", exts);
    }
    json_t *ext = json_object_get(exts, MISP_EXT_ID);
    if (!ext) {
        ext = json_pack("{s:s}", "extension_type", "property-extension");
        json_object_set_new(exts, MISP_EXT_ID, ext);
    }
    json_object_set_new(ext, key, rec);
}

json_t *misp_record(json_t *obj, const char *key)
{
    return json_object_get(json_object_get(json_object_get(obj, "extensions"), MISP_EXT_ID), key);
}

json_t *misp_sdo(struct misp_ev *ev, const char *type, const char *id, int64_t created_us,
                 int64_t modified_us)
{
    json_t *o = json_pack("{s:s,s:s,s:s}", "type", type, "spec_version", "2.1", "id", id);
    if (ev && ev->creator[0] && strcmp(type, "marking-definition") != 0)
        json_object_set_new(o, "created_by_ref", json_string(ev->creator));
    json_object_set_new(o, "created", misp_ts(created_us));
    if (strcmp(type, "marking-definition") != 0)
        json_object_set_new(o, "modified",
                            misp_ts(modified_us < created_us ? created_us : modified_us));
    return o;
}

json_t *misp_sco(const char *type, const char *id)
{
    return json_pack("{s:s,s:s,s:s}", "type", type, "spec_version", "2.1", "id", id);
}

void misp_emit(struct misp_ev *ev, json_t *obj)
{
    const char *id = misp_str(obj, "id");
    if (!id || json_object_get(ev->seen, id)) {
        json_decref(obj);
        return;
    }
    json_object_set_new(ev->seen, id, json_true());
    json_array_append_new(ev->refs, json_string(id));
    json_array_append_new(ev->objects, obj);
}

json_t *misp_tag_names(json_t *item)
{
    json_t *names = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(item, "Tag"), i, t)
    {
        const char *n = misp_str(t, "name");
        if (n && *n)
            json_array_append_new(names, json_string(n));
    }
    json_array_foreach(json_object_get(item, "EventTag"), i, t)
    {
        const char *n = misp_str(json_object_get(t, "Tag"), "name");
        if (n && *n)
            json_array_append_new(names, json_string(n));
    }
    return names;
}

void misp_summary_init(struct misp_summary *s)
{
    memset(s, 0, sizeof *s);
    s->counts = json_object();
    s->problems = json_array();
}

void misp_summary_release(struct misp_summary *s)
{
    json_decref(s->counts);
    json_decref(s->problems);
    memset(s, 0, sizeof *s);
}

void misp_count(struct misp_summary *s, const char *group, const char *key, const char *outcome)
{
    if (!s)
        return;
    json_t *g = json_object_get(s->counts, group);
    if (!g)
        json_object_set_new(s->counts, group, g = json_object());
    json_t *k = json_object_get(g, key);
    if (!k)
        json_object_set_new(g, key, k = json_object());
    json_t *n = json_object_get(k, outcome);
    json_object_set_new(k, outcome, json_integer(n ? json_integer_value(n) + 1 : 1));
}

void misp_problem(struct misp_summary *s, FILE *report, const char *position, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (report)
        fprintf(report, "misp import: %s: %s\n", position, msg);
    if (!s)
        return;
    s->problems_total++;
    if (json_array_size(s->problems) < MISP_MAX_PROBLEMS)
        json_array_append_new(s->problems,
                              json_pack("{s:s,s:s}", "position", position, "error", msg));
}

char *misp_summary_json(const struct misp_summary *s)
{
    json_t *o = json_pack("{s:I,s:I,s:{s:I,s:I,s:I},s:O,s:I,s:O}", "events", (json_int_t)s->events,
                          "events_malformed", (json_int_t)s->events_malformed, "stix", "stored",
                          (json_int_t)s->objects_stored, "existed", (json_int_t)s->objects_existed,
                          "refused", (json_int_t)s->objects_refused, "counts", s->counts,
                          "problems_total", (json_int_t)s->problems_total, "problems", s->problems);
    char *text = o ? json_dumps(o, JSON_INDENT(1) | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    return text;
}

void misp_summary_print(const struct misp_summary *s, FILE *out)
{
    fprintf(out,
            "events: %llu imported, %llu malformed\n"
            "STIX objects: %llu new, %llu already held, %llu refused\n",
            (unsigned long long)s->events, (unsigned long long)s->events_malformed,
            (unsigned long long)s->objects_stored, (unsigned long long)s->objects_existed,
            (unsigned long long)s->objects_refused);
    static const char *const groups[] = {"attributes", "objects", "references",
                                         "galaxies",   "tags",    NULL};
    for (const char *const *g = groups; *g; g++) {
        json_t *grp = json_object_get(s->counts, *g);
        if (!grp || !json_object_size(grp))
            continue;
        fprintf(out, "%s (MISP type -> what it became):\n", *g);
        const char *key;
        json_t *outcomes;
        json_object_foreach(grp, key, outcomes)
        {
            fprintf(out, "  %-28s", key);
            const char *what;
            json_t *n;
            bool first = true;
            json_object_foreach(outcomes, what, n)
            {
                fprintf(out, "%s%s %lld", first ? " " : ", ", what,
                        (long long)json_integer_value(n));
                first = false;
            }
            fputc('\n', out);
        }
    }
    if (s->problems_total)
        fprintf(out, "problems: %llu (listed above as they happened)\n",
                (unsigned long long)s->problems_total);
}
