// What the analyst reads instead of STIX property names and vocabulary values, in English and
// Arabic: property labels, the STIX 2.1 open vocabularies the cards show (threat actor types,
// identity classes, report and indicator types, motivations, regions, relationship types...),
// and the meaning of each grading and trust code. A value no list knows is shown as written
// (it is the data's, not the interface's).
import { currentLang } from './i18n.js';

// [English, Arabic] per property.
const PROPS = {
  name: ['Name', 'الاسم'],
  description: ['Description', 'الوصف'],
  aliases: ['Aliases', 'الأسماء البديلة'],
  threat_actor_types: ['Kind of actor', 'نوع الجهة'],
  roles: ['Roles', 'الأدوار'],
  goals: ['Goals', 'الأهداف'],
  sophistication: ['Sophistication', 'مستوى التطور'],
  resource_level: ['Resources', 'مستوى الموارد'],
  primary_motivation: ['Main motivation', 'الدافع الرئيسي'],
  secondary_motivations: ['Other motivations', 'دوافع أخرى'],
  personal_motivations: ['Personal motivations', 'الدوافع الشخصية'],
  first_seen: ['First seen', 'أول ظهور'],
  last_seen: ['Last seen', 'آخر ظهور'],
  objective: ['Objective', 'الهدف'],
  country: ['Country', 'البلد'],
  region: ['Region', 'المنطقة'],
  administrative_area: ['Administrative area', 'المنطقة الإدارية'],
  city: ['City', 'المدينة'],
  street_address: ['Street address', 'العنوان'],
  postal_code: ['Postal code', 'الرمز البريدي'],
  latitude: ['Latitude', 'خط العرض'],
  longitude: ['Longitude', 'خط الطول'],
  precision: ['Precision (metres)', 'الدقة (بالأمتار)'],
  identity_class: ['Kind of identity', 'نوع الهوية'],
  sectors: ['Sectors', 'القطاعات'],
  contact_information: ['Contact', 'معلومات الاتصال'],
  published: ['Published', 'تاريخ النشر'],
  report_types: ['Kind of report', 'نوع التقرير'],
  object_refs: ['Refers to', 'يشير إلى'],
  abstract: ['Summary', 'الملخص'],
  content: ['Content', 'المحتوى'],
  authors: ['Authors', 'المؤلفون'],
  opinion: ['Opinion', 'الرأي'],
  explanation: ['Explanation', 'التعليل'],
  pattern: ['Pattern', 'النمط'],
  pattern_type: ['Pattern language', 'لغة النمط'],
  pattern_version: ['Pattern version', 'إصدار النمط'],
  indicator_types: ['Kind of indicator', 'نوع المؤشر'],
  valid_from: ['Valid from', 'صالح من'],
  valid_until: ['Valid until', 'صالح حتى'],
  kill_chain_phases: ['Kill chain phases', 'مراحل سلسلة الهجوم'],
  relationship_type: ['Relationship', 'العلاقة'],
  source_ref: ['From', 'من'],
  target_ref: ['To', 'إلى'],
  start_time: ['Since', 'منذ'],
  stop_time: ['Until', 'حتى'],
  labels: ['Labels', 'الوسوم'],
  confidence: ['Confidence', 'درجة الثقة'],
  lang: ['Language', 'اللغة'],
  external_references: ['External references', 'مراجع خارجية'],
  revoked: ['Revoked', 'ملغى'],
  context: ['Context', 'السياق'],
  malware_types: ['Kind of malware', 'نوع البرمجية'],
  is_family: ['A family', 'عائلة برمجيات'],
  subject: ['Subject', 'الموضوع'],
  questions: ['Questions', 'الأسئلة'],
  about_refs: ['About', 'بخصوص'],
  priority: ['Priority', 'الأولوية'],
  due: ['Due', 'الموعد النهائي'],
  state: ["Requester's state", 'حالة الطلب لدى الجهة الطالبة'],
  addressee_ref: ['Addressed to', 'موجه إلى'],
  requester_ref: ['Requester', 'الجهة الطالبة'],
  rfi_ref: ['Request', 'الطلب'],
  action: ['Response', 'الرد'],
  text: ['Text', 'النص'],
  reason: ['Reason', 'السبب'],
  sighting_of_ref: ['Sighting of', 'رصد لـ'],
  where_sighted_refs: ['Seen by', 'رصدته'],
  count: ['Times seen', 'عدد مرات الرصد'],
  sample_refs: ['Samples', 'العينات'],
  operating_system_refs: ['Operating systems', 'أنظمة التشغيل'],
  // liaison-flow (docs/flows.md)
  commodities: ['What moves', 'ما يُنقل'],
  other_commodities: ['Other goods', 'سلع أخرى'],
  from_ref: ['From', 'من'],
  to_ref: ['To', 'إلى'],
  via_refs: ['Through', 'عبر'],
  carrier_refs: ['Carried by', 'ينقله'],
  estimate: ['Estimate', 'التقدير'],
};

const VALUES = {
  // flow-commodity-ov (docs/flows.md)
  weapons: ['Weapons', 'أسلحة'], ammunition: ['Ammunition', 'ذخيرة'], explosives: ['Explosives', 'متفجرات'],
  money: ['Money', 'أموال'], fighters: ['Fighters', 'مقاتلون'], fuel: ['Fuel', 'وقود'], drugs: ['Drugs', 'مخدرات'],
  people: ['People', 'أشخاص'], other: ['Other', 'أخرى'],
  // threat-actor-type-ov
  activist: ['Activist', 'ناشط'], competitor: ['Competitor', 'منافس'], 'crime-syndicate': ['Crime syndicate', 'عصابة إجرامية'],
  criminal: ['Criminal', 'مجرم'], hacker: ['Hacker', 'مخترق'], 'insider-accidental': ['Insider (accidental)', 'من الداخل (دون قصد)'],
  'insider-disgruntled': ['Insider (disgruntled)', 'من الداخل (ساخط)'], 'nation-state': ['Nation state', 'دولة'],
  sensationalist: ['Sensationalist', 'باحث عن الإثارة'], spy: ['Spy', 'جاسوس'], terrorist: ['Terrorist', 'إرهابي'], unknown: ['Unknown', 'غير معروف'],
  // identity-class-ov
  individual: ['Individual', 'فرد'], group: ['Group', 'جماعة'], system: ['System', 'نظام'], organization: ['Organisation', 'منظمة'], class: ['Class', 'فئة'],
  // report-type-ov
  'attack-pattern': ['Attack pattern', 'نمط هجوم'], campaign: ['Campaign', 'حملة'], identity: ['Identity', 'هوية'], indicator: ['Indicator', 'مؤشر'],
  'intrusion-set': ['Intrusion set', 'مجموعة اختراق'], malware: ['Malware', 'برمجية خبيثة'], 'observed-data': ['Observed data', 'بيانات مرصودة'],
  'threat-actor': ['Threat actor', 'جهة تهديد'], 'threat-report': ['Threat report', 'تقرير تهديد'], tool: ['Tool', 'أداة'], vulnerability: ['Vulnerability', 'ثغرة'],
  // indicator-type-ov
  'anomalous-activity': ['Anomalous activity', 'نشاط غير اعتيادي'], anonymization: ['Anonymisation', 'إخفاء الهوية'], benign: ['Benign', 'غير ضار'],
  compromised: ['Compromised', 'مخترَق'], 'malicious-activity': ['Malicious activity', 'نشاط خبيث'], attribution: ['Attribution', 'إسناد'],
  // opinion-enum
  'strongly-disagree': ['Strongly disagree', 'أعارض بشدة'], disagree: ['Disagree', 'أعارض'], neutral: ['Neutral', 'محايد'],
  agree: ['Agree', 'أوافق'], 'strongly-agree': ['Strongly agree', 'أوافق بشدة'],
  // attack-motivation-ov
  accidental: ['Accidental', 'عرضي'], coercion: ['Coercion', 'الإكراه'], dominance: ['Dominance', 'الهيمنة'], ideology: ['Ideology', 'العقيدة'],
  notoriety: ['Notoriety', 'الشهرة'], 'organizational-gain': ['Gain for an organisation', 'مكسب لمنظمة'], 'personal-gain': ['Personal gain', 'مكسب شخصي'],
  'personal-satisfaction': ['Personal satisfaction', 'رضا شخصي'], revenge: ['Revenge', 'الانتقام'], unpredictable: ['Unpredictable', 'لا يمكن التنبؤ به'],
  // attack-resource-level-ov
  club: ['Club', 'نادٍ'], contest: ['Contest', 'مسابقة'], team: ['Team', 'فريق'], government: ['Government', 'حكومة'],
  // threat-actor-sophistication-ov
  none: ['None', 'لا شيء'], minimal: ['Minimal', 'أدنى'], intermediate: ['Intermediate', 'متوسط'], advanced: ['Advanced', 'متقدم'],
  expert: ['Expert', 'خبير'], innovator: ['Innovator', 'مبتكر'], strategic: ['Strategic', 'استراتيجي'],
  // threat-actor-role-ov
  agent: ['Agent', 'عميل'], director: ['Director', 'موجّه'], independent: ['Independent', 'مستقل'],
  'infrastructure-architect': ['Infrastructure architect', 'مصمم البنية'], 'infrastructure-operator': ['Infrastructure operator', 'مشغل البنية'],
  'malware-author': ['Malware author', 'كاتب برمجيات خبيثة'], sponsor: ['Sponsor', 'راعٍ'],
  // industry-sector-ov (the ones intake and partners use)
  defense: ['Defence', 'الدفاع'], 'law-enforcement': ['Law enforcement', 'إنفاذ القانون'], 'government-national': ['National government', 'الحكومة الوطنية'],
  'government-regional': ['Regional government', 'الحكومة الإقليمية'], 'government-local': ['Local government', 'الحكومة المحلية'],
  'government-public-services': ['Public services', 'الخدمات العامة'], intelligence: ['Intelligence', 'الاستخبارات'],
  // RFI
  routine: ['Routine', 'عادي'], priority: ['Priority', 'ذو أولوية'], immediate: ['Immediate', 'فوري'],
  open: ['Open', 'مفتوح'], withdrawn: ['Withdrawn', 'مسحوب'], closed: ['Closed', 'مغلق'],
  acknowledge: ['Acknowledged', 'تم الاستلام'], answer: ['Answer', 'إجابة'], decline: ['Declined', 'مرفوض'],
  // grouping context (grouping-context-ov)
  'suspicious-activity': ['Suspicious activity', 'نشاط مريب'], 'malware-analysis': ['Malware analysis', 'تحليل برمجية خبيثة'], unspecified: ['Unspecified', 'غير محدد'],
};

// region-ov
const REGIONS = {
  africa: ['Africa', 'أفريقيا'], 'eastern-africa': ['Eastern Africa', 'شرق أفريقيا'], 'middle-africa': ['Middle Africa', 'وسط أفريقيا'],
  'northern-africa': ['Northern Africa', 'شمال أفريقيا'], 'southern-africa': ['Southern Africa', 'جنوب أفريقيا'], 'western-africa': ['Western Africa', 'غرب أفريقيا'],
  americas: ['Americas', 'الأمريكتان'], 'latin-america-caribbean': ['Latin America and the Caribbean', 'أمريكا اللاتينية والكاريبي'],
  'south-america': ['South America', 'أمريكا الجنوبية'], caribbean: ['Caribbean', 'الكاريبي'], 'central-america': ['Central America', 'أمريكا الوسطى'],
  'northern-america': ['Northern America', 'أمريكا الشمالية'], asia: ['Asia', 'آسيا'], 'central-asia': ['Central Asia', 'آسيا الوسطى'],
  'eastern-asia': ['Eastern Asia', 'شرق آسيا'], 'southern-asia': ['Southern Asia', 'جنوب آسيا'], 'south-eastern-asia': ['South-eastern Asia', 'جنوب شرق آسيا'],
  'western-asia': ['Western Asia', 'غرب آسيا'], europe: ['Europe', 'أوروبا'], 'eastern-europe': ['Eastern Europe', 'أوروبا الشرقية'],
  'northern-europe': ['Northern Europe', 'أوروبا الشمالية'], 'southern-europe': ['Southern Europe', 'أوروبا الجنوبية'],
  'western-europe': ['Western Europe', 'أوروبا الغربية'], oceania: ['Oceania', 'أوقيانوسيا'], antarctica: ['Antarctica', 'القارة القطبية الجنوبية'],
  'australia-new-zealand': ['Australia and New Zealand', 'أستراليا ونيوزيلندا'], melanesia: ['Melanesia', 'ميلانيزيا'],
  micronesia: ['Micronesia', 'ميكرونيزيا'], polynesia: ['Polynesia', 'بولينيزيا'],
};

// relationship-type: [English, Arabic], read "source <verb> target".
const RELATIONSHIPS = {
  'located-at': ['located at', 'يتمركز في'], 'related-to': ['related to', 'مرتبط بـ'], targets: ['targets', 'يستهدف'], uses: ['uses', 'يستخدم'],
  'attributed-to': ['attributed to', 'منسوب إلى'], indicates: ['indicates', 'يدل على'], 'derived-from': ['derived from', 'مشتق من'],
  'duplicate-of': ['duplicate of', 'نسخة مكررة من'], impersonates: ['impersonates', 'ينتحل صفة'], 'originates-from': ['originates from', 'ينشأ من'],
  'authored-by': ['authored by', 'من تأليف'], 'based-on': ['based on', 'مبني على'], 'communicates-with': ['communicates with', 'يتواصل مع'],
  'consists-of': ['consists of', 'يتكون من'], controls: ['controls', 'يتحكم في'], delivers: ['delivers', 'ينقل'], drops: ['drops', 'يُسقط'],
  exploits: ['exploits', 'يستغل'], hosts: ['hosts', 'يستضيف'], investigates: ['investigates', 'يحقق في'], mitigates: ['mitigates', 'يخفف'],
  owns: ['owns', 'يملك'], 'variant-of': ['variant of', 'متغير من'], compromises: ['compromises', 'يخترق'], 'part-of': ['part of', 'جزء من'],
  'affiliated-with': ['affiliated with', 'تابع لـ'], 'allied-with': ['allied with', 'متحالف مع'], 'split-from': ['split from', 'منشق عن'],
};

// Grading (docs/rfi.md): the Admiralty scale and Europol's 4x4, and our trust (A-F).
const SOURCE = {
  admiralty: {
    A: ['completely reliable', 'موثوق تماماً'], B: ['usually reliable', 'موثوق عادةً'], C: ['fairly reliable', 'موثوق إلى حد ما'],
    D: ['not usually reliable', 'غير موثوق عادةً'], E: ['unreliable', 'غير موثوق'], F: ['reliability cannot be judged', 'لا يمكن الحكم على موثوقيته'],
  },
  europol: {
    A: ['no doubt of authenticity, trustworthiness and competence', 'لا شك في أصالته وجدارته وكفاءته'],
    B: ['in most instances proved reliable', 'ثبتت موثوقيته في معظم الحالات'],
    C: ['in most instances proved unreliable', 'ثبت عدم موثوقيته في معظم الحالات'],
    X: ['reliability cannot be assessed', 'لا يمكن تقدير موثوقيته'],
  },
};
const INFO = {
  admiralty: {
    1: ['confirmed by other sources', 'مؤكدة من مصادر أخرى'], 2: ['probably true', 'صحيحة على الأرجح'], 3: ['possibly true', 'ربما صحيحة'],
    4: ['doubtful', 'مشكوك فيها'], 5: ['improbable', 'مستبعدة'], 6: ['truth cannot be judged', 'لا يمكن الحكم على صحتها'],
  },
  europol: {
    1: ['known to be true without reservation', 'معروف أنها صحيحة دون تحفظ'],
    2: ['known personally to the source, not to the officer passing it on', 'يعرفها المصدر شخصياً لا الضابط الناقل'],
    3: ['not known personally to the source, corroborated by information already recorded', 'لا يعرفها المصدر شخصياً وتؤيدها معلومات مسجلة'],
    4: ['not known personally to the source and cannot be corroborated', 'لا يعرفها المصدر شخصياً ولا يمكن تأييدها'],
  },
};

const pick = (pair) => (pair ? pair[currentLang() === 'ar' ? 1 : 0] : null);

/** The label of a STIX property, or null when the interface has none (shown as written). */
export function propLabel(key) {
  return pick(PROPS[key]);
}

/** A vocabulary value in words, or the value as written. */
export function vocab(value) {
  return pick(VALUES[value]) || value;
}

export function regionName(value) {
  return pick(REGIONS[value]) || value;
}

/** "located at" / "يتمركز في" for a relationship type; as written when unknown. */
export function relationshipVerb(type) {
  return pick(RELATIONSHIPS[type]) || type;
}

/** A country's name in the interface's language from its ISO code (Intl), or the code. */
export function countryName(code) {
  if (typeof code !== 'string' || !/^[A-Za-z]{2}$/.test(code)) return code;
  try {
    return new Intl.DisplayNames([currentLang() === 'ar' ? 'ar' : 'en-GB'], { type: 'region' }).of(code.toUpperCase()) || code;
  } catch {
    return code;
  }
}

/** A language's name from its code ("ar" -> Arabic). */
export function languageName(code) {
  if (typeof code !== 'string' || !code) return code;
  try {
    return new Intl.DisplayNames([currentLang() === 'ar' ? 'ar' : 'en-GB'], { type: 'language' }).of(code) || code;
  } catch {
    return code;
  }
}

/** Words for a source-reliability letter on a scale (admiralty, europol), or null. */
export function sourceWords(scale, letter) {
  return pick((SOURCE[scale] || SOURCE.admiralty)[letter]);
}

/** Words for an information-credibility digit on a scale, or null. */
export function infoWords(scale, digit) {
  return pick((INFO[scale] || INFO.admiralty)[digit]);
}

/** Our trust in a partner (A-F, the Admiralty source letters) in words. */
export function trustWords(letter) {
  return pick(SOURCE.admiralty[letter]);
}

/** Every vocabulary, for the test that checks both languages are complete. */
export const ALL = { PROPS, VALUES, REGIONS, RELATIONSHIPS, SOURCE, INFO };
