import { NS, SUB_HANDLING } from './usages';
import { childElements, localName, textOf, type XmlDocument, type XmlElement } from './xml';

/**
 * Presence authorization rules (RFC 5025 on the common policy of RFC 4745): a pres-rules
 * document compiled once into plain data, then evaluated per watcher.
 */

export type Authorization = 'allow' | 'block' | 'polite-block' | 'confirm';

/** RFC 5025 3.2.1: the values' order for combining; the larger wins (RFC 4745 10.2). */
const RANK: Record<Authorization, number> = { block: 0, confirm: 10, 'polite-block': 20, allow: 30 };

interface Many {
  /** undefined: any domain */
  domain?: string;
  exceptIds: string[];
  exceptDomains: string[];
}

type Condition =
  | { kind: 'identity'; ones: string[]; manys: Many[] }
  | { kind: 'validity'; intervals: Array<{ from: number; until: number }> }
  /** a condition this server cannot evaluate (sphere: the presentity's sphere is unknown here; other namespaces) */
  | { kind: 'unknown' };

export interface CompiledRule {
  id: string;
  conditions: Condition[];
  /** undefined: the rule grants no sub-handling permission */
  subHandling?: Authorization;
}

/**
 * A URI as identities compare (RFC 4745 6.1 with RFC 3261 19.1.4 for SIP): scheme and
 * host lower-cased, user part as it is, parameters, headers and port dropped.
 */
export function identityOf(uri: string): { id: string; domain?: string } {
  let s = uri.trim();
  if (s.startsWith('<')) s = s.slice(1, s.indexOf('>') < 0 ? undefined : s.indexOf('>'));
  const colon = s.indexOf(':');
  const scheme = colon > 0 ? s.slice(0, colon).toLowerCase() : '';
  if (scheme !== 'sip' && scheme !== 'sips') return { id: s };
  let rest = s.slice(colon + 1);
  for (const stop of [';', '?']) {
    const i = rest.indexOf(stop);
    if (i >= 0) rest = rest.slice(0, i);
  }
  const at = rest.lastIndexOf('@');
  const user = at < 0 ? '' : rest.slice(0, at);
  let host = (at < 0 ? rest : rest.slice(at + 1)).toLowerCase();
  const c = host.startsWith('[') ? host.indexOf(']') + 1 : host.indexOf(':');
  if (c > 0 && c < host.length) host = host.slice(0, c);
  // sips and sip name the same identity here: the watcher was authenticated either way
  return { id: `sip:${user ? `${user}@` : ''}${host}`, domain: host };
}

const cp = (e: XmlElement): boolean => (e.namespaceURI ?? '') === NS.commonPolicy;

function compileIdentity(e: XmlElement): Condition {
  const ones: string[] = [];
  const manys: Many[] = [];
  for (const c of childElements(e).filter(cp)) {
    if (localName(c) === 'one') ones.push(identityOf(c.getAttribute('id') ?? '').id);
    if (localName(c) === 'many') {
      const m: Many = { exceptIds: [], exceptDomains: [] };
      if (c.hasAttribute('domain')) m.domain = (c.getAttribute('domain') ?? '').toLowerCase();
      for (const x of childElements(c).filter(cp)) {
        if (x.hasAttribute('id')) m.exceptIds.push(identityOf(x.getAttribute('id') ?? '').id);
        if (x.hasAttribute('domain')) m.exceptDomains.push((x.getAttribute('domain') ?? '').toLowerCase());
      }
      manys.push(m);
    }
  }
  return { kind: 'identity', ones, manys };
}

function compileValidity(e: XmlElement): Condition {
  const intervals: Array<{ from: number; until: number }> = [];
  let from: number | undefined;
  for (const c of childElements(e).filter(cp)) {
    const t = Date.parse(textOf(c));
    if (localName(c) === 'from') from = t;
    if (localName(c) === 'until' && from !== undefined) {
      intervals.push({ from, until: t });
      from = undefined;
    }
  }
  return { kind: 'validity', intervals };
}

/** The rules of a (validated) pres-rules document. */
export function compileRules(doc: XmlDocument): CompiledRule[] {
  const root = doc.documentElement;
  if (!root) return [];
  const rules: CompiledRule[] = [];
  for (const r of childElements(root).filter((e) => cp(e) && localName(e) === 'rule')) {
    const rule: CompiledRule = { id: r.getAttribute('id') ?? '', conditions: [] };
    for (const part of childElements(r)) {
      if (cp(part) && localName(part) === 'conditions') {
        for (const c of childElements(part)) {
          const name = cp(c) ? localName(c) : '';
          rule.conditions.push(name === 'identity' ? compileIdentity(c) : name === 'validity' ? compileValidity(c) : { kind: 'unknown' });
        }
      }
      if (cp(part) && localName(part) === 'actions') {
        for (const a of childElements(part)) {
          const v = textOf(a) as Authorization;
          if ((a.namespaceURI ?? '') === NS.presRules && localName(a) === 'sub-handling' && (SUB_HANDLING as readonly string[]).includes(v)) rule.subHandling = v;
        }
      }
    }
    rules.push(rule);
  }
  return rules;
}

function manyMatches(m: Many, w: { id: string; domain?: string }): boolean {
  // RFC 4745 6.1: <many domain> is every identity of that domain; without one, every identity
  if (m.domain !== undefined && w.domain !== m.domain) return false;
  if (m.exceptIds.includes(w.id)) return false;
  return !(w.domain !== undefined && m.exceptDomains.includes(w.domain));
}

function conditionMatches(c: Condition, w: { id: string; domain?: string }, now: number): boolean {
  switch (c.kind) {
    // RFC 4745 5.1: the children of <identity> are alternatives
    case 'identity': return c.ones.includes(w.id) || c.manys.some((m) => manyMatches(m, w));
    case 'validity': return c.intervals.some((i) => i.from <= now && now < i.until);
    // RFC 4745 10.1: a rule whose condition cannot be evaluated does not apply (it can only grant)
    case 'unknown': return false;
  }
}

/**
 * The sub-handling for `watcherUri` (RFC 4745 10: every rule whose conditions all hold
 * applies, an empty <conditions> always holds; RFC 5025 3.2.1: their sub-handling values
 * combine to the largest). 'confirm' when no applying rule says anything (the watcher
 * waits, pending, for the presentity to decide: RFC 3857 reactive authorization).
 */
export function authorize(rules: CompiledRule[], watcherUri: string, now = Date.now()): Authorization {
  const w = identityOf(watcherUri);
  let best: Authorization | undefined;
  for (const r of rules) {
    if (!r.subHandling || !r.conditions.every((c) => conditionMatches(c, w, now))) continue;
    if (best === undefined || RANK[r.subHandling] > RANK[best]) best = r.subHandling;
  }
  return best ?? 'confirm';
}
