// The page header's account of where the numbers came from: only the kind of source, never a
// server's folder or an InfluxDB address, which a visitor has no use for and an attacker does.

/** `embedded store (/var/lib/x)` → `embedded store`; `InfluxDB http://h · database m (…)` → `InfluxDB m`. */
export function sourceKind(description: string): string {
  if (description.startsWith('embedded store')) return 'embedded store';
  const influx = /^InfluxDB\b.*?\bdatabase (\S+)/.exec(description);
  if (influx) return `InfluxDB ${influx[1]}`;
  // Anything else: without parenthesised details, URLs or absolute paths.
  return description
    .replace(/\s*\([^)]*\)/g, '')
    .split(/\s+/)
    .filter((word) => word !== '' && !/^([a-z][a-z0-9+.-]*:\/\/|\/)/i.test(word))
    .join(' ');
}
