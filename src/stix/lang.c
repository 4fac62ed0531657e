/*
 * Language tags (RFC 5646, BCP 47) for lang, language-content keys and granular lang
 * markings (STIX 2.1 sections 3.2, 7.1, 7.2.3), and ISO 639-2 codes for software languages
 * (section 6.14).
 *
 * A tag is checked for its structure, subtag by subtag (RFC 5646 section 2.1):
 *   language ["-" script] ["-" region] *("-" variant) *("-" extension) ["-" privateuse]
 * or is a private-use tag ("x-...") or one of the grandfathered tags of section 2.2.8.
 * The primary language subtag must be an ISO 639 code: two letters from ISO 639-1, three
 * from ISO 639-2, 639-3 or 639-5 (or the local-use range qaa-qtz); extended language
 * subtags are ISO 639-3 codes. Four-letter and 5-8 letter primary subtags are refused:
 * RFC 5646 reserves the first and the IANA registry has registered none of the second.
 * Scripts (four letters), regions (two letters or three digits) and variants are checked
 * for their shape only. Case does not matter (RFC 5646 section 2.1.1).
 *
 * The ISO 639 tables are bit sets written at build time by scripts/iso639-table from
 * Debian's iso-codes package (see CMakeLists.txt); one lookup is one bit test.
 */
#include "stix/stix_internal.h"

#include <string.h>
#include <strings.h>

extern const unsigned char stix_iso639_two[];
extern const unsigned char stix_iso639_three[];
extern const unsigned char stix_iso639_2[];

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool all(const char *s, size_t n, bool (*f)(char))
{
    for (size_t i = 0; i < n; i++) {
        if (!f(s[i]))
            return false;
    }
    return true;
}

static bool is_alnum(char c)
{
    return is_alpha(c) || is_digit(c);
}

static bool in_table(const unsigned char *bits, const char *s, size_t n)
{
    size_t i = 0;
    for (size_t k = 0; k < n; k++) {
        if (!is_alpha(s[k]))
            return false;
        i = i * 26 + (size_t)((s[k] | 0x20) - 'a');
    }
    return (bits[i / 8] >> (i % 8)) & 1;
}

static bool iso639(const char *s, size_t n)
{
    return n == 2 ? in_table(stix_iso639_two, s, 2) : n == 3 && in_table(stix_iso639_three, s, 3);
}

bool stix_is_iso639_2(const char *s, size_t n)
{
    return n == 3 && in_table(stix_iso639_2, s, 3);
}

/* RFC 5646 section 2.2.8 (irregular and regular grandfathered tags). */
static const char *const grandfathered[] = {
    "art-lojban", "cel-gaulish", "en-GB-oed", "i-ami",      "i-bnn",     "i-default", "i-enochian",
    "i-hak",      "i-klingon",   "i-lux",     "i-mingo",    "i-navajo",  "i-pwn",     "i-tao",
    "i-tay",      "i-tsu",       "no-bok",    "no-nyn",     "sgn-BE-FR", "sgn-BE-NL", "sgn-CH-DE",
    "zh-guoyu",   "zh-hakka",    "zh-min",    "zh-min-nan", "zh-xiang"};

bool stix_is_language_tag(const char *s, size_t n)
{
    if (n == 0 || n > 128 || memchr(s, '\0', n))
        return false;
    for (size_t i = 0; i < sizeof grandfathered / sizeof grandfathered[0]; i++) {
        if (strlen(grandfathered[i]) == n && strncasecmp(s, grandfathered[i], n) == 0)
            return true;
    }
    /* Split into subtags of 1-8 letters or digits. */
    const char *tag[64];
    size_t len[64], k = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '-')
            continue;
        size_t l = i - start;
        if (l == 0 || l > 8 || k == 64 || !all(s + start, l, is_alnum))
            return false;
        tag[k] = s + start;
        len[k++] = l;
        start = i + 1;
    }
    size_t i = 0;
    enum { LANG, EXTLANG, SCRIPT, REGION, VARIANT, EXTENSION } at = LANG;
    char seen[36] = {0}; /* extension singletons used */
    while (i < k) {
        const char *t = tag[i];
        size_t l = len[i];
        if (l == 1) { /* an extension, or private use to the end */
            char c = (char)(t[0] | 0x20);
            if (c == 'x') {
                if (i + 1 >= k)
                    return false;
                return true; /* subtags already 1-8 alphanumerics */
            }
            if (at == LANG || i + 1 >= k || len[i + 1] < 2)
                return false;
            int slot = is_digit(c) ? c - '0' : 10 + c - 'a';
            if (seen[slot]++)
                return false;
            for (i++; i < k && len[i] >= 2; i++)
                ;
            at = EXTENSION;
            continue;
        }
        if (at == EXTENSION)
            return false;
        if (at == LANG) {
            if (!(l == 2 || l == 3) || !iso639(t, l))
                return false;
            at = EXTLANG;
        } else if (at == EXTLANG && l == 3 && all(t, l, is_alpha) && i <= 3) {
            if (!in_table(stix_iso639_three, t, 3))
                return false;
        } else if (at <= SCRIPT && l == 4 && all(t, l, is_alpha)) {
            at = REGION;
        } else if (at <= REGION &&
                   ((l == 2 && all(t, l, is_alpha)) || (l == 3 && all(t, l, is_digit)))) {
            at = VARIANT;
        } else if ((l >= 5) || (l == 4 && is_digit(t[0]))) {
            at = VARIANT;
        } else {
            return false;
        }
        i++;
    }
    return at != LANG;
}
