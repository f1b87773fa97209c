// `npm start`: the NetBird metrics demo. Options: `npm start -- --help`.
import { DiagLogLevel, diag } from '@opentelemetry/api';
import { parseDemoArgs, USAGE, UsageError } from './cli-options.js';
import { runDemo } from './demo.js';

/** An error, or the JSON the OTel SDK makes of one, as its message. */
function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  const text = String(value);
  if (text.startsWith('{')) {
    try {
      const parsed = JSON.parse(text) as { message?: unknown };
      if (typeof parsed.message === 'string') return parsed.message;
    } catch {
      // not JSON after all
    }
  }
  return text;
}

/** OTel's own warnings (an unreachable collector, a refused push), each distinct one once. */
function reportOtelProblems(): void {
  const seen = new Set<string>();
  const report =
    (level: string) =>
    (message: string, ...args: unknown[]) => {
      const text = [message, ...args].map(describe).join(' ');
      if (seen.has(text) || seen.size >= 50) return;
      seen.add(text);
      process.stderr.write(`${level}: ${text}\n`);
    };
  const ignore = () => {};
  diag.setLogger(
    {
      error: report('error'),
      warn: report('warning'),
      info: ignore,
      debug: ignore,
      verbose: ignore,
    },
    DiagLogLevel.WARN,
  );
}

async function main(): Promise<number> {
  let options: ReturnType<typeof parseDemoArgs>;
  try {
    options = parseDemoArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
  if (options === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  reportOtelProblems();
  const run = await runDemo(options, {
    write: (text) => process.stdout.write(text),
    interactive: process.stdout.isTTY === true,
    warn: (text) => process.stderr.write(`${text}\n`),
    env: process.env,
  });
  if (!options.serve) {
    await run.stop();
    process.stdout.write(
      `(stopped; \`npm start -- --serve\` keeps the ingest and the dashboard running, and the raw line protocol stays in ${run.dataDir})\n`,
    );
    return 0;
  }
  process.stdout.write('Serving; press Ctrl-C to stop.\n');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await run.stop();
  return 0;
}

// Exit explicitly: an unreachable collector leaves OTel retry timers that would hold the process.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo failed: ${describe(error)}\n`);
    process.exit(1);
  },
);
