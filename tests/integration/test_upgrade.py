"""Upgrades (issue 24.4): a store written by the previous release is refused until
`liaison migrate` brings it forward, and then holds every object version, grant, token, RFI and
audit entry it held, with the audit chain verifying.

The stores are fixtures made by liaison at 86ec030 (main before numbered migrations; there is
no release tag yet), committed under tests/upgrade/86ec030/ by scripts/make-upgrade-fixture:
its SQLite file, and for PostgreSQL a pg_dump that this test loads into a new database. Each
fixture's expected.json is what that liaison served and printed about its own store.

The schema of a migrated store must also equal that of a new one (same tables, same columns):
a column added to src/store/schema.c without a migration fails here (docs/upgrades.md).
"""
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

from harness import (PG_URL, ROOT, SOURCE, DataDir, Server, TaxiiCase, main, pg_admin,
                     pg_database_url, run_cli)

FIXTURE = os.path.join(SOURCE, "tests", "upgrade", "86ec030")


def pg_columns(db):
    rows = pg_admin("SELECT table_name || '.' || column_name FROM information_schema.columns"
                    " WHERE table_schema = 'public'", db)
    return set(rows.split())


def pg_indexes(db):
    return set(pg_admin("SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'",
                        db).splitlines())


def sqlite_indexes(path):
    with sqlite3.connect(path) as c:
        return {" ".join(r[0].split()) for r in c.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}


def sqlite_columns(path):
    with sqlite3.connect(path) as c:
        tables = [r[0] for r in c.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'search_%'"
            " AND name NOT LIKE 'sqlite_%'")]
        return {"%s.%s" % (t, r[1]) for t in tables
                for r in c.execute("SELECT * FROM pragma_table_info(?)", (t,))}


class UpgradeCase:
    backend = None

    def load(self):
        """A data directory holding the fixture's store; returns its path."""
        raise NotImplementedError

    def columns(self, data):
        raise NotImplementedError

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="liaison-upgrade-")
        self.fixture = os.path.join(FIXTURE, self.backend)
        with open(os.path.join(self.fixture, "expected.json")) as f:
            self.expected = json.load(f)
        self.data = self.load()

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_refused_then_migrated_with_everything_intact(self):
        d = self.data
        # Every command refuses the old store, naming the command to run, and changes nothing.
        for args in (["serve", "--data", d.path, "--listen", "127.0.0.1:1"],
                     ["token", "list", "--data", d.path], ["audit", "verify", "--data", d.path]):
            p = run_cli(*args, check=False)
            self.assertNotEqual(p.returncode, 0, args)
            self.assertIn("liaison migrate", p.stderr, args)
            self.assertIn("schema version 3", p.stderr)  # 86ec030: 3 on both
        if self.backend == "sqlite":
            self.assertIn("liaison migrate --data %s" % d.path, p.stderr)
        p = run_cli("migrate", "--data", d.path)
        self.assertRegex(p.stdout, r"migrated from schema version 3 to \d+")
        p = run_cli("migrate", "--data", d.path)
        self.assertIn("nothing to do", p.stdout)
        p = run_cli("audit", "verify", "--data", d.path)
        self.assertIn("intact", p.stdout)
        s = Server(d).start()
        try:
            for coll, objs in self.expected["collections"].items():
                got = s.objects_all(coll, {"match[version]": "all",
                                           "match[spec_version]": "2.0,2.1"})
                got.sort(key=lambda o: (o["id"], o["modified"]))
                self.assertEqual(len(got), len(objs), coll)
                self.assertEqual(got, objs, coll)
            for name, want in self.expected["partners"].items():
                st, _, j = s.get_json(ROOT + "collections/", token=want["token"])
                self.assertEqual(st, 200, name)
                rights = sorted([[c["id"], c["can_read"], c["can_write"]]
                                 for c in j["collections"]])
                self.assertEqual(rights, want["collections"], name)
        finally:
            s.stop()
        rfis = json.loads(run_cli("rfi", "list", "--data", d.path, "--json").stdout)
        self.assertEqual(len(rfis), len(self.expected["rfis"]))
        by_id = {r["id"]: r for r in rfis}
        for want in self.expected["rfis"]:
            got = by_id[want["id"]]
            for k, v in want.items():
                self.assertEqual(got.get(k), v, (want["id"], k))
        audit = [json.loads(line) for line in
                 run_cli("audit", "show", "--data", d.path).stdout.splitlines() if line]
        self.assertEqual(audit[:len(self.expected["audit"])], self.expected["audit"])
        run_cli("audit", "verify", "--data", d.path)
        # Migration 6 took every stored version's digest: a full check verifies them all.
        self.assertEqual(self.null_digests(d), 0)
        self.assertIn("intact", run_cli("store", "check", "--data", d.path).stdout)
        # The migrated schema is the schema of a new store: its columns, and its indexes as
        # defined (an index changed in src/store/schema.c, such as migration 26's wider
        # object_page, is not remade by CREATE INDEX IF NOT EXISTS: only by its migration).
        fresh = self.fresh()
        try:
            self.assertEqual(self.columns(d), self.columns(fresh),
                             "a migrated store differs from a new one: a change to "
                             "src/store/schema.c without its migration? (docs/upgrades.md)")
            self.assertEqual(self.indexes(d), self.indexes(fresh),
                             "a migrated store's indexes differ from a new one's: an index"
                             " changed in src/store/schema.c without its migration?")
        finally:
            fresh.cleanup()


class SqliteUpgradeTest(UpgradeCase, TaxiiCase):
    backend = "sqlite"

    def load(self):
        d = DataDir.__new__(DataDir)
        d.tmp, d.pgdb, d.store = self.tmp, None, None
        d.path = os.path.join(self.tmp, "data")
        shutil.copytree(self.fixture, d.path)
        os.remove(os.path.join(d.path, "expected.json"))
        os.chmod(d.path, 0o700)
        d.admin = self.expected["admin_token"]
        return d

    def columns(self, d):
        return sqlite_columns(os.path.join(d.path, "liaison.db"))

    def indexes(self, d):
        return sqlite_indexes(os.path.join(d.path, "liaison.db"))

    def fresh(self):
        return DataDir(store="")

    def null_digests(self, d):
        with sqlite3.connect(os.path.join(d.path, "liaison.db")) as c:
            return c.execute("SELECT count(*) FROM object WHERE digest IS NULL").fetchone()[0]


@unittest.skipUnless(PG_URL, "LIAISON_TEST_PG is not set")
class PgUpgradeTest(UpgradeCase, TaxiiCase):
    backend = "pg"

    def load(self):
        d = DataDir.__new__(DataDir)
        d.tmp = self.tmp
        d.pgdb = "liaison_test_" + os.urandom(6).hex()
        pg_admin("CREATE DATABASE %s" % d.pgdb)
        self.addCleanup(pg_admin, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % d.pgdb)
        d.store = pg_database_url(d.pgdb)
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f",
                        os.path.join(self.fixture, "dump.sql"), d.store],
                       check=True, capture_output=True, timeout=120)
        d.path = os.path.join(self.tmp, "data")
        shutil.copytree(self.fixture, d.path)
        for f in ("expected.json", "dump.sql"):
            os.remove(os.path.join(d.path, f))
        os.chmod(d.path, 0o700)
        conf = os.path.join(d.path, "liaison.conf")
        with open(conf) as f:
            text = f.read()
        with open(conf, "w") as f:
            f.write(re.sub(r"(?m)^store = .*$", "store = " + d.store, text))
        d.admin = self.expected["admin_token"]
        return d

    def columns(self, d):
        return pg_columns(d.pgdb)

    def indexes(self, d):
        return pg_indexes(d.pgdb)

    def null_digests(self, d):
        return int(pg_admin("SELECT count(*) FROM object WHERE digest IS NULL", d.pgdb))

    def fresh(self):
        db = "liaison_test_" + os.urandom(6).hex()
        pg_admin("CREATE DATABASE %s" % db)
        d = DataDir(store=pg_database_url(db))
        d.pgdb = db
        return d


if __name__ == "__main__":
    main()
