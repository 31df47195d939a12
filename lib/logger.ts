import { format as formatText } from 'node:util';
import winston from 'winston';

/**
 * The server's log stream is its stdout: one JSON object per line (issue #13). Nothing
 * the network sends may reach it raw, or a crafted header that holds a newline and a
 * JSON object forges a log entry; so every string in an entry is bounded here, and
 * whatever third-party code prints with console.* comes through winston as well
 * (`routeConsoleToLogger`).
 */

/** The longest string an entry carries in one field; longer ones are cut and marked. */
export const MAX_LOG_STRING = 2048;

/** `s` cut to `max` characters, saying how much was cut. */
export function truncate(s: string, max = MAX_LOG_STRING): string {
  return s.length <= max ? s : `${s.slice(0, max)}...[${s.length - max} more]`;
}

/** Strings bounded at any depth (user names, From, User-Agent and reasons come from the network). */
function bounded(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return truncate(value);
  if (value === null || typeof value !== 'object' || depth > 4 || seen.has(value)) return value;
  seen.add(value);
  if (value instanceof Error) return truncate(value.stack ?? value.message);
  if (Array.isArray(value)) return value.slice(0, 64).map((v) => bounded(v, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = bounded(v, depth + 1, seen);
  return out;
}

/** A winston format that bounds every string field of an entry (the level and symbols untouched). */
const boundStrings = winston.format((info) => {
  const seen = new WeakSet<object>();
  for (const key of Object.keys(info)) {
    if (key !== 'level') info[key] = bounded(info[key], 0, seen);
  }
  return info;
});

/** JSON lines on stdout; calls get child loggers carrying callId, feature and tenant. */
export function createLogger(level: string, component = 'feature-server'): winston.Logger {
  return winston.createLogger({
    level,
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), boundStrings(), winston.format.json()),
    defaultMeta: { component },
    // straight to the stream, not through console.*: those are routed back into this logger
    transports: [new winston.transports.Stream({ stream: process.stdout })],
  });
}

const CONSOLE_LEVELS = { error: 'error', warn: 'warn', info: 'info', log: 'info', debug: 'debug', trace: 'debug' } as const;

/**
 * drachtio-srf prints with console.error, among other things the raw text of a message it
 * cannot parse (`unable to parse incoming message: ${rawMsg}`). Routes every console
 * method into `logger` as one JSON entry whose text is escaped (by JSON) and truncated.
 * Called once, at the composition edge (main.ts); returns the undo.
 */
export function routeConsoleToLogger(logger: winston.Logger): () => void {
  const target = console as unknown as Record<keyof typeof CONSOLE_LEVELS, (...args: unknown[]) => void>;
  const saved = { ...target };
  for (const [method, level] of Object.entries(CONSOLE_LEVELS) as Array<[keyof typeof CONSOLE_LEVELS, string]>) {
    target[method] = (...args: unknown[]): void => {
      logger.log(level, 'console output', { console: method, text: truncate(formatText(...args)) });
    };
  }
  return () => {
    Object.assign(target, saved);
  };
}
