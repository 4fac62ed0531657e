"""The analyst pages' static files: served without credentials at / and /assets/, with
the right media types and strict security headers; nothing outside web_root, whatever
the path (dot segments, encoded dots and slashes, backslashes, symbolic links, FIFOs);
index.html for a browser's page routes only; the API's own paths untouched."""
import os
import shutil
import tempfile
import unittest

import harness
from harness import TaxiiCase

PAGE = b"<!doctype html><title>liaison</title><div id=app></div>"
SECRET = b"SECRET-OUTSIDE-WEB-ROOT"


class StaticTest(TaxiiCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="liaison-static-")
        root = cls.root = os.path.join(cls.tmp, "dist")
        os.makedirs(os.path.join(root, "assets", "sub"))
        with open(os.path.join(root, "index.html"), "wb") as f:
            f.write(PAGE)
        files = {"assets/app-1a2B.js": b"console.log('app');", "assets/app.css": b"body{}",
                 "assets/sub/font.woff2": b"wOF2", "favicon.svg": b"<svg/>", "assets/data.bin": b"\x00\x01",
                 "assets/map.json": b"{}"}
        for name, body in files.items():
            with open(os.path.join(root, name), "wb") as f:
                f.write(body)
        with open(os.path.join(cls.tmp, "secret.txt"), "wb") as f:
            f.write(SECRET)
        os.symlink(os.path.join(cls.tmp, "secret.txt"), os.path.join(root, "assets", "link.js"))
        os.symlink(cls.tmp, os.path.join(root, "up"))
        os.symlink(os.path.join(root, "assets", "app.css"), os.path.join(root, "assets", "inside.css"))
        os.mkfifo(os.path.join(root, "assets", "fifo.js"))
        with open(os.path.join(root, "assets", "big.js"), "wb") as f:
            f.truncate(17 * 1024 * 1024)
        cls.data = harness.DataDir()
        cls.server = harness.Server(cls.data, sets=["web_root=" + root]).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.data.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def get(self, path, accept=None, method="GET"):
        return self.server.request(method, path, auth=False, accept=accept)

    def assertSecure(self, hd):
        csp = hd.get("Content-Security-Policy") or ""
        self.assertIn("default-src 'self'", csp)
        self.assertIn("script-src 'self'", csp)
        self.assertNotIn("unsafe-inline", csp)
        self.assertNotIn("unsafe-eval", csp)
        self.assertIn("frame-ancestors 'none'", csp)
        self.assertEqual(hd.get("X-Frame-Options"), "DENY")
        self.assertEqual(hd.get("Referrer-Policy"), "no-referrer")
        self.assertEqual(hd.get("X-Content-Type-Options"), "nosniff")

    def test_index_and_assets_without_credentials(self):
        for path, body, ctype in (("/", PAGE, "text/html; charset=utf-8"),
                                  ("/index.html", PAGE, "text/html; charset=utf-8"),
                                  ("/assets/app-1a2B.js", b"console.log('app');", "text/javascript; charset=utf-8"),
                                  ("/assets/app.css", b"body{}", "text/css; charset=utf-8"),
                                  ("/assets/sub/font.woff2", b"wOF2", "font/woff2"),
                                  ("/favicon.svg", b"<svg/>", "image/svg+xml"),
                                  ("/assets/map.json", b"{}", "application/json"),
                                  ("/assets/data.bin", b"\x00\x01", "application/octet-stream")):
            with self.subTest(path=path):
                st, hd, b = self.get(path)
                self.assertEqual(st, 200, b[:200])
                self.assertEqual(b, body)
                self.assertEqual(hd.get("Content-Type"), ctype)
                self.assertSecure(hd)
        st, hd, b = self.get("/", method="HEAD")
        self.assertEqual(st, 200)
        self.assertEqual(b, b"")
        self.assertEqual(hd.get("Content-Length"), str(len(PAGE)))

    def test_page_routes_get_index_for_browsers_only(self):
        html = "text/html,application/xhtml+xml,*/*;q=0.8"
        for path in ("/collections/cells", "/collections/cells/objects/report--1b2c", "/signin"):
            with self.subTest(path=path):
                st, hd, b = self.get(path, accept=html)
                self.assertEqual((st, b), (200, PAGE))
                self.assertSecure(hd)
                # not a browser navigation: the API's 401 (no credentials) / 404
                self.assertTaxiiError(self.get(path), 401)
                self.assertTaxiiError(self.server.request("GET", path), 404)
        # a missing file is never answered with the page, even to a browser
        for path in ("/assets/missing.js", "/missing.js", "/assets/x"):
            with self.subTest(path=path):
                self.assertTaxiiError(self.server.request("GET", path, accept=html), 404)

    def test_nothing_outside_web_root(self):
        html = "text/html"
        evil = ["/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt",
                "/assets/%2e%2e/%2e%2e/secret.txt", "/..%2fsecret.txt", "/%2e%2e%2fsecret.txt",
                "/assets/..%2f..%2fsecret.txt", "/..%5csecret.txt", "/assets\\..\\..\\secret.txt",
                "/%252e%252e/secret.txt", "/.%2e/secret.txt", "/%c0%ae%c0%ae/secret.txt",
                "/assets/link.js", "/up/secret.txt", "/up", "/assets/inside.css", "/assets/fifo.js",
                "/.hidden", "/assets/.", "/assets/..", "/assets", "/assets/sub",
                "/index.html%00.js", "/index.html%2f", "//etc/passwd", "/etc/passwd",
                "/" + "a/" * 12 + "x.js", "/" + "x" * 300 + ".js"]
        for path in evil:
            for accept in (None, html):
                with self.subTest(path=path, accept=accept):
                    st, hd, b = self.server.request("GET", path, accept=accept)
                    self.assertNotIn(SECRET, b)
                    if st == 200:  # a page route ("/etc/passwd" is one): the app, nothing else
                        self.assertTrue(accept and b == PAGE and "." not in path.rsplit("/", 1)[-1], path)
                        continue
                    self.assertTaxiiError((st, hd, b), st)
                    st, hd, b = self.get(path, accept=accept)
                    self.assertNotIn(SECRET, b)
                    self.assertIn(st, (401, 404), (path, b[:100]))
        # files over the bound are refused, not truncated
        self.assertTaxiiError(self.server.request("GET", "/assets/big.js"), 413)
        # raw request lines the client library would normalise
        for raw in (b"GET /../secret.txt HTTP/1.1", b"GET /assets/../../secret.txt HTTP/1.1",
                    b"GET /assets/..\\..\\secret.txt HTTP/1.1", b"GET ../secret.txt HTTP/1.1"):
            with self.subTest(raw=raw):
                out = self.server.raw(raw + b"\r\nHost: x\r\nAccept: text/html\r\nConnection: close\r\n\r\n")
                self.assertNotIn(SECRET, out)

    def test_api_paths_keep_their_rules(self):
        html = "text/html"
        for path in ("/taxii2/", "/liaison/whoami", "/metrics"):
            with self.subTest(path=path):
                self.assertTaxiiError(self.get(path, accept=html), 401)
        self.assertEqual(self.get("/healthz", accept=html)[0], 200)
        self.assertTaxiiError(self.server.request("GET", "/liaison/nothing"), 404)
        self.assertTaxiiError(self.server.request("POST", "/liaison/whoami", body="{}", content_type="application/json"), 405)
        # only GET and HEAD are static
        for m in ("POST", "PUT", "DELETE"):
            with self.subTest(method=m):
                st, hd, b = self.server.request(m, "/", body=b"x" if m != "DELETE" else None)
                self.assertNotEqual(st, 200)
                self.assertNotIn(PAGE, b)

    def test_whoami(self):
        s, d = self.server, self.data
        j = self.assertOk(s.request("GET", "/liaison/whoami"), media="application/json")
        self.assertEqual((j["kind"], j["clearance"], j["read_only"]), ("admin", "red", False))
        self.assertTrue(j["identity"].startswith("identity--"))
        p = harness.run_cli("partner", "add", "--data", d.path, "--name", "Sahel", "--clearance", "green",
                            "--trust", "C", "--country", "ML").stdout.strip()
        tok = harness.run_cli("token", "issue", "--data", d.path, "--partner", "Sahel").stdout.strip().splitlines()[-1]
        j = self.assertOk(s.request("GET", "/liaison/whoami", token=tok), media="application/json")
        self.assertEqual(j, {"kind": "partner", "name": "Sahel", "identity": p, "country": "ML",
                             "clearance": "green", "trust": "C", "read_only": False, "expires": None})
        # a token with an expiry says when (the pages tell an expired session from a refusal)
        tok = harness.run_cli("token", "issue", "--data", d.path, "--partner", "Sahel", "--expires", "2h").stdout.strip().splitlines()[-1]
        j = self.assertOk(s.request("GET", "/liaison/whoami", token=tok), media="application/json")
        self.assertRegex(j["expires"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual(j["name"], "Sahel")
        # the partner directory: a partner sees only itself
        j = self.assertOk(s.request("GET", "/liaison/partners", token=tok), media="application/json")
        self.assertEqual([x["name"] for x in j["partners"]], ["Sahel"])
        harness.run_cli("partner", "add", "--data", d.path, "--name", "Other", "--clearance", "red")
        j = self.assertOk(s.request("GET", "/liaison/partners", token=tok), media="application/json")
        self.assertEqual([x["name"] for x in j["partners"]], ["Sahel"])
        j = self.assertOk(s.request("GET", "/liaison/partners"), media="application/json")
        self.assertEqual(sorted(x["name"] for x in j["partners"]), ["Other", "Sahel"])
        self.assertTaxiiError(s.request("GET", "/liaison/whoami?x=1"), 400)
        self.assertTaxiiError(s.request("GET", "/liaison/whoami", token="nope"), 401)


class NoWebRootTest(TaxiiCase):
    def test_empty_web_root_serves_nothing(self):
        data = harness.DataDir()
        s = harness.Server(data, sets=["web_root="]).start()
        try:
            self.assertTaxiiError(s.request("GET", "/", auth=False, accept="text/html"), 401)
            self.assertTaxiiError(s.request("GET", "/"), 404)
        finally:
            s.stop()
            data.cleanup()


if __name__ == "__main__":
    harness.main()
