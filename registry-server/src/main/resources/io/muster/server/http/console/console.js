// The console's shell: the token box, the message line and a hash router over three pages.
import { token, setToken } from './api.js';
import { fill } from './dom.js';
import * as servicesPage from './services.js';
import * as servicePage from './service.js';
import * as membersPage from './members.js';

const view = document.getElementById('view');
const message = document.getElementById('message');
const tokenInput = document.getElementById('token');
const tokenState = document.getElementById('token-state');
let page = null;

/** What a page may do with the shell: show the server's refusal or an outcome. */
const ui = {
  error(e) {
    message.className = 'error';
    message.textContent = String(e);
    message.hidden = false;
  },
  info(text) {
    message.className = 'info';
    message.textContent = text;
    message.hidden = false;
  },
  clear() {
    message.hidden = true;
    message.textContent = '';
  },
};

function showTokenState() {
  tokenState.textContent = token() ? 'token set' : 'no token';
}

function route() {
  if (page) page.close();
  ui.clear();
  const parts = (location.hash.replace(/^#\/?/, '') || 'services').split('/').filter(Boolean).map(decodeURIComponent);
  document.getElementById('nav-services').classList.toggle('active', parts[0] !== 'members');
  document.getElementById('nav-members').classList.toggle('active', parts[0] === 'members');
  fill(view);
  if (parts[0] === 'services' && parts.length >= 2) page = servicePage.show(view, parts[1], ui);
  else if (parts[0] === 'members') page = membersPage.show(view, ui);
  else page = servicesPage.show(view, ui);
}

document.getElementById('token-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  setToken(tokenInput.value.trim());
  tokenInput.value = '';
  showTokenState();
  route(); // every page reloads (and its watch reconnects) with the new token
});
document.getElementById('token-clear').addEventListener('click', () => {
  setToken('');
  tokenInput.value = '';
  showTokenState();
  route();
});
window.addEventListener('hashchange', route);
showTokenState();
route();
