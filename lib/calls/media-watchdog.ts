import type { Logger } from 'winston';
import type { Call } from './call';

/**
 * Dead calls end (issue #14): a phone that vanished without a BYE (power cut, lost
 * network, crashed softphone) leaves its call up for ever, with its media ports and its
 * record. rtpengine sees that no media comes any more; this turns its view into a
 * hang-up of both legs.
 *
 * How: every sweep asks rtpengine (ng `query`) how many packets (RTP and RTCP) the
 * call's media session has received in all, and remembers when that count last
 * changed, by our own clock. rtpengine's `last packet` times are in its own clock and
 * seconds, which a remote rtpengine need not share with us; a counter that stops moving
 * needs no shared clock. A call on hold is exempt (a held phone may legally send
 * nothing, RFC 3264 5.1: `inactive`), and its clock starts over when it resumes.
 */

/** What the watchdog last saw of one call. */
export interface MediaSeen {
  mediaCallId: string;
  packets: number;
  /** our clock (ms) when the count last changed, or the call was first seen */
  since: number;
}

export interface MediaSample {
  mediaCallId: string;
  /** packets rtpengine received for the session in all; undefined when it could not say */
  packets: number | undefined;
  held: boolean;
}

/**
 * The decision, alone (unit-tested): dead when the session's packet count has not moved
 * for `timeoutMs`. A call first seen, re-anchored into another session (a new media
 * call-id), on hold, or one rtpengine could not report on, starts its clock over: only
 * a count seen standing still for the whole timeout ends a call.
 */
export function observeMedia(prev: MediaSeen | undefined, s: MediaSample, now: number, timeoutMs: number): { seen: MediaSeen; dead: boolean } {
  const restart = { seen: { mediaCallId: s.mediaCallId, packets: s.packets ?? -1, since: now }, dead: false };
  if (s.held || s.packets === undefined) return restart;
  if (!prev || prev.mediaCallId !== s.mediaCallId || prev.packets !== s.packets) return restart;
  return { seen: prev, dead: now - prev.since >= timeoutMs };
}

/** One answered call as the watchdog needs it. */
export interface WatchedCall {
  id: string;
  mediaCallId: string;
  held: boolean;
}

/** The answered calls of a list, as the watchdog sees them. */
export function watchedCalls(calls: readonly Call[]): WatchedCall[] {
  return calls.filter((c) => c.is('answered')).map((c) => ({ id: c.id, mediaCallId: c.mediaCallId, held: Object.keys(c.held).length > 0 }));
}

export interface MediaWatchdogDeps {
  /** the answered calls of this instance */
  calls(): WatchedCall[];
  /** the session's packet count (see observeMedia); never throws: undefined when unknown */
  packets(mediaCallId: string): Promise<number | undefined>;
  /** hangs up both legs */
  hangup(id: string, reason: string): void;
  timeoutMs: number;
  /** time between sweeps; default a quarter of the timeout, within 200 ms .. 5 s */
  intervalMs?: number;
  /** ng queries in flight at once during a sweep, default 8 */
  concurrency?: number;
  now?: () => number;
  logger: Logger;
}

export class MediaWatchdog {
  private readonly seen = new Map<string, MediaSeen>();
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private readonly intervalMs: number;

  constructor(private readonly deps: MediaWatchdogDeps) {
    this.intervalMs = deps.intervalMs ?? Math.min(5000, Math.max(200, Math.floor(deps.timeoutMs / 4)));
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      // one sweep at a time: a slow rtpengine must not pile sweeps up
      this.sweeping ??= this.sweep()
        .then(() => undefined, (err: Error) => {
          this.deps.logger.error('media watchdog sweep failed', { error: err.message });
        })
        .finally(() => (this.sweeping = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sweeping;
  }

  /** One look at every answered call; returns the ids it hung up. */
  async sweep(): Promise<string[]> {
    const now = (this.deps.now ?? Date.now)();
    const calls = this.deps.calls();
    const live = new Set(calls.map((c) => c.id));
    for (const id of this.seen.keys()) if (!live.has(id)) this.seen.delete(id);
    const dead: string[] = [];
    const queue = [...calls];
    const worker = async (): Promise<void> => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        const packets = c.held ? undefined : await this.deps.packets(c.mediaCallId);
        const { seen, dead: isDead } = observeMedia(this.seen.get(c.id), { mediaCallId: c.mediaCallId, packets, held: c.held }, now, this.deps.timeoutMs);
        this.seen.set(c.id, seen);
        if (isDead) dead.push(c.id);
      }
    };
    await Promise.all(Array.from({ length: Math.min(queue.length, this.deps.concurrency ?? 8) }, worker));
    for (const id of dead) {
      this.seen.delete(id);
      this.deps.logger.info('no media: hanging up', { call: id, timeoutS: this.deps.timeoutMs / 1000 });
      this.deps.hangup(id, 'media-timeout');
    }
    return dead;
  }
}
