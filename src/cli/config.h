/*
 * Private to src/cli/: the configuration of `liaison serve`. One file
 * (DIR/liaison.conf, or --config FILE) of `key = value` lines, then
 * command-line overrides (--set key=value and the dedicated flags). Every
 * limit of design.md invariant 6 has a key here; docs/configuration.md
 * lists them.
 */
#ifndef LIAISON_CLI_CONFIG_H
#define LIAISON_CLI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "util/util.h"

struct cli_config {
    char listen[128];
    char store[1024]; /* "" = DIR/liaison.db; else a store location (docs/scale-out.md) */
    char tls_cert[1024];
    char tls_key[1024];
    char tls_client_ca[1024];
    bool allow_plain_http;
    size_t max_content_length;
    size_t max_json_depth;
    size_t max_string_length;
    size_t max_objects_per_bundle;
    size_t default_page_size;
    size_t max_page_size;
    size_t max_filter_values;
    size_t rate_limit;
    size_t rate_burst;
    size_t auth_failure_rate;
    size_t auth_failure_burst;
    size_t response_cache_bytes;
    size_t response_cache_ms;
    size_t readahead_bytes;
    size_t parse_arena_bytes;
    bool fast_parse;
    size_t readahead_threads;
    size_t digest_sample; /* store_set_digest_sample */
    size_t max_connections;
    size_t per_ip_connections;
    size_t reserved_connections;
    size_t connection_timeout;
    size_t header_timeout;
    size_t body_timeout;
    size_t max_discard_length;
    size_t threads;
    size_t log_flush_ms;
    size_t request_memory;
    size_t max_response;
    char title[256];
    char description[512];
    char contact[256];
    char log_level[16];
    size_t sync_interval;           /* seconds between scheduled exchanges with peers; 0 = off */
    size_t watch_max_per_principal; /* docs/watches.md */
    size_t session_minutes;         /* docs/people.md */
    size_t signin_max_failures;
    size_t signin_lockout_seconds;
    size_t flows_max_rows;     /* docs/flows.md */
    size_t search_facet_rows;  /* docs/api.md, "Search" */
    size_t export_max_objects; /* docs/api.md, "Signed export" */
    size_t watch_poll_ms;
    size_t watch_keepalive;
    size_t sse_max_streams;
    size_t sse_recheck_ms;
    size_t watch_webhook_attempts;
    size_t watch_webhook_retry_ms;
    size_t watch_webhook_timeout;
    char web_root[1024];
    char store_check[8]; /* serve's check of a SQLite store at start: quick, full or none */
};

void cli_config_defaults(struct cli_config *cfg);
/* Applies one "key=value" (or key and value); LIA_EINVAL with a message for unknown keys
 * and bad values. */
int cli_config_set(struct cli_config *cfg, const char *key, const char *value, struct lia_err *err);
/* Reads a config file; a missing file is not an error when optional. */
int cli_config_load(struct cli_config *cfg, const char *path, bool optional, struct lia_err *err);
/* The settings of data directory dir (its liaison.conf, when there is one) for a command
 * beside the server: a bad file leaves the defaults (serve says what is wrong with it). */
void cli_config_of_data(const char *dir, struct cli_config *cfg);
/* Applies command-line overrides, each "KEY=VALUE" (--set), in order. */
int cli_config_apply_sets(struct cli_config *cfg, const char *const *sets, size_t n,
                          struct lia_err *err);
/* Appends the defaults, commented, as the text of a starting config file. */
int cli_config_default_text(struct dbuf *b);
/* Writes that text to path (mode 0600). */
int cli_config_write_default(const char *path, struct lia_err *err);

#endif
