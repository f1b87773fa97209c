// Collects what OTel's diag logger is told, so a test can read the warnings the library gives.
import { type DiagLogLevel, diag } from '@opentelemetry/api';

/** Every diag message from `level` up, from now on, in order. */
export function captureDiag(level: DiagLogLevel): string[] {
  const messages: string[] = [];
  const sink = (msg: string) => messages.push(msg);
  diag.setLogger({ error: sink, warn: sink, info: sink, debug: sink, verbose: sink }, level);
  return messages;
}
