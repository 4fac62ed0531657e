"""Exchange with TAXII 2.1 servers that are not liaison (issue 25).

A TAXII 2.1 server written here behaves as the foreign servers users met do:
medallion gives every object of one POST the same date_added and accepts only
HTTP Basic; its status lists objects it held already as successes with the
message "Object already added". Against it:

- a pull whose page fails in the middle of a group sharing one date_added,
  run again, ends with exactly the server's objects: nothing skipped, nothing
  twice, with page sizes that split the group at different points;
- `peer add --basic USER` (password on stdin) pulls, and the password appears
  in no output, message, log or audit entry; credentials inside a URL are
  refused; a 401 names the login the server asks for;
- push of objects the server holds already reports 0 new (also to liaison);
- our own objects coming back on the next pull are not recorded as the peer's;
- a pull without --into that fails at once leaves no empty collection;
- a per-peer timeout.
"""
import base64
import http.server
import json
import os
import sqlite3
import subprocess
import threading
import time
import urllib.parse
import uuid

import harness
from harness import TaxiiCase, run_cli, sdo

GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
MEDIA = "application/taxii+json;version=2.1"
USER, PASSWORD = "alice", "pw-Zq81-never-shown"


def ts(sec, us=0):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)) + ".%06dZ" % us


class Foreign:
    """TAXII 2.1 over plain http.server, Basic login only (like medallion). Objects are
    (date_added, object); `fail_at` = n makes the n-th objects request answer something that is
    not TAXII (not retried: the pull stops there), once. `slow` seconds per objects page."""

    def __init__(self):
        self.objects = []
        self.fail_at = None
        self.object_requests = 0
        self.slow = 0
        self.cursors = None  # {token: remaining objects}: next tokens as medallion's (consumed)
        self.consume_then_fail_at = None
        self.seen_auth = set()
        self.lock = threading.Lock()
        f = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def send(self, status, body, headers=()):
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", MEDIA)
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def authorised(self):
                got = self.headers.get("Authorization", "")
                f.seen_auth.add(got.split(" ")[0])
                want = "Basic " + base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()
                if got == want:
                    return True
                self.send(401, {"title": "Unauthorized", "http_status": "401"},
                          headers=[("WWW-Authenticate", 'Basic realm="foreign"')])
                return False

            def do_GET(self):
                if not self.authorised():
                    return
                u = urllib.parse.urlsplit(self.path)
                q = dict(urllib.parse.parse_qsl(u.query))
                if u.path == "/taxii2/":
                    return self.send(200, {"title": "foreign", "default": "/api1/",
                                           "api_roots": ["/api1/"]})
                if u.path == "/api1/":
                    return self.send(200, {"title": "api1", "versions": [MEDIA],
                                           "max_content_length": 10000000})
                if u.path == "/api1/collections/":
                    return self.send(200, {"collections": [{"id": "c1", "title": "Foreign",
                                                            "can_read": True, "can_write": True,
                                                            "media_types": [MEDIA]}]})
                if u.path.startswith("/api1/status/"):
                    return self.send(404, {"title": "no such status", "http_status": "404"})
                if u.path != "/api1/collections/c1/objects/":
                    return self.send(404, {"title": "Not found", "http_status": "404"})
                with f.lock:
                    f.object_requests += 1
                    n = f.object_requests
                    fail = f.fail_at is not None and n == f.fail_at
                    if fail:
                        f.fail_at = None
                    objs = list(f.objects)
                if fail:
                    return self.send(200, b"<html>proxy error</html>")
                if f.slow:
                    time.sleep(f.slow)
                after = q.get("added_after", "")
                limit = int(q.get("limit", "100"))
                if f.cursors is not None:
                    return self.cursor_page(q, after, limit, objs, n)
                start = int(q.get("next", "0"))
                # String order is time order for these fixed-width timestamps.
                match = [(a, o) for a, o in sorted(objs, key=lambda x: x[0]) if a > after]
                sel = match[start:start + limit]
                more = start + limit < len(match)
                body = {"more": more, "objects": [o for _, o in sel]}
                if more:
                    body["next"] = str(start + limit)
                hd = []
                if sel:
                    hd = [("X-TAXII-Date-Added-First", sel[0][0]),
                          ("X-TAXII-Date-Added-Last", sel[-1][0])]
                return self.send(200, body, headers=hd)

            def cursor_page(self, q, after, limit, objs, n):
                """medallion's way: a next token names the rest of the result, and using it
                takes the page out of it, whether the answer arrives or not."""
                with f.lock:
                    if "next" in q:
                        rest = f.cursors.get(q["next"])
                        if rest is None:
                            return self.send(400, {"title": "bad next", "http_status": "400"})
                        token = q["next"]
                    else:
                        rest = [(a, o) for a, o in sorted(objs, key=lambda x: x[0]) if a > after]
                        token = str(uuid.uuid4())
                        f.cursors[token] = rest
                    sel = rest[:limit]
                    del rest[:limit]
                    more = bool(rest)
                    if f.consume_then_fail_at == n:
                        f.consume_then_fail_at = None
                        return self.send(500, {"title": "lost", "http_status": "500"})
                body = {"more": more, "objects": [o for _, o in sel]}
                if more:
                    body["next"] = token
                hd = [("X-TAXII-Date-Added-Last", sel[-1][0])] if sel else []
                return self.send(200, body, headers=hd)

            def do_POST(self):
                if not self.authorised():
                    return
                data = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path != "/api1/collections/c1/objects/":
                    return self.send(404, {"title": "Not found", "http_status": "404"})
                added = ts(int(time.time()), 123456)  # one date_added for the whole POST
                successes = []
                with f.lock:
                    held = {(o["id"], o.get("modified")) for _, o in f.objects}
                    for o in data["objects"]:
                        d = {"id": o["id"], "version": o.get("modified", "")}
                        if (o["id"], o.get("modified")) in held:
                            d["message"] = "Object already added"
                        else:
                            f.objects.append((added, o))
                        successes.append(d)
                return self.send(202, {"id": str(uuid.uuid4()), "status": "complete",
                                       "total_count": len(successes),
                                       "success_count": len(successes), "successes": successes,
                                       "failure_count": 0, "failures": [], "pending_count": 0,
                                       "pendings": []})

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self):
        return "http://127.0.0.1:%d/taxii2/" % self.port

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def cli_in(stdin, *args):
    """liaison args... with stdin text."""
    p = subprocess.run([harness.BIN] + [str(a) for a in args], input=stdin, capture_output=True,
                       text=True, timeout=120, env=harness.ENV)
    for mark in harness.SANITIZER_MARKS:
        assert mark not in p.stderr, p.stderr
    return p


def db(data, sql, args=()):
    con = sqlite3.connect("file:%s?mode=ro" % os.path.join(data.path, "liaison.db"), uri=True,
                          timeout=30)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


class ForeignCase(TaxiiCase):
    def setUp(self):
        self.f = Foreign()
        self.data = harness.DataDir()
        run_cli("partner", "add", "--data", self.data.path, "--name", "Other", "--clearance",
                "amber", "--trust", "B")
        self.data.collection("In", "in")

    def tearDown(self):
        self.f.stop()
        self.data.cleanup()

    def add_basic(self, name="foreign", *extra):
        p = cli_in(PASSWORD + "\n", "peer", "add", "--data", self.data.path, "--name", name,
                   "--url", self.f.url(), "--partner", "Other", "--basic", USER, *extra)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p

    def pull(self, *extra, peer="foreign"):
        return run_cli("pull", "--data", self.data.path, peer, "--collection", "c1", "--into", "in",
                       "--retries", "0", *extra, check=False, timeout=120)

    def stored_ids(self):
        return [r[0] for r in db(self.data, "SELECT id FROM object WHERE type = 'indicator'")]


class ResumeSharedDateAddedTest(ForeignCase):
    """30 objects, then a group of 120 sharing one date_added, then 20: a page fails once the
    position is inside the group; the pull run again must fetch the rest of the group."""

    def fill(self):
        base = 1700000000
        for i in range(30):
            self.f.objects.append((ts(base + i), sdo(object_marking_refs=[GREEN])))
        for _ in range(120):
            self.f.objects.append((ts(base + 100, 500000), sdo(object_marking_refs=[GREEN])))
        for i in range(20):
            self.f.objects.append((ts(base + 200 + i), sdo(object_marking_refs=[GREEN])))

    def test_resume_inside_a_group(self):
        self.fill()
        self.add_basic()
        want = sorted(o["id"] for _, o in self.f.objects)
        for page in (7, 25, 50, 119):
            with self.subTest(page=page):
                self.data.cleanup()
                self.data = harness.DataDir()
                run_cli("partner", "add", "--data", self.data.path, "--name", "Other",
                        "--clearance", "amber", "--trust", "B")
                self.data.collection("In", "in")
                self.add_basic()
                # The first page whose last object is in the group commits position = the
                # group's date_added; the next request fails.
                self.f.object_requests = 0
                self.f.fail_at = 30 // page + 2
                p = self.pull("--page", page)
                self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
                mid = len(self.stored_ids())
                self.assertGreater(mid, 30)
                self.assertLess(mid, 150)
                pos = db(self.data, "SELECT position FROM checkpoint")[0][0]
                self.assertEqual(pos, ts(1700000100, 500000))  # inside the group
                p = self.pull("--page", page)
                self.assertEqual(p.returncode, 0, p.stderr)
                got = self.stored_ids()
                self.assertEqual(sorted(got), want)  # nothing skipped, nothing twice
                self.assertEqual(len(db(self.data, "SELECT obj FROM provenance")), len(want))
                self.assertIn("%d new" % (len(want) - mid), p.stdout)
                # Once more: nothing new, nothing twice; the checkpoint counts stored versions.
                p = self.pull("--page", page)
                self.assertIn(" 0 new", p.stdout)
                self.assertEqual(sorted(self.stored_ids()), want)
                self.assertEqual(db(self.data, "SELECT objects FROM checkpoint")[0][0], len(want))


    def test_next_token_never_replayed(self):
        """Tokens that are consumed when used (medallion): a page whose answer is lost after
        the server took it out of the token must come again (from the position), not be
        skipped by sending the token again."""
        self.fill()
        self.f.cursors = {}
        self.add_basic()
        want = sorted(o["id"] for _, o in self.f.objects)
        self.f.consume_then_fail_at = 4  # inside the group, with pages of 20
        p = run_cli("pull", "--data", self.data.path, "foreign", "--collection", "c1", "--into",
                    "in", "--page", "20", "--retries", "2", timeout=120)
        self.assertEqual(sorted(self.stored_ids()), want)
        self.assertEqual(len(db(self.data, "SELECT obj FROM provenance")), len(want))
        self.assertIn("exchange.chain_restart", p.stderr)


class BasicLoginTest(ForeignCase):
    def test_basic_login_and_no_password_anywhere(self):
        for _ in range(5):
            self.f.objects.append((ts(1700000000), sdo(object_marking_refs=[GREEN])))
        out = [self.add_basic().stdout]
        p = self.pull()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(self.stored_ids()), 5)
        self.assertEqual(self.f.seen_auth, {"Basic"})
        out += [p.stdout, p.stderr]
        show = run_cli("peer", "show", "--data", self.data.path, "foreign").stdout
        self.assertIn("HTTP Basic", show)
        self.assertIn("login:       alice (password stored, not shown)", show)
        lst = run_cli("peer", "list", "--data", self.data.path).stdout
        self.assertIn("basic", lst)
        out += [show, lst]
        # A wrong password: the 401 names the login asked for; the password is not in it.
        p = cli_in("wrong-" + PASSWORD + "\n", "peer", "add", "--data", self.data.path, "--name",
                   "bad", "--url", self.f.url(), "--partner", "Other", "--basic", USER)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.pull(peer="bad")
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertIn("HTTP 401", p.stderr)
        self.assertIn('WWW-Authenticate: Basic realm="foreign"', p.stderr)
        out += [p.stdout, p.stderr]
        # A bearer token where the server wants Basic: the message says what to do.
        run_cli("peer", "add", "--data", self.data.path, "--name", "tok", "--url", self.f.url(),
                "--partner", "Other", "--token", "some-token")
        p = self.pull(peer="tok")
        self.assertEqual(p.returncode, 4)
        self.assertIn("asks for Basic login", p.stderr)
        self.assertIn("--basic USER", p.stderr)
        # Credentials inside a URL are refused, and not echoed.
        url = "http://%s:%s@127.0.0.1:%d/taxii2/" % (USER, PASSWORD, self.f.port)
        p = run_cli("peer", "add", "--data", self.data.path, "--name", "inurl", "--url", url,
                    "--partner", "Other", "--token", "t", check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--basic USER", p.stderr)
        out += [p.stdout, p.stderr]
        p = cli_in("", "peer", "add", "--data", self.data.path, "--name", "nopw", "--url",
                   self.f.url(), "--partner", "Other", "--basic", USER)
        self.assertEqual(p.returncode, 2)
        self.assertIn("no password on stdin", p.stderr)
        # Sync under serve: its log must not hold the password either.
        srv = harness.Server(self.data, sets=["sync_interval=1"]).start()
        try:
            self.f.objects.append((ts(1800000000), sdo(object_marking_refs=[GREEN])))
            deadline = time.time() + 30
            while time.time() < deadline and len(self.stored_ids()) < 6:
                time.sleep(0.2)
            self.assertEqual(len(self.stored_ids()), 6)
        finally:
            srv.stop()
        out.append(srv.stderr_text)
        out.append(run_cli("audit", "show", "--data", self.data.path).stdout)
        audit = db(self.data, "SELECT actor, action, detail FROM audit")
        self.assertTrue(any(a == "peer.add" and '"auth":"basic"' in d for _, a, d in audit))
        out += ["%s %s %s" % r for r in audit]
        out += ["%s" % (r,) for r in db(self.data, "SELECT * FROM checkpoint")]
        out += ["%s" % (r,) for r in db(self.data, "SELECT * FROM peer_setting")]
        for text in out:
            self.assertNotIn(PASSWORD, text)


class PushCountsTest(ForeignCase):
    def test_push_of_held_objects_counts_zero_new(self):
        d = self.data
        run_cli("grant", "--data", d.path, "--collection", "in", "--partner", "Other", "--read")
        objs = [sdo(object_marking_refs=[GREEN]) for _ in range(6)]
        srv = harness.Server(d).start()
        try:
            self.assertEqual(srv.post_objects("in", objs)[0], 202)
        finally:
            srv.stop()
        self.add_basic()
        # The server holds 4 of the 6 already.
        for o in objs[:4]:
            self.f.objects.append((ts(1700000000), o))
        p = run_cli("push", "--data", d.path, "foreign", "--collection", "in", "--to", "c1")
        self.assertIn("2 new, 4 already held", p.stdout)
        self.assertEqual(len(self.f.objects), 6)

    def test_push_to_liaison_that_holds_them(self):
        src, dst = self.data, harness.DataDir()
        srv = dst_srv = None
        try:
            run_cli("grant", "--data", src.path, "--collection", "in", "--partner", "Other",
                    "--read")
            objs = [sdo(object_marking_refs=[GREEN]) for _ in range(5)]
            srv = harness.Server(src).start()
            self.assertEqual(srv.post_objects("in", objs)[0], 202)
            srv.stop()
            srv = None
            coll = dst.collection("Shared", "shared")
            run_cli("partner", "add", "--data", dst.path, "--name", "Src", "--clearance", "amber")
            run_cli("grant", "--data", dst.path, "--collection", "shared", "--partner", "Src",
                    "--read", "--write")
            tok = run_cli("token", "issue", "--data", dst.path, "--partner",
                          "Src").stdout.strip().splitlines()[-1]
            dst_srv = harness.Server(dst).start()
            run_cli("peer", "add", "--data", src.path, "--name", "dst", "--url",
                    "http://127.0.0.1:%d/taxii2/" % dst_srv.port, "--partner", "Other",
                    "--token", tok)
            p = run_cli("push", "--data", src.path, "dst", "--collection", "in", "--to", coll)
            self.assertIn("5 new, 0 already held", p.stdout, p.stderr)
            # The checkpoint lost (a restored backup): everything goes again, and the peer says
            # it held it all.
            src.sql("DELETE FROM checkpoint")
            p = run_cli("push", "--data", src.path, "dst", "--collection", "in", "--to", coll)
            self.assertIn("0 new, 5 already held", p.stdout, p.stderr)
        finally:
            for s in (srv, dst_srv):
                if s:
                    s.stop()
            dst.cleanup()


class OwnObjectsTest(ForeignCase):
    def test_pushed_objects_coming_back_are_ours(self):
        d = self.data
        out = d.collection("Out", "out")
        run_cli("grant", "--data", d.path, "--collection", "out", "--partner", "Other", "--read")
        mine = [sdo(object_marking_refs=[GREEN]) for _ in range(4)]
        srv = harness.Server(d).start()
        try:
            self.assertEqual(srv.post_objects(out, mine)[0], 202)
        finally:
            srv.stop()
        theirs = [sdo(object_marking_refs=[GREEN]) for _ in range(3)]
        for o in theirs:
            self.f.objects.append((ts(1700000000), o))
        self.add_basic()
        p = self.pull()
        self.assertIn("3 new", p.stdout)
        p = run_cli("push", "--data", d.path, "foreign", "--collection", "out", "--to", "c1")
        self.assertIn("4 new", p.stdout)
        p = self.pull()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("0 new", p.stdout)
        self.assertIn("4 our own", p.stdout)
        self.assertNotIn("refused", p.stderr.replace("0 refused", ""))
        in_rid = db(d, "SELECT rid FROM collection WHERE alias = 'in'")[0][0]
        held_in = {r[0] for r in db(d, "SELECT id FROM object WHERE coll = ? AND type = 'indicator'",
                                    (in_rid,))}
        self.assertEqual(held_in, {o["id"] for o in theirs})
        self.assertEqual(len(db(d, "SELECT obj FROM provenance")), 3)


class FailedFirstPullTest(ForeignCase):
    def test_no_empty_collection_left(self):
        run_cli("peer", "add", "--data", self.data.path, "--name", "tok", "--url", self.f.url(),
                "--partner", "Other", "--token", "not-what-it-wants")
        before = db(self.data, "SELECT count(*) FROM collection")[0][0]
        p = run_cli("pull", "--data", self.data.path, "tok", "--collection", "c1", "--retries", "0",
                    check=False)
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertEqual(db(self.data, "SELECT count(*) FROM collection")[0][0], before)
        self.add_basic()
        p = run_cli("pull", "--data", self.data.path, "foreign", "--collection", "nope",
                    "--retries", "0", check=False)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("no collection 'nope'", p.stderr)
        self.assertEqual(db(self.data, "SELECT count(*) FROM collection")[0][0], before)
        self.f.objects.append((ts(1700000000), sdo(object_marking_refs=[GREEN])))
        p = run_cli("pull", "--data", self.data.path, "foreign", "--collection", "c1")
        self.assertIn("1 new", p.stdout)
        self.assertEqual(db(self.data, "SELECT count(*) FROM collection")[0][0], before + 1)


class TimeoutTest(ForeignCase):
    def test_per_peer_timeout(self):
        self.f.objects.append((ts(1700000000), sdo(object_marking_refs=[GREEN])))
        self.f.slow = 2
        self.add_basic("quick", "--timeout", "1")
        p = self.pull(peer="quick")
        self.assertEqual(p.returncode, 1)
        self.assertIn("no complete answer within 1 s", p.stderr)
        self.assertIn("timeouts:    1 s request", run_cli("peer", "show", "--data", self.data.path,
                                                           "quick").stdout)
        self.add_basic("patient", "--timeout", "30")
        p = self.pull(peer="patient")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(self.stored_ids()), 1)
        p = run_cli("peer", "add", "--data", self.data.path, "--name", "x", "--url", self.f.url(),
                    "--partner", "Other", "--token", "t", "--timeout", "0", check=False)
        self.assertEqual(p.returncode, 2)


if __name__ == "__main__":
    harness.main()
