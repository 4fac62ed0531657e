// The one way the pages talk to the server: the same TAXII 2.1 and liaison API
// every other client uses, with the analyst's token as a Bearer credential. The
// token lives in sessionStorage (this tab, until it closes) and in request headers
// only: never in a URL, a cookie or localStorage. credentials: 'omit' keeps the
// browser from ever offering its own login prompt for a refused token.

export const TAXII = 'application/taxii+json;version=2.1';
export const ROOT = '/taxii2/default/';
const TOKEN_KEY = 'liaison.token';

/**
 * A refused or failed call. status 0: the server could not be reached (network, server down);
 * otherwise the HTTP status, with the server's own words in message (TAXII error "description").
 * retryAfter: seconds, from a 429 or 503 answer.
 */
export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    super((body && (body.description || body.title)) || (status ? 'HTTP ' + status : 'network'));
    this.status = status;
    this.body = body;
    this.retryAfter = retryAfter || null;
  }
}

// The server's clock (its Date header), so "since my last visit" is measured as the server
// dates what it adds, whatever this computer's clock says.
let skewMs = 0;
/** Now, by the server's clock as last seen (ISO 8601, milliseconds). */
export function serverNow() {
  return new Date(Date.now() + skewMs).toISOString();
}

export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}
export function setToken(tok) {
  sessionStorage.setItem(TOKEN_KEY, tok);
}
export function dropToken() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(PERSON_KEY);
}
// The person a session token of POST /liaison/signin acts as ({name, role}), kept beside it.
const PERSON_KEY = 'liaison.person';
export function setPerson(p) {
  sessionStorage.setItem(PERSON_KEY, JSON.stringify(p));
}
export function getPerson() {
  try {
    return JSON.parse(sessionStorage.getItem(PERSON_KEY) || 'null');
  } catch {
    return null;
  }
}

let onUnauthorized = () => {};
/** Called when the server refuses the token (401): the app signs the user out. */
export function whenUnauthorized(fn) {
  onUnauthorized = fn;
}

/**
 * One request. Resolves to the parsed JSON body (with file: {blob, headers}, for a download);
 * rejects with ApiError.
 */
export async function call(path, { method = 'GET', accept = TAXII, body, contentType, token, file = false } = {}) {
  const tok = token ?? getToken();
  const headers = { Accept: accept };
  if (tok) headers.Authorization = 'Bearer ' + tok;
  if (body !== undefined) headers['Content-Type'] = contentType || TAXII;
  let res, text;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer',
    });
    if (file && res.ok) {
      const blob = await res.blob();
      return { blob, headers: res.headers };
    }
    text = await res.text();
  } catch {
    // fetch rejects only when no answer came (server down, network cut): said as such, never
    // as the browser's English "Failed to fetch".
    throw new ApiError(0, null);
  }
  const date = Date.parse(res.headers.get('Date') || '');
  if (!Number.isNaN(date)) skewMs = date - Date.now();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    if (res.status === 401 && token === undefined) onUnauthorized();
    const ra = parseInt(res.headers.get('Retry-After') || '', 10);
    throw new ApiError(res.status, json, Number.isNaN(ra) ? null : ra);
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
  /**
   * Every page of objects matching params, up to maxPages pages. The array's `complete` is
   * false when pages were left (the caller says the list may be incomplete).
   */
  async objectsAll(cid, params, maxPages = 20) {
    const out = [];
    out.complete = true;
    let next;
    for (let i = 0; ; i++) {
      const page = await taxii.objects(cid, { limit: 1000, ...params, next });
      out.push(...((page && page.objects) || []));
      if (!page || !page.more) break;
      if (i + 1 >= maxPages) {
        out.complete = false;
        break;
      }
      next = page.next;
    }
    return out;
  },
  /** Adds objects (an envelope) with the caller's rights: the TAXII status, failures included. */
  post: (cid, objects) => call(ROOT + 'collections/' + enc(cid) + '/objects/', { method: 'POST', body: { objects } }),
  /** Versions of one object (match[version]: last, all, or a timestamp). */
  object: (cid, oid, version = 'last') =>
    call(ROOT + 'collections/' + enc(cid) + '/objects/' + enc(oid) + '/' + query({ 'match[version]': version })),
  versions: (cid, oid) => call(ROOT + 'collections/' + enc(cid) + '/objects/' + enc(oid) + '/versions/'),
};

const JSON_TYPE = 'application/json';
const jsonCall = (path, method, body) =>
  call(path, { method, accept: JSON_TYPE, contentType: body === undefined ? undefined : JSON_TYPE, body });

export const liaison = {
  /** Who the token acts as; expires says when the token stops working (null: never). */
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
  /**
   * A page of a collection filtered and sorted by the server (type, text, tlp, creator,
   * added_after, modified_from, modified_to, sort, order, limit, next|prev): {total, position,
   * objects, next?, prev?}.
   */
  browse: (cid, params) => jsonCall('/liaison/browse/' + enc(cid) + query(params), 'GET'),
  /** The objects that name id (relationships, reports...), as the caller may see them. */
  neighbours: (cid, id, params) => jsonCall('/liaison/neighbours/' + enc(cid) + '/' + enc(id) + query(params), 'GET'),
  /** Which partners the gate would give this object, not yet stored, to. */
  audiencePreview: (cid, obj) => jsonCall('/liaison/audience/' + enc(cid), 'POST', obj),
  /** Which partners the gate gives the object to, and why not the others (local callers only). */
  audience: (cid, oid) => jsonCall('/liaison/audience/' + enc(cid) + '/' + enc(oid), 'GET'),
  /** Flow edges (docs/flows.md): into, out_of, through, what, since, source, min_grade. */
  flows: (params) => jsonCall('/liaison/flows' + query(params), 'GET'),
  /** The caller's watches, each with how many times it fired (events). */
  watches: () => jsonCall('/liaison/watches', 'GET'),
  /** What one watch fired for, newest first ({watch, events, before?}). */
  /** A person's session (docs/people.md): {token, expires, name, role}; no token is sent. */
  signin: (body) => call('/liaison/signin', { method: 'POST', accept: JSON_TYPE, contentType: JSON_TYPE, body, token: '' }),
  /** Versions held for a second person's approval (state pending|approved|rejected|all). */
  releases: (params) => jsonCall('/liaison/releases' + query(params), 'GET'),
  /** verb: approve or reject ({reason}). */
  releaseDecide: (key, verb, reason) => jsonCall('/liaison/releases/' + enc(key) + '/' + enc(verb), 'POST', { reason }),
  /** Objects due for review or at their retention limit ({objects}). */
  review: (params) => jsonCall('/liaison/review' + query(params), 'GET'),
  /** verb: extend ({days, reason}) or delete ({reason}). */
  reviewAct: (cid, id, verb, body) =>
    jsonCall('/liaison/review/' + enc(cid) + '/' + enc(id) + '/' + enc(verb), 'POST', body),
  /** Sharing groups: every one, with its members, for an administrator. */
  groups: () => jsonCall('/liaison/groups', 'GET'),
  /**
   * A signed bundle file of chosen versions for a partner ({for, collection, objects, preview}):
   * preview answers {selected, recipients: [{name, objects, withheld}]}; otherwise {blob,
   * headers}, the file.
   */
  exportSigned: (body) => (body.preview ? jsonCall('/liaison/export', 'POST', body)
    : call('/liaison/export', { method: 'POST', accept: 'application/octet-stream', contentType: JSON_TYPE, body, file: true })),
  watchEvents: (id, params) => jsonCall('/liaison/watches/' + enc(id) + '/events' + query(params), 'GET'),
};
