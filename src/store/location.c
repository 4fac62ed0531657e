/*
 * Where a data directory's store is. By default DIR/liaison.db (SQLite);
 * `store = postgres://...` (or `store = sqlite:PATH`) in DIR/liaison.conf
 * points the directory at another store, so that every command given
 * --data DIR opens the same one (docs/scale-out.md). Only that one line is
 * read here; the rest of the file is the CLI's (cli/config.c).
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

int store_path_for_dir(const char *dir, char *out, size_t outlen)
{
    int n = snprintf(out, outlen, "%s/liaison.db", dir);
    return n < 0 || (size_t)n >= outlen ? LIA_EINVAL : 0;
}

int store_location_for_dir(const char *dir, char *out, size_t outlen)
{
    char conf[4200];
    int n = snprintf(conf, sizeof conf, "%s/liaison.conf", dir);
    if (n < 0 || (size_t)n >= sizeof conf)
        return LIA_EINVAL;
    char *text = NULL;
    size_t len;
    struct lia_err err;
    lia_err_clear(&err);
    if (lia_read_file(conf, 1024 * 1024, &text, &len, &err) == 0) {
        int rc = 1;
        for (char *line = text; line && rc == 1;) {
            char *nl = strchr(line, '\n');
            if (nl)
                *nl = '\0';
            char *l = trim(line);
            char *eq = strchr(l, '=');
            if (*l != '#' && eq) {
                *eq = '\0';
                if (!strcmp(trim(l), "store")) {
                    const char *v = trim(eq + 1);
                    n = snprintf(out, outlen, "%s", v);
                    rc = n < 0 || (size_t)n >= outlen ? LIA_EINVAL : 0;
                }
            }
            line = nl ? nl + 1 : NULL;
        }
        free(text);
        if (rc != 1)
            return rc;
    }
    return store_path_for_dir(dir, out, outlen);
}

bool store_is_pg(const char *location)
{
    return !strncmp(location, "postgres://", 11) || !strncmp(location, "postgresql://", 13);
}

void store_location_redact(const char *location, char *out, size_t outlen)
{
    const char *scheme = strstr(location, "://");
    if (!scheme) {
        snprintf(out, outlen, "%s", location);
        return;
    }
    const char *rest = scheme + 3;
    size_t auth = strcspn(rest, "/?#");
    const char *at = memchr(rest, '@', auth);
    const char *colon = at ? memchr(rest, ':', (size_t)(at - rest)) : NULL;
    size_t qlen = strcspn(location, "?#");
    if (colon)
        snprintf(out, outlen, "%.*s:***%.*s", (int)(colon - location), location,
                 (int)(qlen - (size_t)(at - location)), at);
    else
        snprintf(out, outlen, "%.*s", (int)qlen, location);
}

bool store_location_has_password(const char *location)
{
    const char *scheme = strstr(location, "://");
    if (!scheme || !store_is_pg(location))
        return false;
    const char *rest = scheme + 3;
    size_t auth = strcspn(rest, "/?#");
    const char *at = memchr(rest, '@', auth);
    if (at && memchr(rest, ':', (size_t)(at - rest)))
        return true;
    const char *q = strchr(location, '?');
    for (const char *p = q; p && *p; p = strchr(p + 1, '&'))
        if (!strncmp(p + 1, "password=", 9))
            return true;
    return false;
}
