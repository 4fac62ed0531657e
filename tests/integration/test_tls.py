"""TLS, end to end (docs/tls.md).

`liaison init --tls` makes a self-signed certificate for localhost,
127.0.0.1 and ::1 and points the configuration at it, so a bare `serve
--data DIR` speaks HTTPS: a client that trusts DIR/tls.crt verifies it by
name and by address, with TLS 1.2 or 1.3; TLS 1.1 and plain HTTP get nothing.

Partners may authenticate with a client certificate instead of a token:
serve --tls-client-ca trusts a CA, and a certificate it signed, tied to a
partner by SHA-256 fingerprint or subject DN, reads what that partner may.
A certificate from another CA, or from the right CA but tied to no partner,
reads nothing; neither does an expired one. The CA and client certificates
are made with certtool (gnutls-bin) from template files.

CerttoolServerTest serves a certificate made elsewhere (certtool) given by
--tls-cert/--tls-key, and checks that plain HTTP on a non-loopback address is
refused before binding.
"""
import hashlib
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import warnings

import harness
from harness import BIN, ENV, ROOT, TAXII, DataDir, Server, TaxiiCase, free_port, run_cli, sdo

warnings.filterwarnings("ignore", category=DeprecationWarning)  # ssl.TLSVersion.TLSv1_1 on purpose

TLP_CLEAR = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
CERTTOOL = shutil.which("certtool")
GNUTLS_CLI = shutil.which("gnutls-cli")


class TlsDataDir(harness.DataDir):
    """`liaison init --tls`; keeps init's stdout for the fingerprint line."""

    def __init__(self, name="liaison"):
        self.tmp = tempfile.mkdtemp(prefix="liaison-tls-")
        self.path = os.path.join(self.tmp, "data")
        p = run_cli("init", "--data", self.path, "--tls", "--name", name)
        self.init_stdout = p.stdout
        self.admin = p.stdout.strip().splitlines()[-1].strip()
        self.cert = os.path.join(self.path, "tls.crt")
        self.key = os.path.join(self.path, "tls.key")


class TlsServer(harness.Server):
    """A server whose TLS comes from its configuration (init --tls), not from flags.

    Requests trust DIR/tls.crt and check the host name; client_cert is an optional
    (cert, key) pair presented on every request."""

    def __init__(self, data, sets=(), client_cert=None, host="127.0.0.1"):
        super().__init__(data, sets=sets)
        self.client_cert = client_cert
        self.host = host

    def context(self, client_cert=None, minimum=None, maximum=None):
        ctx = ssl.create_default_context(cafile=self.data.cert)
        if minimum:
            ctx.minimum_version = minimum
        if maximum:
            ctx.maximum_version = maximum
        if client_cert:
            ctx.load_cert_chain(client_cert[0], client_cert[1])
        return ctx

    def connection(self, timeout=60, client_cert=None, host=None, **versions):
        ctx = self.context(client_cert or self.client_cert, **versions)
        return http.client.HTTPSConnection(host or self.host, self.port, timeout=timeout,
                                           context=ctx)

    def get_as(self, path, client_cert=None, token=None, host=None, **versions):
        """GET on a fresh connection with the given client certificate and/or token."""
        h = {"Accept": harness.TAXII}
        if token:
            h["Authorization"] = "Bearer " + token
        conn = self.connection(client_cert=client_cert, host=host, **versions)
        try:
            conn.request("GET", path, headers=h)
            r = conn.getresponse()
            return r.status, r.headers, r.read(), conn.sock.version()
        finally:
            conn.close()


def certtool(*args, cwd):
    p = subprocess.run([CERTTOOL] + list(args), cwd=cwd, capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError("certtool %s failed:\n%s%s" % (" ".join(args), p.stdout, p.stderr))
    return p.stdout


class Pki:
    """Two CAs ("partners-ca" and "other-ca") and client certificates, made with certtool."""

    def __init__(self, where):
        self.dir = os.path.join(where, "pki")
        os.mkdir(self.dir, 0o700)
        self.ca = self.make_ca("partners-ca")
        self.other_ca = self.make_ca("other-ca")

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def key(self, name):
        path = os.path.join(self.dir, name + ".key")
        certtool("--generate-privkey", "--key-type", "ecdsa", "--outfile", path, cwd=self.dir)
        return path

    def make_ca(self, name):
        key = self.key(name)
        tmpl = self.write(name + ".tmpl", 'cn = "%s"\norganization = "Liaison tests"\nca\n'
                          "cert_signing_key\ncrl_signing_key\nexpiration_days = 30\n" % name)
        cert = os.path.join(self.dir, name + ".pem")
        certtool("--generate-self-signed", "--load-privkey", key, "--template", tmpl,
                 "--outfile", cert, cwd=self.dir)
        return (cert, key)

    def client(self, name, cn, org, ca=None, validity="expiration_days = 30\n"):
        """A client certificate signed by ca (default partners-ca); returns (cert, key)."""
        ca = ca or self.ca
        key = self.key(name)
        tmpl = self.write(name + ".tmpl", 'cn = "%s"\norganization = "%s"\ntls_www_client\n'
                          "signing_key\n%s" % (cn, org, validity))
        cert = os.path.join(self.dir, name + ".pem")
        certtool("--generate-certificate", "--load-privkey", key, "--load-ca-certificate", ca[0],
                 "--load-ca-privkey", ca[1], "--template", tmpl, "--outfile", cert, cwd=self.dir)
        return (cert, key)


def sha256_of_pem(path):
    with open(path) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    return hashlib.sha256(der).hexdigest()


def subject_of(path):
    """The subject DN as certtool (GnuTLS, like the server) prints it."""
    out = certtool("-i", "--infile", path, cwd=os.path.dirname(path))
    m = re.search(r"^\s*Subject: (.+)$", out, re.M)
    assert m, out
    return m.group(1).strip()


class InitTlsTest(TaxiiCase):
    """init --tls, then serve with nothing but --data and --listen."""

    @classmethod
    def setUpClass(cls):
        cls.data = TlsDataDir(name="Algiers liaison")
        cls.server = TlsServer(cls.data).start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.server.stop()
        finally:
            cls.data.cleanup()

    def test_files_config_and_fingerprint(self):
        d = self.data
        self.assertEqual(os.stat(d.cert).st_mode & 0o777, 0o644)
        self.assertEqual(os.stat(d.key).st_mode & 0o777, 0o600)
        with open(os.path.join(d.path, "liaison.conf")) as f:
            conf = f.read()
        self.assertRegex(conf, r"(?m)^tls_cert = %s$" % re.escape(os.path.realpath(d.cert)))
        self.assertRegex(conf, r"(?m)^tls_key = %s$" % re.escape(os.path.realpath(d.key)))
        m = re.search(r"SHA-256 fingerprint: ([0-9a-f]{64})", d.init_stdout)
        self.assertTrue(m, d.init_stdout)
        self.assertEqual(m.group(1), sha256_of_pem(d.cert))
        with open(d.key) as f:
            key_text = f.read()
        self.assertIn("PRIVATE KEY", key_text)
        body = key_text.split("-----")[2].strip().splitlines()[0]
        self.assertNotIn(body, d.init_stdout, "the private key must never be printed")

    def test_certificate_contents(self):
        if not CERTTOOL:
            self.skipTest("certtool (gnutls-bin) not installed")
        out = certtool("-i", "--infile", self.data.cert, cwd=self.data.tmp)
        self.assertRegex(out, r"Subject: CN=Algiers liaison\n")
        self.assertIn("Issuer: CN=Algiers liaison", out)
        self.assertIn("EC/ECDSA", out)
        self.assertIn("SECP256R1", out)
        self.assertIn("DNSname: localhost", out)
        self.assertIn("IPAddress: 127.0.0.1", out)
        self.assertIn("IPAddress: ::1", out)
        self.assertIn("Certificate Authority (CA): FALSE", out)
        self.assertIn("Digital signature", out)
        self.assertIn("TLS WWW Server", out)
        self.assertIn("ECDSA-SHA256", out)
        pin = re.search(r"pin-sha256:(\S+)", out).group(1)
        self.assertIn("public key pin:      sha256//" + pin + "\n", self.data.init_stdout)
        pem = ssl._ssl._test_decode_cert(self.data.cert)
        start = ssl.cert_time_to_seconds(pem["notBefore"])
        end = ssl.cert_time_to_seconds(pem["notAfter"])
        self.assertAlmostEqual(end - start, 365 * 86400, delta=3600)
        serial = int(pem["serialNumber"], 16)
        self.assertGreater(serial.bit_length(), 100, "serial should be random, not 1")
        other = TlsDataDir()
        try:
            self.assertNotEqual(ssl._ssl._test_decode_cert(other.cert)["serialNumber"],
                                pem["serialNumber"])
        finally:
            other.cleanup()

    def test_https_by_address_and_by_name(self):
        for host in ("127.0.0.1", "localhost"):
            st, _, body, _ = self.server.get_as("/taxii2/", token=self.data.admin, host=host)
            self.assertEqual(st, 200, host)
            self.assertIn("title", json.loads(body))

    def test_wrong_name_is_refused_by_the_client(self):
        ctx = ssl.create_default_context(cafile=self.data.cert)
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as raw:
            with self.assertRaises(ssl.SSLCertVerificationError):
                ctx.wrap_socket(raw, server_hostname="taxii.example.org")

    def test_tls12_and_tls13(self):
        for v in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            st, _, _, got = self.server.get_as("/healthz", minimum=v, maximum=v)
            self.assertEqual(st, 200)
            self.assertEqual(got, {ssl.TLSVersion.TLSv1_2: "TLSv1.2",
                                   ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[v])

    def test_tls11_refused(self):
        """A client that offers at most TLS 1.1 must not get a session."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            try:
                ctx.minimum_version = ssl.TLSVersion.TLSv1
                ctx.maximum_version = ssl.TLSVersion.TLSv1_1
                ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
                usable = True
            except (ValueError, ssl.SSLError):
                usable = False
        refused_locally = False
        if usable:
            with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as raw:
                try:
                    s = ctx.wrap_socket(raw)
                    version = s.version()
                    s.close()
                    self.fail("TLS 1.1 client got a session (%s)" % version)
                except ssl.SSLError as e:
                    # OpenSSL may refuse to even send a TLS 1.1 ClientHello.
                    refused_locally = ("NO_PROTOCOLS_AVAILABLE" in str(e) or
                                       "NO_CIPHERS_AVAILABLE" in str(e) or
                                       "no protocols available" in str(e))
                except (ConnectionResetError, BrokenPipeError):
                    pass
            if not refused_locally:
                return
        if not GNUTLS_CLI:
            self.skipTest("local OpenSSL will not attempt TLS 1.1 and gnutls-cli is not installed")
        p = subprocess.run([GNUTLS_CLI, "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.1:+VERS-TLS1.0",
                            "--insecure", "-p", str(self.server.port), "127.0.0.1"],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
        out = p.stdout + p.stderr
        self.assertNotIn("Handshake was completed", out)
        self.assertNotEqual(p.returncode, 0, out)

    def test_gnutls_cli_tls11_refused(self):
        """The same with GnuTLS's client, which can still speak TLS 1.1."""
        if not GNUTLS_CLI:
            self.skipTest("gnutls-cli (gnutls-bin) not installed")
        base = [GNUTLS_CLI, "--insecure", "-p", str(self.server.port), "127.0.0.1"]
        ok = subprocess.run(base + ["--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.2"],
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
        self.assertIn("Handshake was completed", ok.stdout + ok.stderr)
        p = subprocess.run(base + ["--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.1"],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
        self.assertNotIn("Handshake was completed", p.stdout + p.stderr)
        self.assertNotEqual(p.returncode, 0)

    def gnutls_cli(self, priority):
        """gnutls-cli against the server with priority; returns (handshake done, output)."""
        p = subprocess.run([GNUTLS_CLI, "--insecure", "--priority", priority, "-p",
                            str(self.server.port), "127.0.0.1"],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
        out = p.stdout + p.stderr
        return "Handshake was completed" in out, out

    def test_gnutls_cli_no_cbc_no_sha1(self):
        """TLS 1.2 suites: AEAD only (no CBC, hence no SHA-1 MAC), no SHA-1 signatures; what a
        client offering only those gets is no session."""
        if not GNUTLS_CLI:
            self.skipTest("gnutls-cli (gnutls-bin) not installed")
        ok, out = self.gnutls_cli("NORMAL:-VERS-ALL:+VERS-TLS1.2")
        self.assertTrue(ok, out)
        self.assertRegex(out, r"(GCM|CHACHA20)", "an AEAD suite was negotiated")
        refused = {
            "ECDHE-ECDSA/RSA AES-CBC-SHA1": "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-CBC:"
                                            "+AES-256-CBC:-MAC-ALL:+SHA1",
            "any CBC suite": "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-CBC:+AES-256-CBC:"
                             "+CAMELLIA-128-CBC:+CAMELLIA-256-CBC:+3DES-CBC:-MAC-ALL:+SHA1:+SHA256:"
                             "+SHA384",
            "SHA-1 signatures only": "NORMAL:-VERS-ALL:+VERS-TLS1.2:-SIGN-ALL:+SIGN-RSA-SHA1:"
                                     "+SIGN-ECDSA-SHA1",
            "RSA key exchange only": "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+RSA",
        }
        for what, priority in refused.items():
            with self.subTest(what):
                ok, out = self.gnutls_cli(priority)
                self.assertFalse(ok, "a session with %s:\n%s" % (what, out[-2000:]))

    def test_plain_http_gets_no_http_answer(self):
        try:
            got = self.server.raw(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                  b"Connection: close\r\n\r\n", timeout=10)
        except (ConnectionResetError, BrokenPipeError):
            got = b""
        self.assertFalse(got.startswith(b"HTTP/"), got[:200])
        self.assertNotIn(b"200 OK", got)
        self.assertNotIn(b"status", got)

    def test_admin_without_token_is_401(self):
        st, _, body, _ = self.server.get_as(ROOT + "collections/")
        self.assertEqual(st, 401, body)


class ClientCertTest(TaxiiCase):
    """Partners authenticated by client certificates signed by partners-ca."""

    @classmethod
    def setUpClass(cls):
        if not CERTTOOL:
            raise unittest.SkipTest("certtool (gnutls-bin) not installed")
        cls.data = TlsDataDir()
        d = cls.data.path
        pki = cls.pki = Pki(cls.data.tmp)
        cls.good = pki.client("us", "US liaison", "US Agency")
        cls.by_subject = pki.client("sahel", "Sahel liaison", "Sahel Agency")
        cls.unregistered = pki.client("stranger", "Stranger", "Nobody")
        cls.foreign = pki.client("foreign", "US liaison", "US Agency", ca=pki.other_ca)
        cls.coll = cls.data.collection("Shared", "shared")
        cls.secret_coll = cls.data.collection("Internal", "internal")
        run_cli("partner", "add", "--data", d, "--name", "US", "--clearance", "green")
        run_cli("partner", "add", "--data", d, "--name", "Sahel", "--clearance", "green")
        run_cli("partner", "cert", "--data", d, "--partner", "US", "--fingerprint",
                sha256_of_pem(cls.good[0]))
        cls.sahel_subject = subject_of(cls.by_subject[0])
        run_cli("partner", "cert", "--data", d, "--partner", "Sahel", "--subject",
                cls.sahel_subject)
        run_cli("grant", "--data", d, "--collection", "shared", "--partner", "US", "--read")
        run_cli("grant", "--data", d, "--collection", "shared", "--partner", "Sahel", "--read")
        cls.server = TlsServer(cls.data, sets=["tls_client_ca=" + pki.ca[0]]).start()
        cls.obj = sdo(name="clear for partners", object_marking_refs=[TLP_CLEAR])
        cls.internal = sdo(name="internal only", object_marking_refs=[TLP_CLEAR])
        for coll, obj in (("shared", cls.obj), ("internal", cls.internal)):
            st, _, j = cls.server.post_objects(coll, [obj])
            assert st == 202 and j["success_count"] == 1, (st, j)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.server.stop()
        finally:
            cls.data.cleanup()

    def objects(self, coll="shared", **kw):
        return self.server.get_as(ROOT + "collections/%s/objects/" % coll, **kw)

    def assertReadsObject(self, resp):
        st, _, body, _ = resp
        self.assertEqual(st, 200, body[:300])
        ids = [o["id"] for o in json.loads(body).get("objects", [])]
        self.assertEqual(ids, [self.obj["id"]])

    def assertNoData(self, resp_or_exc):
        if isinstance(resp_or_exc, Exception):
            return  # the handshake failed: nothing was served
        st, hd, body, _ = resp_or_exc
        self.assertTaxiiError((st, hd, body), 401)
        self.assertNotIn(self.obj["id"].encode(), body)

    def try_get(self, path, **kw):
        try:
            return self.server.get_as(path, **kw)
        except (ssl.SSLError, ConnectionResetError, BrokenPipeError) as e:
            return e

    def test_fingerprint_cert_reads_without_token(self):
        for v in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            self.assertReadsObject(self.objects(client_cert=self.good, minimum=v, maximum=v))
        st, _, body, _ = self.server.get_as(ROOT + "collections/", client_cert=self.good)
        self.assertEqual(st, 200)
        self.assertEqual([c["id"] for c in json.loads(body)["collections"]], [self.coll])

    def test_cert_partner_sees_only_its_grants(self):
        st, _, body, _ = self.objects("internal", client_cert=self.good)
        self.assertIn(st, (403, 404), body[:300])
        self.assertNotIn(self.internal["id"].encode(), body)

    def test_subject_cert_reads_without_token(self):
        self.assertReadsObject(self.objects(client_cert=self.by_subject))

    def test_other_ca_gets_nothing(self):
        # Same subject and organisation as the registered US certificate, but another CA:
        # the server does not verify it, so it is no credential.
        got = self.try_get(ROOT + "collections/shared/objects/", client_cert=self.foreign)
        self.assertFalse(isinstance(got, Exception), "expected a 401, not a TLS failure: %r" % (got,))
        self.assertNoData(got)

    def test_foreign_cert_with_registered_subject_gets_nothing(self):
        # A certificate from another CA that copies the subject tied by --subject.
        forged = self.pki.client("forged", "Sahel liaison", "Sahel Agency", ca=self.pki.other_ca)
        self.assertEqual(subject_of(forged[0]), self.sahel_subject)
        self.assertNoData(self.try_get(ROOT + "collections/shared/objects/", client_cert=forged))

    def test_unregistered_cert_from_good_ca_is_401(self):
        self.assertNoData(self.objects(client_cert=self.unregistered))

    def test_no_cert_no_token_is_401(self):
        self.assertNoData(self.objects())

    def test_admin_token_without_cert(self):
        st, _, body, version = self.server.get_as(ROOT + "collections/internal/objects/",
                                                  token=self.data.admin)
        self.assertEqual(st, 200)
        self.assertEqual([o["id"] for o in json.loads(body)["objects"]], [self.internal["id"]])
        self.assertIn(version, ("TLSv1.2", "TLSv1.3"))

    def test_token_wins_over_cert(self):
        # An explicit Authorization header is the credential; a bad one is not rescued by a
        # good certificate.
        st, _, body, _ = self.objects("internal", client_cert=self.good, token=self.data.admin)
        self.assertEqual(st, 200)
        st, _, body, _ = self.objects(client_cert=self.good, token="x" * 16 + "." + "y" * 43)
        self.assertEqual(st, 401)
        self.assertNotIn(self.obj["id"].encode(), body)

    def test_expired_cert_gets_nothing(self):
        d = self.data.path
        old = self.pki.client("expired", "Expired liaison", "Old Agency",
                              validity='activation_date = "2001-01-01 00:00:00 UTC"\n'
                                       'expiration_date = "2002-01-01 00:00:00 UTC"\n')
        run_cli("partner", "add", "--data", d, "--name", "Old", "--clearance", "green")
        run_cli("partner", "cert", "--data", d, "--partner", "Old", "--fingerprint",
                sha256_of_pem(old[0]))
        run_cli("grant", "--data", d, "--collection", "shared", "--partner", "Old", "--read")
        self.assertNoData(self.try_get(ROOT + "collections/shared/objects/", client_cert=old))

    def test_one_connection_follows_changes_and_expiry(self):
        """The certificate's verification is kept for the connection: which partner it
        stands for is still looked up on every request, and the certificate stops working on
        the same connection once it expires."""
        d = self.data.path
        ends = time.time() + 5
        brief = self.pki.client("brief", "Brief liaison", "Brief Agency",
                                validity='expiration_date = "%s UTC"\n'
                                         % time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ends)))
        run_cli("partner", "add", "--data", d, "--name", "Brief", "--clearance", "green")
        run_cli("partner", "cert", "--data", d, "--partner", "Brief", "--fingerprint",
                sha256_of_pem(brief[0]))
        run_cli("grant", "--data", d, "--collection", "shared", "--partner", "Brief", "--read")
        conn = self.server.connection(client_cert=brief)
        self.addCleanup(conn.close)
        path = ROOT + "collections/shared/objects/"

        def get():
            conn.request("GET", path, headers={"Accept": TAXII})
            r = conn.getresponse()
            return r.status, r.read()

        for _ in range(3):
            st, body = get()
            self.assertEqual(st, 200, body)
            self.assertIn(self.obj["id"].encode(), body)
        run_cli("partner", "disable", "--data", d, "--partner", "Brief")
        st, body = get()
        self.assertEqual(st, 401, body)
        run_cli("partner", "enable", "--data", d, "--partner", "Brief")
        self.assertEqual(get()[0], 200)
        if time.time() > ends - 1:
            self.skipTest("the machine was too slow to use the certificate before it expired")
        time.sleep(max(0.0, ends + 1.2 - time.time()))
        st, body = get()  # the same TLS session, now with an expired certificate
        self.assertEqual(st, 401, body)
        self.assertNotIn(self.obj["id"].encode(), body)

    def test_disabled_partner_cert_is_401(self):
        d = self.data.path
        run_cli("partner", "disable", "--data", d, "--partner", "US")
        try:
            self.assertNoData(self.objects(client_cert=self.good))
        finally:
            run_cli("partner", "enable", "--data", d, "--partner", "US")
        self.assertReadsObject(self.objects(client_cert=self.good))


class ServeFlagsTest(TaxiiCase):
    def setUp(self):
        self.data = harness.DataDir()

    def tearDown(self):
        self.data.cleanup()

    def test_client_ca_without_cert_is_usage_error(self):
        ca = os.path.join(self.data.tmp, "ca.pem")
        with open(ca, "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")
        p = run_cli("serve", "--data", self.data.path, "--listen", "127.0.0.1:%d" % harness.free_port(),
                    "--tls-client-ca", ca, check=False, timeout=30)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("--tls-client-ca", p.stderr)

    def test_own_certificate_by_flags(self):
        """--tls-cert/--tls-key with a certificate made elsewhere (here: another init --tls)."""
        other = TlsDataDir()
        try:
            srv = harness.Server(self.data, tls=(other.cert, other.key)).start()
            try:
                st, _, _ = srv.request("GET", "/taxii2/")
                self.assertEqual(st, 200)
            finally:
                srv.stop()
        finally:
            other.cleanup()

    def test_init_tls_refuses_to_overwrite(self):
        d = os.path.join(self.data.tmp, "fresh")
        os.mkdir(d, 0o700)
        with open(os.path.join(d, "tls.key"), "w") as f:
            f.write("mine\n")
        p = run_cli("init", "--data", d, "--tls", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("tls.key", p.stderr)
        with open(os.path.join(d, "tls.key")) as f:
            self.assertEqual(f.read(), "mine\n")
        self.assertFalse(os.path.exists(os.path.join(d, "liaison.db")))

# A server certificate made with certtool and passed by flags; plain HTTP rules.
D = S = None
TMP = None
CERT = KEY = None

TEMPLATE = """cn = "liaison integration test"
organization = "liaison"
expiration_days = 2
dns_name = "localhost"
ip_address = "127.0.0.1"
tls_www_server
signing_key
encryption_key
ca
cert_signing_key
"""


def setUpModule():
    global D, S, TMP, CERT, KEY
    TMP = tempfile.mkdtemp(prefix="liaison-tls-")
    CERT = os.path.join(TMP, "cert.pem")
    KEY = os.path.join(TMP, "key.pem")
    tpl = os.path.join(TMP, "cert.tmpl")
    with open(tpl, "w") as fh:
        fh.write(TEMPLATE)
    subprocess.run(["certtool", "--generate-privkey", "--key-type=ecdsa", "--outfile", KEY],
                   check=True, capture_output=True, timeout=60)
    subprocess.run(["certtool", "--generate-self-signed", "--load-privkey", KEY, "--template", tpl,
                    "--outfile", CERT], check=True, capture_output=True, timeout=60)
    D = DataDir()
    D.collection("TLS", alias="tls")
    S = Server(D, tls=(CERT, KEY)).start()


def tearDownModule():
    try:
        if S:
            S.stop()
    finally:
        if D:
            D.cleanup()
        if TMP:
            shutil.rmtree(TMP, ignore_errors=True)


def context(minimum=None, maximum=None, seclevel0=False):
    ctx = ssl.create_default_context(cafile=CERT)
    ctx.check_hostname = True
    if minimum:
        ctx.minimum_version = minimum
    if maximum:
        ctx.maximum_version = maximum
    if seclevel0:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    return ctx


def https_get(ctx, path, token):
    import http.client
    conn = http.client.HTTPSConnection("127.0.0.1", S.port, context=ctx, timeout=30)
    try:
        conn.request("GET", path, headers={"Authorization": "Bearer " + token})
        r = conn.getresponse()
        return r.status, r.headers, r.read(), conn.sock.version()
    finally:
        conn.close()


class CerttoolServerTest(TaxiiCase):
    """A server certificate made elsewhere (certtool), given by --tls-cert/--tls-key."""

    def test_01_https_works(self):
        st, hd, body, version = https_get(context(), "/taxii2/", D.admin)
        self.assertEqual(st, 200)
        self.assertEqual(hd.get("Content-Type"), TAXII)
        self.assertEqual(json.loads(body)["api_roots"], [ROOT])
        self.assertIn(version, ("TLSv1.2", "TLSv1.3"))
        # a POST and a read over TLS, through the harness
        st, _, j = S.post_objects("tls", [sdo("indicator")])
        self.assertEqual((st, j["success_count"]), (202, 1))
        self.assertEqual(len(S.manifest_all("tls")), 1)

    def test_02_tls12_and_tls13(self):
        for v in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            with self.subTest(version=v):
                st, _, _, got = https_get(context(v, v), ROOT, D.admin)
                self.assertEqual(st, 200)
                self.assertEqual(got, v.name.replace("v1_", "v1."))

    def test_03_tls11_is_refused(self):
        ctx = context(ssl.TLSVersion.TLSv1_1, ssl.TLSVersion.TLSv1_1, seclevel0=True)
        with self.assertRaises((ssl.SSLError, ConnectionResetError, ConnectionAbortedError)) as cm:  # noqa
            https_get(ctx, ROOT, D.admin)
        # the server refused it (a protocol alert), not our own client before sending anything
        msg = str(cm.exception)
        self.assertNotIn("NO_PROTOCOLS_AVAILABLE", msg)
        self.assertNotIn("NO_CIPHERS_AVAILABLE", msg)
        print("  (TLS 1.1 handshake refused: %s)" % msg, file=sys.stderr)
        # the server is fine afterwards
        self.assertEqual(https_get(context(), ROOT, D.admin)[0], 200)

    def test_04_wrong_ca_is_refused_by_client(self):
        ctx = ssl.create_default_context()  # system CAs only
        with self.assertRaises(ssl.SSLCertVerificationError):
            https_get(ctx, ROOT, D.admin)

    def test_05_plain_http_to_tls_port_fails(self):
        s = socket.create_connection(("127.0.0.1", S.port), timeout=10)
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            data = b""
            try:
                while True:
                    c = s.recv(65536)
                    if not c:
                        break
                    data += c
            except (socket.timeout, ConnectionResetError):
                pass
        finally:
            s.close()
        self.assertNotIn(b"200 OK", data)
        self.assertNotIn(b'"status":"ok"', data)
        self.assertEqual(https_get(context(), ROOT, D.admin)[0], 200)

    def test_06_plain_http_on_non_loopback_is_refused_before_binding(self):
        port = free_port()
        # hold the port: had the server bound first, it would fail with "cannot listen" instead
        hold = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        hold.bind(("0.0.0.0", port))
        hold.listen(1)
        try:
            p = subprocess.run([BIN, "serve", "--data", D.path, "--listen", "0.0.0.0:%d" % port],
                               capture_output=True, text=True, timeout=30, env=ENV)
        finally:
            hold.close()
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("refusing plain HTTP on 0.0.0.0", p.stderr)
        self.assertIn("allow_plain_http", p.stderr)
        self.assertNotIn("cannot listen", p.stderr)
        # and without the port held: still refused, nothing listening afterwards
        start = time.time()
        p = subprocess.run([BIN, "serve", "--data", D.path, "--listen", "0.0.0.0:%d" % port],
                           capture_output=True, text=True, timeout=30, env=ENV)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertLess(time.time() - start, 20)
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        self.assertNotIn("AddressSanitizer", p.stderr)

    def test_07_tls_configuration_errors(self):
        cases = [(["--tls-cert", CERT], 2, "go together"), (["--tls-key", KEY], 2, "go together"),
                 (["--tls-cert", os.path.join(TMP, "missing.pem"), "--tls-key", KEY], 1, "tls_cert"),
                 (["--tls-cert", KEY, "--tls-key", CERT], 1, "cannot listen")]
        for extra, code, msg in cases:
            with self.subTest(args=extra):
                p = subprocess.run([BIN, "serve", "--data", D.path, "--listen", "127.0.0.1:%d" % free_port()] + extra,
                                   capture_output=True, text=True, timeout=30, env=ENV)
                self.assertEqual(p.returncode, code, p.stderr)
                self.assertIn(msg, p.stderr)
                self.assertNotIn("AddressSanitizer", p.stderr)


if __name__ == "__main__":
    harness.main()
