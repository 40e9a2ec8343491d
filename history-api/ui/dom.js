// The web timeline's DOM and API helpers (docs/ui.md): elements whose text is set as text, never
// parsed as HTML (object names and actors may be anyone's), times with their microseconds on
// hover, and GET requests to /v1 with the tab's bearer token.
import { errorMessage, formatTime } from './lib.js';

const TOKEN_KEY = 'kubetime.token';

export const $ = (id) => document.getElementById(id);

/** One element, its text set as text (never parsed), with attributes and children. */
export function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') node.textContent = String(v);
    else if (k === 'class') node.className = v;
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) node.addEventListener(ev, fn);
    else node.setAttribute(k, String(v));
  }
  for (const c of children) if (c) node.append(c);
  return node;
}

/** A time: short UTC text, the date and microseconds on hover. */
export function timeEl(ts, withDate = false) {
  const t = formatTime(ts);
  return el('time', { datetime: t.full, title: t.full, text: withDate ? `${t.date} ${t.short}` : t.short });
}

/** An error answer of the API: its status, whether a token is wanted, and the message to show. */
export class ApiError extends Error {
  constructor(status, body) {
    const m = errorMessage(status, body);
    super(m.text);
    this.status = status;
    this.auth = m.auth;
  }
}

// ---- the token: sessionStorage (this tab only), never the URL or a cookie ----------------

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  forget: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** Shows the token prompt, saying why. */
export function askToken(why) {
  $('auth').hidden = false;
  $('auth-why').textContent = `Reading this kubetime needs a bearer token (kubectl create token …, or your OIDC token). The API said: ${why}`;
  $('auth-token').focus();
}

/** The footer's note and "forget token" button, when the tab holds a token. */
export function showTokenState() {
  $('forget').hidden = !token.get();
  $('who').textContent = token.get() ? 'reading with your token (this tab only)' : '';
}

/** GET a /v1 route with the tab's token; an error answer throws ApiError (a 401 also shows the token prompt). */
export async function api(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const bearer = token.get();
  const res = await fetch(`${path}?${q}`, { headers: bearer ? { authorization: `Bearer ${bearer}` } : {}, cache: 'no-store' });
  const body = await res.json().catch(() => ({}));
  if (res.ok) return body;
  const err = new ApiError(res.status, body);
  if (err.auth) askToken(bearer ? 'the token was not accepted; give another.' : err.message);
  throw err;
}
