"""Bad input: every refusal is a TAXII error message with the right status, and
a refused POST or DELETE leaves the store exactly as it was (manifest compared
before and after). Limits are set small so that each is crossed cheaply."""
import base64
import json
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import DataDir, Server, TaxiiCase, ROOT, TAXII, STIX, main, sdo  # noqa: E402

D = S = None
CID = CID2 = None
OID = "indicator--1f0d5b2a-5b3e-4f55-8d0b-3a4b6c7d8e9f"
LIMITS = ["max_content_length=65536", "max_json_depth=16", "max_string_length=1024",
          "max_objects_per_bundle=10", "max_filter_values=10", "max_page_size=50"]


def setUpModule():
    global D, S, CID, CID2
    D = DataDir()
    CID = D.collection("Bad input", alias="bad")
    CID2 = D.collection("Other", alias="other")
    S = Server(D, sets=LIMITS).start()
    objs = [sdo("indicator", id_=OID, modified=m) for m in
            ("2024-01-01T00:00:00.000Z", "2024-02-01T00:00:00.000Z")]
    objs += [sdo("malware") for _ in range(6)]
    st, _, j = S.post_objects(CID, objs)
    assert st == 202 and j["success_count"] == 8, j


def tearDownModule():
    try:
        if S:
            S.stop()
    finally:
        if D:
            D.cleanup()


OBJECTS = ROOT + "collections/%s/objects/"


def objects_url(c=None):
    return OBJECTS % (c or CID)


class BadInput(TaxiiCase):
    def snapshot(self):
        return (S.manifest_all(CID), S.manifest_all(CID2))

    def refused_unchanged(self, status, body=None, method="POST", path=None, contains=None, **kw):
        """Sends a request that must be refused with status and change nothing."""
        before = self.snapshot()
        resp = S.request(method, path or objects_url(), body=body, **kw)
        j = self.assertTaxiiError(resp, status, contains)
        self.assertEqual(self.snapshot(), before, "the store changed after a refused request")
        return j

    # -- bodies ------------------------------------------------------------

    def test_malformed_json(self):
        o = json.dumps(sdo("indicator"))
        for body in ('{"objects": [' + o, '{"objects": [' + o + ']} x', '{"objects": [' + o + ',]}',
                     "{'objects': []}", '{"objects": [], "objects": []}', "nul", "   ",
                     '{"objects": [{"type": "indicator", "type": "malware"}]}'):
            with self.subTest(body=body[:40]):
                self.refused_unchanged(400, body=body.encode())
        self.refused_unchanged(400, body=b"")

    def test_invalid_utf8(self):
        o = sdo("indicator", name="PLACEHOLDER")
        raw = json.dumps({"objects": [o]}).encode()
        for bad in (b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\xc0\xaf"):
            with self.subTest(bytes=bad):
                self.refused_unchanged(400, body=raw.replace(b"PLACEHOLDER", b"a" + bad + b"b"))
        # escaped lone surrogates and NUL are refused too
        for esc in (b"\\ud800", b"\\u0000"):
            self.refused_unchanged(400, body=raw.replace(b"PLACEHOLDER", esc))

    def test_body_over_max_content_length(self):
        body = b'{"objects": [], "x": "' + b"a" * 70000 + b'"}'
        self.refused_unchanged(413, body=body, contains="max_content_length")
        self.refused_unchanged(413, body=body, chunked=True, contains="max_content_length")
        # announced length too large, the body never sent
        before = self.snapshot()
        req = ("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\n"
               "Content-Length: 99999999\r\n\r\n" % (objects_url(), D.admin, TAXII)).encode()
        out = S.raw(req, timeout=10)
        self.assertTrue(out.startswith(b"HTTP/1.1 413 "), out[:200])
        self.assertIn(b'"http_status":"413"', out)
        self.assertEqual(self.snapshot(), before)
        # just under the limit is fine (a padded empty envelope)
        ok = json.dumps({"objects": [], "x": ["a" * 1000] * 60}).encode()
        self.assertLess(len(ok), 65536)
        st, _, b = S.request("POST", objects_url(), body=ok)
        self.assertEqual(st, 202, b[:300])

    def test_nesting_deeper_than_max_json_depth(self):
        o = sdo("indicator")
        deep = json.dumps(o)[:-1] + ', "x_deep": ' + "[" * 20 + "]" * 20 + "}"
        self.refused_unchanged(413, body=('{"objects": [%s]}' % deep).encode(), contains="nesting")
        self.refused_unchanged(413, body=("[" * 200 + "]" * 200).encode())
        # within the limit: stored
        ok = dict(sdo("indicator"), x_nested=[[[[1]]]])
        st, _, j = S.post_objects(CID2, [ok])
        self.assertEqual((st, j["success_count"]), (202, 1), j)
        S.request("DELETE", OBJECTS % CID2 + ok["id"] + "/")

    def test_string_over_max_string_length(self):
        o = sdo("indicator", description="d" * 1025)
        self.refused_unchanged(413, body={"objects": [o]}, contains="string")
        # escapes count as the bytes they stand for
        o = sdo("indicator", description="\u00e9" * 600)  # 1200 bytes of UTF-8
        self.refused_unchanged(413, body=json.dumps({"objects": [o]}).encode())
        self.refused_unchanged(413, body={"objects": [], "k" * 1100: 1})

    def test_more_objects_than_max_objects_per_bundle(self):
        objs = [sdo("malware") for _ in range(11)]
        self.refused_unchanged(413, body={"objects": objs}, contains="limit of 10")
        self.refused_unchanged(413, body={"type": "bundle", "id": "bundle--0b7a07f3-8f2a-4d2e-9b77-06bb1d8b8f3a",
                                          "objects": objs})
        st, _, j = S.post_objects(CID2, objs[:10])
        self.assertEqual((st, j["success_count"]), (202, 10))
        for o in objs[:10]:
            S.request("DELETE", OBJECTS % CID2 + o["id"] + "/")

    def test_wrong_content_type(self):
        body = {"objects": [sdo("indicator")]}
        for ct in ("application/json", "text/plain", "application/taxii+json;version=2.0",
                   "application/stix+json;version=2.0", "application/x-www-form-urlencoded",
                   "application/taxii+jsonx", "multipart/form-data; boundary=x"):
            with self.subTest(ct=ct):
                self.refused_unchanged(415, body=body, content_type=ct)
        self.refused_unchanged(415, body=body, headers={"Content-Type": None})

    def test_envelope_not_an_object(self):
        for body, status in (("[]", 422), ('"objects"', 422), ("42", 422), ("null", 422),
                             ('{"objects": {}}', 422), ('{"objects": [1]}', 422),
                             ('{"objects": [[]]}', 422), (json.dumps(sdo("indicator")), 422),
                             ('{"id": "bundle--0b7a07f3-8f2a-4d2e-9b77-06bb1d8b8f3a", "objects": []}', 422),
                             ('{"type": "bundle", "id": "nope", "objects": []}', 422)):
            with self.subTest(body=body[:40]):
                self.refused_unchanged(status, body=body.encode())

    def test_stix20_bundle(self):
        o = sdo("malware")
        del o["spec_version"]
        b = {"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "spec_version": "2.0",
             "objects": [o]}
        self.refused_unchanged(422, body=b, contains="2.0")

    def test_post_to_unknown_collection(self):
        body = {"objects": [sdo("indicator")]}
        self.refused_unchanged(404, body=body, path=objects_url("0b7a07f3-8f2a-4d2e-9b77-06bb1d8b8f3a"))
        self.refused_unchanged(404, body=body, path=objects_url("nope"))

    # -- negotiation and parameters -----------------------------------------

    def test_accept(self):
        for path, stix_ok in (("/taxii2/", False), (ROOT, False), (ROOT + "collections/", False),
                              (ROOT + "collections/bad/", False), (objects_url(), True),
                              (ROOT + "collections/bad/manifest/", False),
                              (objects_url() + OID + "/", True)):
            for acc in ("text/html", "application/json", "application/taxii+json;version=2.0",
                        "application/stix+json;version=2.0", "application/xml, text/plain",
                        "application/taxii+json;version=2.2"):
                with self.subTest(path=path, accept=acc):
                    self.assertTaxiiError(S.request("GET", path, accept=acc), 406)
            if not stix_ok:
                self.assertTaxiiError(S.request("GET", path, accept=STIX), 406)
            for acc in ("application/taxii+json", TAXII, "*/*", "application/*",
                        "text/html, application/taxii+json;version=2.1", "application/taxii+json; version=2.1",
                        "application/taxii+json;version=2.1;q=0.9"):
                with self.subTest(path=path, accept=acc):
                    st, hd, b = S.request("GET", path, accept=acc)
                    self.assertEqual(st, 200, b[:200])
                    self.assertEqual(hd.get("Content-Type"), TAXII)
        # POST answers with a status resource: Accept must allow taxii
        self.refused_unchanged(406, body={"objects": [sdo("indicator")]},
                               headers={"Accept": "application/taxii+json;version=2.0"})

    def test_unknown_and_repeated_parameters(self):
        for q in ("foo=1", "limit=1&foo=2", "match[name]=x", "match%5Bid%5D%5B%5D=x", "LIMIT=1",
                  "added_after=2024-01-01T00:00:00Z&added_after=2024-01-01T00:00:00Z",
                  "limit=1&limit=2", "match[type]=indicator&match[type]=malware", "limit"):
            for path in (objects_url(), ROOT + "collections/bad/manifest/", objects_url() + OID + "/",
                         objects_url() + OID + "/versions/"):
                with self.subTest(q=q, path=path):
                    self.assertTaxiiError(S.request("GET", path + "?" + q), 400)
        for path in ("/taxii2/", ROOT, ROOT + "collections/", ROOT + "collections/bad/"):
            self.assertTaxiiError(S.request("GET", path + "?limit=1"), 400)
        # filters the endpoint does not take
        self.assertTaxiiError(S.request("GET", objects_url() + OID + "/?match[id]=" + OID), 400)
        self.assertTaxiiError(S.request("GET", objects_url() + OID + "/versions/?match[version]=all"), 400)
        # POST takes no parameters; DELETE only match[version] and match[spec_version]
        self.refused_unchanged(400, body={"objects": [sdo("indicator")]}, path=objects_url() + "?limit=1")
        self.refused_unchanged(400, method="DELETE", path=objects_url() + OID + "/?limit=1")
        self.refused_unchanged(400, method="DELETE", path=objects_url() + OID + "/?match[version]=a&match[version]=b")
        self.assertTaxiiError(S.request("GET", objects_url() + "?" + "&".join("p%d=1" % i for i in range(70))), 400)
        # more filter values than max_filter_values
        self.assertTaxiiError(S.request("GET", objects_url() + "?match[type]=" + ",".join(["malware"] * 11)), 400)
        for q in ("match[type]=", "match[type]=malware,,indicator", "match[type]=,", "match[type]=Malware",
                  "match[type]=' OR 1=1 --", "match[spec_version]=2", "match[spec_version]=two",
                  "match[spec_version]=2.1.1", "match[version]=", "match[type]=malware%00x"):
            with self.subTest(q=q):
                self.assertTaxiiError(S.request("GET", objects_url() + "?" + q.replace(" ", "%20")), 400)

    def test_bad_timestamps(self):
        bad = ["yesterday", "2024-13-01T00:00:00Z", "2024-01-01", "2024-01-01T00:00:00", "2024-02-30T00:00:00Z",
               "2024-01-01T25:00:00Z", "2024-01-01T00:00:00.Z", "2024-01-01T00:00:00+01:00",
               "0", "2024-01-01 00:00:00Z", "' OR 1=1 --", "2024-01-01T00:00:00Z;DROP TABLE object"]
        for v in bad:
            q = urllib.parse.quote(v)
            with self.subTest(v=v):
                self.assertTaxiiError(S.request("GET", objects_url() + "?added_after=" + q), 400, "added_after")
                self.assertTaxiiError(S.request("GET", objects_url() + "?match[version]=" + q), 400, "match[version]")
                self.assertTaxiiError(S.request("GET", ROOT + "collections/bad/manifest/?added_after=" + q), 400)
                self.refused_unchanged(400, method="DELETE", path=objects_url() + OID + "/?match[version]=" + q)
        self.assertTaxiiError(S.request("GET", objects_url() + "?match[version]=newest"), 400)
        self.assertTaxiiError(S.request("GET", objects_url() + "?match[version]=last,latest"), 400)

    def test_bad_ids(self):
        bad = ["indicator", "indicator--123", "indicator--1f0d5b2a-5b3e-4f55-8d0b-3a4b6c7d8e9", "--" + OID[11:],
               "Indicator--1f0d5b2a-5b3e-4f55-8d0b-3a4b6c7d8e9f", "indicator--1f0d5b2a5b3e4f558d0b3a4b6c7d8e9f",
               "indicator--1F0D5B2A-5B3E-4F55-8D0B-3A4B6C7D8E9G", "' OR 1=1 --", OID + "'", OID + ";--",
               "indicator--1f0d5b2a-5b3e-4f55-8d0b-3a4b6c7d8e9f--x", "../" + OID]
        for v in bad:
            with self.subTest(v=v):
                q = urllib.parse.quote(v, safe="")
                self.assertTaxiiError(S.request("GET", objects_url() + "?match[id]=" + q), 400, "match[id]")
                self.assertTaxiiError(S.request("GET", objects_url() + "?match[id]=%s,%s" % (OID, q)), 400)
                self.assertTaxiiError(S.request("GET", objects_url() + q + "/"), 404)
                self.assertTaxiiError(S.request("GET", objects_url() + q + "/versions/"), 404)
                self.refused_unchanged(404, method="DELETE", path=objects_url() + q + "/")

    # -- path tricks ---------------------------------------------------------

    def test_path_tricks_and_sql_metacharacters(self):
        evil = ["'", "'%20OR%201=1%20--", "1;DROP%20TABLE%20object", "%22", "--", "1'%20OR%20'1'='1", "%27%20OR%20%271%27%3D%271", "%00", "a%00",
                "bad%00", "bad%00/objects", "%2e%2e", "..", ".", "%2e", "bad%2fobjects", "bad%2Fobjects", "%2f",
                "%5c..%5c", "..%2f..%2f", "%E2%82%AC", "%F0%9F%92%A9", "%C0%AE%C0%AE", "%ff", "a" * 5000,
                "%25", "%", "%zz", "*", "bad;x", "bad?x=1".replace("?", "%3F"), "%20bad", "bad%20",
                "status", "bad%0d%0aX-Injected:%201", "bad%09", "%3Cscript%3E", "\\", "bad\\..\\x"]
        templates = ["/taxii2/%s/", "/taxii2/default/collections/%s/", "/taxii2/default/collections/%s/objects/",
                     "/taxii2/default/collections/%s/manifest/", "/taxii2/default/collections/bad/objects/%s/",
                     "/taxii2/default/collections/bad/objects/%s/versions/",
                     "/taxii2/default/collections/%s/objects/" + OID + "/",
                     "/taxii2/default/status/%s/", "/taxii2/default/%s/", "/%s/default/collections/"]
        for t in templates:
            for e in evil:
                path = t % e
                with self.subTest(path=path[:120]):
                    st, hd, b = S.request("GET", path)
                    self.assertIn(st, (400, 404), b[:200])
                    self.assertTaxiiError((st, hd, b), st)
                    self.assertIsNone(hd.get("X-Injected"))
        before = self.snapshot()
        for e in evil:
            for t in ("/taxii2/default/collections/%s/objects/", "/taxii2/default/collections/bad/objects/%s/"):
                for m in ("POST", "DELETE"):
                    st, hd, b = S.request(m, t % e, body={"objects": [sdo("indicator")]} if m == "POST" else None)
                    self.assertIn(st, (400, 404, 405), (m, t % e, b[:200]))
                    self.assertTaxiiError((st, hd, b), st)
        self.assertEqual(self.snapshot(), before)
        # extra slashes, dot segments, too many segments, raw non-ASCII bytes
        for path in ("//taxii2/", "/taxii2//", "/taxii2/default//collections/", "/taxii2/default/collections//",
                     "/taxii2/default/collections/bad//objects/", "/taxii2/default/collections/./bad/",
                     "/taxii2/default/collections/../collections/bad/", "/taxii2/default/collections/bad/objects/../",
                     "/taxii2/default/collections/bad/objects/" + OID + "/versions/x/",
                     "/" + "/".join(["a"] * 20) + "/", "/taxii2/default/collections/bad/objects/" + OID + "//",
                     "/taxii2/default/collections/bad/manifest/x/"):
            with self.subTest(path=path):
                st, hd, b = S.request("GET", path)
                self.assertEqual(st, 404, b[:200])
                self.assertTaxiiError((st, hd, b), 404)
        for raw_seg in (b"\xe2\x82\xac", b"\xff\xfe", b"bad\x01"):
            req = (b"GET /taxii2/default/collections/" + raw_seg + b"/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                   D.admin.encode() + b"\r\nConnection: close\r\n\r\n")
            out = S.raw(req)
            self.assertRegex(out[:12], rb"^HTTP/1\.1 (400|404)", out[:200])

    # -- next tokens ---------------------------------------------------------

    def test_bad_next_tokens(self):
        st, hd, b = S.request("GET", objects_url() + "?limit=2&match[type]=malware")
        j = json.loads(b)
        tok = j["next"]
        raw = base64.urlsafe_b64decode(tok + "=" * (-len(tok) % 4))
        flipped = [bytearray(raw) for _ in range(3)]
        flipped[0][0] ^= 1           # version
        flipped[1][12] ^= 1          # the date_added
        flipped[2][-1] ^= 1          # the MAC
        tampered = [base64.urlsafe_b64encode(bytes(f)).decode().rstrip("=") for f in flipped]
        forged = base64.urlsafe_b64encode(b"\x01" + b"\x00" * 64).decode().rstrip("=")
        bad = tampered + [forged, tok[:-1], tok[:10], tok + "A", tok + tok, "x", "!!!!", "a" * 5000,
                          tok[:-2] + ("AA" if tok[-2:] != "AA" else "BB"), "' OR 1=1 --", "%00" + tok]
        for t in bad:
            with self.subTest(token=t[:30]):
                q = urllib.parse.quote(t, safe="%")
                self.assertTaxiiError(S.request("GET", objects_url() + "?limit=2&match[type]=malware&next=" + q),
                                      400, "next token")
        # a valid token with other filters, another endpoint, another collection
        for path in (objects_url() + "?limit=2&next=" + tok,
                     objects_url() + "?limit=2&match[type]=indicator&next=" + tok,
                     objects_url() + "?limit=2&match[type]=malware&match[version]=all&next=" + tok,
                     objects_url() + "?limit=2&match[type]=malware&added_after=2000-01-01T00:00:00Z&next=" + tok,
                     ROOT + "collections/bad/manifest/?limit=2&match[type]=malware&next=" + tok,
                     objects_url(CID2) + "?limit=2&match[type]=malware&next=" + tok,
                     objects_url() + OID + "/?next=" + tok, objects_url() + OID + "/versions/?next=" + tok):
            with self.subTest(path=path[:100]):
                self.assertTaxiiError(S.request("GET", path), 400, "next token")
        # the token itself is fine with its own query, and with another limit
        self.assertEqual(S.request("GET", objects_url() + "?limit=2&match[type]=malware&next=" + tok)[0], 200)
        self.assertEqual(S.request("GET", objects_url() + "?limit=5&match[type]=malware&next=" + tok)[0], 200)

    # -- methods ---------------------------------------------------------------

    def test_wrong_methods(self):
        cases = [("/taxii2/", "GET"), (ROOT, "GET"), (ROOT + "collections/", "GET"),
                 (ROOT + "collections/bad/", "GET"), (ROOT + "collections/bad/manifest/", "GET"),
                 (objects_url(), "GET, POST"), (objects_url() + OID + "/", "GET, DELETE"),
                 (objects_url() + OID + "/versions/", "GET"),
                 (ROOT + "status/0b7a07f3-8f2a-4d2e-9b77-06bb1d8b8f3a/", "GET")]
        before = self.snapshot()
        for path, allow in cases:
            for m in ("PUT", "PATCH", "DELETE", "POST", "OPTIONS", "TRACE"):
                if m in allow.split(", "):
                    continue
                with self.subTest(path=path, method=m):
                    resp = S.request(m, path, body={"objects": []} if m in ("PUT", "PATCH", "POST") else None)
                    self.assertTaxiiError(resp, 405)
                    self.assertEqual(resp[1].get("Allow"), allow)
        self.assertEqual(self.snapshot(), before)


if __name__ == "__main__":
    main()
