import { xmlEscape } from './xml';

/** RFC 3858 watcher information documents (application/watcherinfo+xml). */

export const WINFO_TYPE = 'application/watcherinfo+xml';
export const WINFO_NS = 'urn:ietf:params:xml:ns:watcherinfo';

/** RFC 3858 3.2: a watcher's status. */
export type WatcherStatus = 'pending' | 'active' | 'waiting' | 'terminated';

/** RFC 3858 3.2 / RFC 3857 3.5.1: what made the watcher's status what it is. */
export type WatcherEvent = 'subscribe' | 'approved' | 'deactivated' | 'probation' | 'rejected' | 'timeout' | 'giveup' | 'noresource';

export interface WatcherEntry {
  /** unique per watcher subscription, stable over its life (RFC 3858 4.2 id) */
  id: string;
  /** the watcher's URI (From of its SUBSCRIBE) */
  uri: string;
  status: WatcherStatus;
  event: WatcherEvent;
  /** seconds since the subscription started */
  durationSubscribed?: number;
  displayName?: string;
}

/**
 * RFC 3858 4: one watcher-list for the presence package of `resource`. `full` lists every
 * watcher; a partial document (RFC 3858 4.4) only those whose status changed since the
 * previous one. `version` counts documents on this winfo subscription from 0.
 */
export function watcherinfoXml(resource: string, version: number, state: 'full' | 'partial', watchers: readonly WatcherEntry[]): string {
  const items = watchers.map((w) => {
    const attrs = [`id="${xmlEscape(w.id)}"`, `status="${w.status}"`, `event="${w.event}"`];
    if (w.durationSubscribed !== undefined) attrs.push(`duration-subscribed="${Math.max(0, Math.floor(w.durationSubscribed))}"`);
    if (w.displayName) attrs.push(`display-name="${xmlEscape(w.displayName)}"`);
    return `<watcher ${attrs.join(' ')}>${xmlEscape(w.uri)}</watcher>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\r\n<watcherinfo xmlns="${WINFO_NS}" version="${version}" state="${state}">`
    + `<watcher-list resource="${xmlEscape(resource)}" package="presence">${items.join('')}</watcher-list></watcherinfo>\r\n`;
}
