/*
 * The gazetteer: places, armed groups and state bodies with every alias, loaded from the
 * TSV files of data/gazetteer/ (docs/intake.md describes the format) into hash tables.
 * The generated places come in several files (places-debian.tsv, places-debian-cities-N.tsv)
 * so that none is over 2 MiB.
 *
 * Aliases are normalised with the very tokeniser used for text, then stored under their
 * token sequence joined by single spaces; every shorter token prefix of a multi-token alias
 * is stored too (flag AL_PREFIX), so the matcher extends a candidate token by token with
 * one lookup each and never scans. When two entries claim the same alias, the first file
 * loaded wins (curated files load before generated ones); that is how الجزائر stays the
 * country while الجزائر العاصمة is Algiers. Everything lives in one arena, freed whole.
 */
#include "intake/intake_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int hmap_grow(struct hmap *m)
{
    size_t nc = m->cap ? m->cap * 2 : 1024;
    struct hslot *ns = calloc(nc, sizeof(*ns));
    if (!ns)
        return -1;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].key)
            continue;
        size_t j = m->slots[i].hash & (nc - 1);
        while (ns[j].key)
            j = (j + 1) & (nc - 1);
        ns[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = ns;
    m->cap = nc;
    return 0;
}

const struct hslot *hmap_get(const struct hmap *m, const char *key, size_t n)
{
    return hmap_get_h(m, key, n, text_hash(key, n));
}

const struct hslot *hmap_get_h(const struct hmap *m, const char *key, size_t n, uint32_t h)
{
    if (!m->cap)
        return NULL;
    size_t j = h & (m->cap - 1);
    while (m->slots[j].key) {
        const struct hslot *s = &m->slots[j];
        if (s->hash == h && s->klen == n && !memcmp(s->key, key, n))
            return s;
        j = (j + 1) & (m->cap - 1);
    }
    return NULL;
}

struct hslot *hmap_find(struct hmap *m, struct arena *a, const char *key, size_t n, bool create)
{
    struct hslot *s = (struct hslot *)hmap_get(m, key, n);
    if (s || !create)
        return s;
    if ((m->n + 1) * 2 > m->cap && hmap_grow(m) < 0)
        return NULL;
    char *k = arena_strndup(a, key, n);
    if (!k)
        return NULL;
    uint32_t h = text_hash(key, n);
    size_t j = h & (m->cap - 1);
    while (m->slots[j].key)
        j = (j + 1) & (m->cap - 1);
    m->slots[j] = (struct hslot){k, (uint32_t)n, h, -1, 0};
    m->n++;
    return &m->slots[j];
}

void hmap_release(struct hmap *m)
{
    free(m->slots);
    memset(m, 0, sizeof(*m));
}

const char *intake_type_name(enum intake_type t)
{
    static const char *names[] = {"country", "region", "admin1", "city", "group", "body"};
    return t < INTAKE_N_TYPES ? names[t] : "?";
}

static int type_from_name(const char *s)
{
    for (int t = 0; t < INTAKE_N_TYPES; t++)
        if (!strcmp(s, intake_type_name((enum intake_type)t)))
            return t;
    return -1;
}

/* Splits a TSV line in place into at most max cells; returns the count. */
static int split_tsv(char *line, char **cells, int max)
{
    int n = 0;
    char *p = line;
    while (n < max) {
        cells[n++] = p;
        char *tab = strchr(p, '\t');
        if (!tab)
            break;
        *tab = '\0';
        p = tab + 1;
    }
    for (int i = n; i < max; i++)
        cells[i] = "";
    return n;
}

static struct gz_entry *entry_for(struct intake_gazetteer *g, char **c, struct lia_err *err)
{
    struct hslot *s = hmap_find(&g->entry_by_key, &g->arena, c[0], strlen(c[0]), true);
    if (!s)
        return NULL;
    if (s->val >= 0) {
        struct gz_entry *e = &g->entries[s->val];
        if (!e->has_coord && c[4][0] && c[5][0]) {
            e->lat = strtod(c[4], NULL);
            e->lon = strtod(c[5], NULL);
            e->has_coord = true;
        }
        return e;
    }
    int t = type_from_name(c[1]);
    if (t < 0) {
        lia_err_set(err, LIA_EINVAL, "unknown type '%s' for '%s'", c[1], c[0]);
        return NULL;
    }
    if (g->n_entries == g->cap_entries) {
        size_t nc = g->cap_entries ? g->cap_entries * 2 : 512;
        struct gz_entry *v = realloc(g->entries, nc * sizeof(*v));
        if (!v)
            return NULL;
        g->entries = v;
        g->cap_entries = nc;
    }
    struct gz_entry *e = &g->entries[g->n_entries];
    memset(e, 0, sizeof(*e));
    e->key = s->key;
    e->type = (enum intake_type)t;
    e->name = arena_strndup(&g->arena, c[2], strlen(c[2]));
    e->country = arena_strndup(&g->arena, c[3], strlen(c[3]));
    e->info = arena_strndup(&g->arena, c[6], strlen(c[6]));
    for (int k = 0; k < N_HEAD_CLASSES; k++)
        e->body_of[k] = -1;
    if (c[4][0] && c[5][0]) {
        e->lat = strtod(c[4], NULL);
        e->lon = strtod(c[5], NULL);
        e->has_coord = true;
    }
    s->val = (int32_t)g->n_entries++;
    return e;
}

static int add_display_alias(struct intake_gazetteer *g, struct gz_entry *e, const char *a)
{
    for (size_t i = 0; i < e->n_aliases; i++)
        if (!strcmp(e->aliases[i], a))
            return 0;
    if ((e->n_aliases & (e->n_aliases - 1)) == 0) { /* grow at powers of two */
        size_t nc = e->n_aliases ? e->n_aliases * 2 : 1;
        const char **v = arena_alloc(&g->arena, nc * sizeof(*v));
        if (!v)
            return -1;
        if (e->n_aliases)
            memcpy(v, e->aliases, e->n_aliases * sizeof(*v));
        e->aliases = v;
    }
    e->aliases[e->n_aliases++] = arena_strndup(&g->arena, a, strlen(a));
    return 0;
}

bool intake_rule(const struct intake_gazetteer *g, char tag, const char *arg, const char *w,
                 size_t wn, int32_t *val)
{
    char key[512];
    size_t al = strlen(arg);
    if (al + wn + 3 > sizeof(key))
        return false;
    key[0] = tag;
    memcpy(key + 1, arg, al);
    key[1 + al] = '\x1f';
    memcpy(key + 2 + al, w, wn);
    const struct hslot *s = hmap_get(&g->rules, key, al + wn + 2);
    if (s && val)
        *val = s->val;
    return s != NULL;
}

static bool no_clitic(const void *g, const char *tok, size_t n)
{
    return intake_rule(g, 'S', "", tok, n, NULL);
}

int intake_clitic_candidates(const struct intake_gazetteer *g, const char *tok, size_t n,
                             struct text_clitic_cand *out, int max, bool alias_only)
{
    return text_clitic_readings(tok, n, out, max, alias_only ? g->alias_filter : NULL, no_clitic,
                                g);
}

static int add_rule(struct intake_gazetteer *g, char tag, const char *arg, const char *w,
                    int32_t val)
{
    size_t n;
    int nt;
    char *norm = text_normalize_phrase(&g->arena, w, strlen(w), &n, &nt, NULL);
    if (!norm)
        return 0;
    char key[512];
    size_t al = strlen(arg);
    if (al + n + 3 > sizeof(key))
        return 0;
    key[0] = tag;
    memcpy(key + 1, arg, al);
    key[1 + al] = '\x1f';
    memcpy(key + 2 + al, norm, n);
    struct hslot *s = hmap_find(&g->rules, &g->arena, key, al + n + 2, true);
    if (!s)
        return -1;
    s->val = val;
    return 0;
}

static int add_alias(struct intake_gazetteer *g, int32_t ei, const char *alias, bool context)
{
    size_t n;
    int nt;
    bool caps;
    char *norm = text_normalize_phrase(&g->arena, alias, strlen(alias), &n, &nt, &caps);
    if (!norm)
        return 0;
    if (add_display_alias(g, &g->entries[ei], alias) < 0)
        return -1;
    if (nt == 1 && intake_rule(g, 'N', "", norm, n, NULL))
        return 0; /* a common noun: never a name on its own */
    uint32_t flags = AL_FULL;
    if (context || (nt == 1 && intake_rule(g, 'C', "", norm, n, NULL)))
        flags |= AL_CONTEXT;
    if (caps && n <= 3)
        flags |= AL_CASE;
    for (size_t i = 0; i < n; i++) {
        if (norm[i] != ' ')
            continue;
        struct hslot *p = hmap_find(&g->aliases, &g->arena, norm, i, true);
        if (!p)
            return -1;
        p->flags |= AL_PREFIX;
    }
    struct hslot *s = hmap_find(&g->aliases, &g->arena, norm, n, true);
    if (!s)
        return -1;
    size_t first = strcspn(norm, " ");
    text_filter_add(g->alias_filter, text_hash(norm, first));
    if (s->flags & AL_FULL)
        return 0; /* an earlier file (or row) claimed it: first wins */
    s->flags |= flags;
    s->val = ei;
    g->n_aliases++;
    return 0;
}

typedef int (*row_fn)(struct intake_gazetteer *g, char **c, int nc, struct lia_err *err);

static int load_file(struct intake_gazetteer *g, const char *dir, const char *name, int ncols,
                     row_fn fn, struct lia_err *err)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
        return lia_err_set(err, LIA_EINVAL, "gazetteer path too long");
    char *buf;
    size_t len;
    int rc = lia_read_file(path, 64u << 20, &buf, &len, err);
    if (rc < 0)
        return lia_err_set(err, rc, "gazetteer: cannot read %s: %s", path, err->msg);
    bool header = true;
    size_t lineno = 0;
    char *p = buf, *end = buf + len;
    while (rc == 0 && p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *le = nl ? nl : end;
        lineno++;
        if (le > p && le[-1] == '\r')
            le[-1] = '\0';
        *le = '\0';
        if (*p && *p != '#') {
            if (header) {
                header = false;
            } else {
                char *c[12];
                int nc = split_tsv(p, c, ncols < 12 ? ncols : 12);
                rc = fn(g, c, nc, err);
                if (rc < 0 && !err->msg[0])
                    lia_err_set(err, rc, "out of memory");
                if (rc < 0)
                    lia_err_set(err, rc, "%s line %zu: %s", path, lineno, err->msg);
            }
        }
        p = le + 1;
    }
    free(buf);
    return rc;
}

static int rule_row(struct intake_gazetteer *g, char **c, int nc, struct lia_err *err)
{
    static const struct {
        const char *kind;
        char tag;
    } kinds[] = {{"trigger-before", 'B'}, {"trigger-after", 'A'}, {"trigger-prefix", 'P'},
                 {"block-after", 'K'},    {"never", 'N'},         {"context", 'C'},
                 {"no-clitic", 'S'},      {"head", 'H'},          {"verb", 'V'},
                 {"given-name", 'G'},     {"org-after", 'O'},     {"org-before", 'Q'}};
    static const char *classes[] = {"government", "armed-forces", "security-services"};
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        if (strcmp(c[0], kinds[k].kind))
            continue;
        int32_t val = 0;
        const char *arg = c[1];
        if (kinds[k].tag == 'H') {
            val = -1;
            for (int h = 0; h < N_HEAD_CLASSES; h++)
                if (!strcmp(c[1], classes[h]))
                    val = h;
            if (val < 0)
                return lia_err_set(err, LIA_EINVAL, "unknown head class '%s'", c[1]);
            arg = "";
        }
        return add_rule(g, kinds[k].tag, arg, c[3], val);
    }
    return lia_err_set(err, LIA_EINVAL, "unknown rule kind '%s'", c[0]);
}

static int entry_row(struct intake_gazetteer *g, char **c, int nc, struct lia_err *err)
{
    if (nc < 10)
        return lia_err_set(err, LIA_EINVAL, "expected 10 columns, found %d", nc);
    lia_err_clear(err);
    struct gz_entry *e = entry_for(g, c, err);
    if (!e)
        return err->code ? err->code : LIA_ENOMEM;
    return add_alias(g, (int32_t)(e - g->entries), c[8], c[9][0] == '1');
}

static int country_index(struct intake_gazetteer *g, const char *cc)
{
    char key[16] = "country-";
    size_t n = strlen(cc);
    if (n != 2)
        return -1;
    key[8] = (char)(cc[0] | 0x20);
    key[9] = (char)(cc[1] | 0x20);
    key[10] = '\0';
    const struct hslot *s = hmap_get(&g->entry_by_key, key, 10);
    return s ? s->val : -1;
}

static int demonym_row(struct intake_gazetteer *g, char **c, int nc, struct lia_err *err)
{
    int ci = country_index(g, c[0]);
    if (ci < 0)
        return lia_err_set(err, LIA_EINVAL, "demonym for unknown country '%s'", c[0]);
    uint32_t lang = !strcmp(c[1], "ar")   ? DM_AR
                    : !strcmp(c[1], "en") ? DM_EN
                    : !strcmp(c[1], "fr") ? DM_FR
                                          : 0;
    if (!lang)
        return lia_err_set(err, LIA_EINVAL, "demonym language '%s' is not ar, en or fr", c[1]);
    size_t n;
    int nt;
    bool caps;
    char *norm = text_normalize_phrase(&g->arena, c[2], strlen(c[2]), &n, &nt, &caps);
    if (!norm || nt != 1)
        return 0;
    struct hslot *s = hmap_find(&g->demonyms, &g->arena, norm, n, true);
    if (!s)
        return LIA_ENOMEM;
    if (s->val >= 0 && s->val != ci)
        return 0; /* a form two countries claim: the first keeps it */
    s->val = ci;
    s->flags |= lang | (c[3][0] == '1' ? AL_CONTEXT : 0) | (caps && n <= 3 ? AL_CASE : 0);
    return 0;
}

/* Every country with a demonym gets three identities that "<head> + nisba" phrases name. */
static int synthesise_bodies(struct intake_gazetteer *g, struct lia_err *err)
{
    static const char *cls[] = {"government", "armed-forces", "security-services"};
    static const char *label[] = {"government", "armed forces", "security services"};
    static const char *sector[] = {"government-national", "defense", "government-national"};
    for (size_t i = 0; i < g->demonyms.cap; i++) {
        const struct hslot *d = &g->demonyms.slots[i];
        if (!d->key)
            continue;
        int ci = d->val;
        for (int h = 0; h < N_HEAD_CLASSES; h++) {
            if (g->entries[ci].body_of[h] >= 0)
                continue;
            const char *cc = g->entries[ci].country;
            char key[64], name[256];
            snprintf(key, sizeof(key), "body-%c%c-%s", cc[0] | 0x20, cc[1] | 0x20, cls[h]);
            snprintf(name, sizeof(name), "%s %s", g->entries[ci].name, label[h]);
            char *c[10] = {key, "body", name, (char *)cc, "", "", (char *)sector[h], "", "", "0"};
            lia_err_clear(err);
            struct gz_entry *e = entry_for(g, c, err);
            if (!e)
                return err->code ? err->code : LIA_ENOMEM;
            g->entries[ci].body_of[h] = (int)(e - g->entries);
        }
    }
    return 0;
}

/* The generated city files, places-debian-cities-1.tsv, -2.tsv ... in order (the generator
 * cuts them under 2 MiB each, larger cities first). At least one must be there. */
static int load_city_files(struct intake_gazetteer *g, const char *dir, struct lia_err *err)
{
    int rc = 0, n = 0;
    for (int part = 1; rc == 0 && part < 1000; part++) {
        char name[64], path[4096];
        snprintf(name, sizeof(name), "places-debian-cities-%d.tsv", part);
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
            return lia_err_set(err, LIA_EINVAL, "gazetteer path too long");
        if (access(path, F_OK) != 0)
            break;
        rc = load_file(g, dir, name, 10, entry_row, err);
        n++;
    }
    if (rc == 0 && n == 0)
        return lia_err_set(err, LIA_EIO, "gazetteer: no %s/places-debian-cities-1.tsv", dir);
    return rc;
}

const char *intake_default_gazetteer_dir(char *buf, size_t bufsize)
{
    const char *env = getenv("LIAISON_GAZETTEER");
    if (env && *env)
        snprintf(buf, bufsize, "%s", env);
    else
        snprintf(buf, bufsize, "%s/gazetteer", LIAISON_DATA_DIR);
    return buf;
}

int intake_gazetteer_load(const char *dir, struct intake_gazetteer **out, struct lia_err *err)
{
    struct intake_gazetteer *g = calloc(1, sizeof(*g));
    if (!g)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    arena_init(&g->arena, 256u << 20);
    static const char *entry_files[] = {"places-curated.tsv", "groups.tsv", "bodies.tsv",
                                        "places-debian.tsv"};
    int rc = load_file(g, dir, "rules.tsv", 4, rule_row, err);
    for (size_t i = 0; rc == 0 && i < sizeof(entry_files) / sizeof(entry_files[0]); i++)
        rc = load_file(g, dir, entry_files[i], 10, entry_row, err);
    if (rc == 0)
        rc = load_city_files(g, dir, err);
    if (rc == 0)
        rc = load_file(g, dir, "demonyms.tsv", 4, demonym_row, err);
    if (rc == 0)
        rc = synthesise_bodies(g, err);
    if (rc == 0)
        rc = load_file(g, dir, "flows.tsv", 3, intake_flow_word_row, err);
    if (rc < 0) {
        intake_gazetteer_free(g);
        return rc;
    }
    *out = g;
    return 0;
}

void intake_gazetteer_free(struct intake_gazetteer *g)
{
    if (!g)
        return;
    hmap_release(&g->aliases);
    hmap_release(&g->entry_by_key);
    hmap_release(&g->demonyms);
    hmap_release(&g->rules);
    hmap_release(&g->flow_words);
    free(g->entries);
    arena_release(&g->arena);
    free(g);
}

size_t intake_gazetteer_entry_count(const struct intake_gazetteer *g)
{
    return g->n_entries;
}

size_t intake_gazetteer_alias_count(const struct intake_gazetteer *g)
{
    return g->n_aliases;
}
