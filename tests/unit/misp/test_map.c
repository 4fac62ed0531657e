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

/* A SCO as compared with misp-stix's: without id and spec_version, references replaced by the
 * type they point to, and custom x_misp_ properties (which liaison does not write) left out
 * and counted. */
static json_t *sco_shape(json_t *sco, size_t *custom)
{
    json_t *o = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(sco, k, v)
    {
        size_t n = strlen(k);
        /* protocols: misp-stix guesses tcp, liaison says the layer the address shows */
        if (!strcmp(k, "id") || !strcmp(k, "spec_version") || !strcmp(k, "protocols"))
            continue;
        if (!strncmp(k, "x_misp_", 7)) {
            (*custom)++;
            continue;
        }
        if (n > 4 && !strcmp(k + n - 4, "_ref") && json_is_string(v)) {
            const char *id = json_string_value(v);
            json_object_set_new(
                o, k, json_stringn(id, strstr(id, "--") ? (size_t)(strstr(id, "--") - id) : 0));
        } else if (n > 5 && !strcmp(k + n - 5, "_refs")) {
            json_t *types = json_array();
            size_t i;
            json_t *r;
            json_array_foreach(v, i, r)
            {
                const char *id = json_string_value(r);
                json_array_append_new(
                    types,
                    json_stringn(id, strstr(id, "--") ? (size_t)(strstr(id, "--") - id) : 0));
            }
            json_object_set_new(o, k, types);
        } else if (!strcmp(k, "body_multipart")) {
            continue; /* compared through the pattern */
        } else {
            json_object_set(o, k, v);
        }
    }
    return o;
}

static bool is_sco(json_t *o)
{
    const char *t = json_string_value(json_object_get(o, "type"));
    static const char *const sdo[] = {"observed-data",
                                      "indicator",
                                      "relationship",
                                      "identity",
                                      "report",
                                      "grouping",
                                      "note",
                                      "extension-definition",
                                      "marking-definition",
                                      "vulnerability",
                                      "campaign",
                                      "threat-actor",
                                      NULL};
    for (const char *const *x = sdo; t && *x; x++)
        if (!strcmp(t, *x))
            return false;
    return t != NULL;
}

static json_t *of_type(json_t *list, const char *type)
{
    size_t i;
    json_t *o;
    json_array_foreach(
        list, i, o) if (!strcmp(json_string_value(json_object_get(o, "type")), type)) return o;
    return NULL;
}

/* misp-stix's pattern text with its slips against the STIX 2.1 patterning grammar corrected,
 * each counted: integers written as strings ('174'), a "\\%" escape the grammar does not have, a
 * list property walked without [*] (values.data), and a rule in another language (yara,
 * snort...) wrapped in brackets as if it were a STIX pattern. */
static char *corrected(json_t *ind, size_t *fixes)
{
    const char *p = json_string_value(json_object_get(ind, "pattern"));
    const char *pt = json_string_value(json_object_get(ind, "pattern_type"));
    struct dbuf b;
    dbuf_init(&b, 1u << 20);
    size_t n = strlen(p);
    bool rule = pt && strcmp(pt, "stix") != 0 && n >= 2 && p[0] == '[' && p[n - 1] == ']';
    if (rule) {
        dbuf_append(&b, p + 1, n - 2);
        (*fixes)++;
        return dbuf_detach(&b, NULL);
    }
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\\' && p[i + 1] == '\\' && p[i + 2] == '%') {
            i += 1; /* "\\%" -> "%" */
            (*fixes)++;
            continue;
        }
        if (!strncmp(p + i, "values.data", 11)) {
            dbuf_puts(&b, "values[*].data");
            i += 10;
            (*fixes)++;
            continue;
        }
        if (p[i] == '\'' && i > 2 && !strncmp(p + i - 2, "= ", 2)) {
            size_t k = i + 1;
            while (k < n && p[k] >= '0' && p[k] <= '9')
                k++;
            if (k > i + 1 && k < n && p[k] == '\'' &&
                strstr(p + i - 40 > p ? p + i - 40 : p, "port") != NULL) {
                dbuf_append(&b, p + i + 1, k - i - 1);
                i = k;
                (*fixes)++;
                continue;
            }
            if (k > i + 1 && k < n && p[k] == '\'' &&
                (strstr(p, ":number") || strstr(p, ":size"))) {
                dbuf_append(&b, p + i + 1, k - i - 1);
                i = k;
                (*fixes)++;
                continue;
            }
        }
        dbuf_append(&b, p + i, 1);
    }
    return dbuf_detach(&b, NULL);
}

/* Maps one attribute (with to_ids as given) in a minimal event; returns the objects made. */
static json_t *map_one(json_t *attr, bool to_ids)
{
    json_t *a = json_deep_copy(attr);
    json_object_set_new(a, "to_ids", json_boolean(to_ids));
    json_t *ev = json_pack("{s:s,s:s,s:s,s:s,s:[o]}", "uuid",
                           "e2e6a6ea-f69b-4d93-8564-f51d67cafe51", "info", "misp-stix mapping",
                           "date", "2020-10-25", "timestamp", "1603642920", "Attribute", a);
    struct misp_map_opts o = {0};
    json_t *out = json_array();
    struct lia_err err;
    if (misp_map_event(ev, &o, out, NULL, &err) != 0)
        fail_msg("%s", err.msg);
    json_decref(ev);
    return out;
}

/* misp-stix's documented attribute mapping against ours: SCOs (to_ids unset) and the pattern
 * (to_ids set). Prints the agreement and every difference. */
static void test_agreement_with_misp_stix(void **state)
{
    (void)state;
    json_t *doc = load("misp-stix/mapping/misp_attributes_to_stix21.json");
    size_t types = 0, sco_same = 0, sco_cases = 0, pat_same = 0, pat_cases = 0, sdo_same = 0,
           sdo_cases = 0, custom = 0, value_back = 0, value_cases = 0, pat_close = 0, pat_fixes = 0;
    const char *type;
    json_t *entry;
    printf("misp-stix attribute mapping vs liaison's (differences):\n");
    json_object_foreach(doc, type, entry)
    {
        types++;
        json_t *attr = json_object_get(entry, "MISP"), *want = json_object_get(entry, "STIX");
        if (!json_is_array(want))
            want = json_pack("[O]", want);
        else
            json_incref(want);
        json_t *observed = map_one(attr, false), *indicated = map_one(attr, true);
        json_t *their_ind = of_type(want, "indicator");
        json_t *their_sdo = NULL;
        size_t i;
        json_t *o;
        json_array_foreach(want, i, o)
        {
            const char *t = json_string_value(json_object_get(o, "type"));
            if (!strcmp(t, "vulnerability") || !strcmp(t, "campaign") || !strcmp(t, "threat-actor"))
                their_sdo = o;
        }
        if (their_sdo) {
            sdo_cases++;
            json_t *ours = of_type(observed, json_string_value(json_object_get(their_sdo, "type")));
            bool same = ours && json_equal(json_object_get(ours, "name"),
                                           json_object_get(their_sdo, "name"));
            sdo_same += same;
            if (!same)
                printf("  %-24s SDO: liaison makes no %s\n", type,
                       json_string_value(json_object_get(their_sdo, "type")));
        }
        /* SCOs: every SCO misp-stix writes, found among ours with the same properties. */
        size_t theirs = 0, found = 0;
        json_array_foreach(want, i, o)
        {
            if (!is_sco(o))
                continue;
            theirs++;
            json_t *shape = sco_shape(o, &custom);
            size_t k;
            json_t *m;
            bool hit = false;
            json_array_foreach(observed, k, m)
            {
                size_t ignored = 0;
                json_t *s2 = is_sco(m) ? sco_shape(m, &ignored) : NULL;
                json_object_del(s2, "object_marking_refs");
                hit = hit || (s2 && json_equal(shape, s2));
                json_decref(s2);
            }
            found += hit;
            if (!hit) {
                char *t = json_dumps(shape, JSON_COMPACT | JSON_SORT_KEYS);
                printf("  %-24s SCO differs: misp-stix %s\n", type, t);
                free(t);
            }
            json_decref(shape);
        }
        if (theirs) {
            sco_cases++;
            sco_same += found == theirs;
        }
        if (their_ind) {
            pat_cases++;
            json_t *ours = of_type(indicated, "indicator");
            const char *a = json_string_value(json_object_get(their_ind, "pattern"));
            const char *b = ours ? json_string_value(json_object_get(ours, "pattern")) : NULL;
            char *fixed = corrected(their_ind, &pat_fixes);
            bool same = b && !strcmp(a, b), close = b && !strcmp(fixed, b);
            pat_same += same;
            pat_close += close;
            if (!close)
                printf("  %-24s pattern: misp-stix %s\n  %-24s          liaison   %s\n", type, a,
                       "", b ? b : "(no indicator: kept as a note)");
            free(fixed);
        }
        /* The value comes back from the STIX alone (the record holds no copy). */
        json_t *carrier = NULL;
        json_array_foreach(observed, i, o) if (misp_record(o, "attribute")) carrier = o;
        if (carrier && strcmp(json_string_value(json_object_get(carrier, "type")), "note")) {
            value_cases++;
            value_back += !json_object_get(misp_record(carrier, "attribute"), "value");
        }
        json_decref(observed);
        json_decref(indicated);
        json_decref(want);
    }
    printf("misp-stix agreement over %zu documented attribute types:\n"
           "  observables: %zu of %zu types give the same SCOs (custom x_misp_ properties of "
           "theirs not written: %zu)\n"
           "  patterns:    %zu of %zu types give the same pattern text; %zu once misp-stix's %zu "
           "slips against the patterning grammar are corrected\n"
           "  SDOs:        %zu of %zu (vulnerability, campaign, threat-actor)\n"
           "  values given back by the STIX alone: %zu of %zu mapped types\n",
           types, sco_same, sco_cases, custom, pat_same, pat_cases, pat_close, pat_fixes, sdo_same,
           sdo_cases, value_back, value_cases);
    /* What was measured when this test was written: a regression fails it. */
    assert_true(sco_same >= 57);
    assert_true(pat_close >= 68);
    assert_int_equal(sdo_same, sdo_cases);
    json_decref(doc);
}

/* Every STIX pattern the mapping writes on the real data is read back by the reverse reader,
 * and gives the attribute's value back when the record does not keep it. */
static void test_patterns_read_back(void **state)
{
    (void)state;
    json_t *doc = load("events/pymisp/long_event.json");
    json_t *out = NULL;
    struct misp_summary sum;
    misp_summary_init(&sum);
    map_all_valid(json_object_get(doc, "Event"), &sum, &out);
    size_t i, patterns = 0;
    json_t *o;
    json_array_foreach(out, i, o)
    {
        const char *pt = json_string_value(json_object_get(o, "pattern_type"));
        if (!pt || strcmp(pt, "stix"))
            continue;
        patterns++;
        json_t *pairs = misp_pattern_pairs(json_string_value(json_object_get(o, "pattern")));
        if (!pairs)
            fail_msg("pattern not read back: %s", json_string_value(json_object_get(o, "pattern")));
        json_t *rec = misp_record(o, "attribute");
        if (rec && !json_object_get(rec, "value")) {
            struct arena a;
            arena_init(&a, 0);
            const char *v =
                misp_pairs_value(json_string_value(json_object_get(rec, "type")), pairs, &a);
            assert_non_null(v);
            arena_release(&a);
        }
        json_decref(pairs);
    }
    assert_true(patterns > 100);
    /* Escapes: a quote and a backslash survive. */
    struct dbuf b;
    dbuf_init(&b, 1024);
    misp_pattern_cmp(&b, "windows-registry-key:key", "HKLM\\it's", false);
    assert_string_equal(b.ptr, "windows-registry-key:key = 'HKLM\\\\it\\'s'");
    json_t *pairs = misp_pattern_pairs(
        "[windows-registry-key:key = 'HKLM\\\\it\\'s' AND autonomous-system:number = 174]");
    assert_non_null(pairs);
    assert_string_equal(json_string_value(json_array_get(json_array_get(pairs, 0), 1)),
                        "HKLM\\it's");
    assert_string_equal(json_string_value(json_array_get(json_array_get(pairs, 1), 1)), "174");
    json_decref(pairs);
    assert_null(misp_pattern_pairs("[a:b = 'x'] OR [c:d = 'y']"));
    assert_null(misp_pattern_pairs("[file:name = 'x\\%']"));
    assert_null(misp_pattern_pairs("[file:name = 'x'] WITHIN 5 SECONDS"));
    dbuf_release(&b);
    json_decref(out);
    json_decref(doc);
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
        cmocka_unit_test(test_agreement_with_misp_stix),
        cmocka_unit_test(test_patterns_read_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
