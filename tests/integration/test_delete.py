"""DELETE follows the creator rule of new versions (docs/markings.md, "Write rules").

A partner with write rights deletes only what it created; not another partner's objects, not
this instance's. A local administrator deletes anything, and the deletion is on record (the
audit log names the administrator and the object). An object the partner may not see is "not
found", never "created by someone else": the refusal must not reveal it. Runs on both backends
(LIAISON_STORE=pg: integration_pg_test_delete).
"""
import uuid

import harness
from harness import ROOT, TaxiiCase, run_cli, sdo

RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"


def obj_path(oid, version=None):
    q = "?match[version]=%s" % version if version else ""
    return ROOT + "collections/shared/objects/%s/%s" % (oid, q)


class DeleteRule(TaxiiCase):
    @classmethod
    def setUpClass(cls):
        cls.data = harness.DataDir()
        d = cls.data.path
        cls.data.collection("Shared", "shared")
        cls.ident = {}
        cls.tok = {}
        for name in ("P", "Q"):
            cls.ident[name] = run_cli("partner", "add", "--data", d, "--name", name,
                                      "--clearance", "amber").stdout.strip()
            run_cli("grant", "--data", d, "--collection", "shared", "--partner", name, "--read",
                    "--write")
            cls.tok[name] = run_cli("token", "issue", "--data", d, "--partner",
                                    name).stdout.split()[-1]
        cls.server = harness.Server(cls.data).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.data.cleanup()

    def post(self, obj, token=None):
        st, _, j = self.server.post_objects("shared", [obj], token=token)
        self.assertEqual((st, j["success_count"]), (202, 1), j)
        return obj["id"]

    def held(self, oid):
        """Versions of oid the administrator sees."""
        st, _, j = self.server.get_json(ROOT + "collections/shared/objects/%s/versions/" % oid)
        return j.get("versions", []) if st == 200 else []

    def test_partner_cannot_delete_another_partners_object(self):
        oid = self.post(sdo("malware", object_marking_refs=[GREEN]), token=self.tok["P"])
        self.assertTaxiiError(self.server.request("DELETE", obj_path(oid), token=self.tok["Q"]),
                              403, "only its creator may delete it")
        self.assertEqual(len(self.held(oid)), 1, "the refused delete removed something")

    def test_partner_cannot_delete_this_instances_object(self):
        oid = self.post(sdo("malware", object_marking_refs=[GREEN]))  # admin: this instance
        self.assertTaxiiError(self.server.request("DELETE", obj_path(oid), token=self.tok["P"]),
                              403, "created by someone else")
        self.assertEqual(len(self.held(oid)), 1)

    def test_partner_deletes_its_own(self):
        oid = sdo("malware", object_marking_refs=[GREEN])["id"]
        for m in ("2024-01-01T00:00:00.000Z", "2024-02-01T00:00:00.000Z"):
            self.post(sdo("malware", id_=oid, modified=m, object_marking_refs=[GREEN]),
                      token=self.tok["P"])
        self.assertOk(self.server.request("DELETE", obj_path(oid, "2024-01-01T00:00:00.000Z"),
                                          token=self.tok["P"]), media=None)
        self.assertEqual([v for v in self.held(oid)], ["2024-02-01T00:00:00.000Z"])
        self.assertOk(self.server.request("DELETE", obj_path(oid), token=self.tok["P"]),
                      media=None)
        self.assertEqual(self.held(oid), [])

    def test_admin_deletes_anything_on_record(self):
        oid = self.post(sdo("malware", object_marking_refs=[GREEN]), token=self.tok["Q"])
        self.assertOk(self.server.request("DELETE", obj_path(oid)), media=None)
        self.assertEqual(self.held(oid), [])
        log = run_cli("audit", "show", "--data", self.data.path).stdout
        lines = [ln for ln in log.splitlines() if "object.delete" in ln and oid in ln]
        self.assertEqual(len(lines), 1, log[-3000:])
        admin_id = self.data.admin.split(".")[0]
        self.assertIn(admin_id, lines[0], "the entry names the administrator's token")
        run_cli("audit", "verify", "--data", self.data.path)

    def test_invisible_object_is_not_found_not_forbidden(self):
        # TLP:RED naming nobody: P (amber) cannot see Q's object, so it must look missing
        oid = self.post(sdo("malware", object_marking_refs=[RED]), token=self.tok["Q"])
        self.assertTaxiiError(self.server.request("DELETE", obj_path(oid), token=self.tok["P"]),
                              404)
        ghost = "malware--%s" % uuid.uuid4()
        self.assertTaxiiError(self.server.request("DELETE", obj_path(ghost), token=self.tok["P"]),
                              404)
        self.assertEqual(len(self.held(oid)), 1)


if __name__ == "__main__":
    harness.main()
