"""Several `liaison serve` nodes on one PostgreSQL database behave as one server.

Two nodes on one database with concurrent writers on both and a reader paging
across both alternately: every object exactly once, date_added increasing,
the audit chain verifies. SIGKILL of a node in the middle of ingest loses
nothing it acknowledged. Each node keeps recent answers (the response cache)
and drops them when any node commits (LISTEN/NOTIFY); a node whose listening
session is lost replays nothing until it listens again. A database down at start gives a clear error and a
non-zero exit; a database restarted under a running node makes requests fail
cleanly (503) and then succeed again without restarting liaison (that part
runs a throwaway cluster of its own, never the CI one).

Needs LIAISON_TEST_PG (.ci/run sets it); skipped, saying so, without it.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse

import harness
from harness import DataDir, Server, TaxiiCase, run_cli, sdo, ROOT

PGBIN = "/usr/lib/postgresql/15/bin"
NEED_PG = unittest.skipUnless(harness.PG_URL, "LIAISON_TEST_PG is not set: PostgreSQL tests skipped")


def new_database():
    name = "liaison_test_" + os.urandom(6).hex()
    harness.pg_admin("CREATE DATABASE %s" % name)
    return name, harness.pg_database_url(name)


def ids_of(objs):
    return [o["id"] for o in objs]


@NEED_PG
class TwoNodes(TaxiiCase):
    def setUp(self):
        self.db, url = new_database()
        self.d = DataDir(store=url)
        self.addCleanup(self.cleanup)
        self.d.collection("nodes", "nodes")
        self.a = Server(self.d).start()
        self.b = Server(self.d).start()

    def cleanup(self):
        for s in (self.a, self.b):
            try:
                s.stop()
            except AssertionError:
                pass
        self.d.cleanup()
        harness.pg_admin("DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.db)

    def writer(self, server, acked, batches, size, errors):
        for _ in range(batches):
            objs = [sdo() for _ in range(size)]
            try:
                st, _, j = server.post_objects("nodes", objs)
            except OSError:
                return  # the node died (the kill test)
            if st != 202:
                errors.append((st, j))
                continue
            ok = {s["id"] for s in j.get("successes", [])}
            acked.extend(i for i in ids_of(objs) if i in ok)

    def page_alternately(self, limit=37):
        seen, last, nxt, k = [], "", None, 0
        while True:
            node = (self.a, self.b)[k % 2]
            k += 1
            q = {"limit": str(limit)}
            if nxt:
                q["next"] = nxt
            st, hd, j = node.get_json(ROOT + "collections/nodes/manifest/?" + urllib.parse.urlencode(q))
            self.assertEqual(st, 200, j)
            for e in j.get("objects", []):
                seen.append(e["id"])
                self.assertGreater(e["date_added"], last)  # ISO text of the same width
                last = e["date_added"]
            if not j["more"]:
                return seen
            nxt = j["next"]

    def test_concurrent_writers_alternating_reader(self):
        acked, errors = [], []
        threads = [threading.Thread(target=self.writer, args=(s, acked, 8, 40, errors))
                   for s in (self.a, self.b, self.a, self.b)]
        for t in threads:
            t.start()
        # A reader following next across both nodes while writes go on never sees a row twice.
        during = self.page_alternately()
        self.assertEqual(len(during), len(set(during)))
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        seen = self.page_alternately()
        self.assertEqual(len(seen), len(set(seen)), "an object was listed twice")
        self.assertEqual(set(seen), set(acked))
        self.assertEqual(len(acked), 4 * 8 * 40)
        p = run_cli("audit", "verify", "--data", self.d.path)
        self.assertIn("intact", p.stdout + p.stderr)

    def hits(self, node):
        st, _, body = node.request("GET", "/metrics")
        self.assertEqual(st, 200, body)
        return int(re.search(rb"^liaison_response_cache_hits_total (\d+)$", body, re.M).group(1))

    def name_on(self, node, path):
        st, _, j = node.get_json(path)
        self.assertEqual(st, 200, j)
        return j["objects"][0]["name"]

    def eventually(self, what, check, seconds=10):
        deadline = time.time() + seconds
        while not check():
            self.assertLess(time.time(), deadline, what)
            time.sleep(0.01)

    def log_of(self, node):
        return os.pread(node.errlog.fileno(), 1 << 24, 0).decode("utf-8", "replace")

    def test_cached_answers_follow_every_node(self):
        o = sdo(name="v1")
        self.assertEqual(self.b.post_objects("nodes", [o])[0], 202)
        path = ROOT + "collections/nodes/objects/%s/" % o["id"]
        self.eventually("A never listened", lambda: "store_listening" in self.log_of(self.a))
        before = self.hits(self.a)
        for _ in range(24):
            self.assertEqual(self.name_on(self.a, path), "v1")
        self.assertGreater(self.hits(self.a) - before, 12, "A replayed nothing")
        # A version stored through B: A's kept answer goes once the notification arrives.
        v2 = dict(o, name="v2", modified="2024-02-01T00:00:00.000Z")
        self.assertEqual(self.b.post_objects("nodes", [v2])[0], 202)
        self.eventually("A still answers v1", lambda: self.name_on(self.a, path) == "v2")
        # Both nodes' listening sessions killed: each says so, listens again, and answers
        # what is stored now, replaying again once it is back.
        harness.pg_admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                         " WHERE application_name = 'liaison-listen' AND datname = '%s'" % self.db)
        self.eventually("A did not notice", lambda: "store_listen_lost" in self.log_of(self.a))
        v3 = dict(o, name="v3", modified="2024-03-01T00:00:00.000Z")
        self.assertEqual(self.b.post_objects("nodes", [v3])[0], 202)
        self.eventually("A did not listen again",
                        lambda: self.log_of(self.a).count("store_listening") >= 2)
        self.eventually("A still answers an old version", lambda: self.name_on(self.a, path) == "v3")
        before = self.hits(self.a)
        for _ in range(24):
            self.assertEqual(self.name_on(self.a, path), "v3")
        self.assertGreater(self.hits(self.a) - before, 12, "A replays nothing since")

    def test_kill_a_node_mid_ingest(self):
        acked, errors = [], []
        t = threading.Thread(target=self.writer, args=(self.b, acked, 200, 25, errors))
        t.start()
        deadline = time.time() + 60
        while len(acked) < 200 and time.time() < deadline:
            time.sleep(0.02)
        self.b.proc.send_signal(signal.SIGKILL)
        self.b.proc.wait()
        self.b.proc = None
        t.join()
        self.assertGreaterEqual(len(acked), 200)
        stored = set(e["id"] for e in self.a.manifest_all("nodes"))
        self.assertEqual(set(acked) - stored, set(), "acknowledged objects were lost")
        run_cli("audit", "verify", "--data", self.d.path)


class Cluster:
    """A throwaway PostgreSQL cluster of this test's own (so that it can be stopped)."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="liaison-pg-")
        os.chmod(self.tmp, 0o755)
        self.as_user = []
        if os.geteuid() == 0:
            shutil.chown(self.tmp, "postgres", "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.data = os.path.join(self.tmp, "data")
        self.port = harness.free_port()
        self.run(PGBIN + "/initdb", "-D", self.data, "-A", "trust", "-U", "postgres")
        self.url = "postgres://postgres@127.0.0.1:%d/postgres" % self.port

    def run(self, *args):
        subprocess.run(self.as_user + list(args), check=True, capture_output=True, timeout=120)

    def start(self):
        self.run(PGBIN + "/pg_ctl", "-D", self.data, "-l", os.path.join(self.tmp, "log"), "-w", "-o",
                 "-c listen_addresses=127.0.0.1 -p %d -c unix_socket_directories=%s" % (self.port, self.tmp),
                 "start")

    def stop(self):
        self.run(PGBIN + "/pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def destroy(self):
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.tmp, ignore_errors=True)


@NEED_PG
@unittest.skipUnless(os.path.exists(PGBIN + "/initdb"), "PostgreSQL 15 server binaries are not installed")
class Outages(TaxiiCase):
    def setUp(self):
        self.c = Cluster()
        self.addCleanup(self.c.destroy)
        self.c.start()
        self.d = DataDir(store=self.c.url)
        self.addCleanup(self.d.cleanup)
        self.d.collection("o", "o")

    def test_database_down_at_start(self):
        self.c.stop()
        p = subprocess.run([harness.BIN, "serve", "--data", self.d.path, "--listen",
                            "127.0.0.1:%d" % harness.free_port()],
                           capture_output=True, text=True, timeout=60, env=harness.ENV)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("cannot connect", p.stderr)
        self.assertNotIn("AddressSanitizer", p.stderr)

    def test_database_restarted_under_a_node(self):
        s = Server(self.d).start()
        self.addCleanup(s.stop)
        self.assertEqual(s.post_objects("o", [sdo()])[0], 202)
        self.c.stop()
        before = 1
        st, _, body = s.request("POST", ROOT + "collections/o/objects/",
                                body={"objects": [sdo() for _ in range(5)]})
        self.assertEqual(st, 503, body[:300])
        st, _, body = s.request("GET", ROOT + "collections/o/manifest/")
        self.assertEqual(st, 503, body[:300])
        self.c.start()
        ok = False
        for _ in range(50):  # recovery without restarting liaison
            st, _, _ = s.request("GET", ROOT + "collections/o/manifest/")
            if st == 200:
                ok = True
                break
            time.sleep(0.2)
        self.assertTrue(ok, "liaison did not recover after the database came back")
        # Nothing half-written: the failed POST stored nothing.
        self.assertEqual(len(s.manifest_all("o")), before)
        self.assertEqual(s.post_objects("o", [sdo()])[0], 202)
        run_cli("audit", "verify", "--data", self.d.path)


if __name__ == "__main__":
    harness.main()
