// The neighbourhood of an object, built from what TAXII returns to this principal: the
// relationship objects whose source or target is the object, the ids the object's own *_ref(s)
// properties name, and the reports and groupings that list it. Used by the object page
// (relationships in and out, the reports that carry its mentions) and by the graph. An id the
// principal may not see never resolves, so it is never shown as a neighbour.
//
// TAXII has no filter on source_ref/target_ref, so the relationships, reports and groupings of
// the collection are read once (at most 20 pages of 1,000 each); `complete` says whether that
// was all of them. A server-side query for neighbours belongs to the store (issue 21, part 2).
import { taxii } from './api.js';
import { t } from './i18n.js';
import { refsOf, isStixId } from './stix.js';
import { relationshipVerb, propLabel } from './vocab.js';

export class Neighbourhood {
  constructor(cid) {
    this.cid = cid;
    this.objects = new Map(); // id -> latest visible version
    this.tried = new Set();
    this.links = []; // relationships, reports, groupings: what connects objects
  }

  async load() {
    const [rels, reports, groupings] = await Promise.all([
      taxii.objectsAll(this.cid, { 'match[type]': 'relationship' }),
      taxii.objectsAll(this.cid, { 'match[type]': 'report' }),
      taxii.objectsAll(this.cid, { 'match[type]': 'grouping' }),
    ]);
    for (const o of [...rels, ...reports, ...groupings]) {
      this.objects.set(o.id, o);
      this.tried.add(o.id);
    }
    this.links = [...rels, ...reports, ...groupings];
    this.complete = rels.complete && reports.complete && groupings.complete;
  }

  /** Relationships out of and into id (each with the other side's object when it is visible). */
  relationshipsOf(id) {
    const out = [];
    const into = [];
    for (const r of this.links) {
      if (r.type !== 'relationship') continue;
      if (r.source_ref === id) out.push({ rel: r, other: this.objects.get(r.target_ref) || null, otherId: r.target_ref });
      if (r.target_ref === id) into.push({ rel: r, other: this.objects.get(r.source_ref) || null, otherId: r.source_ref });
    }
    return { out, into };
  }

  /** Reports and groupings that list id in their object_refs. */
  containersOf(id) {
    return this.links.filter((r) => r.type !== 'relationship' && r.id !== id && (r.object_refs || []).includes(id));
  }

  /** Reads the objects not yet held, 50 ids per request (match[id]). */
  async fetch(ids) {
    const missing = [...new Set(ids)].filter((id) => isStixId(id) && !this.tried.has(id));
    for (let i = 0; i < missing.length; i += 50) {
      const batch = missing.slice(i, i + 50);
      batch.forEach((id) => this.tried.add(id));
      const page = await taxii.objects(this.cid, { 'match[id]': batch.join(','), limit: 1000 });
      for (const o of (page && page.objects) || []) this.objects.set(o.id, o);
    }
  }

  /** Nodes and edges around id; only ids that resolved to a visible object. */
  async around(id) {
    const o = this.objects.get(id);
    const edges = [];
    if (o && o.type === 'relationship') {
      edges.push({ id: o.id, source: o.source_ref, target: o.target_ref, label: relationshipVerb(o.relationship_type) });
    }
    for (const r of this.links) {
      if (r.type === 'relationship' && (r.source_ref === id || r.target_ref === id))
        edges.push({ id: r.id, source: r.source_ref, target: r.target_ref, label: relationshipVerb(r.relationship_type) });
      else if (r.type !== 'relationship' && r.id !== id && (r.object_refs || []).includes(id))
        edges.push({ id: r.id + '>' + id, source: r.id, target: id, label: t('refers_to') });
    }
    if (o && o.type !== 'relationship')
      for (const ref of refsOf(o)) edges.push({ id: id + '>' + ref.id, source: id, target: ref.id, label: propLabel(ref.prop) || ref.prop.replace(/_refs?$/, '') });
    await this.fetch(edges.flatMap((e) => [e.source, e.target]));
    const ok = edges.filter((e) => this.objects.has(e.source) && this.objects.has(e.target) &&
      this.objects.get(e.source).type !== 'relationship' && this.objects.get(e.target).type !== 'relationship');
    return { nodes: [...new Set(ok.flatMap((e) => [e.source, e.target]))], edges: ok };
  }
}

