// Services: every service with its instance and healthy counts (GET /v1/services every 2 s), filtered
// as you type.
import { call, seg } from './api.js';
import { h, fill } from './dom.js';

const REFRESH_MS = 2000;

export function show(root, ui) {
  const filter = h('input', { id: 'filter', type: 'search', placeholder: 'filter by name', 'aria-label': 'filter services' });
  const revision = h('span', { id: 'services-revision', class: 'state' });
  const body = h('tbody');
  root.append(
    h('h1', {}, 'Services', revision),
    filter,
    h('table', { id: 'services' },
      h('thead', {}, h('tr', {}, h('th', {}, 'service'), h('th', { class: 'num' }, 'instances'), h('th', { class: 'num' }, 'healthy'))),
      body));
  let last = null;

  function render() {
    if (!last) return;
    const f = filter.value.trim().toLowerCase();
    const rows = (last.services || []).filter((s) => s.name.includes(f)).map((s) => {
      const instances = s.instances || 0;
      const healthy = s.healthy || 0;
      return h('tr', { dataset: { service: s.name } },
        h('td', {}, h('a', { href: '#/services/' + seg(s.name) }, s.name)),
        h('td', { class: 'num' }, instances),
        h('td', { class: 'num ' + (healthy < instances ? 'health-UNHEALTHY' : 'health-HEALTHY') }, healthy));
    });
    fill(body, rows.length ? rows : h('tr', {}, h('td', { colspan: 3, class: 'muted' }, f ? 'no service matches' : 'no services registered')));
    revision.textContent = 'revision ' + (last.revision || '0');
  }

  async function load() {
    try {
      last = await call('GET', '/v1/services');
      ui.clear();
      render();
    } catch (e) {
      ui.error(e);
    }
  }

  filter.addEventListener('input', render);
  const timer = setInterval(load, REFRESH_MS);
  load();
  return { close: () => clearInterval(timer) };
}
