"""Words and codes (issue 27.10): each message names its command once, usage errors exit 2
and refusals 4, the JSON API answers 422 for a bad value, the server log says why a token
was refused, and an envelope that sends one SCO twice with different content says so.
"""
import json
import os
import uuid

import harness
from harness import ROOT, TaxiiCase, run_cli, sdo


class WordsTest(TaxiiCase):
    @classmethod
    def setUpClass(cls):
        d = cls.d = harness.DataDir()
        cls.coll = d.collection("Cells", "cells")
        cls.us = run_cli("partner", "add", "--data", d.path, "--name", "US", "--clearance",
                         "amber").stdout.strip()
        d.collection("Requests", "rfi")
        for c in ("cells", "rfi"):
            run_cli("grant", "--data", d.path, "--collection", c, "--partner", "US", "--read",
                    "--write")
        cls.tok = run_cli("token", "issue", "--data", d.path, "--partner", "US").stdout.split()[-1]
        cls.s = harness.Server(d).start()
        st, _, j = cls.s.get_json("/liaison/whoami")
        cls.me = j["identity"]

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()
        cls.d.cleanup()

    def api(self, method, path, body):
        st, _, b = self.s.request(method, path, body=json.dumps(body).encode(), token=self.tok,
                                  content_type="application/json")
        return st, json.loads(b)

    def test_bad_due(self):
        p = run_cli("rfi", "new", "--data", self.d.path, "--to", "US", "--subject", "x", "--due",
                    "tamp", check=False)
        self.assertEqual(p.returncode, 2, p.stderr)  # a usage error, not a refusal
        self.assertIn('liaison rfi new: due: "tamp" is not a date', p.stderr)
        self.assertEqual(p.stderr.count("due:"), 1)
        st, j = self.api("POST", "/liaison/rfi", {"to": self.me, "subject": "x", "due": "tamp"})
        self.assertEqual(st, 422, j)
        self.assertEqual(j["description"].count("due:"), 1, j)
        st, j = self.api("POST", "/liaison/rfi", {"to": self.me, "subject": "x"})
        self.assertEqual(st, 201, j)
        rid = j["id"]
        st, j = self.api("POST", "/liaison/rfi/%s/amend" % rid, {"due": "31/01/2027"})
        self.assertEqual(st, 422, j)  # was 403
        self.assertIn("not a date", j["description"])
        p = run_cli("rfi", "amend", "--data", self.d.path, rid, "--due", "soon", check=False)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("liaison rfi amend:", p.stderr)

    def test_token_list_names_the_partner(self):
        lines = run_cli("token", "list", "--data", self.d.path).stdout.splitlines()
        self.assertIn("PARTNER", lines[0].split())
        tid = self.tok.split(".")[0]
        (row,) = [l for l in lines if l.startswith(tid)]
        self.assertEqual(row.split()[1:3], ["partner", "US"])

    def test_since_takes_a_plain_date(self):
        out = run_cli("audit", "show", "--data", self.d.path, "--since", "2020-01-01").stdout
        self.assertTrue(out.strip())
        self.assertEqual(run_cli("audit", "show", "--data", self.d.path, "--since",
                                 "2999-01-01").stdout, "")
        p = run_cli("audit", "show", "--data", self.d.path, "--since", "01/01/2020", check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--since", p.stderr)
        out = os.path.join(self.d.tmp, "x.bundle")
        run_cli("partner", "key", "--data", self.d.path, "--partner", "US", "--set", "ab" * 32)
        run_cli("export", "--data", self.d.path, "--for", "US", "--collection", "cells", "--since",
                "2020-01-01", "--out", out)
        self.assertTrue(os.path.exists(out))

    def test_same_sco_twice_with_different_content(self):
        sid = "ipv4-addr--%s" % uuid.uuid4()
        a = {"type": "ipv4-addr", "spec_version": "2.1", "id": sid, "value": "10.0.0.1"}
        b = dict(a, value="10.0.0.2")
        st, _, j = self.s.post_objects("cells", [a, b])
        self.assertEqual((j["success_count"], j["failure_count"]), (1, 1), j)
        self.assertIn("different content", j["failures"][0]["message"])
        # The same object twice is still one success each (nothing lost, nothing to say).
        sid2 = "ipv4-addr--%s" % uuid.uuid4()
        c = {"type": "ipv4-addr", "spec_version": "2.1", "id": sid2, "value": "10.0.0.3"}
        st, _, j = self.s.post_objects("cells", [c, dict(c)], token=self.tok)
        self.assertEqual((j["success_count"], j["failure_count"]), (2, 0), j)

    def test_verify_counts_good_entries(self):
        for i in range(4):
            run_cli("collection", "add", "--data", self.d.path, "--title", "n%d" % i)
        if harness.USE_PG:
            return
        import shutil
        import sqlite3
        copy = os.path.join(self.d.tmp, "copy")
        shutil.copytree(self.d.path, copy)
        db = sqlite3.connect(os.path.join(copy, "liaison.db"))
        db.execute("UPDATE audit SET detail = '{}' WHERE seq = 3")
        db.commit()
        db.close()
        p = run_cli("audit", "verify", "--data", copy, check=False)
        self.assertEqual(p.returncode, 4)
        self.assertIn("after 2 good entries", p.stderr)

    def test_zz_refused_tokens_say_why_in_the_log(self):
        tid, tok = self.d.token()
        self.assertEqual(self.s.request("GET", ROOT, token=tok)[0], 200)
        wrong = tok[:-1] + ("A" if tok[-1] != "A" else "B")
        unknown = "Q" * 16 + "." + "x" * 43
        self.assertEqual(self.s.request("GET", ROOT, token=wrong)[0], 401)
        self.assertEqual(self.s.request("GET", ROOT, token=unknown)[0], 401)
        run_cli("token", "revoke", "--data", self.d.path, tid)
        self.assertEqual(self.s.request("GET", ROOT, token=tok)[0], 401)
        p = run_cli("token", "issue", "--data", self.d.path, "--admin", "--expires", "1s")
        short = p.stdout.strip().splitlines()[-1]
        import time
        time.sleep(1.5)
        self.assertEqual(self.s.request("GET", ROOT, token=short)[0], 401)
        self.s.stop()
        log = self.s.stderr_text
        self.s.start()
        refusals = [json.loads(l) for l in log.splitlines() if '"auth_refused"' in l]
        whys = {(r.get("token"), r.get("why")) for r in refusals}
        self.assertIn((tid, "wrong secret"), whys)
        self.assertIn(("Q" * 16, "unknown token"), whys)
        self.assertIn((tid, "revoked"), whys)
        self.assertIn((short.split(".")[0], "expired"), whys)
        for secret in (tok.split(".")[1], short.split(".")[1], wrong.split(".")[1]):
            self.assertNotIn(secret, log)


if __name__ == "__main__":
    harness.main()
