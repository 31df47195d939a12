import { answer } from '../../test/support/digest-client';
import type { OutRequest, Sent, UdpUa } from './udp-ua';

/**
 * Proxy authentication for the bench's phones (RFC 3261 22.3, RFC 7616): a phone keeps
 * the last challenge and answers the next requests with it, nonce-count going up
 * (RFC 7616 3.4: a nonce is reused with a fresh nc), instead of drawing a 407 every
 * time. The server's nonce names no user, so all phones of the bench share one; a 407
 * (stale, replay, or the first request) brings a new one.
 */
export class SharedNonce {
  private challenge: string | undefined;
  private nc = 0;
  /** 407s drawn, for the report */
  challenges = 0;

  credentials(user: string, password: string, method: string, uri: string): string | undefined {
    if (!this.challenge) return undefined;
    return answer(this.challenge, { user, password, method, uri, nc: ++this.nc, cnonce: `b${this.nc.toString(36)}` });
  }

  challenged(res: { headers: Map<string, string[]> }): void {
    const offered = res.headers.get('proxy-authenticate') ?? [];
    // MD5 first: what DIGEST_ALGORITHMS of the bench's server offers, and what every phone answers
    const md5 = offered.find((v) => /algorithm=MD5(\s|,|$)/i.test(v)) ?? offered[0];
    if (!md5) return;
    this.challenges++;
    this.challenge = md5;
    this.nc = 0;
  }
}

export interface Credentials {
  user: string;
  password: string;
}

/**
 * Sends `build(cseq)` and, when it draws a 407, again with credentials and the next CSeq
 * (RFC 3261 22.2), at most `tries` times. The final answer that is not a 407, or the last 407.
 */
export async function requestWithAuth(ua: UdpUa, socket: number, nonce: SharedNonce, creds: Credentials,
  build: (cseq: number) => OutRequest, tries = 3): Promise<Sent & { cseq: number }> {
  let cseq = 1;
  for (let i = 0; ; i++) {
    const r = build(cseq);
    const auth = nonce.credentials(creds.user, creds.password, r.method, r.uri);
    const sent = await ua.request(socket, auth ? { ...r, headers: { ...r.headers, 'Proxy-Authorization': auth } } : r);
    if (sent.res.status !== 407 || i + 1 >= tries) return { ...sent, cseq };
    nonce.challenged(sent.res);
    cseq++;
  }
}
