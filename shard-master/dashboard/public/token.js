// The cluster token: taken once from the URL fragment (#token=..., what `ringcache start` prints;
// a fragment never leaves the browser, so no server or proxy log sees it) or asked for once, then
// kept in sessionStorage: this tab only, gone when it closes. The fragment is wiped from the
// address bar at once, so it is not bookmarked or shared with the page's URL.

const KEY = 'ringcache.token';

export function takeTokenFromUrl() {
  const match = /(?:^#|&)token=([^&]*)/.exec(window.location.hash);
  if (match === null) return;
  let token = match[1];
  try {
    token = decodeURIComponent(token);
  } catch {
    // not percent-encoded: keep it as typed
  }
  if (token !== '') sessionStorage.setItem(KEY, token);
  window.history.replaceState(null, '', window.location.pathname + window.location.search);
}

export function storedToken() {
  return sessionStorage.getItem(KEY) ?? '';
}

export function forgetToken() {
  sessionStorage.removeItem(KEY);
}

/**
 * Shows the form and resolves with the token typed. `refused` says the kept one was wrong.
 * Stays up until a non-empty token is submitted.
 */
export function askForToken(refused) {
  const form = document.getElementById('token-form');
  const input = document.getElementById('token-input');
  const why = document.getElementById('token-why');
  why.textContent = refused
    ? 'The shard-master refused that token. Paste cluster.token again (it stays in this browser tab only).'
    : 'This cluster has a token (cluster.token). Paste it to open the dashboard; it stays in this browser tab only.';
  form.hidden = false;
  input.value = '';
  input.focus();
  return new Promise((resolve) => {
    const submit = (event) => {
      event.preventDefault();
      const token = input.value.trim();
      if (token === '') return;
      form.removeEventListener('submit', submit);
      form.hidden = true;
      sessionStorage.setItem(KEY, token);
      resolve(token);
    };
    form.addEventListener('submit', submit);
  });
}
