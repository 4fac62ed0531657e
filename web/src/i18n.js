// The interface in English and Arabic. The user's choice is kept in localStorage
// (it is not a secret); <html dir> and lang follow it, and dates and numbers are
// formatted for it (Arabic-Indic digits, Gregorian calendar, UTC).

const STORE_KEY = 'liaison.lang';

const en = {
  app_name: 'liaison',
  lang_switch: 'العربية',
  lang_switch_title: 'عرض الواجهة بالعربية',
  sign_in: 'Sign in',
  sign_out: 'Sign out',
  token: 'Access token',
  token_help: 'Paste the token your administrator issued. It is kept for this browser tab only and sent with each request, never in an address.',
  token_bad: 'This token was not accepted.',
  token_empty: 'Enter a token.',
  signing_in: 'Signing in…',
  role_admin: 'Local administrator',
  role_local: 'Local analyst',
  role_partner: 'Partner',
  acting_as: 'Acting as',
  clearance: 'Clearance',
  trust: 'Trust',
  read_only: 'read-only',
  nav_collections: 'Collections',
  collections: 'Collections',
  no_collections: 'No collections are shared with you.',
  can_read: 'read',
  can_write: 'write',
  open: 'Open',
  objects: 'Objects',
  alias: 'Alias',
  description: 'Description',
  loading: 'Loading…',
  error: 'Something went wrong',
  not_found: 'Not found, or not shared with you.',
  filters: 'Filters',
  f_type: 'Type',
  f_tlp: 'TLP marking',
  f_partner: 'Created by',
  f_added_after: 'Added after',
  any: 'Any',
  apply: 'Apply',
  reset: 'Reset',
  next_page: 'Next page',
  first_page: 'First page',
  page_count: '{shown} of {total} objects on this page',
  no_objects: 'No objects match.',
  name: 'Name',
  name_en: 'English',
  name_ar: 'العربية',
  type: 'Type',
  marking: 'Marking',
  created_by: 'Created by',
  modified: 'Modified',
  created: 'Created',
  grading: 'Grading',
  this_instance: 'This service',
  unknown_partner: 'Unregistered source',
  no_creator: 'No creator given',
  unmarked: 'Unmarked (collection default)',
  other_marking: 'Other marking',
  properties: 'Properties',
  versions: 'Versions',
  version_shown: 'shown',
  show_version: 'Show',
  latest: 'latest',
  graph: 'Graph',
  open_graph: 'Open graph',
  back_to_list: 'Back to the list',
  graph_help: 'Click a node to expand its neighbourhood; double-click to open it.',
  graph_selected: 'Selected',
  graph_nodes: '{n} objects, {e} links',
  expand: 'Expand',
  expanded: 'expanded',
  relationship: 'Relationship',
  refers_to: 'refers to',
  trust_of: 'Partner trust {t}',
  admiralty: 'Admiralty',
  europol: 'Europol 4×4',
  json: 'JSON',
  total_versions: '{n} versions',
  tlp_clear: 'TLP:CLEAR',
  tlp_green: 'TLP:GREEN',
  tlp_amber: 'TLP:AMBER',
  'tlp_amber+strict': 'TLP:AMBER+STRICT',
  tlp_red: 'TLP:RED',
  session_expired: 'Your session ended; sign in again.',
};

const ar = {
  app_name: 'ليازون',
  lang_switch: 'English',
  lang_switch_title: 'Show the interface in English',
  sign_in: 'تسجيل الدخول',
  sign_out: 'تسجيل الخروج',
  token: 'رمز الدخول',
  token_help: 'الصق الرمز الذي أصدره لك المسؤول. يُحفظ لهذه النافذة فقط ويُرسل مع كل طلب، ولا يظهر أبداً في عنوان الصفحة.',
  token_bad: 'لم يُقبل هذا الرمز.',
  token_empty: 'أدخل رمزاً.',
  signing_in: 'جارٍ تسجيل الدخول…',
  role_admin: 'مسؤول محلي',
  role_local: 'محلل محلي',
  role_partner: 'شريك',
  acting_as: 'بصفة',
  clearance: 'مستوى التصريح',
  trust: 'الثقة',
  read_only: 'قراءة فقط',
  nav_collections: 'المجموعات',
  collections: 'المجموعات',
  no_collections: 'لا توجد مجموعات مشتركة معك.',
  can_read: 'قراءة',
  can_write: 'كتابة',
  open: 'فتح',
  objects: 'العناصر',
  alias: 'الاسم المختصر',
  description: 'الوصف',
  loading: 'جارٍ التحميل…',
  error: 'حدث خطأ',
  not_found: 'غير موجود، أو غير مشترك معك.',
  filters: 'التصفية',
  f_type: 'النوع',
  f_tlp: 'علامة TLP',
  f_partner: 'المُنشئ',
  f_added_after: 'أضيف بعد',
  any: 'الكل',
  apply: 'تطبيق',
  reset: 'إعادة ضبط',
  next_page: 'الصفحة التالية',
  first_page: 'الصفحة الأولى',
  page_count: '{shown} من {total} عنصراً في هذه الصفحة',
  no_objects: 'لا توجد عناصر مطابقة.',
  name: 'الاسم',
  name_en: 'English',
  name_ar: 'العربية',
  type: 'النوع',
  marking: 'العلامة',
  created_by: 'المُنشئ',
  modified: 'آخر تعديل',
  created: 'أُنشئ',
  grading: 'التقييم',
  this_instance: 'هذه الجهة',
  unknown_partner: 'مصدر غير مسجل',
  no_creator: 'لا مُنشئ محدد',
  unmarked: 'بلا علامة (افتراضي المجموعة)',
  other_marking: 'علامة أخرى',
  properties: 'الخصائص',
  versions: 'الإصدارات',
  version_shown: 'معروض',
  show_version: 'عرض',
  latest: 'الأحدث',
  graph: 'المخطط',
  open_graph: 'فتح المخطط',
  back_to_list: 'العودة إلى القائمة',
  graph_help: 'انقر عقدة لتوسيع محيطها، وانقر مرتين لفتحها.',
  graph_selected: 'المحدد',
  graph_nodes: '{n} عنصراً، {e} رابطاً',
  expand: 'توسيع',
  expanded: 'موسّع',
  relationship: 'علاقة',
  refers_to: 'يشير إلى',
  trust_of: 'ثقة الشريك {t}',
  admiralty: 'مقياس الأميرالية',
  europol: 'يوروبول ٤×٤',
  json: 'JSON',
  total_versions: '{n} إصدارات',
  tlp_clear: 'TLP:CLEAR',
  tlp_green: 'TLP:GREEN',
  tlp_amber: 'TLP:AMBER',
  'tlp_amber+strict': 'TLP:AMBER+STRICT',
  tlp_red: 'TLP:RED',
  session_expired: 'انتهت الجلسة؛ سجّل الدخول مجدداً.',
};

// STIX type names shown to the analyst.
const types = {
  en: {
    'threat-actor': 'Threat actor', 'intrusion-set': 'Intrusion set', location: 'Location',
    identity: 'Identity', report: 'Report', relationship: 'Relationship', indicator: 'Indicator',
    malware: 'Malware', campaign: 'Campaign', 'marking-definition': 'Marking definition',
    note: 'Note', grouping: 'Grouping', sighting: 'Sighting', 'attack-pattern': 'Attack pattern',
    'liaison-rfi': 'Request for information', 'liaison-rfi-response': 'RFI response',
  },
  ar: {
    'threat-actor': 'جهة تهديد', 'intrusion-set': 'مجموعة اختراق', location: 'موقع',
    identity: 'هوية', report: 'تقرير', relationship: 'علاقة', indicator: 'مؤشر',
    malware: 'برمجية خبيثة', campaign: 'حملة', 'marking-definition': 'تعريف علامة',
    note: 'ملاحظة', grouping: 'تجميع', sighting: 'رصد', 'attack-pattern': 'نمط هجوم',
    'liaison-rfi': 'طلب معلومات', 'liaison-rfi-response': 'رد على طلب معلومات',
  },
};

const dicts = { en, ar };
let lang = 'en';
try {
  const saved = localStorage.getItem(STORE_KEY);
  if (saved === 'ar' || saved === 'en') lang = saved;
} catch {
  /* storage refused: English */
}

export function currentLang() {
  return lang;
}

/** Sets the language, remembers it, and turns the page (dir, lang). */
export function setLang(next) {
  lang = next === 'ar' ? 'ar' : 'en';
  try {
    localStorage.setItem(STORE_KEY, lang);
  } catch {
    /* not remembered */
  }
  applyLang();
}

export function applyLang() {
  document.documentElement.lang = lang;
  document.documentElement.dir = lang === 'ar' ? 'rtl' : 'ltr';
  document.title = t('app_name');
}

/** The text for key, with {name} placeholders filled from params (numbers formatted). */
export function t(key, params) {
  let s = dicts[lang][key] ?? en[key] ?? key;
  if (params)
    for (const [k, v] of Object.entries(params))
      s = s.replaceAll('{' + k + '}', typeof v === 'number' ? fmtNumber(v) : String(v));
  return s;
}

export function typeName(type) {
  return types[lang][type] || types.en[type] || type;
}

function locale() {
  // Arabic: Arabic-Indic digits and the Gregorian calendar, whatever the region defaults are.
  return lang === 'ar' ? 'ar-u-nu-arab-ca-gregory' : 'en-GB';
}

export function fmtNumber(n) {
  return new Intl.NumberFormat(locale()).format(n);
}

/** A STIX timestamp shown in the chosen language, in UTC (as partners exchange them). */
export function fmtDate(ts) {
  if (!ts) return '';
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return ts;
  return new Intl.DateTimeFormat(locale(), {
    dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC',
  }).format(d) + (lang === 'ar' ? ' بالتوقيت العالمي' : ' UTC');
}
