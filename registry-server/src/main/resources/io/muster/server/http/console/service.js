// One service: its instances from the SSE watch (a snapshot, then every change as it is applied,
// the changed row highlighted), with the actions a token may allow: deregister, maintenance on/off.
import { call, seg, watch } from './api.js';
import { h, fill, when, flash } from './dom.js';

const REMOVED = new Set(['DEREGISTERED', 'EXPIRED']);

export function show(root, name, ui) {
  const state = h('span', { id: 'live', class: 'state' }, 'connecting…');
  const body = h('tbody');
  root.append(
    h('h1', {}, h('a', { href: '#/services' }, 'Services'), ' / ', h('span', { id: 'service-name' }, name), state),
    h('table', { id: 'instances' },
      h('thead', {}, h('tr', {},
        ['instance', 'address', 'health', 'zone', 'weight', 'tags / metadata', 'revision', 'registered', ''].map((t) =>
          h('th', { class: ['weight', 'revision'].includes(t) ? 'num' : undefined }, t)))),
      body));
  const instances = new Map(); // id -> Instance JSON
  let revision = '0';

  function cells(i) {
    const health = i.health || 'HEALTH_STATUS_UNSPECIFIED';
    const tags = (i.tags || []).map((t) => h('span', { class: 'tag' }, t));
    const meta = Object.entries(i.metadata || {}).map(([k, v]) => h('div', { class: 'meta' }, k + '=' + v));
    return [
      h('td', {}, i.id),
      h('td', {}, i.host + ':' + i.port),
      h('td', { class: 'health health-' + health },
        health,
        i.maintenance ? h('span', { class: 'reason maintenance' }, 'maintenance' + (i.maintenanceReason ? ': ' + i.maintenanceReason : '')) : null,
        i.healthReason ? h('span', { class: 'reason health-reason' }, i.healthReason) : null,
        i.healthChangedAtMs ? h('span', { class: 'reason' }, 'since ' + when(i.healthChangedAtMs)) : null),
      h('td', {}, i.zone || ''),
      h('td', { class: 'num' }, i.weight || 0),
      h('td', {}, tags, meta),
      h('td', { class: 'num revision' }, i.modRevision || ''),
      h('td', {}, when(i.registeredAtMs)),
      h('td', { class: 'actions' },
        h('button', { class: 'maintenance-toggle', onclick: () => maintenance(i, !i.maintenance) }, i.maintenance ? 'Maintenance off' : 'Maintenance on'),
        h('button', { class: 'danger deregister', onclick: () => deregister(i) }, 'Deregister')),
    ];
  }

  function row(i) {
    return h('tr', { dataset: { id: i.id } }, cells(i));
  }

  function renderAll() {
    const ids = [...instances.keys()].sort();
    fill(body, ids.length ? ids.map((id) => row(instances.get(id)))
      : h('tr', { class: 'empty' }, h('td', { colspan: 9, class: 'muted' }, 'no instances registered')));
  }

  function changed(e) {
    const i = e.instance;
    revision = e.revision;
    const existing = body.querySelector('tr[data-id="' + CSS.escape(i.id) + '"]');
    if (REMOVED.has(e.type)) {
      instances.delete(i.id);
      if (existing) existing.remove();
      if (instances.size === 0) renderAll();
    } else {
      instances.set(i.id, i);
      if (existing) {
        fill(existing, cells(i));
        flash(existing);
      } else {
        renderAll();
        flash(body.querySelector('tr[data-id="' + CSS.escape(i.id) + '"]'));
      }
    }
    live();
  }

  function live() {
    state.className = 'state live';
    state.textContent = 'live · revision ' + revision;
  }

  async function deregister(i) {
    if (!confirm('Deregister ' + name + '/' + i.id + '?')) return;
    try {
      const r = await call('DELETE', '/v1/services/' + seg(name) + '/instances/' + seg(i.id));
      ui.info('deregistered ' + i.id + (r.found ? '' : ' (it was already gone)') + ' at revision ' + (r.revision || '0'));
    } catch (e) {
      ui.error(e);
    }
  }

  async function maintenance(i, on) {
    try {
      const path = '/v1/services/' + seg(name) + '/instances/' + seg(i.id) + '/maintenance';
      const r = on ? await call('PUT', path, { reason: 'set in the console' }) : await call('DELETE', path);
      ui.info('maintenance ' + (on ? 'on' : 'off') + ' for ' + i.id + ' at revision ' + (r.revision || '0'));
    } catch (e) {
      ui.error(e);
    }
  }

  const w = watch(name, {
    onSnapshot(s) {
      instances.clear();
      for (const i of s.instances) instances.set(i.id, i);
      revision = s.revision;
      renderAll();
      live();
      ui.clear();
    },
    onChange: changed,
    onCompacted() {
      state.textContent = 'fell behind the member\'s history: reloading…';
    },
    onState(s) {
      if (s !== 'live') {
        state.className = 'state down';
        state.textContent = s === 'refused' ? 'not watching' : 'reconnecting…';
      }
    },
    onError: (e) => ui.error(e),
  });
  return { close: () => w.close() };
}
