// The filters of a dashboard request as one cheap test per sample: the `[tag, value]` pairs that
// apply to each measurement are worked out once, so a scan does not look at the filter set again
// for every sample.
import type { Sample } from '../../protocol/schema.js';
import { MEASUREMENT_NAMES } from '../../protocol/schema.js';
import { type Filters, filterEntries, measurementHasTag } from './filters.js';

/** Whether a sample passes `filters` (the same answer as `matchesFilters`), as a function. */
export function sampleFilter(filters: Filters): (sample: Sample) => boolean {
  const entries = filterEntries(filters);
  if (entries.length === 0) return () => true;
  const checks = new Map<string, ReadonlyArray<readonly [string, string]>>();
  for (const m of MEASUREMENT_NAMES) {
    checks.set(
      m,
      entries.filter(([tag]) => measurementHasTag(m, tag)),
    );
  }
  return (sample) => {
    const applies = checks.get(sample.measurement);
    if (applies === undefined) return true;
    for (const [tag, value] of applies) if (sample.tags[tag] !== value) return false;
    return true;
  };
}
