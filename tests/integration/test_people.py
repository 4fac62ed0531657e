"""People, sign-in and four-eyes release (docs/people.md), against the real binary.

- user commands: add (one-time code), list, set --role, disable/enable, password, totp, token,
  and their bad input (duplicate, unknown person, bad role, short password);
- sign-in: first sign-in with the code, then name + password; sessions that expire; the
  password brute force locked out and on record; TOTP required once enrolled, a code never
  accepted twice;
- four-eyes: a version at AMBER+STRICT written by a person is invisible to partners on every
  route (objects, by id, versions, manifest, search, export) until a releaser other than its
  author approves; an analyst, the author, a token of no person and an unknown person cannot
  approve; approval and rejection are on record; an approved version reaches a partner that
  paged past it (added_after); a partner flagged --four-eyes sees nothing unapproved;
- a property test: random people post under random release policies and decide at random;
  after every step no partner sees a held version, and the audit log names the right person
  for every write and decision.
"""
import base64
import hashlib
import hmac
import json
import os
import random
import struct
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from harness import ROOT, DataDir, Server, TaxiiCase, main, run_cli, sdo  # noqa: E402

TLP = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
RANK = ["clear", "green", "amber", "amber+strict", "red"]
PASSWORD = "correct horse battery staple"


def totp(secret_b32, at=None, step=30):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    counter = int((time.time() if at is None else at) // step)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7fffffff) % 1000000)


def add_person(d, name, role):
    out = run_cli("user", "add", "--data", d.path, "--name", name, "--role", role).stdout
    return out.strip().splitlines()[-1].strip()


def audit(d):
    out = run_cli("audit", "show", "--data", d.path).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


class People(TaxiiCase):
    def setUp(self):
        self.d = DataDir()
        self.coll = self.d.collection("Cells", alias="cells")
        self.s = Server(self.d, sets=["signin_max_failures=3", "signin_lockout_seconds=2"]).start()

    def tearDown(self):
        self.s.stop()
        self.d.cleanup()

    def signin(self, body):
        st, _, b = self.s.request("POST", "/liaison/signin", body=body, auth=False,
                                  content_type="application/json")
        return st, (json.loads(b) if b else None)

    def person(self, name, role):
        code = add_person(self.d, name, role)
        st, j = self.signin({"name": name, "code": code, "new_password": PASSWORD})
        self.assertEqual(st, 200, j)
        self.assertEqual(j["role"], role)
        return j["token"]

    def test_user_commands_and_bad_input(self):
        code = add_person(self.d, "alice", "analyst")
        self.assertEqual(len(code), 20)
        dup = run_cli("user", "add", "--data", self.d.path, "--name", "alice", "--role", "admin",
                      check=False)
        self.assertEqual(dup.returncode, 4, dup.stderr)
        self.assertIn("exists already", dup.stderr)
        bad = run_cli("user", "add", "--data", self.d.path, "--name", "x", "--role", "boss", check=False)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("analyst, releaser or admin", bad.stderr)
        for verb in ("disable", "enable", "totp", "token"):
            r = run_cli("user", verb, "--data", self.d.path, "--name", "nobody", check=False)
            self.assertEqual(r.returncode, 3, (verb, r.stderr))
            self.assertIn("no person named 'nobody'", r.stderr)
        r = run_cli("user", "set", "--data", self.d.path, "--name", "alice", "--role", "releaser")
        self.assertIn("role", r.stdout)
        lines = run_cli("user", "list", "--data", self.d.path).stdout.splitlines()
        self.assertTrue(any(l.startswith("alice") and "releaser" in l for l in lines), lines)
        import subprocess
        from harness import BIN, ENV
        p = subprocess.run([BIN, "user", "password", "--data", self.d.path, "--name", "alice"],
                           input="short\n", capture_output=True, text=True, env=ENV)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("at least 12", p.stderr)
        p = subprocess.run([BIN, "user", "password", "--data", self.d.path, "--name", "alice"],
                           input=PASSWORD + "\n", capture_output=True, text=True, env=ENV)
        self.assertEqual(p.returncode, 0, p.stderr)
        st, j = self.signin({"name": "alice", "password": PASSWORD})
        self.assertEqual(st, 200, j)
        # The code is spent once a password is set.
        st, _ = self.signin({"name": "alice", "code": code, "new_password": PASSWORD + "!"})
        self.assertEqual(st, 401)
        # Disabled: sessions end, sign-in refused.
        run_cli("user", "disable", "--data", self.d.path, "--name", "alice")
        self.assertEqual(self.s.request("GET", "/liaison/whoami", token=j["token"])[0], 401)
        self.assertEqual(self.signin({"name": "alice", "password": PASSWORD})[0], 401)
        run_cli("user", "enable", "--data", self.d.path, "--name", "alice")
        self.assertEqual(self.signin({"name": "alice", "password": PASSWORD})[0], 200)
        # A person's own token acts as the person.
        tok = run_cli("user", "token", "--data", self.d.path, "--name", "alice").stdout.split()[-1]
        st, _, b = self.s.post_objects(self.coll, [sdo()], token=tok)
        self.assertEqual(st, 202, b)
        adds = [e for e in audit(self.d) if e["action"] == "objects.add"]
        self.assertTrue(adds[-1]["actor"].startswith("person:alice/"), adds[-1])
        # No secret on record or in the server's log.
        text = json.dumps(audit(self.d))
        for secret in (PASSWORD, code, tok.split(".")[1], j["token"].split(".")[1]):
            self.assertNotIn(secret, text)
        self.s.stop()
        for secret in (PASSWORD, code, tok.split(".")[1], j["token"].split(".")[1]):
            self.assertNotIn(secret, self.s.stderr_text)
        self.s.start()

    def test_signin_bad_input(self):
        for body, status in (({"name": "a"}, 400), ({"name": 5, "password": "x"}, 422),
                             ({"password": PASSWORD}, 400), ("[1]", 400)):
            st, j = self.signin(body)
            self.assertEqual(st, status, (body, j))
        st, _, _ = self.s.request("POST", "/liaison/signin", body="{}", auth=False,
                                  content_type="text/plain")
        self.assertEqual(st, 415)
        self.assertEqual(self.s.request("GET", "/liaison/signin", auth=False)[0], 405)
        # An unknown person gets the answer of a wrong password.
        st, unknown = self.signin({"name": "ghost", "password": PASSWORD})
        self.person("bob", "releaser")
        st2, wrong = self.signin({"name": "bob", "password": "wrong password!"})
        self.assertEqual((st, st2), (401, 401))
        self.assertEqual(unknown["description"], wrong["description"])

    def test_password_brute_force_locked_and_on_record(self):
        self.person("bob", "releaser")
        for i in range(3):
            st, j = self.signin({"name": "bob", "password": "guess number %d" % i})
            self.assertIn(st, (401, 429), j)
        # Locked: the right password is refused too.
        st, j = self.signin({"name": "bob", "password": PASSWORD})
        self.assertEqual(st, 429, j)
        fails = [e for e in audit(self.d) if e["action"] == "person.signin_failed"]
        self.assertEqual(len(fails), 4)
        self.assertTrue(all(e["detail"]["person"] == "bob" for e in fails))
        self.assertTrue(fails[2]["detail"]["locked"])
        self.assertEqual(fails[3]["detail"]["reason"], "locked")
        self.assertNotIn("guess number", json.dumps(fails))
        time.sleep(2.2)  # signin_lockout_seconds=2: the lock ends (not a timing assertion)
        self.assertEqual(self.signin({"name": "bob", "password": PASSWORD})[0], 200)

    def test_expired_session(self):
        tok = self.person("alice", "analyst")
        self.assertEqual(self.s.request("GET", "/liaison/whoami", token=tok)[0], 200)
        tid = tok.split(".")[0]
        self.d.sql("UPDATE token SET expires = 1 WHERE id = '%s'" % tid)
        st, _, b = self.s.request("GET", "/liaison/whoami", token=tok)
        self.assertEqual(st, 401, b)

    def test_totp_required_and_never_replayed(self):
        self.person("bob", "releaser")
        secret = run_cli("user", "totp", "--data", self.d.path, "--name", "bob").stdout.split()[-1]
        self.assertEqual(self.signin({"name": "bob", "password": PASSWORD})[0], 401)
        self.assertEqual(self.signin({"name": "bob", "password": PASSWORD, "totp": "000000x"})[0], 401)
        now = time.time()
        if now % 30 > 27:  # keep the two sign-ins in one time step
            time.sleep(30 - now % 30 + 0.1)
        code = totp(secret)
        st, j = self.signin({"name": "bob", "password": PASSWORD, "totp": code})
        self.assertEqual(st, 200, j)
        st, j = self.signin({"name": "bob", "password": PASSWORD, "totp": code})
        self.assertEqual(st, 401, j)
        fails = [e["detail"]["reason"] for e in audit(self.d) if e["action"] == "person.signin_failed"]
        self.assertEqual(fails[-1], "TOTP code used already")
        self.assertNotIn(secret, json.dumps(audit(self.d)))


class FourEyes(TaxiiCase):
    @classmethod
    def setUpClass(cls):
        cls.d = DataDir()
        cls.coll = cls.d.collection("Cells", alias="cells")
        cls.pid, cls.ptok = cls.d.reader("cells", "P", "red")
        cls.s = Server(cls.d).start()

        def person(name, role):
            code = add_person(cls.d, name, role)
            st, _, b = cls.s.request("POST", "/liaison/signin", auth=False,
                                     content_type="application/json",
                                     body={"name": name, "code": code, "new_password": PASSWORD})
            assert st == 200, b
            return json.loads(b)["token"]
        cls.alice = person("alice", "analyst")
        cls.carol = person("carol", "analyst")
        cls.bob = person("bob", "releaser")
        cls.dave = person("dave", "releaser")

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()
        cls.d.cleanup()

    def post(self, tok, tlp, **extra):
        o = sdo(object_marking_refs=[TLP[tlp]], **extra)
        st, _, b = self.s.post_objects("cells", [o], token=tok)
        self.assertEqual(st, 202, b)
        self.assertEqual(b["success_count"], 1, b)
        return o

    def releases(self, state="pending"):
        st, _, j = self.s.get_json("/liaison/releases?state=" + state, token=self.bob)
        self.assertEqual(st, 200, j)
        return j["releases"]

    def key_of(self, oid):
        return [r for r in self.releases("all") if r["id"] == oid][-1]["key"]

    def decide(self, tok, key, verb, reason=None):
        body = {"reason": reason} if reason else None
        st, _, b = self.s.request("POST", "/liaison/releases/%s/%s" % (key, verb), token=tok,
                                  body=body, content_type="application/json")
        return st, (json.loads(b) if b else None)

    def partner_sees(self, oid, tok=None):
        """Whether the partner finds oid on any TAXII read route."""
        tok = tok or self.ptok
        base = ROOT + "collections/%s/" % self.coll
        seen = set()
        st, _, j = self.s.get_json(base + "objects/?limit=1000", token=tok)
        seen.add(any(o["id"] == oid for o in j.get("objects", [])))
        st, _, j = self.s.get_json(base + "manifest/?limit=1000", token=tok)
        seen.add(any(o["id"] == oid for o in j.get("objects", [])))
        st, _, j = self.s.get_json(base + "objects/%s/" % oid, token=tok)
        seen.add(st == 200)
        st, _, j = self.s.get_json(base + "objects/%s/versions/" % oid, token=tok)
        seen.add(st == 200)
        self.assertEqual(len(seen), 1, "routes disagree about %s" % oid)
        return seen.pop()

    def exported(self, partner="P"):
        out = os.path.join(self.d.tmp, "export-%s.json" % os.urandom(4).hex())
        run_cli("export", "--data", self.d.path, "--for", partner, "--collection", "cells", "--out", out)
        with open(out) as f:
            text = f.read()
        os.remove(out)
        return text

    def test_1_held_until_a_second_person_approves(self):
        green = self.post(self.alice, "green")
        strict = self.post(self.alice, "amber+strict", description="needle-strict")
        self.assertTrue(self.partner_sees(green["id"]))
        self.assertFalse(self.partner_sees(strict["id"]))
        self.assertNotIn(strict["id"], self.exported())
        st, _, j = self.s.get_json(ROOT + "collections/%s/objects/?limit=1000" % self.coll, token=self.ptok)
        last_added = j["objects"] and self.s.request(
            "GET", ROOT + "collections/%s/objects/?limit=1000" % self.coll, token=self.ptok)[1].get(
                "X-TAXII-Date-Added-Last")
        pending = [r for r in self.releases() if r["id"] == strict["id"]]
        self.assertEqual(len(pending), 1)
        self.assertEqual(pending[0]["author"], "alice")
        self.assertEqual(pending[0]["tlp"], "amber+strict")
        key = pending[0]["key"]
        # Bad input: the author (an analyst), another analyst, a token of no person, an
        # unknown key, a rejection without a reason, a partner.
        for tok, status, words in ((self.alice, 403, "only a releaser"), (self.carol, 403, "only a releaser"),
                                   (self.d.admin, 403, "named person")):
            st, j = self.decide(tok, key, "approve")
            self.assertEqual(st, status, j)
            self.assertIn(words, j["description"])
        self.assertEqual(self.decide(self.bob, 999, "approve")[0], 404)
        self.assertEqual(self.decide(self.bob, "x1", "approve")[0], 404)
        self.assertEqual(self.decide(self.bob, key, "reject")[0], 400)
        self.assertEqual(self.s.request("GET", "/liaison/releases", token=self.ptok)[0], 404)
        self.assertFalse(self.partner_sees(strict["id"]))
        # A releaser may not approve their own.
        own = self.post(self.bob, "red")
        st, j = self.decide(self.bob, self.key_of(own["id"]), "approve")
        self.assertEqual(st, 403, j)
        self.assertIn("second person", j["description"])
        # The second person approves: the partner now finds it, also reading only what was
        # added after the last page it had.
        st, j = self.decide(self.bob, key, "approve", "checked against the source")
        self.assertEqual(st, 200, j)
        self.assertEqual(j["state"], "approved")
        self.assertEqual(self.decide(self.dave, key, "approve")[0], 409)
        self.assertTrue(self.partner_sees(strict["id"]))
        q = urllib.parse.urlencode({"added_after": last_added})
        st, _, j = self.s.get_json(ROOT + "collections/%s/objects/?%s" % (self.coll, q), token=self.ptok)
        self.assertIn(strict["id"], [o["id"] for o in j["objects"]])
        self.assertIn(strict["id"], self.exported())
        # Rejected: never visible.
        st, j = self.decide(self.dave, self.key_of(own["id"]), "reject", "source not cleared")
        self.assertEqual(st, 200, j)
        self.assertFalse(self.partner_sees(own["id"]))
        log = audit(self.d)
        ap = [e for e in log if e["action"] == "release.approve"]
        self.assertEqual(ap[-1]["actor"].split("/")[0], "person:bob")
        self.assertEqual(ap[-1]["detail"]["author"], "alice")
        self.assertEqual(ap[-1]["detail"]["reason"], "checked against the source")
        rj = [e for e in log if e["action"] == "release.reject"]
        self.assertEqual(rj[-1]["detail"]["person"], "dave")

    def test_2_cli_release_and_bad_input(self):
        o = self.post(self.carol, "amber+strict")
        key = str(self.key_of(o["id"]))
        out = run_cli("release", "list", "--data", self.d.path).stdout
        self.assertIn(o["id"], out)
        r = run_cli("release", "approve", "--data", self.d.path, "--as", "carol", key, check=False)
        self.assertEqual(r.returncode, 4, r.stderr)
        r = run_cli("release", "approve", "--data", self.d.path, "--as", "nobody", key, check=False)
        self.assertEqual(r.returncode, 3, r.stderr)
        r = run_cli("release", "approve", "--data", self.d.path, "--as", "bob", "notakey", check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertFalse(self.partner_sees(o["id"]))
        run_cli("release", "approve", "--data", self.d.path, "--as", "dave", key)
        self.assertTrue(self.partner_sees(o["id"]))
        e = [e for e in audit(self.d) if e["action"] == "release.approve"][-1]
        self.assertEqual((e["actor"], e["detail"]["via"]), ("person:dave/cli", "cli"))

    def test_3_policy_per_collection_and_marking(self):
        # Automation (the admin token) is held only where a policy is set.
        auto = sdo(object_marking_refs=[TLP["amber+strict"]])
        self.s.post_objects("cells", [auto])
        self.assertTrue(self.partner_sees(auto["id"]))
        run_cli("release", "policy", "--data", self.d.path, "--collection", "cells", "--from", "amber")
        amber = sdo(object_marking_refs=[TLP["amber"]])
        self.s.post_objects("cells", [amber])
        self.assertFalse(self.partner_sees(amber["id"]))
        green = self.post(self.alice, "green")
        self.assertTrue(self.partner_sees(green["id"]))
        stmt = {"type": "marking-definition", "spec_version": "2.1",
                "id": "marking-definition--%s" % os.urandom(16).hex()[:8] + "-1111-4111-8111-111111111111",
                "created": "2024-01-01T00:00:00.000Z", "definition_type": "statement",
                "definition": {"statement": "Europol H2"}}
        stmt["id"] = "marking-definition--6c3e3e7a-8f1d-4a59-9b8e-%s" % os.urandom(6).hex()
        self.s.post_objects("cells", [stmt])
        run_cli("release", "policy", "--data", self.d.path, "--collection", "cells", "--marking", stmt["id"])
        marked = sdo(object_marking_refs=[TLP["green"], stmt["id"]])
        self.s.post_objects("cells", [marked])
        self.assertFalse(self.partner_sees(marked["id"]))
        bad = run_cli("release", "policy", "--data", self.d.path, "--from", "purple", check=False)
        self.assertEqual(bad.returncode, 2)
        bad = run_cli("release", "policy", "--data", self.d.path, "--collection", "nope", "--from", "red",
                      check=False)
        self.assertEqual(bad.returncode, 3)
        run_cli("release", "policy", "--data", self.d.path, "--collection", "cells", "--clear")
        self.assertTrue(any(e["action"] == "release.policy" for e in audit(self.d)))

    def test_4_four_eyes_partner(self):
        qid, qtok = self.d.reader("cells", "Q", "red")
        clear = self.post(self.alice, "clear")
        self.assertTrue(self.partner_sees(clear["id"], qtok))
        run_cli("release", "partner", "--data", self.d.path, "--partner", "Q", "--four-eyes")
        # Everything already there is held for Q now, not for P.
        self.assertFalse(self.partner_sees(clear["id"], qtok))
        self.assertTrue(self.partner_sees(clear["id"]))
        new = sdo(object_marking_refs=[TLP["green"]])
        self.s.post_objects("cells", [new])  # automation too
        self.assertFalse(self.partner_sees(new["id"], qtok))
        self.assertTrue(self.partner_sees(new["id"]))
        self.assertNotIn(new["id"], self.exported("Q"))
        st, j = self.decide(self.bob, self.key_of(new["id"]), "approve")
        self.assertEqual(st, 200, j)
        self.assertTrue(self.partner_sees(new["id"], qtok))
        # P read new under the key it had before the approval: the record still resolves.
        shown = run_cli("audit", "show", "--data", self.d.path, "--partner", "P").stdout
        self.assertIn(new["id"], shown)
        run_cli("audit", "verify", "--data", self.d.path)
        run_cli("release", "partner", "--data", self.d.path, "--partner", "Q", "--no-four-eyes")
        self.assertTrue(self.partner_sees(clear["id"], qtok))
        # Flagged when added.
        out = run_cli("partner", "add", "--data", self.d.path, "--name", "R", "--clearance", "red",
                      "--four-eyes").stdout.strip().splitlines()
        self.assertTrue(out[-1].startswith("identity--"), out)
        run_cli("grant", "--data", self.d.path, "--collection", "cells", "--partner", "R", "--read")
        rtok = run_cli("token", "issue", "--data", self.d.path, "--partner", "R").stdout.split()[-1]
        self.assertFalse(self.partner_sees(clear["id"], rtok))
        self.assertTrue(self.partner_sees(new["id"], rtok))  # approved above


class Property(TaxiiCase):
    """Random people act under random release policies; after every step, every version a
    partner can read needed no second person, or was approved by a person other than its
    author; and the audit log names the right person for every write and decision."""

    def test_random_people_and_policies(self):
        seed = int(os.environ.get("LIAISON_SEED", random.randrange(1 << 30)))
        rng = random.Random(seed)
        d = DataDir()
        s = Server(d).start()
        try:
            self.run_world(rng, d, s, seed)
        finally:
            s.stop()
            d.cleanup()

    def run_world(self, rng, d, s, seed):
        colls = {}
        for alias in ("a", "b"):
            d.collection(alias, alias=alias)
            colls[alias] = RANK.index(rng.choice(["green", "amber", "amber+strict"]))  # policy
            if rng.random() < 0.5:
                run_cli("release", "policy", "--data", d.path, "--collection", alias, "--from",
                        RANK[colls[alias]])
            else:
                colls[alias] = RANK.index("amber+strict")  # built in
        run_cli("partner", "add", "--data", d.path, "--name", "P", "--clearance", "red")
        for alias in colls:
            run_cli("grant", "--data", d.path, "--collection", alias, "--partner", "P", "--read")
        ptok = run_cli("token", "issue", "--data", d.path, "--partner", "P").stdout.split()[-1]
        people = {}
        for i in range(6):
            name = "p%d" % i
            role = rng.choice(["analyst", "releaser", "admin"])
            code = add_person(d, name, role)
            st, _, b = s.request("POST", "/liaison/signin", auth=False, content_type="application/json",
                                 body={"name": name, "code": code, "new_password": PASSWORD})
            self.assertEqual(st, 200, b)
            people[name] = (role, json.loads(b)["token"])
        model = {}  # id -> {"coll", "author", "needs", "approved_by", "rejected"}
        ctx = "seed %d" % seed
        for step in range(40):
            if rng.random() < 0.6 or not model:
                name = rng.choice(sorted(people))
                alias = rng.choice(sorted(colls))
                tlp = rng.randrange(4)  # TLP:RED reaches only recipients it names
                o = sdo(object_marking_refs=[TLP[RANK[tlp]]])
                st, _, b = s.post_objects(alias, [o], token=people[name][1])
                self.assertEqual(st, 202, (ctx, b))
                model[o["id"]] = {"coll": alias, "author": name, "needs": tlp >= colls[alias],
                                  "approved_by": None, "rejected": False}
            else:
                oid = rng.choice(sorted(model))
                m = model[oid]
                name = rng.choice(sorted(people))
                role, tok = people[name]
                st, _, j = s.get_json("/liaison/releases?state=all", token=tok)
                rows = [r for r in j["releases"] if r["id"] == oid]
                self.assertEqual(bool(rows), m["needs"], (ctx, oid, m))
                if not rows:
                    continue
                verb = rng.choice(["approve", "approve", "reject"])
                st, _, b = s.request("POST", "/liaison/releases/%d/%s" % (rows[0]["key"], verb), token=tok,
                                     body={"reason": "r"}, content_type="application/json")
                decided = m["approved_by"] or m["rejected"]
                ok = role in ("releaser", "admin") and name != m["author"] and not decided
                self.assertEqual(st == 200, ok, (ctx, name, role, m, st, b))
                if ok and verb == "approve":
                    m["approved_by"] = name
                elif ok:
                    m["rejected"] = True
            for alias in colls:
                st, _, j = s.get_json(ROOT + "collections/%s/objects/?limit=1000" % alias, token=ptok)
                seen = {o["id"] for o in j.get("objects", [])}
                for oid, m in model.items():
                    if m["coll"] != alias:
                        continue
                    want = not m["needs"] or (m["approved_by"] is not None)
                    self.assertEqual(oid in seen, want, (ctx, step, oid, m))
                    if oid in seen and m["needs"]:
                        self.assertNotEqual(m["approved_by"], m["author"])
        log = audit(d)
        writers = [e["actor"].split("/")[0] for e in log if e["action"] == "objects.add"]
        self.assertEqual(len(writers), sum(1 for _ in model), ctx)
        self.assertEqual(sorted(writers), sorted("person:" + m["author"] for m in model.values()), ctx)
        approvals = {e["detail"]["id"]: e["actor"].split("/")[0] for e in log if e["action"] == "release.approve"}
        self.assertEqual(approvals, {oid: "person:" + m["approved_by"] for oid, m in model.items()
                                     if m["approved_by"]}, ctx)


if __name__ == "__main__":
    main()
