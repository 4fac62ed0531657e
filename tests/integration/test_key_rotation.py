"""Signing key rotation across instances (issue 24, item 3).

Algiers signs its export files; Tunis has registered Algiers' key. Algiers
rotates its key (`liaison key rotate`): the notice, signed by the old key,
travels with the next signed file (or as a file for `partner key --notice`).
Tunis accepts it only when signed by the key it registered: an export signed
with the new key imports after the notice, files signed with the old key
still import until the date the notice states, and a notice signed by a
wrong key is refused with nothing changed.
"""
import json
import os
import sqlite3

import harness
from harness import TaxiiCase, run_cli, sdo

GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"


def db(data, sql, args=()):
    con = sqlite3.connect("file:%s?mode=ro" % os.path.join(data.path, "liaison.db"), uri=True)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


class Sender:
    """An instance with a collection its partner Tunis may read."""

    def __init__(self):
        self.d = harness.DataDir()
        self.coll = self.d.collection("Cells", "cells")
        run_cli("partner", "add", "--data", self.d.path, "--name", "Tunis", "--clearance", "amber")
        run_cli("grant", "--data", self.d.path, "--collection", "cells", "--partner", "Tunis",
                "--read")
        self.n = 0

    def add(self, k):
        srv = harness.Server(self.d).start()
        try:
            st, _, j = srv.post_objects(self.coll, [sdo(object_marking_refs=[GREEN]) for _ in range(k)])
            assert st == 202 and j["success_count"] == k, j
        finally:
            srv.stop()

    def export(self, name):
        path = os.path.join(self.d.tmp, name)
        run_cli("export", "--data", self.d.path, "--for", "Tunis", "--collection", "cells", "--out",
                path)
        return path

    def key(self):
        return run_cli("key", "show", "--data", self.d.path).stdout.strip()


def receiver(sender_key):
    r = harness.DataDir()
    run_cli("partner", "add", "--data", r.path, "--name", "Algiers", "--clearance", "amber")
    run_cli("partner", "key", "--data", r.path, "--partner", "Algiers", "--set", sender_key)
    r.collection("In", "in")
    return r


def partner_key(r):
    return db(r, "SELECT pubkey FROM partner WHERE name = 'Algiers'")[0][0]


def objects(r):
    return db(r, "SELECT count(*) FROM object WHERE type = 'indicator'")[0][0]


class KeyRotationTest(TaxiiCase):
    def setUp(self):
        self.alg = Sender()
        self.dirs = [self.alg.d]

    def tearDown(self):
        for d in self.dirs:
            d.cleanup()

    def rx(self, key):
        r = receiver(key)
        self.dirs.append(r)
        return r

    def test_rotation_through_the_next_signed_file(self):
        alg = self.alg
        old = alg.key()
        alg.add(3)
        f_old = alg.export("old.bundle")
        tunis = self.rx(old)
        p = run_cli("key", "rotate", "--data", alg.d.path, "--old-valid-days", "30")
        new = alg.key()
        self.assertNotEqual(new, old)
        self.assertIn("new signing key: " + new, p.stdout)
        self.assertTrue(any(a == "key.rotate" and new in d for a, d in
                            db(alg.d, "SELECT action, detail FROM audit")))
        alg.add(2)
        f_new = alg.export("new.bundle")
        with open(f_new) as f:
            head = json.loads(f.readline())
        self.assertEqual(head["sender_key"], new)
        self.assertEqual(head["rotation"]["old_key"], old)
        # The file signed with the new key carries the notice: accepted, as the old key signed it.
        p = run_cli("import", "--data", tunis.path, "--into", "in", f_new)
        self.assertIn("5 new", p.stdout)
        self.assertEqual(partner_key(tunis), new)
        rot = [d for a, d in db(tunis, "SELECT action, detail FROM audit") if a == "partner.key.rotate"]
        self.assertEqual(len(rot), 1)
        self.assertIn(old, rot[0])
        # A file signed with the old key still imports until the stated date.
        p = run_cli("import", "--data", tunis.path, "--into", "in", f_old)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("0 new, 3 already held", p.stdout)
        # A receiver that never had the old key refuses both.
        stranger = self.rx("00" * 32)
        for f in (f_new, f_old):
            p = run_cli("import", "--data", stranger.path, f, check=False)
            self.assertEqual(p.returncode, 4, p.stderr)
            self.assertIn("belongs to no partner", p.stderr)
        self.assertEqual(objects(stranger), 0)
        self.assertEqual(partner_key(stranger), "00" * 32)

    def test_rotation_by_notice_file(self):
        alg = self.alg
        old = alg.key()
        alg.add(2)
        tunis = self.rx(old)
        run_cli("key", "rotate", "--data", alg.d.path)
        notice = os.path.join(alg.d.path, "signing.rotation")
        p = run_cli("partner", "key", "--data", tunis.path, "--partner", "Algiers", "--notice", notice)
        self.assertIn("signing key " + alg.key(), p.stdout)
        self.assertEqual(partner_key(tunis), alg.key())
        p = run_cli("import", "--data", tunis.path, "--into", "in", alg.export("new.bundle"))
        self.assertIn("2 new", p.stdout)
        # Taking the same notice again changes nothing.
        p = run_cli("partner", "key", "--data", tunis.path, "--partner", "Algiers", "--notice", notice)
        self.assertIn("accepted before", p.stdout)

    def test_notice_signed_by_a_wrong_key_is_refused(self):
        alg = self.alg
        old = alg.key()
        alg.add(2)
        tunis = self.rx(old)
        before = db(tunis, "SELECT count(*) FROM audit")[0][0]
        # Another instance rotates its own key: its notice is signed by a key that is not
        # Algiers' here.
        other = Sender()
        self.dirs.append(other.d)
        other.add(1)
        run_cli("key", "rotate", "--data", other.d.path)
        p = run_cli("partner", "key", "--data", tunis.path, "--partner", "Algiers", "--notice",
                    os.path.join(other.d.path, "signing.rotation"), check=False)
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertIn("not by partner Algiers's key", p.stderr)
        # Its signed file, carrying that notice, is refused too.
        p = run_cli("import", "--data", tunis.path, other.export("other.bundle"), check=False)
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertIn("belongs to no partner", p.stderr)
        # Algiers' real notice with its new key replaced by another: the signatures fail.
        run_cli("key", "rotate", "--data", alg.d.path)
        with open(os.path.join(alg.d.path, "signing.rotation")) as f:
            n = json.load(f)
        forged = dict(n, new_key=other.key())
        path = os.path.join(tunis.tmp, "forged.rotation")
        with open(path, "w") as f:
            json.dump(forged, f)
        p = run_cli("partner", "key", "--data", tunis.path, "--partner", "Algiers", "--notice", path,
                    check=False)
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertIn("not signed by the old key", p.stderr)
        for bad in ("{}", "not json", json.dumps(dict(n, old_signature="00" * 64))):
            with open(path, "w") as f:
                f.write(bad)
            p = run_cli("partner", "key", "--data", tunis.path, "--partner", "Algiers", "--notice",
                        path, check=False)
            self.assertEqual(p.returncode, 4, p.stderr)
        self.assertEqual(partner_key(tunis), old)
        self.assertEqual(objects(tunis), 0)
        self.assertEqual(db(tunis, "SELECT count(*) FROM audit")[0][0], before)
        self.assertEqual(db(tunis, "SELECT count(*) FROM partner_key")[0][0], 0)

    def test_old_key_expires(self):
        alg = self.alg
        old = alg.key()
        alg.add(1)
        f_old = alg.export("old.bundle")
        tunis = self.rx(old)
        run_cli("key", "rotate", "--data", alg.d.path, "--old-valid-days", "0")
        # The new key's files still carry no notice once the old key is no longer valid: the
        # notice goes by file.
        run_cli("partner", "key", "--data", tunis.path, "--partner", "Algiers", "--notice",
                os.path.join(alg.d.path, "signing.rotation"))
        p = run_cli("import", "--data", tunis.path, f_old, check=False)
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertIn("replaced, valid until", p.stderr)
        self.assertEqual(objects(tunis), 0)
        p = run_cli("import", "--data", tunis.path, "--into", "in", alg.export("new.bundle"))
        self.assertIn("1 new", p.stdout)


if __name__ == "__main__":
    harness.main()
