import type { Logger } from 'winston';

/** rtpengine's syslog-style prefixes (with --no-log-timestamps) to winston levels. */
const LEVELS: ReadonlyArray<[RegExp, 'error' | 'warn' | 'info' | 'debug']> = [
  [/^(EMERG|ALERT|CRIT|ERR)\b/, 'error'],
  [/^WARNING\b/, 'warn'],
  // NOTICE carries start-up and shutdown; INFO is per call (every offer and answer), so debug.
  [/^NOTICE\b/, 'info'],
];

/**
 * A line sink for rtpengine's stderr: each line is logged at its level and the last
 * `keep` lines are remembered, so a failed start can say why.
 */
export class RtpengineLog {
  private readonly recent: string[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly keep = 40,
  ) {}

  line(text: string): void {
    const line = text.trimEnd();
    if (!line) return;
    this.recent.push(line);
    if (this.recent.length > this.keep) this.recent.shift();
    const level = LEVELS.find(([re]) => re.test(line))?.[1] ?? 'debug';
    this.logger.log(level, line, { source: 'rtpengine' });
  }

  tail(): string {
    return this.recent.join('\n');
  }
}
