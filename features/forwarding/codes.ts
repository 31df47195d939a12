import type { FeatureCallContext, FeatureCode } from '../../lib/feature';
import { respond } from '../../lib/sip/respond';
import type { UserRepository } from '../../lib/store';
import { confirmByTone, type ConfirmDeps } from './confirm';
import { NUMBER } from './routes';
import type { Forwarding, ForwardingStore } from './settings';

/**
 * Forwarding from the phone, with the vertical service codes North American PBXs use:
 * `*72<user>` / `*73` set / clear unconditional, `*90<user>` / `*91` busy, `*92<user>` /
 * `*93` no answer, `*78` / `*79` do not disturb on / off. Once the setting is stored the
 * phone hears a short confirmation tone and gets a BYE (confirm.ts); a target that is
 * neither a user of the tenant nor a number gets 404 and changes nothing.
 */
const SET: Record<string, keyof Forwarding> = { 72: 'unconditional', 90: 'busy', 92: 'noAnswer' };
const CLEAR: Record<string, keyof Forwarding> = { 73: 'unconditional', 91: 'busy', 93: 'noAnswer' };
const NAMES: Partial<Record<keyof Forwarding, string>> = { unconditional: 'Unconditional', busy: 'Busy', noAnswer: 'No Answer' };

export interface ForwardingCodeDeps {
  store: ForwardingStore;
  users: UserRepository;
  confirm: ConfirmDeps;
}

export function forwardingCodes(deps: () => ForwardingCodeDeps): FeatureCode[] {
  const confirm = async (c: FeatureCallContext, what: string): Promise<void> => {
    c.logger.info('forwarding changed by code', { user: c.caller.user, what });
    await confirmByTone(deps().confirm, c, what);
  };
  return [
    {
      pattern: /^\*(72|90|92)([A-Za-z0-9._~+-]{1,64})$/,
      async handle(c) {
        const field = SET[c.match[1]];
        const target = c.match[2];
        const { store, users } = deps();
        if (target === c.caller.user || (!NUMBER.test(target) && !(await users.get(c.tenant, target)))) {
          respond(c.res, 404, 'Not Found - No Such Forwarding Target');
          return;
        }
        await store.update(c.tenant, c.caller.user, { [field]: target });
        await confirm(c, `Call Forwarding ${NAMES[field] ?? field} On`);
      },
    },
    {
      pattern: /^\*(73|91|93|78|79)$/,
      async handle(c) {
        const { store } = deps();
        const code = c.match[1];
        if (code === '78' || code === '79') {
          await store.update(c.tenant, c.caller.user, { dnd: code === '78' });
          await confirm(c, `Do Not Disturb ${code === '78' ? 'On' : 'Off'}`);
          return;
        }
        const field = CLEAR[code];
        await store.update(c.tenant, c.caller.user, { [field]: undefined });
        await confirm(c, `Call Forwarding ${NAMES[field] ?? field} Off`);
      },
    },
  ];
}
