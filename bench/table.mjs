/** Prints rows as an aligned plain-text table (numbers right-aligned). */

const NUMERIC = /^[-+]?\d[\d.,]*(x| ?MiB| ?GiB| ?ms| ?s)?$/;

export function printTable(headers, rows, out = process.stdout) {
  const cells = [headers, ...rows].map((r) => r.map((c) => String(c)));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r) =>
    r
      .map((c, i) => (i > 0 && NUMERIC.test(c) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  out.write(`${line(cells[0])}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const r of cells.slice(1)) out.write(`${line(r)}\n`);
  out.write('\n');
}

export function heading(text, out = process.stdout) {
  out.write(`\n${text}\n${'='.repeat(text.length)}\n`);
}
