"""Partner and exchange lifecycle (issue 27.7), between Algiers and Washington.

`partner set` changes clearance, trust and country (a named RED recipient becomes able to
receive); `peer set` rotates a token and keeps every exchange's position (no duplicates);
a mistyped `pull --collection` configures nothing; `exchange list|remove`; `collection
remove` refused while not empty unless --force, on record with the log still verifying; a
pull of several exchanges runs each even when one fails and exits non-zero with a summary;
a pull from a peer that lets us read nothing exits non-zero.
"""
import json
import sqlite3
import os

import harness
from harness import ROOT, TaxiiCase, run_cli, sdo

TLP_RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
HANDLING = "extension-definition--b5fc933d-2a12-45ec-bf89-f6e3b754bcd0"


class LifecycleTest(TaxiiCase):
    @classmethod
    def setUpClass(cls):
        cls.alg = harness.DataDir()
        cls.was = harness.DataDir()
        a = cls.alg.path
        cls.cells = cls.alg.collection("Cells", "cells")
        cls.camps = cls.alg.collection("Camps", "camps")
        cls.us = run_cli("partner", "add", "--data", a, "--name", "US", "--clearance",
                         "amber").stdout.strip()
        for c in ("cells", "camps"):
            run_cli("grant", "--data", a, "--collection", c, "--partner", "US", "--read")
        run_cli("partner", "add", "--data", a, "--name", "Nobody")
        run_cli("partner", "add", "--data", cls.was.path, "--name", "Algiers", "--clearance", "red")
        cls.srv = harness.Server(cls.alg).start()
        cls.tok_id, cls.tok = cls.issue("US")
        cls.url = "http://127.0.0.1:%d/taxii2/" % cls.srv.port
        run_cli("peer", "add", "--data", cls.was.path, "--name", "algiers", "--url", cls.url,
                "--partner", "Algiers", "--token", cls.tok)

    @classmethod
    def issue(cls, partner):
        tok = run_cli("token", "issue", "--data", cls.alg.path, "--partner", partner).stdout.split()[-1]
        return tok.split(".")[0], tok

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.alg.cleanup()
        cls.was.cleanup()

    def pull(self, *args, check=True):
        return run_cli("pull", "--data", self.was.path, "algiers", *args, check=check)

    def exchanges(self):
        out = run_cli("exchange", "list", "--data", self.was.path).stdout.splitlines()[1:]
        return [l.split()[:3] for l in out]

    def test_1_partner_set_makes_a_red_recipient_able(self):
        red = sdo("report", name="for US eyes", published="2026-01-01T00:00:00Z",
                  object_refs=[self.us], object_marking_refs=[TLP_RED],
                  extensions={HANDLING: {"extension_type": "property-extension",
                                         "red_recipients": [self.us]}})
        st, _, j = self.srv.post_objects("cells", [red])
        self.assertIn("will not receive it", j["successes"][0]["message"])
        path = ROOT + "collections/cells/objects/%s/" % red["id"]
        self.assertEqual(self.srv.request("GET", path, token=self.tok)[0], 404)
        p = run_cli("partner", "set", "--data", self.alg.path, "US", "--clearance", "red",
                    "--trust", "A", "--country", "US")
        self.assertIn("clearance red", p.stdout)
        self.assertEqual(self.srv.request("GET", path, token=self.tok)[0], 200)
        show = run_cli("partner", "show", "--data", self.alg.path, "US").stdout
        self.assertRegex(show, r"clearance:\s+red")
        self.assertRegex(show, r"trust:\s+A")
        self.assertRegex(show, r"country:\s+US")
        log = run_cli("audit", "show", "--data", self.alg.path).stdout
        self.assertIn('"partner.update"', log)
        for bad in (["--clearance", "purple"], ["--trust", "Z"], ["--country", "usa"], []):
            p = run_cli("partner", "set", "--data", self.alg.path, "US", *bad, check=False)
            self.assertEqual(p.returncode, 2, (bad, p.stderr))
        p = run_cli("partner", "set", "--data", self.alg.path, "Ghost", "--trust", "B", check=False)
        self.assertEqual(p.returncode, 3)
        run_cli("partner", "set", "--data", self.alg.path, "US", "--clearance", "amber")

    def test_2_mistyped_collection_configures_nothing(self):
        before = run_cli("collection", "list", "--data", self.was.path).stdout
        p = self.pull("--collection", "no-such-collection", check=False)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("nothing configured", p.stderr)
        self.assertEqual(run_cli("collection", "list", "--data", self.was.path).stdout, before)
        self.assertEqual(self.exchanges(), [])

    def test_3_token_rotated_positions_kept(self):
        self.assertEqual(self.srv.post_objects("cells", [sdo(name="c1")])[0], 202)
        self.assertEqual(self.srv.post_objects("camps", [sdo(name="k1")])[0], 202)
        self.pull()  # the first time: every readable collection
        self.assertEqual(sorted(e[1] for e in self.exchanges()), ["pull", "pull"])
        held = self.count_was()
        # Algiers rotates the token; the old one stops working.
        run_cli("token", "revoke", "--data", self.alg.path, self.tok_id)
        p = self.pull(check=False)
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertIn("0 of 2 exchanges succeeded", p.stderr)  # each ran and said why
        new_id, new_tok = self.issue("US")
        p = run_cli("peer", "set", "--data", self.was.path, "algiers", "--token", new_tok)
        self.assertIn("keep their positions", p.stdout)
        self.assertNotIn(new_tok.split(".")[1], p.stdout + p.stderr)
        p = self.pull()
        self.assertIn("0 new", p.stdout)  # nothing pulled twice
        self.assertEqual(self.count_was(), held)
        self.assertEqual(len(self.exchanges()), 2)
        type(self).tok_id, type(self).tok = new_id, new_tok

    def count_was(self):
        db = sqlite3.connect(os.path.join(self.was.path, "liaison.db"))
        try:
            return db.execute("SELECT count(*) FROM object").fetchone()[0]
        finally:
            db.close()

    def test_4_every_exchange_runs_when_one_fails(self):
        if harness.USE_PG:
            self.skipTest("counts rows with sqlite3")
        run_cli("revoke", "--data", self.alg.path, "--collection", "camps", "--partner", "US")
        self.assertEqual(self.srv.post_objects("cells", [sdo(name="c2"), sdo(name="c3")])[0], 202)
        p = self.pull(check=False)
        self.assertNotEqual(p.returncode, 0, p.stderr)
        self.assertIn("1 of 2 exchanges succeeded", p.stderr)
        self.assertIn("2 new", p.stdout)  # cells pulled, whatever camps did
        # exchange remove forgets the failing one; list and remove again.
        p = run_cli("exchange", "remove", "--data", self.was.path, "algiers", "--pull", self.camps)
        self.assertIn("removed 1 exchange", p.stdout)
        self.assertEqual([e[2] for e in self.exchanges()], [self.cells])
        p = run_cli("exchange", "remove", "--data", self.was.path, "algiers", "--pull", self.camps,
                    check=False)
        self.assertEqual(p.returncode, 3)
        self.pull()
        self.assertIn('"exchange.remove"', run_cli("audit", "show", "--data", self.was.path).stdout)

    def test_5_collection_remove(self):
        w = self.was.path
        cols = [l.split()[0] for l in run_cli("collection", "list", "--data", w).stdout.splitlines()[1:]]
        empty = self.was.collection("Empty one")
        run_cli("collection", "remove", "--data", w, empty)
        full = [c for c in cols if c != empty][0]
        p = run_cli("collection", "remove", "--data", w, full, check=False)
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertIn("--force", p.stderr)
        self.assertIn(full, run_cli("collection", "list", "--data", w).stdout)
        p = run_cli("collection", "remove", "--data", w, full, "--force")
        self.assertIn("removed", p.stdout)
        self.assertNotIn(full, run_cli("collection", "list", "--data", w).stdout)
        log = [json.loads(l) for l in run_cli("audit", "show", "--data", w).stdout.splitlines()]
        self.assertTrue(any(e["action"] == "collection.remove" and e["detail"]["collection"] == full
                            for e in log))
        self.assertTrue(any(e["action"] == "object.delete" for e in log))
        self.assertIn("intact", run_cli("audit", "verify", "--data", w).stdout)
        p = run_cli("collection", "remove", "--data", w, "nope", check=False)
        self.assertEqual(p.returncode, 3)

    def test_6_a_pull_that_can_read_nothing_fails(self):
        _, tok = self.issue("Nobody")
        run_cli("partner", "add", "--data", self.was.path, "--name", "Algiers2")
        run_cli("peer", "add", "--data", self.was.path, "--name", "closed", "--url", self.url,
                "--partner", "Algiers2", "--token", tok)
        p = run_cli("pull", "--data", self.was.path, "closed", check=False)
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertIn("lets us read no collection", p.stderr)


if __name__ == "__main__":
    harness.main()
