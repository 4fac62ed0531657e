"""Flows through TAXII (docs/flows.md, issue 19 first half): the example bundle of
docs/schemas/liaison-flow-example.json (the liaison identity, the flow extension-definition,
Algiers' identity, places, a group and two graded flows) is stored whole and served
verbatim, the definition objects by id too; the bad inputs of the issue (a flow without
from or to, refs to non-locations, an unknown commodity, a negative quantity) are each
refused in the status naming its rule and property, and none of them is stored."""
import copy
import json
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import DataDir, Server, TaxiiCase, main  # noqa: E402

D = S = None
CID = None
SOURCE = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FLOW_EXT = "extension-definition--b708057e-3178-4c8c-a463-32ad8e683cd7"
LIAISON = "identity--39b9baf5-cfbc-4750-9b0b-554abd550c9e"


def setUpModule():
    global D, S, CID
    D = DataDir()
    CID = D.collection("Flows", alias="flows")
    S = Server(D).start()


def tearDownModule():
    try:
        if S:
            S.stop()
    finally:
        if D:
            D.cleanup()


def example():
    with open(os.path.join(SOURCE, "docs", "schemas", "liaison-flow-example.json"),
              encoding="utf-8") as f:
        return json.load(f)["objects"]


def bad(flow, edit):
    f = copy.deepcopy(flow)
    f["id"] = "liaison-flow--%s" % uuid.uuid4()
    edit(f)
    return f


class Flows(TaxiiCase):
    def test_1_example_stored_and_served(self):
        objs = example()
        st, _, j = S.post_objects(CID, objs)
        self.assertEqual(st, 202, j)
        self.assertEqual((j["success_count"], j["failure_count"]), (len(objs), 0), j)
        for oid in (FLOW_EXT, LIAISON) + tuple(o["id"] for o in objs if o["type"] == "liaison-flow"):
            _, _, got = S.get_json("/taxii2/default/collections/%s/objects/%s/" % (CID, oid))
            want = [o for o in objs if o["id"] == oid][0]
            self.assertEqual(got["objects"][0], want)

    def test_2_bad_flows_refused(self):
        flow = [o for o in example() if o["type"] == "liaison-flow"][0]
        cases = [
            (bad(flow, lambda f: f.pop("from_ref")), "flow-endpoints", "from_ref"),
            (bad(flow, lambda f: f.pop("to_ref")), "flow-endpoints", "to_ref"),
            (bad(flow, lambda f: f.update(from_ref=LIAISON)), "flow-places", "from_ref"),
            (bad(flow, lambda f: f.update(via_refs=[flow["carrier_refs"][0]])), "flow-places",
             "via_refs[0]"),
            (bad(flow, lambda f: f.update(carrier_refs=[flow["to_ref"]])), "flow-carriers",
             "carrier_refs[0]"),
            (bad(flow, lambda f: f.update(commodities=["weapons", "cigarettes"])),
             "flow-commodity", "commodities[1]"),
            (bad(flow, lambda f: f.update(estimate={"quantity": -300, "unit": "rifles"})),
             "flow-estimate", "estimate.quantity"),
            (bad(flow, lambda f: f["extensions"].pop(FLOW_EXT)), "flow-extension", "extensions"),
        ]
        st, _, j = S.post_objects(CID, [c[0] for c in cases])
        self.assertEqual(st, 202, j)
        self.assertEqual((j["success_count"], j["failure_count"]), (0, len(cases)), j)
        by_id = {f["id"]: f["message"] for f in j["failures"]}
        for obj, rule, path in cases:
            msg = by_id[obj["id"]]
            self.assertIn("(rule %s, STIX 2.1 section" % rule, msg)
            self.assertTrue(msg.startswith(path + ":"), msg)
        stored = {m["id"] for m in S.manifest_all(CID)}
        for obj, _, _ in cases:
            self.assertNotIn(obj["id"], stored)


if __name__ == "__main__":
    main()
