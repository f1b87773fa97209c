/** A point in time: a `Date` or epoch milliseconds. */
export type TimeInput = Date | number;

export interface StagesSnapshot {
  /** Epoch milliseconds, or undefined when the stage has not happened in this attempt. */
  readonly signalingReceived: number | undefined;
  readonly connectionReady: number | undefined;
  readonly wgHandshake: number | undefined;
  readonly isReconnection: boolean;
  /** Increments on every `disconnected()`; identifies the attempt the snapshot belongs to. */
  readonly attempt: number;
}

function toMillis(at: TimeInput): number {
  const ms = typeof at === 'number' ? at : at.getTime();
  if (!Number.isFinite(ms)) throw new RangeError(`invalid time: ${String(at)}`);
  return ms;
}

/**
 * Per-attempt stage timestamps of one peer connection, as NetBird's Go client keeps them. A new
 * instance is made for every connection open; `disconnected()` starts a reconnection attempt
 * on the same instance.
 */
export class ConnectionStages {
  #signalingReceived: number | undefined;
  #connectionReady: number | undefined;
  #wgHandshake: number | undefined;
  #isReconnection = false;
  #attempt = 0;
  #recordedAttempt = -1;
  readonly #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** First remote offer or answer; later ones do not move it. */
  signalingReceived(at?: TimeInput): void {
    if (this.#signalingReceived === undefined) {
      this.#signalingReceived = at === undefined ? this.#now() : toMillis(at);
    }
  }

  /** A transport became the active WireGuard endpoint; set once per attempt. */
  connectionReady(at?: TimeInput): void {
    if (this.#connectionReady === undefined) {
      this.#connectionReady = at === undefined ? this.#now() : toMillis(at);
    }
  }

  /**
   * First WireGuard handshake of the attempt. Ignored before ready and after the first one
   * (rekeys); WireGuard reports whole seconds, so a time before ready is clamped to ready.
   * Returns whether the handshake was taken.
   */
  wgHandshake(at: TimeInput): boolean {
    const ready = this.#connectionReady;
    if (ready === undefined || this.#wgHandshake !== undefined) return false;
    const ms = toMillis(at);
    this.#wgHandshake = Math.max(ms, ready);
    return true;
  }

  /** Both transports are down: clear the attempt; the next one is a reconnection. */
  disconnected(): void {
    this.#signalingReceived = undefined;
    this.#connectionReady = undefined;
    this.#wgHandshake = undefined;
    this.#isReconnection = true;
    this.#attempt++;
  }

  snapshot(): StagesSnapshot {
    return {
      signalingReceived: this.#signalingReceived,
      connectionReady: this.#connectionReady,
      wgHandshake: this.#wgHandshake,
      isReconnection: this.#isReconnection,
      attempt: this.#attempt,
    };
  }

  /**
   * Claims the current attempt for recording: at most one connection sample per attempt, so
   * a handshake seen again or a repeated call cannot count one connection twice. Returns false when this attempt was already recorded.
   */
  claimRecording(): boolean {
    if (this.#recordedAttempt === this.#attempt) return false;
    this.#recordedAttempt = this.#attempt;
    return true;
  }
}

export interface StageDurations {
  /** Seconds, or undefined when either end of the stage is missing. */
  readonly signalingToConnection: number | undefined;
  readonly connectionToWgHandshake: number | undefined;
  readonly total: number | undefined;
}

function span(from: number | undefined, to: number | undefined): number | undefined {
  return from === undefined || to === undefined ? undefined : (to - from) / 1000;
}

export function stageDurations(s: StagesSnapshot): StageDurations {
  return {
    signalingToConnection: span(s.signalingReceived, s.connectionReady),
    connectionToWgHandshake: span(s.connectionReady, s.wgHandshake),
    total: span(s.signalingReceived, s.wgHandshake),
  };
}
