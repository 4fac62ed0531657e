"""A request for information between two real instances (the sample article's
situation): Washington asks Algiers about dismantled recruitment cells;
Algiers answers with a report graded B2 and related objects released to the
US; Washington sees the answer, the grading and its own trust in Algiers, and
closes the request. The request travels by push, the answer by pull.
"""
import json
import uuid

import harness
from harness import ROOT, TaxiiCase, run_cli, sdo

GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
RELEASABILITY = "extension-definition--fe6c44b8-02ce-4c78-adda-645fef55531d"
GRADING = "extension-definition--79cbf8a2-1d41-4b10-9682-2577872b23b7"


def identity_of(server):
    st, _, j = server.get_json("/liaison/whoami")
    assert st == 200, j
    return j["identity"]


class RfiBetweenInstances(TaxiiCase):
    @classmethod
    def setUpClass(cls):
        cls.alg = harness.DataDir()
        cls.was = harness.DataDir()
        cls.alg_srv = harness.Server(cls.alg).start()
        cls.was_srv = harness.Server(cls.was).start()
        i_alg, i_was = identity_of(cls.alg_srv), identity_of(cls.was_srv)
        a, w = cls.alg.path, cls.was.path
        # Each side registers the other with its real instance identity.
        cls.us_at_alg = run_cli("partner", "add", "--data", a, "--name", "US", "--identity", i_was,
                                "--clearance", "amber", "--trust", "B").stdout.strip()
        run_cli("partner", "add", "--data", a, "--name", "Sahel", "--clearance", "green")
        run_cli("partner", "add", "--data", w, "--name", "Algiers", "--identity", i_alg,
                "--clearance", "amber", "--trust", "A")
        cls.cells = cls.alg.collection("Dismantled cells", "cells")
        cls.alg_rfi = cls.alg.collection("Requests", "rfi")
        for c in ("cells", "rfi"):
            run_cli("grant", "--data", a, "--collection", c, "--partner", "US", "--read", "--write")
            run_cli("grant", "--data", a, "--collection", c, "--partner", "Sahel", "--read")
        us_token = run_cli("token", "issue", "--data", a, "--partner", "US").stdout.split()[-1]
        cls.sahel_token = run_cli("token", "issue", "--data", a, "--partner", "Sahel").stdout.split()[-1]
        run_cli("peer", "add", "--data", w, "--name", "algiers", "--url",
                "http://127.0.0.1:%d/taxii2/" % cls.alg_srv.port, "--partner", "Algiers",
                "--token", us_token)
        cls.i_alg, cls.i_was = i_alg, i_was

    @classmethod
    def tearDownClass(cls):
        for s in (cls.alg_srv, cls.was_srv):
            s.stop()
        cls.alg.cleanup()
        cls.was.cleanup()

    def test_request_answer_close(self):
        a, w = self.alg.path, self.was.path
        # Washington asks (its own instance, from the command line).
        rid = run_cli("rfi", "new", "--data", w, "--to", "Algiers", "--subject",
                      "Recruitment cells dismantled across the wilayas",
                      "--question", "Comprehensive information on the cells and their links",
                      "--priority", "priority", "--due", "2099-12-31").stdout.strip()
        self.assertTrue(rid.startswith("liaison-rfi--"), rid)
        out = run_cli("push", "--data", w, "algiers", "--collection", "rfi", "--to", self.alg_rfi)
        # Algiers sees it as incoming; a third partner does not see it at all.
        inc = json.loads(run_cli("rfi", "list", "--data", a, "--incoming", "--json").stdout)
        self.assertEqual([r["id"] for r in inc], [rid], out.stdout + out.stderr)
        self.assertEqual(inc[0]["requester"]["name"], "US")
        self.assertEqual(inc[0]["requester"]["trust"], "B")
        st, _, _ = self.alg_srv.request("GET", "/liaison/rfi/" + rid, token=self.sahel_token)
        self.assertEqual(st, 404)
        # Algiers acknowledges, shares a graded report released to the US, and answers.
        run_cli("rfi", "ack", "--data", a, rid)
        rel_us = {"type": "marking-definition", "spec_version": "2.1",
                  "id": "marking-definition--%s" % uuid.uuid4(), "created": "2024-01-01T00:00:00.000Z",
                  "name": "REL TO US", "extensions": {RELEASABILITY: {
                      "extension_type": "property-extension", "rel_to": [self.us_at_alg]}}}
        actor = sdo("threat-actor", name="Recruitment network", threat_actor_types=["terrorist"],
                    object_marking_refs=[GREEN])
        report = sdo("report", name="Cells dismantled in Algiers and Oran", published="2026-11-20T00:00:00Z",
                     object_refs=[actor["id"]], object_marking_refs=[rel_us["id"], GREEN],
                     extensions={GRADING: {"extension_type": "property-extension", "scale": "admiralty",
                                           "source_reliability": "B", "information_credibility": "2"}})
        st, _, j = self.alg_srv.post_objects("cells", [rel_us, actor, report])
        self.assertEqual(j["failure_count"], 0, j)
        run_cli("rfi", "answer", "--data", a, rid, "--text", "Three cells; see the report.",
                "--ref", report["id"])
        # Washington pulls the answer and the shared objects.
        run_cli("pull", "--data", w, "algiers", "--collection", self.alg_rfi, "--into", "rfi")
        run_cli("pull", "--data", w, "algiers", "--collection", self.cells)
        v = json.loads(run_cli("rfi", "show", "--data", w, rid, "--json").stdout)
        self.assertEqual((v["status"], v["direction"]), ("answered", "outgoing"))
        self.assertEqual(v["addressee"]["name"], "Algiers")
        self.assertEqual(v["addressee"]["trust"], "A")  # Washington's own trust in Algiers
        answer = [r for r in v["responses"] if r["action"] == "answer"][0]
        self.assertEqual(answer["by"]["name"], "Algiers")
        self.assertEqual(answer["refs"][0]["id"], report["id"])
        g = answer["refs"][0]["grading"]
        self.assertEqual((g["source_reliability"], g["information_credibility"]), ("B", "2"))
        show = run_cli("rfi", "show", "--data", w, rid).stdout
        self.assertIn("graded B2 by sender", show)
        self.assertIn("our trust: A", show)
        # Washington closes it; the change travels; both sides agree.
        run_cli("rfi", "close", "--data", w, rid)
        run_cli("push", "--data", w, "algiers", "--collection", "rfi", "--to", self.alg_rfi)
        for d in (a, w):
            v = json.loads(run_cli("rfi", "show", "--data", d, rid, "--json").stdout)
            self.assertEqual(v["status"], "closed", d)
        # Forbidden across instances too: the addressee cannot amend, the requester cannot answer.
        p = run_cli("rfi", "amend", "--data", a, rid, "--subject", "x", check=False)
        self.assertEqual(p.returncode, 4, p.stderr)
        p = run_cli("rfi", "answer", "--data", w, rid, "--text", "x", check=False)
        self.assertEqual(p.returncode, 4, p.stderr)


    def test_z_documented_round_trip(self):
        """27.8: docs/rfi.md, "Between two instances", command by command: no extra grant, and
        the request echoed back is not reported as refused."""
        a, w = self.alg.path, self.was.path
        # Algiers' own object, which Washington already pulled.
        actor = sdo("threat-actor", name="Katibat al-Furqan", threat_actor_types=["terrorist"],
                    object_marking_refs=[GREEN])
        self.assertEqual(self.alg_srv.post_objects("cells", [actor])[0], 202)
        run_cli("pull", "--data", w, "algiers", "--collection", self.cells)
        # 1. Washington asks about it (before: refused until it granted Algiers read on the
        #    collection it pulled).
        p = run_cli("rfi", "new", "--data", w, "--to", "Algiers", "--subject", "Al-Furqan links",
                    "--about", actor["id"])
        rid = p.stdout.strip()
        w_rfi = [l.split()[0] for l in run_cli("collection", "list", "--data", w).stdout.splitlines()
                 if " rfi " in " %s " % l][0]
        tok = run_cli("token", "issue", "--data", w, "--partner", "Algiers").stdout.split()[-1]
        # 2. Algiers registers Washington as a peer and pulls the request.
        run_cli("peer", "add", "--data", a, "--name", "washington", "--url",
                "http://127.0.0.1:%d/taxii2/" % self.was_srv.port, "--partner", "US", "--token", tok)
        run_cli("pull", "--data", a, "washington", "--collection", w_rfi)
        self.assertIn(rid, [r["id"] for r in json.loads(
            run_cli("rfi", "list", "--data", a, "--incoming", "--json").stdout)])
        local = [l.split()[3] for l in run_cli("exchange", "list", "--data", a,
                                                "washington").stdout.splitlines()[1:]][0]
        # 3. Algiers answers and pushes the answer back: nothing refused.
        run_cli("rfi", "answer", "--data", a, rid, "--text", "Two cells in the south.")
        p = run_cli("push", "--data", a, "washington", "--collection", local, "--to", w_rfi)
        # the answer, with the definitions it uses that Washington's collection lacked (27.4)
        self.assertRegex(p.stdout, r"\b[1-9]\d* new")
        self.assertIn("0 refused", p.stdout)
        self.assertRegex(p.stdout, r"\b[1-9]\d* of its own not sent back")  # the echo
        # 4. Washington sees it answered.
        v = json.loads(run_cli("rfi", "show", "--data", w, rid, "--json").stdout)
        self.assertEqual(v["status"], "answered")
        # Again: nothing new, nothing refused, every time.
        p = run_cli("push", "--data", a, "washington", "--collection", local, "--to", w_rfi)
        self.assertIn("0 refused", p.stdout)
        self.assertRegex(p.stdout, r"\b0 new")


if __name__ == "__main__":
    harness.main()
