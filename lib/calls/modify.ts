import type Srf from 'drachtio-srf';
import { stampFor } from '../sip/sdp-origin';

/** RFC 3261 17.1.1.2: an INVITE client transaction gives up after 64*T1 (32 s) */
const REINVITE_TIMEOUT_MS = 32_000;

/**
 * `dialog.modify` (a re-INVITE) with our o= line for that dialog (RFC 3264 8: same
 * session id, version one up; lib/sip/sdp-origin), that leaves the dialog usable when the far end refuses.
 * drachtio-srf 5.0 serializes re-INVITEs per dialog but only releases its queue on a
 * 200, so after a 488 or 491 every later re-INVITE on that dialog would wait forever;
 * this releases it on any final failure. It also fails when the dialog ends first (a BYE
 * crossing the re-INVITE: drachtio-server drops the re-INVITE's transaction then, so
 * srf's promise never settles) and after 64*T1 without a final response.
 */
export async function modify(d: Srf.Dialog, sdp: string, timeoutMs = REINVITE_TIMEOUT_MS): Promise<string> {
  const sent = d.modify(stampFor(d, sdp));
  let onEnd = (): void => undefined;
  let timer: NodeJS.Timeout | undefined;
  const cut = new Promise<never>((_resolve, reject) => {
    onEnd = () => reject(new Error('the dialog ended during the re-INVITE'));
    d.once('destroy', onEnd);
    timer = setTimeout(() => reject(new Error('no final response to the re-INVITE')), timeoutMs);
  });
  try {
    return await Promise.race([sent, cut]);
  } catch (err) {
    // srf's own promise may still settle later: nothing waits for it any more
    sent.catch(() => undefined);
    const q = d._reinvitesInProgress;
    if ((err as { status?: number }).status !== undefined && q.count > 0) {
      q.count--;
      const next = q.admitOne.shift();
      if (next) setImmediate(next);
    }
    throw err;
  } finally {
    clearTimeout(timer);
    d.off('destroy', onEnd);
  }
}

/**
 * A re-INVITE that met another one going the other way (glare) gets 491; RFC 3261 14.1
 * says to try again after a random pause: 2.1-4 s if we own the dialog's Call-ID (we sent
 * its INVITE), else 0-2 s. Three tries at most, so a party that keeps refusing cannot
 * hold a hold or a resume up for long.
 */
export async function modifyWithRetry(d: Srf.Dialog, sdp: string, tries = 3): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await modify(d, sdp);
    } catch (err) {
      if ((err as { status?: number }).status !== 491 || attempt >= tries) throw err;
      const owner = d.type === 'uac';
      const pause = owner ? 2100 + Math.random() * 1900 : Math.random() * 2000;
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}
