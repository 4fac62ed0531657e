/*
 * Webhook deliveries: one signed POST per attempt (libcurl).
 *
 * The body is {"event": seq, "timestamp": unix seconds, ...the event summary}; the same
 * timestamp goes in X-Liaison-Timestamp, and X-Liaison-Signature is "sha256=" and the hex
 * HMAC-SHA-256 of the exact body, keyed with the watch's secret (its text as bytes). Since the
 * timestamp is inside the signed body, a receiver can refuse old or replayed deliveries; the
 * event number lets it drop a retry it already has. Only http and https are spoken, redirects
 * are not followed, and the answer's body is read only up to a small bound and ignored.
 */
#include "watch/watch_int.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <sodium.h>

#define ANSWER_MAX 4096

static size_t discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    size_t *seen = userdata;
    (void)ptr;
    *seen += size * nmemb;
    return *seen > ANSWER_MAX ? 0 : size * nmemb; /* 0 ends the transfer: we have our status */
}

int watch_webhook_post(const char *url, const char *secret, int64_t seq, const char *summary,
                       long timeout_s, struct lia_err *err)
{
    int64_t now_s = lia_now_us() / 1000000;
    struct dbuf body;
    dbuf_init(&body, strlen(summary) + 128);
    if (summary[0] != '{' || dbuf_printf(&body, "{\"event\":%lld,\"timestamp\":%lld,%s",
                                         (long long)seq, (long long)now_s, summary + 1) != 0) {
        dbuf_release(&body);
        return lia_err_set(err, LIA_EINTERNAL, "cannot build the webhook body");
    }
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body.ptr, body.len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_memzero(&st, sizeof st);
    char hex[2 * sizeof mac + 1];
    sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
    char sig_header[100], ts_header[64];
    snprintf(sig_header, sizeof sig_header, "X-Liaison-Signature: sha256=%s", hex);
    snprintf(ts_header, sizeof ts_header, "X-Liaison-Timestamp: %lld", (long long)now_s);

    CURL *k = curl_easy_init();
    struct curl_slist *headers = NULL;
    headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, sig_header);
    headers = curl_slist_append(headers, ts_header);
    headers = curl_slist_append(headers, "Expect:");
    int rc = 0;
    if (!k || !headers) {
        rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    } else {
        size_t seen = 0;
        char errbuf[CURL_ERROR_SIZE] = "";
        curl_easy_setopt(k, CURLOPT_URL, url);
        curl_easy_setopt(k, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(k, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(k, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(k, CURLOPT_CONNECTTIMEOUT, timeout_s);
        curl_easy_setopt(k, CURLOPT_TIMEOUT, timeout_s);
        curl_easy_setopt(k, CURLOPT_USERAGENT, "liaison/" LIAISON_VERSION);
        curl_easy_setopt(k, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(k, CURLOPT_POST, 1L);
        curl_easy_setopt(k, CURLOPT_POSTFIELDS, body.ptr);
        curl_easy_setopt(k, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body.len);
        curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(k, CURLOPT_WRITEDATA, &seen);
        curl_easy_setopt(k, CURLOPT_ERRORBUFFER, errbuf);
        CURLcode cc = curl_easy_perform(k);
        long status = 0;
        curl_easy_getinfo(k, CURLINFO_RESPONSE_CODE, &status);
        if (cc != CURLE_OK && !(cc == CURLE_WRITE_ERROR && status))
            rc = lia_err_set(err, LIA_EIO, "webhook: %s",
                             errbuf[0] ? errbuf : curl_easy_strerror(cc));
        else if (status < 200 || status > 299)
            rc = lia_err_set(err, LIA_EIO, "webhook: the receiver answered %ld", status);
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(k);
    dbuf_release(&body);
    return rc;
}
