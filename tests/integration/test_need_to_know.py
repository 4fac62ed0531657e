"""Need-to-know, property-based: random worlds against an independent model.

Each world is drawn from random.Random(world seed): 3-4 partners with random
clearances, 2-3 collections with random default TLP and random grants
(none / read / write / read+write), REL TO marking-definitions naming random
subsets of partners, a statement marking, and 60-150 objects of a few types,
each with 1-3 versions carrying random handling (TLP 2.0 or 1.0 ids, several
TLP markings, granular TLP markings, none at all, REL TO markings, TLP:RED
recipients). The admin posts them in a few bundles, versions out of order; one
world also lets partners post their own objects (created_by_ref set by the
server) and tries a few writes that must be refused.

The model below is written from the handling rules (docs and issue text), not
from the server code: for every principal (the admin and each partner) it
predicts the collections list, every page of objects and manifest listings
under random filter combinations (limit, match[type], match[id],
match[version], added_after, match[spec_version]) followed through next, the
object-by-id and versions answers for every id (an invisible id must answer
the very bytes a never-seen id does), and who may read each status resource.

One "case" is one principal x one query (all its pages). The base seed comes
from LIAISON_PROPTEST_SEED or from the clock; it is printed at the start and
in every failure so that a run can be replayed:
    LIAISON_PROPTEST_SEED=<seed> python3 test_need_to_know.py
"""
import calendar
import concurrent.futures
import json
import os
import random
import sys
import time
import urllib.parse
import uuid

import harness
from harness import ROOT, TAXII, TaxiiCase, media_type, run_cli

SEED_ENV = "LIAISON_PROPTEST_SEED"
BASE_SEED = (int(os.environ[SEED_ENV]) if os.environ.get(SEED_ENV)
             else int(time.time() * 1000) % 1000000000)
ADMIN_WORLDS = 4          # worlds where only the admin posts
MIN_CASES = 2000          # a run must check at least this many cases
MAX_REPORTED = 25         # disagreements listed per world before giving up on it
WORKERS = 2               # principals checked at once
LISTINGS = 12             # objects and manifest queries per principal and readable collection

RANKS = ["clear", "green", "amber", "amber+strict", "red"]
CLEAR, GREEN, AMBER, STRICT, RED = range(5)
# TLP marking-definition ids by rank: TLP 2.0 (cti-stix-common-objects), TLP 1.0 (STIX 2.1 7.2.1.4).
TLP_IDS = {
    CLEAR: ["marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
            "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"],
    GREEN: ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
            "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],
    AMBER: ["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
            "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"],
    STRICT: ["marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"],
    RED: ["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
          "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"],
}
TLP_RANK = {mid: rank for rank, ids in TLP_IDS.items() for mid in ids}
HANDLING = "extension-definition--b5fc933d-2a12-45ec-bf89-f6e3b754bcd0"
RELEASABILITY = "extension-definition--fe6c44b8-02ce-4c78-adda-645fef55531d"
STIX_MEDIA_21 = "application/stix+json;version=2.1"
TYPES = ["indicator"] * 5 + ["threat-actor"] * 3 + ["identity"] * 2 + ["malware"] * 2 + ["report", "note"]
ABSENT_TYPES = ["campaign", "tool", "attack-pattern"]


# -- timestamps ---------------------------------------------------------------

def ts_us(text):
    """RFC 3339 UTC timestamp (any number of fraction digits up to 6) -> microseconds."""
    assert text.endswith("Z"), text
    main, _, frac = text[:-1].partition(".")
    secs = calendar.timegm(time.strptime(main, "%Y-%m-%dT%H:%M:%S"))
    return secs * 1000000 + int((frac + "000000")[:6])


def fmt_us(us, digits=6):
    secs, micro = divmod(us, 1000000)
    s = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs))
    if digits:
        s += "." + ("%06d" % micro)[:digits]
    return s + "Z"


# -- the model ----------------------------------------------------------------

class Principal:
    def __init__(self, name, identity=None, clearance=None, tokens=(), admin=False):
        self.name = name
        self.identity = identity
        self.clearance = clearance
        self.tokens = list(tokens)
        self.admin = admin

    def token(self, rng):
        return rng.choice(self.tokens)

    def __repr__(self):
        if self.admin:
            return "admin"
        return "%s(%s, %s)" % (self.name, RANKS[self.clearance], self.identity)


class Collection:
    def __init__(self, alias, cid, default_tlp):
        self.alias = alias
        self.id = cid
        self.default_tlp = default_tlp
        self.grants = {}        # partner name -> (read, write)
        self.versions = []      # Version, in the order they were posted (= date_added order)

    def ref(self, rng):
        """The collection's alias or its id: both name it in URLs."""
        return rng.choice([self.alias, self.id])


class Version:
    def __init__(self, obj, coll, poster):
        self.obj = obj
        self.id = obj["id"]
        self.type = obj["type"]
        self.spec_version = obj.get("spec_version", "2.1")
        # The version: modified, else created (marking-definitions carry only created).
        self.modified = obj.get("modified", obj.get("created"))
        self.mod_us = ts_us(self.modified) if self.modified else None
        self.coll = coll
        self.poster = poster
        self.date_added = None


class Model:
    """Independent statement of the need-to-know rules."""

    def __init__(self):
        self.rel_to = {}        # REL TO marking-definition id -> list of identity ids

    def handling(self, obj):
        """(tlp rank or None, [REL TO audiences], red recipients) from the object itself."""
        tlp = None
        refs = obj.get("object_marking_refs", [])
        for ref in refs + [g["marking_ref"] for g in obj.get("granular_markings", []) if "marking_ref" in g]:
            if ref in TLP_RANK:
                tlp = TLP_RANK[ref] if tlp is None else max(tlp, TLP_RANK[ref])
        grefs = [g["marking_ref"] for g in obj.get("granular_markings", []) if "marking_ref" in g]
        rels = [set(self.rel_to[r]) for r in refs + grefs if r in self.rel_to]
        if obj.get("type") == "marking-definition" and obj["id"] in self.rel_to:
            # A REL TO definition reaches the parties it lists, never by a collection default.
            rels.append(set(self.rel_to[obj["id"]]))
            tlp = CLEAR if tlp is None else tlp
        red = set(obj.get("extensions", {}).get(HANDLING, {}).get("red_recipients", []))
        return tlp, rels, red

    def can_read(self, p, coll):
        return p.admin or coll.grants.get(p.name, (False, False))[0]

    def visible(self, p, v):
        if p.admin:
            return True
        if not self.can_read(p, v.coll):
            return False
        if v.type == "extension-definition":
            # Shown under the markings of the objects that use it: where one of them is.
            return any(self.visible(p, u) for u in v.coll.versions
                       if v.id in u.obj.get("extensions", {}))
        tlp, rels, red = self.handling(v.obj)
        eff = v.coll.default_tlp if tlp is None else tlp
        if eff > p.clearance:
            return False
        if eff == RED and p.identity not in red:
            return False
        return all(p.identity in audience for audience in rels)

    def select(self, p, coll, q, only_id=None):
        """Visible versions of coll that query q selects, in date_added order."""
        vis = [v for v in coll.versions if self.visible(p, v)]
        by_id = {}
        for v in vis:
            by_id.setdefault(v.id, []).append(v)
        spec = q.get("match[version]")
        tokens = spec.split(",") if spec else ["last"]
        stamps = {ts_us(t) for t in tokens if t not in ("last", "first", "all")}
        ids = set(q["match[id]"].split(",")) if "match[id]" in q else None
        types = set(q["match[type]"].split(",")) if "match[type]" in q else None
        specs = set(q["match[spec_version]"].split(",")) if "match[spec_version]" in q else None
        after = ts_us(q["added_after"]) if "added_after" in q else None
        out = []
        for v in vis:
            if only_id is not None and v.id != only_id:
                continue
            mods = [w.mod_us for w in by_id[v.id]]
            chosen = ("all" in tokens or ("last" in tokens and v.mod_us == max(mods))
                      or ("first" in tokens and v.mod_us == min(mods)) or v.mod_us in stamps)
            if not chosen:
                continue
            if ids is not None and v.id not in ids:
                continue
            if types is not None and v.type not in types:
                continue
            if specs is not None and v.spec_version not in specs:
                continue
            if after is not None and not v.date_added > after:
                continue
            out.append(v)
        return out


# -- random worlds ------------------------------------------------------------

def rand_uuid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def rand_ts(rng, us):
    return fmt_us(us, rng.choice([3, 3, 3, 6]))  # STIX 2.1: at least milliseconds


def alt_form(text):
    """The same instant written with six fraction digits (a timestamp is a value)."""
    return fmt_us(ts_us(text), 6)


class World:
    """One data directory, server and model."""

    def __init__(self, seed, partner_writes=False, n_objects=(60, 150)):
        self.seed = seed
        self.rng = rng = random.Random(seed)
        self.partner_writes = partner_writes
        self.model = Model()
        self.data = harness.DataDir()
        self.server = None
        self.statuses = []       # (status id, owner Principal or None=admin, POST answer)
        d = self.data.path
        self.admin = Principal("admin", admin=True, tokens=[self.data.admin])
        self.partners = []
        for i in range(rng.randint(3, 4)):
            name = "P%d-%d" % (seed % 1000, i)
            clearance = rng.randrange(5)
            ident = run_cli("partner", "add", "--data", d, "--name", name, "--clearance",
                            RANKS[clearance]).stdout.strip().splitlines()[-1].strip()
            assert ident.startswith("identity--"), ident
            self.partners.append(Principal(name, ident, clearance))
        self.ghost = "identity--" + rand_uuid(rng)   # named in handling, never registered
        self.colls = []
        for i in range(rng.randint(2, 3)):
            alias = "c%d-%d" % (seed % 1000, i)
            args = ["collection", "add", "--data", d, "--title", "Coll %d" % i, "--alias", alias]
            default = AMBER
            if rng.random() < 0.8:
                default = rng.randrange(5)
                args += ["--default-tlp", RANKS[default]]
            cid = run_cli(*args).stdout.strip().splitlines()[-1].strip()
            self.colls.append(Collection(alias, cid, default))
        kinds = ["", "r", "r", "w", "rw", "rw"] if partner_writes else ["", "r", "r", "r", "w", "rw"]
        for c in self.colls:
            for p in self.partners:
                g = rng.choice(kinds)
                if not g:
                    continue
                args = ["grant", "--data", d, "--collection", c.alias, "--partner", p.name]
                if "r" in g:
                    args.append("--read")
                if "w" in g:
                    args.append("--write")
                run_cli(*args)
                c.grants[p.name] = ("r" in g, "w" in g)
        if partner_writes and not any(w for c in self.colls for _r, w in c.grants.values()):
            p, c = self.partners[0], self.colls[0]
            run_cli("grant", "--data", d, "--collection", c.alias, "--partner", p.name, "--read", "--write")
            c.grants[p.name] = (True, True)
        for p in self.partners:
            for _ in range(2 if partner_writes else 1):
                p.tokens.append(run_cli("token", "issue", "--data", d, "--partner",
                                        p.name).stdout.strip().splitlines()[-1].strip())
        self.n_objects = rng.randint(*n_objects)

    def describe(self):
        lines = ["world seed %d (base seed %d)%s" % (self.seed, BASE_SEED,
                                                     " partner-writes" if self.partner_writes else "")]
        for p in self.partners:
            lines.append("  partner %r" % p)
        for c in self.colls:
            lines.append("  collection %s default %s grants %s" % (
                c.alias, RANKS[c.default_tlp],
                {n: ("r" if r else "") + ("w" if w else "") for n, (r, w) in c.grants.items()}))
        for mid, aud in self.model.rel_to.items():
            lines.append("  REL TO %s -> %s" % (mid, aud))
        return "\n".join(lines)

    # -- objects ----------------------------------------------------------

    def markings(self):
        """REL TO marking-definitions on random subsets of partners, and one statement."""
        rng = self.rng
        out = []
        idents = [p.identity for p in self.partners]
        for i in range(rng.randint(2, 4)):
            k = rng.choice([0, 1, 1, 2, 2, 3])
            aud = rng.sample(idents, min(k, len(idents)))
            if rng.random() < 0.2:
                aud.append(self.ghost)
            rel = {"extension_type": "property-extension"}
            if aud:  # STIX 2.1 section 2.12: no empty lists; no rel_to releases to nobody
                rel["rel_to"] = aud
            m = {"type": "marking-definition", "spec_version": "2.1",
                 "id": "marking-definition--" + rand_uuid(rng),
                 "created": "2023-12-0%dT00:00:00.000Z" % (i + 1), "name": "REL TO %d" % i,
                 "extensions": {RELEASABILITY: rel}}
            self.model.rel_to[m["id"]] = aud
            out.append(m)
        self.statement = "marking-definition--" + rand_uuid(rng)
        out.append({"type": "marking-definition", "spec_version": "2.1", "id": self.statement,
                    "created": "2023-11-01T00:00:00.000Z", "definition_type": "statement",
                    "definition": {"statement": "Copyright liaison tests"}})
        return out

    def handling(self, obj, selector):
        rng = self.rng
        refs, gran = [], []
        r = rng.random()
        if r < 0.25:
            pass                                  # unmarked: the collection default applies
        elif r < 0.7:
            refs.append(rng.choice(TLP_IDS[rng.randrange(5)]))
            if rng.random() < 0.2:                # two TLP markings: the higher wins
                refs.append(rng.choice(TLP_IDS[rng.randrange(5)]))
        else:
            if rng.random() < 0.5:
                refs.append(rng.choice(TLP_IDS[rng.randrange(5)]))
            gran.append({"marking_ref": rng.choice(TLP_IDS[rng.randrange(5)]), "selectors": [selector]})
        rels = list(self.model.rel_to)
        refs += rng.sample(rels, rng.choice([0, 0, 0, 1, 1, 2]))
        if rng.random() < 0.1:
            refs.append(self.statement)
        if rng.random() < 0.05:                   # a granular REL TO limits the whole object
            gran.append({"marking_ref": rng.choice(rels), "selectors": [selector]})
        refs = list(dict.fromkeys(refs))
        rng.shuffle(refs)
        if refs:
            obj["object_marking_refs"] = refs
        if gran:
            obj["granular_markings"] = gran
        tlp_red = any(TLP_RANK.get(m) == RED for m in refs + [g["marking_ref"] for g in gran])
        if tlp_red or rng.random() < 0.3:
            pool = [p.identity for p in self.partners] + [self.ghost]
            named = rng.sample(pool, rng.randint(0, 3))
            handling = {"extension_type": "property-extension"}
            if named:  # STIX 2.1 section 2.12: no empty lists
                handling["red_recipients"] = named
            obj["extensions"] = {HANDLING: handling}

    def object_versions(self, type_, oid, all_ids):
        """1-3 versions of one object, each with its own handling."""
        rng = self.rng
        created_us = ts_us("2024-01-01T00:00:00Z") + rng.randrange(300 * 86400) * 1000000
        created = rand_ts(rng, created_us)
        n = rng.choice([1, 1, 2, 2, 3])
        out = []
        mod_us = created_us
        for k in range(n):
            if k == 0 and rng.random() < 0.3:
                modified = created
            else:
                if k == 0:
                    mod_us += rng.randint(1, 86400) * 1000000
                else:
                    mod_us += rng.randint(1, 40 * 86400) * 1000 + rng.randint(1, 999)
                modified = rand_ts(rng, mod_us)
                if k and ts_us(modified) <= ts_us(out[-1]["modified"]):
                    modified = fmt_us(mod_us, 6)
            mod_us = ts_us(modified)
            o = {"type": type_, "spec_version": "2.1", "id": oid, "created": created,
                 "modified": modified}
            name = "%s %s v%d \u00e9" % (type_, oid[-6:], k)
            selector = "name"
            if type_ == "indicator":
                o.update(name=name, pattern="[ipv4-addr:value = '10.%d.%d.%d']" % (
                    rng.randrange(256), rng.randrange(256), rng.randrange(256)),
                    pattern_type="stix", valid_from=created)
            elif type_ == "identity":
                o.update(name=name, identity_class="organization")
            elif type_ == "malware":
                o.update(name=name, is_family=rng.random() < 0.5)
            elif type_ == "threat-actor":
                o.update(name=name)
            elif type_ == "report":
                o.update(name=name, published=created,
                         object_refs=rng.sample(all_ids, min(len(all_ids), rng.randint(1, 3))))
            elif type_ == "note":
                o.update(content="note v%d" % k,
                         object_refs=rng.sample(all_ids, min(len(all_ids), rng.randint(1, 3))))
                selector = "content"
            if rng.random() < 0.3:
                o["description"] = "version %d of %s" % (k, oid)
            self.handling(o, selector)
            out.append(o)
        return out

    def post(self, coll, who, versions, bad=()):
        """POSTs versions (and refused items) as one envelope; returns the status."""
        objs = [v.obj for v in versions] + list(bad)
        self.rng.shuffle(objs)
        tok = self.admin.tokens[0] if who is None else who.token(self.rng)
        st, hd, body = self.server.request("POST", ROOT + "collections/%s/objects/" % coll.ref(self.rng),
                                           body={"objects": objs}, token=tok)
        ctx = "seed %d: POST to %s by %s" % (self.seed, coll.alias, who or "admin")
        if st != 202:
            raise AssertionError("%s: %d %r" % (ctx, st, body[:2000]))
        j = json.loads(body)
        if (j["success_count"], j["failure_count"]) != (len(versions), len(bad)):
            raise AssertionError("%s: expected %d successes and %d failures, got %s" % (
                ctx, len(versions), len(bad), json.dumps(j)[:3000]))
        failed = sorted(f["id"] for f in j["failures"])
        if failed != sorted(b["id"] for b in bad):
            raise AssertionError("%s: refused %s, expected %s" % (ctx, failed, [b["id"] for b in bad]))
        # Posting order within the envelope is the order of date_added.
        order = {id(o): i for i, o in enumerate(objs)}
        coll.versions += self.with_carried(coll, sorted(versions, key=lambda v: order[id(v.obj)]))
        self.statuses.append((j["id"], who, j))
        return j

    def with_carried(self, coll, versions):
        """The versions as stored: a marking-definition an object names that the collection
        does not hold yet is stored there too, just before the object (it travels with it)."""
        held = {v.id for v in coll.versions if v.type == "marking-definition"}
        held |= {v.id for v in versions if v.type == "marking-definition"}
        held |= {v.id for v in coll.versions if v.type == "extension-definition"}
        out = []
        for v in versions:
            refs = v.obj.get("object_marking_refs", []) + [
                g["marking_ref"] for g in v.obj.get("granular_markings", []) if "marking_ref" in g]
            for ref in refs:
                if ref in self.definitions and ref not in held:
                    held.add(ref)
                    out.append(Version(self.definitions[ref], coll, None))
            # liaison's own extension-definitions travel the same way (issue 27.4)
            for ext in v.obj.get("extensions", {}):
                if ext in (HANDLING, RELEASABILITY) and ext not in held:
                    held.add(ext)
                    out.append(Version(self.extension_definition(coll, ext), coll, None))
            out.append(v)
        return out

    def extension_definition(self, coll, ext):
        """The text the server carried into coll (fixed text: read once)."""
        if ext not in self.ext_defs:
            st, _, j = self.server.get_json(ROOT + "collections/%s/objects/%s/" % (coll.id, ext),
                                            token=self.admin.tokens[0])
            assert st == 200, (st, j)
            self.ext_defs[ext] = j["objects"][0]
        return self.ext_defs[ext]

    def populate(self):
        rng = self.rng
        self.server = harness.Server(self.data).start()
        marks = self.markings()
        self.definitions = {m["id"]: m for m in marks}
        self.ext_defs = {}
        home = rng.choice(self.colls)
        self.post(home, None, [Version(m, home, None) for m in marks])
        all_ids = []
        pending = {c.alias: [] for c in self.colls}
        n_admin = self.n_objects if not self.partner_writes else self.n_objects // 2
        for _ in range(n_admin):
            type_ = rng.choice(TYPES)
            oid = "%s--%s" % (type_, rand_uuid(rng))
            homes = [rng.choice(self.colls)]
            if rng.random() < 0.12:                  # the same id in a second collection
                homes.append(rng.choice([c for c in self.colls if c is not homes[0]]))
            for c in homes:
                pending[c.alias] += [Version(o, c, None) for o in self.object_versions(type_, oid, all_ids or [oid])]
            all_ids.append(oid)
        # A few bundles per collection, interleaved, versions in random order.
        batches = []
        for c in self.colls:
            vs = pending[c.alias]
            rng.shuffle(vs)
            while vs:
                k = rng.randint(8, 40)
                batches.append((c, vs[:k]))
                vs = vs[k:]
        rng.shuffle(batches)
        for c, vs in batches:
            self.post(c, None, vs)
        if self.partner_writes:
            self.partner_posts(all_ids)
        self.learn_date_added()

    def partner_posts(self, all_ids):
        """Partners with a write grant post their own objects, then new versions of them."""
        rng = self.rng
        writers = [(p, c) for c in self.colls for p in self.partners if c.grants.get(p.name, (0, 0))[1]]
        if not writers:
            raise AssertionError("seed %d: no writer in the partner-writes world" % self.seed)
        for p, c in writers:
            own = []
            for _ in range(rng.randint(8, 18)):
                type_ = rng.choice(TYPES)
                oid = "%s--%s" % (type_, rand_uuid(rng))
                own.append(self.object_versions(type_, oid, all_ids))
                all_ids.append(oid)
            first = []
            later = []
            for vs in own:
                for k, o in enumerate(vs):
                    if k and rng.random() < 0.5:
                        o["created_by_ref"] = p.identity     # stated: must be its own identity
                    (later if k else first).append(o)
            for batch in (first, later):
                good = []
                for o in batch:
                    v = Version(dict(o), c, p)
                    v.obj.setdefault("created_by_ref", p.identity)   # the server adds it
                    v.posted = o
                    good.append(v)
                bad = []
                # Refused: a version of an object the admin created, a forged creator, a marking.
                admin_objs = [v for v in c.versions if v.poster is None and v.type != "marking-definition"]
                if admin_objs:
                    target = rng.choice(admin_objs)
                    bad.append(dict(target.obj, modified=fmt_us(target.mod_us + 1000, 6)))
                # ...and a new version of an object another partner wrote (partner over partner)
                theirs = [v for v in c.versions if v.poster is not None and v.poster is not p
                          and v.type != "marking-definition"]
                if theirs:
                    target = rng.choice(theirs)
                    bad.append(dict(target.posted, modified=fmt_us(target.mod_us + 2000, 6)))
                other = rng.choice([q for q in self.partners if q is not p])
                bad.append(dict(self.object_versions("indicator", "indicator--" + rand_uuid(rng), all_ids)[0],
                                created_by_ref=other.identity))
                bad.append({"type": "marking-definition", "spec_version": "2.1",
                            "id": "marking-definition--" + rand_uuid(rng),
                            "created": "2024-01-01T00:00:00.000Z", "definition_type": "statement",
                            "definition": {"statement": "forged"}})
                self.post_partner(c, p, good, bad)

    def post_partner(self, coll, p, good, bad):
        """Like post(), but sends what the partner wrote (no created_by_ref) for each version."""
        objs = [v.posted for v in good] + bad
        self.rng.shuffle(objs)
        st, hd, body = self.server.request("POST", ROOT + "collections/%s/objects/" % coll.ref(self.rng),
                                           body={"objects": objs}, token=p.token(self.rng))
        ctx = "seed %d: POST to %s by %r" % (self.seed, coll.alias, p)
        if st != 202:
            raise AssertionError("%s: %d %r" % (ctx, st, body[:2000]))
        j = json.loads(body)
        if (j["success_count"], j["failure_count"]) != (len(good), len(bad)):
            raise AssertionError("%s: expected %d successes and %d failures, got %s" % (
                ctx, len(good), len(bad), json.dumps(j)[:3000]))
        order = {id(o): i for i, o in enumerate(objs)}
        coll.versions += self.with_carried(coll, sorted(good, key=lambda v: order[id(v.posted)]))
        self.statuses.append((j["id"], p, j))

    def learn_date_added(self):
        """date_added of every version, from the admin's manifest; order must be posting order."""
        for c in self.colls:
            got = self.server.manifest_all(c.alias, limit=1000)
            want = [(v.id, v.mod_us) for v in c.versions]
            seen = [(m["id"], ts_us(m["version"])) for m in got]
            if seen != want:
                first = next((i for i, (a, b) in enumerate(zip(want, seen)) if a != b),
                             min(len(want), len(seen)))
                raise AssertionError("seed %d: admin manifest of %s is not the posting order "
                                     "(%d wanted, %d listed; first difference at %d):\n"
                                     "want %s\ngot  %s" % (self.seed, c.alias, len(want), len(seen),
                                                            first, want[first:first + 5],
                                                            seen[first:first + 5]))
            for v, m in zip(c.versions, got):
                v.date_added = ts_us(m["date_added"])
            das = [v.date_added for v in c.versions]
            if das != sorted(das) or len(set(das)) != len(das):
                raise AssertionError("seed %d: date_added of %s not strictly increasing" % (self.seed, c.alias))

    def close(self):
        try:
            if self.server:
                self.server.stop()
        finally:
            self.data.cleanup()


# -- the checks ---------------------------------------------------------------

class TooMany(Exception):
    pass


class Checker:
    """Runs the queries of one principal in one world and compares each answer with the model."""

    def __init__(self, world, principal, index):
        self.w = world
        self.p = principal
        self.rng = random.Random(world.seed * 7919 + index)
        self.cases = 0
        self.errors = []

    def ctx(self, p, what):
        return "[base seed %d, world seed %d] principal %r: %s" % (BASE_SEED, self.w.seed, p, what)

    def disagree(self, p, what, msg):
        self.errors.append(self.ctx(p, what) + "\n    " + msg)
        if len(self.errors) >= MAX_REPORTED:
            raise TooMany()

    def get(self, p, path, params=None):
        if params:
            path += "?" + urllib.parse.urlencode(params)
        return self.w.server.request("GET", path, token=p.token(self.rng))

    def not_found_body(self, p, path):
        st, hd, body = self.get(p, path)
        assert st == 404, (path, st, body)
        return body

    # -- collections ------------------------------------------------------

    def check_collections(self, p):
        self.cases += 1
        st, hd, body = self.get(p, ROOT + "collections/")
        want = []
        for c in self.w.colls:
            r, w = (True, True) if p.admin else c.grants.get(p.name, (False, False))
            if r or w:
                want.append((c.id, c.alias, r, w))
        if st != 200:
            return self.disagree(p, "GET collections/", "status %d %r" % (st, body[:300]))
        got = [(c["id"], c.get("alias"), c["can_read"], c["can_write"])
               for c in json.loads(body).get("collections", [])]
        if sorted(got) != sorted(want):
            self.disagree(p, "GET collections/", "expected %s\n    got %s" % (want, got))
        missing = "%s/" % uuid.UUID(int=self.rng.getrandbits(128), version=4)
        nf = {sfx: self.not_found_body(p, ROOT + "collections/" + missing + sfx)
              for sfx in ("", "objects/", "manifest/")}
        for c in self.w.colls:
            r, w = (True, True) if p.admin else c.grants.get(p.name, (False, False))
            for sfx in ("", "objects/", "manifest/"):
                self.cases += 1
                what = "GET collections/%s/%s" % (c.alias, sfx)
                st, hd, body = self.get(p, ROOT + "collections/%s/%s" % (c.ref(self.rng), sfx))
                if not (r or w):
                    if (st, body) != (404, nf[sfx]):
                        self.disagree(p, what, "no grant: expected the 404 of a missing collection "
                                      "%r, got %d %r" % (nf[sfx], st, body[:300]))
                elif sfx == "":
                    j = json.loads(body) if st == 200 else None
                    if st != 200 or (j["id"], j["can_read"], j["can_write"]) != (c.id, r, w):
                        self.disagree(p, what, "expected 200 can_read=%s can_write=%s, got %d %r"
                                      % (r, w, st, body[:300]))
                elif not r and st != 403:
                    self.disagree(p, what, "write-only grant: expected 403, got %d %r" % (st, body[:300]))
                elif r and st != 200:
                    self.disagree(p, what, "expected 200, got %d %r" % (st, body[:300]))

    # -- listings ---------------------------------------------------------

    def random_query(self, c, for_object=False, stamps=None):
        rng = self.rng
        q = {}
        if rng.random() < 0.9:
            q["limit"] = str(rng.randint(1, 7))
        if not for_object and rng.random() < 0.3:
            present = sorted({v.type for v in c.versions})
            q["match[type]"] = ",".join(rng.sample(present + ABSENT_TYPES, rng.randint(1, 2)))
        if not for_object and rng.random() < 0.3:
            pool = self.id_pool(c)
            q["match[id]"] = ",".join(rng.sample(pool, min(len(pool), rng.randint(1, 6))))
        stamps = stamps or [v.modified for v in c.versions if v.modified]
        r = rng.random()
        if r < 0.65 and stamps:
            choices = ["last", "first", "all", "first,last", "all,last", "TS", "TS", "TS,TS",
                       "last,TS", "first,TS", "NOTS"]
            spec = rng.choice(choices)
            parts = []
            for part in spec.split(","):
                if part == "TS":
                    t = rng.choice(stamps)
                    part = alt_form(t) if rng.random() < 0.25 else t
                elif part == "NOTS":
                    part = fmt_us(ts_us(rng.choice(stamps)) + 1, 6)
                parts.append(part)
            q["match[version]"] = ",".join(parts)
        if rng.random() < 0.3 and c.versions:
            r = rng.random()
            if r < 0.1:
                q["added_after"] = "2000-01-01T00:00:00Z"
            elif r < 0.15:
                q["added_after"] = fmt_us(c.versions[-1].date_added + 1, 6)
            else:
                da = rng.choice(c.versions).date_added + rng.choice([0, 0, -1])
                q["added_after"] = fmt_us(da, 6)
        if rng.random() < 0.12:
            q["match[spec_version]"] = rng.choice(["2.1", "2.0", "2.0,2.1", "2.1,2.0"])
        return q

    def id_pool(self, c):
        """Ids to ask for: this collection's, other collections', never-seen ones."""
        own = sorted({v.id for v in c.versions})
        other = sorted({v.id for d in self.w.colls if d is not c for v in d.versions} - set(own))
        rng = self.rng
        pool = own + rng.sample(other, min(4, len(other)))
        pool += ["%s--%s" % (rng.choice(["indicator", "malware"]), rand_uuid(rng)) for _ in range(3)]
        return pool

    def page_through(self, p, c, path, q, want, kind, what):
        """Follows next to the end; checks each page against the model's slice."""
        limit = int(q.get("limit", 100))
        pos, nxt, page = 0, None, 0
        while True:
            qq = dict(q)
            if nxt:
                qq["next"] = nxt
            st, hd, body = self.get(p, path, qq)
            wpage = want[pos:pos + limit]
            pos += len(wpage)
            where = "%s page %d (%s)" % (what, page, urllib.parse.urlencode(qq))
            if st != 200 or media_type(hd) != TAXII:
                if not want and kind == "object" and st == 404:
                    return "404", body
                return self.disagree(p, where, "expected 200 (%d versions), got %d %r" % (
                    len(want), st, body[:300]))
            j = json.loads(body)
            if kind == "versions":
                got = sorted(ts_us(t) for t in j.get("versions", []))
                exp = sorted(v.mod_us for v in wpage)
                if got != exp:
                    return self.disagree(p, where, "versions: expected %s, got %s" % (
                        [v.modified for v in wpage], j.get("versions")))
            elif kind == "manifest":
                got = [(m["id"], ts_us(m["date_added"]), ts_us(m["version"]), m["media_type"])
                       for m in j.get("objects", [])]
                exp = [(v.id, v.date_added, v.mod_us, STIX_MEDIA_21) for v in wpage]
                if got != exp:
                    return self.disagree(p, where, "manifest: expected %s\n    got %s" % (
                        self.show(wpage), [(m["id"], m["version"]) for m in j.get("objects", [])]))
            else:
                got = j.get("objects", [])
                if got != [v.obj for v in wpage]:
                    return self.disagree(p, where, "objects: expected %s\n    got %s" % (
                        self.show(wpage), [(o.get("id"), o.get("modified")) for o in got]))
            if kind != "versions":
                first, last = hd.get("X-TAXII-Date-Added-First"), hd.get("X-TAXII-Date-Added-Last")
                if wpage:
                    if not first or not last or (ts_us(first), ts_us(last)) != (
                            wpage[0].date_added, wpage[-1].date_added):
                        return self.disagree(p, where, "date headers %s..%s, expected %s..%s" % (
                            first, last, fmt_us(wpage[0].date_added), fmt_us(wpage[-1].date_added)))
                elif first or last:
                    return self.disagree(p, where, "date headers on an empty page: %s %s" % (first, last))
            more = pos < len(want)
            if j.get("more") is not more or (("next" in j) != more):
                return self.disagree(p, where, "more=%s next=%s, expected more=%s (%d of %d given)" % (
                    j.get("more"), "next" in j, more, pos, len(want)))
            if not more:
                return "ok", None
            nxt = j["next"]
            page += 1

    def show(self, vs):
        return [(v.id, v.modified) for v in vs]

    def check_listings(self, p, c, n):
        m = self.w.model
        for kind, sfx in (("objects", "objects/"), ("manifest", "manifest/")):
            for _ in range(n):
                self.cases += 1
                q = self.random_query(c)
                want = m.select(p, c, q)
                self.page_through(p, c, ROOT + "collections/%s/%s" % (c.ref(self.rng), sfx), q, want,
                                  kind, "GET %s/%s" % (c.alias, sfx))

    def check_by_id(self, p, c):
        m = self.w.model
        rng = self.rng
        base = ROOT + "collections/%s/objects/" % c.alias
        never = "indicator--" + rand_uuid(rng)
        nf_obj = self.not_found_body(p, base + never + "/")
        nf_ver = self.not_found_body(p, base + never + "/versions/")
        for oid in self.id_pool(c):
            path = ROOT + "collections/%s/objects/%s/" % (c.ref(rng), oid)
            # The object itself, with a random match[version] (default last).
            self.cases += 1
            mine = [v.modified for v in c.versions if v.id == oid and v.modified]
            q = self.random_query(c, for_object=True, stamps=mine)
            q.pop("added_after", None)
            want = m.select(p, c, q, only_id=oid)
            what = "GET %s/objects/%s/" % (c.alias, oid)
            if want:
                self.page_through(p, c, path, q, want, "object", what)
            else:
                st, hd, body = self.get(p, path, q)
                if (st, body) != (404, nf_obj):
                    self.disagree(p, what + " " + urllib.parse.urlencode(q),
                                  "nothing visible: expected the 404 of a never-seen id %r, got %d %r"
                                  % (nf_obj, st, body[:500]))
            # Its versions.
            self.cases += 1
            vq = {}
            if rng.random() < 0.3:
                vq["limit"] = str(rng.randint(1, 3))
            want = m.select(p, c, {"match[version]": "all"}, only_id=oid)
            what = "GET %s/objects/%s/versions/" % (c.alias, oid)
            if want:
                self.page_through(p, c, path + "versions/", vq, want, "versions", what)
            else:
                st, hd, body = self.get(p, path + "versions/", vq)
                if (st, body) != (404, nf_ver):
                    self.disagree(p, what, "nothing visible: expected the 404 of a never-seen id %r, "
                                  "got %d %r" % (nf_ver, st, body[:500]))

    def check_statuses(self, p):
        never = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        nf = self.not_found_body(p, ROOT + "status/%s/" % never)
        for sid, owner, answer in self.w.statuses:
            self.cases += 1
            what = "GET status/%s/ (posted by %s)" % (sid, owner or "admin")
            st, hd, body = self.get(p, ROOT + "status/%s/" % sid)
            mine = p.admin or (owner is not None and owner.name == p.name)
            if mine:
                if st != 200 or json.loads(body) != answer:
                    self.disagree(p, what, "expected 200 with the POST's answer, got %d %r" % (st, body[:300]))
            elif (st, body) != (404, nf):
                self.disagree(p, what, "expected the 404 of a missing status %r, got %d %r" % (nf, st, body[:300]))

    def run(self, listings_per_coll):
        p = self.p
        try:
            self.check_collections(p)
            self.check_statuses(p)
            for c in self.w.colls:
                if not self.w.model.can_read(p, c):
                    continue
                self.check_listings(p, c, listings_per_coll)
                self.check_by_id(p, c)
        except TooMany:
            self.errors.append("(stopped after %d disagreements)" % MAX_REPORTED)
        return self


def check_world(world, listings):
    """Every principal's checks, two at a time (the server has a thread pool); (cases, errors)."""
    principals = [world.admin] + world.partners
    checkers = [Checker(world, p, i) for i, p in enumerate(principals)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(lambda ch: ch.run(listings), checkers))
    return sum(ch.cases for ch in checkers), [e for ch in checkers for e in ch.errors]


def check_disclosures(world):
    """What the audit log says each partner was sent names only versions it may see, pages
    made ahead of their request included (those go on record when they are made). Returns
    (versions checked, errors)."""
    by_key = {(c.id, v.id, v.mod_us): v for c in world.colls for v in c.versions}
    checked, errors = 0, []
    for p in world.partners:
        out = run_cli("audit", "show", "--data", world.data.path, "--partner", p.name).stdout
        for e in map(json.loads, out.splitlines()):
            if e["action"] != "objects.disclose":
                continue
            coll = e["detail"]["collection"]
            for oid, ver in e["detail"]["objects"]:
                checked += 1
                v = by_key.get((coll, oid, ts_us(ver) if ver else None))
                if v is None or not world.model.visible(p, v):
                    errors.append("[base seed %d, world seed %d] %r: audit entry %d names %s %s in "
                                  "%s, which it may not see" % (BASE_SEED, world.seed, p, e["seq"],
                                                                 oid, ver, coll))
    return checked, errors


class NeedToKnowTest(TaxiiCase):
    total_cases = 0
    worlds = 0

    @classmethod
    def setUpClass(cls):
        print("need-to-know: base seed %d (replay with %s=%d)" % (BASE_SEED, SEED_ENV, BASE_SEED),
              file=sys.stderr, flush=True)

    @classmethod
    def tearDownClass(cls):
        print("need-to-know: base seed %d, %d worlds, %d cases" % (BASE_SEED, cls.worlds, cls.total_cases),
              file=sys.stderr, flush=True)

    def run_world(self, seed, partner_writes=False, listings=LISTINGS):
        start = time.time()
        w = World(seed, partner_writes=partner_writes)
        try:
            w.populate()
            cases, errors = check_world(w, listings)
            named, wrong = check_disclosures(w)
            cases += named
            errors += wrong[:MAX_REPORTED]
        finally:
            w.close()
        type(self).total_cases += cases
        type(self).worlds += 1
        nver = sum(len(c.versions) for c in w.colls)
        print("  world seed %d%s: %d versions, %d cases, %.1f s" % (
            seed, " (partner writes)" if partner_writes else "", nver, cases, time.time() - start),
            file=sys.stderr, flush=True)
        if errors:
            self.fail("%d disagreement(s) with the model (replay with %s=%d)\n%s\n%s" % (
                len(errors), SEED_ENV, BASE_SEED, w.describe(), "\n".join(errors)))
        return cases

    def test_1_admin_worlds(self):
        for k in range(ADMIN_WORLDS):
            with self.subTest(world_seed=BASE_SEED + k, base_seed=BASE_SEED):
                self.run_world(BASE_SEED + k)

    def test_2_partner_writes_world(self):
        self.run_world(BASE_SEED + 1000, partner_writes=True)

    def test_2b_partner_writes_fixed_seeds(self):
        # Fixed seeds beside the random ones (issue 27): 663827982 once found the definitions a
        # partner's write carries into a collection missing from the model.
        for seed in (663827982, 20261207):
            with self.subTest(world_seed=seed):
                self.run_world(seed, partner_writes=True)

    def test_3_enough_cases(self):
        self.assertGreaterEqual(type(self).total_cases, MIN_CASES,
                                "base seed %d: only %d cases were checked" % (BASE_SEED, type(self).total_cases))


if __name__ == "__main__":
    harness.main()
