import winston from 'winston';
import Transport from 'winston-transport';

/** One structured log entry as the server wrote it (winston's info object). */
export type LogEntry = Record<string, unknown> & { level: string; message: string };

/**
 * A logger whose entries a test can read back, for behaviour an operator sees only in the
 * log (what a line says, under which names). The last `limit` entries are kept, so a long
 * test file holds a bounded amount. TEST_LOG=<level> also prints them, as testLogger does.
 */
export interface LogCapture {
  logger: winston.Logger;
  /** the kept entries whose message is `message`, oldest first */
  entries(message: string): LogEntry[];
}

class MemoryTransport extends Transport {
  readonly kept: LogEntry[] = [];

  constructor(private readonly limit: number) {
    super();
  }

  override log(info: LogEntry, next: () => void): void {
    this.kept.push(info);
    if (this.kept.length > this.limit) this.kept.splice(0, this.kept.length - this.limit);
    next();
  }
}

export function captureLogs(limit = 2000): LogCapture {
  const memory = new MemoryTransport(limit);
  const printed = process.env.TEST_LOG;
  const transports: Transport[] = [memory];
  if (printed) transports.push(new winston.transports.Console({ level: printed }));
  const logger = winston.createLogger({
    level: 'info',
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports,
  });
  return { logger, entries: (message) => memory.kept.filter((e) => e.message === message) };
}
