// The neighbourhood of an object as a graph the analyst expands by clicking. It is
// built here from what TAXII returns to this principal: relationship objects whose
// source or target is the node, the ids the node's own *_ref(s) properties name, and the
// reports and groupings that list it. A node is drawn only when its object could be read
// (an id the principal may not see never becomes a node, not even as a placeholder).
import { h, fill, bidi } from '../dom.js';
import { t, typeName, currentLang } from '../i18n.js';
import { names, tlpOf } from '../stix.js';
import { Neighbourhood } from '../neighbours.js';
import { loading, markingBadges, creator, nameCell, typeLabel } from '../ui.js';

const MAX_NODES = 400;
// Fill and shape per type. No fill is red, amber or green, so no node reads as a TLP colour;
// the shape says the type too (colour is never the only sign). TLP is the node's border, in
// the TLP colours, as the legend says.
export const NODE_STYLE = {
  'threat-actor': ['#6d28d9', 'diamond'], 'intrusion-set': ['#a21caf', 'hexagon'], location: ['#0369a1', 'triangle'],
  identity: ['#1e3a8a', 'rectangle'], report: ['#475569', 'round-rectangle'], grouping: ['#64748b', 'round-rectangle'],
  indicator: ['#4338ca', 'vee'], malware: ['#86198f', 'octagon'], campaign: ['#312e81', 'star'],
  'liaison-rfi': ['#0f172a', 'tag'], note: ['#57534e', 'round-tag'], opinion: ['#57534e', 'round-tag'],
};
const OTHER_STYLE = ['#57534e', 'ellipse'];
const TLP_BORDER = { clear: '#9ca3af', green: '#16a34a', amber: '#d97706', 'amber+strict': '#b45309', red: '#dc2626' };
const NO_TLP_BORDER = '#e5e7eb';

/**
 * Moves nodes apart until no two boxes (node and label) overlap: the layout places nodes,
 * not their labels, and long names under close nodes would run into each other.
 */
export function separate(cy, gap = 6, rounds = 60) {
  const nodes = cy.nodes().toArray();
  for (let round = 0; round < rounds; round++) {
    let moved = false;
    const boxes = nodes.map((n) => n.boundingBox({ includeLabels: true, includeOverlays: false }));
    for (let i = 0; i < nodes.length; i++)
      for (let j = i + 1; j < nodes.length; j++) {
        const a = boxes[i];
        const b = boxes[j];
        const ox = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1) + gap;
        const oy = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1) + gap;
        if (ox <= 0 || oy <= 0) continue;
        const pa = nodes[i].position();
        const pb = nodes[j].position();
        // push along the axis that needs the smaller move, half each way
        if (ox < oy) {
          const d = (pa.x <= pb.x ? -1 : 1) * (ox / 2);
          nodes[i].position({ x: pa.x + d, y: pa.y });
          nodes[j].position({ x: pb.x - d, y: pb.y });
          a.x1 += d; a.x2 += d; b.x1 -= d; b.x2 -= d;
        } else {
          const d = (pa.y <= pb.y ? -1 : 1) * (oy / 2);
          nodes[i].position({ x: pa.x, y: pa.y + d });
          nodes[j].position({ x: pb.x, y: pb.y - d });
          a.y1 += d; a.y2 += d; b.y1 -= d; b.y2 -= d;
        }
        moved = true;
      }
    if (!moved) return true;
  }
  return false;
}

function legend(types) {
  return h('div', { class: 'graph-legend', id: 'graph-legend', 'aria-labelledby': 'legend-h', role: 'group' },
    h('h2', { id: 'legend-h' }, t('legend')),
    h('ul', { class: 'plain legend-types' }, types.map((ty) =>
      h('li', { 'data-type': ty }, h('span', { class: 'swatch sw-' + (NODE_STYLE[ty] ? ty : 'other'), 'aria-hidden': 'true' }), ' ',
        typeName(ty), ' ', h('span', { class: 'muted' }, '(', t('shape_' + (NODE_STYLE[ty] || OTHER_STYLE)[1].replace('-', '_')), ')')))),
    h('p', { class: 'legend-tlp' }, t('legend_border'), ' ',
      ['clear', 'green', 'amber', 'red'].map((l) => [h('span', { class: 'swatch-border bd-' + l, 'aria-hidden': 'true' }), ' ', t('tlp_' + l), ' ']),
      h('span', { class: 'swatch-border bd-none', 'aria-hidden': 'true' }), ' ', t('unmarked_short')),
    h('p', { class: 'help' }, t('legend_expanded')));
}

// Cytoscape adds a <style> element for its container unless one with this id exists; the
// Content-Security-Policy forbids inline styles, and style.css already carries the rule.
function keepCytoscapeStyleOut() {
  const id = '__________cytoscape_stylesheet';
  if (!document.getElementById(id)) document.head.append(h('meta', { id, name: 'cytoscape-style', content: 'style.css' }));
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
    await nb.load(oid);
    await nb.fetch([oid]);
    if (!ctx.isCurrent()) return;
    const root = nb.objects.get(oid);
    if (!root) throw Object.assign(new Error('not found'), { status: 404 });

    const { default: cytoscape } = await import('cytoscape'); // its own chunk, loaded for this page only
    if (!ctx.isCurrent()) return;
    keepCytoscapeStyleOut();
    // The drawing is for the eye; the list beside it holds the same nodes, each a link and a
    // button, so everything can be done with the keyboard or a screen reader.
    const container = h('div', { class: 'graph', id: 'graph', role: 'img', 'aria-label': t('graph_img', { name: label(root) }) });
    const status = h('p', { class: 'count', id: 'graph-count', role: 'status' });
    const detail = h('div', { class: 'graph-detail', id: 'graph-detail' });
    const list = h('ul', { class: 'graph-nodes', id: 'graph-nodes', 'aria-label': t('graph_list') });
    const legendBox = h('div', { id: 'legend-box' });
    const objHref = (id) => '/collections/' + encodeURIComponent(cid) + '/objects/' + encodeURIComponent(id);
    fill(main, 
      h('p', { class: 'crumbs' }, h('a', { href: objHref(oid), 'data-link': true }, currentLang() === 'ar' ? '→ ' : '← ', nameCell(root))),
      h('h1', null, t('graph'), ': ', bidi(label(root))),
      h('p', { class: 'help' }, t('graph_help')),
      h('div', { class: 'graph-layout' }, h('div', { class: 'graph-main' }, container, legendBox),
        h('aside', { class: 'graph-side', 'aria-label': t('graph_list') }, status, detail, list)));

    const cy = cytoscape({
      container,
      wheelSensitivity: 0.3,
      style: [
        { selector: 'node', style: {
          'background-color': 'data(color)', shape: 'data(shape)', label: 'data(label)', color: '#111', 'font-size': 11,
          'text-valign': 'bottom', 'text-margin-y': 4, 'text-wrap': 'ellipsis', 'text-max-width': 130,
          'text-background-color': '#fff', 'text-background-opacity': 0.85, 'text-background-padding': 1,
          'border-width': 3, 'border-color': 'data(border)', width: 26, height: 26 } },
        { selector: 'node[?expanded]', style: { 'border-style': 'double', 'border-width': 5 } },
        { selector: 'node:selected', style: { 'overlay-opacity': 0.15, 'overlay-color': '#1f4e8c' } },
        // Edge labels only for the selected node's edges (or one under the pointer): all at
        // once they cover each other and the names.
        { selector: 'edge', style: {
          width: 1.5, 'line-color': '#94a3b8', 'target-arrow-color': '#94a3b8', 'target-arrow-shape': 'triangle',
          'curve-style': 'bezier', label: '', 'font-size': 9, color: '#334155',
          'text-rotation': 'autorotate', 'text-background-color': '#fff', 'text-background-opacity': 0.9 } },
        { selector: 'edge.near', style: { label: 'data(label)', 'line-color': '#475569', 'target-arrow-color': '#475569' } },
      ],
      layout: { name: 'grid' },
    });
    container.cy = cy; // for the end-to-end tests: where a node is drawn

    const addNode = (id) => {
      if (cy.getElementById(id).nonempty() || cy.nodes().length >= MAX_NODES) return;
      const o = nb.objects.get(id);
      const [color, shape] = NODE_STYLE[o.type] || OTHER_STYLE;
      cy.add({ group: 'nodes', data: { id, label: label(o), color, shape, border: TLP_BORDER[tlpOf(o)] || NO_TLP_BORDER, type: o.type } });
    };
    const refreshList = () => {
      status.textContent = t('graph_nodes', { n: cy.nodes().length, e: cy.edges().length });
      fill(legendBox, legend([...new Set(cy.nodes().map((n) => n.data('type')))]));
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
      const node = cy.getElementById(id);
      cy.edges().removeClass('near');
      node.connectedEdges().addClass('near');
      // its links, in words: "located at Mali", "ISGS related to"
      const links = node.connectedEdges().map((e) => {
        const outgoing = e.source().id() === id;
        const other = nb.objects.get(outgoing ? e.target().id() : e.source().id());
        return h('li', null, outgoing ? [h('span', { class: 'rel-verb' }, e.data('label')), ' ', bidi(label(other))]
          : [bidi(label(other)), ' ', h('span', { class: 'rel-verb' }, e.data('label'))]);
      });
      fill(detail, h('h2', null, t('graph_selected')), h('p', null, typeLabel(o.type)), h('p', null, nameCell(o)),
        h('p', null, markingBadges(o)), h('p', null, creator(o, ctx.session)),
        links.length ? h('ul', { class: 'plain node-links', id: 'node-links' }, links) : null,
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
      separate(cy);
      cy.fit(undefined, 30);
      refreshList();
      showDetail(id);
    };

    cy.on('tap', 'node', (e) => {
      showDetail(e.target.id());
      expand(e.target.id());
    });
    cy.on('dbltap', 'node', (e) => ctx.navigate(objHref(e.target.id())));
    cy.on('mouseover', 'edge', (e) => e.target.addClass('near'));

    addNode(oid);
    await expand(oid);
    cy.getElementById(oid).select();
  },
};
