import { isIP } from 'node:net';
import type { Ban } from '../../security';
import { errors } from '../errors';
import type { ApiRouter } from '../router';
import { dateTime, iso } from '../schemas';

/** What the routes need of the ban list (lib/security/ban-list.ts). */
export type BansPort = { list(): Promise<Ban[]>; unban(address: string): Promise<boolean> };

const banSchema = {
  type: 'object',
  required: ['address', 'until', 'failures'],
  properties: {
    address: { type: 'string', description: 'the banned source IP address' },
    until: dateTime,
    failures: { type: 'integer', description: 'failed authentications that led to the ban' },
  },
} as const;

const addressParams = {
  type: 'object',
  required: ['address'],
  additionalProperties: false,
  properties: { address: { type: 'string', minLength: 2, maxLength: 45, description: 'IPv4 or IPv6 address' } },
} as const;

/** Source addresses banned for failed SIP authentications (issue #13): list, and unban. */
export function banRoutes(router: ApiRouter, bans: BansPort): void {
  router.get('/bans', {
    schema: {
      summary: 'Addresses banned for failed SIP authentications', tags: ['security'],
      response: { 200: { type: 'object', required: ['bans'], properties: { bans: { type: 'array', items: banSchema } } } },
    },
  }, async () => ({ bans: (await bans.list()).map((b) => ({ ...b, until: iso(b.until) })) }));

  router.delete<{ Params: { address: string } }>('/bans/:address', {
    schema: { summary: 'Lift a ban at once', tags: ['security'], params: addressParams, response: { 204: { type: 'null' } } },
  }, async (req, reply) => {
    const { address } = req.params;
    if (isIP(address) === 0) throw errors.E_BAD_REQUEST(`${address} is not an IP address`);
    if (!(await bans.unban(address))) throw errors.E_NOT_FOUND(`${address} is not banned`);
    return reply.code(204).send();
  });
}
