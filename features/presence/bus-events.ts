import { defineEvent, guards } from '../../lib/bus';

const { obj, str } = guards;

/** A presentity's published state changed on some instance: every instance's watchers of it hear it. */
export const presenceChanged = defineEvent('presence.changed', obj({ tenant: str({ max: 253 }), user: str({ max: 128 }) }));
