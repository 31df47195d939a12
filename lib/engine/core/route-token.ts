import { createHmac, timingSafeEqual } from 'node:crypto';

/** The URI parameter of our Record-Route that carries the token. */
export const ROUTE_TOKEN_PARAM = 'rrt';

/** 16 base64url characters: 96 bits of the HMAC, enough that guessing is hopeless. */
const TOKEN_LENGTH = 16;

/**
 * Proof that this engine record-routed a dialog. RFC 3261 16.6 step 4 lets a proxy put
 * whatever it needs into its own Record-Route URI, and 16.4 / 12.2.1.1 bring that URI
 * back to it unchanged as the top Route of every later request of the dialog. We put a
 * truncated HMAC of the Call-ID there, so a Route naming us that we did not issue (the
 * open-relay attack: any request with a To tag and our address in Route) is told apart
 * from a dialog we really proxied, without keeping per-dialog state. The key comes from
 * the admin secret, so a restarted engine with the same secret still honours its dialogs.
 */
export class RouteToken {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHmac('sha256', secret).update('sip-engine record-route token v1').digest();
  }

  issue(callId: string): string {
    return createHmac('sha256', this.key).update(callId).digest('base64url').slice(0, TOKEN_LENGTH);
  }

  /** Constant-time comparison, so the token cannot be found a character at a time. */
  verify(callId: string, token: string | undefined): boolean {
    if (token === undefined || token.length !== TOKEN_LENGTH) return false;
    return timingSafeEqual(Buffer.from(this.issue(callId)), Buffer.from(token));
  }
}
