// `fetch` on connections that do not keep the process alive: an application whose own work has
// ended must be able to exit even while a push or a config request waits for a silent server.
// Node's fetch takes a `dispatcher`; we build one of the same class as its global one and unref
// each socket it connects. Only best effort: when the class or the socket cannot be found (an
// application's own dispatcher, another undici), requests go out as plain `fetch` does.

/** Where undici (Node's fetch among them) keeps the global dispatcher. */
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

interface Agent {
  on(event: 'connect', listener: (origin: unknown, targets: readonly object[]) => void): unknown;
}
type AgentClass = new () => Agent;

interface Unrefable {
  unref(): unknown;
  ref(): unknown;
}

let agent: Promise<Agent | undefined> | undefined;

/** Like `fetch`; the connection carrying the request never holds the process open. */
export async function fetchUnref(url: string, init: RequestInit): Promise<Response> {
  agent ??= unrefAgent();
  const dispatcher = await agent;
  return fetch(url, dispatcher === undefined ? init : ({ ...init, dispatcher } as RequestInit));
}

async function unrefAgent(): Promise<Agent | undefined> {
  try {
    // Node loads its fetch, and with it the global dispatcher, on the first call.
    if (globalDispatcherClass() === undefined) await fetch('data:,').then((r) => r.text());
    const Agent = globalDispatcherClass();
    if (Agent === undefined) return undefined;
    const created = new Agent();
    created.on('connect', (_origin, targets) => {
      for (const target of targets) unrefSocketOf(target);
    });
    return created;
  } catch {
    return undefined;
  }
}

/** The class of the global dispatcher when it is a plain `Agent` (not a proxy, say). */
function globalDispatcherClass(): AgentClass | undefined {
  const current: unknown = (globalThis as Record<symbol, unknown>)[GLOBAL_DISPATCHER];
  if (typeof current !== 'object' || current === null) return undefined;
  const type: unknown = current.constructor;
  return typeof type === 'function' && type.name === 'Agent' ? (type as AgentClass) : undefined;
}

/** Unrefs the socket of an undici client for good: its pool would ref it again on reuse. */
function unrefSocketOf(target: object): void {
  for (const key of Object.getOwnPropertySymbols(target)) {
    if (key.description !== 'socket') continue;
    const socket: unknown = (target as Record<symbol, unknown>)[key];
    if (!isUnrefable(socket)) continue;
    socket.unref();
    socket.ref = () => socket;
  }
}

function isUnrefable(value: unknown): value is Unrefable {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<Unrefable>).unref === 'function' &&
    typeof (value as Partial<Unrefable>).ref === 'function'
  );
}
