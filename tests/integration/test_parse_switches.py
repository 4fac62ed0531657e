"""The ingest speed machinery changes nothing but speed (docs/configuration.md: fast_parse,
parse_arena_bytes): the same large envelope (split and parsed on two threads) posted to a
server with both on (the default) and to one with both off stores the same objects and
gives the same status; a broken element (a duplicate key, a \\u0000, a lone surrogate) is
refused with the same words either way and leaves the rest stored."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import DataDir, Server, TaxiiCase, main, sdo  # noqa: E402

N = 200  # past the split thresholds (64 objects and 64 KiB)


def envelope_text(objs, broken):
    """The envelope as text, with the broken elements written by hand."""
    parts = [json.dumps(o, ensure_ascii=False) for o in objs]
    return ('{"objects":[' + ",".join(parts + broken) + "]}").encode()


class ParseSwitchesTest(TaxiiCase):
    def server(self, sets):
        d = DataDir()
        self.addCleanup(d.cleanup)
        d.collection("Switches", alias="sw")
        s = Server(d, sets=sets).start()
        self.addCleanup(s.stop)
        return s

    @staticmethod
    def post(s, body):
        st, _, b = s.request("POST", "/taxii2/default/collections/sw/objects/", body=body,
                             content_type="application/taxii+json;version=2.1")
        return st, json.loads(b)

    @staticmethod
    def stored(s):
        return sorted(json.dumps(o, sort_keys=True) for o in s.objects_all("sw"))

    def test_on_and_off_store_the_same_and_refuse_the_same(self):
        on = self.server([])
        off = self.server(["fast_parse=false", "parse_arena_bytes=0"])
        objs = []
        for i in range(N):
            objs.append(sdo("threat-actor", name="Katiba %d \u0643\u062a\u064a\u0628\u0629 \u2713 \"q\" \\ b" % i,
                            description="x" * 400 + " \u00e9\u0301 \U0001F600",
                            confidence=i % 100, x_ratio=i / 7.0, x_big=2 ** 62 + i, x_neg=-i,
                            x_list=[None, True, False, {"k": [1, 2.5e-3, "v"]}]))
        head = '{"type":"malware","spec_version":"2.1","id":"malware--00000000-0000-4000-8000-00000000000%d","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","is_family":false,'
        broken = {
            "duplicate key": head % 1 + '"name":"a","name":"b"}',
            "escaped NUL": head % 2 + '"name":"a\\u0000b"}',
            "lone surrogate": head % 3 + '"name":"a\\ud800b"}',
            "number past 64 bits": head % 4 + '"name":"a","x_n":123456789012345678901234567890}',
            "trailing comma": head % 5 + '"name":"a",}',
        }
        for what, element in broken.items():
            body = envelope_text(objs, [element])
            self.assertGreater(len(body), 65536)
            a, b = self.post(on, body), self.post(off, body)
            self.assertEqual(a, b, what)
            self.assertEqual((self.stored(on), self.stored(off)), ([], []), what)
        body = envelope_text(objs, [])
        (sa, ja), (sb, jb) = self.post(on, body), self.post(off, body)
        self.assertEqual((sa, sb), (202, 202), (ja, jb))
        self.assertEqual(ja["success_count"], N, ja)
        for k in ("success_count", "failure_count", "pending_count", "total_count"):
            self.assertEqual(ja.get(k), jb.get(k), k)
        a, b = self.stored(on), self.stored(off)
        self.assertEqual(len(a), N)
        self.assertEqual(a, b)


if __name__ == "__main__":
    main()
