"""`liaison store copy`: SQLite -> PostgreSQL -> SQLite keeps every table.

An instance with collections, partners, grants, tokens, objects (with
releasability audiences), statuses and an audit chain is copied to a new
PostgreSQL database and back to a new SQLite file; each copy reports the same
row count and hash for every table, the audit chain verifies, a non-empty
target is refused, and a server on the copy answers the same manifest (and
accepts a `next` token made before the copy).

Needs LIAISON_TEST_PG (.ci/run sets it); skipped, saying so, without it.
"""
import os
import re
import unittest

import harness
from harness import DataDir, Server, TaxiiCase, run_cli, sdo


@unittest.skipUnless(harness.PG_URL, "LIAISON_TEST_PG is not set: PostgreSQL tests skipped")
class StoreCopy(TaxiiCase):
    def test_round_trip(self):
        d = DataDir(store=os.path.join(harness.tempfile.mkdtemp(prefix="liaison-copy-"), "s.db"))
        self.addCleanup(d.cleanup)
        d.collection("copy", "copy")
        run_cli("partner", "add", "--data", d.path, "--name", "US", "--country", "US", check=False)
        s = Server(d).start()
        objs = [sdo() for _ in range(120)]
        self.assertEqual(s.post_objects("copy", objs)[0], 202)
        st, _, j = s.get_json(harness.ROOT + "collections/copy/manifest/?limit=50")
        self.assertEqual(st, 200)
        before = s.manifest_all("copy")
        s.stop()

        name = "liaison_test_" + os.urandom(6).hex()
        harness.pg_admin("CREATE DATABASE %s" % name)
        self.addCleanup(harness.pg_admin, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
        pg = harness.pg_database_url(name)
        src = d.store
        out1 = run_cli("store", "copy", "--from", src, "--to", pg).stdout
        back = os.path.join(d.tmp, "back.db")
        out2 = run_cli("store", "copy", "--from", pg, "--to", "sqlite:" + back).stdout
        table = lambda out: re.findall(r"^(\w+)\s+(\d+) rows\s+(\w+)\s+same$", out, re.M)
        self.assertTrue(table(out1))
        self.assertEqual(table(out1), table(out2), out1 + out2)
        self.assertIn(("object", "120"), [(t, n) for t, n, _ in table(out1)])
        # A non-empty target is refused and left alone.
        p = run_cli("store", "copy", "--from", src, "--to", pg, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("not empty", p.stderr)
        # A server on the PostgreSQL copy answers the same, and honours an old next token.
        d2 = DataDir.__new__(DataDir)
        d2.tmp, d2.path, d2.pgdb, d2.store, d2.admin = d.tmp, d.path, None, pg, d.admin
        s2 = Server(d2, sets=["store=" + pg]).start()
        try:
            self.assertEqual(s2.manifest_all("copy"), before)
            st, _, j2 = s2.get_json(harness.ROOT + "collections/copy/manifest/?limit=50&next=" + j["next"])
            self.assertEqual(st, 200, j2)
            self.assertEqual([e["id"] for e in j2["objects"]], [e["id"] for e in before[50:100]])
        finally:
            s2.stop()
        run_cli("audit", "verify", "--data", d.path)


if __name__ == "__main__":
    harness.main()
