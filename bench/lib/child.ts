// Runs a benchmark child script in its own Node process (so its heap and resident memory are its
// own) and returns the JSON object it prints as its last stdout line.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export async function runChild<T>(
  script: URL,
  options: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv; timeoutMs: number; args?: string[] },
): Promise<T> {
  const args = [
    ...(options.nodeArgs ?? []),
    '--import',
    'tsx',
    fileURLToPath(script),
    ...(options.args ?? []),
  ];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-8_000);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  }).finally(() => clearTimeout(timer));
  const last = stdout.trim().split('\n').pop() ?? '';
  if (code !== 0 || !last.startsWith('{')) {
    throw new Error(
      `${fileURLToPath(script)} exited with ${code}:\n${stderr || stdout.slice(-2_000)}`,
    );
  }
  return JSON.parse(last) as T;
}
