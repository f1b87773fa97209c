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

/**
 * OTel's own warnings (an unreachable collector, a refused push), each distinct one once.
 * Returns how many there were so far, repeats included, so the demo can tell a failed export.
 */
function reportOtelProblems(): () => number {
  const seen = new Set<string>();
  let count = 0;
  const report =
    (level: string) =>
    (message: string, ...args: unknown[]) => {
      count++;
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
  return () => count;
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
  const otelProblems = reportOtelProblems();
  const run = await runDemo(options, {
    write: (text) => process.stdout.write(text),
    interactive: process.stdout.isTTY === true,
    warn: (text) => process.stderr.write(`${text}\n`),
    otelProblems,
    env: process.env,
  });
  // The demo said what happens next before its summary; nothing is printed after it.
  if (!options.serve) {
    await run.stop();
    return 0;
  }
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
