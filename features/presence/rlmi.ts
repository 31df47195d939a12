import { randomBytes } from 'node:crypto';
import { xmlEscape } from './xml';

/**
 * RFC 4662 5: the body of a resource-list NOTIFY, a multipart/related (RFC 2387) whose
 * root is the RLMI document (application/rlmi+xml) and whose other parts are the
 * resources' own documents (here PIDF), each named by the `cid` of its instance.
 */

export const RLMI_TYPE = 'application/rlmi+xml';
export const RLMI_NS = 'urn:ietf:params:xml:ns:rlmi';

/** RFC 4662 5.2: the state of one subscription to a list member. */
export interface RlmiResource {
  uri: string;
  /** instance id, stable for the life of the list subscription (RFC 4662 5.2) */
  instanceId: string;
  state: 'active' | 'pending' | 'terminated';
  /** for terminated: why (RFC 4662 5.2, the reasons of RFC 6665 4.2.2) */
  reason?: string;
  /** the member's document when it has one to tell: active instances only */
  body?: { contentType: string; text: string };
}

export interface RlmiMessage {
  contentType: string;
  body: string;
}

/** A boundary that appears in no part (RFC 2046 5.1.1); random, then checked. */
function boundaryFor(parts: readonly string[]): string {
  for (;;) {
    const b = `fs-${randomBytes(12).toString('hex')}`;
    if (!parts.some((p) => p.includes(b))) return b;
  }
}

/**
 * The full or partial state of a list (`fullState`, RFC 4662 5.1: the first NOTIFY and any
 * after a refresh are full; others may list only the changed resources). `domain` is the
 * right-hand side of Content-IDs (RFC 2392).
 */
export function rlmiMessage(listUri: string, version: number, fullState: boolean, resources: readonly RlmiResource[], domain: string): RlmiMessage {
  const tag = randomBytes(6).toString('hex');
  const cidOf = (i: number): string => `${tag}.${i}@${domain}`;
  const rootCid = `${tag}.root@${domain}`;
  const entries = resources.map((r, i) => {
    const attrs = [`id="${xmlEscape(r.instanceId)}"`, `state="${r.state}"`];
    if (r.state === 'terminated' && r.reason) attrs.push(`reason="${xmlEscape(r.reason)}"`);
    if (r.body) attrs.push(`cid="${xmlEscape(cidOf(i))}"`);
    return `<resource uri="${xmlEscape(r.uri)}"><instance ${attrs.join(' ')}/></resource>`;
  });
  const rlmi = `<?xml version="1.0" encoding="UTF-8"?>\r\n<list xmlns="${RLMI_NS}" uri="${xmlEscape(listUri)}" version="${version}" fullState="${fullState}">${entries.join('')}</list>\r\n`;
  const parts: Array<{ cid: string; type: string; text: string }> = [{ cid: rootCid, type: `${RLMI_TYPE};charset="UTF-8"`, text: rlmi }];
  resources.forEach((r, i) => {
    if (r.body) parts.push({ cid: cidOf(i), type: `${r.body.contentType};charset="UTF-8"`, text: r.body.text });
  });
  const boundary = boundaryFor(parts.map((p) => p.text));
  const body = parts.map((p) => `--${boundary}\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <${p.cid}>\r\nContent-Type: ${p.type}\r\n\r\n${p.text}\r\n`).join('')
    + `--${boundary}--\r\n`;
  return { contentType: `multipart/related;type="${RLMI_TYPE}";start="<${rootCid}>";boundary="${boundary}"`, body };
}
