// What the pages read off a STIX object: its names in each script, its TLP level
// and other markings, its creator, its grading, and the ids it refers to.
import { isRtlText } from './dom.js';

// TLP 2.0 (OASIS common objects) and TLP 1.0 (STIX 2.1 spec) marking-definitions, as
// src/access/marking.c maps them.
const TLP_IDS = {
  'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487': 'clear',
  'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb': 'green',
  'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421': 'amber',
  'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003': 'amber+strict',
  'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1': 'red',
  'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9': 'clear',
  'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da': 'green',
  'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82': 'amber',
  'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed': 'red',
};
export const TLP_LEVELS = ['clear', 'green', 'amber', 'amber+strict', 'red'];
/** The TLP 2.0 marking-definition id of a level (what the forms write). */
export function tlpMarkingId(level) {
  return Object.keys(TLP_IDS).find((id) => TLP_IDS[id] === level) || null;
}
/** Marking refs minus the TLP ones (kept when an edit changes the TLP). */
export function withoutTlp(refs) {
  return (refs || []).filter((r) => !TLP_IDS[r]);
}
export const GRADING_EXT = 'extension-definition--79cbf8a2-1d41-4b10-9682-2577872b23b7';

function markingRefs(o) {
  const refs = [...(o.object_marking_refs || [])];
  for (const g of o.granular_markings || []) if (g.marking_ref) refs.push(g.marking_ref);
  return refs;
}

/** The most restrictive TLP level on the object, or null when it carries none. */
export function tlpOf(o) {
  let best = -1;
  for (const r of markingRefs(o)) {
    const lvl = TLP_IDS[r];
    if (lvl) best = Math.max(best, TLP_LEVELS.indexOf(lvl));
  }
  return best < 0 ? null : TLP_LEVELS[best];
}

/** Marking refs that are not TLP (REL TO, statements): ids to name if we can. */
export function otherMarkings(o) {
  return markingRefs(o).filter((r) => !TLP_IDS[r]);
}

/** Every name of the object: name, then aliases (STIX, MITRE and liaison spellings), once each. */
export function allNames(o) {
  const all = [o.name, ...(o.aliases || []), ...(o.x_aliases || []), ...(o.x_mitre_aliases || [])]
    .filter((s) => typeof s === 'string' && s);
  if (o.type === 'liaison-rfi' && o.subject) all.push(o.subject);
  if (o.type === 'note' && o.abstract) all.push(o.abstract);
  return [...new Set(all)];
}

/**
 * {ar, en}: the object's right-to-left-script and left-to-right-script names (from name and
 * aliases). A name is Arabic when its first strong letter is: "AQIM (تنظيم القاعدة)" is a
 * Latin-script name that holds Arabic, not an Arabic one.
 */
export function names(o) {
  const all = allNames(o);
  if (o.type === 'relationship' && !all.length) all.push(o.relationship_type || '');
  const ar = all.find(isRtlText) || null;
  const en = all.find((s) => !isRtlText(s)) || null;
  return { ar, en, primary: o.name || ar || en || o.value || o.id };
}

/** "B2 (admiralty)"-style grading from the liaison grading extension, or null. */
export function gradingOf(o) {
  const g = o.extensions && o.extensions[GRADING_EXT];
  if (!g) return null;
  return {
    code: (g.source_reliability || '?') + (g.information_credibility || '?'), scale: g.scale || 'admiralty',
    source: g.source_reliability || null, info: g.information_credibility || null,
  };
}

export const HANDLING_EXT = 'extension-definition--b5fc933d-2a12-45ec-bf89-f6e3b754bcd0';
export const RELEASABILITY_EXT = 'extension-definition--fe6c44b8-02ce-4c78-adda-645fef55531d';

/** The identities a TLP:RED object names as its recipients (liaison handling extension). */
export function redRecipients(o) {
  const e = o.extensions && o.extensions[HANDLING_EXT];
  return (e && Array.isArray(e.red_recipients)) ? e.red_recipients : [];
}

/** The identities a REL TO marking-definition releases to, or null when it is not one. */
export function relTo(def) {
  const e = def && def.extensions && def.extensions[RELEASABILITY_EXT];
  return e && Array.isArray(e.rel_to) ? e.rel_to : null;
}

/** TLP levels compared: rank('green') < rank('amber'); -1 for none. */
export function tlpRank(level) {
  return TLP_LEVELS.indexOf(level);
}

/** Every STIX id the object refers to, with the property that holds it. */
export function refsOf(o) {
  const out = [];
  for (const [k, v] of Object.entries(o)) {
    if (k === 'object_marking_refs' || k === 'created_by_ref' || k === 'id') continue;
    if (k.endsWith('_ref') && typeof v === 'string') out.push({ prop: k, id: v });
    else if (k.endsWith('_refs') && Array.isArray(v))
      for (const id of v) if (typeof id === 'string') out.push({ prop: k, id });
  }
  return out;
}

export function isStixId(s) {
  return typeof s === 'string' && /^[a-z0-9-]+--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(s);
}
