import type { CallManager } from '../../lib/calls';
import type { CallActivity } from './pidf';

/**
 * What a user is doing by the calls of this instance (the source BLF uses too, pickup's
 * userDialogs): on the phone in an answered call, ringing while a call to it rings or it
 * calls out, idle otherwise.
 */
export function callActivity(calls: CallManager, tenant: string, user: string): CallActivity {
  let ringing = false;
  for (const call of calls.list()) {
    if (call.tenant !== tenant || call.state === 'ended') continue;
    if (call.caller.user !== user && call.callee.user !== user) continue;
    if (call.state === 'answered') return 'on-the-phone';
    ringing = true;
  }
  return ringing ? 'ringing' : 'idle';
}
