import winston, { type Logger } from 'winston';
import { createRtpengineAnchor, startRtpengine, type RtpengineAnchor, type RtpengineProcess } from '../../lib/media';

/**
 * A logger for tests: silent unless TEST_LOG names a level (TEST_LOG=debug shows every ng
 * request and every rtpengine line).
 */
export function testLogger(): Logger {
  const level = process.env.TEST_LOG;
  return winston.createLogger({
    level: level || 'info',
    silent: !level,
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Console()],
  });
}

export interface RtpengineFixture {
  /** starts one rtpengine (userspace, own port block) and an anchor talking to it */
  start(): Promise<void>;
  /** closes the anchor and stops rtpengine; safe to call when start failed */
  stop(): Promise<void>;
  readonly process: RtpengineProcess;
  readonly anchor: RtpengineAnchor;
  readonly logger: Logger;
}

/**
 * One rtpengine for one test file:
 *   const media = withRtpengine();
 *   before(() => media.start());
 *   after(() => media.stop());
 */
export function withRtpengine(opts: { timeoutMs?: number } = {}): RtpengineFixture {
  const logger = testLogger();
  let proc: RtpengineProcess | undefined;
  let anchor: RtpengineAnchor | undefined;
  return {
    logger,
    get process() {
      if (!proc) throw new Error('rtpengine not started');
      return proc;
    },
    get anchor() {
      if (!anchor) throw new Error('rtpengine not started');
      return anchor;
    },
    async start() {
      // Two worker threads are plenty for a test and leave the CPU to the rest.
      proc = await startRtpengine({ logger, extraArgs: ['--num-threads=2', '--media-num-threads=1'] });
      anchor = createRtpengineAnchor({ host: proc.address, port: proc.ngPort, timeoutMs: opts.timeoutMs ?? 1000, logger });
    },
    async stop() {
      await anchor?.close();
      await proc?.stop();
    },
  };
}
