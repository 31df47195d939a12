import { randomBytes } from 'node:crypto';

/**
 * Tags, branches and Call-IDs: a random per-process prefix plus a counter is unique
 * (RFC 3261 8.1.1.7, 19.3) and far cheaper than fresh randomness per message.
 */
const prefix = randomBytes(6).toString('base64url');
let counter = Math.floor(Math.random() * 1e6);

function next(): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return counter.toString(36);
}

export function newBranch(): string {
  return `z9hG4bK${prefix}${next()}`;
}

export function newTag(): string {
  return `${prefix.slice(0, 4)}${next()}`;
}

/** Opaque ids for the wire protocol (message and transaction ids): unique per process run. */
export function newId(): string {
  return `${prefix}-${next()}`;
}

export function newCallId(): string {
  return `${randomBytes(8).toString('hex')}-${next()}`;
}

/** A starting CSeq well inside 2^31 so increments never overflow (RFC 3261 8.1.1.5). */
export function newCseq(): number {
  return 1 + Math.floor(Math.random() * 1e8);
}
