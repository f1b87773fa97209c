// A horizontal bar in HTML (not SVG), so bars, their labels and values reflow on a narrow screen.

/** A bar `value / max` of its track wide; a value above 0 is never drawn thinner than a line. */
export function hbar(value: number | null | undefined, max: number, color: string): string {
  const share = value === null || value === undefined || !(max > 0) ? 0 : value / max;
  const width = share <= 0 ? 0 : Math.max(0.5, Math.min(100, share * 100));
  return `<span class="hbar-track"><span class="hbar" style="width:${Number(width.toFixed(2))}%;background:${color}"></span></span>`;
}
