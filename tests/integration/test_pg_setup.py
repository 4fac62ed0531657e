"""PostgreSQL as an operator meets it (issue 24.5), on a cluster of the test's own made by
scripts/pg-setup, the set-up docs/scale-out.md describes: a role that is not a superuser, one
pg_hba line, TLS with sslmode=verify-full against a CA of our own, the password in a pgpass
file only. Then, as an operator would find them:

- init --store writes no password into liaison.conf, and refuses a URL that carries one (the
  process list would show it), leaving no folder behind; a failed init leaves none either;
- --store is accepted by audit verify, token and the other --data commands;
- /healthz is 200 while the store answers, 503 with Retry-After while the database is down
  (and TAXII requests answer 503 with Retry-After, each logged with its cause), 200 again once
  it is back, with every object still there;
- verify-full refuses a server whose certificate the given CA did not sign;
- store copy into the non-superuser's database prints no "only superuser can analyze";
- migrate on a database holding tables of liaison's names but not liaison's answers clearly.

Needs PostgreSQL's server binaries (postgresql-15); skipped without them. Stops its cluster.
"""
import glob
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

import harness
from harness import ROOT, SOURCE, DataDir, Server, TaxiiCase, free_port, main, run_cli, sdo

BINDIR = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1:] or [""]
HAVE_PG = os.path.exists(os.path.join(BINDIR[0], "initdb"))
AS_PG = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


@unittest.skipUnless(HAVE_PG, "no PostgreSQL server binaries")
class PgSetupTest(TaxiiCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="liaison-pgsetup-")
        os.chmod(cls.tmp, 0o755)
        cls.root = os.path.join(cls.tmp, "pg")
        cls.port = free_port()
        p = subprocess.run([os.path.join(SOURCE, "scripts", "pg-setup"), cls.root, str(cls.port)],
                           capture_output=True, text=True, timeout=180)
        if p.returncode != 0:
            raise AssertionError("scripts/pg-setup failed:\n%s%s" % (p.stdout, p.stderr))
        with open(os.path.join(cls.root, "url")) as f:
            cls.url = f.read().strip()
        with open(os.path.join(cls.root, "pgpass")) as f:
            cls.password = f.read().split(":")[-1].strip()
        harness.ENV["PGPASSFILE"] = os.path.join(cls.root, "pgpass")

    @classmethod
    def tearDownClass(cls):
        cls.pg_ctl("stop", "-m", "immediate", check=False)
        harness.ENV.pop("PGPASSFILE", None)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def pg_ctl(cls, *args, check=True):
        return subprocess.run(AS_PG + [os.path.join(BINDIR[0], "pg_ctl"), "-D",
                                       os.path.join(cls.root, "pgdata"), "-w"] + list(args),
                              capture_output=True, text=True, timeout=120, check=check)

    @classmethod
    def superuser(cls, sql):
        return subprocess.run(AS_PG + [os.path.join(BINDIR[0], "psql"), "-X", "-q", "-At",
                                       "-v", "ON_ERROR_STOP=1", "-h",
                                       os.path.join(cls.root, "pgdata"), "-p", str(cls.port),
                                       "-U", "postgres", "-d", "postgres", "-c", sql],
                              capture_output=True, text=True, timeout=60, check=True).stdout

    def fresh_database(self):
        self.superuser("DROP DATABASE IF EXISTS liaison WITH (FORCE)")
        self.superuser("CREATE DATABASE liaison OWNER liaison")

    def test_1_init_serve_outage_and_back(self):
        self.fresh_database()
        # A URL with a password is refused before anything is made.
        bad = self.url.replace("liaison@", "liaison:%s@" % self.password)
        target = os.path.join(self.tmp, "pw")
        p = run_cli("init", "--data", target, "--store", bad, check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn(".pgpass", p.stderr)
        self.assertNotIn(self.password, p.stderr)
        self.assertFalse(os.path.exists(target))
        # A failed init (no such database) leaves no folder.
        target = os.path.join(self.tmp, "failed")
        p = run_cli("init", "--data", target, "--store", self.url.replace("/liaison?", "/nodb?"),
                    check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertFalse(os.path.exists(target))
        # verify-full refuses a certificate our CA did not sign.
        other = os.path.join(self.tmp, "other-ca.crt")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=other", "-keyout", os.path.join(self.tmp, "other.key"),
                        "-out", other], check=True, capture_output=True)
        p = run_cli("audit", "verify", "--store",
                    self.url.replace(os.path.join(self.root, "ca.crt"), other), check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertRegex(p.stderr, r"certificate verify failed|certificate")
        # The set-up as the docs give it.
        d = DataDir(store=self.url)
        self.addCleanup(shutil.rmtree, d.tmp, True)
        with open(os.path.join(d.path, "liaison.conf")) as f:
            conf = f.read()
        self.assertIn("store = " + self.url, conf)
        self.assertNotIn(self.password, conf)
        coll = d.collection("c", "c")
        # --store on commands that parse only --data, with and without --data.
        self.assertIn("intact", run_cli("audit", "verify", "--store", self.url).stdout)
        self.assertIn("admin", run_cli("token", "list", "--store", self.url).stdout)
        self.assertIn(coll, run_cli("collection", "list", "--data", d.path, "--store",
                                    self.url).stdout)
        s = Server(d).start()
        try:
            objs = [sdo(name="o%d" % i) for i in range(20)]
            self.assertEqual(s.post_objects(coll, objs)[0], 202)
            st, hd, j = s.get_json("/healthz", auth=False)
            self.assertEqual((st, j["status"]), (200, "ok"))
            self.pg_ctl("stop", "-m", "fast")
            st, hd, body = s.request("GET", "/healthz", auth=False)
            self.assertEqual(st, 503, body)
            self.assertEqual(json.loads(body)["store"], "unreachable")
            self.assertEqual(hd.get("Retry-After"), "5")
            st, hd, body = s.request("GET", ROOT + "collections/%s/objects/" % coll)
            self.assertEqual(st, 503, body)
            self.assertEqual(hd.get("Retry-After"), "5")
            self.pg_ctl("start", "-l", os.path.join(self.root, "pgdata", "log"))
            deadline = time.time() + 30
            while time.time() < deadline:
                if s.request("GET", "/healthz", auth=False)[0] == 200:
                    break
                time.sleep(0.2)
            self.assertEqual(s.request("GET", "/healthz", auth=False)[0], 200)
            got = sorted(o["id"] for o in s.objects_all(coll))
            self.assertEqual(got, sorted(o["id"] for o in objs))
        finally:
            s.stop()
        lines = [json.loads(x) for x in s.stderr_text.splitlines() if x.startswith("{")]
        outage = [x for x in lines if x.get("event") == "request" and x.get("status") == 503]
        self.assertGreaterEqual(len(outage), 2, s.stderr_text[-3000:])
        for x in outage:
            self.assertIn("cause", x)
            self.assertRegex(x["cause"], r"connect|server|terminat|closed", x)
            self.assertNotIn(self.password, x["cause"])
        self.assertNotIn(self.password, s.stderr_text)

    def test_2_store_copy_into_owned_database_is_quiet(self):
        self.fresh_database()
        src = DataDir(store="")
        self.addCleanup(src.cleanup)
        coll = src.collection("c", "c")
        s = Server(src).start()
        self.assertEqual(s.post_objects(coll, [sdo() for _ in range(10)])[0], 202)
        s.stop()
        p = run_cli("store", "copy", "--from", os.path.join(src.path, "liaison.db"), "--to",
                    self.url)
        self.assertIn("audit chain verified", p.stdout)
        self.assertNotIn("superuser", p.stderr)
        self.assertNotIn("WARNING", p.stderr)

    def test_3_migrate_on_foreign_tables(self):
        self.fresh_database()
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", self.url, "-c",
                        "CREATE TABLE object(x int); CREATE TABLE audit(y text)"],
                       check=True, capture_output=True, env=harness.ENV)
        for args in (["migrate", "--store", self.url],
                     ["init", "--data", os.path.join(self.tmp, "foreign"), "--store", self.url]):
            p = run_cli(*args, check=False)
            self.assertNotEqual(p.returncode, 0, args)
            self.assertIn("tables of liaison's names (object, audit)", p.stderr)
            self.assertIn("nothing was changed", p.stderr)
            self.assertNotIn("ERROR", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "foreign")))
        tables = subprocess.run(["psql", "-X", "-At", self.url, "-c",
                                 "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM "
                                 "pg_tables WHERE schemaname = 'public'"],
                                check=True, capture_output=True, text=True, env=harness.ENV)
        self.assertEqual(tables.stdout.strip(), "audit,object")


if __name__ == "__main__":
    main()
