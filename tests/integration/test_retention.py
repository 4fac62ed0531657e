"""Review and retention (docs/people.md), against the real binary.

- a collection's review interval, retention limit, handling code and legal basis;
- objects past their review date appear in the queue (CLI and JSON API), those not yet due do
  not; a person extends one with a reason (on record), never past the retention limit;
- deletion by a releaser: the content is gone from the store file (its bytes searched, the
  log too), the id, versions and digests are on record, and audit verify still holds;
- bad input: an analyst deleting, an unknown person, no reason, an unknown object, a bad
  duration, a review interval longer than the retention limit.
"""
import hashlib
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import ROOT, USE_PG, DataDir, Server, TaxiiCase, main, run_cli, sdo  # noqa: E402


def audit(d):
    out = run_cli("audit", "show", "--data", d.path).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


class Retention(TaxiiCase):
    def setUp(self):
        self.d = DataDir()
        self.d.collection("Cells", alias="cells")
        self.d.collection("Other", alias="other")
        for name, role in (("ana", "analyst"), ("rel", "releaser")):
            run_cli("user", "add", "--data", self.d.path, "--name", name, "--role", role)
        self.s = Server(self.d).start()

    def tearDown(self):
        self.s.stop()
        self.d.cleanup()

    def cli(self, *args, check=True):
        return run_cli("review", args[0], "--data", self.d.path, *args[1:], check=check)

    def queue(self, *extra):
        return self.cli("list", *extra).stdout

    def test_queue_extend_delete(self):
        needle = "needle-" + os.urandom(8).hex()
        old = sdo(description=needle)
        st, _, b = self.s.post_objects("cells", [old])
        self.assertEqual(st, 202, b)
        st, _, served = self.s.request("GET", ROOT + "collections/cells/objects/%s/" % old["id"])
        kept = sdo()
        self.s.post_objects("cells", [kept])
        other = sdo()
        self.s.post_objects("other", [other])
        out = self.cli("policy", "--collection", "cells", "--every", "1s", "--retain", "30d",
                       "--handling-code", "H2", "--legal-basis", "Art. 6").stdout
        self.assertIn("H2", out)
        self.assertIn("30d", out)
        time.sleep(1.2)  # the review interval passes (not a timing assertion)
        q = self.queue()
        self.assertIn(old["id"], q)
        self.assertIn(kept["id"], q)
        self.assertNotIn(other["id"], q)  # no policy on "other"
        st, _, j = self.s.get_json("/liaison/review?collection=cells")
        self.assertEqual(st, 200, j)
        self.assertEqual({o["id"] for o in j["objects"]}, {old["id"], kept["id"]})
        self.assertTrue(all(o["state"] == "due" for o in j["objects"]))
        # Extend one: out of the queue, on record with the person and the reason.
        self.cli("extend", "--as", "ana", "--collection", "cells", "--by", "10d",
                 "--reason", "case still open", kept["id"])
        self.assertNotIn(kept["id"], self.queue())
        self.assertIn(kept["id"], self.queue("--all"))
        e = [e for e in audit(self.d) if e["action"] == "review.extend"][-1]
        self.assertEqual((e["actor"], e["detail"]["reason"], e["detail"]["id"]),
                         ("person:ana/cli", "case still open", kept["id"]))
        # Never past the retention limit.
        r = self.cli("extend", "--as", "ana", "--collection", "cells", "--by", "31d",
                     "--reason", "x", kept["id"], check=False)
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn("retention limit", r.stderr)
        # Bad input, data unchanged.
        for args, code, words in (
                (("delete", "--as", "ana", "--collection", "cells", "--reason", "x", old["id"]), 4,
                 "only a releaser"),
                (("delete", "--as", "nobody", "--collection", "cells", "--reason", "x", old["id"]), 3,
                 "no person"),
                (("delete", "--as", "rel", "--collection", "cells", old["id"]), 2, "reason"),
                (("delete", "--as", "rel", "--collection", "cells", "--reason", "x",
                  "indicator--00000000-0000-4000-8000-000000000000"), 3, "no such object"),
                (("extend", "--as", "ana", "--collection", "cells", "--by", "soon", "--reason", "x",
                  old["id"]), 2, "duration"),
                (("policy", "--collection", "cells", "--every", "40d"), 2, "longer than"),
        ):
            r = self.cli(*args, check=False)
            self.assertEqual(r.returncode, code, (args, r.stderr))
            self.assertIn(words, r.stderr)
        self.assertEqual(self.s.request("GET", ROOT + "collections/cells/objects/%s/" % old["id"])[0], 200)
        # Delete (our own object): a revocation replaces it; every older version's content is
        # gone from every read and from the file's bytes; id, version, digest on record.
        self.cli("delete", "--as", "rel", "--collection", "cells", "--reason", "review: no longer needed",
                 old["id"])
        st, _, j = self.s.get_json(ROOT + "collections/cells/objects/%s/versions/" % old["id"])
        self.assertEqual(len(j["versions"]), 1, j)
        st, _, j = self.s.get_json(ROOT + "collections/cells/objects/%s/" % old["id"])
        stub = j["objects"][0]
        self.assertTrue(stub["revoked"])
        self.assertNotIn("description", stub)
        self.assertNotIn("pattern", stub)
        log = audit(self.d)
        e = [e for e in log if e["action"] == "object.delete"][-1]
        self.assertEqual(e["actor"], "person:rel/cli")
        self.assertEqual((e["detail"]["id"], e["detail"]["why"]), (old["id"], "revoked"))
        # The stored text is the posted one, verbatim (harness: json.dumps of the envelope).
        self.assertIn(json.dumps(old).encode(), served)
        want = hashlib.blake2b(json.dumps(old).encode(), digest_size=32).hexdigest()
        self.assertEqual(e["detail"]["digests"], [want])
        self.assertEqual(e["detail"]["removed"][0][1], old["modified"])
        r = [e for e in log if e["action"] == "object.revoke"][-1]
        self.assertEqual((r["actor"], r["detail"]["reason"]), ("person:rel/cli", "review: no longer needed"))
        run_cli("audit", "verify", "--data", self.d.path)
        if not USE_PG:  # the files as they are, the server still running
            names = [n for n in os.listdir(self.d.path) if n.startswith("liaison.db")]
            self.assertIn("liaison.db", names)
            for name in names:
                with open(os.path.join(self.d.path, name), "rb") as f:
                    self.assertFalse(needle.encode() in f.read(), "deleted text still in " + name)


class ThreeInstances(TaxiiCase):
    """A deletes its object at review; B (which pulled it) and C (which imported A's signed
    file) lose their copies at the next exchange, and A has each revocation on record."""

    def test_revocation_reaches_partners(self):
        import harness
        a, b, c = DataDir(), DataDir(), DataDir()
        srv = None
        try:
            a.collection("Cells", alias="cells")
            key_a = run_cli("key", "show", "--data", a.path).stdout.strip()
            run_cli("user", "add", "--data", a.path, "--name", "rel", "--role", "releaser")
            for name in ("B", "C"):
                run_cli("partner", "add", "--data", a.path, "--name", name, "--clearance", "amber")
                run_cli("grant", "--data", a.path, "--collection", "cells", "--partner", name, "--read")
            btok = run_cli("token", "issue", "--data", a.path, "--partner", "B").stdout.split()[-1]
            srv = Server(a).start()
            needle = "needle-" + os.urandom(8).hex()
            obj = sdo(description=needle, object_marking_refs=[
                "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"])
            st, _, j = srv.post_objects("cells", [obj])
            self.assertEqual(st, 202, j)
            for d in (b, c):
                d.collection("In", alias="in")
                run_cli("partner", "add", "--data", d.path, "--name", "A", "--clearance", "amber")
            run_cli("peer", "add", "--data", b.path, "--name", "a", "--url",
                    "http://127.0.0.1:%d/taxii2/" % srv.port, "--partner", "A", "--token", btok)
            run_cli("partner", "key", "--data", c.path, "--partner", "A", "--set", key_a)

            def exchange():
                run_cli("pull", "--data", b.path, "a", "--collection", "cells", "--into", "in")
                out = os.path.join(a.tmp, "for-c-%s.bundle" % os.urandom(4).hex())
                run_cli("export", "--data", a.path, "--for", "C", "--collection", "cells", "--out", out)
                run_cli("import", "--data", c.path, "--into", "in", out)

            def held(d):
                if USE_PG:
                    out = harness.pg_admin("SELECT json FROM object WHERE id = '%s'" % obj["id"], d.pgdb)
                    return [(line,) for line in out.splitlines() if line]
                import sqlite3
                con = sqlite3.connect(os.path.join(d.path, "liaison.db"))
                try:
                    return con.execute("SELECT json FROM object WHERE id = ?", (obj["id"],)).fetchall()
                finally:
                    con.close()
            exchange()
            for d in (b, c):
                self.assertEqual(len(held(d)), 1)
                self.assertIn(needle, held(d)[0][0])
            run_cli("review", "delete", "--data", a.path, "--as", "rel", "--collection", "cells",
                    "--reason", "retention limit", obj["id"])
            exchange()
            for name, d in (("B", b), ("C", c)):
                rows = held(d)
                self.assertEqual(len(rows), 1, name)
                self.assertTrue(json.loads(rows[0][0])["revoked"], name)
                if not USE_PG:
                    for f in os.listdir(d.path):
                        if f.startswith("liaison.db"):
                            with open(os.path.join(d.path, f), "rb") as fh:
                                self.assertFalse(needle.encode() in fh.read(), "%s still holds it in %s" % (name, f))
                gone = [e for e in audit(d) if e["action"] == "object.delete"]
                self.assertEqual(len(gone), 1, name)
                self.assertEqual((gone[0]["detail"]["id"], gone[0]["detail"]["why"]), (obj["id"], "revoked"))
            # On record at A, per partner: each was sent the revocation.
            stub = [o for o in srv.get_json(ROOT + "collections/cells/objects/%s/" % obj["id"])[2]["objects"]][0]
            for name in ("B", "C"):
                shown = run_cli("audit", "show", "--data", a.path, "--partner", name).stdout
                self.assertIn(stub["modified"], shown, name)
        finally:
            if srv:
                srv.stop()
            for d in (a, b, c):
                d.cleanup()


if __name__ == "__main__":
    main()
