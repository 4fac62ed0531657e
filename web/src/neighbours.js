// The neighbourhood of an object, as the server finds it for this principal: the
// relationships whose source or target is the object, the reports, groupings, notes and flows
// that name it (GET /liaison/neighbours: one condition more of the store's one query, so an
// object the principal may not see is never among them), and the ids the object's own
// *_ref(s) properties name. Used by the object page (relationships in and out, the reports
// that carry its mentions) and by the graph, which loads the neighbours of each node it
// expands. `complete` is false when an object had more neighbours than were read.
import { liaison, taxii } from './api.js';
import { t } from './i18n.js';
import { refsOf, isStixId } from './stix.js';
import { relationshipVerb, propLabel } from './vocab.js';

const MAX_PAGES = 5; // of 1,000 neighbours each

export class Neighbourhood {
  constructor(cid) {
    this.cid = cid;
    this.objects = new Map(); // id -> latest visible version
    this.tried = new Set();
    this.links = []; // relationships, reports, groupings...: what connects objects
    this.linked = new Set(); // ids in links
    this.loaded = new Set(); // ids whose neighbours were read
    this.complete = true;
  }

  /** Reads the objects that name id (at most MAX_PAGES pages). */
  async load(id) {
    if (this.loaded.has(id)) return;
    this.loaded.add(id);
    let next;
    for (let i = 0; i < MAX_PAGES; i++) {
      const page = await liaison.neighbours(this.cid, id, { limit: 1000, next });
      for (const o of page.objects || []) {
        this.objects.set(o.id, o);
        this.tried.add(o.id);
        if (!this.linked.has(o.id)) {
          this.linked.add(o.id);
          this.links.push(o);
        }
      }
      if (!page.more) return;
      next = page.next;
    }
    this.complete = false;
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

  /** Reports, groupings, notes and other objects (not relationships) that name id. */
  containersOf(id) {
    return this.links.filter((r) => r.type !== 'relationship' && r.id !== id && refsOf(r).some((x) => x.id === id));
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
    await this.load(id);
    const o = this.objects.get(id);
    const edges = [];
    if (o && o.type === 'relationship') {
      edges.push({ id: o.id, source: o.source_ref, target: o.target_ref, label: relationshipVerb(o.relationship_type) });
    }
    for (const r of this.links) {
      if (r.type === 'relationship' && (r.source_ref === id || r.target_ref === id))
        edges.push({ id: r.id, source: r.source_ref, target: r.target_ref, label: relationshipVerb(r.relationship_type) });
      else if (r.type !== 'relationship' && r.id !== id && refsOf(r).some((x) => x.id === id))
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

