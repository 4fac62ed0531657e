/*
 * The intake evaluation (tests/intake/{eval,heldout}/{ar,en,fr}.txt), shared by the ctest check
 * (tests/unit/intake/test_eval.c) and `make bench` (bench/intake_bench.c).
 *
 * Each paragraph is scored as a set of gazetteer keys: found vs expected. A key counts once
 * per paragraph however often it is mentioned; the type is the key's prefix (country-,
 * region-, admin1-, city-, group-, body-). Header-only so both programs share it verbatim.
 */
#ifndef LIAISON_INTAKE_EVAL_H
#define LIAISON_INTAKE_EVAL_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake/intake.h"

struct eval_counts {
    size_t tp[INTAKE_N_TYPES], fp[INTAKE_N_TYPES], fn[INTAKE_N_TYPES];
    size_t paragraphs, bytes;
};

static int eval_type_of_key(const char *k, size_t n)
{
    for (int t = 0; t < INTAKE_N_TYPES; t++) {
        const char *p = intake_type_name((enum intake_type)t);
        size_t pl = strlen(p);
        if (n > pl && !memcmp(k, p, pl) && k[pl] == '-')
            return t;
    }
    return -1;
}

/* True when key (n bytes) is among the space-separated keys of list. */
static int eval_in_list(const char *list, const char *key, size_t n)
{
    for (const char *p = list; *p;) {
        while (*p == ' ')
            p++;
        size_t l = strcspn(p, " ");
        if (l == n && !memcmp(p, key, n))
            return 1;
        p += l;
    }
    return 0;
}

static void eval_score(const struct intake_result *res, const char *expected, struct eval_counts *c,
                       FILE *report, const char *id)
{
    for (size_t i = 0; i < res->n_entities; i++) {
        const char *k = res->entities[i].key;
        int t = res->entities[i].type;
        if (eval_in_list(expected, k, strlen(k))) {
            c->tp[t]++;
        } else {
            c->fp[t]++;
            if (report)
                fprintf(report, "  %s: false positive %s\n", id, k);
        }
    }
    for (const char *p = expected; *p;) {
        while (*p == ' ')
            p++;
        size_t l = strcspn(p, " ");
        if (!l)
            break;
        int found = 0;
        for (size_t i = 0; i < res->n_entities && !found; i++)
            found = strlen(res->entities[i].key) == l && !memcmp(res->entities[i].key, p, l);
        int t = eval_type_of_key(p, l);
        if (!found && t >= 0) {
            c->fn[t]++;
            if (report)
                fprintf(report, "  %s: missed %.*s\n", id, (int)l, p);
        }
        p += l;
    }
}

/* Runs one eval file. Returns 0, or -1 when it cannot be read or analysed. */
static int eval_file(const struct intake_gazetteer *g, const char *path, struct eval_counts *c,
                     FILE *report)
{
    char *buf;
    size_t len;
    struct lia_err err = {0};
    if (lia_read_file(path, 1 << 24, &buf, &len, &err) < 0) {
        fprintf(stderr, "eval: %s\n", err.msg);
        return -1;
    }
    int rc = 0;
    char *p = buf, *end = buf + len;
    while (p < end && rc == 0) {
        char *hdr = !strncmp(p, "@@ ", 3) ? p : strstr(p, "\n@@ ");
        if (!hdr)
            break;
        if (*hdr == '\n')
            hdr++;
        char *nl = strchr(hdr, '\n');
        if (!nl)
            break;
        *nl = '\0';
        char *bar = strchr(hdr, '|');
        char id[64];
        snprintf(id, sizeof(id), "%.*s", bar ? (int)(bar - hdr - 3) : 0, hdr + 3);
        const char *expected = bar ? bar + 1 : "";
        char *text = nl + 1;
        char *next = strstr(text, "\n@@ ");
        size_t tlen = next ? (size_t)(next - text) : strlen(text);
        struct intake_result res;
        if (intake_analyze(g, text, tlen, NULL, &res, &err) < 0) {
            fprintf(stderr, "eval: %s: %s\n", id, err.msg);
            rc = -1;
            break;
        }
        eval_score(&res, expected, c, report, id);
        intake_result_release(&res);
        c->paragraphs++;
        c->bytes += tlen;
        p = next ? next + 1 : end;
    }
    free(buf);
    return rc;
}

static double eval_ratio(size_t a, size_t b)
{
    return b ? (double)a / (double)b : 1.0;
}

/* Precision and recall of the place types (country, region, admin1, city) or of groups. */
static void eval_class(const struct eval_counts *c, bool places, double *p, double *r)
{
    size_t tp = 0, fp = 0, fn = 0;
    for (int t = 0; t < INTAKE_N_TYPES; t++) {
        bool place =
            t == INTAKE_COUNTRY || t == INTAKE_REGION || t == INTAKE_ADMIN1 || t == INTAKE_CITY;
        if (places ? !place : t != INTAKE_GROUP)
            continue;
        tp += c->tp[t];
        fp += c->fp[t];
        fn += c->fn[t];
    }
    *p = eval_ratio(tp, tp + fp);
    *r = eval_ratio(tp, tp + fn);
}

/* The languages of the evaluation, one file each in tests/intake/eval and heldout. */
static const char *const eval_langs[] = {"ar", "en", "fr"};
#define EVAL_N_LANGS 3

/* Prints one line per language: places P/R, groups P/R (issue 22's targets). */
static void eval_print_langs(const struct eval_counts *c, FILE *out)
{
    fprintf(out, "%-5s %5s %9s %9s %9s %9s\n", "lang", "paras", "places P", "places R", "groups P",
            "groups R");
    for (int l = 0; l < EVAL_N_LANGS; l++) {
        double pp, pr, gp, gr;
        eval_class(&c[l], true, &pp, &pr);
        eval_class(&c[l], false, &gp, &gr);
        fprintf(out, "%-5s %5zu %9.3f %9.3f %9.3f %9.3f\n", eval_langs[l], c[l].paragraphs, pp, pr,
                gp, gr);
    }
}

/* Adds b into a. */
static void eval_add(struct eval_counts *a, const struct eval_counts *b)
{
    for (int t = 0; t < INTAKE_N_TYPES; t++) {
        a->tp[t] += b->tp[t];
        a->fp[t] += b->fp[t];
        a->fn[t] += b->fn[t];
    }
    a->paragraphs += b->paragraphs;
    a->bytes += b->bytes;
}

/* Prints per-type and overall precision/recall; returns overall P and R. */
static void eval_print(const struct eval_counts *c, FILE *out, double *p, double *r)
{
    size_t tp = 0, fp = 0, fn = 0;
    fprintf(out, "%-8s %6s %6s %6s %9s %7s\n", "type", "tp", "fp", "fn", "precision", "recall");
    for (int t = 0; t < INTAKE_N_TYPES; t++) {
        fprintf(out, "%-8s %6zu %6zu %6zu %9.3f %7.3f\n", intake_type_name((enum intake_type)t),
                c->tp[t], c->fp[t], c->fn[t], eval_ratio(c->tp[t], c->tp[t] + c->fp[t]),
                eval_ratio(c->tp[t], c->tp[t] + c->fn[t]));
        tp += c->tp[t];
        fp += c->fp[t];
        fn += c->fn[t];
    }
    *p = eval_ratio(tp, tp + fp);
    *r = eval_ratio(tp, tp + fn);
    fprintf(out, "%-8s %6zu %6zu %6zu %9.3f %7.3f   (%zu paragraphs)\n", "overall", tp, fp, fn, *p,
            *r, c->paragraphs);
}

#endif
