/*
 * The STIX form of one MISP value, by MISP attribute type: the SCOs that observe it and the
 * STIX pattern that detects it (docs/misp.md, "Attribute types"). It follows misp-stix's
 * documented mapping (documentation/mapping/misp_attributes_to_stix21.json) except where
 * that output is not valid STIX 2.1 patterning or needs custom properties:
 *  - integers are compared as integers (autonomous-system:number = 174, ports), not strings;
 *  - string literals escape only ' and \, as the grammar allows (misp-stix writes \%);
 *  - a list property is walked with [*] (windows-registry-key:values[*].data);
 *  - network-traffic's protocols say the network layer the address shows (ipv4 or ipv6)
 *    rather than guessing tcp;
 *  - hash names outside hash-algorithm-ov keep misp-stix's upper-case names (IMPHASH...).
 * Composite values ("a|b") split at the first '|', or the last for filename|hash and
 * address|port, where only the first part may hold one.
 */
#include "misp/misp_int.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

enum kind {
    K_NONE,
    K_DOMAIN,
    K_IP,
    K_IP_PORT,
    K_DOMAIN_IP,
    K_URL,
    K_HASH,
    K_FILENAME,
    K_FILENAME_HASH,
    K_EMAIL_SRC,
    K_EMAIL_DST,
    K_EMAIL,
    K_EMAIL_SUBJECT,
    K_EMAIL_MESSAGE_ID,
    K_EMAIL_ATTACHMENT,
    K_EMAIL_FIELD, /* body, received_lines[*], additional_header_fields.'<arg>' */
    K_REGKEY,
    K_REGKEY_VALUE,
    K_MUTEX,
    K_AS,
    K_MAC,
    K_X509,
    K_ATTACHMENT,
    K_MALWARE_SAMPLE,
    K_HOST_PORT,
    K_GITHUB,
    K_PATTERN, /* a pattern and no SCO (the SCO would be invalid alone): arg is the path */
    K_SDO,
    K_RULE,
    K_SKIP,
};

static const struct type_row {
    const char *type;
    enum kind kind;
    const char *arg; /* hash name, SDO type, pattern_type, "src"/"dst", or the skip reason */
} types[] = {
    {"domain", K_DOMAIN, NULL},
    {"hostname", K_DOMAIN, NULL},
    {"ip-src", K_IP, "src"},
    {"ip-dst", K_IP, "dst"},
    {"ip-src|port", K_IP_PORT, "src"},
    {"ip-dst|port", K_IP_PORT, "dst"},
    {"domain|ip", K_DOMAIN_IP, NULL},
    {"hostname|port", K_HOST_PORT, NULL},
    {"github-username", K_GITHUB, NULL},
    {"port", K_PATTERN, "network-traffic:dst_port"},
    {"size-in-bytes", K_PATTERN, "file:size"},
    {"http-method", K_PATTERN, "network-traffic:extensions.'http-request-ext'.request_method"},
    {"user-agent", K_PATTERN,
     "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'"},
    {"url", K_URL, NULL},
    {"link", K_URL, NULL},
    {"uri", K_URL, NULL},
    {"md5", K_HASH, "MD5"},
    {"sha1", K_HASH, "SHA-1"},
    {"sha224", K_HASH, "SHA-224"},
    {"sha256", K_HASH, "SHA-256"},
    {"sha384", K_HASH, "SHA-384"},
    {"sha512", K_HASH, "SHA-512"},
    {"sha3-224", K_HASH, "SHA3-224"},
    {"sha3-256", K_HASH, "SHA3-256"},
    {"sha3-384", K_HASH, "SHA3-384"},
    {"sha3-512", K_HASH, "SHA3-512"},
    {"ssdeep", K_HASH, "SSDEEP"},
    {"tlsh", K_HASH, "TLSH"},
    {"imphash", K_HASH, "IMPHASH"},
    {"pehash", K_HASH, "PEHASH"},
    {"authentihash", K_HASH, "AUTHENTIHASH"},
    {"vhash", K_HASH, "VHASH"},
    {"telfhash", K_HASH, "TELFHASH"},
    {"filename", K_FILENAME, NULL},
    {"filename|md5", K_FILENAME_HASH, "MD5"},
    {"filename|sha1", K_FILENAME_HASH, "SHA-1"},
    {"filename|sha224", K_FILENAME_HASH, "SHA-224"},
    {"filename|sha256", K_FILENAME_HASH, "SHA-256"},
    {"filename|sha384", K_FILENAME_HASH, "SHA-384"},
    {"filename|sha512", K_FILENAME_HASH, "SHA-512"},
    {"filename|sha3-224", K_FILENAME_HASH, "SHA3-224"},
    {"filename|sha3-256", K_FILENAME_HASH, "SHA3-256"},
    {"filename|sha3-384", K_FILENAME_HASH, "SHA3-384"},
    {"filename|sha3-512", K_FILENAME_HASH, "SHA3-512"},
    {"filename|ssdeep", K_FILENAME_HASH, "SSDEEP"},
    {"filename|tlsh", K_FILENAME_HASH, "TLSH"},
    {"filename|imphash", K_FILENAME_HASH, "IMPHASH"},
    {"filename|pehash", K_FILENAME_HASH, "PEHASH"},
    {"filename|authentihash", K_FILENAME_HASH, "AUTHENTIHASH"},
    {"filename|vhash", K_FILENAME_HASH, "VHASH"},
    {"email-src", K_EMAIL_SRC, NULL},
    {"email-dst", K_EMAIL_DST, NULL},
    {"email", K_EMAIL, NULL},
    {"email-subject", K_EMAIL_SUBJECT, NULL},
    {"email-message-id", K_EMAIL_MESSAGE_ID, NULL},
    {"email-attachment", K_EMAIL_ATTACHMENT, NULL},
    {"email-body", K_EMAIL_FIELD, "body"},
    {"email-header", K_EMAIL_FIELD, "received_lines"},
    {"email-reply-to", K_EMAIL_FIELD, "Reply-To"},
    {"email-x-mailer", K_EMAIL_FIELD, "X-Mailer"},
    {"regkey", K_REGKEY, NULL},
    {"regkey|value", K_REGKEY_VALUE, NULL},
    {"mutex", K_MUTEX, NULL},
    {"AS", K_AS, NULL},
    {"mac-address", K_MAC, NULL},
    {"x509-fingerprint-md5", K_X509, "MD5"},
    {"x509-fingerprint-sha1", K_X509, "SHA-1"},
    {"x509-fingerprint-sha256", K_X509, "SHA-256"},
    {"attachment", K_ATTACHMENT, NULL},
    {"malware-sample", K_MALWARE_SAMPLE, NULL},
    {"vulnerability", K_SDO, "vulnerability"},
    {"campaign-name", K_SDO, "campaign"},
    {"threat-actor", K_SDO, "threat-actor"},
    {"yara", K_RULE, "yara"},
    {"snort", K_RULE, "snort"},
    {"sigma", K_RULE, "sigma"},
    {"suricata", K_RULE, "suricata"},
    {"pcre", K_RULE, "pcre"},
};

static const struct type_row *find_type(const char *type)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(types[i].type, type))
            return &types[i];
    return NULL;
}

/* A path component must be quoted when it is not [A-Za-z_][A-Za-z0-9_]* (the grammar's
 * IdentifierWithoutHyphen): hash names with '-' ('SHA-256'). */
const char *misp_hash_key(const char *type)
{
    const struct type_row *row = find_type(type);
    return row && row->kind == K_HASH ? row->arg : NULL;
}

int misp_path_key(struct dbuf *b, const char *prefix, const char *key)
{
    bool plain = isalpha((unsigned char)key[0]) || key[0] == '_';
    for (const char *k = key; *k && plain; k++)
        plain = isalnum((unsigned char)*k) || *k == '_';
    return plain ? dbuf_printf(b, "%s.%s", prefix, key) : dbuf_printf(b, "%s.'%s'", prefix, key);
}

int misp_pattern_cmp(struct dbuf *b, const char *path, const char *value, bool number)
{
    if (!value)
        value = "";
    int rc = dbuf_printf(b, "%s%s = ", b->len ? " AND " : "", path);
    if (number)
        return rc ? rc : dbuf_puts(b, value);
    rc = rc ? rc : dbuf_puts(b, "'");
    for (const char *p = value; *p && !rc; p++) {
        if (*p == '\'' || *p == '\\')
            rc = dbuf_append(b, "\\", 1);
        rc = rc ? rc : dbuf_append(b, p, 1);
    }
    return rc ? rc : dbuf_puts(b, "'");
}

static json_t *new_sco(const char *type, const char *src, const char *suffix)
{
    char key[200], id[96];
    snprintf(key, sizeof key, "%s:%s%s%s", type, src, suffix ? ":" : "", suffix ? suffix : "");
    misp_stix_id(type, key, id);
    return misp_sco(type, id);
}

static const char *sid(json_t *sco)
{
    return misp_str(sco, "id");
}

/* Splits "a|b" at the first (or last) '|' into a and b (in scratch); false without one. */
static bool split(const char *v, bool last, char **a, char **b, struct dbuf *scratch)
{
    const char *bar = last ? strrchr(v, '|') : strchr(v, '|');
    if (!bar)
        return false;
    dbuf_reset(scratch);
    if (dbuf_append(scratch, v, strlen(v)))
        return false;
    scratch->ptr[bar - v] = '\0';
    *a = scratch->ptr;
    *b = scratch->ptr + (bar - v) + 1;
    return true;
}

static bool parse_port(const char *s, int64_t *port)
{
    return lia_parse_i64(s, strlen(s), 0, 65535, port) == 0;
}

static void ip_form(struct misp_value_form *f, const char *dir, const char *ip, const char *port,
                    const char *src)
{
    bool v6 = strchr(ip, ':') != NULL;
    const char *iptype = v6 ? "ipv6-addr" : "ipv4-addr";
    json_t *addr = new_sco(iptype, src, NULL);
    json_object_set_new(addr, "value", json_string(ip));
    json_t *nt = new_sco("network-traffic", src, NULL);
    char ref[16], path[64];
    snprintf(ref, sizeof ref, "%s_ref", dir);
    json_object_set_new(nt, ref, json_string(sid(addr)));
    int64_t p = 0;
    if (port) {
        char pk[16];
        snprintf(pk, sizeof pk, "%s_port", dir);
        parse_port(port, &p);
        json_object_set_new(nt, pk, json_integer(p));
    }
    json_object_set_new(nt, "protocols", json_pack("[s]", v6 ? "ipv6" : "ipv4"));
    json_array_append_new(f->scos, nt);
    json_array_append_new(f->scos, addr);
    snprintf(path, sizeof path, "network-traffic:%s_ref.type", dir);
    misp_pattern_cmp(&f->pattern, path, iptype, false);
    snprintf(path, sizeof path, "network-traffic:%s_ref.value", dir);
    misp_pattern_cmp(&f->pattern, path, ip, false);
    if (port) {
        char n[24];
        snprintf(n, sizeof n, "%lld", (long long)p);
        snprintf(path, sizeof path, "network-traffic:%s_port", dir);
        misp_pattern_cmp(&f->pattern, path, n, true);
    }
}

static json_t *file_sco(struct misp_value_form *f, const char *src, const char *name,
                        const char *hash_key, const char *hash)
{
    json_t *file = new_sco("file", src, NULL);
    if (hash_key) {
        json_object_set_new(file, "hashes", json_pack("{s:s}", hash_key, hash));
        struct dbuf p;
        dbuf_init(&p, 512);
        misp_path_key(&p, "file:hashes", hash_key);
        if (name)
            misp_pattern_cmp(&f->pattern, "file:name", name, false);
        misp_pattern_cmp(&f->pattern, p.ptr ? p.ptr : "file:hashes", hash, false);
        dbuf_release(&p);
    } else {
        misp_pattern_cmp(&f->pattern, "file:name", name, false);
    }
    if (name)
        json_object_set_new(file, "name", json_string(name));
    json_array_append_new(f->scos, file);
    return file;
}

static json_t *email_message(struct misp_value_form *f, const char *src, bool multipart)
{
    json_t *m = new_sco("email-message", src, NULL);
    json_object_set_new(m, "is_multipart", json_boolean(multipart));
    json_array_append_new(f->scos, m);
    return m;
}

static json_t *email_addr(struct misp_value_form *f, const char *src, const char *value)
{
    json_t *a = new_sco("email-addr", src, NULL);
    json_object_set_new(a, "value", json_string(value));
    json_array_append_new(f->scos, a);
    return a;
}

static void sco_form(const struct type_row *row, const char *value, const char *src, json_t *attr,
                     struct misp_value_form *f)
{
    struct dbuf scratch;
    dbuf_init(&scratch, 16u << 20);
    char *a = NULL, *b = NULL;
    f->form = MISP_FORM_SCO;
    switch (row->kind) {
    case K_DOMAIN: {
        json_t *d = new_sco("domain-name", src, NULL);
        json_object_set_new(d, "value", json_string(value));
        json_array_append_new(f->scos, d);
        misp_pattern_cmp(&f->pattern, "domain-name:value", value, false);
        break;
    }
    case K_IP:
        ip_form(f, row->arg, value, NULL, src);
        break;
    case K_IP_PORT: {
        int64_t p;
        if (!split(value, true, &a, &b, &scratch) || !parse_port(b, &p)) {
            f->form = MISP_FORM_NONE;
            f->why = "not an address|port pair with a port of 0-65535";
            break;
        }
        ip_form(f, row->arg, a, b, src);
        break;
    }
    case K_DOMAIN_IP: {
        if (!split(value, false, &a, &b, &scratch)) {
            f->form = MISP_FORM_NONE;
            f->why = "not a domain|ip pair";
            break;
        }
        bool v6 = strchr(b, ':') != NULL;
        json_t *ip = new_sco(v6 ? "ipv6-addr" : "ipv4-addr", src, NULL);
        json_object_set_new(ip, "value", json_string(b));
        json_t *d = new_sco("domain-name", src, NULL);
        json_object_set_new(d, "value", json_string(a));
        json_object_set_new(d, "resolves_to_refs", json_pack("[s]", sid(ip)));
        json_array_append_new(f->scos, d);
        json_array_append_new(f->scos, ip);
        misp_pattern_cmp(&f->pattern, "domain-name:value", a, false);
        misp_pattern_cmp(&f->pattern, "domain-name:resolves_to_refs[*].value", b, false);
        break;
    }
    case K_HOST_PORT: {
        int64_t p;
        if (!split(value, true, &a, &b, &scratch) || !parse_port(b, &p)) {
            f->form = MISP_FORM_NONE;
            f->why = "not a hostname|port pair with a port of 0-65535";
            break;
        }
        json_t *d = new_sco("domain-name", src, NULL);
        json_object_set_new(d, "value", json_string(a));
        json_t *nt = new_sco("network-traffic", src, NULL);
        json_object_set_new(nt, "dst_ref", json_string(sid(d)));
        json_object_set_new(nt, "dst_port", json_integer(p));
        json_object_set_new(nt, "protocols", json_pack("[s]", "tcp"));
        json_array_append_new(f->scos, nt);
        json_array_append_new(f->scos, d);
        char n[24];
        snprintf(n, sizeof n, "%lld", (long long)p);
        misp_pattern_cmp(&f->pattern, "network-traffic:dst_ref.type", "domain-name", false);
        misp_pattern_cmp(&f->pattern, "network-traffic:dst_ref.value", a, false);
        misp_pattern_cmp(&f->pattern, "network-traffic:dst_port", n, true);
        break;
    }
    case K_GITHUB: {
        json_t *u = new_sco("user-account", src, NULL);
        json_object_set_new(u, "account_type", json_string("github"));
        json_object_set_new(u, "account_login", json_string(value));
        json_array_append_new(f->scos, u);
        misp_pattern_cmp(&f->pattern, "user-account:account_type", "github", false);
        misp_pattern_cmp(&f->pattern, "user-account:account_login", value, false);
        break;
    }
    case K_PATTERN: {
        /* Numbers (a port, a size) are compared as integers. */
        int64_t n;
        bool number = !strcmp(row->type, "port") || !strcmp(row->type, "size-in-bytes");
        if (number && lia_parse_i64(value, strlen(value), 0, INT64_MAX / 2, &n) != 0) {
            f->form = MISP_FORM_NONE;
            f->why = "not a number";
            break;
        }
        misp_pattern_cmp(&f->pattern, row->arg, value, number);
        break;
    }
    case K_URL: {
        json_t *u = new_sco("url", src, NULL);
        json_object_set_new(u, "value", json_string(value));
        json_array_append_new(f->scos, u);
        misp_pattern_cmp(&f->pattern, "url:value", value, false);
        break;
    }
    case K_HASH:
        file_sco(f, src, NULL, row->arg, value);
        break;
    case K_FILENAME:
        file_sco(f, src, value, NULL, NULL);
        break;
    case K_FILENAME_HASH:
    case K_MALWARE_SAMPLE:
        if (!split(value, true, &a, &b, &scratch)) {
            f->form = MISP_FORM_NONE;
            f->why = "not a filename|hash pair";
            break;
        }
        file_sco(f, src, a, row->arg ? row->arg : "MD5", b);
        if (row->kind == K_MALWARE_SAMPLE)
            f->why = "the sample itself is not imported";
        break;
    case K_EMAIL_SRC: {
        json_t *m = email_message(f, src, false);
        json_t *ad = email_addr(f, src, value);
        json_object_set_new(m, "from_ref", json_string(sid(ad)));
        misp_pattern_cmp(&f->pattern, "email-message:from_ref.value", value, false);
        break;
    }
    case K_EMAIL_DST: {
        json_t *m = email_message(f, src, false);
        json_t *ad = email_addr(f, src, value);
        json_object_set_new(m, "to_refs", json_pack("[s]", sid(ad)));
        misp_pattern_cmp(&f->pattern, "email-message:to_refs[*].value", value, false);
        break;
    }
    case K_EMAIL:
        email_addr(f, src, value);
        misp_pattern_cmp(&f->pattern, "email-addr:value", value, false);
        break;
    case K_EMAIL_SUBJECT:
        json_object_set_new(email_message(f, src, false), "subject", json_string(value));
        misp_pattern_cmp(&f->pattern, "email-message:subject", value, false);
        break;
    case K_EMAIL_MESSAGE_ID:
        json_object_set_new(email_message(f, src, false), "message_id", json_string(value));
        misp_pattern_cmp(&f->pattern, "email-message:message_id", value, false);
        break;
    case K_EMAIL_ATTACHMENT: {
        json_t *m = email_message(f, src, true);
        json_t *file = new_sco("file", src, NULL);
        json_object_set_new(file, "name", json_string(value));
        json_object_set_new(m, "body_multipart",
                            json_pack("[{s:s,s:s}]", "body_raw_ref", sid(file),
                                      "content_disposition", "attachment"));
        json_array_append_new(f->scos, file);
        misp_pattern_cmp(&f->pattern, "email-message:body_multipart[*].body_raw_ref.name", value,
                         false);
        break;
    }
    case K_EMAIL_FIELD: {
        json_t *m = email_message(f, src, false);
        struct dbuf p;
        dbuf_init(&p, 512);
        if (!strcmp(row->arg, "body")) {
            json_object_set_new(m, "body", json_string(value));
            dbuf_puts(&p, "email-message:body");
        } else if (!strcmp(row->arg, "received_lines")) {
            json_object_set_new(m, "received_lines", json_pack("[s]", value));
            dbuf_puts(&p, "email-message:received_lines[*]");
        } else {
            json_object_set_new(m, "additional_header_fields", json_pack("{s:s}", row->arg, value));
            misp_path_key(&p, "email-message:additional_header_fields", row->arg);
        }
        misp_pattern_cmp(&f->pattern, p.ptr ? p.ptr : "", value, false);
        dbuf_release(&p);
        break;
    }
    case K_REGKEY:
    case K_REGKEY_VALUE: {
        const char *key = value;
        if (row->kind == K_REGKEY_VALUE) {
            if (!split(value, false, &a, &b, &scratch)) {
                f->form = MISP_FORM_NONE;
                f->why = "not a key|value pair";
                break;
            }
            key = a;
        }
        json_t *k = new_sco("windows-registry-key", src, NULL);
        json_object_set_new(k, "key", json_string(key));
        misp_pattern_cmp(&f->pattern, "windows-registry-key:key", key, false);
        if (row->kind == K_REGKEY_VALUE) {
            json_object_set_new(k, "values", json_pack("[{s:s}]", "data", b));
            misp_pattern_cmp(&f->pattern, "windows-registry-key:values[*].data", b, false);
        }
        json_array_append_new(f->scos, k);
        break;
    }
    case K_MUTEX: {
        json_t *m = new_sco("mutex", src, NULL);
        json_object_set_new(m, "name", json_string(value));
        json_array_append_new(f->scos, m);
        misp_pattern_cmp(&f->pattern, "mutex:name", value, false);
        break;
    }
    case K_AS: {
        const char *digits = value;
        if (!strncasecmp(digits, "AS", 2))
            digits += 2;
        int64_t n;
        if (lia_parse_i64(digits, strlen(digits), 0, 4294967295LL, &n) != 0) {
            f->form = MISP_FORM_NONE;
            f->why = "not an AS number";
            break;
        }
        json_t *as = new_sco("autonomous-system", src, NULL);
        json_object_set_new(as, "number", json_integer(n));
        json_array_append_new(f->scos, as);
        char t[24];
        snprintf(t, sizeof t, "%lld", (long long)n);
        misp_pattern_cmp(&f->pattern, "autonomous-system:number", t, true);
        break;
    }
    case K_MAC: {
        dbuf_reset(&scratch);
        for (const char *p = value; *p; p++) {
            char c = (char)tolower((unsigned char)*p);
            dbuf_append(&scratch, c == '-' ? ":" : &c, 1);
        }
        json_t *m = new_sco("mac-addr", src, NULL);
        json_object_set_new(m, "value", json_string(scratch.ptr ? scratch.ptr : ""));
        json_array_append_new(f->scos, m);
        misp_pattern_cmp(&f->pattern, "mac-addr:value", scratch.ptr ? scratch.ptr : "", false);
        break;
    }
    case K_X509: {
        json_t *c = new_sco("x509-certificate", src, NULL);
        json_object_set_new(c, "hashes", json_pack("{s:s}", row->arg, value));
        json_array_append_new(f->scos, c);
        struct dbuf p;
        dbuf_init(&p, 512);
        misp_path_key(&p, "x509-certificate:hashes", row->arg);
        misp_pattern_cmp(&f->pattern, p.ptr ? p.ptr : "", value, false);
        dbuf_release(&p);
        break;
    }
    case K_ATTACHMENT: {
        json_t *file = file_sco(f, src, value, NULL, NULL);
        const char *data = misp_str(attr, "data");
        if (data && *data) {
            json_t *art = new_sco("artifact", src, NULL);
            json_object_set_new(art, "payload_bin", json_string(data));
            json_object_set_new(file, "content_ref", json_string(sid(art)));
            json_array_append_new(f->scos, art);
        }
        break;
    }
    default:
        f->form = MISP_FORM_NONE;
        break;
    }
    dbuf_release(&scratch);
}

void misp_value_stix(const char *type, const char *value, const char *src, json_t *attr,
                     struct misp_value_form *f)
{
    memset(f, 0, sizeof *f);
    dbuf_init(&f->pattern, 64u << 20);
    f->scos = json_array();
    const struct type_row *row = find_type(type);
    if (!*value) {
        f->form = MISP_FORM_SKIP;
        f->why = "empty value";
    } else if (!row) {
        f->form = MISP_FORM_NONE;
        f->why = "no STIX form for this MISP type";
    } else if (row->kind == K_SDO || row->kind == K_RULE) {
        f->form = row->kind == K_SDO ? MISP_FORM_SDO : MISP_FORM_RULE;
        f->sdo_type = row->arg;
    } else {
        sco_form(row, value, src, attr, f);
    }
    if (f->form != MISP_FORM_SCO) {
        json_array_clear(f->scos);
        dbuf_reset(&f->pattern);
    }
}

void misp_value_form_release(struct misp_value_form *f)
{
    json_decref(f->scos);
    dbuf_release(&f->pattern);
    f->scos = NULL;
}

/* The first value of pairs at path, or NULL. */
static const char *pair(json_t *pairs, const char *path)
{
    size_t i;
    json_t *p;
    json_array_foreach(pairs, i, p)
    {
        if (!strcmp(json_string_value(json_array_get(p, 0))
                        ? json_string_value(json_array_get(p, 0))
                        : "",
                    path))
            return json_string_value(json_array_get(p, 1));
    }
    return NULL;
}

static const char *join(struct arena *a, const char *x, const char *y)
{
    return x && y ? arena_printf(a, "%s|%s", x, y) : NULL;
}

static const char *hash_pair(json_t *pairs, const char *prefix, const char *key, struct arena *a)
{
    struct dbuf p;
    dbuf_init(&p, 512);
    misp_path_key(&p, prefix, key);
    const char *v = p.ptr ? pair(pairs, p.ptr) : NULL;
    dbuf_release(&p);
    return v;
}

const char *misp_pairs_value(const char *type, json_t *pairs, struct arena *a)
{
    const struct type_row *row = find_type(type);
    if (!row || !pairs)
        return NULL;
    char path[64];
    const char *v = NULL;
    switch (row->kind) {
    case K_DOMAIN:
        v = pair(pairs, "domain-name:value");
        break;
    case K_IP:
    case K_IP_PORT:
        snprintf(path, sizeof path, "network-traffic:%s_ref.value", row->arg);
        v = pair(pairs, path);
        if (!v && row->kind == K_IP)
            v = pair(pairs, "ipv4-addr:value") ? pair(pairs, "ipv4-addr:value")
                                               : pair(pairs, "ipv6-addr:value");
        if (row->kind == K_IP_PORT) {
            snprintf(path, sizeof path, "network-traffic:%s_port", row->arg);
            v = join(a, v, pair(pairs, path));
        }
        break;
    case K_DOMAIN_IP:
        v = join(a, pair(pairs, "domain-name:value"),
                 pair(pairs, "domain-name:resolves_to_refs[*].value"));
        break;
    case K_URL:
        v = pair(pairs, "url:value");
        break;
    case K_HASH:
        v = hash_pair(pairs, "file:hashes", row->arg, a);
        break;
    case K_FILENAME:
    case K_ATTACHMENT:
        v = pair(pairs, "file:name");
        break;
    case K_FILENAME_HASH:
    case K_MALWARE_SAMPLE:
        v = join(a, pair(pairs, "file:name"),
                 hash_pair(pairs, "file:hashes", row->arg ? row->arg : "MD5", a));
        break;
    case K_EMAIL_SRC:
        v = pair(pairs, "email-message:from_ref.value");
        break;
    case K_EMAIL_DST:
        v = pair(pairs, "email-message:to_refs[*].value");
        break;
    case K_EMAIL:
        v = pair(pairs, "email-addr:value");
        break;
    case K_EMAIL_SUBJECT:
        v = pair(pairs, "email-message:subject");
        break;
    case K_EMAIL_MESSAGE_ID:
        v = pair(pairs, "email-message:message_id");
        break;
    case K_EMAIL_ATTACHMENT:
        v = pair(pairs, "email-message:body_multipart[*].body_raw_ref.name");
        break;
    case K_EMAIL_FIELD: {
        struct dbuf p;
        dbuf_init(&p, 512);
        if (!strcmp(row->arg, "body"))
            dbuf_puts(&p, "email-message:body");
        else if (!strcmp(row->arg, "received_lines"))
            dbuf_puts(&p, "email-message:received_lines[*]");
        else
            misp_path_key(&p, "email-message:additional_header_fields", row->arg);
        v = p.ptr ? pair(pairs, p.ptr) : NULL;
        dbuf_release(&p);
        break;
    }
    case K_REGKEY:
        v = pair(pairs, "windows-registry-key:key");
        break;
    case K_REGKEY_VALUE:
        v = join(a, pair(pairs, "windows-registry-key:key"),
                 pair(pairs, "windows-registry-key:values[*].data"));
        break;
    case K_MUTEX:
        v = pair(pairs, "mutex:name");
        break;
    case K_AS:
        v = pair(pairs, "autonomous-system:number");
        break;
    case K_MAC:
        v = pair(pairs, "mac-addr:value");
        break;
    case K_HOST_PORT:
        v = join(a, pair(pairs, "network-traffic:dst_ref.value"),
                 pair(pairs, "network-traffic:dst_port"));
        break;
    case K_GITHUB:
        v = pair(pairs, "user-account:account_login");
        break;
    case K_PATTERN:
        v = pair(pairs, row->arg);
        break;
    case K_X509:
        v = hash_pair(pairs, "x509-certificate:hashes", row->arg, a);
        break;
    default:
        break;
    }
    return v;
}

/* Paths that say a MISP attribute on their own, for STIX that carries no MISP record. */
static const struct {
    const char *path;
    const char *type;
} plain_paths[] = {
    {"domain-name:value", "domain"},
    {"domain-name:resolves_to_refs[*].value", "ip-dst"},
    {"ipv4-addr:value", "ip-dst"},
    {"ipv6-addr:value", "ip-dst"},
    {"network-traffic:dst_ref.value", "ip-dst"},
    {"network-traffic:src_ref.value", "ip-src"},
    {"url:value", "url"},
    {"file:name", "filename"},
    {"email-addr:value", "email"},
    {"email-message:from_ref.value", "email-src"},
    {"email-message:to_refs[*].value", "email-dst"},
    {"email-message:subject", "email-subject"},
    {"email-message:message_id", "email-message-id"},
    {"windows-registry-key:key", "regkey"},
    {"mutex:name", "mutex"},
    {"autonomous-system:number", "AS"},
    {"mac-addr:value", "mac-address"},
};

json_t *misp_pairs_attributes(json_t *pairs)
{
    json_t *out = json_array();
    size_t i;
    json_t *p;
    json_array_foreach(pairs, i, p)
    {
        const char *path = json_string_value(json_array_get(p, 0));
        const char *value = json_string_value(json_array_get(p, 1));
        const char *type = NULL;
        for (size_t k = 0; k < sizeof plain_paths / sizeof plain_paths[0] && !type; k++)
            if (!strcmp(plain_paths[k].path, path))
                type = plain_paths[k].type;
        for (size_t k = 0; k < sizeof types / sizeof types[0] && !type; k++) {
            if (types[k].kind != K_HASH && types[k].kind != K_X509)
                continue;
            struct dbuf b;
            dbuf_init(&b, 512);
            misp_path_key(&b, types[k].kind == K_HASH ? "file:hashes" : "x509-certificate:hashes",
                          types[k].arg);
            if (b.ptr && !strcmp(b.ptr, path))
                type = types[k].type;
            dbuf_release(&b);
        }
        if (type && value)
            json_array_append_new(out, json_pack("{s:s,s:s}", "type", type, "value", value));
    }
    return out;
}
