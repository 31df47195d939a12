import assert from 'node:assert/strict';
import { SipPeer, type PeerDialog } from './sip-peer';
import type { CoreFixture } from '../core/fixture';
import { TENANT } from '../core/fixture';

/** Raw UDP phones (SipPeer) against a core fixture's server; `close` ends every one opened. */
export class PeerPhones {
  private readonly open: SipPeer[] = [];

  constructor(private readonly fx: Pick<CoreFixture, 'sipPort' | 'liveCall'>) {}

  /** a started phone; registered as `user` when one is given and `register` is not false */
  async phone(user?: string, register = true): Promise<SipPeer> {
    const p = await new SipPeer({ host: '127.0.0.1', port: this.fx.sipPort() }, TENANT).start();
    this.open.push(p);
    if (user !== undefined && register) await p.register(user);
    return p;
  }

  /**
   * `from` (as `caller`) calls `callee` on `to`, which answers: both dialogs, and the call
   * as GET /v1/calls lists it once answered (its id and media session).
   */
  async answeredCall(from: SipPeer, caller: string, to: SipPeer, callee: string): Promise<{ caller: PeerDialog; callee: PeerDialog; id: string; mediaCallId: string }> {
    const call = from.call({ to: callee, user: caller });
    const inv = await to.nextInvite();
    inv.send(200, to.sdp());
    const r = await call.result;
    assert.equal(r.response.status, 200);
    const live = await this.fx.liveCall((c) => c.callee.user === callee && c.state === 'answered');
    return { caller: r.dialog!, callee: inv.dialog, id: live.id, mediaCallId: live.mediaCallId };
  }

  close(): void {
    for (const p of this.open.splice(0)) p.close();
  }
}
