// The local API client: every call carries the API token, as the CLI's do.
// See package web for how the page gets it.

const TOKEN = 'caravan.token';

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error || `the node answered ${status}`);
    this.status = status;
    this.code = body?.code || '';
    this.hint = body?.hint || '';
  }
}

export function token() { return localStorage.getItem(TOKEN) || ''; }
export function setToken(t) { t ? localStorage.setItem(TOKEN, t) : localStorage.removeItem(TOKEN); }

// Reported to the app: 'unauthorized' (token refused), 'down' and 'up'
// (the node stopped or started answering).
const listeners = new Set();
export function onState(fn) { listeners.add(fn); return () => listeners.delete(fn); }
function state(s) { for (const fn of listeners) fn(s); }

async function request(method, path, body, headers = {}) {
  const h = { Authorization: 'Bearer ' + token(), ...headers };
  let payload = body;
  if (body !== undefined && !(body instanceof Blob) && !(body instanceof ArrayBuffer)) {
    h['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let r;
  try {
    r = await fetch(path, { method, headers: h, body: payload, cache: 'no-store' });
  } catch (e) {
    state('down');
    throw new ApiError(0, { error: 'the node does not answer', code: 'down' });
  }
  state('up');
  if (!r.ok) {
    let b = null;
    try { b = await r.json(); } catch { /* not JSON */ }
    if (r.status === 401) state('unauthorized');
    throw new ApiError(r.status, b);
  }
  return r;
}

// get and post return the decoded JSON answer, or throw ApiError.
export async function get(path) { return (await request('GET', path)).json(); }
export async function post(path, body) { return (await request('POST', path, body ?? {})).json(); }

// upload sends raw bytes (a File or Blob) and returns the JSON answer.
export async function upload(path, blob, headers = {}) {
  return (await request('POST', path, blob, { 'Content-Type': blob.type || 'application/octet-stream', ...headers })).json();
}

// download posts body and returns the answer as a Blob, with its headers.
export async function download(path, body) {
  const r = await request('POST', path, body);
  return { blob: await r.blob(), headers: r.headers };
}

// blob fetches a GET answer (a picture, a file to save) as a Blob, fresh
// each time.
export async function blob(path) { return (await request('GET', path)).blob(); }

// objectURL fetches a GET answer (a blob, a QR code) as a blob: URL for
// <img src>; the caller revokes it when done.
const urls = new Map();
export async function objectURL(path) {
  if (urls.has(path)) return urls.get(path);
  const r = await request('GET', path);
  const u = URL.createObjectURL(await r.blob());
  urls.set(path, u);
  return u;
}

// live reads GET /api/v1/live and calls fn with each activity. It
// reconnects by itself; a ping arrives every 15 s, so 40 s of silence
// means the link is lost.
export function live(fn) {
  let stopped = false, ctrl = null, delay = 1000;
  async function run() {
    while (!stopped) {
      ctrl = new AbortController();
      let timer;
      const arm = () => { clearTimeout(timer); timer = setTimeout(() => ctrl.abort(), 40000); };
      try {
        arm();
        const r = await fetch('/api/v1/live', { headers: { Authorization: 'Bearer ' + token() }, signal: ctrl.signal, cache: 'no-store' });
        if (r.status === 401) { state('unauthorized'); return; }
        if (!r.ok) throw new Error(String(r.status));
        state('up');
        delay = 1000;
        const reader = r.body.getReader();
        const dec = new TextDecoder();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          arm();
          buf += dec.decode(value, { stream: true });
          let i;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            if (line.trim()) {
              try { fn(JSON.parse(line)); } catch { /* a bad line is skipped */ }
            }
          }
        }
      } catch { /* lost: reconnect below */ }
      clearTimeout(timer);
      if (stopped) return;
      state('down');
      await new Promise((res) => setTimeout(res, delay));
      delay = Math.min(delay * 2, 10000);
    }
  }
  run();
  return () => { stopped = true; ctrl?.abort(); };
}
