import type Srf from 'drachtio-srf';
import type { Logger } from 'winston';
import type { Binding, BindingInput, RegistrationRepository } from '../store';
import { parseAddress } from '../sip/addresses';
import type { SipAuthenticator } from '../security';
import { addressParts, headerParam, splitAddressList } from '../sip/name-addr';
import { respond } from '../sip/respond';

export interface RegistrarDeps {
  registrations: RegistrationRepository;
  /** digest authentication with bans (lib/security) */
  auth: SipAuthenticator;
  logger: Logger;
  minExpires: number;
  maxExpires: number;
  /** most contacts one AOR may have bound at once */
  maxContacts: number;
  /** told after every REGISTER that changed the user's bindings (not a query) */
  changed?: (tenant: string, user: string) => void;
}

const DEFAULT_EXPIRES = 3600;

/**
 * The registrar (RFC 3261 10.3, call flow "Register"): REGISTER -> 401 -> REGISTER with
 * credentials -> 200 listing every current binding. Bindings live in Redis with their
 * expiry; the address the REGISTER really came from is kept for NAT traversal.
 */
export function createRegistrar(deps: RegistrarDeps) {
  return async (req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<void> => {
    const aor = parseAddress(req.get('To'));
    if (!aor || !aor.user) {
      respond(res, 400, 'Bad Request - To is not a SIP AOR');
      return;
    }
    const tenant = aor.host;
    const log = deps.logger.child({ tenant, user: aor.user, callId: req.get('Call-ID') });
    // RFC 3261 10.3 steps 3-6: authenticate, then the user may only change its own AOR
    const username = await deps.auth.authenticate(req, res, { realm: tenant, kind: 'www', only: aor.user }, log);
    if (username === undefined) return;
    const callId = req.get('Call-ID');
    const cseq = Number(/^\s*(\d+)/.exec(req.get('CSeq'))?.[1] ?? NaN);
    const headerExpires = req.has('Expires') ? Number(req.get('Expires')) : undefined;
    const contacts = req.has('Contact') ? splitAddressList(req.get('Contact')) : [];
    let result;
    if (contacts.length === 1 && contacts[0].trim() === '*') {
      // RFC 3261 10.3 step 6: `*` only with Expires: 0
      if (headerExpires !== 0) {
        respond(res, 400, 'Bad Request - Contact * requires Expires: 0');
        return;
      }
      result = await deps.registrations.unbindAll(tenant, aor.user, { callId, cseq });
    } else if (contacts.length > 0) {
      // More contacts than any AOR may bind: refused before any parsing or Redis work.
      if (contacts.length > deps.maxContacts) {
        tooMany(res, deps.maxContacts);
        return;
      }
      const inputs: BindingInput[] = [];
      for (const c of contacts) {
        // one linear pass over the contact (name-addr.ts), no backtracking regular expression
        const { uri, params } = addressParts(c);
        const param = headerParam(params, 'expires');
        let expires = param !== undefined && /^\d{1,10}$/.test(param) ? Number(param) : headerExpires ?? DEFAULT_EXPIRES;
        if (!Number.isFinite(expires) || expires < 0) expires = DEFAULT_EXPIRES;
        // RFC 3261 10.3 step 7: too brief -> 423 with Min-Expires
        if (expires > 0 && expires < deps.minExpires) {
          res.send(423, { headers: { 'Min-Expires': String(deps.minExpires) } });
          return;
        }
        const instance = instanceOf(headerParam(params, '+sip.instance'));
        inputs.push({
          contact: uri, expires: Math.min(expires, deps.maxExpires), callId, cseq, instance,
          received: `${(req.protocol || 'udp').toLowerCase()}:${req.source_address}:${req.source_port}`,
          userAgent: req.get('User-Agent') || undefined,
        });
      }
      result = await deps.registrations.bind(tenant, aor.user, inputs, { maxBindings: deps.maxContacts });
    } else {
      // a query (RFC 3261 10.2.3): list the bindings
      result = { ok: true as const, bindings: await deps.registrations.lookup(tenant, aor.user) };
    }
    if (!result.ok && result.reason === 'too-many') {
      log.warn('registration refused: too many contacts', { contacts: result.count, max: deps.maxContacts });
      tooMany(res, deps.maxContacts);
      return;
    }
    if (!result.ok) {
      res.send(500, { headers: { 'Retry-After': '1' } });
      return;
    }
    log.info('registration', { bindings: result.bindings.length });
    res.send(200, { headers: contactHeaders(result.bindings) });
    if (contacts.length > 0) deps.changed?.(tenant, aor.user);
  };
}

/**
 * RFC 3261 10.3 leaves local policy to the registrar, and 21.4.4: 403 is "the server
 * understood the request, but is refusing to fulfill it. Authorization will not help":
 * the same REGISTER will never be accepted, so the phone must not retry it as is (a 5xx
 * would invite that). Nothing of it was stored.
 */
function tooMany(res: Srf.SrfResponse, max: number): void {
  respond(res, 403, `Forbidden - Too Many Contacts (at most ${max})`);
}

function contactHeaders(bindings: Binding[]): Record<string, string> {
  const headers: Record<string, string> = { Date: new Date().toUTCString() };
  if (bindings.length > 0) headers.Contact = bindings.map((b) => `<${b.contact}>;expires=${b.expires}`).join(', ');
  return headers;
}

/** RFC 5626 4.2: `+sip.instance="<urn:uuid:...>"` -> the URN. */
function instanceOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  let v = value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1) : value;
  if (v.startsWith('<') && v.endsWith('>')) v = v.slice(1, -1);
  return v || undefined;
}
