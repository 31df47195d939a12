import { defineEvent, guards } from '../bus';

const { obj, str } = guards;

/**
 * A user's bindings changed: a REGISTER added, refreshed or removed contacts (issue 20:
 * the console's registrations list follows it live). Told to every instance over the
 * instance bus and relayed by GET /v1/events; no contact travels, a console fetches the
 * list. A binding that simply expires tells nothing (Redis keeps no event of it): the
 * console's slow poll covers that.
 */
export const registrationChanged = defineEvent('registration.changed', obj({
  tenant: str({ max: 253, charset: 'printable' }),
  user: str({ max: 128, charset: 'any' }),
}));
