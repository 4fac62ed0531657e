// The collection page's signed export (issue 21.3, docs/web.md): an administrator turns the
// versions chosen across pages into the signed bundle file a partner imports with `liaison
// import`. The server decides what the file holds (POST /liaison/export: the partner's own gate
// releases each chosen version or not); the page first shows that answer, "2 of 5 for Bamako;
// withheld: 1 above its clearance...", and only then offers the file. A group's members each
// get their own file, one button each.
import { h, fill, bidi } from './dom.js';
import { t } from './i18n.js';
import { liaison } from './api.js';
import { errorMessage } from './ui.js';

/** What the withheld count of one recipient says, in words ('' when nothing is withheld). */
function withheldWords(w) {
  const parts = [];
  if (w.clearance) parts.push(t('export_why_clearance', { n: w.clearance }));
  if (w.marking) parts.push(t('export_why_marking', { n: w.marking }));
  if (w.unknown) parts.push(t('export_why_unknown', { n: w.unknown }));
  return parts.join(t('list_sep'));
}

/** t(key, params) with the user text name isolated where the sentence puts {name}. */
function withName(key, params, name) {
  const [before, after] = t(key, params).split('{name}');
  return after === undefined ? [before, ' ', bidi(name)] : [before, bidi(name), after];
}

/** Saves the file the server answered under the name it gave. */
function save(file, fallback) {
  const disp = file.headers.get('Content-Disposition') || '';
  const m = /filename="([^"]+)"/.exec(disp);
  const url = URL.createObjectURL(file.blob);
  const a = h('a', { href: url, download: m ? m[1] : fallback, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * The panel: a recipient picker (partners, then groups), a button that asks for the preview,
 * and the preview's answer with the download button(s). chosen: id -> the version shown.
 */
export function signedExportPanel(cid, chosen, ctx) {
  const pick = h('select', { id: 'export-for', name: 'export-for' },
    h('option', { value: '' }, t('export_for_pick')));
  const partners = [...ctx.session.partners.values()].filter((p) => !p.disabled).map((p) => p.name).sort();
  pick.append(h('optgroup', { label: t('export_partners') }, partners.map((n) => h('option', { value: n }, n))));
  const groups = h('optgroup', { label: t('export_groups') });
  pick.append(groups);
  liaison.groups().then((j) => {
    for (const g of (j && j.groups) || []) groups.append(h('option', { value: g.name }, g.name));
  }).catch(() => groups.remove());
  const button = h('button', { type: 'button', id: 'export-signed', disabled: true }, t('export_signed'));
  const out = h('div', { id: 'export-preview', 'aria-live': 'polite' });
  const selection = () => [...chosen.values()].map((o) => ({ id: o.id, modified: o.modified || null }));
  const update = () => {
    button.disabled = chosen.size === 0 || !pick.value;
    fill(out);
  };
  pick.addEventListener('change', update);

  const downloadButton = (r, body) => {
    const b = h('button', { type: 'button', class: 'export-download', 'data-partner': r.name,
      disabled: r.objects ? null : true }, withName('export_download', null, r.name));
    b.addEventListener('click', async () => {
      b.disabled = true;
      try {
        save(await liaison.exportSigned({ ...body, for: r.name, preview: false }), r.name + '.bundle');
        b.after(h('span', { class: 'export-done', role: 'status' }, ' ', t('export_saved')));
      } catch (err) {
        b.after(h('p', { class: 'error', role: 'alert' }, errorMessage(err)));
        b.disabled = false;
      }
    });
    return b;
  };

  button.addEventListener('click', async () => {
    const body = { for: pick.value, collection: cid, objects: selection(), preview: true };
    fill(out, h('p', { class: 'loading', role: 'status' }, t('loading')));
    let j;
    try {
      j = await liaison.exportSigned(body);
    } catch (err) {
      return fill(out, h('p', { class: 'error', role: 'alert', id: 'export-error' }, errorMessage(err)));
    }
    fill(out, h('ul', { class: 'export-recipients' }, j.recipients.map((r) => {
      const why = withheldWords(r.withheld);
      const withheld = j.selected - r.objects;
      return h('li', { 'data-partner': r.name, 'data-objects': r.objects, 'data-withheld': withheld },
        r.disabled ? [bidi(r.name), t('list_sep'), t('export_disabled')]
          : r.granted
            ? [withName('export_summary', { n: r.objects, total: j.selected }, r.name),
              withheld ? ['. ', h('strong', { class: 'export-withheld' }, t('export_withheld', { n: withheld })), why] : '. ' + t('export_none_withheld'),
              r.definitions ? ['. ', t('export_definitions', { n: r.definitions })] : null,
              ' ', downloadButton(r, body)]
            : [bidi(r.name), t('list_sep'), t('export_not_granted')]);
    })));
  });
  return {
    element: h('div', { class: 'signed-export', id: 'signed-export' },
      h('label', null, t('export_for'), pick), ' ', button, out),
    update,
  };
}
