/*
 * Deterministic generator of realistic STIX 2.1 objects, shared by
 * bench/gen.c (envelope files for HTTP ingest) and bench/raw_sqlite.c (the
 * same rows inserted straight into SQLite). Header-only so that both
 * executables produce byte-identical objects from (seed, index).
 *
 * Mix (by weight): indicator 30, relationship 20, threat-actor 8, report 8,
 * location 8, identity 8, malware 10, note 8. Objects average ~800 bytes of
 * compact JSON; threat actors, locations and notes carry Arabic names and
 * text; about 45% carry an object-level TLP marking.
 */
#ifndef LIAISON_BENCH_STIXGEN_H
#define LIAISON_BENCH_STIXGEN_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct gen_obj {
    char id[96];
    const char *type;
    int64_t created_us;
    int64_t modified_us;
    char modified[64];
    char created_by_ref[64];
    int tlp; /* -1 none, 0 clear, 1 green, 2 amber, 3 amber+strict, 4 red */
    char *json;
    size_t len;
    size_t cap;
};

static inline uint64_t gen_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

struct gen_rng {
    uint64_t s;
};

static inline uint64_t gen_next(struct gen_rng *r)
{
    r->s = gen_mix(r->s);
    return r->s;
}

static inline unsigned gen_below(struct gen_rng *r, unsigned n)
{
    return (unsigned)(gen_next(r) % n);
}

static const char *const gen_types[] = {"indicator", "relationship", "threat-actor", "report",
                                        "location",  "identity",     "malware",      "note"};
static const unsigned gen_weights[] = {30, 20, 8, 8, 8, 8, 10, 8};

static inline int gen_type_index(uint64_t seed, uint64_t i)
{
    unsigned w = (unsigned)(gen_mix(seed * 1000003ULL ^ (i * 2 + 1)) % 100);
    for (int t = 0; t < 8; t++) {
        if (w < gen_weights[t])
            return t;
        w -= gen_weights[t];
    }
    return 0;
}

/* A version-4 UUID from a 64-bit key. */
static inline void gen_uuid(uint64_t key, char out[37])
{
    uint64_t a = gen_mix(key), b = gen_mix(a ^ 0x5bd1e995ULL);
    unsigned char u[16];
    memcpy(u, &a, 8);
    memcpy(u + 8, &b, 8);
    u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
    u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
             u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
             u[14], u[15]);
}

/* The id of object i under seed (its type is a function of (seed, i) too). */
static inline void gen_id(uint64_t seed, uint64_t i, char out[96])
{
    char u[37];
    gen_uuid(seed * 0x100000001b3ULL ^ (i + 1) * 0x9e3779b97f4a7c15ULL, u);
    snprintf(out, 96, "%s--%s", gen_types[gen_type_index(seed, i)], u);
}

/* The first object from k on that is not a relationship: STIX 2.1 section 5.1 lets a
 * relationship point only at SDOs and SCOs. */
static inline uint64_t gen_not_sro(uint64_t seed, uint64_t k)
{
    while (gen_type_index(seed, k) == 1)
        k++;
    return k;
}

static inline void gen_identity_ref(uint64_t k, char out[64])
{
    char u[37];
    gen_uuid(0x1d3417ULL * (k + 7), u);
    snprintf(out, 64, "identity--%s", u);
}

static const char *const gen_tlp_ids[] = {
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", /* clear */
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", /* green */
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", /* amber */
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", /* amber+strict */
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", /* red */
};

static inline void gen_ts(int64_t us, char out[64])
{
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)((us / 1000) % 1000));
}

static inline void gen_put(struct gen_obj *o, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(o->json + o->len, o->cap - o->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < o->cap - o->len) {
            o->len += (size_t)n;
            return;
        }
        o->cap = o->cap * 2 + (size_t)n + 64;
        o->json = realloc(o->json, o->cap);
        if (!o->json)
            abort();
    }
}

#define PICK(r, arr) (arr)[gen_below((r), sizeof(arr) / sizeof((arr)[0]))]

static const char *const gen_en_words[] = {
    "campaign",  "infrastructure", "observed", "targeting",  "government", "networks",
    "phishing",  "credential",     "harvest",  "lateral",    "movement",   "beacon",
    "operators", "region",         "reported", "activity",   "linked",     "payload",
    "loader",    "persistence",    "exfil",    "domains",    "hosting",    "partners",
    "ministry",  "border",         "recruit",  "propaganda", "channels",   "financing"};
static const char *const gen_ar_words[] = {
    "حملة",      "البنية",  "التحتية",  "رصد",     "استهداف", "الحكومة", "الشبكات", "التصيد",
    "الاحتيالي", "بيانات",  "الاعتماد", "نشاط",    "مرتبط",   "الحدود",  "التجنيد", "الدعاية",
    "قنوات",     "التمويل", "الشركاء",  "المنطقة", "تقرير",   "تهديد",   "هجوم",    "خوادم"};

static inline void gen_text(struct gen_obj *o, struct gen_rng *r, int words, bool arabic)
{
    for (int w = 0; w < words; w++)
        gen_put(o, w ? " %s" : "%s",
                arabic && (w % 3 != 2) ? PICK(r, gen_ar_words) : PICK(r, gen_en_words));
}

static const char *const gen_actor_names[] = {"تنظيم الدولة الإسلامية",
                                              "داعش",
                                              "هيئة تحرير الشام",
                                              "حركة الشباب المجاهدين",
                                              "تنظيم القاعدة في جزيرة العرب",
                                              "جماعة أنصار بيت المقدس",
                                              "Sandworm",
                                              "APT34",
                                              "MuddyWater",
                                              "Charming Kitten"};
static const char *const gen_actor_aliases[] = {"داعش",
                                                "ISIS",
                                                "ISIL",
                                                "الدولة الإسلامية في العراق والشام",
                                                "IS",
                                                "Daesh",
                                                "OilRig",
                                                "Helix Kitten",
                                                "Static Kitten",
                                                "TA453",
                                                "الشباب",
                                                "AQAP",
                                                "Voodoo Bear"};
static const char *const gen_places[][4] = {
    /* name, country, lat, lon */
    {"الموصل", "IQ", "36.34", "43.13"},  {"الرقة", "SY", "35.95", "39.01"},
    {"بنغازي", "LY", "32.12", "20.07"},  {"مقديشو", "SO", "2.05", "45.32"},
    {"صنعاء", "YE", "15.37", "44.19"},   {"العريش", "EG", "31.13", "33.80"},
    {"Brussels", "BE", "50.85", "4.35"}, {"Tunis", "TN", "36.81", "10.18"}};
static const char *const gen_rel_types[] = {"indicates", "uses",       "attributed-to",
                                            "targets",   "located-at", "related-to"};
static const char *const gen_phases[] = {"reconnaissance", "initial-access",      "execution",
                                         "persistence",    "command-and-control", "exfiltration"};

/* Fills o with object i of the stream (seed, i); o->json is reused across calls. */
static inline void gen_object(uint64_t seed, uint64_t i, struct gen_obj *o)
{
    struct gen_rng r = {gen_mix(seed ^ (i * 0x2545f4914f6cdd1dULL))};
    int t = gen_type_index(seed, i);
    o->type = gen_types[t];
    o->len = 0;
    if (!o->json) {
        o->cap = 4096;
        o->json = malloc(o->cap);
        if (!o->json)
            abort();
    }
    gen_id(seed, i, o->id);
    int64_t base = 1672531200LL * 1000000; /* 2023-01-01 */
    o->created_us = base + (int64_t)(i % 20000000) * 1370000 + (int64_t)gen_below(&r, 1000) * 1000;
    o->modified_us = o->created_us + (int64_t)gen_below(&r, 3) * 86400LL * 1000000;
    char created[64];
    gen_ts(o->created_us, created);
    gen_ts(o->modified_us, o->modified);
    gen_identity_ref(gen_below(&r, 24), o->created_by_ref);
    unsigned m = gen_below(&r, 100);
    o->tlp = m < 55 ? -1 : m < 70 ? 0 : m < 85 ? 1 : m < 95 ? 2 : m < 98 ? 3 : 4;

    gen_put(o,
            "{\"type\":\"%s\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created_by_ref\":\"%s\","
            "\"created\":\"%s\",\"modified\":\"%s\"",
            o->type, o->id, o->created_by_ref, created, o->modified);
    char ref[96], ts2[64];
    switch (t) {
    case 0: { /* indicator */
        unsigned k = gen_below(&r, 4);
        gen_put(o, ",\"name\":\"");
        gen_text(o, &r, 4, false);
        gen_put(o, "\",\"description\":\"");
        gen_text(o, &r, 14 + (int)gen_below(&r, 12), false);
        gen_put(o, "\",\"indicator_types\":[\"malicious-activity\",\"%s\"],\"pattern\":\"",
                k == 0 ? "attribution" : "anomalous-activity");
        if (k == 0)
            gen_put(o, "[ipv4-addr:value = '%u.%u.%u.%u']", 1 + gen_below(&r, 223),
                    gen_below(&r, 256), gen_below(&r, 256), 1 + gen_below(&r, 254));
        else if (k == 1)
            gen_put(o, "[domain-name:value = 'c2-%08x.example-%u.net']", (unsigned)gen_next(&r),
                    gen_below(&r, 100));
        else if (k == 2)
            gen_put(o, "[file:hashes.'SHA-256' = '%016llx%016llx%016llx%016llx']",
                    (unsigned long long)gen_next(&r), (unsigned long long)gen_next(&r),
                    (unsigned long long)gen_next(&r), (unsigned long long)gen_next(&r));
        else
            gen_put(o,
                    "[url:value = 'https://cdn-%06x.example.org/p/%u'] AND "
                    "[network-traffic:dst_port = 443]",
                    (unsigned)(gen_next(&r) & 0xffffff), gen_below(&r, 100000));
        gen_put(o,
                "\",\"pattern_type\":\"stix\",\"pattern_version\":\"2.1\",\"valid_from\":\"%s\","
                "\"kill_chain_phases\":[{\"kill_chain_name\":\"mitre-attack\",\"phase_name\":"
                "\"%s\"}],\"confidence\":%u,\"labels\":[\"bench\",\"%s\"]",
                created, PICK(&r, gen_phases), 30 + gen_below(&r, 70), PICK(&r, gen_en_words));
        break;
    }
    case 1: /* relationship */
        gen_put(o, ",\"relationship_type\":\"%s\"", PICK(&r, gen_rel_types));
        gen_id(seed,
               gen_not_sro(
                   seed, i > 0 ? gen_below(&r, (unsigned)(i < 4000000000u ? i : 4000000000u)) : 7),
               ref);
        gen_put(o, ",\"source_ref\":\"%s\"", ref);
        gen_id(seed, gen_not_sro(seed, i + 1 + gen_below(&r, 1000)), ref);
        gen_put(o, ",\"target_ref\":\"%s\",\"description\":\"", ref);
        gen_text(o, &r, 15 + (int)gen_below(&r, 14), gen_below(&r, 3) == 0);
        gen_ts(o->created_us - 86400LL * 1000000 * 30, ts2);
        gen_put(o, "\",\"start_time\":\"%s\",\"confidence\":%u", ts2, 20 + gen_below(&r, 80));
        break;
    case 2: { /* threat-actor */
        const char *name = PICK(&r, gen_actor_names);
        gen_put(o, ",\"name\":\"%s\",\"lang\":\"ar\",\"description\":\"", name);
        gen_text(o, &r, 15 + (int)gen_below(&r, 12), true);
        gen_put(o,
                "\",\"threat_actor_types\":[\"terrorist\",\"activist\"],\"aliases\":[\"%s\",\"%s\","
                "\"%s\"]",
                PICK(&r, gen_actor_aliases), PICK(&r, gen_actor_aliases),
                PICK(&r, gen_actor_aliases));
        gen_ts(o->created_us - 86400LL * 1000000 * 400, ts2);
        gen_put(o, ",\"first_seen\":\"%s\",\"roles\":[\"agent\",\"director\"],\"goals\":[\"", ts2);
        gen_text(o, &r, 4, true);
        gen_put(o, "\"],\"sophistication\":\"intermediate\",\"resource_level\":\"organization\","
                   "\"primary_motivation\":\"ideology\"");
        break;
    }
    case 3: { /* report */
        gen_put(o, ",\"name\":\"");
        gen_text(o, &r, 6, gen_below(&r, 2) == 0);
        gen_put(o, "\",\"description\":\"");
        gen_text(o, &r, 17 + (int)gen_below(&r, 14), gen_below(&r, 2) == 0);
        gen_put(o, "\",\"report_types\":[\"threat-report\"],\"published\":\"%s\",\"object_refs\":[",
                o->modified);
        int n = 3 + (int)gen_below(&r, 5);
        for (int k = 0; k < n; k++) {
            gen_id(seed, i + 1 + gen_below(&r, 5000), ref);
            gen_put(o, k ? ",\"%s\"" : "\"%s\"", ref);
        }
        gen_put(o, "]");
        break;
    }
    case 4: { /* location */
        const char *const *p = gen_places[gen_below(&r, 8)];
        gen_put(o, ",\"name\":\"%s\",\"lang\":\"ar\",\"description\":\"", p[0]);
        gen_text(o, &r, 20 + (int)gen_below(&r, 16), true);
        gen_put(o,
                "\",\"country\":\"%s\",\"latitude\":%s,\"longitude\":%s,\"precision\":%u,"
                "\"region\":\"%s\"",
                p[1], p[2], p[3], 500 + gen_below(&r, 5000),
                p[1][0] == 'B' ? "western-europe" : "northern-africa");
        break;
    }
    case 5: /* identity */
        gen_put(o, ",\"name\":\"Partner agency %u (", gen_below(&r, 100000));
        gen_text(o, &r, 3, true);
        gen_put(o, ")\",\"description\":\"");
        gen_text(o, &r, 16 + (int)gen_below(&r, 12), gen_below(&r, 2) == 0);
        gen_put(o,
                "\",\"identity_class\":\"organization\",\"sectors\":[\"government\",\"defense\"],"
                "\"contact_information\":\"soc-%u@agency.example\",\"roles\":[\"analyst\"]",
                gen_below(&r, 1000));
        break;
    case 6: /* malware */
        gen_put(o, ",\"name\":\"%s-%u\",\"description\":\"", PICK(&r, gen_en_words),
                gen_below(&r, 1000));
        gen_text(o, &r, 18 + (int)gen_below(&r, 14), false);
        gen_ts(o->created_us - 86400LL * 1000000 * 90, ts2);
        gen_put(o,
                "\",\"malware_types\":[\"backdoor\",\"remote-access-trojan\"],\"is_family\":true,"
                "\"aliases\":[\"%s\"],\"first_seen\":\"%s\",\"capabilities\":[\"communicates-"
                "with-c2\",\"exfiltrates-data\"],\"implementation_languages\":[\"c++\"],"
                "\"external_references\":[{\"source_name\":\"mitre-attack\",\"external_id\":"
                "\"S%04u\",\"url\":\"https://attack.mitre.org/software/S%04u/\"}]",
                PICK(&r, gen_en_words), ts2, gen_below(&r, 1000), gen_below(&r, 1000));
        break;
    default: { /* note */
        gen_put(o, ",\"abstract\":\"");
        gen_text(o, &r, 5, true);
        gen_put(o, "\",\"content\":\"");
        gen_text(o, &r, 24 + (int)gen_below(&r, 18), true);
        gen_put(o, "\",\"authors\":[\"analyst-%u\"],\"object_refs\":[", gen_below(&r, 50));
        int n = 1 + (int)gen_below(&r, 3);
        for (int k = 0; k < n; k++) {
            gen_id(seed, i + 1 + gen_below(&r, 5000), ref);
            gen_put(o, k ? ",\"%s\"" : "\"%s\"", ref);
        }
        gen_put(o, "]");
        break;
    }
    }
    if (o->tlp >= 0)
        gen_put(o, ",\"object_marking_refs\":[\"%s\"]", gen_tlp_ids[o->tlp]);
    gen_put(o, "}");
}

#endif
