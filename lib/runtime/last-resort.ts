import type { Logger } from 'winston';

/** The part of `process` this needs (a test hands in its own emitter). */
export interface ProcessEvents {
  on(event: 'unhandledRejection' | 'uncaughtException', listener: (reason: unknown) => void): unknown;
}

/**
 * The last line of defence (issue #14): a promise nobody awaited that rejects, or an
 * exception thrown from a callback, is logged with what it carries and the process keeps
 * serving its other calls. Node's default is to exit, which turned one call's race (two
 * BYEs crossing, srf's destroy() rejecting with ENODIALOG) into an outage for every call.
 * Every path is meant to handle its own errors; this counts the ones that did not, so a
 * test or an operator sees them (`lastResortErrors`).
 */
export function installLastResort(logger: Logger, proc: ProcessEvents = process): { count(): number } {
  let errors = 0;
  const report = (kind: string) => (reason: unknown): void => {
    errors++;
    const err = reason instanceof Error ? reason : new Error(String(reason));
    const code = (err as { code?: unknown }).code;
    logger.error(`${kind}: kept serving`, { error: err.message, code: typeof code === 'string' ? code : undefined, stack: err.stack });
  };
  proc.on('unhandledRejection', report('unhandled rejection'));
  proc.on('uncaughtException', report('uncaught exception'));
  return { count: () => errors };
}
