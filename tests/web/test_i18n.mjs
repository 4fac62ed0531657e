// Every piece of interface text exists in English and in Arabic: the two dictionaries have the
// same keys, every key a page asks for (t('...') in web/src, and the keys built from a prefix
// and a known value) is in both, every STIX type name and vocabulary label has both, and the
// Arabic ones are written in Arabic. Runs in node over the page sources (no browser).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { SOURCE, step, summary, assert } from './lib.mjs';

globalThis.localStorage = { getItem: () => null, setItem: () => {} };
const src = path.join(SOURCE, 'web', 'src');
const { DICTS } = await import(path.join(src, 'i18n.js'));
const { ALL } = await import(path.join(src, 'vocab.js'));
const ARABIC = /[\u0600-\u06FF]/;

function files(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.js') ? [p] : [];
  });
}
const code = files(src).map((f) => readFileSync(f, 'utf8')).join('\n');

let codeOk = 0;
try {
  await step('English and Arabic have the same keys', async () => {
    const en = Object.keys(DICTS.en);
    const ar = new Set(Object.keys(DICTS.ar));
    const missing = en.filter((k) => !ar.has(k));
    const extra = [...ar].filter((k) => !(k in DICTS.en));
    assert(!missing.length && !extra.length, `missing in Arabic: ${missing}; only in Arabic: ${extra}`);
    assert(Object.keys(DICTS.types.en).every((k) => k in DICTS.types.ar), 'every type name in Arabic');
  });

  await step('every key the pages ask for is in both dictionaries', async () => {
    const used = [...code.matchAll(/\bt\('([a-z0-9_+]+)'[,)]/g)].map((m) => m[1]);
    // keys built from a prefix and a value the pages know
    const built = [
      ...['open', 'acknowledged', 'answered', 'declined', 'withdrawn', 'closed', 'overdue'].map((x) => 'st_' + x),
      ...['routine', 'priority', 'immediate'].map((x) => 'pr_' + x),
      ...['incoming', 'outgoing'].map((x) => 'box_' + x),
      ...['acknowledge', 'ack', 'answer', 'decline'].map((x) => 'ra_' + x),
      ...['clear', 'green', 'amber', 'amber+strict', 'red'].flatMap((x) => ['tlp_' + x, 'tlp_words_' + x]),
      ...['stored', 'reused', 'refused'].map((x) => 'res_' + x),
      ...['auto', 'ar', 'en'].map((x) => 'lang_' + x),
      ...['added', 'removed', 'changed'].map((x) => 'diff_' + x),
      ...['clearance', 'collection', 'marking', 'disabled', 'unknown'].map((x) => 'why_' + x),
      ...['type', 'tlp', 'source', 'collection'].map((x) => 'facet_' + x),
      ...['added_asc', 'added_desc', 'modified_desc', 'modified_asc'].map((x) => 'sort_' + x),
      ...['weapons', 'ammunition', 'explosives', 'money', 'fighters', 'fuel', 'drugs', 'people', 'other'].map((x) => 'commodity_' + x),
      ...['sahel', 'northern_mali', 'maghreb', 'lake_chad_basin', 'sahara'].map((x) => 'place_region_' + x),
      ...['analyst', 'releaser', 'admin'].map((x) => 'role_person_' + x),
      ...['due', 'at_limit', 'kept'].map((x) => 'review_state_' + x),
      ...['diamond', 'hexagon', 'triangle', 'rectangle', 'round_rectangle', 'vee', 'octagon', 'star', 'tag', 'round_tag', 'ellipse'].map((x) => 'shape_' + x),
    ];
    const prefixes = [...code.matchAll(/\bt\('([a-z_]+_)' \+/g)].map((m) => m[1]);
    for (const p of prefixes) assert(built.some((k) => k.startsWith(p)), 'a prefix the test does not know: ' + p);
    const missing = [...new Set([...used, ...built])].filter((k) => !(k in DICTS.en) || !(k in DICTS.ar));
    assert(!missing.length, 'keys missing from a dictionary: ' + missing);
    assert(used.length > 200, 'keys found in the sources: ' + used.length);
  });

  await step('Arabic text is Arabic, English text is not', async () => {
    // codes, product names and the language switch's own label are the same in both
    const same = new Set(['app_name', 'json', 'name_en', 'name_ar', 'lang_switch', 'lang_switch_title', 'list_sep']);
    const bad = [];
    for (const [k, v] of Object.entries(DICTS.ar)) {
      if (same.has(k) || k.startsWith('tlp_') && !k.startsWith('tlp_words_')) continue;
      if (!ARABIC.test(v)) bad.push(k);
    }
    for (const [k, v] of Object.entries(DICTS.en)) if (!same.has(k) && ARABIC.test(v)) bad.push('en:' + k);
    assert(!bad.length, 'not in the language of its dictionary: ' + bad);
    for (const [name, table] of Object.entries(ALL)) {
      const pairs = name === 'SOURCE' || name === 'INFO' ? Object.values(table).flatMap((x) => Object.values(x)) : Object.values(table);
      for (const [en, ar] of pairs) assert(en && ar && !ARABIC.test(en) && ARABIC.test(ar), `${name}: ${en} / ${ar}`);
    }
  });
  codeOk = 1;
} catch {
  codeOk = 0;
}
process.exit(summary(import.meta.url) || (codeOk ? 0 : 1));
