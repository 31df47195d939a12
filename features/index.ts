import type { Feature } from '../lib/feature';
import { conferenceFeature } from './conference';
import { echoFeature } from './echo';
import { findMeFeature } from './findme';
import { forwardingFeature } from './forwarding';
import { mohFeature } from './moh';
import { outboundFeature } from './outbound';
import { parkFeature } from './park';
import { pickupFeature } from './pickup';
import { presenceFeature } from './presence';
import { screeningFeature } from './screening';
import { transferFeature } from './transfer';

/** The one list of features, in start order (stopped in reverse). */
export function features(): Feature[] {
  return [
    // transfer after park: a REFER to the park extension or a slot is park's
    echoFeature(), mohFeature(), parkFeature(), pickupFeature(), conferenceFeature(), transferFeature(),
    // call services, in the order their hooks decide: screening refuses before forwarding
    // diverts, and an unconditional forward or do-not-disturb comes before find-me
    screeningFeature(), forwardingFeature(), findMeFeature(), outboundFeature(),
    presenceFeature()];
}
