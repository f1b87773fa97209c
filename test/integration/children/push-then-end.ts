// Child process of push-process-exit.test.ts: records a sample, starts the push (to a push URL,
// or through a config URL), and ends its own code once told on stdin that the request is in
// flight. Nothing is awaited after that: the process must exit by itself.
import { RemoteConfigManager } from '../../../src/exporters/push/remote-config.js';
import { createClientMetrics } from '../../../src/index.js';

const [mode, url] = process.argv.slice(2);
if (url === undefined || (mode !== 'push' && mode !== 'config')) {
  throw new Error('usage: push-then-end.ts push|config <url>');
}
const metrics = createClientMetrics({
  version: '0.40.1',
  managementUrl: 'https://api.netbird.io:443',
  publicKey: 'bG9jYWwtd2lyZWd1YXJkLXB1YmxpYy1rZXktYmFzZTY0PT0=',
  env: {},
  push:
    mode === 'push'
      ? { forceSending: true, serverUrl: url, requestTimeoutMs: 600_000 }
      : { configUrl: url, requestTimeoutMs: 600_000 },
  // The manager as the push builds it, but with a fetch timeout beyond the test's patience.
  ...(mode === 'config'
    ? { remoteConfig: new RemoteConfigManager({ url, timeoutMs: 600_000 }) }
    : {}),
});
metrics.recordSync(0.25);
if (!metrics.startPush()) throw new Error('push did not start');
// The open stdin keeps this process alive until the parent has seen the request arrive.
process.stdin.once('data', () => {
  process.stdin.destroy();
  process.stdout.write('ended\n');
});
