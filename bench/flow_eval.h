/*
 * The flow evaluation (tests/intake/flows/{dev,heldout}/{ar,en,fr}.txt, docs/flows.md),
 * shared by the ctest check (tests/unit/intake/test_flow_eval.c) and `make bench`
 * (bench/intake_bench.c). Header-only, like intake_eval.h.
 *
 * Each item is scored as a set of triples what:from>to (gazetteer keys): one per commodity
 * of each flow intake drafts, against the item's labels. A triple counts once per item.
 */
#ifndef LIAISON_FLOW_EVAL_H
#define LIAISON_FLOW_EVAL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake/intake.h"
#include "stix/stix.h"

struct flow_counts {
    size_t tp, fp, fn, items;
};

/* The next triple of a ';'-separated list at *p (spaces trimmed): its start and length, or
 * NULL at the end. */
static const char *flow_next(const char **p, size_t *len)
{
    const char *q = *p;
    while (*q == ' ' || *q == ';')
        q++;
    size_t l = strcspn(q, ";");
    *p = q + l;
    while (l && q[l - 1] == ' ')
        l--;
    *len = l;
    return *q ? q : NULL;
}

/* True when triple t is one of the ';'-separated triples of list (spaces ignored). */
static int flow_in_list(const char *list, const char *t)
{
    size_t n = strlen(t), l;
    for (const char *p = list, *q; (q = flow_next(&p, &l));)
        if (l == n && !memcmp(q, t, n))
            return 1;
    return 0;
}

/* The triples of res, into buf as "a;b;c" (each once). */
static void flow_triples(const struct intake_result *res, char *buf, size_t size)
{
    size_t nc, used = 0;
    const char *const *comm = stix_flow_commodities(&nc);
    buf[0] = '\0';
    for (size_t i = 0; i < res->n_flows; i++) {
        const struct intake_flow *f = &res->flows[i];
        for (size_t c = 0; c < nc; c++) {
            if (!(f->commodities >> c & 1))
                continue;
            char t[300];
            snprintf(t, sizeof t, "%s:%s>%s", comm[c], res->entities[f->from].key,
                     res->entities[f->to].key);
            if (flow_in_list(buf, t))
                continue;
            int k = snprintf(buf + used, size - used, "%s%s", used ? ";" : "", t);
            if (k > 0 && (size_t)k < size - used)
                used += (size_t)k;
        }
    }
}

static void flow_score(const char *found, const char *expected, struct flow_counts *c, FILE *report,
                       const char *id)
{
    for (int pass = 0; pass < 2; pass++) {
        const char *list = pass ? expected : found, *other = pass ? found : expected;
        size_t l;
        for (const char *p = list, *q; (q = flow_next(&p, &l));) {
            if (!l || (l == 1 && *q == '-'))
                break;
            char t[300];
            snprintf(t, sizeof t, "%.*s", (int)l, q);
            int hit = flow_in_list(other, t);
            if (!pass && hit)
                c->tp++;
            else if (!pass)
                c->fp++;
            else if (!hit)
                c->fn++;
            if (report && !hit)
                fprintf(report, "  %s: %s %s\n", id, pass ? "missed" : "false positive", t);
        }
    }
}

/* Scores every item of path (language lang); report (may be NULL) gets each error. */
static int flow_eval_file(const struct intake_gazetteer *g, const char *path, enum intake_lang lang,
                          struct flow_counts *c, FILE *report)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "flow eval: cannot open %s\n", path);
        return -1;
    }
    static char line[65536], text[65536], expected[4096], id[64];
    size_t tlen = 0;
    int have = 0, rc = 0;
    for (;;) {
        char *got = fgets(line, sizeof line, f);
        if (!got || !strncmp(line, "@@", 2)) {
            if (have && tlen) {
                struct intake_options opt = {.lang = lang};
                struct intake_result res;
                struct lia_err err = {0};
                if (intake_analyze(g, text, tlen, &opt, &res, &err) < 0) {
                    fprintf(stderr, "flow eval: %s: %s\n", id, err.msg);
                    rc = -1;
                    break;
                }
                char found[8192];
                flow_triples(&res, found, sizeof found);
                flow_score(found, expected, c, report, id);
                c->items++;
                intake_result_release(&res);
            }
            if (!got)
                break;
            const char *bar = strchr(line, '|');
            snprintf(id, sizeof id, "%.*s", bar ? (int)(bar - line - 3) : 0, line + 3);
            snprintf(expected, sizeof expected, "%s", bar ? bar + 1 : "");
            expected[strcspn(expected, "\n")] = '\0';
            tlen = 0;
            have = 1;
            continue;
        }
        size_t n = strlen(line);
        if (have && tlen + n < sizeof text) {
            memcpy(text + tlen, line, n);
            tlen += n;
        }
    }
    fclose(f);
    return rc;
}

static double flow_ratio(size_t a, size_t b)
{
    return b ? (double)a / (double)b : 1.0;
}

static void flow_print(const char *label, const struct flow_counts *c, FILE *out, double *p,
                       double *r)
{
    *p = flow_ratio(c->tp, c->tp + c->fp);
    *r = flow_ratio(c->tp, c->tp + c->fn);
    fprintf(out, "  %-10s %3zu items: precision %.3f (%zu/%zu), recall %.3f (%zu/%zu)\n", label,
            c->items, *p, c->tp, c->tp + c->fp, *r, c->tp, c->tp + c->fn);
}

/* Scores set ("dev" or "heldout") of src, each language apart then all; prints the figures,
 * and every error to report when it is not NULL. */
static int flow_eval_set(const struct intake_gazetteer *g, const char *src, const char *set,
                         FILE *out, FILE *report, double *p, double *r)
{
    static const char *const langs[] = {"ar", "en", "fr"};
    static const enum intake_lang codes[] = {INTAKE_LANG_AR, INTAKE_LANG_EN, INTAKE_LANG_FR};
    struct flow_counts all = {0};
    for (int l = 0; l < 3; l++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/tests/intake/flows/%s/%s.txt", src, set, langs[l]);
        struct flow_counts c = {0};
        if (flow_eval_file(g, path, codes[l], &c, report) < 0)
            return -1;
        flow_print(langs[l], &c, out, p, r);
        all.tp += c.tp;
        all.fp += c.fp;
        all.fn += c.fn;
        all.items += c.items;
    }
    flow_print("all", &all, out, p, r);
    return 0;
}

#endif
