// The gateway's pools (GET ../pools, every second): per service, each endpoint's state, health,
// weight, requests in flight, latency EWMA, failures and ejections; a row whose state or health
// changed since the last refresh is highlighted. Text goes in as text nodes only.

const REFRESH_MS = 1000;
const TIMEOUT_MS = 5000;
const root = document.getElementById('pools');
const filter = document.getElementById('filter');
const updated = document.getElementById('updated');
const message = document.getElementById('message');
let last = null;
let seen = new Map(); // service/id -> "state health", to highlight changes

function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c !== undefined && c !== null) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const COLUMNS = [['endpoint'], ['address'], ['state'], ['health'], ['weight', 'num'], ['in flight', 'num'],
  ['EWMA latency', 'num'], ['failures in a row', 'num'], ['ejections', 'num'], ['ejected for', 'num']];

function row(service, e, flash) {
  const tr = h('tr', { dataset: { id: e.id }, class: flash ? 'changed' : undefined },
    h('td', {}, e.id),
    h('td', {}, e.address),
    h('td', { class: 'state-' + e.state }, e.state),
    h('td', { class: 'health-' + e.health }, e.health),
    h('td', { class: 'num' }, e.weight),
    h('td', { class: 'num inflight' }, e.inflight),
    h('td', { class: 'num ewma' }, e.ewmaMillis.toFixed(2) + ' ms'),
    h('td', { class: 'num' }, e.consecutiveFailures),
    h('td', { class: 'num ejections' }, e.ejections),
    h('td', { class: 'num' }, e.ejectedForMillis > 0 ? (e.ejectedForMillis / 1000).toFixed(1) + ' s' : ''));
  return tr;
}

function render() {
  if (!last) return;
  const f = filter.value.trim().toLowerCase();
  const next = new Map();
  const sections = last.pools.filter((p) => p.service.toLowerCase().includes(f)).map((p) => {
    const active = p.endpoints.filter((e) => e.state === 'active').length;
    return h('section', { class: 'pool', dataset: { service: p.service } },
      h('h2', {}, p.service, h('span', { class: 'muted' }, '  ' + active + ' of ' + p.endpoints.length + ' active')),
      h('table', {},
        h('thead', {}, h('tr', {}, COLUMNS.map(([t, c]) => h('th', { class: c }, t)))),
        h('tbody', {}, p.endpoints.length === 0
          ? h('tr', {}, h('td', { colspan: COLUMNS.length, class: 'muted' }, 'no endpoints'))
          : p.endpoints.map((e) => {
            const key = p.service + '/' + e.id;
            const sig = e.state + ' ' + e.health;
            next.set(key, sig);
            return row(p.service, e, seen.has(key) && seen.get(key) !== sig);
          }))));
  });
  seen = next;
  root.replaceChildren(...(sections.length ? sections : [h('p', { class: 'muted' }, f ? 'no pool matches' : 'no pools: the gateway has no routes')]));
}

async function load() {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), TIMEOUT_MS);
  try {
    const resp = await fetch('../pools', { cache: 'no-store', signal: ctl.signal });
    if (!resp.ok) throw new Error(resp.status + ' ' + (await resp.text()));
    last = await resp.json();
    message.hidden = true;
    updated.textContent = 'updated ' + new Date().toLocaleTimeString();
    render();
  } catch (e) {
    message.textContent = 'cannot read /pools: ' + e.message;
    message.hidden = false;
  } finally {
    clearTimeout(timer);
  }
}

filter.addEventListener('input', render);
setInterval(load, REFRESH_MS);
load();
