import type { AfterOutcome, BeforeRing, RingOutcome } from '../../lib/calls';
import type { Forwarding } from './settings';

/**
 * Before a user's phones ring: CFU diverts at once (RFC 4458 cause 302); do-not-disturb
 * refuses busy, or takes the busy forward (service example 2.7 treats DND as busy);
 * otherwise the phones ring for the user's no-answer time, and with CFNR overlap the
 * no-answer target then rings alongside them.
 */
export function beforeRing(f: Forwarding): BeforeRing {
  if (f.unconditional) return { action: 'divert', user: f.unconditional, cause: 'unconditional' };
  if (f.dnd) {
    if (f.busy) return { action: 'divert', user: f.busy, cause: 'dnd' };
    return { action: 'reject', status: 486, reason: 'Busy Here - Do Not Disturb' };
  }
  return {
    action: 'continue',
    ringMs: f.noAnswer && f.noAnswerSeconds ? f.noAnswerSeconds * 1000 : undefined,
    overlap: f.noAnswer && f.noAnswerOverlap ? { user: f.noAnswer, cause: 'noAnswer' } : undefined,
  };
}

/**
 * After the phones did not answer: busy goes to CFB (service example 2.7, call flow 3.7),
 * no answer and unreachable to CFNR (2.8, 3.6); a refusal (603) is the user's own choice
 * and is not forwarded.
 */
export function afterOutcome(f: Forwarding, outcome: RingOutcome): AfterOutcome {
  if (outcome === 'busy' && f.busy) return { action: 'divert', user: f.busy, cause: 'busy' };
  if ((outcome === 'noAnswer' || outcome === 'unreachable') && f.noAnswer) {
    return { action: 'divert', user: f.noAnswer, cause: outcome === 'noAnswer' ? 'noAnswer' : 'unreachable' };
  }
  return undefined;
}
