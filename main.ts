import { features } from './features';
import { ConfigError, loadConfig } from './lib/config';
import { createLogger, routeConsoleToLogger } from './lib/logger';
import { DataDirError } from './lib/runtime/data-dir';
import { installLastResort } from './lib/runtime/last-resort';
import { nextSteps } from './lib/runtime/next-steps';
import { startServer } from './lib/server';

/*
 * The entry point lives above lib/ and features/ because it is the one place that knows
 * both: lib/ never imports a feature (DESIGN), so the list of features is handed in.
 */

/** `npm start`: configuration from the environment, then the server until SIGTERM. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`feature-server: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  // issue #13: stdout is the log stream; what libraries print (drachtio-srf prints the raw
  // text of a message it cannot parse) becomes a JSON entry, escaped and truncated
  routeConsoleToLogger(logger);
  // issue #14: one call's unhandled failure is logged, never the end of every other call
  installLastResort(logger);
  let server;
  try {
    server = await startServer({ config, logger, features: features() });
  } catch (err) {
    if (err instanceof DataDirError) {
      // not worth a restart by a supervisor: another server owns the folder
      process.stderr.write(`feature-server: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  // a person at a terminal reads text; a captured stream stays one JSON object per line (issue #13)
  const steps = nextSteps(config, server.httpPort, server.apiTokenFile);
  if (process.stderr.isTTY) process.stderr.write(steps);
  else logger.info('next steps', { text: steps.trimEnd().split('\n') });
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    server.drain().then(() => process.exit(0), (err: Error) => {
      logger.error('shutdown failed', { error: err.message });
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

if (require.main === module) {
  main().catch((err: Error) => {
    process.stderr.write(`feature-server: ${err.message}\n`);
    process.exit(1);
  });
}
