"""The command line: help, usage errors and exit codes, init on an existing
directory, token list without secrets, duplicate collection aliases."""
import hashlib
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import DataDir, TaxiiCase, main, run_cli  # noqa: E402

D = None


def setUpModule():
    global D
    D = DataDir()


def tearDownModule():
    if D:
        D.cleanup()


def tree_state(path):
    """Name, mode, size and SHA-256 of every file under path."""
    out = {}
    for dirpath, _, files in os.walk(path):
        for f in files:
            p = os.path.join(dirpath, f)
            st = os.stat(p)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, path)] = (st.st_mode, st.st_size, st.st_mtime_ns,
                                                 hashlib.sha256(fh.read()).hexdigest())
    return out


def commands():
    out = run_cli("--help").stdout
    return re.findall(r"^  ([a-z][a-z-]*) ", out, re.M)


class Cli(TaxiiCase):
    def test_01_help(self):
        p = run_cli("--help")
        self.assertIn("usage: liaison <command>", p.stdout)
        cmds = commands()
        for c in ("init", "serve", "collection", "token"):
            self.assertIn(c, cmds)
        for c in cmds:
            with self.subTest(command=c):
                p = run_cli(c, "--help", check=False)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn("usage:", p.stdout)
                self.assertIn("liaison " + c, p.stdout)
        self.assertEqual(run_cli("-h").returncode, 0)
        self.assertRegex(run_cli("--version").stdout, r"^liaison \S+")

    def test_02_subcommand_help(self):
        for args in (("collection", "add"), ("collection", "list"), ("token", "issue"),
                     ("token", "revoke"), ("token", "list")):
            with self.subTest(args=args):
                p = run_cli(*args, "--help", check=False)
                self.assertEqual(p.returncode, 0, "liaison %s --help: exit %d, stderr %s" %
                                 (" ".join(args), p.returncode, p.stderr))
                self.assertIn("usage:", p.stdout)

    def test_03_usage_errors(self):
        p = run_cli(check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("usage", p.stderr)
        p = run_cli("frobnicate", check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("unknown command 'frobnicate'", p.stderr)
        self.assertEqual(p.stdout, "")
        for args in (("init",), ("serve",), ("collection", "add", "--title", "x"), ("collection", "list"),
                     ("token", "issue", "--admin"), ("token", "list"), ("token", "revoke", "abc"),
                     ("collection",), ("token",), ("collection", "nope", "--data", D.path),
                     ("token", "nope", "--data", D.path), ("serve", "--data", D.path, "extra"),
                     ("serve", "--data", D.path, "--bogus"), ("serve", "--data", D.path, "--set", "nokey"),
                     ("serve", "--data", D.path, "--set", "no_such_key=1"),
                     ("serve", "--data", D.path, "--set", "max_json_depth=1"),
                     ("serve", "--data", D.path, "--set", "threads=many"),
                     ("serve", "--data", D.path, "--listen", "127.0.0.1"),
                     ("token", "issue", "--data", D.path), ("collection", "add", "--data", D.path)):
            with self.subTest(args=args):
                p = run_cli(*args, check=False)
                self.assertEqual(p.returncode, 2, (args, p.stdout, p.stderr))
                self.assertTrue(p.stderr.strip(), "a usage error must say something on stderr")

    def test_04_missing_data_dir(self):
        missing = os.path.join(D.tmp, "does-not-exist")
        for args in (("serve", "--data", missing), ("collection", "list", "--data", missing),
                     ("token", "list", "--data", missing), ("token", "issue", "--admin", "--data", missing)):
            with self.subTest(args=args):
                p = run_cli(*args, check=False)
                self.assertNotEqual(p.returncode, 0)
                self.assertTrue(p.stderr.strip())
                self.assertFalse(os.path.exists(os.path.join(missing, "liaison.db")))

    def test_05_init_on_existing_directory(self):
        before = tree_state(D.path)
        self.assertTrue(before)
        p = run_cli("init", "--data", D.path, check=False)
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertIn("already holds a store", p.stderr)
        self.assertIn("nothing changed", p.stderr)
        self.assertEqual(p.stdout, "")
        self.assertEqual(tree_state(D.path), before)
        # the admin token of the first init is still the only admin-from-init token
        out = run_cli("token", "list", "--data", D.path).stdout
        self.assertEqual(out.count("created by init"), 1)

    def test_06_token_list_never_prints_a_secret(self):
        tid, tok = D.token("--label", "listed")
        tid2, tok2 = D.token("--read-only", "--expires", "1h")
        self.assertRegex(tok, r"^[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$")
        p = run_cli("token", "list", "--data", D.path)
        out = p.stdout + p.stderr
        for t in (D.admin, tok, tok2):
            secret = t.split(".", 1)[1]
            self.assertNotIn(secret, out)
            self.assertNotIn(secret[:12], out)
        self.assertIn(tid, out)
        self.assertIn(tid2, out)
        self.assertIn(D.admin.split(".")[0], out)
        self.assertIn("listed", out)
        # the secret is printed once, at issue, on the last line
        p = run_cli("token", "issue", "--data", D.path, "--admin")
        last = p.stdout.strip().splitlines()[-1]
        self.assertRegex(last, r"^[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$")
        self.assertNotIn(last.split(".")[1], run_cli("token", "list", "--data", D.path).stdout)
        # nor is it in any file of the data directory
        for dirpath, _, files in os.walk(D.path):
            for f in files:
                with open(os.path.join(dirpath, f), "rb") as fh:
                    self.assertNotIn(last.split(".")[1].encode(), fh.read(), f)

    def test_07_collection_duplicate_alias(self):
        cid = D.collection("First", alias="dup-alias")
        self.assertRegex(cid, r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
        p = run_cli("collection", "add", "--data", D.path, "--title", "Second", "--alias", "dup-alias",
                    check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("dup-alias", p.stderr)
        self.assertIn("exists", p.stderr)
        self.assertEqual(p.stdout.strip(), "")
        listing = run_cli("collection", "list", "--data", D.path).stdout
        self.assertEqual(listing.count("dup-alias"), 1)
        self.assertNotIn("Second", listing)
        for bad in ("has space", "a/b", "", "x" * 101, "quote'"):
            with self.subTest(alias=bad):
                p = run_cli("collection", "add", "--data", D.path, "--title", "T", "--alias", bad, check=False)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn("--alias", p.stderr)
        # Partner and peer names: bounded, no control characters, separators or quotes.
        for bad in ("a/b", "a:b", "", "x" * 101, 'q"', "tab\there"):
            with self.subTest(partner=bad):
                p = run_cli("partner", "add", "--data", D.path, "--name", bad, check=False)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn("--name", p.stderr)
        for bad in ("has space", "a/b", "", "x" * 101):
            with self.subTest(peer=bad):
                p = run_cli("peer", "add", "--data", D.path, "--name", bad, "--url",
                            "http://127.0.0.1:1/taxii2/", "--token", "t", check=False)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn("--name", p.stderr)
        self.assertEqual(run_cli("partner", "list", "--data", D.path).stdout.count("\n"), 1)

    def test_07b_revoke_an_id_that_looks_like_an_option(self):
        """Token ids made before 2026-11-30 may start with '-' (1 in 64 did, and `token
        revoke` refused them as an unknown option); such an id is revoked as given, and after
        "--" too. New ids never start with '-' (unit_access_test_token)."""
        for n, form in enumerate((["-{}"], ["--", "-{}"])):
            tid, _ = D.token("--label", "dash %d" % n)
            dashed = "-" + tid[1:]
            D.sql("UPDATE token SET id = '%s' WHERE id = '%s'" % (dashed, tid))
            args = [a.format(tid[1:]) for a in form]
            p = run_cli("token", "revoke", "--data", D.path, *args)
            self.assertIn("revoked", p.stdout)
            listed = [l for l in run_cli("token", "list", "--data", D.path).stdout.splitlines()
                      if l.startswith(dashed)]
            self.assertEqual(len(listed), 1, listed)
            self.assertIn("revoked", listed[0])
        # Anything else that starts with '-' is still a usage error.
        p = run_cli("token", "revoke", "--data", D.path, "-x", check=False)
        self.assertEqual(p.returncode, 2, p.stderr)

    def test_09_config_defaults_and_check(self):
        """`config defaults` names every key serve knows, each commented at a default that
        `config check` accepts; a bad value or unknown key is refused naming file, line
        and key, and a good --set passes."""
        text = run_cli("config", "defaults").stdout
        keys = re.findall(r"^# ([a-z_]+) = ", text, re.M)
        for k in ("listen", "max_content_length", "threads", "web_root", "rate_limit"):
            self.assertIn(k, keys)
        path = os.path.join(D.tmp, "defaults.conf")
        # Every default, uncommented: serve must accept exactly what it documents.
        with open(path, "w") as f:
            f.write(re.sub(r"^# ([a-z_]+ = )", r"\1", text, flags=re.M))
        p = run_cli("config", "check", "--config", path)
        self.assertEqual(p.stdout.strip(), "ok: " + path)
        p = run_cli("config", "check", "--config", path, "--set", "threads=8")
        self.assertEqual(p.returncode, 0)
        with open(path, "a") as f:
            f.write("threads = 9999\n")
        lines = open(path).read().count("\n")
        p = run_cli("config", "check", "--config", path, check=False)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("%s:%d" % (path, lines), p.stderr)
        self.assertIn("threads", p.stderr)
        p = run_cli("config", "check", "--data", D.path, "--set", "no_such_key=1", check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("unknown configuration key 'no_such_key'", p.stderr)
        p = run_cli("config", "check", "--config", os.path.join(D.tmp, "missing.conf"),
                    check=False)
        self.assertEqual(p.returncode, 2)
        self.assertEqual(run_cli("config", check=False).returncode, 2)
        self.assertEqual(run_cli("config", "nonsense", check=False).returncode, 2)

    def test_08_upgrade_from_schema_2(self):
        """A store written by the previous release (schema 2: no version flags, no auth_gen)
        is upgraded when opened: the flags are computed from the versions present, so
        last/first answer as before, and a revoked token is refused at once."""
        import sqlite3
        import urllib.parse
        import harness
        from harness import ROOT, sdo
        d = DataDir()
        self.addCleanup(d.cleanup)
        d.collection("c", "c")
        pid, ptok = d.reader("c")
        s = harness.Server(d).start()
        oid = "indicator--6c4c1a9e-0a57-4c1e-9a43-5d2c2f6f0b11"
        mods = ["2024-01-0%dT00:00:00.000Z" % i for i in (3, 1, 2)]  # out of order
        for m in mods:
            self.assertEqual(s.post_objects("c", [sdo(id_=oid, modified=m)])[0], 202)
        rel = {"type": "marking-definition", "spec_version": "2.1",
               "id": "marking-definition--0b7e3b1c-54a1-4f3e-8d43-1f2d7a1c9e01",
               "created": "2024-01-01T00:00:00.000Z", "name": "REL TO P",
               "extensions": {"extension-definition--fe6c44b8-02ce-4c78-adda-645fef55531d": {
                   "extension_type": "property-extension", "rel_to": [pid]}}}
        released = sdo(name="for P", object_marking_refs=[rel["id"]])
        self.assertEqual(s.post_objects("c", [rel, released])[0], 202)
        seen = [o["id"] for o in s.get_json(ROOT + "collections/c/objects/", token=ptok)[2]["objects"]]
        self.assertIn(released["id"], seen)
        s.stop()
        db = sqlite3.connect(os.path.join(d.path, "liaison.db"))
        db.executescript(
            "DROP INDEX object_page; CREATE INDEX object_coll ON object(coll, date_added);"
            "ALTER TABLE object DROP COLUMN superseded; ALTER TABLE object DROP COLUMN preceded;"
            "ALTER TABLE object DROP COLUMN rel_mask; ALTER TABLE object DROP COLUMN red_mask;"
            "DROP TABLE auth_gen; UPDATE meta SET value = '2' WHERE key = 'schema_version';")
        for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            db.execute('DROP TRIGGER "%s"' % name)
        db.commit()
        db.close()
        s.start()
        try:
            for sel, want in (("last", ["2024-01-03T00:00:00.000Z"]), ("first", ["2024-01-01T00:00:00.000Z"]),
                              ("first,last", ["2024-01-01T00:00:00.000Z", "2024-01-03T00:00:00.000Z"])):
                q = urllib.parse.urlencode({"match[id]": oid, "match[version]": sel})
                st, _, j = s.get_json(ROOT + "collections/c/objects/?" + q)
                self.assertEqual(st, 200, j)
                self.assertEqual(sorted(o["modified"] for o in j["objects"]), want, sel)
            st, _, j = s.get_json(ROOT + "collections/c/objects/%s/" % oid)
            self.assertEqual([o["modified"] for o in j["objects"]], ["2024-01-03T00:00:00.000Z"])
            # The REL TO audience was carried into the new masks: P still sees its object.
            after = [o["id"] for o in s.get_json(ROOT + "collections/c/objects/", token=ptok)[2]["objects"]]
            self.assertEqual(sorted(after), sorted(seen))
            tid, tok = d.token()
            self.assertEqual(s.request("GET", ROOT, token=tok)[0], 200)
            run_cli("token", "revoke", "--data", d.path, tid)
            self.assertEqual(s.request("GET", ROOT, token=tok)[0], 401)
        finally:
            s.stop()
        db = sqlite3.connect(os.path.join(d.path, "liaison.db"))
        self.assertEqual(db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone(), ("4",))
        self.assertEqual([r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'"
                                                   " AND tbl_name = 'object' AND name LIKE 'object_%'"
                                                   " ORDER BY name")],
                         ["object_marking", "object_page", "object_rfi", "object_version"])
        self.assertEqual(db.execute("SELECT modified_text, superseded, preceded FROM object"
                                    " WHERE id = ? ORDER BY modified", (oid,)).fetchall(),
                         [("2024-01-01T00:00:00.000Z", 1, 0), ("2024-01-02T00:00:00.000Z", 1, 1),
                          ("2024-01-03T00:00:00.000Z", 0, 1)])
        db.close()


if __name__ == "__main__":
    main()
