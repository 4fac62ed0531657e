"""Read-ahead (docs/architecture.md, "Read-ahead"): while a client reads a page
of a paged listing, the server makes the next one, through the same gate, and
sends it when it is asked for, if nothing changed in between.

What must hold: read-ahead never changes an answer; a page made for a partner
is on record before it can be sent, and a page made but never sent is taken
back on record ("objects.withdraw"), so that the disclosures on record, less
the withdrawn ones, are exactly the pages the partner received; a change
between two pages (a grant revoked) is obeyed by the next page; one
principal's page made ahead is never sent to another. Every test checks,
through /metrics, that pages were really made ahead and sent (or not).
The same on PostgreSQL, whose nodes share a commit generation (LISTEN/NOTIFY).
"""
import json
import re
import threading
import time
import urllib.parse

import harness
from harness import ROOT, TaxiiCase, run_cli, sdo

TLP = {"green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
       "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
       "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"}
RELEASABILITY = "extension-definition--fe6c44b8-02ce-4c78-adda-645fef55531d"
# Kept for a minute unless a test says otherwise: a slow (sanitized) run must not see pages
# go stale between two requests of a walk.
KEEP = "response_cache_ms=60000"


def metric(s, name):
    st, _, body = s.request("GET", "/metrics")
    assert st == 200, body
    m = re.search(rb"^" + name.encode() + rb" (\d+)$", body, re.M)
    assert m, (name, body[:300])
    return int(m.group(1))


def wait_metric(s, name, at_least, timeout=30, every=0.05):
    end = time.time() + timeout
    while time.time() < end:
        v = metric(s, name)
        if v >= at_least:
            return v
        time.sleep(every)
    raise AssertionError("%s stayed below %d" % (name, at_least))


def page(s, tok, params, path="objects/"):
    st, _, j = s.get_json(ROOT + "collections/shared/" + path + "?" + urllib.parse.urlencode(params),
                          token=tok)
    return st, j


def walk(s, tok, limit, path="objects/", key="objects", first_next=False):
    """Every page, following next; returns (items, pages)."""
    items, pages, nxt = [], 0, None
    while True:
        params = [("limit", str(limit))]
        if nxt:
            params = [("next", nxt)] + params if first_next else params + [("next", nxt)]
        st, j = page(s, tok, params, path)
        assert st == 200, j
        pages += 1
        items += j.get(key, [])
        if not j["more"]:
            return items, pages
        nxt = j["next"]


def audit(d, partner="P"):
    out = run_cli("audit", "show", "--data", d.path, "--partner", partner).stdout
    return [e for e in map(json.loads, out.splitlines())
            if e["action"] in ("objects.disclose", "objects.withdraw")]


def net_disclosed(entries):
    """The disclosure entries not withdrawn, each a list of [id, version]."""
    withdrawn = [(e["detail"]["disclosure"]["keys"], e["detail"]["disclosure"]["digest"])
                 for e in entries if e["action"] == "objects.withdraw"]
    out = []
    for e in entries:
        if e["action"] != "objects.disclose":
            continue
        k = (e["detail"]["keys"], e["detail"]["digest"])
        if k in withdrawn:
            withdrawn.remove(k)
        else:
            out.append([p[0] for p in e["detail"]["objects"]])
    assert not withdrawn, ("withdrawals of nothing on record", withdrawn)
    return out


class ReadAheadTest(TaxiiCase):
    def setUp(self):
        self.d = harness.DataDir()
        self.addCleanup(self.d.cleanup)
        self.d.collection("Shared", "shared")
        self.p_ident, self.ptok = self.d.reader("shared", "P", "amber")
        self.q_ident, self.qtok = self.d.reader("shared", "Q", "amber")
        self.s = None

    def start(self, *sets):
        self.s = harness.Server(self.d, sets=list(sets)).start()
        self.addCleanup(lambda: self.s.stop())
        return self.s

    def fill(self, n=45):
        """n objects: a third REL TO P, a ninth TLP:RED, the rest GREEN or AMBER."""
        rel = {"type": "marking-definition", "spec_version": "2.1",
               "id": "marking-definition--4c2a9f7e-1d3b-4e5f-8a6b-7c8d9e0f1a2b",
               "created": "2024-01-01T00:00:00.000Z", "name": "REL TO P",
               "extensions": {RELEASABILITY: {"extension_type": "property-extension",
                                              "rel_to": [self.p_ident]}}}
        objs = []
        for i in range(n):
            marks = ([rel["id"], TLP["green"]] if i % 3 == 0 else
                     [TLP["red"]] if i % 9 == 1 else [TLP["green" if i % 2 else "amber"]])
            objs.append(sdo(name="o%d" % i, object_marking_refs=marks))
        st, _, body = self.s.request("POST", ROOT + "collections/shared/objects/",
                                     body={"objects": [rel] + objs})
        self.assertEqual(st, 202, body)
        return objs

    def test_answers_are_the_same_with_and_without(self):
        self.start(KEEP)
        self.fill()
        got = {}
        for who, tok in (("admin", None), ("P", self.ptok), ("Q", self.qtok)):
            for path, key in (("objects/", "objects"), ("manifest/", "objects")):
                got[who, path] = walk(self.s, tok or self.d.admin, 4, path, key)
        # Pages after the first of each walk were made ahead and sent (but for one a request
        # found still waiting for the read-ahead thread: that request makes it itself).
        sent = metric(self.s, "liaison_readahead_sent_total")
        self.assertGreater(sent, 0)
        self.assertLessEqual(sent, sum(p - 1 for _, p in got.values()))
        self.s.stop()
        self.start("readahead_bytes=0")
        for (who, path), (items, pages) in got.items():
            tok = {"admin": None, "P": self.ptok, "Q": self.qtok}[who]
            key = "objects"
            self.assertEqual(walk(self.s, tok or self.d.admin, 4, path, key), (items, pages),
                             (who, path))
        self.assertEqual(metric(self.s, "liaison_readahead_made_total"), 0)
        # Q sees neither P's REL TO objects nor TLP:RED; P sees its own.
        names = {o["name"] for o in got["Q", "objects/"][0]}
        self.assertFalse({"o0", "o3", "o1", "o10"} & names, names)
        self.assertTrue({"o0", "o3"} <= {o["name"] for o in got["P", "objects/"][0]})

    def test_a_whole_walk_is_on_record_once(self):
        self.start(KEEP)
        self.fill()
        items, pages = walk(self.s, self.ptok, 4)
        self.assertGreater(pages, 3)
        self.assertGreater(metric(self.s, "liaison_readahead_sent_total"), 0)
        self.s.stop()
        entries = audit(self.d)
        self.assertEqual([e["action"] for e in entries], ["objects.disclose"] * pages)
        self.assertEqual([p for e in net_disclosed(entries) for p in e],
                         [o["id"] for o in items])
        self.assertIn("intact", run_cli("audit", "verify", "--data", self.d.path).stdout)

    def test_a_page_made_and_never_asked_for_is_withdrawn(self):
        # Kept 300 ms: then the read-ahead thread gives it up, and says so on record.
        self.start("response_cache_ms=300")
        self.fill()
        st, j = page(self.s, self.ptok, [("limit", "4")])
        self.assertEqual((st, j["more"]), (200, True))
        wait_metric(self.s, "liaison_readahead_made_total", 1)
        wait_metric(self.s, "liaison_readahead_discarded_total", 1)
        entries = audit(self.d)
        self.assertEqual([e["action"] for e in entries],
                         ["objects.disclose", "objects.disclose", "objects.withdraw"])
        self.assertEqual(entries[2]["detail"]["reason"], "not asked for in time")
        self.assertEqual(net_disclosed(entries),
                         [[o["id"] for o in j["objects"]]])
        self.assertEqual(metric(self.s, "liaison_readahead_sent_total"), 0)

    def test_a_page_made_ahead_is_withdrawn_at_shutdown(self):
        self.start(KEEP)
        self.fill()
        st, j = page(self.s, self.ptok, [("limit", "4")])
        self.assertEqual(st, 200)
        wait_metric(self.s, "liaison_readahead_made_total", 1)
        self.s.stop()
        entries = audit(self.d)
        self.assertEqual([e["action"] for e in entries][-1], "objects.withdraw")
        self.assertEqual(entries[-1]["detail"]["reason"], "server stopping")
        self.assertEqual(net_disclosed(entries), [[o["id"] for o in j["objects"]]])

    def test_a_revocation_between_pages_holds(self):
        self.start(KEEP)
        self.fill()
        st, j = page(self.s, self.ptok, [("limit", "4")])
        self.assertEqual(st, 200)
        wait_metric(self.s, "liaison_readahead_made_total", 1)
        run_cli("revoke", "--data", self.d.path, "--collection", "shared", "--partner", "P")
        st, j2 = page(self.s, self.ptok, [("limit", "4"), ("next", j["next"])])
        self.assertEqual(st, 404, j2)
        self.assertEqual(metric(self.s, "liaison_readahead_sent_total"), 0)
        entries = audit(self.d)
        self.assertEqual(entries[-1]["action"], "objects.withdraw")
        self.assertEqual(entries[-1]["detail"]["reason"], "the store changed")
        self.assertEqual(net_disclosed(entries), [[o["id"] for o in j["objects"]]])

    def test_another_principal_never_gets_a_page_made_for_p(self):
        self.start(KEEP)
        objs = self.fill()
        st, j = page(self.s, self.ptok, [("limit", "4")])
        wait_metric(self.s, "liaison_readahead_made_total", 1)
        # Q follows P's next token: Q's own page, through Q's policy, not P's page.
        st, jq = page(self.s, self.qtok, [("limit", "4"), ("next", j["next"])])
        self.assertEqual(st, 200, jq)
        self.assertEqual(metric(self.s, "liaison_readahead_sent_total"), 0)
        rel_to_p = {o["name"] for i, o in enumerate(objs) if i % 3 == 0}
        self.assertFalse(rel_to_p & {o["name"] for o in jq.get("objects", [])})
        # P's page is still there for P, whichever order its parameters come in.
        st, jp = page(self.s, self.ptok, [("next", j["next"]), ("limit", "4")])
        self.assertEqual(st, 200)
        self.assertEqual(metric(self.s, "liaison_readahead_sent_total"), 1)
        self.assertTrue(rel_to_p & {o["name"] for o in jp["objects"]})

    def test_a_page_refused_by_the_rate_limit_is_withdrawn(self):
        self.s = harness.Server(self.d, sets=[KEEP]).start()
        self.addCleanup(lambda: self.s.stop())
        self.fill()
        self.s.stop()
        # Two requests a second at most, one at once: the second page comes too soon.
        self.s = harness.Server(self.d, sets=[KEEP, "rate_limit=1", "rate_burst=1"]).start()
        st, j = page(self.s, self.ptok, [("limit", "4")])
        self.assertEqual(st, 200)
        # /metrics is asked by the admin, under the same limit: once a second at most.
        time.sleep(0.1)
        wait_metric(self.s, "liaison_readahead_made_total", 1, every=1.05)
        st, _ = page(self.s, self.ptok, [("limit", "4"), ("next", j["next"])])
        self.assertEqual(st, 429)
        time.sleep(1.2)
        st, j2 = page(self.s, self.ptok, [("limit", "4"), ("next", j["next"])])
        self.assertEqual(st, 200)
        self.s.stop()
        entries = audit(self.d)
        withdrawn = [e for e in entries if e["action"] == "objects.withdraw"]
        self.assertEqual([e["detail"]["reason"] for e in withdrawn][:1], ["rate limit"])
        got = net_disclosed(entries)  # the third page, made ahead, was withdrawn at shutdown
        self.assertEqual(got, [[o["id"] for o in j["objects"]],
                                   [o["id"] for o in j2["objects"]]])

    def test_pages_larger_than_readahead_bytes_are_not_made(self):
        # 512 bytes: no page fits, not even one of a single object; each is made when asked,
        # and nothing made ahead goes on record.
        self.start(KEEP, "readahead_bytes=512")
        self.fill(12)
        items, pages = walk(self.s, self.ptok, 4)
        self.assertGreater(pages, 1)
        self.assertEqual(metric(self.s, "liaison_readahead_made_total"), 0)
        self.assertEqual(metric(self.s, "liaison_readahead_sent_total"), 0)
        self.s.stop()
        entries = audit(self.d)
        self.assertEqual([e["action"] for e in entries], ["objects.disclose"] * pages)
        self.assertEqual([p for e in net_disclosed(entries) for p in e], [o["id"] for o in items])

    def test_concurrent_walks_are_each_on_record_once(self):
        # Eight clients of two partners page at once; one read-ahead thread serves them all
        # (queued pages are taken over by their requests, pages being made are waited for).
        self.start(KEEP)
        self.fill()
        want = {tok: walk(self.s, tok, 4)[0] for tok in (self.ptok, self.qtok)}
        got = []

        def one(tok):
            items, _ = walk(self.s, tok, 4)
            got.append((tok, items))

        threads = [threading.Thread(target=one, args=(tok,)) for tok in [self.ptok, self.qtok] * 4]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(len(got), 8)
        for tok, items in got:
            self.assertEqual(items, want[tok])
        self.assertGreater(metric(self.s, "liaison_readahead_sent_total"), 0)
        self.s.stop()
        for name, tok in (("P", self.ptok), ("Q", self.qtok)):
            pages = sorted(p for e in net_disclosed(audit(self.d, name)) for p in [tuple(e)])
            received = []
            for _ in range(5):  # the walk above and four concurrent ones
                items = want[tok]
                received += [tuple(o["id"] for o in items[i:i + 4]) for i in range(0, len(items), 4)]
            self.assertEqual(pages, sorted(received), name)

    def test_no_readahead_threads_no_pages_made(self):
        self.start(KEEP, "readahead_threads=0")
        self.fill(12)
        items, pages = walk(self.s, self.ptok, 4)
        self.assertGreater(pages, 1)
        self.assertEqual(metric(self.s, "liaison_readahead_made_total"), 0)
        self.s.stop()
        self.assertEqual([e["action"] for e in audit(self.d)], ["objects.disclose"] * pages)
        # Beyond the limit, the server refuses to start and says which setting.
        p = run_cli("serve", "--data", self.d.path, "--listen", "127.0.0.1:%d" % harness.free_port(),
                    "--set", "readahead_threads=17", check=False, timeout=30)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("readahead_threads", p.stderr)

    def test_a_new_object_between_pages_shows(self):
        self.start(KEEP)
        self.fill(12)
        st, j = page(self.s, self.ptok, [("limit", "4")])
        wait_metric(self.s, "liaison_readahead_made_total", 1)
        self.assertEqual(self.s.post_objects("shared", [sdo(name="late", object_marking_refs=[TLP["green"]])])[0], 202)
        items, nxt = list(j["objects"]), j["next"]
        while True:
            st, jj = page(self.s, self.ptok, [("limit", "4"), ("next", nxt)])
            self.assertEqual(st, 200)
            items += jj.get("objects", [])
            if not jj["more"]:
                break
            nxt = jj["next"]
        self.assertEqual(items[-1]["name"], "late")
        self.assertEqual(len({o["id"] for o in items}), len(items))


if __name__ == "__main__":
    harness.main()
