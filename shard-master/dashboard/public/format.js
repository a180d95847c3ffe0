// Numbers as an operator reads them: 1.2 k, 3.4 MiB, 2 s ago.

export function count(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '?';
  if (Math.abs(value) < 1000) return Number.isInteger(value) ? String(value) : value.toFixed(1);
  const units = ['k', 'M', 'G', 'T'];
  let scaled = value;
  let unit = '';
  for (const next of units) {
    if (Math.abs(scaled) < 1000) break;
    scaled /= 1000;
    unit = next;
  }
  return `${scaled.toFixed(scaled < 10 ? 2 : 1)} ${unit}`;
}

export function bytes(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let scaled = value;
  let index = 0;
  while (Math.abs(scaled) >= 1024 && index < units.length - 1) {
    scaled /= 1024;
    index++;
  }
  return index === 0 ? `${Math.round(scaled)} B` : `${scaled.toFixed(scaled < 10 ? 2 : 1)} ${units[index]}`;
}

export function ms(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '-';
  return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0);
}

export function percent(value) {
  return typeof value === 'number' && Number.isFinite(value) ? `${(value * 100).toFixed(1)}%` : '?';
}

/** How long ago `thenMs` was, seen from `nowMs` (both the master's clock: no skew with ours). */
export function ago(thenMs, nowMs) {
  if (typeof thenMs !== 'number' || typeof nowMs !== 'number') return 'unknown';
  const seconds = Math.max(0, Math.round((nowMs - thenMs) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min ago`;
  return `${Math.floor(hours / 24)} days ago`;
}

export function clockTime(atMs) {
  return typeof atMs === 'number' ? new Date(atMs).toLocaleTimeString() : '?';
}
