import type { Feature } from '../lib/feature';
import { conferenceFeature } from './conference';
import { echoFeature } from './echo';
import { mohFeature } from './moh';
import { parkFeature } from './park';
import { pickupFeature } from './pickup';
import { transferFeature } from './transfer';

/** The one list of features, in start order (stopped in reverse). */
export function features(): Feature[] {
  return [echoFeature(), mohFeature(), parkFeature(), pickupFeature(), conferenceFeature(), transferFeature()];
}
