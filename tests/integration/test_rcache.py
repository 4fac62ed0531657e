"""The response cache (docs/architecture.md, "Response cache"): repeated TAXII
GETs are answered from a per-thread cache of recent answers, and that must
never change what anyone sees.

Every test warms the cache first and checks, through /metrics, that answers
were really replayed (on SQLite, and on PostgreSQL, whose nodes share a commit
generation through LISTEN/NOTIFY), then makes a change (through the API, or
through the CLI, another process) and checks that the very next request sees
it. A partner's reads of objects must never be replayed: each one goes
on record.
"""
import json
import re
import time

import harness
from harness import ROOT, TaxiiCase, run_cli, sdo

GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
STIX = "application/stix+json;version=2.1"
CACHING = True  # both backends: SQLite's shared file, PostgreSQL's LISTEN/NOTIFY


def hits(s):
    st, _, body = s.request("GET", "/metrics")
    assert st == 200, body
    m = re.search(rb"^liaison_response_cache_hits_total (\d+)$", body, re.M)
    assert m, body
    return int(m.group(1))


class ResponseCacheTest(TaxiiCase):
    def setUp(self):
        self.d = harness.DataDir()
        self.addCleanup(self.d.cleanup)
        self.cid = self.d.collection("Shared", "shared")
        self.s = harness.Server(self.d).start()
        self.addCleanup(lambda: self.s.stop())  # the server a test ends with

    def warm(self, path, token=None, status=200, n=24, **kw):
        """Asks n times (fresh connections spread over the worker threads); returns the last
        body and checks that replays happened where there is a cache."""
        before = hits(self.s)
        for _ in range(n):
            st, h, body = self.s.request("GET", path, token=token, **kw)
            self.assertEqual(st, status, body)
        after = hits(self.s)
        if CACHING:
            self.assertGreater(after - before, n // 2, "answers were not replayed")
        else:
            self.assertEqual(after, before)
        return h, body

    def test_objects_follow_writes_through_the_api(self):
        o = sdo(name="v1", object_marking_refs=[GREEN])
        self.assertEqual(self.s.post_objects("shared", [o])[0], 202)
        path = ROOT + "collections/shared/objects/%s/" % o["id"]
        listing = ROOT + "collections/shared/objects/"
        _, body = self.warm(path)
        self.assertEqual(json.loads(body)["objects"][0]["name"], "v1")
        self.warm(listing)
        v2 = dict(o, name="v2", modified="2024-02-01T00:00:00.000Z")
        self.assertEqual(self.s.post_objects("shared", [v2])[0], 202)
        st, h, j = self.s.get_json(path)
        self.assertEqual((st, j["objects"][0]["name"]), (200, "v2"))
        self.assertEqual(h.get("X-TAXII-Date-Added-First"), h.get("X-TAXII-Date-Added-Last"))
        st, _, j = self.s.get_json(listing)
        self.assertEqual([x["name"] for x in j["objects"]], ["v2"])
        self.warm(path)
        st, _, _ = self.s.request("DELETE", path)
        self.assertEqual(st, 200)
        self.assertTaxiiError(self.s.request("GET", path), 404)
        st, _, j = self.s.get_json(listing)
        self.assertEqual(j.get("objects", []), [])

    def test_cli_changes_hold_on_the_next_request(self):
        o = sdo(name="shared", object_marking_refs=[GREEN])
        self.assertEqual(self.s.post_objects("shared", [o])[0], 202)
        path = ROOT + "collections/shared/objects/%s/" % o["id"]
        tid, tok = self.d.token()
        self.warm(path, token=tok)
        run_cli("token", "revoke", "--data", self.d.path, tid)
        for _ in range(12):
            self.assertTaxiiError(self.s.request("GET", path, token=tok), 401)
        # A partner's collection resource discloses no object: it is cached for partners too.
        _, ptok = self.d.reader("shared")
        coll = ROOT + "collections/%s/" % self.cid
        self.warm(coll, token=ptok)
        self.warm(ROOT + "collections/", token=ptok)
        run_cli("revoke", "--data", self.d.path, "--collection", "shared", "--partner", "P")
        for _ in range(12):
            self.assertTaxiiError(self.s.request("GET", coll, token=ptok), 404)
            st, _, j = self.s.get_json(ROOT + "collections/", token=ptok)
            self.assertEqual((st, j.get("collections", [])), (200, []))
        run_cli("grant", "--data", self.d.path, "--collection", "shared", "--partner", "P",
                "--read")
        self.warm(coll, token=ptok)
        run_cli("partner", "disable", "--data", self.d.path, "P")
        for _ in range(12):
            self.assertTaxiiError(self.s.request("GET", coll, token=ptok), 401)
        # A collection added by the CLI shows in the admin's (warm) list at once.
        self.warm(ROOT + "collections/")
        new = self.d.collection("Added later", "later")
        st, _, j = self.s.get_json(ROOT + "collections/")
        self.assertIn(new, [c["id"] for c in j["collections"]])

    def test_partner_object_reads_are_never_replayed(self):
        _, ptok = self.d.reader("shared")
        o = sdo(name="seen", object_marking_refs=[GREEN])
        self.assertEqual(self.s.post_objects("shared", [o])[0], 202)
        path = ROOT + "collections/shared/objects/%s/" % o["id"]
        before = hits(self.s)
        for _ in range(20):
            st, _, j = self.s.get_json(path, token=ptok)
            self.assertEqual((st, j["objects"][0]["id"]), (200, o["id"]))
        self.assertEqual(hits(self.s), before)
        self.s.stop()
        out = run_cli("audit", "show", "--data", self.d.path, "--partner", "P").stdout
        entries = [e for e in map(json.loads, out.splitlines()) if e["action"] == "objects.disclose"]
        self.assertEqual(len(entries), 20)  # every one of them on record

    def test_partner_reads_leave_other_answers_cached(self):
        # A partner's read commits its disclosure record, which touches only the audit log: the
        # other answers kept stay valid and are replayed; a write after it still shows at once.
        # Kept for a minute, so that a slow machine cannot turn replays into expiries.
        self.s.stop()
        self.s = harness.Server(self.d, sets=["response_cache_ms=60000"]).start()
        _, ptok = self.d.reader("shared")
        o = sdo(name="v1", object_marking_refs=[GREEN])
        self.assertEqual(self.s.post_objects("shared", [o])[0], 202)
        path = ROOT + "collections/shared/objects/%s/" % o["id"]
        self.warm(path)
        before = hits(self.s)
        for _ in range(12):  # each answer to the administrator follows a partner's read
            st, _, j = self.s.get_json(path, token=ptok)
            self.assertEqual((st, j["objects"][0]["name"]), (200, "v1"))
            st, _, j = self.s.get_json(path)
            self.assertEqual((st, j["objects"][0]["name"]), (200, "v1"))
        if CACHING:
            self.assertGreater(hits(self.s) - before, 6, "a partner's read emptied the cache")
        else:
            self.assertEqual(hits(self.s), before)
        v2 = dict(o, name="v2", modified="2024-02-01T00:00:00.000Z")
        self.assertEqual(self.s.post_objects("shared", [v2])[0], 202)
        for _ in range(8):
            st, _, j = self.s.get_json(path)
            self.assertEqual((st, j["objects"][0]["name"]), (200, "v2"))

    def test_expired_token_is_refused_though_cached(self):
        # Answers may be replayed for a minute: only the token's expiry can stop them.
        self.s.stop()
        self.s = harness.Server(self.d, sets=["response_cache_ms=60000"]).start()
        o = sdo(name="brief", object_marking_refs=[GREEN])
        self.assertEqual(self.s.post_objects("shared", [o])[0], 202)
        path = ROOT + "collections/shared/objects/%s/" % o["id"]
        _, tok = self.d.token("--expires", "3s")
        issued = time.time()
        self.warm(path, token=tok, n=16)
        self.assertLess(time.time() - issued, 2.5, "the machine is too slow for this test")
        time.sleep(max(0.0, issued + 3.2 - time.time()))
        for _ in range(12):
            self.assertTaxiiError(self.s.request("GET", path, token=tok), 401)

    def test_key_holds_accept_and_credentials(self):
        o = sdo(name="media", object_marking_refs=[GREEN])
        self.assertEqual(self.s.post_objects("shared", [o])[0], 202)
        path = ROOT + "collections/shared/objects/%s/" % o["id"]
        self.warm(path)
        h, _ = self.warm(path, accept=STIX)
        self.assertEqual(harness.media_type(h), STIX)
        st, h, _ = self.s.request("GET", path)
        self.assertEqual(harness.media_type(h), harness.TAXII)
        # A forged token with the real token's id is refused, however warm the cache.
        forged = self.d.admin[:17] + ("A" if self.d.admin[17] != "A" else "B") + self.d.admin[18:]
        for _ in range(12):
            self.assertTaxiiError(self.s.request("GET", path, token=forged), 401)
        # Another query string is another answer.
        st, _, j = self.s.get_json(ROOT + "collections/shared/objects/?match[type]=malware")
        self.assertEqual((st, j.get("objects", [])), (200, []))

    def test_replays_are_logged_and_rate_limited(self):
        self.s.stop()
        s = harness.Server(self.d, sets=["rate_limit=5", "rate_burst=5"]).start()
        self.s = s
        o = sdo(name="limited", object_marking_refs=[GREEN])
        self.assertEqual(s.post_objects("shared", [o])[0], 202)
        path = ROOT + "collections/shared/objects/%s/" % o["id"]
        _, tok = self.d.token()
        before = hits(s)
        got = [s.request("GET", path, token=tok)[0] for _ in range(30)]
        self.assertIn(429, got)
        if CACHING:
            self.assertGreater(hits(s), before)
        self.assertGreaterEqual(got.count(200), 5)
        s.stop()
        lines = [json.loads(l) for l in s.stderr_text.splitlines() if '"event":"request"' in l]
        mine = [l for l in lines if l["path"] == path and l["actor"].startswith("local/" + tok[:16])]
        self.assertEqual(len(mine), 30)
        self.assertEqual(sorted(set(l["status"] for l in mine)), [200, 429])
        self.assertTrue(all(l["client"] == "127.0.0.1" for l in mine))

    def test_cache_can_be_turned_off(self):
        self.s.stop()
        self.s = harness.Server(self.d, sets=["response_cache_bytes=0"]).start()
        before = hits(self.s)
        for _ in range(10):
            self.assertEqual(self.s.request("GET", ROOT + "collections/")[0], 200)
        self.assertEqual(hits(self.s), before)


if __name__ == "__main__":
    harness.main()
