import { SipPeer } from './sip-peer';
import type { CoreFixture } from '../core/fixture';
import { TENANT } from '../core/fixture';

/** Raw UDP phones (SipPeer) against a core fixture's server; `close` ends every one opened. */
export class PeerPhones {
  private readonly open: SipPeer[] = [];

  constructor(private readonly fx: Pick<CoreFixture, 'sipPort'>) {}

  /** a started phone; registered as `user` when one is given and `register` is not false */
  async phone(user?: string, register = true): Promise<SipPeer> {
    const p = await new SipPeer({ host: '127.0.0.1', port: this.fx.sipPort() }, TENANT).start();
    this.open.push(p);
    if (user !== undefined && register) await p.register(user);
    return p;
  }

  close(): void {
    for (const p of this.open.splice(0)) p.close();
  }
}
