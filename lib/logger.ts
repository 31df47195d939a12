import winston from 'winston';

/** JSON lines on stdout; calls get child loggers carrying callId, feature and tenant. */
export function createLogger(level: string, component = 'feature-server'): winston.Logger {
  return winston.createLogger({
    level,
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json()),
    defaultMeta: { component },
    transports: [new winston.transports.Console()],
  });
}
