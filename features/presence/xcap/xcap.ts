import type { Logger } from 'winston';
import type { HttpMount } from '../../../lib/api';
import { defineEvent, guards, type BusEvent, type RequestBus } from '../../../lib/bus';
import { DigestAuth, type Ha1s } from '../../../lib/sip/digest-auth';
import { NonceCountStore, UserRepository, type RedisClient } from '../../../lib/store';
import { xcapHandler } from './handler';
import type { AuthGuard, CredentialLookup } from './http-digest';
import { authorize, compileRules, type Authorization, type CompiledRule } from './pres-rules';
import { expandList } from './resource-lists';
import { ListReferences } from './list-references';
import { DocumentStore, documentKey } from './store';
import { DOCUMENT_NAME, XCAP_ROOT } from './xcap-uri';
import { parseXml, XmlError, type XmlDocument } from './xml';

export type { Authorization } from './pres-rules';

export interface XcapChange {
  tenant: string;
  user: string;
  auid: string;
}

export interface Xcap {
  /** RFC 5025 pres-rules of `presentity` applied to a watcher URI; 'confirm' when no rule matches */
  authorize(tenant: string, presentity: string, watcherUri: string): Promise<Authorization>;
  /** entries (URIs) of the presentity's resource list (RFC 4826) `name`, undefined if none */
  list(tenant: string, user: string, name: string): Promise<string[] | undefined>;
  /** a user's document (auid 'pres-rules' | 'resource-lists') changed, on ANY instance */
  onChange(listener: (c: XcapChange) => void): () => void;
}

export interface XcapDeps {
  redis: RedisClient;
  logger: Logger;
  /** the instance bus: a write on any instance reaches onChange listeners on every one */
  bus: Pick<RequestBus, 'publish' | 'on'>;
  /**
   * the server's digest verifier (its shared nonce secret and nonce-count store), so any
   * instance accepts a nonce another issued; default: one of its own over `redis`
   */
  digest?: DigestAuth;
  /** a user's HA1s by tenant (default: the provisioned users in Redis) */
  credentials?: CredentialLookup;
  /** bans and failure counting shared with SIP (lib/security); none: HTTP guesses are not counted */
  guard?: AuthGuard;
  /** largest XCAP document and request body in bytes (default 64 KiB) */
  maxDocumentBytes?: number;
}

const { obj, str, oneOf } = guards;

/** A pres-rules or resource-lists document was written on some instance. */
export const xcapChanged: BusEvent<XcapChange> = defineEvent('xcap.changed',
  obj({ tenant: str({ max: 253 }), user: str({ max: 128, charset: 'any' }), auid: oneOf(['pres-rules', 'resource-lists'] as const) }));

/** compiled rules kept per document version; a bound on memory, not a correctness need */
const MAX_CACHED_RULESETS = 10_000;

function defaultCredentials(redis: RedisClient): CredentialLookup {
  const users = new UserRepository(redis);
  return async (tenant, user): Promise<Ha1s | undefined> => {
    const c = await users.credentials(tenant, user);
    return c ? { MD5: c.ha1, ...(c.ha1Sha256 ? { 'SHA-256': c.ha1Sha256 } : {}) } : undefined;
  };
}

/**
 * The XCAP server of presence (RFC 4825, with the resource-lists, pres-rules and
 * xcap-caps usages) and what the SIP side asks of it: a watcher's authorization, a
 * user's buddy list, and word of every change.
 */
export function createXcap(deps: XcapDeps): Xcap & { mount(http: HttpMount): void; stop(): Promise<void> } {
  const logger = deps.logger.child({ component: 'xcap' });
  const store = new DocumentStore(deps.redis);
  const digest = deps.digest ?? new DigestAuth({ counter: new NonceCountStore(deps.redis) });
  const credentials = deps.credentials ?? defaultCredentials(deps.redis);
  const maxDocumentBytes = deps.maxDocumentBytes ?? 64 * 1024;
  const listeners = new Set<(c: XcapChange) => void>();
  const rulesCache = new Map<string, { etag: string; rules: CompiledRule[] }>();

  const references = new ListReferences();
  const readLists = async (tenant: string, user: string): Promise<XmlDocument | undefined> => {
    const doc = await store.get(documentKey(tenant, user, 'resource-lists', DOCUMENT_NAME));
    if (!doc) return undefined;
    try {
      return parseXml(doc.body);
    } catch (err) {
      if (!(err instanceof XmlError)) throw err;
      logger.warn('unreadable resource-lists document', { tenant, user, error: err.message });
      return undefined;
    }
  };

  const tell = (c: XcapChange): void => {
    for (const l of [...listeners]) {
      try {
        l(c);
      } catch (err) {
        logger.warn('xcap change listener failed', { error: (err as Error).message });
      }
    }
  };
  const deliver = (c: XcapChange): void => {
    tell(c);
    // RFC 4662 / RFC 4826 3.2: the lists that reference this user's document changed with it
    if (c.auid === 'resource-lists') for (const owner of references.dependents(c.tenant, c.user)) tell({ ...c, user: owner });
  };
  const unsubscribe = deps.bus.on(xcapChanged, deliver);

  const changed = (c: XcapChange): void => {
    deps.bus.publish(xcapChanged, c).catch((err: Error) => {
      // the bus is down: this instance still hears it; the others read the new document on their next lookup
      logger.warn('xcap change not published', { error: err.message, ...c });
      deliver(c);
    });
  };

  const handler = xcapHandler({ store, digest, credentials, guard: deps.guard, logger, maxDocumentBytes, changed });

  return {
    async authorize(tenant, presentity, watcherUri) {
      const doc = await store.get(documentKey(tenant, presentity, 'pres-rules', DOCUMENT_NAME));
      if (!doc) return 'confirm';
      const cacheKey = `${tenant.toLowerCase()}\n${presentity}`;
      let entry = rulesCache.get(cacheKey);
      if (entry?.etag !== doc.etag) {
        let rules: CompiledRule[];
        try {
          rules = compileRules(parseXml(doc.body));
        } catch (err) {
          if (!(err instanceof XmlError)) throw err;
          // stored documents were validated; a hand-edited one grants nothing
          logger.warn('unreadable pres-rules document', { tenant, presentity, error: err.message });
          rules = [];
        }
        if (rulesCache.size >= MAX_CACHED_RULESETS) rulesCache.delete(rulesCache.keys().next().value as string);
        entry = { etag: doc.etag, rules };
        rulesCache.set(cacheKey, entry);
      }
      return authorize(entry.rules, watcherUri);
    },

    async list(tenant, user, name) {
      const expanded = await expandList(tenant, user, name, readLists);
      references.note(tenant, user, name, expanded?.sources ?? []);
      return expanded?.entries;
    },

    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    mount(http) {
      http.mount(XCAP_ROOT, handler, { bodyLimit: maxDocumentBytes });
    },

    async stop() {
      unsubscribe();
      listeners.clear();
      rulesCache.clear();
      references.clear();
    },
  };
}
