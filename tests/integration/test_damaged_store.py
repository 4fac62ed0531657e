"""Damaged disks: never serve damage silently, stay up when the disk fills (docs/security.md).

- Store files are created 0600 (liaison.db, -wal, -shm, -gen, keys, configuration).
- An empty (0-byte) liaison.db is refused by every command, which names `liaison store check`,
  and left as it was (it used to become a fresh, empty instance: every token refused, an empty
  audit log "intact").
- `liaison store check`: intact store, exit 0; an empty one, a damaged B-tree page of an index
  or of the object table: exit 4 and the problems listed; `serve` refuses a damaged store
  (quick check at start) and names the command, without changing the file.
- The write-ahead log stays bounded (journal_size_limit) after a burst of writes.
- Disk full: a POST gets 507 with a TAXII error naming the cause and Retry-After; every
  acknowledged object is still there; once space is freed the same server (no restart) stores
  again. The disk is a 6 MiB tmpfs mounted in a private mount namespace (unshare) around the
  server; where that cannot be mounted the test says so and skips.
- PostgreSQL: `store check --store URL` reads every table (with LIAISON_TEST_PG).
"""
import hashlib
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import tempfile
import time
import unittest
import uuid

import harness
from harness import BIN, ENV, ROOT, DataDir, Server, TaxiiCase, run_cli, sdo


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class FileModes(TaxiiCase):
    def test_store_files_are_0600(self):
        d = DataDir()
        self.addCleanup(d.cleanup)
        d.collection("Modes", alias="m")
        s = Server(d).start()
        self.addCleanup(s.stop)
        st, _, _ = s.post_objects("m", [sdo("malware")])
        self.assertEqual(st, 202)
        names = ["liaison.db", "liaison.db-wal", "liaison.db-shm", "liaison.db-gen", "signing.key",
                 "liaison.conf"]
        for n in names:
            with self.subTest(n):
                mode = stat.S_IMODE(os.stat(os.path.join(d.path, n)).st_mode)
                self.assertEqual(mode & 0o077, 0, "%s is %o" % (n, mode))


class EmptyStore(TaxiiCase):
    COMMANDS = [["serve"], ["collection", "list"], ["token", "list"], ["token", "issue", "--admin"],
                ["partner", "list"], ["audit", "verify"], ["audit", "show"], ["watch", "list"],
                ["peer", "list"], ["rfi", "list"], ["collection", "add", "--title", "x"],
                ["store", "check"]]

    def test_every_command_refuses_an_empty_store(self):
        d = DataDir()
        self.addCleanup(d.cleanup)
        db = os.path.join(d.path, "liaison.db")
        for extra in ("-wal", "-shm"):
            if os.path.exists(db + extra):
                os.unlink(db + extra)
        open(db, "w").close()  # truncated to 0 bytes
        for cmd in self.COMMANDS:
            with self.subTest(cmd[0:2]):
                p = run_cli(*(cmd + ["--data", d.path]), check=False, timeout=30)
                self.assertNotEqual(p.returncode, 0, p.stdout)
                self.assertIn("empty", p.stdout + p.stderr)
                if cmd[0] != "store":
                    self.assertIn("store check", p.stderr)
                self.assertEqual(os.path.getsize(db), 0, "the empty store was written into")
        p = run_cli("store", "check", "--data", d.path, check=False)
        self.assertEqual(p.returncode, 4, p.stdout + p.stderr)
        self.assertIn("empty", p.stdout)

    def test_a_database_without_liaison_schema_is_refused(self):
        d = DataDir()
        self.addCleanup(d.cleanup)
        db = os.path.join(d.path, "liaison.db")
        for extra in ("", "-wal", "-shm"):
            if os.path.exists(db + extra):
                os.unlink(db + extra)
        with sqlite3.connect(db) as c:
            c.execute("CREATE TABLE other(x)")
        p = run_cli("token", "list", "--data", d.path, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("no liaison store", p.stderr)
        with sqlite3.connect(db) as c:
            self.assertEqual(c.execute("SELECT count(*) FROM sqlite_master").fetchone()[0], 1)


class Check(TaxiiCase):
    def make(self, n=300):
        d = DataDir()
        self.addCleanup(d.cleanup)
        d.collection("Check", alias="c")
        s = Server(d).start()
        for _ in range(3):
            st, _, _ = s.post_objects("c", [sdo("malware", description="d" * 400)
                                            for _ in range(n // 3)])
            self.assertEqual(st, 202)
        s.stop()
        with sqlite3.connect(os.path.join(d.path, "liaison.db")) as c:
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return d

    def corrupt(self, d, table_or_index):
        """Overwrites the middle of the first page of a B-tree (as a bad sector would)."""
        db = os.path.join(d.path, "liaison.db")
        with sqlite3.connect(db) as c:
            page_size = c.execute("PRAGMA page_size").fetchone()[0]
            root = c.execute("SELECT rootpage FROM sqlite_master WHERE name = ?",
                             (table_or_index,)).fetchone()[0]
            # a leaf of the b-tree when the root is interior: the last page it points to
            pages = [r[0] for r in c.execute("SELECT pageno FROM dbstat WHERE name = ? AND "
                                             "pagetype = 'leaf' ORDER BY pageno",
                                             (table_or_index,))] if self.has_dbstat(c) else []
        page = pages[len(pages) // 2] if pages else root
        with open(db, "r+b") as f:
            f.seek((page - 1) * page_size + 8)
            f.write(os.urandom(64) + b"\xff" * 64)
        return db

    @staticmethod
    def has_dbstat(c):
        try:
            c.execute("SELECT 1 FROM dbstat LIMIT 1").fetchall()
            return True
        except sqlite3.Error:
            return False

    def test_intact(self):
        d = self.make(30)
        p = run_cli("store", "check", "--data", d.path)
        self.assertIn("intact (PRAGMA integrity_check)", p.stdout)
        p = run_cli("store", "check", "--data", d.path, "--quick")
        self.assertIn("intact (PRAGMA quick_check)", p.stdout)

    def test_damaged_index_and_table(self):
        for victim in ("object_page", "object"):
            with self.subTest(victim):
                d = self.make()
                db = self.corrupt(d, victim)
                p = run_cli("store", "check", "--data", d.path, check=False)
                self.assertEqual(p.returncode, 4, p.stdout + p.stderr)
                self.assertIn("problem:", p.stdout)
                self.assertIn("damaged:", p.stdout)
                before = sha(db)
                s = Server(d)
                with self.assertRaises(AssertionError) as cm:
                    s.start()
                s.errlog.close()
                self.assertIn("refusing to serve a damaged store", str(cm.exception))
                self.assertIn("liaison store check --data " + d.path, str(cm.exception))
                self.assertEqual(sha(db), before, "serve changed the damaged store")
                # an operator who knows better may still serve it
                s = Server(d, sets=["store_check=none"]).start()
                s.stop()


    def test_changed_object_byte(self):
        """A byte of an object's text changed on disk (no B-tree damage, so integrity_check
        sees nothing) differs from the digest taken when it was written (issue 16): store check
        and serve's check find it and name the version."""
        d = self.make(30)
        db = os.path.join(d.path, "liaison.db")
        with open(db, "r+b") as f:
            data = f.read()
            at = data.find(b"d" * 400)
            self.assertNotEqual(at, -1)
            while at != -1:  # every copy of the text (the search index's too)
                f.seek(at + 200)
                f.write(b"e")
                at = data.find(b"d" * 400, at + 400)
        for quick in ([], ["--quick"]):
            p = run_cli("store", "check", "--data", d.path, *quick, check=False)
            self.assertEqual(p.returncode, 4, p.stdout + p.stderr)
            self.assertIn("differs from the digest taken when it was written", p.stdout)
            self.assertRegex(p.stdout, r"object malware--[0-9a-f-]+ version")
        s = Server(d)
        with self.assertRaises(AssertionError) as cm:
            s.start()
        s.errlog.close()
        self.assertIn("refusing to serve a damaged store", str(cm.exception))

    def test_changed_object_byte_is_never_served(self):
        """Damage that comes after serve's start-up check: reads check a sample of what they
        serve against the digests (digest_sample; 1 = every version), and a changed version
        fails the read (500, logged as object_damaged) instead of going out."""
        d = self.make(30)
        db = os.path.join(d.path, "liaison.db")
        with open(db, "r+b") as f:
            data = f.read()
            at = data.find(b"d" * 400)
            self.assertNotEqual(at, -1)
            while at != -1:  # every copy of the text (the search index's too)
                f.seek(at + 100)
                f.write(b"e")
                at = data.find(b"d" * 400, at + 400)
        path = ROOT + "collections/c/objects/?limit=100"
        s = Server(d, sets=["store_check=none", "digest_sample=1"]).start()
        try:
            st, _, body = s.request("GET", path)
        finally:
            s.stop()
        log = s.stderr_text
        self.assertEqual(st, 500, body[:300])
        self.assertNotIn(b"d" * 100 + b"e", body)
        self.assertIn("object_damaged", log)
        self.assertIn("differs from the digest", log)
        # an operator may turn the check off: then the changed bytes go out as stored
        s = Server(d, sets=["store_check=none", "digest_sample=0"]).start()
        try:
            st, _, body = s.request("GET", path)
        finally:
            s.stop()
        self.assertEqual(st, 200)
        self.assertIn(b"d" * 100 + b"e", body)


class WalBound(TaxiiCase):
    def test_wal_bounded_after_a_burst(self):
        d = DataDir()
        self.addCleanup(d.cleanup)
        d.collection("Wal", alias="w")
        s = Server(d).start()
        self.addCleanup(s.stop)
        for _ in range(6):  # ~4 MB of object text a transaction, with indexes and search: more
            st, _, _ = s.post_objects("w", [sdo("malware", description=os.urandom(500).hex())
                                            for _ in range(4000)])
            self.assertEqual(st, 202)
        time.sleep(1.5)  # the checkpointer catches up
        st, _, _ = s.post_objects("w", [sdo("malware")])  # restarts the log
        self.assertEqual(st, 202)
        wal = os.path.getsize(os.path.join(d.path, "liaison.db-wal"))
        db = os.path.getsize(os.path.join(d.path, "liaison.db"))
        print("liaison.db %.1f MB, liaison.db-wal %.1f MB" % (db / 1e6, wal / 1e6))
        self.assertLessEqual(wal, 8 * 1024 * 1024 + 64 * 1024)


def unshare_prefix():
    """A command prefix running a program in a private mount namespace where it may mount, or
    None when this machine allows neither (root: --mount; others: a user namespace)."""
    for prefix in (["unshare", "--mount", "--propagation", "private"],
                   ["unshare", "--user", "--map-root-user", "--mount"]):
        try:
            p = subprocess.run(prefix + ["sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"],
                               capture_output=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if p.returncode == 0:
            return prefix
    return None


class DiskFull(TaxiiCase):
    def test_507_nothing_lost_recovers_without_restart(self):
        prefix = unshare_prefix()
        if not prefix:
            self.skipTest("cannot mount a small tmpfs here (needs root or user namespaces)")
        d = DataDir()
        self.addCleanup(d.cleanup)
        d.collection("Full", alias="f")
        mnt = tempfile.mkdtemp(prefix="liaison-full-")
        self.addCleanup(shutil.rmtree, mnt, True)
        port = harness.free_port()
        script = ('mount -t tmpfs -o size=6m tmpfs "$1" && cp -a "$2"/. "$1"/ && '
                  'exec "$3" serve --data "$1" --listen 127.0.0.1:"$4" --set rate_limit=0')
        log = tempfile.TemporaryFile()
        proc = subprocess.Popen(prefix + ["sh", "-c", script, "sh", mnt, d.path, BIN, str(port)],
                                stdout=subprocess.DEVNULL, stderr=log, env=ENV)
        harness._LIVE.append(proc)
        s = Server(d)
        s.port = port
        s.proc = proc
        s.errlog = log
        self.addCleanup(s.stop)
        for _ in range(300):
            try:
                if s.request("GET", "/healthz", auth=False, timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            self.assertIsNone(proc.poll(), "the server did not start")
            time.sleep(0.1)
        # The disk, seen from inside the server's namespace.
        disk = "/proc/%d/root%s" % (proc.pid, mnt)
        filler = os.path.join(disk, "filler")
        free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
        with open(filler, "wb") as f:
            f.write(b"\0" * max(0, free - 1024 * 1024))  # leave about 1 MiB
        acked, full = [], None
        for _ in range(200):
            batch = [sdo("malware", description=os.urandom(1000).hex()) for _ in range(40)]
            st, hd, body = s.request("POST", ROOT + "collections/f/objects/",
                                     body={"objects": batch})
            if st == 202:
                acked += [o["id"] for o in batch]
                continue
            full = (st, hd, body)
            break
        self.assertIsNotNone(full, "the disk never filled")
        j = self.assertTaxiiError(full, 507, "disk is full")
        self.assertGreaterEqual(int(full[1]["Retry-After"]), 1)
        self.assertGreater(len(acked), 0)
        # every acknowledged object is there, read while the disk is still full
        held = {o["id"] for o in s.objects_all("f")}
        self.assertEqual(set(acked) - held, set(), "acknowledged objects were lost")
        os.unlink(filler)
        st, _, out = s.post_objects("f", [sdo("malware")])
        self.assertEqual(st, 202, "no recovery without a restart: %r" % (out,))
        self.assertEqual(out["success_count"], 1)
        self.assertTrue(j["title"])


@unittest.skipUnless(harness.PG_URL, "needs LIAISON_TEST_PG")
class PgCheck(TaxiiCase):
    def test_check_reads_every_table(self):
        name = "liaison_test_" + uuid.uuid4().hex[:12]
        harness.pg_admin("CREATE DATABASE %s" % name)
        self.addCleanup(harness.pg_admin, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
        d = DataDir(store=harness.pg_database_url(name))
        d.pgdb = name  # d.sql() on it
        self.addCleanup(d.cleanup)
        d.collection("Pg", alias="p")
        p = run_cli("store", "check", "--data", d.path)
        self.assertIn("intact (every table read whole", p.stdout)
        s = Server(d).start()
        self.assertEqual(s.post_objects("p", [sdo("malware", description="kept")])[0], 202)
        s.stop()
        run_cli("store", "check", "--data", d.path)
        d.sql("UPDATE object SET json = replace(json, 'kept', 'kepT')")
        p = run_cli("store", "check", "--data", d.path, check=False)
        self.assertEqual(p.returncode, 4, p.stdout + p.stderr)
        self.assertIn("differs from the digest taken when it was written", p.stdout)


if __name__ == "__main__":
    harness.main()
