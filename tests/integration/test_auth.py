"""Authentication and authorisation: missing, forged, revoked and expired tokens,
HTTP Basic with the token as the password, read-only tokens."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import DataDir, Server, TaxiiCase, ROOT, basic, main, run_cli, sdo  # noqa: E402

D = S = None
CID = None
OID = None
PATHS = []


def setUpModule():
    global D, S, CID, OID
    D = DataDir()
    CID = D.collection("Auth", alias="auth")
    S = Server(D).start()
    o = sdo("indicator")
    OID = o["id"]
    st, _, j = S.post_objects(CID, [o])
    assert st == 202 and j["success_count"] == 1, j
    PATHS.extend(["/taxii2/", ROOT, ROOT + "collections/", ROOT + "collections/auth/",
                  ROOT + "collections/auth/objects/", ROOT + "collections/auth/manifest/",
                  ROOT + "collections/auth/objects/%s/" % OID, ROOT + "collections/auth/objects/%s/versions/" % OID,
                  ROOT + "status/%s/" % j["id"]])


def tearDownModule():
    try:
        if S:
            S.stop()
    finally:
        if D:
            D.cleanup()


class Auth(TaxiiCase):
    def snapshot(self):
        return S.manifest_all(CID)

    def unauthorized(self, resp):
        j = self.assertTaxiiError(resp, 401)
        www = resp[1].get_all("WWW-Authenticate") or []
        self.assertTrue(any(w.startswith("Bearer") for w in www), www)
        self.assertTrue(any(w.startswith("Basic") for w in www), www)
        self.assertEqual(j["description"], "missing or invalid credentials")
        self.assertNotIn(b"objects", resp[2])
        return j

    def test_01_missing_authorization(self):
        for p in PATHS:
            with self.subTest(path=p):
                self.unauthorized(S.request("GET", p, auth=False))
        before = self.snapshot()
        self.unauthorized(S.request("POST", ROOT + "collections/auth/objects/", auth=False,
                                    body={"objects": [sdo("malware")]}))
        self.unauthorized(S.request("DELETE", ROOT + "collections/auth/objects/%s/" % OID, auth=False))
        self.assertEqual(self.snapshot(), before)
        # health needs no token
        self.assertEqual(S.request("GET", "/healthz", auth=False)[0], 200)

    def test_02_forged_tokens(self):
        tok_id, secret = D.admin.split(".")
        other = "A" * len(secret)
        forged = ["", "x", tok_id, tok_id + ".", "." + secret, tok_id + "." + other,
                  "AAAAAAAAAAAAAAAA." + secret, tok_id + "." + secret[:-1], tok_id + "." + secret + "A",
                  tok_id[:-1] + "B." + secret if tok_id[-1] != "B" else tok_id[:-1] + "C." + secret,
                  tok_id + "." + secret[:-1] + ("B" if secret[-1] != "B" else "C"),
                  "' OR 1=1 --", "x" * 10000, tok_id + "%2E" + secret, D.admin.replace(".", ":")]
        for f in forged:
            with self.subTest(token=f[:40]):
                self.unauthorized(S.request("GET", ROOT + "collections/", token=f))
        for h in ("Token " + D.admin, "Bearer", "Bearer  ", "Basic", "Basic !!!", "Basic " + "QQ==" * 200,
                  "Digest username=x", D.admin, "Bearer " + D.admin + " extra"):
            with self.subTest(header=h[:40]):
                self.unauthorized(S.request("GET", ROOT + "collections/", auth=False, headers={"Authorization": h}))
        # the same answer for an unknown id and for a wrong secret
        a = S.request("GET", ROOT, token="AAAAAAAAAAAAAAAA." + secret)[2]
        b = S.request("GET", ROOT, token=tok_id + "." + other)[2]
        self.assertEqual(a, b)
        # case matters: the scheme name does not
        self.assertEqual(S.request("GET", ROOT, auth=False, headers={"Authorization": "bearer " + D.admin})[0], 200)

    def test_03_basic_auth(self):
        for user in ("alice", "", "anything at all", D.admin.split(".")[0], "user:with:colons"):
            with self.subTest(user=user):
                st, hd, b = S.request("GET", ROOT + "collections/auth/objects/", auth=False,
                                      headers={"Authorization": basic(user, D.admin)})
                if ":" in user:  # the password is after the first colon
                    self.unauthorized((st, hd, b))
                    continue
                self.assertEqual(st, 200, b[:200])
                self.assertEqual([o["id"] for o in json.loads(b)["objects"]], [OID])
        for user, pw in (("alice", "wrong"), ("alice", D.admin + "x"), (D.admin, ""), (D.admin, "x"),
                         ("alice", D.admin[:-1])):
            with self.subTest(user=user[:10], pw=pw[:10]):
                self.unauthorized(S.request("GET", ROOT, auth=False, headers={"Authorization": basic(user, pw)}))
        # POST with Basic works too
        st, _, b = S.request("POST", ROOT + "collections/auth/objects/", auth=False,
                             headers={"Authorization": basic("svc", D.admin)},
                             body={"objects": [sdo("identity")]})
        self.assertEqual(st, 202, b)

    def test_04_revoked_token(self):
        tid, tok = D.token("--label", "to revoke")
        for _ in range(3):
            self.assertEqual(S.request("GET", ROOT + "collections/", token=tok)[0], 200)
        # a few writes, so that the server's store connections have all been used
        for _ in range(6):
            self.assertEqual(S.post_objects(CID, [sdo("malware")], token=tok)[0], 202)
        run_cli("token", "revoke", "--data", D.path, tid)
        before = self.snapshot()
        for i in range(24):  # every pooled connection must see the revocation
            self.unauthorized(S.request("GET", ROOT + "collections/auth/objects/", token=tok))
        self.unauthorized(S.request("POST", ROOT + "collections/auth/objects/", token=tok,
                                    body={"objects": [sdo("malware")]}))
        self.unauthorized(S.request("GET", ROOT, auth=False, headers={"Authorization": basic("u", tok)}))
        self.assertEqual(self.snapshot(), before)
        # still revoked after a restart; the admin token still works
        S.restart()
        self.unauthorized(S.request("GET", ROOT, token=tok))
        self.assertEqual(S.request("GET", ROOT)[0], 200)
        # revoking an unknown id fails
        p = run_cli("token", "revoke", "--data", D.path, "AAAAAAAAAAAAAAAA", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertTrue(p.stderr.strip())

    def test_05_expired_token(self):
        _, short = D.token("--expires", "1s")
        _, longer = D.token("--expires", "1h")
        time.sleep(2)
        self.unauthorized(S.request("GET", ROOT, token=short))
        self.unauthorized(S.request("GET", ROOT, auth=False, headers={"Authorization": basic("u", short)}))
        self.assertEqual(S.request("GET", ROOT, token=longer)[0], 200)
        out = run_cli("token", "list", "--data", D.path).stdout
        self.assertIn("expired", out)
        for bad in ("0s", "1", "s", "-1s", "1y", "abc", "99999999999999d"):
            p = run_cli("token", "issue", "--data", D.path, "--admin", "--expires", bad, check=False)
            self.assertEqual(p.returncode, 2, (bad, p.stdout, p.stderr))
            self.assertIn("--expires", p.stderr)

    def test_06_read_only_token(self):
        _, ro = D.token("--read-only")
        for p in PATHS:
            with self.subTest(path=p):
                self.assertEqual(S.request("GET", p, token=ro)[0], 200)
        before = self.snapshot()
        self.assertTaxiiError(S.request("POST", ROOT + "collections/auth/objects/", token=ro,
                                        body={"objects": [sdo("malware")]}), 403)
        self.assertTaxiiError(S.request("POST", ROOT + "collections/auth/objects/", token=ro,
                                        body=b"not even json"), 403)
        self.assertTaxiiError(S.request("DELETE", ROOT + "collections/auth/objects/%s/" % OID, token=ro), 403)
        self.assertTaxiiError(S.request("DELETE", ROOT + "collections/auth/objects/%s/?match[version]=all" % OID,
                                        token=ro), 403)
        self.assertEqual(self.snapshot(), before)


if __name__ == "__main__":
    main()
