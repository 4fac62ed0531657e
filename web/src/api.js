// The one way the pages talk to the server: the same TAXII 2.1 and liaison API
// every other client uses, with the analyst's token as a Bearer credential. The
// token lives in sessionStorage (this tab, until it closes) and in request headers
// only: never in a URL, a cookie or localStorage. credentials: 'omit' keeps the
// browser from ever offering its own login prompt for a refused token.

export const TAXII = 'application/taxii+json;version=2.1';
export const ROOT = '/taxii2/default/';
const TOKEN_KEY = 'liaison.token';

export class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.description || body.title)) || 'HTTP ' + status);
    this.status = status;
    this.body = body;
  }
}

export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}
export function setToken(tok) {
  sessionStorage.setItem(TOKEN_KEY, tok);
}
export function dropToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

let onUnauthorized = () => {};
/** Called when the server refuses the token (401): the app signs the user out. */
export function whenUnauthorized(fn) {
  onUnauthorized = fn;
}

/** One request. Resolves to the parsed JSON body; rejects with ApiError. */
export async function call(path, { method = 'GET', accept = TAXII, body, contentType, token } = {}) {
  const tok = token ?? getToken();
  const headers = { Accept: accept };
  if (tok) headers.Authorization = 'Bearer ' + tok;
  if (body !== undefined) headers['Content-Type'] = contentType || TAXII;
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    credentials: 'omit',
    cache: 'no-store',
    referrerPolicy: 'no-referrer',
  });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    if (res.status === 401 && token === undefined) onUnauthorized();
    throw new ApiError(res.status, json);
  }
  return json;
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? '?' + s : '';
}

const enc = encodeURIComponent;

export const taxii = {
  collections: () => call(ROOT + 'collections/'),
  collection: (cid) => call(ROOT + 'collections/' + enc(cid) + '/'),
  /** A page of objects: params are TAXII filters (match[type], added_after, limit, next). */
  objects: (cid, params) => call(ROOT + 'collections/' + enc(cid) + '/objects/' + query(params)),
  /** Every page of objects matching params, up to maxPages pages. */
  async objectsAll(cid, params, maxPages = 20) {
    const out = [];
    let next;
    for (let i = 0; i < maxPages; i++) {
      const page = await taxii.objects(cid, { limit: 1000, ...params, next });
      out.push(...((page && page.objects) || []));
      if (!page || !page.more) break;
      next = page.next;
    }
    return out;
  },
  /** Versions of one object (match[version]: last, all, or a timestamp). */
  object: (cid, oid, version = 'last') =>
    call(ROOT + 'collections/' + enc(cid) + '/objects/' + enc(oid) + '/' + query({ 'match[version]': version })),
  versions: (cid, oid) => call(ROOT + 'collections/' + enc(cid) + '/objects/' + enc(oid) + '/versions/'),
};

const JSON_TYPE = 'application/json';
const jsonCall = (path, method, body) =>
  call(path, { method, accept: JSON_TYPE, contentType: body === undefined ? undefined : JSON_TYPE, body });

export const liaison = {
  whoami: (token) => call('/liaison/whoami', { accept: JSON_TYPE, token }),
  partners: () => call('/liaison/partners', { accept: JSON_TYPE }),
  /** Requests for information (docs/rfi.md): box incoming|outgoing, status as docs/api.md. */
  rfis: (params) => jsonCall('/liaison/rfi' + query(params), 'GET'),
  rfi: (id) => jsonCall('/liaison/rfi/' + enc(id), 'GET'),
  rfiNew: (body) => jsonCall('/liaison/rfi', 'POST', body),
  /** verb: ack, answer, decline, amend, withdraw, close. */
  rfiAct: (id, verb, body) => jsonCall('/liaison/rfi/' + enc(id) + '/' + enc(verb), 'POST', body || {}),
  /** An article analysed into a draft bundle (nothing stored). */
  intake: (text, lang) => jsonCall('/liaison/intake', 'POST', { text, lang: lang || 'auto' }),
  intakePublish: (collection, marking, bundle) =>
    jsonCall('/liaison/intake/publish', 'POST', { collection, marking, bundle }),
  /** Names, aliases and text, matched after Arabic normalisation on the server. */
  search: (params) => jsonCall('/liaison/search' + query(params), 'GET'),
};
