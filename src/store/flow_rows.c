/*
 * What a flow or a location leaves beside its object row for the flows query (docs/flows.md):
 * a liaison-flow's commodities, ends, places passed through, times and grading; where a
 * location lies (place/: by its gazetteer id, else its administrative_area, country or
 * region), and every place it lies within. A location nobody can place leaves nothing: the
 * flows answer then names it by its id, unplaced, and never guesses.
 *
 * The containment index is loaded once per process, on the first flow or location, from the
 * gazetteer directory (LIAISON_GAZETTEER, else the data directory); should it fail to load,
 * objects are still stored, unplaced, and the failure is logged once.
 *
 * Here in the store (not in ingest/, which calls it for every version it stores) so that
 * migration 28 computes the same rows for the flows and locations stored before the flow
 * tables existed (schema.c).
 */
#include "store/store_int.h"

#include <pthread.h>
#include <string.h>

#include "place/place.h"
#include "stix/stix.h"

static pthread_once_t places_once = PTHREAD_ONCE_INIT;
static struct place_index *places;

static void load_places(void)
{
    char dir[4096];
    struct lia_err err;
    lia_err_clear(&err);
    if (place_index_load(place_default_dir(dir, sizeof dir), &places, &err)) {
        places = NULL;
        lia_log(LIA_LOG_WARN, "places_unavailable", "\"code\":\"%s\"", lia_rc_name(err.code));
    }
}

const struct place_index *store_places(void)
{
    pthread_once(&places_once, load_places);
    return places;
}

/* The country a place is named by on an edge: itself when it is a country, the nearest country
 * containing it (a city, an area, a curated region inside one country: northern Mali), else
 * itself (a region across countries: the Sahel). */
static place_id country_of(const struct place_index *ix, place_id p, const place_id *up, size_t n)
{
    if (place_type_of(ix, p) == PLACE_COUNTRY)
        return p;
    for (size_t i = 0; i < n; i++)
        if (place_type_of(ix, up[i]) == PLACE_COUNTRY)
            return up[i];
    return p;
}

static int placed(const struct place_index *ix, const char *loc, place_id p, bool from_object,
                  struct arena *a, struct store_placed *out)
{
    place_id up[PLACE_MAX_CONTAINERS];
    size_t n = place_containers(ix, p, up, PLACE_MAX_CONTAINERS);
    n = n < PLACE_MAX_CONTAINERS ? n : PLACE_MAX_CONTAINERS;
    const char **within = arena_alloc(a, (n + 1) * sizeof *within);
    if (!within)
        return LIA_ENOMEM;
    within[0] = place_key(ix, p);
    for (size_t i = 0; i < n; i++)
        within[i + 1] = place_key(ix, up[i]);
    *out = (struct store_placed){.loc = loc,
                                 .place = place_key(ix, p),
                                 .country = place_key(ix, country_of(ix, p, up, n)),
                                 .within = within,
                                 .n_within = n + 1,
                                 .from_object = from_object};
    return 0;
}

static int64_t seen(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    int64_t us = 0;
    int digits;
    if (json_is_string(v) &&
        stix_parse_timestamp(json_string_value(v), json_string_length(v), &us, &digits, NULL))
        us = 0;
    return us;
}

static const char *const *strings(json_t *arr, struct arena *a, size_t *n)
{
    *n = 0;
    const char **out = arena_alloc(a, (json_array_size(arr) + 1) * sizeof *out);
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e) if (out && json_is_string(e)) out[(*n)++] = json_string_value(e);
    return out;
}

int store_flow_rows(json_t *obj, const struct stix_info *info, struct arena *a,
                    struct store_object *so)
{
    bool flow = !strcmp(info->type, "liaison-flow");
    if (!flow && strcmp(info->type, "location"))
        return 0;
    const struct place_index *ix = store_places();
    if (!flow) { /* a location: where it lies, when it can be placed */
        struct place_match m;
        struct store_placed *p = arena_alloc(a, sizeof *p);
        if (!p)
            return LIA_ENOMEM;
        if (!ix || place_locate_json(ix, obj, &m, NULL))
            return 0;
        int rc = placed(ix, info->id, m.place, m.via != PLACE_VIA_ID, a, p);
        so->placed = p, so->n_placed = rc ? 0 : 1;
        return rc;
    }
    struct store_flow *f = arena_alloc(a, sizeof *f);
    struct store_placed *p =
        arena_alloc(a, (json_array_size(json_object_get(obj, "via_refs")) + 2) * sizeof *p);
    if (!f || !p)
        return LIA_ENOMEM;
    memset(f, 0, sizeof *f);
    f->what = strings(json_object_get(obj, "commodities"), a, &f->n_what);
    f->via_refs = strings(json_object_get(obj, "via_refs"), a, &f->n_via);
    if (!f->what || !f->via_refs)
        return LIA_ENOMEM;
    f->from_ref = json_string_value(json_object_get(obj, "from_ref"));
    f->to_ref = json_string_value(json_object_get(obj, "to_ref"));
    f->first_seen = seen(obj, "first_seen");
    f->last_seen = seen(obj, "last_seen");
    if (!f->last_seen)
        f->last_seen = f->first_seen ? f->first_seen : info->created_us;
    json_t *g = json_object_get(json_object_get(obj, "extensions"), STIX_EXT_GRADING);
    const char *sr = json_string_value(json_object_get(g, "source_reliability"));
    const char *ic = json_string_value(json_object_get(g, "information_credibility"));
    f->grade = sr && ic ? arena_printf(a, "%s%s", sr, ic) : "";
    if (!f->grade || !f->from_ref || !f->to_ref)
        return f->grade ? 0 : LIA_ENOMEM; /* validated: both ends are there */
    so->flow = f;
    /* Ends named by their gazetteer ids are placed from the id alone. */
    const char *refs[2] = {f->from_ref, f->to_ref};
    size_t n = 0;
    for (size_t i = 0; ix && i < 2 + f->n_via; i++) {
        const char *ref = i < 2 ? refs[i] : f->via_refs[i - 2];
        place_id at = place_by_stix_id(ix, ref);
        if (at != PLACE_NONE && placed(ix, ref, at, false, a, &p[n++]))
            return LIA_ENOMEM;
    }
    so->placed = p, so->n_placed = n;
    return 0;
}

struct stored_row {
    int64_t added, coll;
    const char *id, *type, *modified, *created_by_ref, *json;
};
static const struct store_field stored_fields[] = {
    FIELD(struct stored_row, added, 'i'),    FIELD(struct stored_row, coll, 'i'),
    FIELD(struct stored_row, id, 't'),       FIELD(struct stored_row, type, 't'),
    FIELD(struct stored_row, modified, 't'), FIELD(struct stored_row, created_by_ref, 't'),
    FIELD(struct stored_row, json, 't')};
STORE_ROW_FN(stored_row, stored_fields)

/* Migration 28 (schema.c): the flow and place rows of every flow and location version already
 * stored, in the order they were stored (a location's later version places it, as when it
 * was written), computed as store_put_objects computes them. Rows already there are kept (a
 * flow's rows are inserted once; a placement is the same again), so a store whose later
 * flows have their rows is completed, not doubled. Five hundred versions at a time. */
int store_fill_flow_rows(struct store_txn *t, struct lia_err *err)
{
    static const char next[] = "SELECT date_added, coll, id, type, modified_text, created_by_ref, "
                               "json FROM object WHERE date_added > ? AND type IN"
                               " ('liaison-flow', 'location') ORDER BY date_added LIMIT 500";
    int64_t after = INT64_MIN;
    int rc = 0;
    for (size_t n = 1; n && rc == 0;) {
        struct arena a;
        arena_init(&a, 0);
        struct stored_row *rows = NULL;
        struct store_args b;
        store_args_init(&b, &a);
        rc = store_args_add(&b, sv_int(after));
        rc = rc ? rc
                : store_list_text(t->conn, next, sizeof next - 1, &b, sizeof *rows, stored_row, &a,
                                  (void **)&rows, &n, "flow rows", err);
        for (size_t i = 0; i < n && rc == 0; i++) {
            after = rows[i].added;
            json_t *obj = rows[i].json ? json_loads(rows[i].json, 0, NULL) : NULL;
            if (!obj || !rows[i].id || !rows[i].type) {
                json_decref(obj);
                rc = lia_err_set(err, LIA_EIO, "the stored version %lld is not a JSON object",
                                 (long long)rows[i].added);
                break;
            }
            struct stix_info info = {.id = rows[i].id, .type = rows[i].type};
            json_t *created = json_object_get(obj, "created");
            int digits;
            if (json_is_string(created) &&
                stix_parse_timestamp(json_string_value(created), json_string_length(created),
                                     &info.created_us, &digits, NULL))
                info.created_us = 0;
            struct store_object so;
            memset(&so, 0, sizeof so);
            so.id = rows[i].id, so.type = rows[i].type, so.modified = rows[i].modified;
            so.created_by_ref = rows[i].created_by_ref;
            if (store_flow_rows(obj, &info, &a, &so))
                rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
            rc = rc ? rc : store_put_flow_rows(t, rows[i].coll, &so, rows[i].added, err);
            json_decref(obj);
        }
        arena_release(&a);
    }
    return rc;
}
