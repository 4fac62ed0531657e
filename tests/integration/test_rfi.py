"""Requests for information on one instance: a US officer, signed in to the
Algiers instance with the US partner's token, asks Algiers about dismantled
recruitment cells; Algiers (the command line, acting as the instance) answers
with a graded report; forbidden moves are refused; a third partner learns
nothing. The exchange of requests between two instances is in
test_exchange_rfi.py.
"""
import json
import uuid

import harness
from harness import ROOT, TaxiiCase, run_cli, sdo

TLP_GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
TLP_RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
GRADING = "extension-definition--79cbf8a2-1d41-4b10-9682-2577872b23b7"
RELEASABILITY = "extension-definition--fe6c44b8-02ce-4c78-adda-645fef55531d"


def graded(scale, src, info):
    return {GRADING: {"extension_type": "property-extension", "scale": scale,
                      "source_reliability": src, "information_credibility": info}}


class RfiTest(TaxiiCase):
    @classmethod
    def setUpClass(cls):
        d = cls.d = harness.DataDir()
        run_cli("collection", "add", "--data", d.path, "--title", "Cells", "--alias", "cells")
        cls.us = run_cli("partner", "add", "--data", d.path, "--name", "US", "--clearance", "amber",
                         "--trust", "B").stdout.strip()
        cls.third = run_cli("partner", "add", "--data", d.path, "--name", "Third",
                            "--clearance", "red").stdout.strip()
        # Partners post their requests to Algiers in the "rfi" collection.
        run_cli("collection", "add", "--data", d.path, "--title", "Requests", "--alias", "rfi")
        for p in ("US", "Third"):
            run_cli("grant", "--data", d.path, "--collection", "cells", "--partner", p, "--read")
            run_cli("grant", "--data", d.path, "--collection", "rfi", "--partner", p, "--read",
                    "--write")
        cls.tok = {p: run_cli("token", "issue", "--data", d.path, "--partner", p).stdout.split()[-1]
                   for p in ("US", "Third")}
        cls.s = harness.Server(d).start()
        st, _, j = cls.s.get_json("/liaison/whoami")
        cls.algiers = j["identity"]
        # What Algiers may share with the US, and what it may not.
        rel = {"type": "marking-definition", "spec_version": "2.1",
               "id": "marking-definition--%s" % uuid.uuid4(), "created": "2024-01-01T00:00:00.000Z",
               "name": "REL TO US", "extensions": {RELEASABILITY: {
                   "extension_type": "property-extension", "rel_to": [cls.us]}}}
        cls.actor = sdo("threat-actor", name="Recruitment network", threat_actor_types=["terrorist"],
                        object_marking_refs=[TLP_GREEN])
        cls.report = sdo("report", name="Dismantled cells, Algiers wilaya", published="2026-11-01T00:00:00Z",
                         object_refs=[cls.actor["id"]], object_marking_refs=[rel["id"], TLP_GREEN],
                         extensions=graded("admiralty", "B", "2"))
        cls.secret = sdo("report", name="Source network", published="2026-11-01T00:00:00Z",
                         object_refs=[cls.actor["id"]], object_marking_refs=[TLP_RED])
        st, _, j = cls.s.post_objects("cells", [rel, cls.actor, cls.report, cls.secret])
        assert j["failure_count"] == 0, j

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()
        cls.d.cleanup()

    def api(self, method, path, body=None, partner="US"):
        tok = self.tok[partner] if partner else None
        st, hd, b = self.s.request(method, path, body=json.dumps(body).encode() if body is not None else None,
                                   token=tok, content_type="application/json" if body is not None else None)
        return st, (json.loads(b) if b else None)

    def new_request(self, **extra):
        body = {"to": self.algiers, "subject": "Recruitment cells dismantled in 2026",
                "questions": ["Names and aliases of the cells' leaders?",
                              "Links to ISIS in Libya?"],
                "about": [self.actor["id"]], "priority": "priority", "due": "2099-01-31T00:00:00Z"}
        body.update(extra)
        return self.api("POST", "/liaison/rfi", body)

    def test_full_cycle(self):
        st, j = self.new_request()
        self.assertEqual(st, 201, j)
        rid = j["id"]
        # Algiers sees it as incoming, open.
        out = run_cli("rfi", "list", "--data", self.d.path, "--incoming", "--json").stdout
        mine = [r for r in json.loads(out) if r["id"] == rid]
        self.assertEqual(len(mine), 1)
        self.assertEqual((mine[0]["status"], mine[0]["direction"]), ("open", "incoming"))
        self.assertEqual(mine[0]["requester"]["trust"], "B")
        # Algiers acknowledges then answers with the graded report.
        run_cli("rfi", "ack", "--data", self.d.path, rid)
        st, v = self.api("GET", "/liaison/rfi/" + rid)
        self.assertEqual(v["status"], "acknowledged")
        run_cli("rfi", "answer", "--data", self.d.path, rid, "--text", "Three cells, see report.",
                "--ref", self.report["id"])
        st, v = self.api("GET", "/liaison/rfi/" + rid)
        self.assertEqual((st, v["status"], v["direction"]), (200, "answered", "outgoing"))
        ans = [r for r in v["responses"] if r["action"] == "answer"][0]
        self.assertEqual(ans["text"], "Three cells, see report.")
        self.assertEqual(ans["refs"][0]["id"], self.report["id"])
        self.assertEqual(ans["refs"][0]["grading"]["source_reliability"], "B")
        self.assertEqual(ans["refs"][0]["grading"]["information_credibility"], "2")
        # The requester closes it; both sides see it closed.
        st, j = self.api("POST", "/liaison/rfi/%s/close" % rid, {})
        self.assertEqual(st, 200, j)
        show = run_cli("rfi", "show", "--data", self.d.path, rid).stdout
        self.assertIn("closed", show)
        self.assertIn("graded B2 by us", show)  # Algiers answered: its own claim
        self.assertNotIn("(null)", show)

    def test_forbidden_moves(self):
        st, j = self.new_request()
        rid = j["id"]
        # The addressee may not amend the request; the requester may not answer it.
        p = run_cli("rfi", "amend", "--data", self.d.path, rid, "--subject", "changed", check=False)
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertIn("only the requester", p.stderr)
        st, j = self.api("POST", "/liaison/rfi/%s/answer" % rid, {"text": "I answer myself"})
        self.assertEqual(st, 403, j)
        self.assertIn("only the addressee", j["description"])
        # A third partner neither sees nor answers it: it looks absent.
        st, j = self.api("GET", "/liaison/rfi/" + rid, partner="Third")
        self.assertEqual(st, 404)
        st, j = self.api("POST", "/liaison/rfi/%s/answer" % rid, {"text": "x"}, partner="Third")
        self.assertEqual(st, 404)
        st, j = self.api("GET", "/liaison/rfi", partner="Third")
        self.assertEqual([r["id"] for r in j["rfis"]], [])
        # Nor can it read the request objects over TAXII.
        st, hd, b = self.s.request("GET", ROOT + "collections/rfi/objects/%s/" % rid, token=self.tok["Third"])
        self.assertEqual(st, 404)
        # A forged response written directly over TAXII by the requester is refused.
        forged = {"type": "liaison-rfi-response", "spec_version": "2.1",
                  "id": "liaison-rfi-response--%s" % uuid.uuid4(), "created": "2026-11-30T00:00:00.000Z",
                  "modified": "2026-11-30T00:00:00.000Z", "rfi_ref": rid, "requester_ref": self.us,
                  "action": "answer", "text": "forged",
                  "extensions": {"extension-definition--4de4d126-9d7d-42f3-a891-2d3f78185723":
                                 {"extension_type": "new-sdo"}}}
        st, _, j = self.s.post_objects("rfi", [forged], token=self.tok["US"])
        self.assertEqual(j["failure_count"], 1, j)
        self.assertIn("only the addressee", j["failures"][0]["message"])
        # Withdraw, then nothing more can change.
        st, j = self.api("POST", "/liaison/rfi/%s/withdraw" % rid, {})
        self.assertEqual(st, 200, j)
        st, j = self.api("POST", "/liaison/rfi/%s/amend" % rid, {"subject": "again"})
        self.assertEqual(st, 422, j)

    def test_bad_input(self):
        st, j = self.new_request(to="identity--%s" % uuid.uuid4())
        self.assertEqual(st, 403, j)  # partners address this instance only
        p = run_cli("rfi", "new", "--data", self.d.path, "--to", "Nobody", "--subject", "x", check=False)
        self.assertEqual(p.returncode, 3)
        p = run_cli("rfi", "new", "--data", self.d.path, "--to", "US", "--subject", "x",
                    "--due", "2001-01-01", check=False)
        self.assertEqual(p.returncode, 4)
        self.assertIn("in the past", p.stderr)
        st, j = self.new_request(due="2001-01-01T00:00:00Z")
        self.assertEqual(st, 422)
        st, j = self.new_request(priority="whenever")
        self.assertEqual(st, 403, j)
        self.assertIn("priority", j["description"])
        st, hd, b = self.s.request("POST", "/liaison/rfi", body=b"{not json", token=self.tok["US"],
                                   content_type="application/json")
        self.assertEqual(st, 400)
        st, hd, b = self.s.request("POST", "/liaison/rfi", body=b"{}", token=self.tok["US"],
                                   content_type="text/plain")
        self.assertEqual(st, 415)
        # A request about an object the addressee may not see is refused, and says nothing more.
        st, j = self.new_request(about=[self.secret["id"]])
        self.assertEqual(st, 403, j)
        # Malformed grading on write.
        bad = sdo("report", name="bad grade", published="2026-11-01T00:00:00Z",
                  object_refs=[self.actor["id"]], extensions=graded("admiralty", "G", "2"))
        st, _, j = self.s.post_objects("cells", [bad])
        self.assertEqual(j["failure_count"], 1)
        self.assertIn("source_reliability", j["failures"][0]["message"])
        eu = sdo("report", name="europol grade", published="2026-11-01T00:00:00Z",
                 object_refs=[self.actor["id"]], extensions=graded("europol", "X", "4"))
        bad_eu = sdo("report", name="bad europol", published="2026-11-01T00:00:00Z",
                     object_refs=[self.actor["id"]], extensions=graded("europol", "D", "5"))
        st, _, j = self.s.post_objects("cells", [eu, bad_eu])
        self.assertEqual((j["success_count"], j["failure_count"]), (1, 1), j)

    def test_overdue(self):
        # Due in two seconds, then overdue on both sides while open.
        import time
        due = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 2))
        st, j = self.new_request(due=due)
        rid = j["id"]
        time.sleep(3)
        st, v = self.api("GET", "/liaison/rfi/" + rid)
        self.assertTrue(v["overdue"])
        out = json.loads(run_cli("rfi", "list", "--data", self.d.path, "--status", "overdue",
                                 "--json").stdout)
        self.assertIn(rid, [r["id"] for r in out])
        run_cli("rfi", "answer", "--data", self.d.path, rid, "--text", "late but here")
        st, v = self.api("GET", "/liaison/rfi/" + rid)
        self.assertFalse(v["overdue"])


    def stored(self, oid, coll="rfi"):
        st, _, j = self.s.get_json(ROOT + "collections/%s/objects/%s/" % (coll, oid))
        self.assertEqual(st, 200, j)
        return j["objects"][0]

    def responses_of(self, rid):
        st, _, j = self.s.get_json(ROOT + "collections/rfi/objects/?match[type]=liaison-rfi-response")
        return [o for o in j.get("objects", []) if o["rfi_ref"] == rid]

    def test_response_type_not_action(self):
        """27.5: STIX 2.1 reserves "action" (3.8); a response says response_type."""
        st, j = self.new_request()
        rid = j["id"]
        run_cli("rfi", "answer", "--data", self.d.path, rid, "--text", "named right")
        (resp,) = self.responses_of(rid)
        self.assertEqual(resp["response_type"], "answer")
        self.assertNotIn("action", resp)
        # The validator lets "action" through on no type, ours included.
        bad = dict(resp, id="liaison-rfi-response--%s" % uuid.uuid4(), action="answer")
        st, _, j = self.s.post_objects("rfi", [bad])
        self.assertEqual(j["failure_count"], 1, j)
        self.assertIn("reserved", j["failures"][0]["message"])

    def test_older_peer_says_action(self):
        """A response from a liaison before 27.5 ("action") is renamed when it arrives."""
        rid = run_cli("rfi", "new", "--data", self.d.path, "--to", "US", "--subject",
                      "Couriers crossing at In Guezzam", "--collection", "rfi").stdout.strip()
        old = {"type": "liaison-rfi-response", "spec_version": "2.1",
               "id": "liaison-rfi-response--%s" % uuid.uuid4(), "created": "2026-11-30T00:00:00.000Z",
               "modified": "2026-11-30T00:00:00.000Z", "rfi_ref": rid, "requester_ref": self.algiers,
               "action": "answer", "text": "from an older liaison",
               "extensions": {"extension-definition--4de4d126-9d7d-42f3-a891-2d3f78185723":
                              {"extension_type": "new-sdo"}}}
        st, _, j = self.s.post_objects("rfi", [old], token=self.tok["US"])
        self.assertEqual((st, j["success_count"]), (202, 1), j)
        got = self.stored(old["id"])
        self.assertEqual(got["response_type"], "answer")
        self.assertNotIn("action", got)
        self.assertIn("answered", run_cli("rfi", "show", "--data", self.d.path, rid).stdout)

    def test_stored_responses_renamed_once(self):
        """Responses stored with "action" by an older version are renamed on upgrade, on record."""
        st, j = self.new_request()
        rid = j["id"]
        run_cli("rfi", "decline", "--data", self.d.path, rid, "--reason", "not ours to share")
        (resp,) = self.responses_of(rid)
        # As an older liaison stored it.
        self.d.sql("UPDATE object SET json = replace(json, '\"response_type\":', '\"action\":')"
                   " WHERE id = '%s'" % resp["id"],
                   "DELETE FROM meta WHERE key = 'rfi_response_type_renamed'")
        self.assertEqual(self.stored(resp["id"])["action"], "decline")
        self.assertIn("declined", run_cli("rfi", "show", "--data", self.d.path, rid).stdout)
        # That command opened the store: the version is renamed, once, on record.
        got = self.stored(resp["id"])
        self.assertEqual((got.get("response_type"), "action" in got), ("decline", False))
        log = [json.loads(l) for l in run_cli("audit", "show", "--data", self.d.path).stdout.splitlines()]
        renames = [e for e in log if e["action"] == "objects.rename"]
        self.assertEqual(len(renames), 1)
        self.assertEqual(renames[0]["detail"]["versions"], 1)
        run_cli("rfi", "list", "--data", self.d.path)
        log = [json.loads(l) for l in run_cli("audit", "show", "--data", self.d.path).stdout.splitlines()]
        self.assertEqual(len([e for e in log if e["action"] == "objects.rename"]), 1)


    def test_red_request_reaches_its_parties_and_warnings(self):
        """27.6: a TLP:RED request reaches its two parties (before: nobody); a request marked
        above a party's clearance, and a RED object naming an uncleared recipient, say so."""
        p = run_cli("rfi", "new", "--data", self.d.path, "--to", "Third", "--subject",
                    "Source identities", "--marking", "red", "--collection", "rfi")
        rid = p.stdout.strip()
        self.assertEqual(p.stderr, "")  # Third is cleared red: nothing to warn about
        st, v = self.api("GET", "/liaison/rfi/" + rid, partner="Third")
        self.assertEqual((st, v.get("tlp")), (200, "red"), v)
        st, v = self.api("GET", "/liaison/rfi/" + rid, partner="US")
        self.assertEqual(st, 404)
        st, j = self.api("POST", "/liaison/rfi/%s/answer" % rid, {"text": "under RED"},
                         partner="Third")
        self.assertEqual(st, 200, j)
        st, v = self.api("GET", "/liaison/rfi/" + rid, partner="Third")
        self.assertEqual(v["status"], "answered")
        self.assertIn("answered", run_cli("rfi", "show", "--data", self.d.path, rid).stdout)
        # Marked above the addressee's clearance: made, with a warning (CLI and API).
        p = run_cli("rfi", "new", "--data", self.d.path, "--to", "US", "--subject", "x",
                    "--marking", "red", "--collection", "rfi")
        self.assertIn("warning", p.stderr)
        self.assertIn("US is cleared up to TLP:amber", p.stderr)
        st, j = self.new_request(marking="red")
        self.assertEqual(st, 201, j)
        self.assertEqual(len(j["warnings"]), 1, j)
        self.assertIn("you (US) are cleared up to TLP:amber", j["warnings"][0])
        st, j = self.new_request(marking="green")
        self.assertEqual(j["warnings"], [])
        # A RED report naming an uncleared recipient: stored, and its status entry says why it
        # will not arrive; one naming a cleared recipient says nothing.
        def red(to):
            return sdo("report", name="red for " + to, published="2026-11-01T00:00:00Z",
                       object_refs=[self.actor["id"]], object_marking_refs=[TLP_RED],
                       extensions={"extension-definition--b5fc933d-2a12-45ec-bf89-f6e3b754bcd0": {
                           "extension_type": "property-extension",
                           "red_recipients": [self.us if to == "US" else self.third]}})
        st, _, j = self.s.post_objects("cells", [red("US"), red("Third")])
        self.assertEqual(j["success_count"], 2, j)
        msgs = {s["id"]: s.get("message") for s in j["successes"]}
        self.assertEqual(len([m for m in msgs.values() if m]), 1, j)
        warned = [m for m in msgs.values() if m][0]
        self.assertIn("US (clearance amber) will not receive it", warned)


if __name__ == "__main__":
    harness.main()
