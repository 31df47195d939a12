import type { Logger } from 'winston';

/*
 * A restarted rtpengine (userspace, no redis of its own) holds none of the media
 * sessions it had: every live call's RTP goes to ports nobody listens on any more. The
 * rtpengine this server starts itself tells us by its supervisor (rtpengine-process.ts
 * `onRestart`); one given by RTPENGINE_NG is watched here, by its start time: its ng
 * `statistics` uptime subtracted from our clock. A start time that moves forward by
 * more than the slack (uptime is in whole seconds, and the reply takes a moment) is a
 * new rtpengine.
 */

/** ms: how far the derived start time may wander (whole-second uptime, request latency, a busy host) */
const SLACK_MS = 2500;

/** The decision, alone (unit-tested): the start time now, and whether it moved (a restart). */
export function observeUptime(prevStartedAt: number | undefined, uptimeS: number, now: number): { startedAt: number; restarted: boolean } {
  const startedAt = now - uptimeS * 1000;
  if (prevStartedAt === undefined) return { startedAt, restarted: false };
  if (startedAt - prevStartedAt > SLACK_MS) return { startedAt, restarted: true };
  // keep the earliest estimate: it is the one closest to the real start
  return { startedAt: Math.min(prevStartedAt, startedAt), restarted: false };
}

export interface RestartWatchDeps {
  /** rtpengine's uptime in seconds; undefined when it did not answer */
  uptime(): Promise<number | undefined>;
  onRestart(): void;
  /** default 2000 ms */
  intervalMs?: number;
  now?: () => number;
  logger: Logger;
}

/** Polls an rtpengine this server does not supervise and reports each restart once. */
export class RtpengineRestartWatch {
  private timer: NodeJS.Timeout | undefined;
  private startedAt: number | undefined;
  private polling: Promise<void> | undefined;

  constructor(private readonly deps: RestartWatchDeps) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.polling ??= this.poll()
        .then(() => undefined, (err: Error) => {
          this.deps.logger.warn('rtpengine restart watch failed', { error: err.message });
        })
        .finally(() => (this.polling = undefined));
    }, this.deps.intervalMs ?? 2000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.polling;
  }

  /** One look; true when it saw a restart (and reported it). */
  async poll(): Promise<boolean> {
    const up = await this.deps.uptime();
    if (up === undefined) return false;
    const { startedAt, restarted } = observeUptime(this.startedAt, up, (this.deps.now ?? Date.now)());
    this.startedAt = startedAt;
    if (!restarted) return false;
    this.deps.logger.warn('rtpengine restarted: every media session it held is gone', { uptimeS: up });
    this.deps.onRestart();
    return true;
  }
}
