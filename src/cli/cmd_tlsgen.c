/*
 * `liaison init --tls`: a self-signed certificate so that a new instance
 * serves HTTPS from its first start. The key is ECDSA P-256 (every TLS 1.2
 * and 1.3 client speaks it; Ed25519 certificates are still refused by some).
 * The certificate names CN=<instance name> and is valid for localhost,
 * 127.0.0.1 and ::1 for one year; it is an end-entity certificate
 * (CA:FALSE, digitalSignature, serverAuth) that partners pin by its SHA-256
 * fingerprint or trust as a CA file of one. A deployment with its own PKI
 * replaces DIR/tls.crt and DIR/tls.key, or points tls_cert/tls_key elsewhere.
 *
 * Nothing here overwrites: an existing DIR/tls.crt or DIR/tls.key makes
 * generation fail before anything is written. The private key is written
 * 0600, unencrypted PKCS#8 PEM (serve must start unattended), and never
 * printed; its exported copies are wiped before they are freed.
 */
#include "cli/cli_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <sodium.h>

#define VALID_SECONDS (365L * 24 * 3600)
#define BACKDATE_SECONDS 300L /* tolerate a partner's clock running a little behind */

static void hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int gnutls_failed(struct lia_err *err, const char *what, int grc)
{
    return lia_err_set(err, LIA_EINTERNAL, "TLS certificate: %s: %s", what, gnutls_strerror(grc));
}

static int build_certificate(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, const char *name,
                             struct lia_err *err)
{
    unsigned char serial[16];
    int grc = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial);
    if (grc < 0)
        return gnutls_failed(err, "random serial", grc);
    serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x40); /* positive, full 16 bytes */
    unsigned char v4[4], v6[16];
    inet_pton(AF_INET, "127.0.0.1", v4);
    inet_pton(AF_INET6, "::1", v6);
    time_t now = time(NULL);
    unsigned char keyid[64];
    size_t keyid_len = sizeof keyid;

    const char *step = "version";
    grc = gnutls_x509_crt_set_version(crt, 3);
    if (grc >= 0 && (step = "serial"))
        grc = gnutls_x509_crt_set_serial(crt, serial, sizeof serial);
    if (grc >= 0 && (step = "validity"))
        grc = gnutls_x509_crt_set_activation_time(crt, now - BACKDATE_SECONDS);
    if (grc >= 0)
        grc = gnutls_x509_crt_set_expiration_time(crt, now + VALID_SECONDS);
    if (grc >= 0 && (step = "common name"))
        grc = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, name,
                                            (unsigned)strlen(name));
    if (grc >= 0 && (step = "subjectAltName"))
        grc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, "localhost", 9,
                                                   GNUTLS_FSAN_APPEND);
    if (grc >= 0)
        grc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, v4, sizeof v4,
                                                   GNUTLS_FSAN_APPEND);
    if (grc >= 0)
        grc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, v6, sizeof v6,
                                                   GNUTLS_FSAN_APPEND);
    if (grc >= 0 && (step = "public key"))
        grc = gnutls_x509_crt_set_key(crt, key);
    if (grc >= 0 && (step = "basic constraints"))
        grc = gnutls_x509_crt_set_basic_constraints(crt, 0, -1);
    if (grc >= 0 && (step = "key usage"))
        grc = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
    if (grc >= 0 && (step = "extended key usage"))
        grc = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0);
    if (grc >= 0 && (step = "key identifier"))
        grc = gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA1, keyid, &keyid_len);
    if (grc >= 0)
        grc = gnutls_x509_crt_set_subject_key_id(crt, keyid, keyid_len);
    if (grc >= 0)
        grc = gnutls_x509_crt_set_authority_key_id(crt, keyid, keyid_len);
    if (grc >= 0 && (step = "signature"))
        grc = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
    return grc < 0 ? gnutls_failed(err, step, grc) : 0;
}

/* Fills the two ways a partner can pin this certificate. */
static int describe(gnutls_x509_crt_t crt, struct cli_tls_info *info, struct lia_err *err)
{
    unsigned char digest[32];
    size_t len = sizeof digest;
    int grc = gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, digest, &len);
    if (grc < 0 || len != sizeof digest)
        return gnutls_failed(err, "fingerprint", grc < 0 ? grc : GNUTLS_E_INTERNAL_ERROR);
    hex_encode(digest, sizeof digest, info->fingerprint);
    len = sizeof digest;
    grc = gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, digest, &len);
    if (grc < 0 || len != sizeof digest)
        return gnutls_failed(err, "public key pin", grc < 0 ? grc : GNUTLS_E_INTERNAL_ERROR);
    sodium_bin2base64(info->pubkey_pin, sizeof info->pubkey_pin, digest, sizeof digest,
                      sodium_base64_VARIANT_ORIGINAL);
    return 0;
}

static int write_pair(const struct cli_tls_info *info, gnutls_x509_crt_t crt,
                      gnutls_x509_privkey_t key, struct lia_err *err)
{
    gnutls_datum_t cert_pem = {NULL, 0}, key_pem = {NULL, 0};
    int grc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cert_pem);
    if (grc < 0)
        return gnutls_failed(err, "export certificate", grc);
    grc = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN,
                                            &key_pem);
    int rc = grc < 0 ? gnutls_failed(err, "export key", grc) : 0;
    if (rc == 0)
        rc = lia_write_file(info->key_path, key_pem.data, key_pem.size, 0600, err);
    if (rc == 0)
        rc = lia_write_file(info->cert_path, cert_pem.data, cert_pem.size, 0644, err);
    if (key_pem.data) {
        sodium_memzero(key_pem.data, key_pem.size);
        gnutls_free(key_pem.data);
    }
    gnutls_free(cert_pem.data);
    return rc;
}

int cli_tls_generate(const char *dir, const char *name, struct cli_tls_info *info,
                     struct lia_err *err)
{
    memset(info, 0, sizeof *info);
    char abs[PATH_MAX];
    if (!realpath(dir, abs))
        return lia_err_set(err, LIA_EIO, "cannot resolve %s: %s", dir, strerror(errno));
    if ((size_t)snprintf(info->cert_path, sizeof info->cert_path, "%s/tls.crt", abs) >=
            sizeof info->cert_path ||
        (size_t)snprintf(info->key_path, sizeof info->key_path, "%s/tls.key", abs) >=
            sizeof info->key_path)
        return lia_err_set(err, LIA_EINVAL, "data directory path too long for tls_cert");
    struct stat sb;
    if (stat(info->cert_path, &sb) == 0 || stat(info->key_path, &sb) == 0)
        return lia_err_set(err, LIA_ECONFLICT,
                           "%s or %s already exists; remove them or leave out --tls",
                           info->cert_path, info->key_path);
    if (!*name || strlen(name) > 64)
        return lia_err_set(err, LIA_EINVAL,
                           "--name must be 1 to 64 bytes to be a certificate common name");

    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t crt = NULL;
    int grc = gnutls_x509_privkey_init(&key);
    if (grc >= 0)
        grc = gnutls_x509_crt_init(&crt);
    if (grc < 0) {
        gnutls_x509_privkey_deinit(key);
        return gnutls_failed(err, "init", grc);
    }
    grc = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                       GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
    int rc = grc < 0 ? gnutls_failed(err, "generate ECDSA P-256 key", grc) : 0;
    if (rc == 0)
        rc = build_certificate(crt, key, name, err);
    if (rc == 0)
        rc = describe(crt, info, err);
    if (rc == 0)
        rc = write_pair(info, crt, key, err);
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_privkey_deinit(key);
    return rc;
}

int cli_tls_configure(const char *conf, const struct cli_tls_info *info, struct lia_err *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc = lia_read_file(conf, 1024 * 1024, &text, &len, err);
    if (rc)
        return rc;
    struct dbuf b;
    dbuf_init(&b, 1024 * 1024 + 8192);
    rc = dbuf_append(&b, text, len);
    if (rc == 0 && len && text[len - 1] != '\n')
        rc = dbuf_puts(&b, "\n");
    if (rc == 0)
        rc = dbuf_printf(&b,
                         "# Written by `liaison init --tls`: a self-signed certificate for\n"
                         "# localhost, 127.0.0.1 and ::1 (docs/tls.md).\n"
                         "tls_cert = %s\ntls_key = %s\n",
                         info->cert_path, info->key_path);
    if (rc == 0)
        rc = lia_write_file(conf, b.ptr, b.len, 0600, err);
    else
        rc = lia_err_set(err, rc, "%s: too large to add the TLS settings", conf);
    dbuf_release(&b);
    free(text);
    return rc;
}
