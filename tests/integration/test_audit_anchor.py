"""Anchored audit (issue 27.2): signed heads, checkpoints witnessed by partners.

Algiers and Washington, each with the other's key registered. Every pull Washington makes,
every push it receives an answer to, and every signed file it imports from Algiers leaves it
holding Algiers' latest signed checkpoint (`audit witness`); Algiers keeps Washington's from
its pushes. Then Algiers' log is tampered with in each way the issue lists, on copies of its
data directory: newest rows deleted (and the server writing on), the head rewritten in meta,
a middle entry removed and the chain computed again, everything deleted. `audit verify` must
find each one, against a checkpoint file or against the witnesses asked over the network.
"""
import hashlib
import os
import shutil
import sqlite3
import struct

import harness
from harness import ROOT, TaxiiCase, run_cli, sdo


def key_of(data):
    return run_cli("key", "show", "--data", data.path).stdout.split()[-1]


def chain_hash(prev, seq, ts, actor, action, detail):
    """src/audit/chain.c's entry hash, as a tool of 20 lines would recompute it."""
    h = hashlib.blake2b(digest_size=32)
    h.update(b"liaison-audit-v1")
    h.update(prev)
    h.update(struct.pack(">QQ", seq, ts))
    for s in (actor, action, detail):
        b = s.encode()
        h.update(struct.pack(">Q", len(b)))
        h.update(b)
    return h.digest()


class AnchorTest(TaxiiCase):
    @classmethod
    def setUpClass(cls):
        cls.alg = harness.DataDir()
        cls.was = harness.DataDir()
        a, w = cls.alg.path, cls.was.path
        cls.cells = cls.alg.collection("Cells", "cells")
        run_cli("partner", "add", "--data", a, "--name", "US", "--clearance", "amber")
        run_cli("partner", "key", "--data", a, "--partner", "US", "--set", key_of(cls.was))
        run_cli("grant", "--data", a, "--collection", "cells", "--partner", "US", "--read",
                "--write")
        run_cli("partner", "add", "--data", w, "--name", "Algiers", "--clearance", "amber")
        run_cli("partner", "key", "--data", w, "--partner", "Algiers", "--set", key_of(cls.alg))
        cls.mine = cls.was.collection("Ours", "ours")
        run_cli("grant", "--data", w, "--collection", "ours", "--partner", "Algiers", "--read")
        cls.alg_srv = harness.Server(cls.alg).start()
        cls.was_srv = harness.Server(cls.was).start()
        us_tok = run_cli("token", "issue", "--data", a, "--partner", "US").stdout.split()[-1]
        alg_tok = run_cli("token", "issue", "--data", w, "--partner", "Algiers").stdout.split()[-1]
        run_cli("peer", "add", "--data", w, "--name", "algiers", "--url",
                "http://127.0.0.1:%d/taxii2/" % cls.alg_srv.port, "--partner", "Algiers",
                "--token", us_tok)
        run_cli("peer", "add", "--data", a, "--name", "washington", "--url",
                "http://127.0.0.1:%d/taxii2/" % cls.was_srv.port, "--partner", "US",
                "--token", alg_tok)
        st, _, j = cls.alg_srv.post_objects("cells", [sdo(name="cell %d" % i) for i in range(3)])
        assert st == 202 and j["success_count"] == 3, j

    @classmethod
    def tearDownClass(cls):
        cls.alg_srv.stop()
        cls.was_srv.stop()
        cls.alg.cleanup()
        cls.was.cleanup()

    def witness(self, data, partner):
        p = run_cli("audit", "witness", "--data", data.path, "--partner", partner)
        return [l for l in p.stdout.splitlines() if l]

    def test_1_checkpoints_travel(self):
        a, w = self.alg.path, self.was.path
        head = run_cli("audit", "head", "--data", a).stdout.strip()
        self.assertTrue(head.startswith("liaison-audit-checkpoint/1 identity--"), head)
        self.assertEqual(len(head.split(" ")), 6)
        v = run_cli("audit", "verify", "--data", a).stdout
        self.assertIn("(signed)", v)
        self.assertEqual(self.witness(self.was, "Algiers"), [])
        # A pull served: Washington keeps Algiers' checkpoint, which names the pull's record.
        run_cli("pull", "--data", w, "algiers", "--collection", self.cells, "--into", self.mine)
        got = self.witness(self.was, "Algiers")
        self.assertEqual(len(got), 1)
        self.assertGreater(int(got[0].split(" ")[2]), int(head.split(" ")[2]))
        # A push: Algiers keeps Washington's, and Washington the one Algiers answers with.
        self.assertEqual(self.was_srv.post_objects("ours", [sdo(name="ours")])[0], 202)
        run_cli("push", "--data", w, "algiers", "--collection", "ours", "--to", self.cells)
        theirs = self.witness(self.alg, "US")
        self.assertEqual(len(theirs), 1)
        self.assertEqual(len(self.witness(self.was, "Algiers")), 2)
        # An export: the signed file carries the checkpoint; the importer keeps it.
        out = os.path.join(self.alg.tmp, "for-us.bundle")
        run_cli("export", "--data", a, "--for", "US", "--collection", "cells", "--out", out)
        with open(out) as f:
            self.assertIn('"checkpoint":"liaison-audit-checkpoint/1 ', f.readline())
        run_cli("import", "--data", w, "--into", "ours", out)
        self.assertEqual(len(self.witness(self.was, "Algiers")), 3)
        # Algiers asks Washington for what it keeps: all three match.
        v = run_cli("audit", "verify", "--data", a, "--witnesses").stdout
        self.assertIn("peer washington keeps 3 checkpoints", v)
        self.assertIn("3 checkpoints matched", v)
        # A checkpoint from someone else's log is refused, not silently ignored.
        other = os.path.join(self.alg.tmp, "other.cp")
        with open(other, "w") as f:
            f.write(self.witness(self.alg, "US")[0] + "\n")
        p = run_cli("audit", "verify", "--data", a, "--checkpoint", other, check=False)
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertIn("not signed by this instance's key", p.stderr)
        # And a file that is not one is a usage error.
        with open(other, "w") as f:
            f.write("6:abcd\n")
        p = run_cli("audit", "verify", "--data", a, "--checkpoint", other, check=False)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("not an audit checkpoint", p.stderr)

    def tampered_copy(self, name):
        """A copy of Algiers' data directory (its store and key), for one tampering."""
        dst = os.path.join(self.alg.tmp, name)
        shutil.copytree(self.alg.path, dst)
        return dst

    def verify(self, data, *extra):
        return run_cli("audit", "verify", "--data", data, *extra, check=False)

    def assertTampered(self, p, words=None):
        self.assertEqual(p.returncode, 4, p.stdout + p.stderr)
        self.assertIn("TAMPERED", p.stderr)
        if words:
            self.assertIn(words, p.stderr)

    def checkpoint_file(self):
        """What Washington keeps of Algiers' log, as Washington would hand it over."""
        path = os.path.join(self.alg.tmp, "from-washington.cp")
        with open(path, "w") as f:
            f.write("\n".join(self.witness(self.was, "Algiers")) + "\n")
        return path

    def test_2_each_tampering_is_found(self):
        if harness.USE_PG:
            self.skipTest("tampers with SQLite copies")
        self.alg_srv.stop()
        try:
            cp = self.checkpoint_file()
            intact = self.verify(self.alg.path, "--checkpoint", cp, "--witnesses")
            self.assertEqual(intact.returncode, 0, intact.stderr)

            # 1. Newest rows deleted; then the instance writes on, reusing the numbers, under
            #    a head it signs itself: only what others hold tells.
            d = self.tampered_copy("cut")
            db = sqlite3.connect(os.path.join(d, "liaison.db"))
            last = db.execute("SELECT max(seq) FROM audit").fetchone()[0]
            db.execute("DELETE FROM audit WHERE seq > ?", (last - 3,))
            db.commit()
            db.close()
            self.assertTampered(self.verify(d), "removed from the end")
            run_cli("collection", "add", "--data", d, "--title", "after the cut")
            run_cli("collection", "add", "--data", d, "--title", "and another")
            run_cli("collection", "add", "--data", d, "--title", "and a third")
            run_cli("collection", "add", "--data", d, "--title", "and a fourth")
            self.assertEqual(self.verify(d).returncode, 0)  # locally it cannot be told
            self.assertTampered(self.verify(d, "--checkpoint", cp), "checkpoint")
            self.assertTampered(self.verify(d, "--witnesses"), "checkpoint")

            # 2. The head rewritten in meta (to name an earlier entry, unsigned).
            d = self.tampered_copy("head")
            db = sqlite3.connect(os.path.join(d, "liaison.db"))
            db.execute("DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)")
            seq, h = db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
            db.execute("UPDATE meta SET value = ? WHERE key = 'audit_head'", ("%d:%s" % (seq, h.hex()),))
            db.commit()
            db.close()
            self.assertTampered(self.verify(d), "not a signed checkpoint")

            # 3. A middle entry removed and the chain computed again (renumbered, rehashed,
            #    the head put back as the last hash).
            d = self.tampered_copy("middle")
            db = sqlite3.connect(os.path.join(d, "liaison.db"))
            rows = db.execute("SELECT seq, ts, actor, action, detail FROM audit ORDER BY seq").fetchall()
            del rows[len(rows) // 2]
            db.execute("DELETE FROM audit")
            prev = bytes(32)
            for n, (_, ts, actor, action, detail) in enumerate(rows, 1):
                h = chain_hash(prev, n, ts, actor, action, detail)
                db.execute("INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (n, ts, actor, action, detail, prev, h))
                prev = h
            db.execute("UPDATE meta SET value = ? WHERE key = 'audit_head'",
                       ("%d:%s" % (len(rows), prev.hex()),))
            db.commit()
            db.close()
            self.assertTampered(self.verify(d), "not a signed checkpoint")
            self.assertTampered(self.verify(d, "--checkpoint", cp))
            self.assertTampered(self.verify(d, "--witnesses"))

            # 4. Everything deleted.
            d = self.tampered_copy("wiped")
            db = sqlite3.connect(os.path.join(d, "liaison.db"))
            db.execute("DELETE FROM audit")
            db.execute("DELETE FROM meta WHERE key = 'audit_head'")
            db.commit()
            db.close()
            self.assertTampered(self.verify(d), "wiped")
            self.assertTampered(self.verify(d, "--checkpoint", cp), "wiped")
            self.assertTampered(self.verify(d, "--witnesses"), "wiped")
        finally:
            self.alg_srv.start()


if __name__ == "__main__":
    harness.main()
