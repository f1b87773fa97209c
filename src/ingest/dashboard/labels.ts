// Labels the dashboard shows come from client tags (login results, connection types): anything
// a client sends ends up in a legend. Characters that render as nothing or reorder the text
// around them (controls, bidi overrides and isolates, zero-width and other format characters,
// line separators, lone surrogates) are shown as visible `\u{…}` escapes, so "success\u{200B}"
// or a right-to-left override cannot pass for another label; long labels are cut.

/** Longest label shown, in code points (a longer one ends in `…`). */
export const MAX_LABEL_CHARS = 64;

// Cc: C0/C1 controls; Cf: bidi marks, embeddings, overrides and isolates, zero-width space,
// joiners, word joiner, BOM, soft hyphen, tag characters; Cs: lone surrogates; Zl/Zp: line and
// paragraph separators.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu;

function escapeCodePoint(c: string): string {
  return `\\u{${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}}`;
}

/**
 * A label as the dashboard shows it: invisible and reordering characters escaped, at most
 * {@link MAX_LABEL_CHARS} code points. Idempotent, so applying it twice changes nothing.
 */
export function displayLabel(raw: string): string {
  // Two UTF-16 units per code point at most: this head still has more than the limit, and a
  // megabyte tag value costs no more than a short one.
  const head = raw.length > 2 * MAX_LABEL_CHARS ? raw.slice(0, 2 * MAX_LABEL_CHARS) : raw;
  const visible = head.replace(INVISIBLE, escapeCodePoint);
  const chars = Array.from(visible);
  return chars.length <= MAX_LABEL_CHARS && head === raw
    ? visible
    : `${chars.slice(0, MAX_LABEL_CHARS - 1).join('')}…`;
}
