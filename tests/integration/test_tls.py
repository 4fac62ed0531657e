"""TLS: a self-signed certificate made with certtool (gnutls-bin); HTTPS with
TLS 1.2 and 1.3 works against it, TLS 1.1 and plain HTTP on the TLS port do
not; plain HTTP on a non-loopback address is refused before binding."""
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)  # ssl.TLSVersion.TLSv1_1 on purpose
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BIN, ENV, DataDir, Server, TaxiiCase, ROOT, TAXII, free_port, main, run_cli, sdo  # noqa: E402

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


class Tls(TaxiiCase):
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
    main()
