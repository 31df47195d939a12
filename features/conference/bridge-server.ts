import type Srf from 'drachtio-srf';
import type { Logger } from 'winston';
import { awaitAck } from '../../lib/calls';
import { answerTarget, chosenPayloadType, sdpOffer, type G711PayloadType } from '../../lib/media/audio';
import { respond } from '../../lib/sip/respond';
import { hangUp } from '../../lib/sip/hang-up';
import type { ConferenceMixer } from './mixer';

/** The Request-URI user of a bridge member: `conf~<conference>~<member>`. */
export const BRIDGE_USER = /^conf~([A-Za-z0-9-]{1,64})~([A-Za-z0-9-]{1,64})$/;


/**
 * The conference bridge as a SIP endpoint on the platform's own engine (issue: "a SIP
 * endpoint reachable by URI"): one dialog per member, one mixer stream per dialog. It
 * answers an offerless INVITE with its offer (third-party call control, RFC 3725 4.1:
 * the answer comes in the ACK) or an INVITE with an offer with its answer. The member
 * leaves the mix with its BYE.
 */
export class BridgeServer {
  private dialogs = 0;

  constructor(private readonly srf: Srf, private readonly mixer: ConferenceMixer, private readonly logger: Logger) {}

  get activeMembers(): number {
    return this.dialogs;
  }

  async handle(req: Srf.SrfRequest, res: Srf.SrfResponse, conference: string, member: string): Promise<void> {
    const offered = req.body ? chosenPayloadType(req.body) : undefined;
    if (req.body && offered === undefined) {
      respond(res, 488, 'Not Acceptable Here - the bridge mixes PCMU and PCMA');
      return;
    }
    let local: { address: string; port: number };
    try {
      local = await this.mixer.addMember(conference, member, { payloadType: offered ?? 0, latch: true });
    } catch (err) {
      this.logger.warn('bridge: no mixer stream for a member', { conference, member, error: (err as Error).message });
      respond(res, 503, 'Service Unavailable - bridge full');
      return;
    }
    const remove = (): void => void this.mixer.removeMember(member).catch(() => undefined);
    const sdp = sdpOffer({ localAddress: local.address, localPort: local.port }, { sessionId: Date.now(), version: 1, name: 'conference', direction: 'sendrecv' });
    let dialog: Srf.Dialog;
    try {
      if (req.body && offered !== undefined) {
        const target = answerTarget(req.body);
        if (target) await this.mixer.setRemote(member, { ...target, payloadType: offered });
        // RFC 3264 6.1: the answer keeps the offer's preferred G.711 only
        dialog = await this.srf.createUAS(req, res, { localSdp: onlyCodec(sdp, offered) });
      } else {
        dialog = await this.srf.createUAS(req, res, { localSdp: sdp });
        if (!(await awaitAck(dialog))) {
          remove();
          return;
        }
        const answer = dialog.remote.sdp;
        const pt = answer ? chosenPayloadType(answer) : undefined;
        const target = answer ? answerTarget(answer) : undefined;
        if (pt === undefined || !target) {
          this.logger.warn('bridge: unusable answer; hanging up', { conference, member });
          hangUp(dialog);
          remove();
          return;
        }
        await this.mixer.setRemote(member, { ...target, payloadType: pt });
      }
    } catch (err) {
      this.logger.warn('bridge: member setup failed', { conference, member, error: (err as Error).message });
      remove();
      return;
    }
    this.dialogs++;
    dialog.on('destroy', () => {
      this.dialogs--;
      remove();
    });
  }
}

/** The offer's SDP reduced to one codec: the answer to an offer that chose it. */
function onlyCodec(sdp: string, pt: G711PayloadType): string {
  const name = pt === 0 ? 'PCMU' : 'PCMA';
  return sdp.replace(/^m=audio (\d+) RTP\/AVP 0 8$/m, `m=audio $1 RTP/AVP ${pt}`)
    .split('\r\n').filter((l) => !l.startsWith('a=rtpmap:') || l.includes(name)).join('\r\n');
}
