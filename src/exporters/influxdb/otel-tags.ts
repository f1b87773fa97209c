// OTel attributes → InfluxDB tags, as the OpenTelemetry Collector's influxdb exporter makes
// them: every attribute becomes a tag holding the value's string form, the scope adds
// `otel.library.name` / `otel.library.version`, and later layers win on a clash (resource, then
// scope, then the point's own attributes). Pure.

import type { Attributes, AttributeValue } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';

/**
 * Resource attributes that NodeSDK's default detectors set to a new value at every process
 * start: as tags, each restart would begin new series (and the old ones would never be written
 * again), so they are left out by default.
 *
 * - `process.pid`, `process.command_args` (also long, and holding whatever arguments vary),
 *   `process.command` and `process.executable.path` (both change with a release directory or
 *   a Node.js install path);
 * - `service.instance.id`, which NodeSDK's service-instance detector sets to a random UUID.
 *
 * Kept: `host.*`, `os.*`, `service.name`/`service.version`, `process.runtime.*` (a new series
 * per Node.js upgrade is a real change), `process.executable.name`, `process.owner`.
 */
export const DEFAULT_EXCLUDED_RESOURCE_ATTRIBUTES: readonly string[] = Object.freeze([
  'process.pid',
  'process.command_args',
  'process.command',
  'process.executable.path',
  'service.instance.id',
]);

/**
 * A predicate for resource attribute keys to leave out: exact keys, or prefixes written with
 * a trailing `*` (`process.*`).
 */
export function resourceAttributeFilter(excluded: readonly string[]): (key: string) => boolean {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const entry of excluded) {
    if (entry.endsWith('*')) prefixes.push(entry.slice(0, -1));
    else exact.add(entry);
  }
  return (key) => exact.has(key) || prefixes.some((prefix) => key.startsWith(prefix));
}

/** Tags of a resource and one of its scopes, shared by every point the scope exports. */
export function scopeTags(
  resourceAttributes: Attributes,
  scope: InstrumentationScope,
  isExcluded: (key: string) => boolean,
): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const key in resourceAttributes) {
    if (isExcluded(key)) continue;
    addTag(tags, key, resourceAttributes[key]);
  }
  if (scope.name) tags['otel.library.name'] = scope.name;
  if (scope.version) tags['otel.library.version'] = scope.version;
  return tags;
}

/** `base` with a point's attributes added over it. */
export function pointTags(
  base: Readonly<Record<string, string>>,
  attributes: Attributes,
): Record<string, string> {
  const merged: Record<string, string> = { ...base };
  for (const key in attributes) addTag(merged, key, attributes[key]);
  return merged;
}

/** Empty keys and values are left out (InfluxDB refuses them), as the collector does. */
function addTag(tags: Record<string, string>, key: string, value: AttributeValue | undefined) {
  if (key === '') return;
  const text = attributeText(value);
  if (text === undefined || text === '') delete tags[key];
  else tags[key] = text;
}

/**
 * An attribute's string form: strings as they are, numbers and booleans as JavaScript writes
 * them (the collector's pdata writes numbers the same way), arrays as JSON.
 */
export function attributeText(value: AttributeValue | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return JSON.stringify(value);
  return String(value);
}
