/**
 * REDIS_URL in its two forms: a plain `redis://` / `rediss://` URL (one server, or a proxy
 * in front of the current master), or a Sentinel URL that names the Sentinels and the
 * master they monitor:
 *
 *   redis+sentinel://[[user]:password@]host[:port][,host[:port]...]/<master-name>[?sentinelPassword=...]
 *
 * Sentinel (https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/)
 * watches a master and its replicas, agrees by quorum that the master is down, promotes a
 * replica and announces the new master (`SENTINEL get-master-addr-by-name`, the
 * `+switch-master` event). A client therefore asks the Sentinels, not a fixed address,
 * where the master is, and asks again after a fail-over. Any one reachable Sentinel is
 * enough; list several so that losing one does not matter. A port left out is Sentinel's
 * default, 26379.
 *
 * The password authenticates to the Redis servers and, unless `sentinelPassword` says
 * otherwise, to the Sentinels too (Sentinels with `requirepass`, as deploy/k8s runs them);
 * `?sentinelPassword=` (empty) talks to Sentinels that have no password.
 */
export const SENTINEL_SCHEME = 'redis+sentinel:';

export interface SentinelUrl {
  /** the master name of `sentinel monitor <name> ...` */
  masterName: string;
  sentinels: Array<{ host: string; port: number }>;
  username?: string;
  password?: string;
  /** undefined: none */
  sentinelPassword?: string;
}

/** A malformed REDIS_URL; the message never contains the password. */
export class RedisUrlError extends Error {}

export function isSentinelUrl(url: string): boolean {
  return url.toLowerCase().startsWith(`${SENTINEL_SCHEME}//`);
}

const SENTINEL_URL = /^redis\+sentinel:\/\/(?:([^@/?#]*)@)?([^/?#]*)\/([^/?#]*)(?:\?([^#]*))?$/i;
const NODE = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/;

export function parseSentinelUrl(url: string): SentinelUrl {
  const shape = `expected redis+sentinel://[:password@]host:port[,host:port...]/<master-name>, got '${redactRedisUrl(url)}'`;
  const m = SENTINEL_URL.exec(url);
  if (!m) throw new RedisUrlError(`REDIS_URL: ${shape}`);
  const [, userinfo, nodes, rawName, query] = m;

  const sentinels = nodes.split(',').map((node) => {
    const n = NODE.exec(node.trim());
    const port = n?.[2] === undefined ? 26379 : Number(n[2]);
    if (!n || port < 1 || port > 65535) throw new RedisUrlError(`REDIS_URL: bad Sentinel address '${node}'; ${shape}`);
    return { host: n[1].replace(/^\[|\]$/g, ''), port };
  });

  const masterName = decode(rawName, 'master name', shape);
  if (masterName === '') throw new RedisUrlError(`REDIS_URL: the master name is missing; ${shape}`);

  let username: string | undefined;
  let password: string | undefined;
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    if (colon === -1) throw new RedisUrlError(`REDIS_URL: the user part must be [user]:password; ${shape}`);
    username = decode(userinfo.slice(0, colon), 'user', shape) || undefined;
    password = decode(userinfo.slice(colon + 1), 'password', shape) || undefined;
  }

  let sentinelPassword = password;
  for (const [key, value] of new URLSearchParams(query ?? '')) {
    if (key !== 'sentinelPassword') throw new RedisUrlError(`REDIS_URL: unknown parameter '${key}' (only sentinelPassword); ${shape}`);
    sentinelPassword = value || undefined;
  }
  return { masterName, sentinels, username, password, sentinelPassword };
}

/** The URL with its passwords replaced by ***, for logs and error messages. */
export function redactRedisUrl(url: string): string {
  return url
    // user:password@ keeps the user; a lone user part may be a password missing its colon
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/?#]*)@/i, (_, scheme: string, userinfo: string) =>
      `${scheme}${userinfo.includes(':') ? `${userinfo.slice(0, userinfo.indexOf(':'))}:***` : '***'}@`)
    .replace(/([?&]sentinelPassword=)[^&#]*/i, '$1***');
}

function decode(s: string, what: string, shape: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new RedisUrlError(`REDIS_URL: the ${what} is not valid percent-encoding; ${shape}`);
  }
}
