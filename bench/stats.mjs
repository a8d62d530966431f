/** Medians and human-readable numbers for the report. */

export const MiB = 1024 ** 2;
export const GiB = 1024 ** 3;

export function median(values) {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return NaN;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

export function fixed(n, digits = 2) {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
}

export function sizeText(bytes) {
  if (!Number.isFinite(bytes)) return 'n/a';
  return bytes >= GiB ? `${(bytes / GiB).toFixed(2)} GiB` : `${(bytes / MiB).toFixed(1)} MiB`;
}

export function ratioText(r) {
  return Number.isFinite(r) ? `${r.toFixed(2)}x` : 'n/a';
}

export function verdict(met) {
  if (met === undefined) return 'n/a (not measured)';
  return met ? 'target met' : 'target missed';
}
