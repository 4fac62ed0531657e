/*
 * A watch's filters: validation when a watch is made, the stored JSON form, and the test of
 * one object version against them.
 *
 * Names are compared after the normalisation of text/ (harakat and tatweel dropped, alef
 * and hamza seats, alef maqsura and taa marbuta folded, Latin case and accents folded), with
 * every run of spaces and punctuation reduced to one space: "الدولة الإسلامية" and
 * "الدولة  الاسلاميه" are the same text here. A name-like text matches when it is a substring
 * of the normalised name, or of one alias (aliases, x_mitre_aliases), of the object: the data
 * decides which names meet, by listing them as aliases of one object. Several name-like texts
 * match when any does; a text-like text matches the description as well.
 *
 * Locations: a two-letter code matches an object whose "country" property is that code (a
 * location, or any object carrying one); a STIX region name matches an object whose "region"
 * is that region.
 */
#include "watch/watch_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "access/access.h"
#include "ingest/ingest.h"
#include "place/place.h"
#include "stix/stix.h"
#include "text/text.h"

/* The region-ov vocabulary of STIX 2.1 (section 10.24). */
static const char *const regions[] = {
    "africa",
    "eastern-africa",
    "middle-africa",
    "northern-africa",
    "southern-africa",
    "western-africa",
    "americas",
    "caribbean",
    "central-america",
    "latin-america-caribbean",
    "northern-america",
    "south-america",
    "asia",
    "central-asia",
    "eastern-asia",
    "southern-asia",
    "south-eastern-asia",
    "western-asia",
    "europe",
    "eastern-europe",
    "northern-europe",
    "southern-europe",
    "western-europe",
    "antarctica",
    "oceania",
    "australia-new-zealand",
    "melanesia",
    "micronesia",
    "polynesia",
};

static bool is_region(const char *v)
{
    for (size_t i = 0; i < sizeof regions / sizeof regions[0]; i++)
        if (!strcmp(regions[i], v))
            return true;
    return false;
}

static bool is_commodity(const char *v)
{
    return stix_is_flow_commodity(v, strlen(v));
}

#define FLOW_TYPE "liaison-flow"

/* A watch's into place: its gazetteer key, or LIA_EINVAL. */
static int into_place(const char *v, const char **key, struct lia_err *err)
{
    const struct place_index *ix = store_places();
    if (!ix)
        return lia_err_set(err, LIA_EUNSUPPORTED, "the containment index cannot be loaded");
    place_id p = place_find(ix, v);
    if (p == PLACE_NONE)
        return lia_err_set(err, LIA_EINVAL,
                           "into: unknown place '%.60s' (a gazetteer key such as region-sahel, "
                           "an ISO 3166 code, or a STIX region)",
                           v);
    *key = place_key(ix, p);
    return 0;
}

static bool is_country(const char *v)
{
    return strlen(v) == 2 && isalpha((unsigned char)v[0]) && isalpha((unsigned char)v[1]);
}

static bool known_type(const char *t)
{
    if (stix_is_known_type(t) || stix_is_liaison_type(t))
        return true;
    /* custom object types (STIX 2.1 section 11.1) */
    return !strncmp(t, "x-", 2) && stix_is_valid_type(t, strlen(t));
}

char *watch_normalize_name(const char *text, size_t len)
{
    struct dbuf norm;
    dbuf_init(&norm, 8 * len + 64);
    size_t n_cps = 0;
    struct lia_err err;
    lia_err_clear(&err);
    if (text_normalize(text, len, &norm, NULL, NULL, &n_cps, &err) != 0) {
        dbuf_release(&norm);
        return NULL;
    }
    char *out = malloc(norm.len + 1);
    size_t w = 0;
    bool gap = false;
    for (size_t i = 0; out && i < norm.len; i++) {
        unsigned char ch = (unsigned char)norm.ptr[i];
        if (ch < 0x80 && !isalnum(ch)) {
            gap = w > 0;
            continue;
        }
        if (gap)
            out[w++] = ' ';
        gap = false;
        out[w++] = (char)ch;
    }
    if (out)
        out[w] = '\0';
    dbuf_release(&norm);
    return out;
}

/* Reads a list of texts from spec into a JSON array, checking each with ok. */
static int add_list(json_t *q, const char *key, const char *const *vals, size_t n,
                    bool (*ok)(const char *), const char *what, bool lower, struct lia_err *err)
{
    if (n == 0)
        return 0;
    if (n > WATCH_MAX_VALUES)
        return lia_err_set(err, LIA_EINVAL, "at most %d %ss in one watch", WATCH_MAX_VALUES, what);
    json_t *arr = json_array();
    json_object_set_new(q, key, arr);
    for (size_t i = 0; i < n; i++) {
        char v[64];
        size_t len = strlen(vals[i]);
        if (len == 0 || len >= sizeof v)
            return lia_err_set(err, LIA_EINVAL, "unknown %s '%.80s'", what, vals[i]);
        for (size_t k = 0; k <= len; k++)
            v[k] = lower ? (char)tolower((unsigned char)vals[i][k]) : vals[i][k];
        if (lower && len > 2)
            for (char *p = v; *p; p++)
                if (*p == ' ' || *p == '_')
                    *p = '-';
        if (!ok(v))
            return lia_err_set(err, LIA_EINVAL, "unknown %s '%.80s'", what, vals[i]);
        json_array_append_new(arr, json_string(v));
    }
    return 0;
}

static bool location_ok(const char *v)
{
    return is_country(v) || is_region(v);
}

/* Texts matched after normalisation, OR-ed: "key": one text (as watches before issue 27
 * stored it) or a list of them. */
static int add_texts(json_t *q, const char *key, const char *const *vals, size_t n,
                     const char *what, struct lia_err *err)
{
    if (n > WATCH_MAX_VALUES)
        return lia_err_set(err, LIA_EINVAL, "at most %d %s texts in one watch", WATCH_MAX_VALUES,
                           what);
    json_t *arr = n > 1 ? json_array() : NULL;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(vals[i]);
        char *needle = len && len <= WATCH_MAX_TEXT ? watch_normalize_name(vals[i], len) : NULL;
        bool ok = needle && *needle;
        free(needle);
        if (!ok) {
            json_decref(arr);
            return lia_err_set(err, LIA_EINVAL,
                               "%s must be 1-%d bytes of UTF-8 text with a letter or digit", what,
                               WATCH_MAX_TEXT);
        }
        if (arr)
            json_array_append_new(arr, json_string(vals[i]));
        else
            json_object_set_new(q, key, json_string(vals[i]));
    }
    if (arr)
        json_object_set_new(q, key, arr);
    return 0;
}

/* Types whose objects never have a name (nor aliases): a name-like filter on them alone could
 * never fire. */
static const char *const nameless[] = {
    "artifact",
    "directory",
    "domain-name",
    "email-addr",
    "email-message",
    "ipv4-addr",
    "ipv6-addr",
    "mac-addr",
    "network-traffic",
    "note",
    "observed-data",
    "opinion",
    "process",
    "relationship",
    "sighting",
    "url",
    "windows-registry-key",
    "x509-certificate",
};

static bool in_list(const char *t, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(t, list[i]))
            return true;
    return false;
}

/* A watch whose filters exclude each other is refused with the reason, rather than kept
 * silent forever: the kinds of filter are AND-ed, so with types given, a location filter needs
 * a type that has a country or region (location, or a custom type), and a name-like one a type
 * that has a name. */
static int can_fire(const struct watch_spec *spec, struct lia_err *err)
{
    if (!spec->n_types)
        return 0;
    bool located = false, named = false;
    for (size_t i = 0; i < spec->n_types; i++) {
        const char *t = spec->types[i];
        bool custom = !stix_is_known_type(t) || !strncmp(t, "x-", 2);
        located = located || custom || !strcmp(t, "location");
        named = named || custom || !in_list(t, nameless, sizeof nameless / sizeof nameless[0]);
    }
    if (spec->n_locations && !located)
        return lia_err_set(err, LIA_EINVAL,
                           "this watch could never fire: a location filter selects objects with "
                           "a country or region (type location), and none of its types has one "
                           "(to follow %s in a country, watch the location objects, or drop "
                           "--location)",
                           spec->types[0]);
    if (spec->n_name_likes && !named)
        return lia_err_set(err, LIA_EINVAL,
                           "this watch could never fire: objects of type %s%s have no name or "
                           "aliases for name-like to match",
                           spec->types[0], spec->n_types > 1 ? " (and its other types)" : "");
    return 0;
}

int watch_query_build(const struct watch_spec *spec, char **json, struct lia_err *err)
{
    json_t *q = json_object();
    if (!q)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    int rc =
        add_list(q, "types", spec->types, spec->n_types, known_type, "object type", false, err);
    if (rc == 0)
        rc = add_list(q, "locations", spec->locations, spec->n_locations, location_ok,
                      "location (a two-letter country code or a STIX region)", true, err);
    if (rc == 0)
        rc = add_texts(q, "name_like", spec->name_likes, spec->n_name_likes, "name-like", err);
    if (rc == 0)
        rc = add_texts(q, "text_like", spec->text_likes, spec->n_text_likes, "text-like", err);
    if (rc == 0)
        rc = add_list(q, "what", spec->what, spec->n_what, is_commodity,
                      "commodity (flow-commodity-ov)", false, err);
    if (rc == 0 && spec->into) {
        const char *key = NULL;
        rc = into_place(spec->into, &key, err);
        if (rc == 0)
            json_object_set_new(q, "into", json_string(key));
    }
    if (rc == 0 && (spec->into || spec->n_what)) {
        /* They select flows: a type list, when given, must let flows in. */
        bool flows = spec->n_types == 0;
        for (size_t i = 0; i < spec->n_types && !flows; i++)
            flows = !strcmp(spec->types[i], FLOW_TYPE);
        if (!flows)
            rc = lia_err_set(err, LIA_EINVAL,
                             "into and what select flows: the types must "
                             "include " FLOW_TYPE);
    }
    if (rc == 0)
        rc = can_fire(spec, err);
    if (rc == 0 && spec->marking_at_most) {
        int tlp = access_tlp_parse(spec->marking_at_most);
        if (tlp < STORE_TLP_CLEAR)
            rc = lia_err_set(err, LIA_EINVAL,
                             "unknown marking '%.40s' (clear, green, amber, amber+strict, red)",
                             spec->marking_at_most);
        else
            json_object_set_new(q, "marking_at_most", json_string(access_tlp_name(tlp)));
    }
    if (rc == 0) {
        *json = json_dumps(q, JSON_COMPACT | JSON_SORT_KEYS);
        if (!*json)
            rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    }
    json_decref(q);
    return rc;
}

static size_t read_list(json_t *arr, const char **out)
{
    size_t n = 0, i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (json_is_string(v) && n < WATCH_MAX_VALUES)
            out[n++] = json_string_value(v);
    }
    return n;
}

/* One text or a list of them (add_texts), normalised into out. -1 when out of memory. */
static int read_texts(json_t *v, char **out, size_t *n)
{
    *n = 0;
    json_t *one = json_is_string(v) ? v : NULL;
    size_t count = one ? 1 : json_is_array(v) ? json_array_size(v) : 0;
    for (size_t i = 0; i < count && *n < WATCH_MAX_VALUES; i++) {
        json_t *e = one ? one : json_array_get(v, i);
        if (!json_is_string(e))
            continue;
        if (!(out[*n] = watch_normalize_name(json_string_value(e), json_string_length(e))))
            return -1;
        (*n)++;
    }
    return 0;
}

int watch_query_parse(const char *json, struct watch_query *q, struct lia_err *err)
{
    memset(q, 0, sizeof *q);
    q->max_tlp = STORE_TLP_NONE;
    q->root = json_loads(json, 0, NULL);
    if (!json_is_object(q->root)) {
        json_decref(q->root);
        q->root = NULL;
        return lia_err_set(err, LIA_EINVAL, "watch: stored query is not a JSON object");
    }
    q->n_types = read_list(json_object_get(q->root, "types"), q->types);
    q->n_locations = read_list(json_object_get(q->root, "locations"), q->locations);
    q->n_what = read_list(json_object_get(q->root, "what"), q->what);
    q->into = json_string_value(json_object_get(q->root, "into"));
    if (read_texts(json_object_get(q->root, "name_like"), q->needles, &q->n_needles) ||
        read_texts(json_object_get(q->root, "text_like"), q->text_needles, &q->n_text_needles)) {
        watch_query_release(q);
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    }
    const char *m = json_string_value(json_object_get(q->root, "marking_at_most"));
    if (m)
        q->max_tlp = access_tlp_parse(m);
    return 0;
}

void watch_query_release(struct watch_query *q)
{
    for (size_t i = 0; i < q->n_needles; i++)
        free(q->needles[i]);
    for (size_t i = 0; i < q->n_text_needles; i++)
        free(q->text_needles[i]);
    json_decref(q->root);
    memset(q, 0, sizeof *q);
}

static bool name_matches(const char *needle, json_t *v)
{
    if (!json_is_string(v))
        return false;
    char *norm = watch_normalize_name(json_string_value(v), json_string_length(v));
    bool hit = norm && strstr(norm, needle) != NULL;
    free(norm);
    return hit;
}

static bool any_name_matches(const char *needle, json_t *obj)
{
    if (name_matches(needle, json_object_get(obj, "name")))
        return true;
    static const char *const lists[] = {"aliases", "x_mitre_aliases"};
    for (size_t k = 0; k < 2; k++) {
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(obj, lists[k]), i, v)
        {
            if (name_matches(needle, v))
                return true;
        }
    }
    return false;
}

static bool location_matches(const char *loc, json_t *obj)
{
    const char *key = is_country(loc) ? "country" : "region";
    const char *v = json_string_value(json_object_get(obj, key));
    return v && !strcasecmp(v, loc);
}

bool watch_query_selects(const struct watch_query *q, const char *type, int tlp, json_t *obj)
{
    if (q->n_types) {
        bool hit = false;
        for (size_t i = 0; i < q->n_types && !hit; i++)
            hit = !strcmp(q->types[i], type);
        if (!hit)
            return false;
    }
    if (q->max_tlp != STORE_TLP_NONE && tlp > q->max_tlp)
        return false;
    if ((q->into || q->n_what) && strcmp(type, FLOW_TYPE))
        return false;
    if (q->n_what) {
        bool hit = false;
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(obj, "commodities"), i, v)
        {
            for (size_t k = 0; k < q->n_what && !hit && json_is_string(v); k++)
                hit = !strcmp(q->what[k], json_string_value(v));
        }
        if (!hit)
            return false;
    }
    if (q->n_locations) {
        bool hit = false;
        for (size_t i = 0; i < q->n_locations && !hit; i++)
            hit = location_matches(q->locations[i], obj);
        if (!hit)
            return false;
    }
    bool name_hit = !q->n_needles;
    for (size_t i = 0; i < q->n_needles && !name_hit; i++)
        name_hit = any_name_matches(q->needles[i], obj);
    bool text_hit = !q->n_text_needles;
    for (size_t i = 0; i < q->n_text_needles && !text_hit; i++)
        text_hit = any_name_matches(q->text_needles[i], obj) ||
                   name_matches(q->text_needles[i], json_object_get(obj, "description"));
    return name_hit && text_hit;
}

int watch_flow_into(struct store *s, const struct store_policy *p, const struct watch_query *q,
                    int64_t coll, int64_t date_added, bool *hit, struct lia_err *err)
{
    *hit = !q->into;
    struct arena a;
    arena_init(&a, 0);
    int rc = 0;
    for (int through = 0; through < 2 && !*hit && rc == 0; through++) {
        struct store_flow_query fq = {.into = through ? NULL : q->into,
                                      .through = through ? q->into : NULL,
                                      .only = date_added,
                                      .max_rows = 64};
        struct store_flow_row *rows;
        size_t n = 0;
        rc = store_query_flows(s, p, coll, &fq, &a, &rows, &n, err);
        if (rc == LIA_ENOTFOUND) { /* a collection the owner may not read */
            lia_err_clear(err);
            rc = 0;
        }
        *hit = n > 0;
    }
    arena_release(&a);
    return rc;
}
