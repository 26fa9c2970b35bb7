// Small DOM helpers. Text always goes in as text nodes (never innerHTML): names, tags, metadata and
// health reasons come from registered instances and must not run as markup.

/** h('td', {class: 'num'}, 'text', childNode, ...): an element; null / false children are skipped. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** Replaces el's children. */
export function fill(el, ...children) {
  clear(el);
  append(el, children);
}

/** A time in ms since the epoch as the browser's local date and time, or '' for none. */
export function when(ms) {
  const n = Number(ms || 0);
  return n > 0 ? new Date(n).toLocaleString() : '';
}

/** Restarts the row's highlight (a CSS animation), so a second change shows again. */
export function flash(row) {
  row.classList.remove('changed');
  void row.offsetWidth; // forces a style flush: the animation starts over
  row.classList.add('changed');
}
