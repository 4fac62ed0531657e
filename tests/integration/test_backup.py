"""Backups (issue 24.2): `liaison backup` while the server writes, `liaison restore`, and the
PostgreSQL dump-restore round trip docs/backup.md describes.

- Under concurrent ingest, every batch acknowledged before the backup began is in it, and
  every batch is in it whole or not at all; the restored chain verifies and serves.
- A truncated, extended or damaged file, and a non-empty target, are refused, and nothing is
  left behind (the target directory is not created; a non-empty one is left as it was).
"""
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import unittest
import uuid

from harness import (PG_URL, ROOT, DataDir, Server, TaxiiCase, main, pg_admin, pg_database_url,
                     run_cli, sdo)


def tree(path):
    """{name: sha256} of the files in path."""
    out = {}
    for n in sorted(os.listdir(path)):
        with open(os.path.join(path, n), "rb") as f:
            out[n] = hashlib.sha256(f.read()).hexdigest()
    return out


class BackupTest(TaxiiCase):
    def setUp(self):
        self.d = DataDir(store="")
        self.addCleanup(self.d.cleanup)
        self.coll = self.d.collection("c", "c")
        self.tmp = self.d.tmp

    def test_backup_under_concurrent_ingest(self):
        s = Server(self.d).start()
        self.addCleanup(s.stop)
        batches = []  # (ids, acknowledged)
        started = threading.Event()
        stop = threading.Event()
        errors = []

        def post():
            try:
                while not stop.is_set():
                    objs = [sdo(name="b%d-%d" % (len(batches), i)) for i in range(25)]
                    st, _, j = s.post_objects(self.coll, objs)
                    ok = st == 202 and j["success_count"] == len(objs)
                    batches.append(([o["id"] for o in objs], ok))
                    if len(batches) >= 4:
                        started.set()
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)
                started.set()
        writers = [threading.Thread(target=post) for _ in range(2)]
        for w in writers:
            w.start()
        self.assertTrue(started.wait(60))
        acked_before = [ids for ids, ok in list(batches) if ok]
        out = os.path.join(self.tmp, "b.bak")
        p = run_cli("backup", "--data", self.d.path, "--out", out)
        n_during = len(batches)
        # keep writing a little after the backup, then stop
        while len(batches) < n_during + 4 and not errors:
            threading.Event().wait(0.05)
        stop.set()
        for w in writers:
            w.join(60)
        self.assertEqual(errors, [])
        self.assertIn("chain verified", p.stdout)
        self.assertEqual(os.stat(out).st_mode & 0o777, 0o600)
        self.assertEqual([n for n in os.listdir(self.tmp) if "partial" in n], [])
        target = os.path.join(self.tmp, "restored")
        p = run_cli("restore", out, "--data", target)
        self.assertIn("chain verified", p.stdout)
        with sqlite3.connect(os.path.join(target, "liaison.db")) as c:
            have = {r[0] for r in c.execute("SELECT id FROM object")}
        for ids in acked_before:
            self.assertTrue(set(ids) <= have, "a batch acknowledged before the backup is missing")
        whole = 0
        for ids, ok in batches:
            n = len(set(ids) & have)
            self.assertIn(n, (0, len(ids)), "a batch is in the backup in part")
            whole += n == len(ids)
        self.assertGreaterEqual(whole, len(acked_before))
        self.assertLess(whole, len(batches), "the backup holds batches posted after it")
        run_cli("audit", "verify", "--data", target)
        # The restored instance serves, with the original's tokens.
        r = DataDir.__new__(DataDir)
        r.path, r.admin, r.pgdb, r.tmp = target, self.d.admin, None, self.tmp
        rs = Server(r).start()
        try:
            got = {o["id"] for o in rs.objects_all(self.coll)}
        finally:
            rs.stop()
        self.assertEqual(got, have)
        # The backup is on record in the source's audit log.
        audit = run_cli("audit", "show", "--data", self.d.path).stdout
        self.assertIn('"action":"store.backup"', audit)

    def test_damaged_files_refused_and_nothing_left(self):
        out = os.path.join(self.tmp, "b.bak")
        run_cli("backup", "--data", self.d.path, "--out", out)
        p = run_cli("backup", "--data", self.d.path, "--out", out, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("exists", p.stderr)
        with open(out, "rb") as f:
            data = f.read()
        header_end = data.index(b"\n", 20) + 1
        cases = {
            "truncated in the header": data[:header_end - 30],
            "truncated in the store": data[:header_end + 5000],
            "one byte short": data[:-1],
            "a byte more": data + b"x",
            "a flipped byte in the store": data[:header_end + 3000] + bytes([data[header_end + 3000] ^ 1]) + data[header_end + 3001:],
            "a changed header": data.replace(b'"entries":', b'"entries":1', 1),
            "empty": b"",
            "not a backup": b"SQLite format 3\x00" + data[16:],
        }
        for what, body in cases.items():
            bad = os.path.join(self.tmp, "bad.bak")
            with open(bad, "wb") as f:
                f.write(body)
            target = os.path.join(self.tmp, "t")
            p = run_cli("restore", bad, "--data", target, check=False)
            self.assertNotEqual(p.returncode, 0, what)
            self.assertRegex(p.stderr, r"truncated|damaged|not a liaison backup|after its end", what)
            self.assertIn("nothing restored", p.stderr, what)
            self.assertFalse(os.path.exists(target), what)
        # A target that holds anything is refused and left as it was.
        os.makedirs(os.path.join(self.tmp, "busy"))
        with open(os.path.join(self.tmp, "busy", "liaison.db"), "w") as f:
            f.write("mine")
        before = tree(os.path.join(self.tmp, "busy"))
        p = run_cli("restore", out, "--data", os.path.join(self.tmp, "busy"), check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("not empty", p.stderr)
        self.assertEqual(tree(os.path.join(self.tmp, "busy")), before)
        # The good file still restores.
        run_cli("restore", out, "--data", os.path.join(self.tmp, "ok"))


@unittest.skipUnless(PG_URL, "LIAISON_TEST_PG is not set")
class PgDumpRoundTripTest(TaxiiCase):
    """docs/backup.md's PostgreSQL recipe: pg_dump -Fc, pg_restore into a new database, point
    a copy of the data directory at it; the audit chain ends at the same head."""

    def test_dump_restore(self):
        db = "liaison_test_" + uuid.uuid4().hex[:12]
        pg_admin("CREATE DATABASE %s" % db)
        d = DataDir(store=pg_database_url(db))
        d.pgdb = db
        self.addCleanup(d.cleanup)
        coll = d.collection("c", "c")
        s = Server(d).start()
        objs = [sdo(name="o%d" % i) for i in range(30)]
        self.assertEqual(s.post_objects(coll, objs)[0], 202)
        s.stop()
        p = run_cli("backup", "--data", d.path, "--out", os.path.join(d.tmp, "x.bak"), check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("pg_dump", p.stderr)
        head = run_cli("audit", "verify", "--data", d.path).stdout.strip().split()[-1]
        dump = os.path.join(d.tmp, "liaison.dump")
        subprocess.run(["pg_dump", "-Fc", "--no-owner", "-f", dump, d.store], check=True,
                       capture_output=True, timeout=120)
        db2 = "liaison_test_" + uuid.uuid4().hex[:12]
        pg_admin("CREATE DATABASE %s" % db2)
        self.addCleanup(pg_admin, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % db2)
        subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "-d", pg_database_url(db2),
                        dump], check=True, capture_output=True, timeout=120)
        copy = os.path.join(d.tmp, "copy")
        shutil.copytree(d.path, copy)
        conf = os.path.join(copy, "liaison.conf")
        with open(conf) as f:
            text = f.read()
        with open(conf, "w") as f:
            f.write(re.sub(r"(?m)^store = .*$", "store = " + pg_database_url(db2), text))
        p = run_cli("audit", "verify", "--data", copy)
        self.assertEqual(p.stdout.strip().split()[-1], head)
        r = DataDir.__new__(DataDir)
        r.path, r.admin, r.pgdb, r.tmp = copy, d.admin, None, d.tmp
        rs = Server(r).start()
        try:
            got = sorted(o["id"] for o in rs.objects_all(coll))
        finally:
            rs.stop()
        self.assertEqual(got, sorted(o["id"] for o in objs))


if __name__ == "__main__":
    main()
