// Members: the leader's view (who leads) with each member's own Raft progress (term, applied
// index), which the member serving the page asks every member for (alive: it answered within 1 s),
// every 2 s; an operator token may move the leadership.
import { call } from './api.js';
import { h, fill } from './dom.js';

const REFRESH_MS = 2000;

export function show(root, ui) {
  const summary = h('dl', { id: 'cluster', class: 'facts' });
  const self = h('dl', { id: 'self', class: 'facts' });
  const body = h('tbody');
  root.append(
    h('h1', {}, 'Members'),
    summary,
    h('h2', {}, 'Members'),
    h('table', { id: 'members' },
      h('thead', {}, h('tr', {}, ['member', 'role', 'alive', 'term', 'applied index', 'committed index', 'raft', 'gRPC', 'peer', ''].map((t) => h('th', {}, t)))),
      body),
    h('h2', {}, 'The member serving this page'),
    self);

  function facts(dl, pairs) {
    fill(dl, pairs.flatMap(([k, v, id]) => [h('dt', {}, k), h('dd', { id }, v)]));
  }

  function render(r) {
    facts(summary, [['leader', r.leaderId || '(none)', 'leader-id'], ['term', r.term || '0', 'term'], ['answered by', r.answeredBy || '']]);
    const statuses = r.statuses || {};
    fill(body, (r.members || []).map((m) => {
      // a member that did not answer has no status: its numbers are unknown, not 0
      const st = statuses[m.id];
      return h('tr', { dataset: { id: m.id } },
        h('td', {}, m.id),
        h('td', { class: m.leader ? 'role leader' : 'role' }, m.leader ? 'leader' : 'follower'),
        h('td', { class: m.alive ? 'health-HEALTHY' : 'health-UNHEALTHY' }, m.alive ? 'alive' : 'not answering'),
        h('td', { class: 'term' }, st ? (st.term || '0') : '–'),
        h('td', { class: 'applied-index' }, st ? (st.appliedIndex || '0') : '–'),
        h('td', { class: 'committed-index' }, st ? (st.committedIndex || '0') : '–'),
        h('td', {}, m.raftAddress || ''),
        h('td', {}, m.grpcAddress || ''),
        h('td', {}, m.peerAddress || ''),
        h('td', { class: 'actions' }, m.leader ? null : h('button', { class: 'transfer', onclick: () => transfer(m.id) }, 'Make leader')));
    }));
    const s = r.self || {};
    facts(self, [['id', s.id || ''], ['role', s.isLeader ? 'leader' : 'follower'], ['term', s.term || '0'],
      ['committed index', s.committedIndex || '0'], ['applied index', s.appliedIndex || '0', 'applied-index'],
      ['last log index', s.lastLogIndex || '0'], ['revision', s.revision || '0'], ['version', s.version || '']]);
  }

  async function load() {
    try {
      render(await call('GET', '/v1/members'));
    } catch (e) {
      ui.error(e);
    }
  }

  async function transfer(id) {
    try {
      const r = await call('POST', '/v1/members/transfer-leadership', { targetId: id });
      ui.info('leadership transferred to ' + (r.leaderId || id));
      load();
    } catch (e) {
      ui.error(e);
    }
  }

  const timer = setInterval(load, REFRESH_MS);
  load();
  return { close: () => clearInterval(timer) };
}
