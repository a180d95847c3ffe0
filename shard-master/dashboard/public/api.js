// The page's only way to the network: GETs to this shard-master's JSON routes, with the cluster
// token when one is kept. Every answer comes back as a value, never a throw:
//   { kind: 'ok', body }           200 with JSON
//   { kind: 'unauthorized', body } 401: the token is missing or wrong
//   { kind: 'missing' }            404: this master has no such route (yet)
//   { kind: 'error', reason }      it answered, with another status or not with JSON
//   { kind: 'failed', reason }     no answer at all

const TIMEOUT_MS = 5000;

export async function getJson(path, token) {
  const headers = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  try {
    const response = await fetch(path, { headers, signal: controller.signal, cache: 'no-store', credentials: 'omit' });
    const body = await response.json().catch(() => undefined);
    if (response.status === 401) return { kind: 'unauthorized', body };
    if (response.status === 404) return { kind: 'missing' };
    if (response.status !== 200 || body === undefined) {
      const why = body && typeof body.message === 'string' ? `: ${body.code} ${body.message}` : '';
      return { kind: 'error', reason: `HTTP ${response.status}${why}` };
    }
    return { kind: 'ok', body };
  } catch {
    return { kind: 'failed', reason: controller.signal.aborted ? `no answer within ${TIMEOUT_MS / 1000} s` : 'connection failed' };
  } finally {
    clearTimeout(timer);
  }
}
