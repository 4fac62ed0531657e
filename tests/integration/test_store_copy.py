"""`liaison store copy`: SQLite -> PostgreSQL -> SQLite keeps every table.

An instance with collections, partners, grants, tokens, objects (with
releasability audiences), statuses, a watch and its events, the search index
and an audit chain is copied to a new PostgreSQL database and back to a new
SQLite file; each copy reports the same row count and hash for every table,
the audit chain verifies, a non-empty target is refused, and a server on each
copy answers the same manifest (and accepts a `next` token made before the
copy), the same `watch list`, the same watch events and the same searches.

Needs LIAISON_TEST_PG (.ci/run sets it); skipped, saying so, without it.
"""
import json
import os
import re
import shutil
import time
import unittest
import urllib.parse

import harness
from harness import DataDir, Server, TaxiiCase, run_cli, sdo
from test_watches import Stream

ALIASES = ["ISIS", "ISIL", "داعش", "الدولة الإسلامية"]
SEARCHES = ["isis", "الاسلامية", "sahel", "nothing like it"]


def data_dir_on(d, store, name):
    """A copy of d's data directory (config, keys) whose store is `store`."""
    path = os.path.join(d.tmp, name)
    shutil.copytree(d.path, path)
    conf = os.path.join(path, "liaison.conf")
    with open(conf) as f:
        text = re.sub(r"(?m)^\s*store\s*=.*$", lambda m: "store = " + store, f.read())
    with open(conf, "w") as f:
        f.write(text)
    return path


def watch_list(path):
    return json.loads(run_cli("watch", "list", "--data", path, "--json").stdout)


def answers(server, token):
    """What a client sees of the watch events and the search index."""
    stream = Stream(server, token, last_event_id=0)
    events = []
    try:
        while True:
            e = stream.next(1.5)
            if not e:
                break
            if e[0] != "comment":
                events.append(e)
    finally:
        stream.close()
    searches = {}
    for q in SEARCHES:
        st, _, b = server.request("GET", "/liaison/search?" + urllib.parse.urlencode({"q": q}))
        assert st == 200, (q, st, b)
        searches[q] = [(r["object"]["id"], r["object"]["modified"]) for r in json.loads(b)["results"]]
    return events, searches


@unittest.skipUnless(harness.PG_URL, "LIAISON_TEST_PG is not set: PostgreSQL tests skipped")
class StoreCopy(TaxiiCase):
    def test_first_objects_get_statistics(self):
        # A new PostgreSQL store analyses its tables once the server has stored 1,000 new
        # versions while the object table still has no statistics, without waiting a minute
        # for autovacuum: pages are then planned on real row counts.
        name = "liaison_test_" + os.urandom(6).hex()
        harness.pg_admin("CREATE DATABASE %s" % name)
        self.addCleanup(harness.pg_admin, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
        d = DataDir(store=harness.pg_database_url(name))
        self.addCleanup(d.cleanup)
        d.collection("stats", "stats")
        # last_analyze is set by an explicit ANALYZE only (autovacuum sets last_autoanalyze).
        analysed = lambda: harness.pg_admin(
            "SELECT last_analyze IS NOT NULL, reltuples::bigint FROM pg_stat_user_tables"
            " JOIN pg_class USING (relname) WHERE relname = 'object'", database=name).strip()
        s = Server(d).start()
        self.assertEqual(s.post_objects("stats", [sdo() for _ in range(600)])[0], 202)
        self.assertEqual(analysed().split("|")[0], "f")  # not yet: fewer than 1,000 stored
        self.assertEqual(s.post_objects("stats", [sdo() for _ in range(600)])[0], 202)
        done, rows = analysed().split("|")
        self.assertEqual(done, "t")
        self.assertGreaterEqual(int(rows), 1000)
        s.stop()

    def test_round_trip(self):
        d = DataDir(store=os.path.join(harness.tempfile.mkdtemp(prefix="liaison-copy-"), "s.db"))
        self.addCleanup(d.cleanup)
        d.collection("copy", "copy")
        run_cli("partner", "add", "--data", d.path, "--name", "US", "--country", "US", check=False)
        wid = run_cli("watch", "add", "--data", d.path, "--name", "w",
                      "--name-like", "isis").stdout.split()[0]
        s = Server(d, sets=["watch_poll_ms=100"]).start()
        objs = [sdo() for _ in range(120)]
        self.assertEqual(s.post_objects("copy", objs)[0], 202)
        st, _, j = s.get_json(harness.ROOT + "collections/copy/manifest/?limit=50")
        self.assertEqual(st, 200)
        # Searchable objects; the actor (two versions) and the campaign match the watch.
        actor = sdo("threat-actor", name="Islamic State", aliases=ALIASES)
        actor2 = dict(actor, modified="2024-06-01T00:00:00.000Z", description="new version")
        sahel = sdo("campaign", name="ISIS in the Sahel")
        report = sdo("report", name="Cells", published="2026-11-01T00:00:00Z",
                     object_refs=[actor["id"]],
                     description="خلايا مرتبطة بتنظيم الدولة الإسلامية")
        self.assertEqual(s.post_objects("copy", [actor, sahel, report])[0], 202)
        self.assertEqual(s.post_objects("copy", [actor2])[0], 202)
        deadline = time.time() + 15
        while time.time() < deadline and watch_list(d.path)[0]["events"] < 3:
            time.sleep(0.1)
        watches = watch_list(d.path)
        self.assertEqual([(w["id"], w["events"]) for w in watches], [(wid, 3)], watches)
        before = s.manifest_all("copy")
        seen = answers(s, d.admin)
        self.assertEqual(len(seen[0]), 3, seen[0])
        self.assertEqual(len(seen[1]["isis"]), 2, seen[1])
        self.assertEqual(len(seen[1]["الاسلامية"]), 2, seen[1])
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
        counts = {t: n for t, n, _ in table(out1)}
        self.assertEqual(counts["object"], "124")
        self.assertEqual((counts["watch"], counts["watch_event"]), ("1", "3"))
        self.assertEqual(counts["search"], "4")  # a row per version with text: not the indicators
        # The copy leaves planner statistics behind (ANALYZE, committed with the rows): without
        # them pages read and sort the whole collection until autovacuum runs.
        self.assertEqual(harness.pg_admin("SELECT reltuples::bigint FROM pg_class"
                                          " WHERE relname = 'object'", database=name).strip(), "124")
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
            self.assertEqual(answers(s2, d.admin), seen)
        finally:
            s2.stop()
        # Watches, events and search: the same on the PostgreSQL copy and on the copy back.
        on_pg = data_dir_on(d, pg, "data-pg")
        on_back = data_dir_on(d, "sqlite:" + back, "data-back")
        self.assertEqual(watch_list(on_pg), watches)
        self.assertEqual(watch_list(on_back), watches)
        d3 = DataDir.__new__(DataDir)
        d3.tmp, d3.path, d3.pgdb, d3.store, d3.admin = d.tmp, on_back, None, back, d.admin
        s3 = Server(d3).start()
        try:
            self.assertEqual(s3.manifest_all("copy"), before)
            self.assertEqual(answers(s3, d.admin), seen)
        finally:
            s3.stop()
        run_cli("audit", "verify", "--data", d.path)
        run_cli("audit", "verify", "--data", on_back)


if __name__ == "__main__":
    harness.main()
