// The value syntax of Go's `strconv.ParseBool` and `time.ParseDuration`, which NetBird's Go
// client uses for its `NB_METRICS_*` variables: the same strings must mean the same here.
// Pure; each parser returns `undefined` for text Go would refuse.

const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** `strconv.ParseBool`: exactly these spellings, no trimming. */
export function parseGoBool(text: string): boolean | undefined {
  if (GO_TRUE.has(text)) return true;
  if (GO_FALSE.has(text)) return false;
  return undefined;
}

const NS_PER_UNIT: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  '\u00b5s': 1e3, // micro sign
  '\u03bcs': 1e3, // Greek mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's duration is an int64 of nanoseconds. */
const MAX_DURATION_NS = 2 ** 63 - 1;

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

/**
 * `time.ParseDuration`: a signed sequence of decimal numbers, each with an optional fraction
 * and a unit (`300ms`, `-1.5h`, `2h45m`, `.5s`); a bare `0` needs no unit. Returns
 * milliseconds (fractions kept), or `undefined` where Go returns an error (including overflow).
 */
export function parseGoDuration(text: string): number | undefined {
  let s = text;
  let negative = false;
  if (s[0] === '-' || s[0] === '+') {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return undefined;
  let totalNs = 0;
  let i = 0;
  while (i < s.length) {
    const start = i;
    while (isDigit(s[i])) i++;
    const whole = s.slice(start, i);
    let fraction = '';
    if (s[i] === '.') {
      i++;
      const fracStart = i;
      while (isDigit(s[i])) i++;
      fraction = s.slice(fracStart, i);
    }
    // A number needs a digit before or after the dot: ".s" and "." are errors.
    if (whole === '' && fraction === '') return undefined;
    const unitStart = i;
    while (i < s.length && s[i] !== '.' && !isDigit(s[i])) i++;
    const perUnit = NS_PER_UNIT[s.slice(unitStart, i)];
    if (perUnit === undefined) return undefined; // missing or unknown unit
    totalNs += Number(`${whole || '0'}.${fraction || '0'}`) * perUnit;
    if (totalNs > MAX_DURATION_NS) return undefined;
  }
  const ms = totalNs / 1e6;
  return negative ? -ms : ms;
}
