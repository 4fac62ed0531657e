"""Exchange between instances (issue 4): pull, push, signed offline bundles.

The sample article's situation with real instances on loopback, each with its
own data directory: "Algiers" holds reports of dismantled cells with every
kind of handling; "Washington" (Algiers' partner US) pulls them and pushes
its own back; "Sahel" (Algiers' partner Sahel, clearance green) gets only
TLP:CLEAR and GREEN, by pull and by a signed file. Object by object, each side
must end up with exactly what the policy lets it receive.

Also: a pull of thousands of objects killed with SIGKILL and resumed (every
object exactly once); peers that are down or answer 500, garbage, STIX 2.0 or
429 (a TAXII 2.1 test double written here, following the spec, which also
shows a pull from a server that is not liaison); tampered signed files
refused with nothing imported; double import; the sync thread of serve and
its metrics.
"""
import http.server
import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
import urllib.parse
import uuid

import harness
from harness import ROOT, TaxiiCase, run_cli, sdo

TLP = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
HANDLING = "extension-definition--b5fc933d-2a12-45ec-bf89-f6e3b754bcd0"
RELEASABILITY = "extension-definition--fe6c44b8-02ce-4c78-adda-645fef55531d"


def report(name, marking, **extra):
    o = sdo("report", name=name, published="2024-01-02T00:00:00Z", report_types=["threat-report"],
            object_refs=["identity--%s" % uuid.uuid4()], object_marking_refs=[marking])
    o.update(extra)
    return o


def db_count(data, sql, args=()):
    con = sqlite3.connect("file:%s?mode=ro" % os.path.join(data.path, "liaison.db"), uri=True,
                          timeout=30)
    try:
        return con.execute(sql, args).fetchone()[0]
    finally:
        con.close()


def versions(server, coll):
    """{(id, version)} of every version in coll, read by the server's admin."""
    return {(m["id"], m["version"]) for m in server.manifest_all(coll)}


def partner(data, name, clearance, trust="B"):
    return run_cli("partner", "add", "--data", data.path, "--name", name, "--clearance", clearance,
                   "--trust", trust).stdout.strip()


def token(data, name):
    return run_cli("token", "issue", "--data", data.path, "--partner",
                   name).stdout.strip().splitlines()[-1]


class World:
    """Algiers with its partners US and Sahel; Washington and Sahel instances."""

    def __init__(self):
        self.alg = harness.DataDir()
        d = self.alg.path
        self.cells = self.alg.collection("Dismantled cells", "cells")
        self.us = partner(self.alg, "US", "red")
        self.sahel = partner(self.alg, "Sahel", "green")
        run_cli("grant", "--data", d, "--collection", "cells", "--partner", "US", "--read", "--write")
        run_cli("grant", "--data", d, "--collection", "cells", "--partner", "Sahel", "--read")
        self.alg_srv = harness.Server(self.alg).start()
        self.was = harness.DataDir()
        self.was_algiers = partner(self.was, "Algiers", "amber", "A")
        self.sah = harness.DataDir()
        self.sah_algiers = partner(self.sah, "Algiers", "green", "B")
        self.servers = [self.alg_srv]

    def cleanup(self):
        for s in self.servers:
            s.stop()
        for d in (self.alg, self.was, self.sah):
            d.cleanup()


class ScenarioTest(TaxiiCase):
    @classmethod
    def setUpClass(cls):
        w = cls.w = World()
        rel_us = {"type": "marking-definition", "spec_version": "2.1",
                  "id": "marking-definition--%s" % uuid.uuid4(), "created": "2024-01-01T00:00:00.000Z",
                  "name": "REL TO US",
                  "extensions": {RELEASABILITY: {"extension_type": "property-extension",
                                                 "rel_to": [w.us]}}}
        cls.objs = {
            "clear": report("cell dismantled in Tamanrasset (public)", TLP["clear"]),
            "green": report("recruitment network, Sahel overview", TLP["green"]),
            "amber": report("cells dismantled in Algiers: members", TLP["amber"]),
            "rel_us": report("recruiter identities (REL TO US)", rel_us["id"]),
            "red_us": report("source reporting", TLP["red"],
                             extensions={HANDLING: {"extension_type": "property-extension",
                                                    "red_recipients": [w.us]}}),
            "red_none": report("internal only", TLP["red"]),
        }
        # A second version of the green report: both versions travel.
        v2 = dict(cls.objs["green"])
        v2["modified"] = "2024-02-01T00:00:00.000Z"
        cls.green_v2 = v2
        st, _, j = w.alg_srv.post_objects(w.cells, [rel_us] + list(cls.objs.values()) + [v2])
        assert st == 202 and j["failure_count"] == 0, j
        cls.rel_us = rel_us
        cls.us_token = token(w.alg, "US")
        cls.sahel_token = token(w.alg, "Sahel")
        url = "http://127.0.0.1:%d/taxii2/" % w.alg_srv.port
        run_cli("peer", "add", "--data", w.was.path, "--name", "algiers", "--url", url,
                "--partner", "Algiers", "--token", cls.us_token)
        run_cli("peer", "add", "--data", w.sah.path, "--name", "algiers", "--url", url,
                "--partner", "Algiers", "--token", cls.sahel_token)

    @classmethod
    def tearDownClass(cls):
        cls.w.cleanup()

    def expected(self, tok):
        """What Algiers serves to the holder of tok: {(id, version)}."""
        got = set()
        nxt = None
        while True:
            q = {"match[version]": "all", "limit": "1000"}
            if nxt:
                q["next"] = nxt
            st, _, j = self.w.alg_srv.get_json(
                ROOT + "collections/cells/manifest/?" + urllib.parse.urlencode(q), token=tok)
            self.assertEqual(st, 200)
            got |= {(m["id"], m["version"]) for m in j.get("objects", [])}
            if not j.get("more"):
                return got
            nxt = j["next"]

    def local_versions(self, data, coll_rid=None):
        con = sqlite3.connect(os.path.join(data.path, "liaison.db"))
        try:
            rows = con.execute("SELECT id, modified_text FROM object WHERE type != 'identity'"
                               + (" AND coll = %d" % coll_rid if coll_rid else "")).fetchall()
        finally:
            con.close()
        return rows

    def test_1_washington_pulls_what_us_may_read(self):
        w = self.w
        p = run_cli("pull", "--data", w.was.path, "algiers", "--collection", w.cells, "--into",
                    w.was.collection("From Algiers", "from-algiers"))
        self.assertIn("pulled algiers", p.stdout)
        rows = self.local_versions(w.was)
        self.assertEqual(len(rows), len(set(rows)), "a version stored twice")
        want = self.expected(self.us_token)
        self.assertEqual(set(rows), want)
        ids = {r[0] for r in rows}
        for name in ("clear", "green", "amber", "rel_us", "red_us"):
            self.assertIn(self.objs[name]["id"], ids, name)
        self.assertNotIn(self.objs["red_none"]["id"], ids)
        self.assertIn((self.objs["green"]["id"], "2024-02-01T00:00:00.000Z"), set(rows))
        self.assertIn((self.objs["green"]["id"], "2024-01-01T00:00:00.000Z"), set(rows))
        # Verbatim: the stored text is what Algiers holds.
        st, _, j = w.alg_srv.get_json(ROOT + "collections/cells/objects/%s/" % self.objs["amber"]["id"])
        con = sqlite3.connect(os.path.join(w.was.path, "liaison.db"))
        try:
            text = con.execute("SELECT json FROM object WHERE id = ?",
                               (self.objs["amber"]["id"],)).fetchone()[0]
            prov = con.execute("SELECT count(*), min(via), min(trust), count(DISTINCT peer) FROM"
                               " provenance").fetchone()
        finally:
            con.close()
        self.assertEqual(json.loads(text), j["objects"][0])
        self.assertEqual(prov, (len(rows), "pull", "A", 1))
        # Idempotent: again, nothing new.
        p = run_cli("pull", "--data", w.was.path, "algiers")
        self.assertIn("0 new", p.stdout)
        self.assertEqual(len(self.local_versions(w.was)), len(rows))
        show = run_cli("peer", "show", "--data", w.was.path, "algiers").stdout
        self.assertIn("last success: 20", show)
        self.assertNotIn(self.us_token, show)
        self.assertNotIn(self.us_token.split(".")[1], run_cli("peer", "list", "--data", w.was.path).stdout)

    def test_2_sahel_pulls_only_clear_and_green(self):
        w = self.w
        run_cli("pull", "--data", w.sah.path, "algiers", "--collection", "cells", "--into",
                w.sah.collection("Algiers share", "alg"))
        rows = set(self.local_versions(w.sah))
        want = self.expected(self.sahel_token)
        self.assertEqual(rows, want)
        self.assertEqual({r[0] for r in rows}, {self.objs["clear"]["id"], self.objs["green"]["id"]})

    def test_3_washington_pushes_back(self):
        w = self.w
        d = w.was.path
        own = w.was.collection("Washington findings", "findings")
        run_cli("grant", "--data", d, "--collection", "findings", "--partner", "Algiers", "--read")
        srv = harness.Server(w.was).start()
        w.servers.append(srv)
        green = report("travel of recruits via Libya", TLP["green"])
        red = report("our own source", TLP["red"])
        third = report("someone else's report", TLP["green"],
                       created_by_ref="identity--%s" % uuid.uuid4())
        st, _, j = srv.post_objects(own, [green, red, third])
        self.assertEqual(j["failure_count"], 0)
        p = run_cli("push", "--data", d, "algiers", "--collection", "findings", "--to", w.cells)
        self.assertIn("pushed algiers", p.stdout)
        self.assertIn("1 new", p.stdout)
        self.assertIn(third["id"], p.stderr)  # refused by Algiers, with its reason
        self.assertIn("created_by_ref", p.stderr)
        ids = {m["id"] for m in w.alg_srv.manifest_all(w.cells)}
        self.assertIn(green["id"], ids)
        self.assertNotIn(red["id"], ids)  # Algiers' partner may not read it here: never sent
        self.assertNotIn(third["id"], ids)
        # Only what was not sent yet: a second push sends nothing.
        p = run_cli("push", "--data", d, "algiers", "--collection", "findings")
        self.assertIn("push: 0 objects", p.stdout)
        audit = run_cli("audit", "show", "--data", d).stdout
        self.assertIn("objects.push", audit)

    def test_4_export_import_for_sahel(self):
        w = self.w
        key = run_cli("key", "show", "--data", w.alg.path).stdout.strip()
        self.assertEqual(len(key), 64)
        with open(os.path.join(w.alg.path, "signing.pub")) as f:
            self.assertEqual(key, f.read().strip())
        out = os.path.join(w.alg.tmp, "for-sahel.bundle")
        run_cli("export", "--data", w.alg.path, "--for", "Sahel", "--collection", "cells", "--out", out)
        other = harness.DataDir()
        try:
            partner(other, "Algiers", "green")
            # Unknown sender: no key registered yet.
            p = run_cli("import", "--data", other.path, out, check=False)
            self.assertEqual(p.returncode, 4, p.stderr)
            self.assertIn("belongs to no partner", p.stderr)
            run_cli("partner", "key", "--data", other.path, "--partner", "Algiers", "--set", key)
            p = run_cli("import", "--data", other.path, "--into", other.collection("In", "in"), out)
            self.assertIn("imported", p.stdout)
            got = set(self.local_versions(other))
            self.assertEqual(got, self.expected(self.sahel_token))
            self.assertEqual(db_count(other, "SELECT count(*) FROM provenance WHERE via='import'"), len(got))
            # Twice: nothing changes.
            p = run_cli("import", "--data", other.path, "--into", "in", out)
            self.assertIn("0 new", p.stdout)
            self.assertEqual(set(self.local_versions(other)), got)
            self.assertEqual(db_count(other, "SELECT count(*) FROM object"),
                             len(got) + db_count(other, "SELECT count(*) FROM object WHERE type='identity'"))
        finally:
            other.cleanup()

    def test_5_tampered_files_refused(self):
        w = self.w
        key = run_cli("key", "show", "--data", w.alg.path).stdout.strip()
        out = os.path.join(w.alg.tmp, "t.bundle")
        run_cli("export", "--data", w.alg.path, "--for", "US", "--collection", "cells", "--out", out)
        with open(out, "rb") as f:
            good = f.read()
        head_end = good.index(b"\n")
        sig_at = good.rindex(b"\ned25519 ") + 1
        body_mid = (head_end + sig_at) // 2

        def flip(b, i):
            return b[:i] + bytes([b[i] ^ 0x20]) + b[i + 1:]
        bad = {
            "header byte": flip(good, 20),
            "bundle byte": flip(good, body_mid),
            "signature byte": flip(good, sig_at + 20),
            "truncated": good[:len(good) // 2],
            "truncated signature": good[:-10],
            "no signature": good[:sig_at],
            "appended": good + b"{}\n",
            "empty": b"",
        }
        other = harness.DataDir()
        try:
            partner(other, "Algiers", "red")
            run_cli("partner", "key", "--data", other.path, "--partner", "Algiers", "--set", key)
            before = db_count(other, "SELECT count(*) FROM object")
            for name, data in bad.items():
                path = os.path.join(other.tmp, "bad.bundle")
                with open(path, "wb") as f:
                    f.write(data)
                p = run_cli("import", "--data", other.path, path, check=False)
                self.assertEqual(p.returncode, 4, "%s: %s" % (name, p.stderr))
                self.assertIn("refused", p.stderr)
                self.assertEqual(db_count(other, "SELECT count(*) FROM object"), before, name)
                self.assertEqual(db_count(other, "SELECT count(*) FROM provenance"), 0, name)
            # A file signed by another instance's key, naming that key: unknown sender.
            stranger = harness.DataDir()
            try:
                c = stranger.collection("S", "s")
                partner(stranger, "X", "red")
                run_cli("grant", "--data", stranger.path, "--collection", "s", "--partner", "X")
                path = os.path.join(other.tmp, "stranger.bundle")
                run_cli("export", "--data", stranger.path, "--for", "X", "--collection", c, "--out", path)
                p = run_cli("import", "--data", other.path, path, check=False)
                self.assertEqual(p.returncode, 4)
                self.assertIn("belongs to no partner", p.stderr)
            finally:
                stranger.cleanup()
            # The good file still imports.
            run_cli("import", "--data", other.path, out)
            self.assertGreater(db_count(other, "SELECT count(*) FROM provenance"), 0)
        finally:
            other.cleanup()


# -- A TAXII 2.1 server that is not liaison: the test double ------------------------------

class Double:
    """A small TAXII 2.1 server following the spec (discovery, API root, collections, objects
    with added_after / limit / next, X-TAXII-Date-Added-* headers). mode: ok, 500, garbage,
    stix20, 429 (429 with Retry-After twice, then ok), bundle (a bundle instead of an
    envelope), slow (0.2 s per page)."""

    MEDIA = "application/taxii+json;version=2.1"

    def __init__(self, n=50, mode="ok"):
        self.mode = mode
        self.hits = 0
        self.object_hits = 0
        base = 1700000000
        self.objects = []
        for i in range(n):
            o = sdo("indicator", created="2024-01-01T00:00:00.000Z",
                    modified="2024-01-01T00:00:00.000Z", object_marking_refs=[TLP["green"]])
            added = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(base + i)) + ".000000Z"
            self.objects.append((added, o))
        double = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def send(self, status, body, ctype=Double.MEDIA, headers=()):
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                double.hits += 1
                if self.headers.get("Authorization") != "Bearer double-token":
                    return self.send(401, {"title": "Unauthorized", "http_status": "401"})
                u = urllib.parse.urlsplit(self.path)
                q = dict(urllib.parse.parse_qsl(u.query))
                if u.path == "/taxii2/":
                    return self.send(200, {"title": "double", "default": "/api1/",
                                           "api_roots": ["/api1/"]})
                if u.path == "/api1/":
                    return self.send(200, {"title": "api1", "versions": [Double.MEDIA],
                                           "max_content_length": 1000000})
                if u.path == "/api1/collections/":
                    return self.send(200, {"collections": [{"id": "c1", "title": "Double",
                                                            "can_read": True, "can_write": False,
                                                            "media_types": [Double.MEDIA]}]})
                if u.path != "/api1/collections/c1/objects/":
                    return self.send(404, {"title": "Not found", "http_status": "404"})
                m = double.mode
                if m == "500":
                    return self.send(500, {"title": "Internal error", "http_status": "500"})
                if m == "garbage":
                    return self.send(200, b"<html>this is not json", ctype=Double.MEDIA)
                if m == "stix20":
                    return self.send(200, {"type": "bundle", "id": "bundle--%s" % uuid.uuid4(),
                                           "spec_version": "2.0",
                                           "objects": [dict(double.objects[0][1], spec_version=None)]},
                                     ctype="application/vnd.oasis.stix+json; version=2.0")
                if m == "stix20-as-21":
                    objs = []
                    for _, o in double.objects[:3]:
                        o2 = dict(o)
                        del o2["spec_version"]
                        objs.append(o2)
                    return self.send(200, {"type": "bundle", "id": "bundle--%s" % uuid.uuid4(),
                                           "spec_version": "2.0", "objects": objs})
                double.object_hits += 1
                if m == "429" and double.object_hits <= 2:
                    return self.send(429, {"title": "Too many requests", "http_status": "429"},
                                     headers=[("Retry-After", "1")])
                if m == "slow":
                    time.sleep(0.2)
                after = q.get("added_after", "")
                start = int(q.get("next", "0"))
                limit = int(q.get("limit", "100"))
                sel = [(a, o) for a, o in double.objects if a > after][start:start + limit]
                more = start + limit < len([1 for a, _ in double.objects if a > after])
                body = {"more": more, "objects": [o for _, o in sel]}
                if more:
                    body["next"] = str(start + limit)
                hd = []
                if sel:
                    hd = [("X-TAXII-Date-Added-First", sel[0][0]),
                          ("X-TAXII-Date-Added-Last", sel[-1][0])]
                if m == "bundle":
                    body = {"type": "bundle", "id": "bundle--%s" % uuid.uuid4(), "objects": body["objects"]}
                return self.send(200, body, headers=hd)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self):
        return "http://127.0.0.1:%d/taxii2/" % self.port

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class BadPeerTest(TaxiiCase):
    def setUp(self):
        self.data = harness.DataDir()
        partner(self.data, "Other", "amber")
        self.coll = self.data.collection("In", "in")

    def tearDown(self):
        self.data.cleanup()

    def pull(self, url, *extra):
        name = "p%s" % uuid.uuid4().hex[:8]
        run_cli("peer", "add", "--data", self.data.path, "--name", name, "--url", url, "--partner",
                "Other", "--token", "double-token")
        return run_cli("pull", "--data", self.data.path, name, "--collection", "c1", "--into", "in",
                       "--retries", "2", *extra, check=False, timeout=120)

    def objects(self):
        return db_count(self.data, "SELECT count(*) FROM object WHERE type != 'identity'")

    def test_not_liaison_server(self):
        d = Double(n=250)
        try:
            p = self.pull(d.url(), "--page", "40")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(self.objects(), 250)
            con = sqlite3.connect(os.path.join(self.data.path, "liaison.db"))
            stored = set(con.execute("SELECT id FROM object WHERE type='indicator'"))
            con.close()
            self.assertEqual(stored, {(o["id"],) for _, o in d.objects})
            # New objects on the peer: only they come on the next pull.
            for _ in range(5):
                o = sdo("indicator", object_marking_refs=[TLP["green"]])
                d.objects.append(("2030-01-01T00:00:%02d.000000Z" % len(d.objects[-5:]), o))
            hits = d.hits
            peer = run_cli("peer", "list", "--data", self.data.path).stdout.split()[0]
            p = run_cli("pull", "--data", self.data.path, peer)
            self.assertIn("5 new", p.stdout)
            self.assertEqual(self.objects(), 255)
            self.assertLessEqual(d.hits - hits, 3)
        finally:
            d.stop()

    def test_peer_down(self):
        port = harness.free_port()
        t0 = time.time()
        p = self.pull("http://127.0.0.1:%d/taxii2/" % port)
        self.assertEqual(p.returncode, 1)
        self.assertIn("gave up after 3 attempts", p.stderr)
        self.assertLess(time.time() - t0, 30)
        self.assertEqual(self.objects(), 0)

    def test_bad_answers(self):
        for mode, words in (("500", "gave up"), ("garbage", "not a TAXII 2.1 envelope"),
                            ("stix20", "Content-Type"), ("stix20-as-21", "STIX 2.0"),
                            ("bundle", "bundle")):
            d = Double(n=20, mode=mode)
            try:
                p = self.pull(d.url())
                self.assertEqual(p.returncode, 1, "%s: %s" % (mode, p.stderr))
                self.assertIn(words, p.stderr, mode)
                self.assertEqual(self.objects(), 0, mode)
            finally:
                d.stop()

    def test_429_then_success(self):
        d = Double(n=30, mode="429")
        try:
            p = self.pull(d.url())
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("exchange.retry", p.stderr)
            self.assertEqual(self.objects(), 30)
        finally:
            d.stop()


class ResumeTest(TaxiiCase):
    """A pull of 3,000 objects killed with SIGKILL mid-way, then resumed."""

    N = 3000

    def test_kill_and_resume(self):
        src = harness.DataDir()
        dst = harness.DataDir()
        srv = None
        try:
            coll = src.collection("Big", "big")
            partner(src, "US", "red")
            run_cli("grant", "--data", src.path, "--collection", "big", "--partner", "US")
            tok = token(src, "US")
            srv = harness.Server(src).start()
            ids = set()
            for start in range(0, self.N, 1000):
                batch = [sdo(object_marking_refs=[TLP["green"]]) for _ in range(1000)]
                ids |= {o["id"] for o in batch}
                st, _, j = srv.post_objects(coll, batch)
                self.assertEqual(j["success_count"], 1000)
            partner(dst, "Algiers", "amber")
            into = dst.collection("In", "in")
            run_cli("peer", "add", "--data", dst.path, "--name", "alg", "--url",
                    "http://127.0.0.1:%d/taxii2/" % srv.port, "--partner", "Algiers", "--token", tok)
            proc = subprocess.Popen([harness.BIN, "pull", "--data", dst.path, "alg", "--collection",
                                     coll, "--into", into, "--page", "25"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=harness.ENV)
            killed_at = None
            deadline = time.time() + 120
            while time.time() < deadline and proc.poll() is None:
                try:
                    n = db_count(dst, "SELECT count(*) FROM object WHERE type='indicator'")
                except sqlite3.OperationalError:
                    n = 0
                if n >= 200:
                    proc.send_signal(signal.SIGKILL)
                    killed_at = n
                    break
                time.sleep(0.002)
            proc.wait()
            proc.stdout.close()
            proc.stderr.close()
            self.assertIsNotNone(killed_at, "the pull ended before it could be killed")
            mid = db_count(dst, "SELECT count(*) FROM object WHERE type='indicator'")
            self.assertLess(mid, self.N, "killed too late to test a resume")
            p = run_cli("pull", "--data", dst.path, "alg", timeout=300)
            self.assertIn("pulled alg", p.stdout)
            con = sqlite3.connect(os.path.join(dst.path, "liaison.db"))
            try:
                rows = con.execute("SELECT id FROM object WHERE type='indicator'").fetchall()
                prov = con.execute("SELECT count(*) FROM provenance").fetchone()[0]
            finally:
                con.close()
            self.assertEqual(len(rows), self.N)
            self.assertEqual({r[0] for r in rows}, ids)  # every object, each exactly once
            self.assertEqual(prov, self.N)
        finally:
            if srv:
                srv.stop()
            src.cleanup()
            dst.cleanup()


class SyncTest(TaxiiCase):
    """serve --set sync_interval=1 runs the configured pulls; /metrics and peer show say when."""

    def test_sync_thread(self):
        d = Double(n=10)
        data = harness.DataDir()
        srv = None
        try:
            partner(data, "Other", "amber")
            data.collection("In", "in")
            run_cli("peer", "add", "--data", data.path, "--name", "dbl", "--url", d.url(),
                    "--partner", "Other", "--token", "double-token")
            run_cli("pull", "--data", data.path, "dbl", "--collection", "c1", "--into", "in")
            srv = harness.Server(data, sets=["sync_interval=1"]).start()
            for _ in range(3):
                d.objects.append(("2031-01-01T00:00:%02d.000000Z" % len(d.objects),
                                  sdo(object_marking_refs=[TLP["green"]])))
            deadline = time.time() + 30
            while time.time() < deadline:
                if db_count(data, "SELECT count(*) FROM object WHERE type='indicator'") == 13:
                    break
                time.sleep(0.2)
            self.assertEqual(db_count(data, "SELECT count(*) FROM object WHERE type='indicator'"), 13)
            st, _, body = srv.request("GET", "/metrics")
            self.assertEqual(st, 200)
            text = body.decode()
            self.assertIn('liaison_sync_last_success_timestamp_seconds{peer="dbl",direction="pull"}', text)
            self.assertIn('liaison_sync_lag_seconds{peer="dbl",direction="pull"}', text)
            show = run_cli("peer", "show", "--data", data.path, "dbl").stdout
            self.assertIn("s behind", show)
            self.assertNotIn("double-token", show)
        finally:
            if srv:
                srv.stop()
            d.stop()
            data.cleanup()


class PeerCliTest(TaxiiCase):
    def test_peer_commands(self):
        data = harness.DataDir()
        try:
            partner(data, "US", "amber")
            p = run_cli("peer", "add", "--data", data.path, "--name", "x", "--url", "ftp://h/",
                        "--partner", "US", "--token", "t", check=False)
            self.assertEqual(p.returncode, 2)
            p = run_cli("peer", "add", "--data", data.path, "--name", "x", "--url", "http://h/",
                        "--partner", "Nobody", "--token", "t", check=False)
            self.assertEqual(p.returncode, 3)
            p = run_cli("peer", "add", "--data", data.path, "--name", "x", "--url", "http://h/",
                        "--partner", "US", check=False)
            self.assertEqual(p.returncode, 2)
            run_cli("peer", "add", "--data", data.path, "--name", "x", "--url", "http://h/",
                    "--partner", "US", "--token", "s3cret-token")
            p = run_cli("peer", "add", "--data", data.path, "--name", "x", "--url", "http://h/",
                        "--partner", "US", "--token", "t", check=False)
            self.assertEqual(p.returncode, 4)
            out = run_cli("peer", "show", "--data", data.path, "x").stdout + \
                run_cli("peer", "list", "--data", data.path).stdout + \
                run_cli("audit", "show", "--data", data.path).stdout
            self.assertNotIn("s3cret-token", out)
            self.assertEqual(run_cli("peer", "show", "--data", data.path, "y", check=False).returncode, 3)
            self.assertEqual(run_cli("pull", "--data", data.path, "y", check=False).returncode, 3)
            run_cli("peer", "remove", "--data", data.path, "x")
            self.assertEqual(run_cli("peer", "list", "--data", data.path).stdout, "")
        finally:
            data.cleanup()


if __name__ == "__main__":
    harness.main()
