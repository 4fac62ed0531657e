/*
 * Who is asking, as the transport tells it: the client's address, and the
 * verified TLS client certificate (SHA-256 fingerprint and subject DN), kept
 * per connection (http_int.h, struct conn_ctx) rather than verified again on
 * every request.
 */
#include "http/http_int.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#define CERT_RECHECK_US (60 * 1000000LL)

/* Dotted quad, as inet_ntop writes it, without its sprintf (a few percent of a small GET). */
static void format_ipv4(const struct in_addr *a, char *out)
{
    const unsigned char *b = (const unsigned char *)&a->s_addr;
    for (int i = 0; i < 4; i++) {
        unsigned v = b[i];
        if (v >= 100)
            *out++ = (char)('0' + v / 100);
        if (v >= 10)
            *out++ = (char)('0' + v / 10 % 10);
        *out++ = (char)('0' + v % 10);
        *out++ = i < 3 ? '.' : '\0';
    }
}

void server_client_identity(struct MHD_Connection *conn, struct http_request *req)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        char buf[INET6_ADDRSTRLEN] = "";
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            format_ipv4(&((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, buf,
                      sizeof buf);
        req->client_addr = arena_strndup(req->arena, buf, strlen(buf));
    }
    ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (!ci || !ci->tls_session)
        return;
    req->tls = true;
    struct conn_ctx *cx = conn_context(conn);
    int64_t now = lia_now_us();
    if (cx && cx->cert_known && now < cx->cert_until_us) {
        req->client_cert_fingerprint = arena_strndup(req->arena, cx->fingerprint, 64);
        if (cx->subject)
            req->client_cert_subject = arena_strndup(req->arena, cx->subject, strlen(cx->subject));
        return;
    }
    if (cx)
        cx->cert_known = false;
    gnutls_session_t session = (gnutls_session_t)ci->tls_session;
    unsigned status = 0;
    unsigned n = 0;
    const gnutls_datum_t *certs = gnutls_certificate_get_peers(session, &n);
    if (!certs || n == 0 || gnutls_certificate_verify_peers2(session, &status) != 0 || status)
        return;
    gnutls_x509_crt_t crt;
    if (gnutls_x509_crt_init(&crt) != 0)
        return;
    if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) == 0) {
        unsigned char fp[32];
        size_t fplen = sizeof fp;
        if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, fp, &fplen) == 0 &&
            fplen == sizeof fp) {
            char *hex = arena_alloc(req->arena, 2 * fplen + 1);
            for (size_t i = 0; hex && i < fplen; i++)
                snprintf(hex + 2 * i, 3, "%02x", fp[i]);
            req->client_cert_fingerprint = hex;
        }
        /* RFC 4514 order (CN=..,O=..), as certtool and `openssl x509 -nameopt RFC2253`
         * print it; gnutls_x509_crt_get_dn gives the reverse, which no partner would type. */
        gnutls_datum_t dn = {NULL, 0};
        if (gnutls_x509_crt_get_dn3(crt, &dn, 0) == 0 && dn.size <= 1024)
            req->client_cert_subject = arena_strndup(req->arena, (const char *)dn.data, dn.size);
        gnutls_free(dn.data);
        time_t expires = gnutls_x509_crt_get_expiration_time(crt);
        if (cx && req->client_cert_fingerprint && expires != (time_t)-1) {
            free(cx->subject);
            cx->subject = req->client_cert_subject ? strdup(req->client_cert_subject) : NULL;
            memcpy(cx->fingerprint, req->client_cert_fingerprint, 65);
            int64_t until = (int64_t)expires * 1000000;
            cx->cert_until_us = until < now + CERT_RECHECK_US ? until : now + CERT_RECHECK_US;
            cx->cert_known = !req->client_cert_subject || cx->subject;
        }
    }
    gnutls_x509_crt_deinit(crt);
}
