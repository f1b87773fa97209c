import { ConfigError } from '../../config/config-error.js';
import type { Env } from '../../config/env.js';
import { type DashboardContext, dashboardPlanFromEnv } from './config.js';
import { createDashboardHandler, type DashboardHandler } from './handler.js';
import { influxqlSource } from './influxql-source.js';
import { type DashboardSource, type ReadSamples, samplesSource } from './source.js';

export interface MountContext extends DashboardContext {
  /** The embedded store's reader, when the server has one. */
  readSamples?: ReadSamples;
  /** Shown in the page header for the embedded store, e.g. its folder. */
  storeDescription?: string;
  basePath?: string;
}

export function dashboardSourceFromEnv(
  env: Env,
  context: MountContext,
): DashboardSource | undefined {
  const plan = dashboardPlanFromEnv(env, context);
  switch (plan.kind) {
    case 'off':
      return undefined;
    case 'influxql':
      return influxqlSource(plan.options);
    case 'embedded':
      if (context.readSamples === undefined) {
        throw new ConfigError(['the embedded-store dashboard needs the store reader']);
      }
      return samplesSource(
        `embedded store${context.storeDescription ? ` (${context.storeDescription})` : ''}`,
        context.readSamples,
      );
  }
}

/**
 * What a server calls to mount the dashboard: the environment and what the server has (its
 * embedded store's reader, its upstream InfluxDB) in, a request handler out — or undefined when
 * the dashboard is switched off. Throws a ConfigError for settings that cannot work.
 */
export function dashboardFromEnv(env: Env, context: MountContext): DashboardHandler | undefined {
  const source = dashboardSourceFromEnv(env, context);
  return source === undefined
    ? undefined
    : createDashboardHandler({
        source,
        ...(context.basePath ? { basePath: context.basePath } : {}),
      });
}
