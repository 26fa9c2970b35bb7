// The member's HTTP/JSON API (docs/api.md) as the console uses it: every call carries the token of
// this tab (sessionStorage: gone when the tab closes, never sent to another origin) as
// `Authorization: Bearer`, and a refusal becomes an ApiError carrying the server's own message.

const TOKEN_KEY = 'muster.token';
const CALL_TIMEOUT_MS = 15000;
const RECONNECT_MS = 1000;

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(t) {
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** A refused or failed call: HTTP status (0: no answer), the gRPC code name and the server's message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }

  toString() {
    return (this.status ? this.status + ' ' : '') + this.code + ': ' + this.message;
  }
}

function headers(extra = {}) {
  const h = { ...extra };
  const t = token();
  if (t) h.Authorization = 'Bearer ' + t;
  return h;
}

async function errorOf(resp) {
  const text = await resp.text();
  try {
    const j = JSON.parse(text);
    return new ApiError(resp.status, j.code || String(resp.status), j.message || resp.statusText);
  } catch {
    return new ApiError(resp.status, String(resp.status), text || resp.statusText);
  }
}

/** One API call with a deadline; resolves to the answer's JSON, rejects with an ApiError. */
export async function call(method, path, body) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), CALL_TIMEOUT_MS);
  try {
    const init = { method, cache: 'no-store', signal: ctl.signal, headers: headers(body === undefined ? {} : { 'Content-Type': 'application/json' }) };
    if (body !== undefined) init.body = JSON.stringify(body);
    let resp;
    try {
      resp = await fetch(path, init);
    } catch (e) {
      throw new ApiError(0, ctl.signal.aborted ? 'DEADLINE_EXCEEDED' : 'UNAVAILABLE', 'no answer from the member (' + e.message + ')');
    }
    if (!resp.ok) throw await errorOf(resp);
    const text = await resp.text();
    return text ? JSON.parse(text) : {};
  } finally {
    clearTimeout(timer);
  }
}

/** A service's path segment. */
export function seg(s) {
  return encodeURIComponent(s);
}

/**
 * The SSE watch of one service (GET /v1/watch). EventSource cannot send a token, so the stream is
 * read with fetch and parsed here; on a broken stream it reconnects after a second with
 * `Last-Event-ID` (the last revision seen), so the member, this one or another after a restart,
 * resumes with no gap and no duplicate. A refusal (400, 401, 403) is reported and not retried.
 *
 * handlers: onSnapshot(parts merged: {instances, revision}), onChange(event), onCompacted(data),
 * onState('live' | 'reconnecting' | 'refused'), onError(ApiError)
 */
export function watch(service, handlers) {
  let lastId = null;
  let closed = false;
  let ctl = null;
  let retryTimer = null;
  let snapshot = [];

  function retry() {
    if (!closed) {
      handlers.onState('reconnecting');
      retryTimer = setTimeout(run, RECONNECT_MS);
    }
  }

  function dispatch(event, id, data) {
    if (id !== null) lastId = id;
    if (data === null) return;
    const d = JSON.parse(data);
    switch (event) {
      case 'snapshot':
        snapshot = snapshot.concat(d.instances || []);
        if (d.snapshotComplete) {
          handlers.onSnapshot({ instances: snapshot, revision: d.revision || '0' });
          snapshot = [];
        }
        break;
      case 'change':
        handlers.onChange(d);
        break;
      case 'compacted':
        snapshot = [];
        handlers.onCompacted(d);
        break;
      case 'error':
        handlers.onError(new ApiError(0, d.code, d.message));
        break;
      default:
        break;
    }
  }

  async function run() {
    ctl = new AbortController();
    const h = headers({ Accept: 'text/event-stream' });
    if (lastId !== null) h['Last-Event-ID'] = lastId;
    let resp;
    try {
      resp = await fetch('/v1/watch?service=' + encodeURIComponent(service), { headers: h, signal: ctl.signal, cache: 'no-store' });
    } catch (e) {
      if (!closed) {
        handlers.onError(new ApiError(0, 'UNAVAILABLE', 'watch: no answer from the member (' + e.message + ')'));
        retry();
      }
      return;
    }
    if (!resp.ok) {
      const err = await errorOf(resp);
      handlers.onError(err);
      if ([400, 401, 403, 404].includes(resp.status)) handlers.onState('refused');
      else retry();
      return;
    }
    handlers.onState('live');
    snapshot = [];
    const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    let event = 'message';
    let id = null;
    let data = null;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          let line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.endsWith('\r')) line = line.slice(0, -1);
          if (line === '') {
            dispatch(event, id, data);
            event = 'message';
            id = null;
            data = null;
            continue;
          }
          if (line.startsWith(':')) continue; // a comment: the member's progress heartbeat
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          let v = colon < 0 ? '' : line.slice(colon + 1);
          if (v.startsWith(' ')) v = v.slice(1);
          if (field === 'event') event = v;
          else if (field === 'id') id = v;
          else if (field === 'data') data = data === null ? v : data + '\n' + v;
        }
      }
    } catch (e) {
      if (closed) return;
    }
    retry();
  }

  run();
  return {
    close() {
      closed = true;
      clearTimeout(retryTimer);
      if (ctl) ctl.abort();
    },
  };
}
