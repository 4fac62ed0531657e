#!/usr/bin/env python3
"""Writes the store fixture tests/integration/test_upgrade.py opens: a data directory made by an
older liaison (LIAISON_BIN), holding objects in several versions and markings, collections,
partners and grants, tokens, RFIs and the audit entries all of that wrote, plus expected.json:
what that liaison itself served and printed about them (every object version through TAXII,
`rfi list --json`, `audit show`, each partner's collections and rights).

  LIAISON_BIN=/path/to/old/liaison tests/upgrade/make-fixture.py OUT_DIR [--pg URL]

With --pg the store is the PostgreSQL database URL (empty; made by the caller) and OUT_DIR gets
dump.sql (pg_dump, no owner or privileges) instead of liaison.db. scripts/make-upgrade-fixture
builds an older commit in /tmp and runs this for both backends.
"""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import harness  # noqa: E402
from harness import ROOT, DataDir, Server, run_cli, sdo  # noqa: E402

AMBER = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
GREEN = "marking-definition--bab4a63c-aeb9-4f5c-9e2f-ad9e2f1a7d5c"


def main():
    out = sys.argv[1]
    pg = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--pg" else None
    d = DataDir(store=pg)
    shared = d.collection("Shared", "shared")
    internal = d.collection("Internal", "internal")
    algiers, algiers_tok = d.reader(shared, "Algiers", "amber")
    run_cli("grant", "--data", d.path, "--collection", shared, "--partner", "Algiers", "--read",
            "--write")
    sahel, sahel_tok = d.reader(shared, "Sahel", "green")
    s = Server(d).start()
    objs = []
    for i in range(40):
        marks = [AMBER] if i % 3 == 0 else [GREEN] if i % 3 == 1 else []
        o = sdo("indicator", name="indicator %d" % i, object_marking_refs=marks) if marks else \
            sdo("indicator", name="indicator %d" % i)
        objs.append(o)
    objs.append(sdo("threat-actor", name="كتيبة الفرقان", description="خلية تجنيد في الساحل"))
    objs.append(sdo("malware", description="verbatim  spacing\tand \u00e9"))
    for o in objs[:5]:  # later versions of five of them
        v2 = dict(o, modified="2024-06-01T00:00:00.000Z", description="second version")
        objs.append(v2)
    objs.append(sdo("relationship", relationship_type="indicates", source_ref=objs[0]["id"],
                    target_ref=objs[40]["id"]))
    st, _, j = s.post_objects(shared, objs)
    assert st == 202 and j["success_count"] == len(objs), (st, j)
    st, _, j = s.post_objects(internal, [sdo("campaign", name="internal only")])
    assert st == 202 and j["success_count"] == 1, (st, j)
    # A partner's own write, with its token.
    st, _, j = s.post_objects(shared, [sdo("indicator", name="from Algiers")], token=algiers_tok)
    assert st == 202 and j["success_count"] == 1, (st, j)
    rfi = run_cli("rfi", "new", "--data", d.path, "--to", "Algiers", "--subject",
                  "Recruitment cells", "--question", "Who recruited them?", "--about",
                  objs[40]["id"], "--due", "2030-01-01").stdout.strip().split()[-1]
    run_cli("rfi", "amend", "--data", d.path, rfi, "--subject", "Recruitment cells (amended)")
    run_cli("rfi", "new", "--data", d.path, "--to", "Sahel", "--subject", "Routes")
    expected = {"collections": {}, "partners": {}}
    st, _, j = s.get_json(ROOT + "collections/")
    assert st == 200, (st, j)
    for coll in [c["id"] for c in j["collections"]]:  # the RFI collection too
        expected["collections"][coll] = sorted(
            s.objects_all(coll, {"match[version]": "all", "match[spec_version]": "2.0,2.1"}),
            key=lambda o: (o["id"], o["modified"]))
    for name, tok in (("Algiers", algiers_tok), ("Sahel", sahel_tok)):
        st, _, j = s.get_json(ROOT + "collections/", token=tok)
        assert st == 200, (st, j)
        expected["partners"][name] = {"token": tok, "collections": sorted(
            [(c["id"], c["can_read"], c["can_write"]) for c in j.get("collections", [])])}
    s.stop()
    expected["rfis"] = json.loads(run_cli("rfi", "list", "--data", d.path, "--json").stdout)
    expected["audit"] = [json.loads(line) for line in
                         run_cli("audit", "show", "--data", d.path).stdout.splitlines() if line]
    expected["admin_token"] = d.admin
    expected["made_by"] = run_cli("--version").stdout.strip()
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    for f in ("liaison.conf", "signing.key", "signing.pub", "liaison.db"):
        src = os.path.join(d.path, f)
        if os.path.exists(src):
            shutil.copy(src, os.path.join(out, f))
    if pg:
        subprocess.run(["pg_dump", "--no-owner", "--no-privileges", "-f",
                        os.path.join(out, "dump.sql"), pg], check=True)
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1, sort_keys=True)
    d.cleanup()
    print("fixture written to %s (%s)" % (out, expected["made_by"]))


if __name__ == "__main__":
    main()
