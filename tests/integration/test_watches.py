"""Watches: standing queries that fire once per new matching object version, to a signed
webhook and to the owner's server-sent-event stream (docs/watches.md).

One server with a fast engine (poll 100 ms, keep-alive 1 s, first retry after 200 ms) and a
webhook receiver in this process that checks every signature. The "Islamic State" threat
actor carries its Arabic and English aliases; watches written "الدولة الاسلامية" (no hamza)
and "داعش" must meet it. A watch of the partner Paris (clearance amber) must never fire for,
nor stream, what Paris may not see: TLP:RED objects and objects released to Rome only.
"""
import hashlib
import hmac
import http.client
import http.server
import json
import os
import socket
import threading
import time
import uuid

import harness
from harness import TaxiiCase, run_cli, sdo

TLP_GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
TLP_AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
TLP_RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
RELEASABILITY = "extension-definition--fe6c44b8-02ce-4c78-adda-645fef55531d"
ALIASES = ["ISIS", "ISIL", "داعش", "الدولة الإسلامية"]


class Receiver:
    """A webhook receiver: records (path, headers, body, signature ok) and answers 500 to the
    first fail_first[path] requests of a path."""

    def __init__(self):
        self.lock = threading.Lock()
        self.got = []
        self.fail_first = {}
        self.secrets = {}
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                secret = outer.secrets.get(self.path, "")
                want = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
                ok = hmac.compare_digest(want, self.headers.get("X-Liaison-Signature", ""))
                with outer.lock:
                    outer.got.append((self.path, dict(self.headers), body, ok))
                    left = outer.fail_first.get(self.path, 0)
                    if left:
                        outer.fail_first[self.path] = left - 1
                self.send_response(500 if left else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def bodies(self, path):
        with self.lock:
            return [(json.loads(b), ok, h) for p, h, b, ok in self.got if p == path]

    def wait(self, path, n, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if len(self.bodies(path)) >= n:
                return self.bodies(path)
            time.sleep(0.05)
        return self.bodies(path)

    def stop(self):
        self.httpd.shutdown()


class Stream:
    """A /liaison/events stream read with http.client."""

    def __init__(self, server, token, last_event_id=None, timeout=10):
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
        h = {"Authorization": "Bearer " + token, "Accept": "text/event-stream"}
        if last_event_id is not None:
            h["Last-Event-ID"] = str(last_event_id)
        self.conn.request("GET", "/liaison/events", headers=h)
        self.resp = self.conn.getresponse()

    def next(self, timeout):
        """The next event as (id, data dict), or ("comment", text); () at the end of the
        stream, None on timeout."""
        self.conn.sock.settimeout(timeout)
        ev = {}
        try:
            while True:
                line = self.resp.readline()
                if not line:
                    return ()
                line = line.decode().rstrip("\n")
                if line.startswith(":"):
                    return ("comment", line[1:].strip())
                if line == "":
                    if "data" in ev:
                        return (int(ev["id"]), json.loads(ev["data"]))
                    ev = {}
                    continue
                k, _, v = line.partition(":")
                ev[k] = v.lstrip(" ")
        except (socket.timeout, TimeoutError):
            return None

    def events_until(self, pred, timeout=15):
        """Reads events (skipping comments) until pred(data) is true; returns all read."""
        out = []
        deadline = time.time() + timeout
        while time.time() < deadline:
            e = self.next(max(0.1, deadline - time.time()))
            if not e:
                break
            if e[0] == "comment":
                continue
            out.append(e)
            if pred(e[1]):
                return out
        raise AssertionError("stream: no matching event within %ss; read %r" % (timeout, out))

    def close(self):
        self.conn.close()


def verify_signature(secret, body_bytes, header):
    return header == "sha256=" + hmac.new(secret.encode(), body_bytes, hashlib.sha256).hexdigest()


class WatchTest(TaxiiCase):
    @classmethod
    def setUpClass(cls):
        d = cls.d = harness.DataDir()
        run_cli("collection", "add", "--data", d.path, "--title", "Intel", "--alias", "intel")
        cls.paris = run_cli("partner", "add", "--data", d.path, "--name", "Paris",
                            "--clearance", "amber").stdout.strip()
        cls.rome = run_cli("partner", "add", "--data", d.path, "--name", "Rome",
                           "--clearance", "red").stdout.strip()
        for p in ("Paris", "Rome"):
            run_cli("grant", "--data", d.path, "--collection", "intel", "--partner", p, "--read")
        cls.tok = {p: run_cli("token", "issue", "--data", d.path, "--partner", p).stdout.split()[-1]
                   for p in ("Paris", "Rome")}
        cls.hooks = Receiver()
        # In the file, not --set: `watch add` reads the limit from there too.
        with open(os.path.join(d.path, "liaison.conf"), "a") as f:
            f.write("\nwatch_max_per_principal = 6\n")
        cls.s = harness.Server(d, sets=["watch_poll_ms=100", "watch_keepalive=1",
                                        "watch_webhook_retry_ms=200", "sse_max_streams=8"]).start()
        cls.rel_rome = {"type": "marking-definition", "spec_version": "2.1",
                        "id": "marking-definition--%s" % uuid.uuid4(),
                        "created": "2024-01-01T00:00:00.000Z", "name": "REL TO Rome",
                        "extensions": {RELEASABILITY: {"extension_type": "property-extension",
                                                       "rel_to": [cls.rome]}}}
        cls.post([cls.rel_rome])

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()
        cls.hooks.stop()
        cls.d.cleanup()

    @classmethod
    def post(cls, objs):
        st, _, j = cls.s.post_objects("intel", objs)
        assert st == 202 and j["failure_count"] == 0, (st, j)
        return j

    def add_watch(self, *args, hook=None):
        extra = ["--webhook", self.hooks.url(hook)] if hook else []
        out = run_cli("watch", "add", "--data", self.d.path, *args, *extra).stdout.split("\n")
        wid = out[0].strip()
        secret = out[1].split(": ", 1)[1].strip() if hook else None
        if hook:
            self.hooks.secrets[hook] = secret
        return wid, secret

    def watches(self, *args):
        return {w["id"]: w for w in json.loads(run_cli("watch", "list", "--data", self.d.path,
                                                       "--json", *args).stdout)}

    def api(self, method, path, body=None, partner="Paris"):
        st, hd, b = self.s.request(method, path, body=json.dumps(body) if body is not None else None,
                                   token=self.tok[partner] if partner else None,
                                   content_type="application/json" if body is not None else None)
        return st, (json.loads(b) if b else None)

    def wait_events(self, wid, n, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.watches()[wid]["events"]
            if got >= n:
                return got
            time.sleep(0.1)
        return self.watches()[wid]["events"]

    def test_aliases_fire_once_per_version_signed(self):
        w_ar, secret = self.add_watch("--name", "dawla", "--name-like", "الدولة الاسلامية",
                                      hook="/hook/dawla")
        w_daesh, _ = self.add_watch("--name", "daesh", "--name-like", "داعش", "--type", "threat-actor")
        self.assertTrue(w_ar.startswith("watch--"))
        self.assertNotIn(secret, run_cli("watch", "list", "--data", self.d.path).stdout)
        self.assertNotIn(secret, run_cli("watch", "list", "--data", self.d.path, "--json").stdout)
        actor = sdo("threat-actor", name="Islamic State", aliases=ALIASES,
                    object_marking_refs=[TLP_GREEN])
        self.post([actor])
        got = self.hooks.wait("/hook/dawla", 1)
        self.assertEqual(len(got), 1)
        body, ok, headers = got[0]
        self.assertTrue(ok, "the webhook signature must verify")
        self.assertEqual((body["id"], body["version"], body["type"], body["name"], body["watch"]),
                         (actor["id"], actor["modified"], "threat-actor", "Islamic State", w_ar))
        self.assertEqual(str(body["timestamp"]), headers["X-Liaison-Timestamp"])
        self.assertNotIn("aliases", body)  # a summary, never the object body
        # The same version again stores nothing, fires nothing.
        self.post([actor])
        v2 = dict(actor, modified="2024-06-01T00:00:00.000Z", description="new version")
        self.post([v2])
        got = self.hooks.wait("/hook/dawla", 2)
        time.sleep(1.0)
        got = self.hooks.bodies("/hook/dawla")
        self.assertEqual([b["version"] for b, _, _ in got], [actor["modified"], v2["modified"]])
        self.assertTrue(all(ok for _, ok, _ in got))
        self.assertEqual(self.wait_events(w_daesh, 2), 2)
        # A non-matching object fires neither watch.
        self.post([sdo("threat-actor", name="Unrelated Group", aliases=["UG"],
                       object_marking_refs=[TLP_GREEN])])
        time.sleep(1.0)
        self.assertEqual(len(self.hooks.bodies("/hook/dawla")), 2)
        self.assertEqual(self.watches()[w_daesh]["events"], 2)
        # Once per version across a restart too.
        self.s.restart()
        self.post([v2])
        time.sleep(1.0)
        self.assertEqual(len(self.hooks.bodies("/hook/dawla")), 2)
        self.assertEqual(self.watches()[w_daesh]["events"], 2)
        # The dry run finds the newest version, and fires nothing.
        p = run_cli("watch", "test", "--data", self.d.path, w_daesh, "--json")
        matches = json.loads(p.stdout)["matches"]
        self.assertEqual([(m["id"], m["version"]) for m in matches], [(actor["id"], v2["modified"])])
        self.assertIn("1 match", run_cli("watch", "test", "--data", self.d.path, w_daesh).stdout)
        time.sleep(0.5)
        self.assertEqual(self.watches()[w_daesh]["events"], 2)
        run_cli("watch", "remove", "--data", self.d.path, w_daesh)
        self.assertNotIn(w_daesh, self.watches())

    def test_partner_watch_sees_only_what_it_may(self):
        st, j = self.api("POST", "/liaison/watches",
                         {"name": "isis", "types": ["threat-actor"], "name_like": "isis"})
        self.assertEqual(st, 201, j)
        wid = j["id"]
        self.assertIsNone(j["secret"])
        stream = Stream(self.s, self.tok["Paris"])
        self.assertEqual(stream.resp.status, 200)
        self.assertTrue(stream.resp.getheader("Content-Type").startswith("text/event-stream"))
        red = sdo("threat-actor", name="ISIS red cell", object_marking_refs=[TLP_RED])
        rome_only = sdo("threat-actor", name="ISIS Rome file",
                        object_marking_refs=[TLP_GREEN, self.rel_rome["id"]])
        visible = sdo("threat-actor", name="ISIS visible", object_marking_refs=[TLP_GREEN])
        self.post([red, rome_only])
        self.post([visible])
        got = stream.events_until(lambda d: d["id"] == visible["id"])
        self.assertEqual([d["id"] for _, d in got], [visible["id"]])
        first_id = got[0][0]
        # Nothing else arrives: only keep-alive comments (watch_keepalive=1). A read that
        # times out spoils the socket for http.client, so wait for comments, not silence.
        comments = 0
        deadline = time.time() + 2.5
        while time.time() < deadline:
            e = stream.next(5)
            self.assertIsNotNone(e, "keep-alive comments on an idle stream")
            self.assertEqual(e[0], "comment", e)
            comments += 1
        self.assertGreaterEqual(comments, 2)
        visible2 = sdo("threat-actor", name="ISIS visible two", object_marking_refs=[TLP_AMBER])
        self.post([visible2])
        got = stream.events_until(lambda d: d["id"] == visible2["id"])
        self.assertEqual([d["id"] for _, d in got], [visible2["id"]])
        stream.close()
        # What the stream disclosed to Paris is on the audit record, and nothing else.
        out = run_cli("audit", "show", "--data", self.d.path, "--partner", "Paris").stdout
        disclosed = [json.loads(l)["detail"] for l in out.splitlines()
                     if '"objects.disclose"' in l and '"sse"' in l]
        ids = {o[0] for d in disclosed for o in d["objects"]}
        self.assertTrue({visible["id"], visible2["id"]} <= ids, disclosed)
        self.assertFalse({red["id"], rome_only["id"]} & ids)
        # Resume after the first event: the second comes at once, the first does not.
        again = Stream(self.s, self.tok["Paris"], last_event_id=first_id)
        got = again.events_until(lambda d: True, timeout=5)
        self.assertEqual([d["id"] for _, d in got], [visible2["id"]])
        again.close()
        # The watch's count and its dry run agree: never the red or Rome-only objects.
        st, j = self.api("GET", "/liaison/watches")
        mine = [w for w in j["watches"] if w["id"] == wid][0]
        self.assertEqual(mine["events"], 2)
        st, j = self.api("POST", "/liaison/watches/%s/test" % wid, {})
        self.assertEqual(st, 200, j)
        ids = {m["id"] for m in j["matches"]}
        self.assertIn(visible["id"], ids)
        self.assertNotIn(red["id"], ids)
        self.assertNotIn(rome_only["id"], ids)
        # Rome's own watch does fire for the Rome-only object.
        st, j = self.api("POST", "/liaison/watches/%s/test" % wid, {}, partner="Rome")
        self.assertEqual(st, 404)
        # Paris sees only its own watches, and cannot remove this instance's.
        local, _ = self.add_watch("--name", "local-only", "--type", "report")
        st, j = self.api("GET", "/liaison/watches")
        self.assertEqual([w["id"] for w in j["watches"]], [wid])
        self.assertEqual(self.api("DELETE", "/liaison/watches/" + local)[0], 404)
        self.assertEqual(self.api("DELETE", "/liaison/watches/" + wid)[0], 200)
        # A parked stream does not keep the server from stopping: it is ended.
        parked = Stream(self.s, self.tok["Paris"])
        self.assertEqual(parked.next(5), ("comment", "liaison watch events"))
        self.s.restart()
        while True:
            e = parked.next(5)
            self.assertNotEqual(e, None, "the stream must end when the server stops")
            if e == () or e[0] != "comment":
                break
        parked.close()

    def test_fired_events_page(self):
        st, j = self.api("POST", "/liaison/watches",
                         {"name": "sahel page", "types": ["intrusion-set"], "name_like": "sahel"})
        self.assertEqual(st, 201, j)
        wid = j["id"]
        a = sdo("intrusion-set", name="Sahel network A", object_marking_refs=[TLP_GREEN])
        b = sdo("intrusion-set", name="Sahel network B", object_marking_refs=[TLP_GREEN])
        hidden = sdo("intrusion-set", name="Sahel network red", object_marking_refs=[TLP_RED])
        self.post([a])
        self.post([hidden, b])
        deadline = time.time() + 10
        while time.time() < deadline:
            st, j = self.api("GET", "/liaison/watches/%s/events" % wid)
            if st == 200 and len(j["events"]) >= 2:
                break
            time.sleep(0.1)
        self.assertEqual(st, 200, j)
        self.assertEqual(j["watch"], {"id": wid, "name": "sahel page"})
        self.assertEqual([(e["id"], e["name"]) for e in j["events"]],
                         [(b["id"], "Sahel network B"), (a["id"], "Sahel network A")])
        self.assertTrue(all(e["fired"].endswith("Z") and e["seq"] > 0 for e in j["events"]))
        self.assertNotIn("before", j)
        # A page at a time, newest first.
        st, j1 = self.api("GET", "/liaison/watches/%s/events?limit=1" % wid)
        self.assertEqual([e["id"] for e in j1["events"]], [b["id"]])
        st, j2 = self.api("GET", "/liaison/watches/%s/events?limit=1&before=%d" % (wid, j1["before"]))
        self.assertEqual([e["id"] for e in j2["events"]], [a["id"]])
        # What the page showed Paris is on its disclosure record; the red object never is.
        out = run_cli("audit", "show", "--data", self.d.path, "--partner", "Paris").stdout
        shown = {o[0] for l in out.splitlines() if '"watch-events"' in l
                 for o in json.loads(l)["detail"]["objects"]}
        self.assertTrue({a["id"], b["id"]} <= shown, out[-800:])
        self.assertNotIn(hidden["id"], shown)
        # Another owner's watch is not found; bad parameters are refused.
        self.assertEqual(self.api("GET", "/liaison/watches/%s/events" % wid, partner="Rome")[0], 404)
        for q in ("before=x", "limit=0", "after=1"):
            self.assertEqual(self.api("GET", "/liaison/watches/%s/events?%s" % (wid, q))[0], 400, q)
        self.assertEqual(self.api("POST", "/liaison/watches/%s/events" % wid, {})[0], 405)
        self.assertEqual(self.api("DELETE", "/liaison/watches/" + wid)[0], 200)

    def test_webhook_retried_after_500(self):
        self.hooks.fail_first["/hook/flaky"] = 1
        wid, secret = self.add_watch("--name", "flaky", "--name-like", "retry marker",
                                     hook="/hook/flaky")
        obj = sdo("malware", name="Retry Marker loader", object_marking_refs=[TLP_GREEN])
        self.post([obj])
        got = self.hooks.wait("/hook/flaky", 2)
        self.assertEqual(len(got), 2, got)
        self.assertEqual(got[0][0]["event"], got[1][0]["event"])
        self.assertTrue(all(ok for _, ok, _ in got))
        time.sleep(0.8)
        self.assertEqual(len(self.hooks.bodies("/hook/flaky")), 2)
        w = self.watches()[wid]
        self.assertEqual((w["events"], w["failed_deliveries"]), (1, 0))

    def test_location_and_marking_filters(self):
        wid, _ = self.add_watch("--name", "algeria", "--type", "location", "--location", "dz",
                                "--location", "Northern Africa", "--marking-at-most", "green")
        self.post([sdo("location", country="DZ", name="Algeria (amber)", object_marking_refs=[TLP_AMBER]),
                   sdo("location", country="MA", name="Morocco", object_marking_refs=[TLP_GREEN])])
        self.post([sdo("location", region="northern-africa", name="Maghreb",
                       object_marking_refs=[TLP_GREEN]),
                   sdo("location", country="DZ", name="Algeria", object_marking_refs=[TLP_GREEN])])
        self.assertEqual(self.wait_events(wid, 2), 2)
        time.sleep(0.5)
        self.assertEqual(self.watches()[wid]["events"], 2)

    def test_bad_input(self):
        d = self.d.path
        for args, text in ((["--type", "threat-actress"], "unknown object type"),
                           (["--marking-at-most", "purple"], "unknown marking"),
                           (["--webhook", "ftp://127.0.0.1/x"], "only http"),
                           (["--webhook", "file:///etc/passwd"], "only http"),
                           (["--location", "Atlantis"], "unknown location"),
                           (["--name-like", "  ...  "], "name-like")):
            p = run_cli("watch", "add", "--data", d, "--name", "bad", *args, check=False)
            self.assertEqual(p.returncode, 2, (args, p.stderr))
            self.assertIn(text, p.stderr)
        self.assertEqual(run_cli("watch", "add", "--data", d, check=False).returncode, 2)
        self.assertEqual(run_cli("watch", "test", "--data", d, "watch--%s" % uuid.uuid4(),
                                 check=False).returncode, 3)
        st, j = self.api("POST", "/liaison/watches", {"name": "x", "types": ["bogus"]}, partner="Rome")
        self.assertEqual(st, 422, j)
        st, j = self.api("POST", "/liaison/watches", {"name": "x", "webhook": "gopher://h/"},
                         partner="Rome")
        self.assertEqual(st, 422, j)
        st, j = self.api("POST", "/liaison/watches", {"types": "threat-actor"}, partner="Rome")
        self.assertEqual(st, 422, j)
        # Too many watches for one principal (watch_max_per_principal=6).
        for i in range(6):
            run_cli("watch", "add", "--data", d, "--partner", "Rome", "--name", "r%d" % i)
        p = run_cli("watch", "add", "--data", d, "--partner", "Rome", "--name", "r6", check=False)
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertIn("watch_max_per_principal", p.stderr)
        st, j = self.api("POST", "/liaison/watches", {"name": "r7"}, partner="Rome")
        self.assertEqual(st, 422, j)
        p = run_cli("watch", "add", "--data", d, "--partner", "Rome", "--name", "r0", check=False)
        self.assertNotEqual(p.returncode, 0)
        # The event stream wants Accept: text/event-stream.
        st, _, _ = self.s.request("GET", "/liaison/events", token=self.tok["Rome"],
                                  accept="application/json")
        self.assertEqual(st, 406)


    def dry_run(self, wid):
        p = run_cli("watch", "test", "--data", self.d.path, wid, "--json")
        return {m["id"] for m in json.loads(p.stdout)["matches"]}

    def test_repeats_widen_text_like_reads_descriptions_and_dead_filters_refused(self):
        """27.9: a repeated --name-like means any of them; --text-like also reads descriptions;
        a watch that could never fire is refused with the reason."""
        mark = uuid.uuid4().hex[:8]
        a = sdo("intrusion-set", name="Katibat %s Nord" % mark, object_marking_refs=[TLP_GREEN])
        b = sdo("intrusion-set", name="Harakat %s Sud" % mark, object_marking_refs=[TLP_GREEN])
        c = sdo("intrusion-set", name="Unnamed cell %s" % mark,
                description="recruits for Katibat %s Nord in the south" % mark,
                object_marking_refs=[TLP_GREEN])
        self.post([a, b, c])
        both, _ = self.add_watch("--name", "either " + mark, "--name-like", "katibat " + mark,
                                 "--name-like", "harakat " + mark)
        self.assertEqual(self.dry_run(both), {a["id"], b["id"]})  # was: only the last, b
        text, _ = self.add_watch("--name", "text " + mark, "--text-like", "katibat " + mark + " nord")
        self.assertEqual(self.dry_run(text), {a["id"], c["id"]})
        named, _ = self.add_watch("--name", "named " + mark, "--name-like", "katibat " + mark + " nord")
        self.assertEqual(self.dry_run(named), {a["id"]})  # names only, never descriptions
        listed = self.watches()[both]
        self.assertIn("harakat", json.dumps(listed).lower())
        for wid in (both, text, named):
            run_cli("watch", "remove", "--data", self.d.path, wid)
        # The API takes one text or a list.
        st, j = self.api("POST", "/liaison/watches",
                         {"name": "api " + mark, "name_like": ["katibat " + mark, "harakat " + mark],
                          "text_like": "sud"})
        self.assertEqual(st, 201, j)
        run_cli("watch", "remove", "--data", self.d.path, j["id"])
        # A country on intrusion-sets can never match: refused, with the reason.
        p = run_cli("watch", "add", "--data", self.d.path, "--name", "never", "--type",
                    "intrusion-set", "--location", "DZ", check=False)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("could never fire", p.stderr)
        self.assertIn("country or region", p.stderr)
        p = run_cli("watch", "add", "--data", self.d.path, "--name", "never", "--type", "ipv4-addr",
                    "--name-like", "x" + mark, check=False)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("no name", p.stderr)
        st, j = self.api("POST", "/liaison/watches", {"name": "never", "types": ["intrusion-set"],
                                                      "locations": ["DZ"]}, partner="Paris")
        self.assertEqual(st, 422, j)
        self.assertIn("could never fire", j["description"])
        # With a location type among them, it can.
        ok, _ = self.add_watch("--name", "can " + mark, "--type", "intrusion-set", "--type",
                               "location", "--location", "DZ")
        run_cli("watch", "remove", "--data", self.d.path, ok)


if __name__ == "__main__":
    harness.main()
