import { readFileSync } from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import winston from 'winston';
import { Engine } from './core/engine';
import { parseDeniedDestinations, type DeniedDestination } from './core/destination-policy';
import type { EngineLimits } from './core/limits';
import { MemoryReducer } from './core/memory-reducer';

/**
 * `sip-engine`: the embedded engine on its own, a drop-in for drachtio-server under
 * any drachtio-srf application.
 */
const HELP = `Usage: sip-engine [options]

  --sip-address <addr>       address for SIP over UDP and TCP (default 127.0.0.1)
  --sip-port <port>          SIP port, both transports (default 5060)
  --advertised-address <a>   address written in Via/Contact/Record-Route (default: sip address)
  --admin-address <addr>     address applications connect to (default 127.0.0.1)
  --admin-port <port>        drachtio protocol port (default 9022)
  --secret <secret>          shared secret applications authenticate with; one of
                             --secret, --secret-file or SIP_ENGINE_SECRET is required
                             (a command line is visible to every user in ps)
  --secret-file <path>       read the secret from this file (its first line)
  --http-port <port>         serve /stats (JSON) and /metrics (Prometheus) on the admin address
  --t1 <ms>                  RFC 3261 timer T1 (default 500)
  --t2 <ms>                  RFC 3261 timer T2 (default 4000)
  --t4 <ms>                  RFC 3261 timer T4 (default 5000)
  --max-message <bytes>      largest SIP message accepted (default 65535)
  --tcp-stall-ms <ms>        close a TCP connection that stops mid-message this long (default 10000)
  --deny-destinations <list> host:port[/udp|/tcp],[v6addr]:port,... the engine never sends a request to
                             (Redis, rtpengine ng, an HTTP API); an entry on any address of
                             this host covers the port on all of them. Its own admin and
                             HTTP ports are always denied.
  --tcp-idle-ms <ms>         close a TCP connection with no traffic either way this long (default 300000)
  --tcp-max-per-source <n>   TCP connections from one IP address (default 32)
  --tcp-max-total <n>        TCP connections in all (default 4096)
  --tcp-first-message-ms <ms> close a new TCP connection with no complete message by then (default 5000)
  --rate-limit <per-second>  new out-of-dialog requests per second per source IP, 0 = off (default 200)
  --rate-burst <n>           requests a source may send at once before the rate applies (default 400)
  --trusted-sources <ips>    comma-separated source IPs exempt from the rate limit (an edge proxy)
  --max-transactions <n>     live server transactions; over it new requests get 503 (default 20000)
  --max-transaction-bytes <n> octets of requests live server transactions hold; over it 503 (default 33554432)
  --app-timeout-ms <ms>      a non-INVITE an app leaves unanswered gets 500 after this (default 32000)
  --invite-timeout-ms <ms>   an INVITE an app leaves without a final gets 408 after this (default 180000)
  --log-level <level>        error, warn, info, debug (default info)
  --exit-with-parent         stop when standard input closes: a launching process that
                             dies (even by SIGKILL) takes its engine with it
  -h, --help                 this text
`;

function num(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    process.stderr.write(`sip-engine: --${name} must be a port number or milliseconds, got '${v}'\n`);
    process.exit(2);
  }
  return n;
}

function big(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`sip-engine: --${name} must be a positive whole number, got '${v}'\n`);
    process.exit(2);
  }
  return n;
}

function count(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`sip-engine: --${name} must be a whole number, got '${v}'\n`);
    process.exit(2);
  }
  return n;
}

const LIMIT_FLAGS = { 'tcp-max-per-source': 'tcpMaxPerSource', 'tcp-max-total': 'tcpMaxTotal', 'tcp-first-message-ms': 'tcpFirstMessageMs',
  'rate-limit': 'rateLimit', 'rate-burst': 'rateBurst', 'max-transactions': 'maxServerTransactions',
  'max-transaction-bytes': 'maxServerTransactionBytes',
  'app-timeout-ms': 'appTimeoutMs', 'invite-timeout-ms': 'inviteAppTimeoutMs' } as const;

/** The limit options given on the command line (issue #13), as EngineOptions.limits. */
function limitsFrom(values: Record<string, string | boolean | undefined>): Partial<EngineLimits> {
  const out: Record<string, unknown> = {};
  for (const [flag, key] of Object.entries(LIMIT_FLAGS)) {
    const n = count(flag, values[flag] as string | undefined);
    if (n !== undefined) out[key] = n;
  }
  const trusted = values['trusted-sources'] as string | undefined;
  if (trusted !== undefined) out.trustedSources = trusted.split(',').map((x) => x.trim()).filter((x) => x !== '');
  return out as Partial<EngineLimits>;
}

/** The shared secret: --secret, else --secret-file, else the environment's SIP_ENGINE_SECRET. */
function secretFrom(values: Record<string, string | boolean | undefined>): string {
  let secret = values.secret as string | undefined;
  const file = values['secret-file'] as string | undefined;
  if (!secret && file) {
    try {
      secret = readFileSync(file, 'utf8').split('\n')[0].trim();
    } catch (err) {
      process.stderr.write(`sip-engine: cannot read --secret-file: ${(err as Error).message}\n`);
      process.exit(2);
    }
  }
  secret ||= process.env.SIP_ENGINE_SECRET;
  if (!secret) {
    process.stderr.write(`sip-engine: a secret is required (--secret, --secret-file or SIP_ENGINE_SECRET)\n\n${HELP}`);
    process.exit(2);
  }
  return secret;
}

/**
 * Issue #13, RSS back near its baseline after a flood: V8 grows the young generation from
 * 1 MB to 16 MB semi-spaces (32 MB resident) under a high allocation rate and never
 * shrinks it again while idle. The engine's objects either die at once (a parse) or live
 * for a transaction's 32 s, so a bigger young generation buys it little: it stays at its
 * initial size. This must run before the first scavenge grows it; --max-semi-space-size
 * cannot be changed once the heap exists.
 */
v8.setFlagsFromString('--semi-space-growth-factor=1');

async function main(): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        'sip-address': { type: 'string' }, 'sip-port': { type: 'string' }, 'advertised-address': { type: 'string' },
        'admin-address': { type: 'string' }, 'admin-port': { type: 'string' }, secret: { type: 'string' }, 'secret-file': { type: 'string' },
        'http-port': { type: 'string' }, t1: { type: 'string' }, t2: { type: 'string' }, t4: { type: 'string' }, 'max-message': { type: 'string' }, 'tcp-stall-ms': { type: 'string' }, 'deny-destinations': { type: 'string' },
        ...Object.fromEntries([...Object.keys(LIMIT_FLAGS), 'trusted-sources', 'tcp-idle-ms'].map((k) => [k, { type: 'string' as const }])),
        'log-level': { type: 'string' }, 'exit-with-parent': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(`sip-engine: ${(err as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const secret = secretFrom(values);
  const level = (values['log-level'] as string | undefined) ?? 'info';
  if (!['error', 'warn', 'info', 'debug'].includes(level)) {
    process.stderr.write(`sip-engine: --log-level must be error, warn, info or debug\n`);
    process.exit(2);
  }
  const logger = winston.createLogger({
    level,
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    defaultMeta: { component: 'sip-engine' },
    transports: [new winston.transports.Console()],
  });
  const adminAddress = (values['admin-address'] as string | undefined) ?? '127.0.0.1';
  const t1 = big('t1', values.t1 as string | undefined, 500);
  const t2 = big('t2', values.t2 as string | undefined, 4000);
  const t4 = big('t4', values.t4 as string | undefined, 5000);
  let denyDestinations: DeniedDestination[] = [];
  try {
    denyDestinations = parseDeniedDestinations((values['deny-destinations'] as string | undefined) ?? '');
  } catch (err) {
    process.stderr.write(`sip-engine: --deny-destinations: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const engine = await Engine.start({
    sipAddress: values['sip-address'] as string | undefined,
    sipPort: num('sip-port', values['sip-port'] as string | undefined, 5060),
    advertisedAddress: values['advertised-address'] as string | undefined,
    adminAddress,
    adminPort: num('admin-port', values['admin-port'] as string | undefined, 9022),
    secret,
    timers: { t1, t2, t4 },
    maxMessage: big('max-message', values['max-message'] as string | undefined, 65535),
    tcpStallMs: big('tcp-stall-ms', values['tcp-stall-ms'] as string | undefined, 10000),
    denyDestinations,
    tcpIdleMs: count('tcp-idle-ms', values['tcp-idle-ms'] as string | undefined),
    limits: limitsFrom(values),
    logger,
  });
  let server: http.Server | undefined;
  const httpPort = values['http-port'] as string | undefined;
  if (httpPort !== undefined) {
    server = http.createServer((req, res) => {
      const stats = engine.stats();
      if (req.url === '/stats') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(stats));
      } else if (req.url === '/metrics') {
        res.setHeader('content-type', 'text/plain; version=0.0.4');
        res.end(Object.entries(stats).map(([k, v]) => `sip_engine_${k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)} ${v}`).join('\n') + '\n');
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    const requested = num('http-port', httpPort, 0);
    if (requested !== 0) engine.denyOwnPort(requested);
    server.listen(requested, adminAddress, () => {
      // a port chosen by the system is known only now
      const bound = server?.address();
      if (bound && typeof bound === 'object') engine.denyOwnPort(bound.port);
    });
  }
  // issue #13: RSS back near its baseline after a flood, rather than whenever V8 gets to it
  const reducer = new MemoryReducer({ onCollect: (e) => logger.debug('sip-engine: full collection after memory growth',
    { rssBeforeMb: Math.round(e.beforeBytes / 1048576), rssAfterMb: Math.round(e.afterBytes / 1048576) }) }).start();
  logger.info('sip-engine ready', { sipPort: engine.sipPort, adminPort: engine.adminPort });
  const shutdown = (): void => {
    reducer.stop();
    server?.close();
    engine.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  if (values['exit-with-parent']) {
    // the parent holds the other end of our stdin pipe; the kernel closes it when the parent dies
    process.stdin.on('end', () => {
      logger.warn('sip-engine: the launching process is gone; stopping');
      shutdown();
    });
    process.stdin.on('error', shutdown);
    process.stdin.resume();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`sip-engine: ${err.message}\n`);
  process.exit(1);
});
