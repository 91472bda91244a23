/** Aligned text columns for `get`: a header row, then one row per object; empty cells show `-`. */

export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const cells = [headers, ...rows.map((r) => headers.map((_, i) => r[i] || '-'))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  // The last column is not padded: no trailing spaces.
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('   '));
}
