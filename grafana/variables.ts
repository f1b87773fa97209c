// Template variables named after the sample tags (the OTel attributes carry the same names), and
// the filter each query gets from them. A variable applies only to queries of measurements that
// carry its tag: picking a transport narrows the connection panels and leaves sync and login as
// they are, instead of emptying them.
import { FILTER_TAGS, type FilterTag, measurementHasTag } from '../src/ingest/dashboard/filters.js';
import type { MeasurementName } from '../src/protocol/schema.js';
import type { Json } from './panel-kit.js';

// The built-in dashboard filters by the same tags, so both read one list.
export { FILTER_TAGS, type FilterTag };

/**
 * "All" is sent as `.*` rather than the list of every value: the query stays short however many
 * versions the fleet runs, and it also matches samples without the tag.
 */
export const ALL_VALUE = '.*';

/** Values listed in a variable's picker: the list is read on every dashboard load. */
const MAX_LISTED = 200;

const LABELS: Record<FilterTag, string> = {
  connection_type: 'Connection type',
  attempt_type: 'Attempt type',
  os: 'OS',
  arch: 'Arch',
  version: 'Version',
  deployment_type: 'Deployment',
};

/** The variables that apply to a measurement, in {@link FILTER_TAGS} order. */
export function tagsFiltering(
  measurement: MeasurementName,
  tags: readonly FilterTag[] = FILTER_TAGS,
): FilterTag[] {
  return tags.filter((t) => measurementHasTag(measurement, t));
}

/** ` AND "os" =~ /^$os$/ AND …` for the variables that apply to the measurement. */
export function influxFilter(
  measurement: MeasurementName,
  tags: readonly FilterTag[] = FILTER_TAGS,
): string {
  return tagsFiltering(measurement, tags)
    .map((t) => ` AND "${t}" =~ /^$${t}$/`)
    .join('');
}

/** `os=~"$os", …` label matchers for the variables that apply to the measurement. */
export function promFilter(
  measurement: MeasurementName,
  tags: readonly FilterTag[] = FILTER_TAGS,
): string {
  return tagsFiltering(measurement, tags)
    .map((t) => `${t}=~"$${t}"`)
    .join(', ');
}

function variable(name: FilterTag, datasource: Json, query: string): Json {
  return {
    name,
    label: LABELS[name],
    type: 'query',
    datasource,
    query,
    definition: query,
    multi: true,
    includeAll: true,
    allValue: ALL_VALUE,
    current: { selected: true, text: ['All'], value: ['$__all'] },
    refresh: 1,
    sort: 1,
    hide: 0,
    options: [],
  };
}

/** Where a tag's values are listed: the connection tags from connections, the rest from syncs. */
function sourceMeasurement(tag: FilterTag): MeasurementName {
  return measurementHasTag('netbird_sync', tag) ? 'netbird_sync' : 'netbird_peer_connection';
}

export function influxVariables(
  datasource: Json,
  tags: readonly FilterTag[] = FILTER_TAGS,
): Json[] {
  return tags.map((t) =>
    variable(
      t,
      datasource,
      `SHOW TAG VALUES FROM "${sourceMeasurement(t)}" WITH KEY = "${t}" LIMIT ${MAX_LISTED}`,
    ),
  );
}

/** `selector(measurement)` picks the series of the instrument recorded for that measurement. */
export function promVariables(
  datasource: Json,
  selector: (measurement: MeasurementName) => string,
  tags: readonly FilterTag[] = FILTER_TAGS,
): Json[] {
  return tags.map((t) =>
    variable(t, datasource, `label_values(${selector(sourceMeasurement(t))}, ${t})`),
  );
}
