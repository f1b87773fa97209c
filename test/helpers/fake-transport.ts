// A stand-in for the HTTP transport of the line-protocol senders, for unit tests under fake
// timers: it records each request with the (fake) time it was made, and answers as the test
// says — a status classified by the real policy, a transport error, or never. Like `fetch`, a
// request that has not been answered ends when its signal aborts.
import type {
  LineTransport,
  PostOptions,
  PostResult,
} from '../../src/exporters/send/http-transport.js';
import { classifyStatus, parseRetryAfter } from '../../src/protocol/http-retry.js';

export interface FakeRequest {
  readonly url: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly signal: AbortSignal | undefined;
  /** `Date.now()` (fake) when the request was made. */
  readonly at: number;
  /** Answers a request the handler left hanging. */
  answer(result: PostResult): void;
}

/** What the handler returns: an answer, or `hang` to leave the request open. */
export type FakeAnswer = PostResult | 'hang';

export type FakeHandler = (request: FakeRequest, index: number) => FakeAnswer;

export interface FakeTransport {
  readonly transport: LineTransport;
  readonly requests: FakeRequest[];
  handle(handler: FakeHandler): void;
}

/** An HTTP answer as the real transport would classify it. */
export function status(code: number, body = '', retryAfter?: string): PostResult {
  const retryAfterMs = parseRetryAfter(retryAfter, Date.now());
  return {
    kind: classifyStatus(code),
    status: code,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    message: `HTTP ${code}${body ? `: ${body}` : ''}`,
  };
}

/** A request that got no HTTP answer (refused, reset, DNS). */
export function networkError(message = 'fetch failed: socket hang up'): PostResult {
  return { kind: 'retry', message };
}

export function fakeTransport(handler?: FakeHandler): FakeTransport {
  let current: FakeHandler = handler ?? (() => status(204));
  const requests: FakeRequest[] = [];
  const transport: LineTransport = (url: string, body: string, options: PostOptions) =>
    new Promise<PostResult>((resolve) => {
      const signal = options.signal;
      const request: FakeRequest = {
        url,
        body,
        headers: { ...options.headers },
        signal,
        at: Date.now(),
        answer: resolve,
      };
      const index = requests.push(request) - 1;
      signal?.addEventListener('abort', () => resolve(aborted(signal)), { once: true });
      const answer = current(request, index);
      if (answer !== 'hang') resolve(answer);
    });
  return {
    transport,
    requests,
    handle(next) {
      current = next;
    },
  };
}

function aborted(signal: AbortSignal): PostResult {
  const reason: unknown = signal.reason;
  const timedOut = reason instanceof Error && reason.name === 'TimeoutError';
  return { kind: 'retry', message: timedOut ? 'request timed out' : 'request aborted' };
}
