// The neighbourhood of an object as a graph the analyst expands by clicking. It is
// built here from what TAXII returns to this principal: relationship objects whose
// source or target is the node, the ids the node's own *_ref(s) properties name, and the
// reports and groupings that list it. A node is drawn only when its object could be read
// (an id the principal may not see never becomes a node, not even as a placeholder).
import { h, fill, bidi } from '../dom.js';
import { t, typeName, currentLang } from '../i18n.js';
import { taxii } from '../api.js';
import { names, refsOf, tlpOf, isStixId } from '../stix.js';
import { loading, markingBadges, creator, nameCell, typeLabel } from '../ui.js';

const MAX_NODES = 400;
const COLORS = {
  'threat-actor': '#b3261e', 'intrusion-set': '#c2410c', location: '#1d6f42', identity: '#1f4e8c',
  report: '#5b3f8c', grouping: '#5b3f8c', indicator: '#8a6d00', malware: '#7a1f5c', campaign: '#9c4221',
  'liaison-rfi': '#0e7490',
};
const TLP_BORDER = { clear: '#9ca3af', green: '#16a34a', amber: '#d97706', 'amber+strict': '#b45309', red: '#dc2626' };

// Cytoscape adds a <style> element for its container unless one with this id exists; the
// Content-Security-Policy forbids inline styles, and style.css already carries the rule.
function keepCytoscapeStyleOut() {
  const id = '__________cytoscape_stylesheet';
  if (!document.getElementById(id)) document.head.append(h('meta', { id, name: 'cytoscape-style', content: 'style.css' }));
}

class Neighbourhood {
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
      edges.push({ id: o.id, source: o.source_ref, target: o.target_ref, label: o.relationship_type });
    }
    for (const r of this.links) {
      if (r.type === 'relationship' && (r.source_ref === id || r.target_ref === id))
        edges.push({ id: r.id, source: r.source_ref, target: r.target_ref, label: r.relationship_type });
      else if (r.type !== 'relationship' && r.id !== id && (r.object_refs || []).includes(id))
        edges.push({ id: r.id + '>' + id, source: r.id, target: id, label: t('refers_to') });
    }
    if (o && o.type !== 'relationship')
      for (const ref of refsOf(o)) edges.push({ id: id + '>' + ref.id, source: id, target: ref.id, label: ref.prop.replace(/_refs?$/, '') });
    await this.fetch(edges.flatMap((e) => [e.source, e.target]));
    const ok = edges.filter((e) => this.objects.has(e.source) && this.objects.has(e.target) &&
      this.objects.get(e.source).type !== 'relationship' && this.objects.get(e.target).type !== 'relationship');
    return { nodes: [...new Set(ok.flatMap((e) => [e.source, e.target]))], edges: ok };
  }
}

function label(o) {
  const n = names(o);
  const first = currentLang() === 'ar' ? n.ar || n.en : n.en || n.ar;
  return first || typeName(o.type);
}

export default {
  match: /^\/collections\/(?<cid>[^/]+)\/graph\/(?<oid>[^/]+)\/?$/,
  async render(main, { cid, oid }, ctx) {
    fill(main, loading());
    const nb = new Neighbourhood(cid);
    await nb.load();
    await nb.fetch([oid]);
    if (!ctx.isCurrent()) return;
    const root = nb.objects.get(oid);
    if (!root) throw Object.assign(new Error('not found'), { status: 404 });

    const { default: cytoscape } = await import('cytoscape'); // its own chunk, loaded for this page only
    if (!ctx.isCurrent()) return;
    keepCytoscapeStyleOut();
    const container = h('div', { class: 'graph', id: 'graph', role: 'img', 'aria-label': t('graph') });
    const status = h('p', { class: 'count', id: 'graph-count' });
    const detail = h('div', { class: 'graph-detail', id: 'graph-detail' });
    const list = h('ul', { class: 'graph-nodes', id: 'graph-nodes' });
    const objHref = (id) => '/collections/' + encodeURIComponent(cid) + '/objects/' + encodeURIComponent(id);
    fill(main, 
      h('p', { class: 'crumbs' }, h('a', { href: objHref(oid), 'data-link': true }, currentLang() === 'ar' ? '→ ' : '← ', nameCell(root))),
      h('h1', null, t('graph'), ': ', bidi(label(root))),
      h('p', { class: 'help' }, t('graph_help')),
      h('div', { class: 'graph-layout' }, container, h('aside', { class: 'graph-side' }, status, detail, list)));

    const cy = cytoscape({
      container,
      wheelSensitivity: 0.3,
      style: [
        { selector: 'node', style: {
          'background-color': 'data(color)', label: 'data(label)', color: '#111', 'font-size': 11,
          'text-valign': 'bottom', 'text-margin-y': 4, 'text-wrap': 'ellipsis', 'text-max-width': 140,
          'border-width': 3, 'border-color': 'data(border)', width: 26, height: 26 } },
        { selector: 'node[?expanded]', style: { shape: 'round-rectangle' } },
        { selector: 'node:selected', style: { 'overlay-opacity': 0.15, 'overlay-color': '#1f4e8c' } },
        { selector: 'edge', style: {
          width: 1.5, 'line-color': '#94a3b8', 'target-arrow-color': '#94a3b8', 'target-arrow-shape': 'triangle',
          'curve-style': 'bezier', label: 'data(label)', 'font-size': 9, color: '#475569',
          'text-rotation': 'autorotate', 'text-background-color': '#fff', 'text-background-opacity': 0.8 } },
      ],
      layout: { name: 'grid' },
    });
    container.cy = cy; // for the end-to-end tests: where a node is drawn

    const addNode = (id) => {
      if (cy.getElementById(id).nonempty() || cy.nodes().length >= MAX_NODES) return;
      const o = nb.objects.get(id);
      cy.add({ group: 'nodes', data: { id, label: label(o), color: COLORS[o.type] || '#475569', border: TLP_BORDER[tlpOf(o)] || '#e5e7eb', type: o.type } });
    };
    const refreshList = () => {
      status.textContent = t('graph_nodes', { n: cy.nodes().length, e: cy.edges().length });
      fill(list, cy.nodes().map((n) => {
        const o = nb.objects.get(n.id());
        return h('li', { 'data-id': n.id(), 'data-tlp': tlpOf(o) || 'none' },
          typeLabel(o.type), ' ', h('a', { href: objHref(o.id), 'data-link': true }, bidi(label(o))), ' ',
          n.data('expanded') ? h('span', { class: 'muted' }, t('expanded'))
            : h('button', { type: 'button', class: 'expand', onclick: () => expand(n.id()) }, t('expand')));
      }));
    };
    const showDetail = (id) => {
      const o = nb.objects.get(id);
      fill(detail, h('h2', null, t('graph_selected')), h('p', null, typeLabel(o.type)), h('p', null, nameCell(o)),
        h('p', null, markingBadges(o)), h('p', null, creator(o, ctx.session)),
        h('p', null, h('a', { href: objHref(id), 'data-link': true, class: 'button' }, t('open'))));
    };
    const expand = async (id) => {
      const node = cy.getElementById(id);
      if (node.empty() || node.data('expanded')) return;
      node.data('expanded', true);
      const { nodes, edges } = await nb.around(id);
      if (!ctx.isCurrent()) return;
      cy.batch(() => {
        nodes.forEach(addNode);
        for (const e of edges)
          if (cy.getElementById(e.id).empty() && cy.getElementById(e.source).nonempty() && cy.getElementById(e.target).nonempty())
            cy.add({ group: 'edges', data: e });
      });
      cy.layout({ name: 'cose', animate: false, randomize: false, nodeDimensionsIncludeLabels: true, padding: 30 }).run();
      refreshList();
      showDetail(id);
    };

    cy.on('tap', 'node', (e) => {
      showDetail(e.target.id());
      expand(e.target.id());
    });
    cy.on('dbltap', 'node', (e) => ctx.navigate(objHref(e.target.id())));

    addNode(oid);
    await expand(oid);
    cy.getElementById(oid).select();
  },
};
