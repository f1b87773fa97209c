// Starts the real backends once for the whole vitest run and hands their URLs to the tests.
import type { TestProject } from 'vitest/node';
import {
  freePorts,
  type RunningServer,
  startInfluxDB,
  startPrometheus,
  startVictoriaMetrics,
} from './backends.js';

const TARGET_PORT_COUNT = 4;

export default async function setup({ provide }: TestProject): Promise<() => Promise<void>> {
  const started = performance.now();
  // All ports in one call so they are distinct: 4 scrape targets, then one per server.
  const ports = await freePorts(TARGET_PORT_COUNT + 3);
  const targetPorts = ports.slice(0, TARGET_PORT_COUNT);
  const [influxPort, vmPort, promPort] = ports.slice(TARGET_PORT_COUNT);

  const results = await Promise.allSettled([
    startInfluxDB({ port: influxPort }),
    startVictoriaMetrics({ port: vmPort }),
    startPrometheus({ port: promPort, targets: targetPorts.map((p) => `127.0.0.1:${p}`) }),
  ]);
  const servers = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  // Temporary data is thrown away, so there is no need to wait for a graceful shutdown.
  const teardown = async () => {
    await Promise.all(servers.map((s) => s.stop({ force: true }).then(() => s.dispose())));
  };
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
  if (failures.length > 0) {
    await teardown();
    throw new AggregateError(
      failures,
      `backends failed to start:\n${failures.map((e) => (e instanceof Error ? e.message : String(e))).join('\n')}`,
    );
  }
  const [influx, vm, prom] = servers as [RunningServer, RunningServer, RunningServer];

  provide('influxdbUrl', influx.url);
  provide('victoriaUrl', vm.url);
  provide('prometheusUrl', prom.url);
  provide('prometheusTargetPorts', targetPorts);
  console.log(
    `backends up in ${Math.round(performance.now() - started)} ms: InfluxDB ${influx.url}, VictoriaMetrics ${vm.url}, Prometheus ${prom.url} (scrapes ${targetPorts.join(', ')})`,
  );
  return teardown;
}
