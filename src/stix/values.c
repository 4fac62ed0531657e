/*
 * Values of observables and of a few common properties, each against the standard the
 * STIX 2.1 specification names for it. Libraries do the work where Debian has one:
 *
 *   ipv4-addr, ipv6-addr value   inet_pton (libc), plus the CIDR prefix length
 *   url, artifact url            libcurl's URL parser (curl_url, RFC 3986 with curl's
 *                                checks), any scheme
 *   domain-name value            libidn2 (IDNA 2008, RFC 5890) for names that are not
 *                                ASCII; RFC 1034 label rules on the ASCII form
 *   *_enc (charset)              ICU's converter alias table, IANA standard: the name must
 *                                be an IANA name and, where IANA gives a preferred MIME
 *                                name, that name (section 3.9.1)
 *
 * and by hand where no library fits: MAC-48 (one fixed shape), MIME type syntax (RFC 6838
 * section 4.2), the RFC 5322 addr-spec, CPE 2.3 formatted strings (NISTIR 7695 section
 * 6.2), registry hive names, hash lengths and the CVE / CAPEC id formats.
 */
#include "stix/stix_internal.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <idn2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unicode/ucnv.h>

/* printf arguments for the first bytes of s (n bytes, not always NUL-terminated: patterns
 * pass pieces of themselves) as "%.*s". */
#define SHOW(s, n, max) (int)((n) > (max) ? (max) : (n)), (s)

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int stix_check_ip(const char *path, const char *s, size_t n, bool v6, struct lia_err *err)
{
    char buf[64];
    unsigned char addr[16];
    const char *slash = memchr(s, '/', n);
    size_t alen = slash ? (size_t)(slash - s) : n;
    int max = v6 ? 128 : 32;
    if (alen >= sizeof buf || memchr(s, '\0', n))
        return stix_refuse(err, STIX_RULE_IP_ADDRESS, path, "\"%.*s\" is not an IPv%c address",
                           SHOW(s, n, 60), v6 ? '6' : '4');
    memcpy(buf, s, alen);
    buf[alen] = '\0';
    if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, addr) != 1)
        return stix_refuse(err, STIX_RULE_IP_ADDRESS, path,
                           "\"%.*s\" is not an IPv%c address or CIDR block", SHOW(s, n, 60),
                           v6 ? '6' : '4');
    if (slash) {
        const char *p = slash + 1;
        size_t k = n - alen - 1;
        int bits = 0;
        bool ok = k >= 1 && k <= 3 && !(k > 1 && p[0] == '0');
        for (size_t i = 0; ok && i < k; i++) {
            ok = is_digit(p[i]);
            bits = bits * 10 + (p[i] - '0');
        }
        if (!ok || bits > max)
            return stix_refuse(err, STIX_RULE_IP_ADDRESS, path,
                               "\"%.*s\": a CIDR prefix length is 0 to %d", SHOW(s, n, 60), max);
    }
    return LIA_OK;
}

int stix_check_mac(const char *path, const char *s, size_t n, struct lia_err *err)
{
    bool ok = n == 17;
    for (size_t i = 0; ok && i < n; i++)
        ok = i % 3 == 2 ? s[i] == ':' : (is_digit(s[i]) || (s[i] >= 'a' && s[i] <= 'f'));
    if (!ok)
        return stix_refuse(err, STIX_RULE_MAC_ADDRESS, path,
                           "\"%.*s\" is not a lowercase colon-delimited MAC-48 address with "
                           "leading zeros (like 00:00:ab:cd:ef:01)",
                           SHOW(s, n, 40));
    return LIA_OK;
}

/* RFC 1034 on the ASCII form: labels of 1-63 letters, digits, hyphens (and underscores,
 * which service labels such as _dmarc use), no hyphen at either end; 253 bytes at most; a
 * final dot allowed. */
static bool ascii_domain_ok(const char *s, size_t n)
{
    if (n > 0 && s[n - 1] == '.')
        n--;
    if (n == 0 || n > 253)
        return false;
    size_t label = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (label == 0 || label > 63 || s[i - 1] == '-' || s[i - label] == '-')
                return false;
            label = 0;
            continue;
        }
        char c = s[i];
        if (!(is_alpha(c) || is_digit(c) || c == '-' || c == '_'))
            return false;
        label++;
    }
    return true;
}

int stix_check_domain(const char *path, const char *s, size_t n, struct lia_err *err)
{
    bool ascii = true;
    for (size_t i = 0; i < n && ascii; i++)
        ascii = (unsigned char)s[i] < 0x80;
    bool ok;
    if (ascii) {
        ok = ascii_domain_ok(s, n);
    } else {
        char *a = NULL;
        ok = n < 1024 && !memchr(s, '\0', n) &&
             idn2_to_ascii_8z(s, &a, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT) == IDN2_OK &&
             ascii_domain_ok(a, strlen(a));
        idn2_free(a);
    }
    if (!ok)
        return stix_refuse(err, STIX_RULE_DOMAIN_NAME, path,
                           "\"%.*s\" is not a domain name (RFC 1034 labels of 1-63 letters, "
                           "digits and hyphens; IDNA 2008 for other scripts)",
                           SHOW(s, n, 80));
    return LIA_OK;
}

int stix_check_url(const char *path, const char *s, size_t n, struct lia_err *err)
{
    CURLU *u = curl_url();
    if (!u)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    CURLUcode rc = memchr(s, '\0', n) ? CURLUE_MALFORMED_INPUT
                                      : curl_url_set(u, CURLUPART_URL, s, CURLU_NON_SUPPORT_SCHEME);
    curl_url_cleanup(u);
    if (rc != CURLUE_OK)
        return stix_refuse(err, STIX_RULE_URL, path, "\"%.*s\" is not a URL (RFC 3986): %s",
                           SHOW(s, n, 80), curl_url_strerror(rc));
    return LIA_OK;
}

/* RFC 5322 section 3.2.3 atext, with UTF-8 allowed as RFC 6532 does. */
static bool is_atext(unsigned char c)
{
    return is_alpha((char)c) || is_digit((char)c) || c >= 0x80 ||
           (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* dot-atom-text: atext runs separated by single dots. */
static bool dot_atom(const char *s, size_t n)
{
    if (n == 0 || s[0] == '.' || s[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.') {
            if (s[i + 1] == '.')
                return false;
        } else if (!is_atext((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

/* quoted-string without folding white space: printable ASCII (and UTF-8) or quoted pairs. */
static bool quoted_string(const char *s, size_t n)
{
    if (n < 2 || s[0] != '"' || s[n - 1] != '"')
        return false;
    for (size_t i = 1; i < n - 1; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\') {
            if (++i >= n - 1 || (unsigned char)s[i] < 0x20)
                return false;
        } else if (c == '"' || (c < 0x20 && c != '\t') || c == 0x7f) {
            return false;
        }
    }
    return true;
}

int stix_check_email(const char *path, const char *s, size_t n, struct lia_err *err)
{
    const char *at = NULL;
    bool quoted = n > 0 && s[0] == '"';
    /* The domain follows the last '@' (a quoted local part may hold '@'). */
    for (size_t i = n; i-- > 0;) {
        if (s[i] == '@') {
            at = s + i;
            break;
        }
    }
    bool ok = at != NULL;
    if (ok) {
        size_t ln = (size_t)(at - s), dn = n - ln - 1;
        const char *d = at + 1;
        ok = (quoted ? quoted_string(s, ln) : dot_atom(s, ln)) && ln <= 64;
        if (ok && dn > 2 && d[0] == '[' && d[dn - 1] == ']') {
            for (size_t i = 1; ok && i < dn - 1; i++)
                ok = (unsigned char)d[i] > 0x20 && (unsigned char)d[i] < 0x7f &&
                     !strchr("[]\\", d[i]);
        } else {
            ok = ok && dot_atom(d, dn);
        }
    }
    if (!ok)
        return stix_refuse(err, STIX_RULE_EMAIL_ADDRESS, path,
                           "\"%.*s\" is not an addr-spec (RFC 5322 section 3.4.1, like "
                           "jane.smith@example.com; no display name or angle brackets)",
                           SHOW(s, n, 80));
    return LIA_OK;
}

/* RFC 6838 section 4.2 restricted-name. */
static bool restricted_name(const char *s, size_t n)
{
    if (n == 0 || n > 127 || !(is_alpha(s[0]) || is_digit(s[0])))
        return false;
    for (size_t i = 1; i < n; i++) {
        if (!(is_alpha(s[i]) || is_digit(s[i]) || strchr("!#$&-^_.+", s[i])) || s[i] == '\0')
            return false;
    }
    return true;
}

int stix_check_mime(const char *path, const char *s, size_t n, struct lia_err *err)
{
    static const char *const top[] = {"application", "audio", "example", "font",
                                      "haptics",     "image", "message", "model",
                                      "multipart",   "text",  "video"};
    const char *slash = memchr(s, '/', n);
    bool ok = false;
    if (slash) {
        size_t tn = (size_t)(slash - s);
        for (size_t i = 0; i < sizeof top / sizeof top[0] && !ok; i++)
            ok = strlen(top[i]) == tn && strncasecmp(s, top[i], tn) == 0;
        ok = ok && restricted_name(slash + 1, n - tn - 1);
    }
    if (!ok)
        return stix_refuse(err, STIX_RULE_MIME_TYPE, path,
                           "\"%.*s\" is not a MIME type (type/subtype with a registered "
                           "top-level type, RFC 6838)",
                           SHOW(s, n, 80));
    return LIA_OK;
}

int stix_check_charset(const char *path, const char *s, size_t n, struct lia_err *err)
{
    UErrorCode st = U_ZERO_ERROR;
    const char *canonical = NULL;
    if (n < 64 && !memchr(s, '\0', n))
        canonical = ucnv_getCanonicalName(s, "IANA", &st);
    if (!canonical || U_FAILURE(st))
        return stix_refuse(err, STIX_RULE_CHARSET, path,
                           "\"%.*s\" is not a character set name of the IANA registry",
                           SHOW(s, n, 60));
    st = U_ZERO_ERROR;
    const char *mime = ucnv_getStandardName(canonical, "MIME", &st);
    if (mime && U_SUCCESS(st) && strcasecmp(mime, s) != 0)
        return stix_refuse(err, STIX_RULE_CHARSET, path,
                           "\"%.*s\" has the preferred MIME name \"%s\", which must be used",
                           SHOW(s, n, 60), mime);
    return LIA_OK;
}

/* One component of a CPE 2.3 formatted string (NISTIR 7695 section 6.2.2): "*", "-", or
 * an avstring of unreserved characters and quoted punctuation, with * or ? runs only at
 * the ends. */
static bool cpe_avstring(const char *s, size_t n)
{
    if (n == 1 && (s[0] == '*' || s[0] == '-'))
        return true;
    size_t i = 0, end = n;
    if (i < end && s[i] == '*')
        i++;
    else
        while (i < end && s[i] == '?')
            i++;
    if (end > i && s[end - 1] == '*' && (end < 2 || s[end - 2] != '\\'))
        end--;
    else
        while (end > i && s[end - 1] == '?' && (end < 2 || s[end - 2] != '\\'))
            end--;
    if (i >= end)
        return false;
    for (; i < end; i++) {
        char c = s[i];
        if (c == '\\') {
            if (++i >= end || !strchr("\\*?!\"#$%&'()+,/:;<=>@[]^`{|}~-.", s[i]) || s[i] == '\0')
                return false;
        } else if (!(is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_')) {
            return false;
        }
    }
    return true;
}

/* The language component: "*", "-" or a language tag (2-3 letters, -region). */
static bool cpe_language(const char *s, size_t n)
{
    if (n == 1 && (s[0] == '*' || s[0] == '-'))
        return true;
    size_t i = 0;
    while (i < n && is_alpha(s[i]))
        i++;
    if (i < 2 || i > 3)
        return false;
    if (i == n)
        return true;
    if (s[i] != '-')
        return false;
    size_t r = n - i - 1;
    const char *p = s + i + 1;
    return (r == 2 && is_alpha(p[0]) && is_alpha(p[1])) ||
           (r == 3 && is_digit(p[0]) && is_digit(p[1]) && is_digit(p[2]));
}

int stix_check_cpe(const char *path, const char *s, size_t n, struct lia_err *err)
{
    const char *part[13];
    size_t len[13], k = 0, start = 0;
    bool ok = n > 8 && memcmp(s, "cpe:2.3:", 8) == 0;
    for (size_t i = 0; ok && i <= n; i++) {
        if (i < n && s[i] == '\\') {
            i++;
            continue;
        }
        if (i == n || s[i] == ':') {
            if (k == 13) {
                ok = false;
                break;
            }
            part[k] = s + start;
            len[k++] = i - start;
            start = i + 1;
        }
    }
    ok = ok && k == 13 && len[2] == 1 && strchr("aho*-", part[2][0]);
    for (size_t i = 3; ok && i < 13; i++)
        ok = i == 8 ? cpe_language(part[i], len[i]) : cpe_avstring(part[i], len[i]);
    if (!ok)
        return stix_refuse(err, STIX_RULE_CPE, path,
                           "\"%.*s\" is not a CPE 2.3 formatted string "
                           "(cpe:2.3:part:vendor:product:version:update:edition:language:"
                           "sw_edition:target_sw:target_hw:other)",
                           SHOW(s, n, 80));
    return LIA_OK;
}

int stix_check_regkey(const char *path, const char *s, size_t n, struct lia_err *err)
{
    static const char *const hives[] = {"HKEY_CLASSES_ROOT",     "HKEY_CURRENT_CONFIG",
                                        "HKEY_CURRENT_USER",     "HKEY_CURRENT_USER_LOCAL_SETTINGS",
                                        "HKEY_DYN_DATA",         "HKEY_LOCAL_MACHINE",
                                        "HKEY_PERFORMANCE_DATA", "HKEY_PERFORMANCE_NLSTEXT",
                                        "HKEY_PERFORMANCE_TEXT", "HKEY_USERS"};
    const char *bs = memchr(s, '\\', n);
    size_t h = bs ? (size_t)(bs - s) : n;
    if (h < 2 || strncasecmp(s, "HK", 2) != 0)
        return LIA_OK; /* no hive named: nothing to expand */
    for (size_t i = 0; i < sizeof hives / sizeof hives[0]; i++) {
        if (strlen(hives[i]) == h && strncasecmp(s, hives[i], h) == 0)
            return LIA_OK;
    }
    return stix_refuse(err, STIX_RULE_REGISTRY_HIVE, path,
                       "hive \"%.*s\" must be written out in full (HKEY_LOCAL_MACHINE, not "
                       "HKLM)",
                       (int)(h > 40 ? 40 : h), s);
}

int stix_check_hash(const char *path, const char *algo, const char *v, size_t n,
                    struct lia_err *err)
{
    static const struct {
        const char *algo;
        size_t len;
    } sizes[] = {{"MD5", 32},      {"SHA-1", 40},    {"SHA-256", 64},
                 {"SHA-512", 128}, {"SHA3-256", 64}, {"SHA3-512", 128}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        if (strcmp(algo, sizes[i].algo) != 0)
            continue;
        bool ok = n == sizes[i].len;
        for (size_t j = 0; ok && j < n; j++)
            ok = is_hex(v[j]);
        if (!ok)
            return stix_refuse(err, STIX_RULE_HASHES, path, "%s takes %zu hex digits", algo,
                               sizes[i].len);
        return LIA_OK;
    }
    if (strcmp(algo, "TLSH") == 0) { /* 35 bytes, with the "T1" version prefix or without */
        size_t off = n == 72 && v[0] == 'T' && v[1] == '1' ? 2 : 0;
        bool ok = n - off == 70;
        for (size_t j = off; ok && j < n; j++)
            ok = is_hex(v[j]);
        if (!ok)
            return stix_refuse(err, STIX_RULE_HASHES, path,
                               "TLSH takes 70 hex digits (35 bytes), optionally after T1");
    }
    return LIA_OK;
}

static bool digits(const char *s, size_t min)
{
    size_t i = 0;
    while (is_digit(s[i]))
        i++;
    return i >= min && s[i] == '\0';
}

static bool is_cve(const char *id)
{
    return strncmp(id, "CVE-", 4) == 0 && is_digit(id[4]) && is_digit(id[5]) && is_digit(id[6]) &&
           is_digit(id[7]) && id[8] == '-' && digits(id + 9, 4);
}

static bool is_capec(const char *id)
{
    return strncmp(id, "CAPEC-", 6) == 0 && digits(id + 6, 1);
}

int stix_check_external_id(const char *path, const char *source, const char *id,
                           struct lia_err *err)
{
    if ((is_cve(id) && strcmp(source, "cve") != 0) ||
        (is_capec(id) && strcmp(source, "capec") != 0))
        return stix_refuse(err, STIX_RULE_EXTERNAL_ID, path,
                           "%.40s is a %s id: its source_name must be \"%s\", not \"%.40s\"", id,
                           is_cve(id) ? "CVE" : "CAPEC", is_cve(id) ? "cve" : "capec", source);
    if (strcmp(source, "cve") == 0 && !is_cve(id))
        return stix_refuse(err, STIX_RULE_EXTERNAL_ID, path,
                           "\"%.40s\": with source_name cve, external_id is a CVE id like "
                           "CVE-2014-0160",
                           id);
    if (strcmp(source, "capec") == 0 && !is_capec(id))
        return stix_refuse(err, STIX_RULE_EXTERNAL_ID, path,
                           "\"%.40s\": with source_name capec, external_id is CAPEC-<number>", id);
    return LIA_OK;
}
