"""Shared helpers for liaison's integration tests (standard library only).

A test makes a DataDir (``liaison init`` in a temporary directory, removed at
the end), starts one or more Servers on a loopback port it picks, talks to
them with ``request``/``Client`` and stops them with SIGTERM. A server that
exits non-zero, or whose stderr mentions a sanitizer report, fails the test.

Environment: LIAISON_BIN (the binary), LIAISON_SHARED (the shared/ folder with
fixtures), LIAISON_SOURCE (the repository root). LIAISON_STORE=pg runs every
DataDir on PostgreSQL: a database of its own (liaison_test_<random>) on the
cluster at LIAISON_TEST_PG (a postgres:// URL), dropped at cleanup; without
LIAISON_TEST_PG such a run is skipped (exit 77, which ctest reports as skipped).
"""
import atexit
import base64
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

SOURCE = os.environ.get("LIAISON_SOURCE") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("LIAISON_BIN") or os.path.join(SOURCE, "build", "liaison")
SHARED = os.environ.get("LIAISON_SHARED") or os.path.abspath(os.path.join(SOURCE, "..", "shared"))
STIX_DIR = os.path.join(SHARED, "data", "stix")

TAXII = "application/taxii+json;version=2.1"
STIX = "application/stix+json;version=2.1"
ROOT = "/taxii2/default/"
PG_URL = os.environ.get("LIAISON_TEST_PG", "")
USE_PG = os.environ.get("LIAISON_STORE") == "pg"
SKIP_EXIT = 77  # ctest SKIP_RETURN_CODE
SANITIZER_MARKS = ("AddressSanitizer", "runtime error:", "LeakSanitizer", "UndefinedBehaviorSanitizer")

# Sanitizer settings for every process we start: report and exit non-zero.
ENV = dict(os.environ)
ENV.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
ENV.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
# LIAISON_VALGRIND=1 (make check-valgrind, a build without sanitizers) runs every server under
# valgrind; an error or a definite leak makes it exit 99, which stop() reports.
VALGRIND = (["valgrind", "--quiet", "--error-exitcode=99", "--leak-check=full",
             "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite"]
            if os.environ.get("LIAISON_VALGRIND") == "1" else [])


def run_cli(*args, check=True, timeout=60):
    """Runs `liaison args...`; returns CompletedProcess (text). check: exit 0 required."""
    p = subprocess.run([BIN] + [str(a) for a in args], capture_output=True, text=True,
                       timeout=timeout, env=ENV)
    for mark in SANITIZER_MARKS:
        if mark in p.stderr:
            raise AssertionError("sanitizer report from liaison %s:\n%s" % (args, p.stderr))
    if check and p.returncode != 0:
        raise AssertionError("liaison %s exited %d\nstdout: %s\nstderr: %s" %
                             (" ".join(map(str, args)), p.returncode, p.stdout, p.stderr))
    return p


_LIVE = []  # servers started and not yet stopped


@atexit.register
def _kill_leftovers():
    """A setUpModule that fails after starting a server never reaches tearDownModule:
    never leave such a server running."""
    for proc in _LIVE:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def pg_database_url(name):
    """LIAISON_TEST_PG with its database replaced by name."""
    u = urllib.parse.urlsplit(PG_URL)
    return urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + name, u.query, ""))


def pg_admin(sql, database="postgres"):
    """Runs sql with psql on the test cluster; returns stdout."""
    p = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
                        pg_database_url(database), "-c", sql],
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise AssertionError("psql %r: %s" % (sql, p.stderr))
    return p.stdout


class DataDir:
    """A fresh data directory with an admin token; removed by cleanup().

    With LIAISON_STORE=pg its store is a new PostgreSQL database (self.store)."""

    def __init__(self, store=None):
        self.tmp = tempfile.mkdtemp(prefix="liaison-integ-")
        self.path = os.path.join(self.tmp, "data")
        self.pgdb = None
        self.store = store
        if store is None and USE_PG:
            self.pgdb = "liaison_test_" + os.urandom(6).hex()
            pg_admin("CREATE DATABASE %s" % self.pgdb)
            self.store = pg_database_url(self.pgdb)
        extra = ["--store", self.store] if self.store else []
        p = run_cli("init", "--data", self.path, *extra)
        self.admin = p.stdout.strip().splitlines()[-1].strip()

    def sql(self, *statements):
        """Runs statements straight on the store (tests that tamper with it)."""
        if getattr(self, "pgdb", None):  # subclasses (test_tls) may skip __init__
            for s in statements:
                pg_admin(s, self.pgdb)
            return
        import sqlite3
        with sqlite3.connect(os.path.join(self.path, "liaison.db")) as c:
            for s in statements:
                c.execute(s)

    def collection(self, title="Test", alias=None):
        args = ["collection", "add", "--data", self.path, "--title", title]
        if alias:
            args += ["--alias", alias]
        return run_cli(*args).stdout.strip().splitlines()[-1].strip()

    def reader(self, collection, name="P", clearance="amber"):
        """Adds partner name with clearance, lets it read collection, issues it a token;
        returns (its identity id, its token)."""
        ident = run_cli("partner", "add", "--data", self.path, "--name", name, "--clearance",
                        clearance).stdout.strip()
        run_cli("grant", "--data", self.path, "--collection", collection, "--partner", name, "--read")
        tok = run_cli("token", "issue", "--data", self.path, "--partner", name).stdout.split()[-1]
        return ident, tok

    def token(self, *extra):
        """Issues an admin token (extra: --read-only, --expires 1s...); returns (id, token)."""
        p = run_cli("token", "issue", "--data", self.path, "--admin", *extra)
        tok = p.stdout.strip().splitlines()[-1].strip()
        return tok.split(".")[0], tok

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)
        if getattr(self, "pgdb", None):  # subclasses (test_tls) may skip __init__
            pg_admin("DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.pgdb)
            self.pgdb = None


class Server:
    """`liaison serve` on 127.0.0.1:<free port>; stop() checks its exit and stderr."""

    def __init__(self, data, sets=(), tls=None, token=None):
        self.data = data
        # Tests make requests far faster than any partner would; the rate limit has its own
        # test (test_partners.RateLimitTest), which overrides this. So do they fail to
        # authenticate (test_auth, test_bad_input): the throttle of failed authentications has
        # its own tests (test_hostile.py), which override it too.
        self.sets = ["rate_limit=0", "auth_failure_rate=0"] + list(sets)
        self.tls = tls  # (cert, key) or None
        self.token = token or data.admin
        self.proc = None
        self.port = None
        self.errlog = None
        self.stderr_text = ""

    def start(self):
        last = ""
        for _attempt in range(5):
            self.port = free_port()
            args = VALGRIND + [BIN, "serve", "--data", self.data.path,
                               "--listen", "127.0.0.1:%d" % self.port]
            for s in self.sets:
                args += ["--set", s]
            if self.tls:
                args += ["--tls-cert", self.tls[0], "--tls-key", self.tls[1]]
            self.errlog = tempfile.TemporaryFile(mode="w+b")
            self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self.errlog, env=ENV)
            _LIVE.append(self.proc)
            deadline = time.time() + 30
            while time.time() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    st, _, _ = self.request("GET", "/healthz", auth=False, timeout=2)
                    if st == 200:
                        return self
                except (OSError, http.client.HTTPException, ssl.SSLError):
                    pass
                time.sleep(0.05)
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("server did not answer /healthz within 30 s")
            self.errlog.seek(0)
            last = self.errlog.read().decode("utf-8", "replace")
            if "cannot listen" not in last:
                break
        raise AssertionError("server failed to start (exit %s):\n%s" % (self.proc.returncode, last))

    def stop(self):
        """SIGTERM, wait, and fail on a non-zero exit or a sanitizer report."""
        if not self.proc:
            return
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                raise AssertionError("server did not stop within 60 s of SIGTERM")
        self.errlog.seek(0)
        self.stderr_text = self.errlog.read().decode("utf-8", "replace")
        self.errlog.close()
        for mark in SANITIZER_MARKS:
            if mark in self.stderr_text:
                raise AssertionError("sanitizer report in server stderr:\n" + self.stderr_text[-20000:])
        if proc.returncode != 0:
            raise AssertionError("server exited with %d:\n%s" % (proc.returncode, self.stderr_text[-5000:]))

    def restart(self):
        self.stop()
        return self.start()

    def connection(self, timeout=60):
        if self.tls:
            ctx = ssl.create_default_context(cafile=self.tls[0])
            ctx.check_hostname = False
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout, context=ctx)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, auth=True, token=None,
                timeout=120, content_type=None, accept=None, chunked=False):
        """One request on a fresh connection; returns (status, headers, body bytes).

        headers is an http.client.HTTPMessage (case-insensitive get/get_all)."""
        h = {}
        if auth:
            h["Authorization"] = "Bearer " + (token if token is not None else self.token)
        if accept is not None:
            h["Accept"] = accept
        if body is not None:
            if isinstance(body, (dict, list)):
                body = json.dumps(body).encode()
            elif isinstance(body, str):
                body = body.encode()
            h["Content-Type"] = content_type if content_type is not None else TAXII
        elif content_type is not None:
            h["Content-Type"] = content_type
        if headers:
            h.update(headers)
        h = {k: v for k, v in h.items() if v is not None}
        conn = self.connection(timeout)
        try:
            if chunked:
                data = body

                def gen():
                    for i in range(0, len(data), 16384):
                        yield data[i:i + 16384]
                conn.request(method, path, body=gen(), headers=h, encode_chunked=True)
            else:
                conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            return r.status, r.headers, r.read()
        finally:
            conn.close()

    def raw(self, data, timeout=30):
        """Sends raw bytes on a plain socket; returns everything read until close."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        try:
            s.sendall(data)
            chunks = []
            while True:
                try:
                    c = s.recv(65536)
                except socket.timeout:
                    break
                if not c:
                    break
                chunks.append(c)
            return b"".join(chunks)
        finally:
            s.close()

    # -- TAXII conveniences ------------------------------------------------

    def get_json(self, path, **kw):
        st, hd, body = self.request("GET", path, **kw)
        return st, hd, (json.loads(body) if body else None)

    def post_objects(self, coll, objects, envelope=True, **kw):
        body = {"objects": objects} if envelope else objects
        st, hd, b = self.request("POST", ROOT + "collections/%s/objects/" % coll, body=body, **kw)
        return st, hd, (json.loads(b) if b else None)

    def manifest_all(self, coll, params=None, limit=1000):
        """Every manifest entry of coll (all versions), following next."""
        out = []
        q = {"match[version]": "all", "limit": str(limit)}
        if params:
            q.update(params)
        nxt = None
        for _ in range(100000):
            qq = dict(q)
            if nxt:
                qq["next"] = nxt
            st, hd, j = self.get_json(ROOT + "collections/%s/manifest/?%s" % (coll, urllib.parse.urlencode(qq)))
            if st != 200:
                raise AssertionError("manifest: %d %s" % (st, j))
            out += j.get("objects", [])
            if not j["more"]:
                return out
            nxt = j["next"]
        raise AssertionError("manifest paging did not end")

    def objects_all(self, coll, params=None, limit=1000):
        """Every object of coll matching params, following next; returns the list."""
        out = []
        q = {"limit": str(limit)}
        if params:
            q.update(params)
        nxt = None
        for _ in range(100000):
            qq = dict(q)
            if nxt:
                qq["next"] = nxt
            st, hd, j = self.get_json(ROOT + "collections/%s/objects/?%s" % (coll, urllib.parse.urlencode(qq)))
            if st != 200:
                raise AssertionError("objects: %d %s" % (st, j))
            out += j.get("objects", [])
            if not j["more"]:
                return out
            nxt = j["next"]
        raise AssertionError("objects paging did not end")


def basic(user, password):
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def media_type(headers):
    return (headers.get("Content-Type") or "").replace(" ", "")


class TaxiiCase(unittest.TestCase):
    """unittest.TestCase with TAXII assertions."""

    maxDiff = 4000

    def assertTaxiiError(self, resp, status, contains=None):
        """resp = (status, headers, body): a TAXII error message with that status."""
        st, hd, body = resp
        self.assertEqual(st, status, "expected %d, got %d: %r" % (status, st, body[:500]))
        self.assertEqual(media_type(hd), TAXII, "error media type")
        j = json.loads(body)
        self.assertIsInstance(j, dict)
        self.assertIsInstance(j.get("title"), str)
        self.assertTrue(j["title"])
        self.assertIsInstance(j.get("description"), str)
        self.assertTrue(j["description"])
        self.assertEqual(str(j.get("http_status")), str(status))
        if contains:
            self.assertIn(contains.lower(), j["description"].lower())
        return j

    def assertOk(self, resp, status=200, media=TAXII):
        st, hd, body = resp
        self.assertEqual(st, status, "expected %d, got %d: %r" % (status, st, body[:500]))
        if media:
            self.assertEqual(media_type(hd), media)
        return json.loads(body) if body else None


def main():
    """Runs the module's tests verbosely, prints a summary, exits non-zero on failure."""
    if not os.path.exists(BIN):
        print("LIAISON_BIN %s does not exist" % BIN, file=sys.stderr)
        sys.exit(2)
    if USE_PG and not PG_URL:
        print("SKIPPED %s on PostgreSQL: LIAISON_TEST_PG is not set (.ci/run sets it)" %
              os.path.basename(sys.argv[0]))
        sys.exit(SKIP_EXIT)
    start = time.time()
    prog = unittest.main(exit=False, verbosity=2)
    r = prog.result
    name = os.path.basename(sys.argv[0])
    print("\n=== %s: %d run, %d failures, %d errors, %d skipped in %.1f s: %s ===" %
          (name, r.testsRun, len(r.failures), len(r.errors), len(r.skipped), time.time() - start,
           "PASS" if r.wasSuccessful() else "FAIL"))
    sys.exit(0 if r.wasSuccessful() and r.testsRun > 0 else 1)


def sdo(type_="indicator", id_=None, modified="2024-01-01T00:00:00.000Z", created="2024-01-01T00:00:00.000Z",
        **extra):
    """A minimal valid STIX 2.1 SDO."""
    import uuid
    o = {"type": type_, "spec_version": "2.1", "id": id_ or "%s--%s" % (type_, uuid.uuid4()),
         "created": created, "modified": modified}
    if type_ == "indicator":
        o.update({"pattern": "[ipv4-addr:value = '10.0.0.1']", "pattern_type": "stix",
                  "valid_from": created})
    elif type_ in ("identity", "malware", "threat-actor", "campaign", "tool", "attack-pattern",
                   "intrusion-set", "infrastructure"):
        o["name"] = "n-" + o["id"][-6:]
        if type_ == "malware":
            o["is_family"] = False
    o.update(extra)
    return o
