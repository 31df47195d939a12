import { parseParams, type Params } from './params';

/** The parts of a SIP/SIPS URI the engine routes on (RFC 3261 19.1). */
export interface SipUri {
  scheme: 'sip' | 'sips';
  user?: string;
  host: string;
  port?: number;
  params: Params;
  /** `?h=v` headers part, raw */
  headers?: string;
}

const SIP_URI = /^(sips?):(?:([^@]+)@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?((?:;[^?]*)?)(?:\?(.*))?$/i;

export function uriScheme(uri: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri);
  return m ? m[1].toLowerCase() : '';
}

export function parseSipUri(uri: string): SipUri | null {
  const m = SIP_URI.exec(uri.trim());
  if (!m) return null;
  const params = parseParams(m[5] ?? '');
  if (!params) return null;
  const port = m[4] === undefined ? undefined : Number(m[4]);
  if (port !== undefined && (port < 1 || port > 65535)) return null;
  return {
    scheme: m[1].toLowerCase() as 'sip' | 'sips',
    user: m[2],
    host: m[3],
    port,
    params,
    headers: m[6],
  };
}

/** Strip the brackets of an IPv6 reference for socket APIs. */
export function bareHost(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
