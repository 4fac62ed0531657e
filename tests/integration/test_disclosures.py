"""Every route that sends anything to a partner puts it on record in one format, and
`audit show --partner P` lists it (issue 27 item 3; issue 17 item 4; docs/markings.md).

One instance, Algiers, shares a collection with its partner US and discloses to it on every
route there is: TAXII reads (objects, one object, manifest, versions), pages made ahead of
their request, search, a pull served to US's own instance (Washington), a push to it, a signed
export for it, a watch's webhook and its event stream, a watch's dry run, RFI views and the
answer to an intake publish. For each route the partner's `audit show` must list a disclosure
entry naming exactly the versions sent, in the one format (store keys, digest, recipient).

Then the tamper test: for every action type in both instances' logs (changes, disclosures of
every route, withdrawals, pulls, imports...), one entry is edited behind the server's back and
`audit verify` must name that entry; restored, the log verifies again.
"""
import http.server
import json
import os
import threading
import time
import urllib.parse
import uuid

import harness
from harness import ROOT, SHARED, TaxiiCase, run_cli, sdo

GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
SAMPLE = os.path.join(SHARED, "samples", "article-ar-algeria-us-rfi.txt")
DISCLOSURES = ("objects.disclose", "objects.push", "objects.export")


def green(type_="indicator", **kw):
    kw.setdefault("object_marking_refs", [GREEN])
    if type_ == "indicator":
        kw.setdefault("pattern", "[ipv4-addr:value = '198.51.100.%d']" % (uuid.uuid4().int % 250))
        kw.setdefault("pattern_type", "stix")
        kw.setdefault("valid_from", "2024-01-01T00:00:00Z")
    return sdo(type_, **kw)


class Hooks:
    """A webhook receiver: the bodies it was sent."""

    def __init__(self):
        self.got = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.got.append(json.loads(body))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = "http://127.0.0.1:%d/hook" % self.httpd.server_address[1]

    def wait(self, pred, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if any(pred(b) for b in list(self.got)):
                return True
            time.sleep(0.05)
        return False


class DisclosureRoutesTest(TaxiiCase):
    done = {}

    @classmethod
    def setUpClass(cls):
        a = cls.a = harness.DataDir()
        cls.cells = a.collection("Dismantled cells", "cells")
        cls.us = run_cli("partner", "add", "--data", a.path, "--name", "US", "--clearance",
                         "amber").stdout.strip()
        run_cli("grant", "--data", a.path, "--collection", "cells", "--partner", "US", "--read",
                "--write")
        cls.tok = run_cli("token", "issue", "--data", a.path, "--partner", "US").stdout.split()[-1]
        cls.hooks = Hooks()
        cls.s = harness.Server(a, sets=["watch_poll_ms=100", "watch_keepalive=1"]).start()
        # Washington: US's own instance, which pulls from Algiers and is pushed to.
        w = cls.w = harness.DataDir()
        run_cli("partner", "add", "--data", w.path, "--name", "Algiers", "--clearance", "amber")
        cls.w_in = w.collection("From Algiers", "from-algiers")
        cls.w_pushed = w.collection("Pushed by Algiers", "pushed")
        run_cli("grant", "--data", w.path, "--collection", "pushed", "--partner", "Algiers",
                "--read", "--write")
        cls.w_tok = run_cli("token", "issue", "--data", w.path, "--partner",
                            "Algiers").stdout.split()[-1]
        cls.ws = harness.Server(w).start()
        cls.objs = [green(name="cell %d" % i) for i in range(5)]
        cls.post(cls.objs + [sdo("indicator", name="red only", pattern="[ipv4-addr:value = '10.0.0.1']",
                                 pattern_type="stix", valid_from="2024-01-01T00:00:00Z",
                                 object_marking_refs=[RED])])

    @classmethod
    def tearDownClass(cls):
        cls.hooks.httpd.shutdown()
        cls.s.stop()
        cls.ws.stop()
        cls.a.cleanup()
        cls.w.cleanup()

    @classmethod
    def post(cls, objs):
        st, _, j = cls.s.post_objects("cells", objs)
        assert st == 202 and j["failure_count"] == 0, (st, j)

    def get(self, path, token=None):
        st, _, j = self.s.get_json(path, token=token or self.tok)
        self.assertEqual(st, 200, (path, j))
        return j

    def api(self, method, path, body=None):
        st, _, b = self.s.request(method, path, body=json.dumps(body) if body is not None else None,
                                  token=self.tok,
                                  content_type="application/json" if body is not None else None)
        self.assertLess(st, 300, (path, b[:300]))
        return json.loads(b) if b else None

    def entries(self, data=None, partner="US"):
        args = ["audit", "show", "--data", (data or self.a).path]
        if partner:
            args += ["--partner", partner]
        return [json.loads(l) for l in run_cli(*args).stdout.splitlines() if l.strip()]

    def listed(self, endpoint, action="objects.disclose", **notes):
        """{(id, version)} the partner's `audit show` lists as disclosed through endpoint (a
        prefix), by action, with notes (detail members) equal; each entry in the one format."""
        got = set()
        for e in self.entries():
            d = e["detail"]
            if e["action"] != action or not d.get("endpoint", "").startswith(endpoint):
                continue
            if any(d.get(k) != v for k, v in notes.items()):
                continue
            for key in ("collection", "endpoint", "count", "keys", "digest"):
                self.assertIn(key, d, e)
            self.assertEqual(d["partner"], self.us, e)
            self.assertEqual(len(d["objects"]), d["count"], e)
            got |= {tuple(o) for o in d["objects"]}
        return got

    def assertListed(self, versions, endpoint, **kw):
        want = {(o["id"], o["modified"]) if isinstance(o, dict) else o for o in versions}
        got = self.listed(endpoint, **kw)
        self.assertTrue(want, "the route sent nothing to check")
        self.assertTrue(want <= got, (endpoint, want - got))
        return got

    # -- the routes; each runs once per class (the tamper test runs them all) ---------------

    def route(self, name):
        if name not in self.done:
            self.done[name] = getattr(self, "do_" + name)()
        return self.done[name]

    def do_taxii(self):
        o = self.objs[0]
        base = ROOT + "collections/cells/"
        got = {"objects": self.get(base + "objects/?limit=100")["objects"],
               "object": self.get(base + "objects/%s/" % o["id"])["objects"],
               "manifest": self.get(base + "manifest/")["objects"],
               "versions": [{"id": o["id"], "modified": v}
                            for v in self.get(base + "objects/%s/versions/" % o["id"])["versions"]]}
        self.assertNotIn("red only", [x.get("name") for x in got["objects"]])
        return got

    def do_readahead(self):
        """A walk two objects a page: every page after the first is made ahead."""
        before = self.metric("liaison_readahead_sent_total")
        sent, nxt = [], None
        while True:
            q = {"limit": "2", "match[type]": "indicator"}
            if nxt:
                q["next"] = nxt
            made = self.metric("liaison_readahead_made_total")
            j = self.get(ROOT + "collections/cells/objects/?" + urllib.parse.urlencode(q))
            sent += j["objects"]
            if not j["more"]:
                break
            nxt = j["next"]
            # The next page is asked for once it is made ahead (on a loaded machine the
            # client could otherwise outrun the read-ahead thread and make it itself).
            deadline = time.time() + 15
            while time.time() < deadline and self.metric("liaison_readahead_made_total") == made:
                time.sleep(0.05)
        self.assertGreater(self.metric("liaison_readahead_sent_total"), before)
        return sent

    def do_search(self):
        j = self.get("/liaison/search?q=" + urllib.parse.quote("cell 3"))
        return [r["object"] for r in j["results"]]

    def do_pull(self):
        tok = run_cli("token", "issue", "--data", self.a.path, "--partner", "US").stdout.split()[-1]
        run_cli("peer", "add", "--data", self.w.path, "--name", "algiers", "--url",
                "http://127.0.0.1:%d/taxii2/" % self.s.port, "--partner", "Algiers", "--token", tok)
        run_cli("pull", "--data", self.w.path, "algiers", "--collection", self.cells, "--into",
                self.w_in)
        return tok.split(".")[0], self.ws.objects_all(self.w_in)

    def do_push(self):
        run_cli("peer", "add", "--data", self.a.path, "--name", "washington", "--url",
                "http://127.0.0.1:%d/taxii2/" % self.ws.port, "--partner", "US", "--token",
                self.w_tok)
        run_cli("push", "--data", self.a.path, "washington", "--collection", "cells", "--to",
                self.w_pushed)
        return self.ws.objects_all(self.w_pushed)

    def do_export(self):
        out = os.path.join(self.a.tmp, "for-us.bundle")
        run_cli("export", "--data", self.a.path, "--for", "US", "--collection", "cells", "--out", out)
        with open(out, "rb") as f:
            text = f.read()
        bundle = json.loads(text[text.index(b"\n") + 1:text.rindex(b"\ned25519 ")])
        # Washington imports it: an "objects.import" entry there.
        key = run_cli("key", "show", "--data", self.a.path).stdout.strip()
        run_cli("partner", "key", "--data", self.w.path, "--partner", "Algiers", "--set", key)
        run_cli("import", "--data", self.w.path, "--into", "from-algiers", out)
        return bundle["objects"]

    def do_watch(self):
        j = self.api("POST", "/liaison/watches", {"name": "indicators", "types": ["indicator"],
                                                   "webhook": self.hooks.url})
        return j["id"]

    def do_webhook(self):
        wid = self.route("watch")
        o = green(name="webhook event")
        self.post([o])
        self.assertTrue(self.hooks.wait(lambda b: b["id"] == o["id"]), self.hooks.got)
        return wid, o

    def do_events(self):
        wid = self.route("watch")
        conn = self.s.connection(timeout=20)
        conn.request("GET", "/liaison/events", headers={"Authorization": "Bearer " + self.tok,
                                                        "Accept": "text/event-stream"})
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        o = green(name="stream event")
        self.post([o])
        try:
            deadline = time.time() + 20
            while time.time() < deadline:
                line = resp.readline().decode()
                if line.startswith("data:") and json.loads(line[5:])["id"] == o["id"]:
                    return wid, o
            self.fail("the event never came on the stream")
        finally:
            conn.close()

    def do_watch_test(self):
        wid = self.route("watch")
        j = self.api("POST", "/liaison/watches/%s/test" % wid)
        return [{"id": m["id"], "modified": m["version"]} for m in j["matches"]]

    def do_rfi(self):
        st, _, me = self.s.get_json("/liaison/whoami")
        rid = self.api("POST", "/liaison/rfi", {"to": me["identity"], "subject": "cells",
                                                 "about": [self.objs[1]["id"]],
                                                 "collection": "cells"})["id"]
        run_cli("rfi", "answer", "--data", self.a.path, rid, "--text", "see this",
                "--ref", self.objs[2]["id"])
        listed = self.api("GET", "/liaison/rfi")["rfis"]
        shown = self.api("GET", "/liaison/rfi/" + rid)
        return rid, listed, shown

    def do_intake(self):
        with open(SAMPLE, "rb") as fh:
            text = fh.read()
        st, _, b = self.s.request("POST", "/liaison/intake", body=text,
                                  content_type="text/plain; charset=utf-8")
        bundle = json.loads(b)["bundle"]
        body = {"collection": "cells", "marking": "green", "bundle": bundle}
        first = self.s.request("POST", "/liaison/intake/publish", body=json.dumps(body),
                               content_type="application/json")  # by the administrator
        self.assertEqual(first[0], 200, first[2][:300])
        again = self.api("POST", "/liaison/intake/publish", body)  # by US: entities reused
        return [o["id"] for o in again["objects"] if o["result"] == "reused"]

    def do_withdrawn(self):
        """A page made ahead and never asked for: withdrawn on record."""
        if harness.USE_PG:
            return None
        before = self.metric("liaison_readahead_discarded_total")
        self.get(ROOT + "collections/cells/manifest/?limit=1")
        deadline = time.time() + 15
        while time.time() < deadline and self.metric("liaison_readahead_discarded_total") == before:
            time.sleep(0.1)
        return True

    def do_delete(self):
        o = green(name="to delete")
        self.post([o])
        st, _, _ = self.s.request("DELETE", ROOT + "collections/cells/objects/%s/" % o["id"])
        self.assertEqual(st, 200)
        return o

    def metric(self, name):
        st, _, b = self.s.request("GET", "/metrics")
        for line in b.decode().splitlines():
            if line.startswith(name + " "):
                return int(float(line.split()[1]))
        raise AssertionError("no metric " + name)

    # -- one test per route --------------------------------------------------------------

    def test_taxii_reads(self):
        got = self.route("taxii")
        self.assertListed(got["objects"], "objects")
        self.assertListed(got["object"], "object:")
        self.assertListed([(m["id"], m["version"]) for m in got["manifest"]], "manifest")
        self.assertListed(got["versions"], "versions:")

    def test_readahead(self):
        if harness.USE_PG:
            self.skipTest("no read-ahead on PostgreSQL")
        self.assertListed(self.route("readahead"), "objects")

    def test_search(self):
        found = self.route("search")
        self.assertEqual([o["name"] for o in found], ["cell 3"])
        self.assertListed(found, "search")

    def test_pull_served(self):
        token_id, pulled = self.route("pull")
        self.assertEqual({o["id"] for o in pulled} & {o["id"] for o in self.objs},
                         {o["id"] for o in self.objs})
        want = {(o["id"], o["modified"]) for o in pulled}
        got = set()
        for e in self.entries():
            if e["action"] == "objects.disclose" and e["actor"] == "partner:US/" + token_id:
                got |= {tuple(o) for o in e["detail"]["objects"]}
        # Every version pulled (the latest of each listed here) is on record, nothing else.
        self.assertTrue(want <= got, want - got)
        self.assertEqual({v[0] for v in got}, {v[0] for v in want})

    def test_push(self):
        pushed = self.route("push")
        self.assertListed(pushed, "push", action="objects.push", peer="washington")

    def test_export(self):
        exported = self.route("export")
        got = self.assertListed(exported, "export", action="objects.export")
        self.assertNotIn("red only", {o.get("name") for o in exported})
        self.assertEqual(len(got), len(exported))

    def test_webhook(self):
        wid, o = self.route("webhook")
        self.assertListed([o], "watch", watch=wid, channel="webhook")

    def test_event_stream(self):
        wid, o = self.route("events")
        self.assertListed([o], "watch", watch=wid, channel="sse")

    def test_watch_dry_run(self):
        matches = self.route("watch_test")
        self.assertListed(matches, "watch-test")

    def test_rfi_views(self):
        rid, listed, shown = self.route("rfi")
        self.assertIn(rid, [r["id"] for r in listed])
        names = {v[0] for v in self.listed("rfi")}
        self.assertIn(rid, names)  # the request
        self.assertIn(self.objs[1]["id"], names)  # what it is about
        self.assertIn(self.objs[2]["id"], names)  # what the answer refers to
        self.assertTrue(any(n.startswith("liaison-rfi-response--") for n in names), names)

    def test_intake_answer(self):
        reused = self.route("intake")
        self.assertTrue(reused)
        self.assertEqual({v[0] for v in self.listed("intake")}, set(reused))

    # -- tampering ---------------------------------------------------------------------------

    def tamper_each(self, data, required):
        """Edits one entry of every action type of data's log (and one disclosure entry of
        every endpoint); audit verify must name it, and verify again once it is restored."""
        entries = self.entries(data, partner=None)
        pick = {}
        for e in entries:
            kind = e["action"]
            if kind in DISCLOSURES:
                kind += ":" + e["detail"].get("endpoint", "?").split(":")[0]
            pick.setdefault(kind, e["seq"])
        actions = {k.split(":")[0] for k in pick}
        self.assertTrue(required <= actions, required - actions)
        for kind, seq in sorted(pick.items()):
            data.sql("UPDATE audit SET detail = detail || ' ' WHERE seq = %d" % seq)
            p = run_cli("audit", "verify", "--data", data.path, check=False)
            self.assertEqual(p.returncode, 4, (kind, p.stdout, p.stderr))
            self.assertIn("entry %d was edited" % seq, p.stderr, kind)
            data.sql("UPDATE audit SET detail = substr(detail, 1, length(detail) - 1)"
                     " WHERE seq = %d" % seq)
        p = run_cli("audit", "verify", "--data", data.path, check=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        return pick

    def test_zz_every_action_type_tampered(self):
        for name in ("taxii", "readahead", "search", "pull", "push", "export", "webhook", "events",
                     "watch_test", "rfi", "intake", "withdrawn", "delete"):
            if name == "readahead" and harness.USE_PG:
                continue
            self.route(name)
        run_cli("token", "revoke", "--data", self.a.path,
                run_cli("token", "issue", "--data", self.a.path, "--admin").stdout.split()[-1]
                .split(".")[0])
        required = {"instance.init", "collection.add", "partner.add", "grant.set", "token.issue",
                    "token.revoke", "peer.add", "objects.add", "object.delete", "intake.publish",
                    "rfi.new", "rfi.answer", "objects.disclose", "objects.push", "objects.export"}
        if not harness.USE_PG:
            required.add("objects.withdraw")
        pick = self.tamper_each(self.a, required)
        for endpoint in ("objects.disclose:objects", "objects.disclose:object",
                         "objects.disclose:manifest", "objects.disclose:versions",
                         "objects.disclose:search", "objects.disclose:watch",
                         "objects.disclose:watch-test", "objects.disclose:rfi",
                         "objects.disclose:intake", "objects.push:push",
                         "objects.export:export"):
            self.assertIn(endpoint, pick)
        self.tamper_each(self.w, {"instance.init", "partner.add", "partner.key", "objects.pull",
                                  "objects.import", "objects.add"})


if __name__ == "__main__":
    harness.main()
