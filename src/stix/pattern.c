/*
 * STIX patterning (STIX 2.1 section 9): a parser written from the grammar the specification
 * gives (sections 9.2-9.7), for indicators whose pattern_type is "stix". Debian has no C
 * library for it. The parser builds nothing: it reads the pattern once, left to right, with
 * one token of look-ahead, and checks as it goes.
 *
 *   pattern     := obs_or { FOLLOWEDBY obs_or } EOF
 *   obs_or      := obs_and { OR obs_and }
 *   obs_and     := obs { AND obs }
 *   obs         := ( "[" comparison "]" | "(" pattern ")" ) { qualifier }
 *   qualifier   := WITHIN number SECONDS | REPEATS integer TIMES | START ts STOP ts
 *   comparison  := cmp_and { OR cmp_and }
 *   cmp_and     := test { AND test }
 *   test        := "(" comparison ")" | EXISTS path
 *                | path [NOT] ( "=" | "!=" | "<" | "<=" | ">" | ">=" ) constant
 *                | path [NOT] IN "(" [ constant { "," constant } ] ")"
 *                | path [NOT] ( LIKE | MATCHES | ISSUBSET | ISSUPERSET ) string
 *   path        := type ":" (name | string) { "." (name | string) | "[" (integer | "*") "]" }
 *
 * Keywords are upper case; constants are as section 9.2 writes them: 'string' (only \' and
 * \\ escapes), integers and floats without a plus sign, true/false, b'base64', h'hex',
 * t'timestamp' (a real STIX timestamp). Whitespace is any Unicode White_Space character.
 *
 * Beyond the syntax (each a MUST of section 9):
 *  - an observation expression has at most one qualifier of each kind (9.5.1); REPEATS
 *    takes a positive integer and WITHIN a positive number;
 *  - object paths (9.7) start with a valid type name; a type the spec defines must be an
 *    SCO; its properties are walked through the tables of types.c: a list needs an index
 *    and only a list takes one, a scalar has no sub-properties, references lead to the
 *    properties of the objects they may point to, extensions to the predefined extensions.
 *    Property names the spec does not define are custom properties (allowed, section 11.1)
 *    and must be valid property names; custom types are allowed as section 9.7 says;
 *  - the constant has the type of the property (9.6.1 with the comparable types of 9.2):
 *    numbers for integers and floats, t'' for timestamps, true/false for booleans, and a
 *    string, b'' or h'' for strings; IN sets are of one type; hash values in hashes have
 *    their algorithm's length;
 *  - ISSUBSET and ISSUPERSET compare a value property with an IP address or CIDR block;
 *  - MATCHES takes a PCRE regular expression: it must compile (libpcre2, DOTALL as 9.6.1
 *    says).
 */
#include "stix/stix_internal.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NESTING 64 /* brackets and parentheses: the parser recurses on them */
#define MAX_COMPONENTS 32

enum tok {
    T_EOF,
    T_LBRACK,
    T_RBRACK,
    T_LPAREN,
    T_RPAREN,
    T_COLON,
    T_DOT,
    T_COMMA,
    T_STAR,
    T_EQ,
    T_NEQ,
    T_LT,
    T_LE,
    T_GT,
    T_GE,
    T_AND,
    T_OR,
    T_NOT,
    T_FOLLOWEDBY,
    T_LIKE,
    T_MATCHES,
    T_ISSUPERSET,
    T_ISSUBSET,
    T_EXISTS,
    T_IN,
    T_START,
    T_STOP,
    T_SECONDS,
    T_WITHIN,
    T_REPEATS,
    T_TIMES,
    T_IDENT,  /* [A-Za-z_][A-Za-z0-9_]* */
    T_HIDENT, /* the same with hyphens */
    T_INT,
    T_FLOAT,
    T_STRING,
    T_BINARY,
    T_HEX,
    T_TIMESTAMP,
    T_BOOL,
};

static const char *const tok_names[] = {"end of pattern",
                                        "'['",
                                        "']'",
                                        "'('",
                                        "')'",
                                        "':'",
                                        "'.'",
                                        "','",
                                        "'*'",
                                        "'='",
                                        "'!='",
                                        "'<'",
                                        "'<='",
                                        "'>'",
                                        "'>='",
                                        "AND",
                                        "OR",
                                        "NOT",
                                        "FOLLOWEDBY",
                                        "LIKE",
                                        "MATCHES",
                                        "ISSUPERSET",
                                        "ISSUBSET",
                                        "EXISTS",
                                        "IN",
                                        "START",
                                        "STOP",
                                        "SECONDS",
                                        "WITHIN",
                                        "REPEATS",
                                        "TIMES",
                                        "a name",
                                        "a name",
                                        "an integer",
                                        "a float",
                                        "a string",
                                        "a binary constant",
                                        "a hex constant",
                                        "a timestamp",
                                        "a boolean"};

static const struct {
    const char *word;
    enum tok t;
} keywords[] = {
    {"AND", T_AND},
    {"OR", T_OR},
    {"NOT", T_NOT},
    {"FOLLOWEDBY", T_FOLLOWEDBY},
    {"LIKE", T_LIKE},
    {"MATCHES", T_MATCHES},
    {"ISSUPERSET", T_ISSUPERSET},
    {"ISSUBSET", T_ISSUBSET},
    {"EXISTS", T_EXISTS},
    {"IN", T_IN},
    {"START", T_START},
    {"STOP", T_STOP},
    {"SECONDS", T_SECONDS},
    {"WITHIN", T_WITHIN},
    {"REPEATS", T_REPEATS},
    {"TIMES", T_TIMES},
    {"true", T_BOOL},
    {"false", T_BOOL},
};

struct token {
    enum tok t;
    size_t at, len; /* bytes of the token in the pattern */
};

/* One component of an object path. */
struct component {
    bool index; /* [n] or [*] */
    const char *name;
    size_t len;
    bool quoted;
};

struct parser {
    const char *s;
    size_t n, i;
    struct token cur;
    const char *path; /* the property holding the pattern, for messages */
    struct lia_err *err;
    int depth;
    int rc;
};

static int fail(struct parser *p, enum stix_rule rule, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(struct parser *p, enum stix_rule rule, size_t at, const char *fmt, ...)
{
    char what[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (p->rc == 0)
        p->rc = stix_refuse(p->err, rule, p->path, "at character %zu: %s", at + 1, what);
    return STIX_EINVALID;
}

/* Length of the Unicode White_Space character at s[i], 0 if none. */
static size_t space_at(const char *s, size_t n, size_t i)
{
    unsigned char c = (unsigned char)s[i];
    if (c == ' ' || (c >= 0x09 && c <= 0x0d))
        return 1;
    if (c == 0xc2 && i + 1 < n &&
        ((unsigned char)s[i + 1] == 0x85 || (unsigned char)s[i + 1] == 0xa0))
        return 2;
    if (i + 2 >= n)
        return 0;
    unsigned char c1 = (unsigned char)s[i + 1], c2 = (unsigned char)s[i + 2];
    if (c == 0xe1 && c1 == 0x9a && c2 == 0x80) /* U+1680 */
        return 3;
    if (c == 0xe2 && c1 == 0x80 &&
        ((c2 >= 0x80 && c2 <= 0x8a) || c2 == 0xa8 || c2 == 0xa9 || c2 == 0xaf))
        return 3;                              /* U+2000-200A, 2028, 2029, 202F */
    if (c == 0xe2 && c1 == 0x81 && c2 == 0x9f) /* U+205F */
        return 3;
    if (c == 0xe3 && c1 == 0x80 && c2 == 0x80) /* U+3000 */
        return 3;
    return 0;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool ident_char(char c)
{
    return ident_start(c) || is_digit(c);
}

static bool is_b64(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '+' || c == '/';
}

/* A quoted body from s[i] (the opening quote) with only \' and \\ escapes; returns the index
 * after the closing quote, or 0 when there is none or an escape is bad (*bad_at tells). */
static size_t quoted_end(const char *s, size_t n, size_t i, size_t *bad_at)
{
    for (i++; i < n; i++) {
        if (s[i] == '\\') {
            if (i + 1 >= n || (s[i + 1] != '\'' && s[i + 1] != '\\')) {
                *bad_at = i;
                return 0;
            }
            i++;
        } else if (s[i] == '\'') {
            return i + 1;
        }
    }
    *bad_at = n;
    return 0;
}

static bool valid_binary(const char *s, size_t n)
{
    size_t k = 0, pad = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n' || s[i] == '\r')
            continue; /* section 9.2: line feeds are ignored */
        if (s[i] == '=') {
            pad++;
        } else if (!is_b64(s[i]) || pad) {
            return false;
        }
        k++;
    }
    return k % 4 == 0 && pad <= 2;
}

/* Reads the next token into p->cur; refuses on a character no token starts with. */
static int next(struct parser *p)
{
    const char *s = p->s;
    size_t n = p->n, i = p->i, w;
    for (;;) {
        if (i < n && (w = space_at(s, n, i)) > 0) {
            i += w;
        } else if (i + 1 < n && s[i] == '/' && s[i + 1] == '*') {
            const char *end = NULL;
            for (size_t j = i + 2; j + 1 < n; j++) {
                if (s[j] == '*' && s[j + 1] == '/') {
                    end = s + j + 2;
                    break;
                }
            }
            if (!end)
                return fail(p, STIX_RULE_PATTERN, i, "a comment is not closed");
            i = (size_t)(end - s);
        } else if (i + 1 < n && s[i] == '/' && s[i + 1] == '/') {
            while (i < n && s[i] != '\n' && s[i] != '\r')
                i++;
        } else {
            break;
        }
    }
    struct token t = {T_EOF, i, 0};
    if (i >= n) {
        p->cur = t;
        p->i = i;
        return 0;
    }
    char c = s[i];
    size_t bad_at = 0;
    switch (c) {
    case '[':
        t.t = T_LBRACK, t.len = 1;
        break;
    case ']':
        t.t = T_RBRACK, t.len = 1;
        break;
    case '(':
        t.t = T_LPAREN, t.len = 1;
        break;
    case ')':
        t.t = T_RPAREN, t.len = 1;
        break;
    case ':':
        t.t = T_COLON, t.len = 1;
        break;
    case ',':
        t.t = T_COMMA, t.len = 1;
        break;
    case '*':
        t.t = T_STAR, t.len = 1;
        break;
    case '=':
        t.t = T_EQ, t.len = i + 1 < n && s[i + 1] == '=' ? 2 : 1;
        break;
    case '!':
        if (i + 1 < n && s[i + 1] == '=')
            t.t = T_NEQ, t.len = 2;
        break;
    case '<':
        if (i + 1 < n && s[i + 1] == '=')
            t.t = T_LE, t.len = 2;
        else if (i + 1 < n && s[i + 1] == '>')
            t.t = T_NEQ, t.len = 2;
        else
            t.t = T_LT, t.len = 1;
        break;
    case '>':
        t.t = i + 1 < n && s[i + 1] == '=' ? T_GE : T_GT;
        t.len = t.t == T_GE ? 2 : 1;
        break;
    case '\'': {
        size_t e = quoted_end(s, n, i, &bad_at);
        if (!e)
            return fail(p, STIX_RULE_PATTERN, bad_at,
                        bad_at >= n ? "a string is not closed"
                                    : "in a string only \\' and \\\\ may follow a backslash");
        t.t = T_STRING, t.len = e - i;
        break;
    }
    default:
        break;
    }
    if (t.len == 0 && (c == '.' || c == '-' || c == '+' || is_digit(c))) {
        if (c == '.' && !(i + 1 < n && is_digit(s[i + 1]))) {
            t.t = T_DOT, t.len = 1;
        } else {
            size_t j = i;
            if (c == '+')
                return fail(p, STIX_RULE_PATTERN, i,
                            "numbers are written without a plus sign (section 9.2)");
            if (c == '-')
                j++;
            size_t d0 = j;
            while (j < n && is_digit(s[j]))
                j++;
            size_t intd = j - d0;
            bool flt = j < n && s[j] == '.' && j + 1 < n && is_digit(s[j + 1]);
            if (flt) {
                j++;
                while (j < n && is_digit(s[j]))
                    j++;
            }
            if (!flt && intd == 0)
                return fail(p, STIX_RULE_PATTERN, i, "'-' must start a number");
            if (!flt && intd > 1 && s[d0] == '0')
                return fail(p, STIX_RULE_PATTERN, i, "an integer has no leading zeros");
            if (j < n && (ident_char(s[j]) || s[j] == '.'))
                return fail(p, STIX_RULE_PATTERN, i, "\"%.*s\" is not a number",
                            (int)((j + 1 - i) > 40 ? 40 : (j + 1 - i)), s + i);
            t.t = flt ? T_FLOAT : T_INT, t.len = j - i;
        }
    }
    if (t.len == 0 && ident_start(c)) {
        size_t j = i + 1;
        bool hyphen = false;
        while (j < n && (ident_char(s[j]) || s[j] == '-')) {
            hyphen |= s[j] == '-';
            j++;
        }
        if (j == i + 1 && j < n && s[j] == '\'' && (c == 't' || c == 'b' || c == 'h')) {
            size_t e = quoted_end(s, n, j, &bad_at);
            if (!e)
                return fail(p, STIX_RULE_PATTERN, bad_at, "a %s constant is not closed",
                            c == 't'   ? "timestamp"
                            : c == 'b' ? "binary"
                                       : "hex");
            const char *body = s + j + 1;
            size_t blen = e - j - 2;
            struct lia_err why;
            int64_t us;
            if (c == 't') {
                if (stix_parse_timestamp(body, blen, &us, NULL, &why))
                    return fail(p, STIX_RULE_PATTERN, i, "t'%.*s' is not a timestamp: %s",
                                (int)(blen > 40 ? 40 : blen), body, why.msg);
                t.t = T_TIMESTAMP;
            } else if (c == 'b') {
                if (!valid_binary(body, blen))
                    return fail(p, STIX_RULE_PATTERN, i, "b'%.*s' is not base64 (RFC 4648)",
                                (int)(blen > 40 ? 40 : blen), body);
                t.t = T_BINARY;
            } else {
                bool ok = blen % 2 == 0;
                for (size_t k = 0; ok && k < blen; k++)
                    ok = is_digit(body[k]) || (body[k] >= 'a' && body[k] <= 'f') ||
                         (body[k] >= 'A' && body[k] <= 'F');
                if (!ok)
                    return fail(p, STIX_RULE_PATTERN, i,
                                "h'%.*s' is not an even number of hex digits",
                                (int)(blen > 40 ? 40 : blen), body);
                t.t = T_HEX;
            }
            t.len = e - i;
        } else {
            t.t = hyphen ? T_HIDENT : T_IDENT;
            t.len = j - i;
            for (size_t k = 0; !hyphen && k < sizeof keywords / sizeof keywords[0]; k++) {
                if (strlen(keywords[k].word) == t.len &&
                    memcmp(keywords[k].word, s + i, t.len) == 0)
                    t.t = keywords[k].t;
            }
        }
    }
    if (t.len == 0)
        return fail(p, STIX_RULE_PATTERN, i, "unexpected character '%c'",
                    (unsigned char)c >= 0x20 && (unsigned char)c < 0x7f ? c : '?');
    p->cur = t;
    p->i = i + t.len;
    return 0;
}

static int expected(struct parser *p, const char *what)
{
    struct token t = p->cur;
    if (t.t == T_EOF)
        return fail(p, STIX_RULE_PATTERN, t.at, "expected %s, found the end of the pattern", what);
    return fail(p, STIX_RULE_PATTERN, t.at, "expected %s, found \"%.*s\"", what,
                (int)(t.len > 40 ? 40 : t.len), p->s + t.at);
}

static int expect(struct parser *p, enum tok t, const char *what)
{
    if (p->cur.t != t)
        return expected(p, what ? what : tok_names[t]);
    return next(p);
}

/* ---- object paths ---- */

enum walk { W_TYPE, W_LIST, W_DICT, W_HASHES, W_EXTENSIONS, W_REF, W_LEAF, W_ANY };

struct where {
    enum walk w;
    const struct stix_type *t;    /* W_TYPE */
    const struct stix_prop *prop; /* W_LIST (the list property), W_REF, W_LEAF */
    bool top;                     /* W_TYPE: a top-level SCO (it has extensions) */
    bool list_of_refs;            /* W_LIST: items are references */
};

static const struct stix_prop *find_prop(const struct stix_type *t, const char *k, size_t n)
{
    for (size_t i = 0; i < t->n_props; i++) {
        if (strlen(t->props[i].name) == n && memcmp(t->props[i].name, k, n) == 0)
            return &t->props[i];
    }
    return NULL;
}

/* Where a property of the shape p leads. */
static struct where enter_prop(const struct stix_prop *p)
{
    struct where w = {W_LEAF, NULL, p, false, false};
    switch (p->ptype) {
    case STIX_P_REF:
        w.w = W_REF;
        break;
    case STIX_P_REFS:
        w.w = W_LIST, w.list_of_refs = true;
        break;
    case STIX_P_STRINGS:
    case STIX_P_KILL_CHAIN:
    case STIX_P_LIST:
    case STIX_P_SWLANGS:
    case STIX_P_OBJECTS:
        w.w = W_LIST;
        break;
    case STIX_P_DICT:
        w.w = W_DICT;
        break;
    case STIX_P_HASHES:
        w.w = W_HASHES;
        break;
    case STIX_P_OBJECT:
        w.w = W_TYPE, w.t = p->sub;
        break;
    default:
        break;
    }
    return w;
}

static bool name_ok(const struct component *c)
{
    char buf[256];
    if (c->len >= sizeof buf)
        return false;
    memcpy(buf, c->name, c->len);
    buf[c->len] = '\0';
    return stix_is_valid_property_name(buf, c->len);
}

/* The property k of an object of type t (NULL: unknown type). */
static int step_into(struct parser *p, const struct stix_type *t, bool top,
                     const struct component *c, size_t at, struct where *out)
{
    static const char *const common[] = {
        "type", "id", "spec_version", "defanged", "object_marking_refs", "granular_markings"};
    const struct stix_prop *prop = t ? find_prop(t, c->name, c->len) : NULL;
    if (prop) {
        *out = enter_prop(prop);
        return 0;
    }
    if (top && c->len == 10 && memcmp(c->name, "extensions", 10) == 0) {
        *out = (struct where){W_EXTENSIONS, t, NULL, false, false};
        return 0;
    }
    for (size_t i = 0; i < sizeof common / sizeof common[0]; i++) {
        if (strlen(common[i]) == c->len && memcmp(common[i], c->name, c->len) == 0) {
            *out = (struct where){W_ANY, NULL, NULL, false, false};
            return 0;
        }
    }
    if (!name_ok(c))
        return fail(p, STIX_RULE_PATTERN_PATH, at,
                    "\"%.*s\" is not a property name (3-250 characters of a-z, 0-9 and _)",
                    (int)(c->len > 60 ? 60 : c->len), c->name);
    *out = (struct where){W_ANY, NULL, NULL, false, false}; /* a custom property */
    return 0;
}

/* The first of the '|'-separated targets of a reference that defines property c, or the
 * first known target. */
static const struct stix_type *deref_type(const char *targets, const struct component *c)
{
    const struct stix_type *first = NULL;
    const char *q = targets;
    if (!q || !q[0] || q[0] == '@')
        return NULL;
    while (*q) {
        const char *bar = strchr(q, '|');
        size_t k = bar ? (size_t)(bar - q) : strlen(q);
        char name[64];
        if (k < sizeof name) {
            memcpy(name, q, k);
            name[k] = '\0';
            const struct stix_type *t = stix_type_lookup(name);
            if (t && find_prop(t, c->name, c->len))
                return t;
            if (t && !first)
                first = t;
        }
        q += k + (bar ? 1 : 0);
    }
    return first;
}

/* The comparable constant types of section 9.2 for a property of shape pt. */
static bool comparable(unsigned char pt, enum tok lit)
{
    switch (pt) {
    case STIX_P_TIMESTAMP:
        return lit == T_TIMESTAMP;
    case STIX_P_BOOL:
        return lit == T_BOOL;
    case STIX_P_INT:
    case STIX_P_UINT:
    case STIX_P_NUMBER:
        return lit == T_INT || lit == T_FLOAT;
    default:
        return lit == T_STRING || lit == T_BINARY || lit == T_HEX;
    }
}

static const char *shape_words(unsigned char pt)
{
    switch (pt) {
    case STIX_P_TIMESTAMP:
        return "a timestamp: compare it with t'...'";
    case STIX_P_BOOL:
        return "a boolean: compare it with true or false";
    case STIX_P_INT:
    case STIX_P_UINT:
        return "an integer: compare it with a number";
    case STIX_P_NUMBER:
        return "a number: compare it with a number";
    default:
        return "a string: compare it with a string, b'...' or h'...'";
    }
}

struct path_info {
    size_t at;        /* where the path starts */
    const char *type; /* the object type */
    size_t type_len;
    struct where end;      /* where the last component leads */
    bool hash_algo;        /* the last component names a hash algorithm */
    struct component last; /* the last component */
};

static int parse_path(struct parser *p, struct path_info *pi)
{
    struct token t = p->cur;
    memset(pi, 0, sizeof *pi);
    pi->at = t.at;
    if (t.t != T_IDENT && t.t != T_HIDENT)
        return expected(p, "an object path (type:property)");
    pi->type = p->s + t.at;
    pi->type_len = t.len;
    if (next(p) || expect(p, T_COLON, "':' after the object type"))
        return STIX_EINVALID;
    char type[256];
    if (t.len >= sizeof type || !stix_is_valid_type(pi->type, t.len))
        return fail(p, STIX_RULE_PATTERN_PATH, t.at,
                    "\"%.*s\" is not a valid object type name (3-250 characters of a-z, 0-9 "
                    "and single hyphens)",
                    (int)(t.len > 60 ? 60 : t.len), pi->type);
    memcpy(type, pi->type, t.len);
    type[t.len] = '\0';
    const struct stix_type *st = stix_type_lookup(type);
    if (st && st->kind != STIX_KIND_SCO)
        return fail(p, STIX_RULE_PATTERN_PATH, t.at,
                    "object paths name cyber-observable (SCO) types; %s is not one", type);
    struct where w = {st ? W_TYPE : W_ANY, st, NULL, true, false};
    size_t ncomp = 0;
    bool first = true;
    for (;;) {
        struct component c = {false, NULL, 0, false};
        size_t at = p->cur.at;
        if (first) {
            if (p->cur.t != T_IDENT && p->cur.t != T_STRING)
                return expected(p, "a property name after ':'");
        } else if (p->cur.t == T_DOT) {
            if (next(p))
                return STIX_EINVALID;
            at = p->cur.at;
            if (p->cur.t != T_IDENT && p->cur.t != T_STRING)
                return expected(p, "a property name after '.' (names with '-' or '.' go in "
                                   "quotes)");
        } else if (p->cur.t == T_LBRACK) {
            if (next(p))
                return STIX_EINVALID;
            if (p->cur.t != T_INT && p->cur.t != T_STAR)
                return expected(p, "a list index (an integer or *)");
            c.index = true;
            if (next(p) || expect(p, T_RBRACK, "']' after the list index"))
                return STIX_EINVALID;
        } else {
            break;
        }
        if (!c.index) {
            c.quoted = p->cur.t == T_STRING;
            c.name = p->s + p->cur.at + (c.quoted ? 1 : 0);
            c.len = p->cur.len - (c.quoted ? 2 : 0);
            if (next(p))
                return STIX_EINVALID;
        }
        if (++ncomp > MAX_COMPONENTS)
            return fail(p, STIX_RULE_PATTERN_PATH, at, "an object path of more than %d parts",
                        MAX_COMPONENTS);
        first = false;
        pi->hash_algo = false;
        pi->last = c;
        /* Walk one step. */
        if (c.index) {
            if (w.w == W_LIST) {
                const struct stix_prop *lp = w.prop;
                if (w.list_of_refs)
                    w = (struct where){W_REF, NULL, lp, false, false};
                else if (lp->ptype == STIX_P_OBJECTS)
                    w = (struct where){W_TYPE, lp->sub, NULL, false, false};
                else if (lp->ptype == STIX_P_STRINGS || lp->ptype == STIX_P_SWLANGS)
                    w = (struct where){W_LEAF, NULL, NULL, false, false};
                else
                    w = (struct where){W_ANY, NULL, NULL, false, false};
            } else if (w.w != W_ANY) {
                return fail(p, STIX_RULE_PATTERN_PATH, at,
                            "a list index follows only a list property%s",
                            w.w == W_DICT || w.w == W_HASHES ? " (this one is a dictionary: "
                                                               "name its key)"
                                                             : "");
            }
            continue;
        }
        switch (w.w) {
        case W_TYPE:
            if (step_into(p, w.t, w.top, &c, at, &w))
                return STIX_EINVALID;
            break;
        case W_REF: {
            const struct stix_type *rt = deref_type(w.prop ? w.prop->target : NULL, &c);
            if (step_into(p, rt, rt != NULL, &c, at, &w))
                return STIX_EINVALID;
            break;
        }
        case W_EXTENSIONS: {
            char name[64];
            const struct stix_type *ext = NULL;
            if (c.len < sizeof name) {
                memcpy(name, c.name, c.len);
                name[c.len] = '\0';
                ext = stix_extension_lookup(name);
            }
            if (ext && w.t && strcmp(ext->extends, w.t->name) != 0)
                return fail(p, STIX_RULE_PATTERN_PATH, at, "%s is an extension of %s, not of %s",
                            name, ext->extends, w.t->name);
            w = ext ? (struct where){W_TYPE, ext, NULL, false, false}
                    : (struct where){W_ANY, NULL, NULL, false, false};
            break;
        }
        case W_HASHES:
            pi->hash_algo = true;
            w = (struct where){W_LEAF, NULL, NULL, false, false};
            break;
        case W_DICT:
        case W_ANY:
            w = (struct where){W_ANY, NULL, NULL, false, false};
            break;
        case W_LIST:
            return fail(p, STIX_RULE_PATTERN_PATH, at,
                        "%s is a list: index it ([0] or [*]) before naming a property",
                        w.prop->name);
        case W_LEAF:
            return fail(p, STIX_RULE_PATTERN_PATH, at, "%s has no properties (it is not an object)",
                        w.prop ? w.prop->name : "this value");
        }
    }
    pi->end = w;
    return 0;
}

/* The constant and the property it is compared with. */
static int check_constant(struct parser *p, const struct path_info *pi, struct token lit)
{
    if (pi->end.w == W_LEAF && pi->end.prop && !comparable(pi->end.prop->ptype, lit.t))
        return fail(p, STIX_RULE_PATTERN_PATH, lit.at, "%s is %s, not %s", pi->end.prop->name,
                    shape_words(pi->end.prop->ptype), tok_names[lit.t]);
    if (pi->hash_algo && lit.t == T_STRING) {
        char algo[64], path[STIX_PATH_MAX];
        size_t al = pi->last.len < sizeof algo ? pi->last.len : sizeof algo - 1;
        memcpy(algo, pi->last.name, al);
        algo[al] = '\0';
        struct lia_err why;
        const char *v = p->s + lit.at + 1;
        size_t vn = lit.len - 2;
        snprintf(path, sizeof path, "hashes.%s", algo);
        if (memchr(v, '\\', vn) == NULL && stix_check_hash(path, algo, v, vn, &why))
            return fail(p, STIX_RULE_PATTERN, lit.at, "'%.*s' is not a valid %s hash",
                        (int)(vn > 40 ? 40 : vn), v, algo);
    }
    return 0;
}

/* The unescaped body of a string token, into a malloc'd buffer. */
static char *unquote(const char *s, size_t len, size_t *out_len)
{
    char *b = malloc(len);
    if (!b)
        return NULL;
    size_t k = 0;
    for (size_t i = 1; i + 1 < len; i++) {
        if (s[i] == '\\')
            i++;
        b[k++] = s[i];
    }
    b[k] = '\0';
    *out_len = k;
    return b;
}

static int check_regex(struct parser *p, struct token lit)
{
    size_t n;
    char *re = unquote(p->s + lit.at, lit.len, &n);
    if (!re)
        return lia_err_set(p->err, LIA_ENOMEM, "out of memory"), (p->rc = LIA_ENOMEM);
    int code;
    PCRE2_SIZE off;
    pcre2_code *c = pcre2_compile((PCRE2_SPTR)re, n, PCRE2_DOTALL, &code, &off, NULL);
    free(re);
    if (c) {
        pcre2_code_free(c);
        return 0;
    }
    PCRE2_UCHAR msg[160];
    pcre2_get_error_message(code, msg, sizeof msg);
    return fail(p, STIX_RULE_PATTERN, lit.at,
                "MATCHES takes a PCRE regular expression: %s (at offset %zu of it)", (char *)msg,
                (size_t)off);
}

static bool is_constant(enum tok t)
{
    return t == T_INT || t == T_FLOAT || t == T_STRING || t == T_BINARY || t == T_HEX ||
           t == T_TIMESTAMP || t == T_BOOL;
}

static int parse_comparison(struct parser *p);

static int parse_test(struct parser *p)
{
    if (p->cur.t == T_LPAREN) {
        if (++p->depth > MAX_NESTING)
            return fail(p, STIX_RULE_PATTERN, p->cur.at, "nested deeper than %d", MAX_NESTING);
        if (next(p) || parse_comparison(p) || expect(p, T_RPAREN, "')'"))
            return STIX_EINVALID;
        p->depth--;
        return 0;
    }
    struct path_info pi;
    if (p->cur.t == T_EXISTS)
        return next(p) || parse_path(p, &pi) ? STIX_EINVALID : 0;
    if (parse_path(p, &pi))
        return STIX_EINVALID;
    if (p->cur.t == T_NOT && next(p))
        return STIX_EINVALID;
    enum tok op = p->cur.t;
    if (!(op == T_EQ || op == T_NEQ || op == T_LT || op == T_LE || op == T_GT || op == T_GE ||
          op == T_IN || op == T_LIKE || op == T_MATCHES || op == T_ISSUBSET || op == T_ISSUPERSET))
        return expected(p, "a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, "
                           "ISSUBSET, ISSUPERSET)");
    if (next(p))
        return STIX_EINVALID;
    struct token lit = p->cur;
    if (op == T_IN) {
        if (expect(p, T_LPAREN, "'(' to open the IN set"))
            return STIX_EINVALID;
        enum tok kind = T_EOF;
        while (p->cur.t != T_RPAREN) {
            if (kind != T_EOF && expect(p, T_COMMA, "',' or ')' in the IN set"))
                return STIX_EINVALID;
            lit = p->cur;
            if (!is_constant(lit.t) || lit.t == T_BOOL)
                return expected(p, "a constant in the IN set");
            enum tok k = lit.t == T_FLOAT ? T_INT : lit.t;
            if (kind != T_EOF && k != kind)
                return fail(p, STIX_RULE_PATTERN, lit.at,
                            "the constants of an IN set are of one type (section 9.6.1)");
            kind = k;
            if (check_constant(p, &pi, lit) || next(p))
                return STIX_EINVALID;
        }
        return next(p);
    }
    if (op == T_LIKE || op == T_MATCHES || op == T_ISSUBSET || op == T_ISSUPERSET) {
        if (lit.t != T_STRING)
            return expected(p, "a string ('...')");
        if (op == T_MATCHES && check_regex(p, lit))
            return STIX_EINVALID;
        if (op == T_ISSUBSET || op == T_ISSUPERSET) {
            bool v4 = pi.type_len == 9 && memcmp(pi.type, "ipv4-addr", 9) == 0;
            bool v6 = pi.type_len == 9 && memcmp(pi.type, "ipv6-addr", 9) == 0;
            struct lia_err why;
            const char *v = p->s + lit.at + 1;
            size_t vn = lit.len - 2;
            if (pi.last.index || pi.last.len != 5 || memcmp(pi.last.name, "value", 5) != 0)
                return fail(p, STIX_RULE_PATTERN_PATH, pi.at,
                            "%s compares the value property of an ipv4-addr or ipv6-addr",
                            tok_names[op]);
            bool ok4 = !v6 && stix_check_ip("", v, vn, false, &why) == 0;
            bool ok6 = !v4 && stix_check_ip("", v, vn, true, &why) == 0;
            if (!ok4 && !ok6)
                return fail(p, STIX_RULE_PATTERN, lit.at,
                            "'%.*s' is not an IP%s address or CIDR block", (int)(vn > 60 ? 60 : vn),
                            v,
                            v4   ? "v4"
                            : v6 ? "v6"
                                 : "");
        }
        return next(p);
    }
    if (!is_constant(lit.t))
        return expected(p, "a constant");
    if ((op != T_EQ && op != T_NEQ) && lit.t == T_BOOL)
        return fail(p, STIX_RULE_PATTERN, lit.at, "true and false are compared only with = and !=");
    if (check_constant(p, &pi, lit))
        return STIX_EINVALID;
    return next(p);
}

static int parse_cmp_and(struct parser *p)
{
    if (parse_test(p))
        return STIX_EINVALID;
    while (p->cur.t == T_AND) {
        if (next(p) || parse_test(p))
            return STIX_EINVALID;
    }
    return 0;
}

static int parse_comparison(struct parser *p)
{
    if (parse_cmp_and(p))
        return STIX_EINVALID;
    while (p->cur.t == T_OR) {
        if (next(p) || parse_cmp_and(p))
            return STIX_EINVALID;
    }
    return 0;
}

static int parse_pattern_expr(struct parser *p);

static int parse_qualifiers(struct parser *p)
{
    bool within = false, repeats = false, startstop = false;
    for (;;) {
        struct token q = p->cur;
        bool *seen;
        if (q.t == T_WITHIN)
            seen = &within;
        else if (q.t == T_REPEATS)
            seen = &repeats;
        else if (q.t == T_START)
            seen = &startstop;
        else
            return 0;
        if (*seen)
            return fail(p, STIX_RULE_PATTERN, q.at,
                        "a second %s qualifier on the same observation expression (section "
                        "9.5.1 allows one of each kind)",
                        q.t == T_START ? "START/STOP" : tok_names[q.t]);
        *seen = true;
        if (next(p))
            return STIX_EINVALID;
        struct token v = p->cur;
        if (q.t == T_WITHIN) {
            if (v.t != T_INT && v.t != T_FLOAT)
                return expected(p, "a positive number of seconds after WITHIN");
            if (p->s[v.at] == '-' || strtod(p->s + v.at, NULL) <= 0)
                return fail(p, STIX_RULE_PATTERN, v.at, "WITHIN takes a positive number");
            if (next(p) || expect(p, T_SECONDS, "SECONDS (the only unit)"))
                return STIX_EINVALID;
        } else if (q.t == T_REPEATS) {
            if (v.t != T_INT)
                return expected(p, "a positive integer after REPEATS");
            if (p->s[v.at] == '-' || (v.len == 1 && p->s[v.at] == '0'))
                return fail(p, STIX_RULE_PATTERN, v.at, "REPEATS takes a positive integer");
            if (next(p) || expect(p, T_TIMES, "TIMES"))
                return STIX_EINVALID;
        } else {
            if (v.t != T_TIMESTAMP)
                return expected(p, "a timestamp (t'...') after START");
            if (next(p) || expect(p, T_STOP, "STOP"))
                return STIX_EINVALID;
            if (p->cur.t != T_TIMESTAMP)
                return expected(p, "a timestamp (t'...') after STOP");
            if (next(p))
                return STIX_EINVALID;
        }
    }
}

static int parse_observation(struct parser *p)
{
    struct token t = p->cur;
    if (++p->depth > MAX_NESTING)
        return fail(p, STIX_RULE_PATTERN, t.at, "nested deeper than %d", MAX_NESTING);
    if (t.t == T_LBRACK) {
        if (next(p) || parse_comparison(p) || expect(p, T_RBRACK, "']' or AND / OR"))
            return STIX_EINVALID;
    } else if (t.t == T_LPAREN) {
        if (next(p) || parse_pattern_expr(p) || expect(p, T_RPAREN, "')'"))
            return STIX_EINVALID;
    } else if (t.t == T_IDENT || t.t == T_HIDENT) {
        return fail(p, STIX_RULE_PATTERN, t.at, "comparisons go inside square brackets: [%.*s ...]",
                    (int)(t.len > 40 ? 40 : t.len), p->s + t.at);
    } else {
        return expected(p, "'[' or '('");
    }
    p->depth--;
    return parse_qualifiers(p);
}

static int parse_obs_and(struct parser *p)
{
    if (parse_observation(p))
        return STIX_EINVALID;
    while (p->cur.t == T_AND) {
        if (next(p) || parse_observation(p))
            return STIX_EINVALID;
    }
    return 0;
}

static int parse_obs_or(struct parser *p)
{
    if (parse_obs_and(p))
        return STIX_EINVALID;
    while (p->cur.t == T_OR) {
        if (next(p) || parse_obs_and(p))
            return STIX_EINVALID;
    }
    return 0;
}

static int parse_pattern_expr(struct parser *p)
{
    if (parse_obs_or(p))
        return STIX_EINVALID;
    while (p->cur.t == T_FOLLOWEDBY) {
        if (next(p) || parse_obs_or(p))
            return STIX_EINVALID;
    }
    return 0;
}

int stix_check_pattern(const char *path, const char *s, size_t n, struct lia_err *err)
{
    struct parser p = {s, n, 0, {T_EOF, 0, 0}, path, err, 0, 0};
    if (!s || memchr(s, '\0', n))
        return stix_refuse(err, STIX_RULE_PATTERN, path, "a pattern is a string without NUL");
    if (next(&p) == 0 && parse_pattern_expr(&p) == 0 && p.cur.t != T_EOF)
        expected(&p, "FOLLOWEDBY, AND, OR, a qualifier or the end of the pattern");
    return p.rc;
}

int stix_validate_pattern(const char *pattern, size_t len, struct lia_err *err)
{
    return stix_check_pattern("pattern", pattern, len, err);
}
