/*
 * The containment index: data/gazetteer/containment.tsv loaded into arrays, with hash
 * tables from keys, codes, region-ov values and STIX ids to places. The file is the
 * generator's (scripts/containment-build), one line per place: key, type, code, ov, parents.
 *
 * Memory: the file's text (about 0.9 MB) plus 40 bytes per place. Loading takes one pass to
 * count, one to fill; the UUIDv5 of every key (SHA-1) is computed at load, so that a
 * location intake made is placed by its id alone (27,000 hashes: a few milliseconds).
 *
 * Walks up the DAG are breadth first with the places seen so far kept in a small array: a
 * place has at most a dozen containers, so a linear scan beats any set; a malformed file
 * with a cycle still ends, as nothing is visited twice.
 */
#include "place/place.h"

#include <ctype.h>
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CONTAINMENT_FILE "containment.tsv"
#define CONTAINMENT_MAX_BYTES (16u << 20)

struct place {
    const char *key, *code, *ov;
    uint32_t first_parent;
    uint16_t n_parents;
    uint8_t type;
    unsigned char uuid[16]; /* UUIDv5 of the key */
};

/* Open addressing, linear probing; slots hold place id + 1 (0 = empty). */
struct table {
    uint32_t *slots;
    size_t mask;
};

struct place_index {
    char *text;
    struct place *places;
    size_t n;
    place_id *parents;
    size_t n_parents;
    struct table by_key, by_code, by_ov, by_uuid;
};

static const unsigned char ns_liaison[16] = {0x8e, 0x4b, 0x2f, 0x61, 0x0c, 0x3d, 0x4a, 0x97,
                                             0xb5, 0x1e, 0x6a, 0x70, 0xd2, 0x39, 0xc4, 0x5f};

static void uuid5(const char *key, unsigned char out[16])
{
    unsigned char buf[16 + 256], digest[20];
    size_t kl = strnlen(key, 256);
    memcpy(buf, ns_liaison, 16);
    memcpy(buf + 16, key, kl);
    gnutls_hash_fast(GNUTLS_DIG_SHA1, buf, 16 + kl, digest);
    digest[6] = (unsigned char)((digest[6] & 0x0F) | 0x50);
    digest[8] = (unsigned char)((digest[8] & 0x3F) | 0x80);
    memcpy(out, digest, 16);
}

void place_stix_id(const char *stix_type, const char *key, char out[80])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char u[16];
    uuid5(key, u);
    char s[37];
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            s[o++] = '-';
        s[o++] = hex[u[i] >> 4];
        s[o++] = hex[u[i] & 15];
    }
    s[o] = '\0';
    snprintf(out, 80, "%s--%s", stix_type, s);
}

/* FNV-1a over n bytes, folding ASCII case when fold. */
static uint32_t hash(const void *p, size_t n, bool fold)
{
    const unsigned char *s = p;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= fold ? (unsigned char)toupper(s[i]) : s[i];
        h *= 16777619u;
    }
    return h;
}

static int table_init(struct table *t, size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    t->slots = calloc(cap, sizeof *t->slots);
    t->mask = cap - 1;
    return t->slots ? 0 : LIA_ENOMEM;
}

enum field { F_KEY, F_CODE, F_OV, F_UUID };

static bool same(const struct place *pl, enum field f, const void *k, size_t n)
{
    switch (f) {
    case F_KEY:
        return strlen(pl->key) == n && memcmp(pl->key, k, n) == 0;
    case F_CODE:
        return strlen(pl->code) == n && strncasecmp(pl->code, k, n) == 0;
    case F_OV:
        return strlen(pl->ov) == n && strncasecmp(pl->ov, k, n) == 0;
    default:
        return memcmp(pl->uuid, k, 16) == 0;
    }
}

static void table_put(struct table *t, const struct place_index *ix, enum field f, place_id id,
                      const void *k, size_t n)
{
    size_t i = hash(k, n, f == F_CODE || f == F_OV) & t->mask;
    while (t->slots[i]) {
        if (same(&ix->places[t->slots[i] - 1], f, k, n))
            return; /* the first place with this value keeps it */
        i = (i + 1) & t->mask;
    }
    t->slots[i] = (uint32_t)id + 1;
}

static place_id table_get(const struct table *t, const struct place_index *ix, enum field f,
                          const void *k, size_t n)
{
    if (!t->slots)
        return PLACE_NONE;
    size_t i = hash(k, n, f == F_CODE || f == F_OV) & t->mask;
    while (t->slots[i]) {
        if (same(&ix->places[t->slots[i] - 1], f, k, n))
            return (place_id)(t->slots[i] - 1);
        i = (i + 1) & t->mask;
    }
    return PLACE_NONE;
}

static int type_of(const char *s, uint8_t *out)
{
    static const char *const names[] = {"region", "country", "admin1", "city"};
    for (uint8_t i = 0; i < 4; i++)
        if (!strcmp(s, names[i])) {
            *out = i;
            return 0;
        }
    return -1;
}

/* Splits line (NUL-terminated) at tabs into at most n fields; returns how many. */
static size_t split(char *line, char **f, size_t n)
{
    size_t k = 0;
    f[k++] = line;
    for (char *p = line; *p && k < n; p++)
        if (*p == '\t') {
            *p = '\0';
            f[k++] = p + 1;
        }
    return k;
}

static int parse(struct place_index *ix, const char *path, struct lia_err *err)
{
    size_t lines = 0, words = 0;
    for (const char *p = ix->text; *p; p++) {
        lines += *p == '\n';
        words += *p == ' ';
    }
    ix->places = calloc(lines + 1, sizeof *ix->places);
    char **parent_text = calloc(lines + 1, sizeof *parent_text);
    if (!ix->places || !parent_text) {
        free(parent_text);
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    }
    bool header = false;
    size_t lineno = 0;
    int rc = 0;
    for (char *line = ix->text, *next; line && *line && !rc; line = next) {
        lineno++;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *f[5];
        if (split(line, f, 5) != 5) {
            rc = lia_err_set(err, LIA_EINVAL, "%s:%zu: expected 5 tab-separated fields", path,
                             lineno);
            break;
        }
        if (!header) {
            header = true;
            if (strcmp(f[0], "key") != 0)
                rc = lia_err_set(err, LIA_EINVAL, "%s:%zu: no header line", path, lineno);
            continue;
        }
        struct place *pl = &ix->places[ix->n];
        if (type_of(f[1], &pl->type))
            rc = lia_err_set(err, LIA_EINVAL, "%s:%zu: unknown place type \"%.20s\"", path, lineno,
                             f[1]);
        pl->key = f[0];
        pl->code = f[2];
        pl->ov = f[3];
        parent_text[ix->n++] = f[4];
    }
    if (!rc && !ix->n)
        rc = lia_err_set(err, LIA_EINVAL, "%s: no places", path);
    rc = rc ? rc : table_init(&ix->by_key, ix->n);
    rc = rc ? rc : table_init(&ix->by_code, ix->n);
    rc = rc ? rc : table_init(&ix->by_ov, ix->n);
    rc = rc ? rc : table_init(&ix->by_uuid, ix->n);
    ix->parents = rc ? NULL : calloc(words + ix->n + 1, sizeof *ix->parents);
    if (!rc && !ix->parents)
        rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < ix->n; i++) {
        struct place *pl = &ix->places[i];
        table_put(&ix->by_key, ix, F_KEY, (place_id)i, pl->key, strlen(pl->key));
        if (pl->code[0])
            table_put(&ix->by_code, ix, F_CODE, (place_id)i, pl->code, strlen(pl->code));
        if (pl->ov[0])
            table_put(&ix->by_ov, ix, F_OV, (place_id)i, pl->ov, strlen(pl->ov));
        uuid5(pl->key, pl->uuid);
        table_put(&ix->by_uuid, ix, F_UUID, (place_id)i, pl->uuid, 16);
    }
    for (size_t i = 0; !rc && i < ix->n; i++) {
        struct place *pl = &ix->places[i];
        pl->first_parent = (uint32_t)ix->n_parents;
        for (char *p = parent_text[i]; p && *p && !rc;) {
            size_t len = strcspn(p, " ");
            place_id q = table_get(&ix->by_key, ix, F_KEY, p, len);
            if (q == PLACE_NONE)
                rc = lia_err_set(err, LIA_EINVAL, "%s: %s lies in \"%.*s\", which is no place",
                                 path, pl->key, (int)(len > 60 ? 60 : len), p);
            else
                ix->parents[ix->n_parents++] = q;
            p += len + (p[len] == ' ');
        }
        pl->n_parents = (uint16_t)(ix->n_parents - pl->first_parent);
    }
    free(parent_text);
    return rc;
}

int place_index_load(const char *dir, struct place_index **out, struct lia_err *err)
{
    *out = NULL;
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, CONTAINMENT_FILE) >= (int)sizeof path)
        return lia_err_set(err, LIA_EINVAL, "gazetteer directory name too long");
    struct place_index *ix = calloc(1, sizeof *ix);
    if (!ix)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    size_t len;
    int rc = lia_read_file(path, CONTAINMENT_MAX_BYTES, &ix->text, &len, err);
    if (!rc)
        rc = parse(ix, path, err);
    if (rc) {
        place_index_free(ix);
        return rc;
    }
    *out = ix;
    return 0;
}

void place_index_free(struct place_index *ix)
{
    if (!ix)
        return;
    free(ix->by_key.slots);
    free(ix->by_code.slots);
    free(ix->by_ov.slots);
    free(ix->by_uuid.slots);
    free(ix->parents);
    free(ix->places);
    free(ix->text);
    free(ix);
}

size_t place_count(const struct place_index *ix)
{
    return ix->n;
}

place_id place_by_key(const struct place_index *ix, const char *key)
{
    return key ? table_get(&ix->by_key, ix, F_KEY, key, strlen(key)) : PLACE_NONE;
}

place_id place_by_code(const struct place_index *ix, const char *code)
{
    return code && code[0] ? table_get(&ix->by_code, ix, F_CODE, code, strlen(code)) : PLACE_NONE;
}

place_id place_by_region_ov(const struct place_index *ix, const char *ov)
{
    return ov && ov[0] ? table_get(&ix->by_ov, ix, F_OV, ov, strlen(ov)) : PLACE_NONE;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

place_id place_by_stix_id(const struct place_index *ix, const char *id)
{
    const char *dd = id ? strstr(id, "--") : NULL;
    if (!dd || strlen(dd + 2) != 36)
        return PLACE_NONE;
    unsigned char u[16];
    const char *s = dd + 2;
    for (int i = 0, k = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return PLACE_NONE;
            continue;
        }
        int hi = hexval(s[i]), lo = hexval(s[i + 1]);
        if (hi < 0 || lo < 0)
            return PLACE_NONE;
        u[k++] = (unsigned char)(hi << 4 | lo);
        i++;
    }
    return table_get(&ix->by_uuid, ix, F_UUID, u, 16);
}

const char *place_key(const struct place_index *ix, place_id p)
{
    return p >= 0 && (size_t)p < ix->n ? ix->places[p].key : "";
}

const char *place_code(const struct place_index *ix, place_id p)
{
    return p >= 0 && (size_t)p < ix->n ? ix->places[p].code : "";
}

enum place_type place_type_of(const struct place_index *ix, place_id p)
{
    return p >= 0 && (size_t)p < ix->n ? (enum place_type)ix->places[p].type : PLACE_REGION;
}

/* Breadth-first walk up from p; stops early when stop is found. Returns the count found
 * (all of them, even past max; those past PLACE_MAX_CONTAINERS are not walked further). */
static size_t walk(const struct place_index *ix, place_id p, place_id stop, place_id *out,
                   size_t max, bool *found)
{
    place_id seen[PLACE_MAX_CONTAINERS];
    size_t n = 0, head = 0, total = 0;
    *found = false;
    if (p < 0 || (size_t)p >= ix->n)
        return 0;
    place_id cur = p;
    for (;;) {
        const struct place *pl = &ix->places[cur];
        for (uint16_t k = 0; k < pl->n_parents; k++) {
            place_id q = ix->parents[pl->first_parent + k];
            bool dup = q == p;
            for (size_t j = 0; j < n && !dup; j++)
                dup = seen[j] == q;
            if (dup)
                continue;
            if (q == stop) {
                *found = true;
                return total;
            }
            if (out && total < max)
                out[total] = q;
            total++;
            if (n < PLACE_MAX_CONTAINERS)
                seen[n++] = q;
        }
        if (head == n)
            return total;
        cur = seen[head++];
    }
}

bool place_within(const struct place_index *ix, place_id a, place_id b)
{
    if (a < 0 || b < 0 || (size_t)a >= ix->n || (size_t)b >= ix->n)
        return false;
    if (a == b)
        return true;
    bool found;
    walk(ix, a, b, NULL, 0, &found);
    return found;
}

size_t place_containers(const struct place_index *ix, place_id p, place_id *out, size_t max)
{
    bool found;
    return walk(ix, p, PLACE_NONE, out, max, &found);
}

const char *place_via_name(enum place_via v)
{
    static const char *const names[] = {"id", "administrative_area", "country", "region"};
    return names[v];
}

int place_locate(const struct place_index *ix, const struct place_location *loc,
                 struct place_match *m, struct lia_err *err)
{
    memset(m, 0, sizeof *m);
    m->place = PLACE_NONE;
    const char *what = loc->id && loc->id[0] ? loc->id : "the location";
    place_id p = loc->id ? place_by_stix_id(ix, loc->id) : PLACE_NONE;
    if (p != PLACE_NONE && strncmp(loc->id, "location--", 10) == 0) {
        m->place = p;
        m->via = PLACE_VIA_ID;
        return 0;
    }
    struct {
        const char *value, *name;
        enum place_via via;
        enum place_type type;
    } props[] = {
        {loc->administrative_area, "administrative_area", PLACE_VIA_ADMINISTRATIVE_AREA,
         PLACE_ADMIN1},
        {loc->country, "country", PLACE_VIA_COUNTRY, PLACE_COUNTRY},
        {loc->region, "region", PLACE_VIA_REGION, PLACE_REGION},
    };
    size_t used = 0;
    for (size_t i = 0; i < 3; i++) {
        const char *v = props[i].value;
        if (!v || !v[0])
            continue;
        p = props[i].via == PLACE_VIA_REGION ? place_by_region_ov(ix, v) : place_by_code(ix, v);
        if (p != PLACE_NONE && place_type_of(ix, p) == props[i].type) {
            m->place = p;
            m->via = props[i].via;
            return 0;
        }
        used += (size_t)snprintf(m->note + used, sizeof m->note - used,
                                 "%s%s \"%.40s\" is not known", used ? "; " : "", props[i].name, v);
        if (used >= sizeof m->note)
            used = sizeof m->note - 1;
    }
    if (!used)
        return lia_err_set(err, PLACE_EUNPLACED,
                           "%s is not placed: it has no administrative_area, country or region "
                           "liaison can read, and its id is not one of the gazetteer's",
                           what);
    return lia_err_set(err, PLACE_EUNPLACED, "%s is not placed: %s", what, m->note);
}

int place_locate_json(const struct place_index *ix, json_t *location, struct place_match *m,
                      struct lia_err *err)
{
    struct place_location loc = {
        .id = json_string_value(json_object_get(location, "id")),
        .administrative_area = json_string_value(json_object_get(location, "administrative_area")),
        .country = json_string_value(json_object_get(location, "country")),
        .region = json_string_value(json_object_get(location, "region")),
    };
    return place_locate(ix, &loc, m, err);
}

const char *place_default_dir(char *buf, size_t size)
{
    const char *env = getenv("LIAISON_GAZETTEER");
    snprintf(buf, size, "%s%s", env && *env ? env : LIAISON_DATA_DIR,
             env && *env ? "" : "/gazetteer");
    return buf;
}

place_id place_find(const struct place_index *ix, const char *text)
{
    place_id p = place_by_key(ix, text);
    if (p == PLACE_NONE && strlen(text) <= 8)
        p = place_by_code(ix, text);
    return p == PLACE_NONE ? place_by_region_ov(ix, text) : p;
}
