import { formatParams, parseParams, type Params } from './params';

/** One Via element (RFC 3261 20.42). */
export interface Via {
  protocol: string;      // 'SIP/2.0'
  transport: string;     // upper case: UDP, TCP, TLS, WS, SCTP, or anything else
  host: string;
  port?: number;
  params: Params;
}

// `SIP / 2.0 / UDP host:port ;params`: LWS is allowed around the slashes (RFC 3261 25.1)
const VIA = /^([A-Za-z0-9.!%*_+`'~-]+)\s*\/\s*([0-9.]+)\s*\/\s*([A-Za-z0-9.!%*_+`'~-]+)\s+(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?:\s*:\s*(\d{1,5}))?\s*(;.*)?$/;

export function parseVia(value: string): Via | null {
  const m = VIA.exec(value.trim());
  if (!m) return null;
  const params = parseParams(m[6] ?? '');
  if (!params) return null;
  const port = m[5] === undefined ? undefined : Number(m[5]);
  if (port !== undefined && (port < 1 || port > 65535)) return null;
  return { protocol: `${m[1]}/${m[2]}`, transport: m[3].toUpperCase(), host: m[4], port, params };
}

export function formatVia(via: Via): string {
  const port = via.port === undefined ? '' : `:${via.port}`;
  return `${via.protocol}/${via.transport} ${via.host}${port}${formatParams(via.params)}`;
}

export function viaBranch(via: Via): string {
  return via.params.get('branch') ?? '';
}

/** RFC 3261 8.1.1.7: a branch starting with the magic cookie means RFC 3261 matching applies. */
export function isRfc3261Branch(branch: string): boolean {
  return branch.startsWith('z9hG4bK') && branch.length > 7;
}
