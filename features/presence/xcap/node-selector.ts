/**
 * The XCAP node selector (RFC 4825 6.3) and the namespace bindings of the query string
 * (RFC 4825 6.4), read by a hand-written scanner: one pass, no backtracking, over input
 * bounded by MAX_SELECTOR. Names are resolved to {namespace, local} here, so evaluation
 * never sees a prefix.
 *
 *   node-selector     = element-selector ["/" terminal-selector]
 *   element-selector  = step *( "/" step)
 *   step              = by-name / by-pos / by-attr / by-pos-attr
 *   by-pos            = NameorAny "[" position "]"
 *   by-attr           = NameorAny "[" "@" att-name "=" AttValue "]"
 *   by-pos-attr       = NameorAny "[" position "]" "[" "@" att-name "=" AttValue "]"
 *   terminal-selector = "@" QName / "namespace::*"
 */

export const MAX_SELECTOR = 2048;
const MAX_STEPS = 32;

export interface QName {
  /** '' for no namespace (unprefixed attributes) */
  ns: string;
  local: string;
}

export interface Step {
  /** undefined: `*`, any element */
  name?: QName;
  /** 1-based position among the siblings the name matches */
  position?: number;
  attr?: { name: QName; value: string };
}

export interface NodeSelector {
  steps: Step[];
  /** `@name`: the step's attribute; `namespace`: its namespace bindings */
  terminal?: { kind: 'attribute'; name: QName } | { kind: 'namespace' };
}

export class SelectorError extends Error {}

function isNameStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c > '\u007f';
}
function isNameChar(c: string): boolean {
  return isNameStart(c) || (c >= '0' && c <= '9') || c === '-' || c === '.';
}

/**
 * The prefix bindings of `xmlns(p=urn:x)xmlns(q=urn:y)` (RFC 4825 6.4, the XPointer
 * xmlns() scheme), already percent-decoded.
 */
export function parseNamespaceBindings(query: string): Map<string, string> {
  const out = new Map<string, string>();
  if (query.length > MAX_SELECTOR) throw new SelectorError('query too long');
  let i = 0;
  while (i < query.length) {
    if (query.startsWith('xmlns(', i) === false) throw new SelectorError('query must be xmlns(prefix=namespace) bindings');
    i += 6;
    const eq = query.indexOf('=', i);
    const close = query.indexOf(')', i);
    if (eq < 0 || close < 0 || eq > close) throw new SelectorError('malformed xmlns() binding');
    const prefix = query.slice(i, eq).trim();
    const uri = query.slice(eq + 1, close).trim();
    if (!prefix || ![...prefix].every(isNameChar) || !isNameStart(prefix[0]) || !uri) throw new SelectorError('malformed xmlns() binding');
    out.set(prefix, uri);
    i = close + 1;
  }
  return out;
}

const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: '\'' };

/** XML AttValue (quoted) references decoded: the predefined entities and character references. */
export function decodeRefs(s: string): string {
  if (!s.includes('&')) return s;
  let out = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c !== '&') {
      out += c;
      i++;
      continue;
    }
    const semi = s.indexOf(';', i);
    if (semi < 0 || semi - i > 10) throw new SelectorError('bad reference in attribute value');
    const ref = s.slice(i + 1, semi);
    if (ref.startsWith('#')) {
      const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      if (!Number.isInteger(code) || code <= 0 || code > 0x10ffff) throw new SelectorError('bad character reference');
      out += String.fromCodePoint(code);
    } else if (ref in PREDEFINED) {
      out += PREDEFINED[ref];
    } else {
      throw new SelectorError(`unknown entity &${ref};`);
    }
    i = semi + 1;
  }
  return out;
}

class Scanner {
  i = 0;
  constructor(readonly s: string, private readonly bindings: Map<string, string>, private readonly defaultNs: string) {}

  get done(): boolean {
    return this.i >= this.s.length;
  }
  peek(): string {
    return this.s[this.i] ?? '';
  }
  expect(c: string): void {
    if (this.s[this.i] !== c) throw new SelectorError(`expected '${c}' at ${this.i}`);
    this.i++;
  }

  private ncName(): string {
    const start = this.i;
    if (!isNameStart(this.peek())) throw new SelectorError(`expected a name at ${this.i}`);
    while (!this.done && isNameChar(this.peek())) this.i++;
    return this.s.slice(start, this.i);
  }

  /** A QName resolved through the bindings; unprefixed: `unprefixedNs` (RFC 4825 6.3). */
  qname(unprefixedNs: string): QName {
    const first = this.ncName();
    if (this.peek() !== ':') return { ns: unprefixedNs, local: first };
    this.i++;
    const local = this.ncName();
    const ns = this.bindings.get(first);
    if (ns === undefined) throw new SelectorError(`prefix '${first}' has no xmlns() binding`);
    return { ns, local };
  }

  position(): number {
    const start = this.i;
    while (!this.done && this.peek() >= '0' && this.peek() <= '9') this.i++;
    const digits = this.s.slice(start, this.i);
    const n = Number(digits);
    if (!digits || digits.length > 6 || n < 1) throw new SelectorError(`bad position at ${start}`);
    return n;
  }

  /** `@name="value"` or `@name='value'` */
  attrTest(): { name: QName; value: string } {
    this.expect('@');
    const name = this.qname('');
    this.expect('=');
    const quote = this.peek();
    if (quote !== '"' && quote !== '\'') throw new SelectorError(`expected a quoted value at ${this.i}`);
    const end = this.s.indexOf(quote, this.i + 1);
    if (end < 0) throw new SelectorError('unterminated attribute value');
    const raw = this.s.slice(this.i + 1, end);
    if (raw.includes('<')) throw new SelectorError('\'<\' in attribute value');
    this.i = end + 1;
    return { name, value: decodeRefs(raw) };
  }

  step(): Step {
    const step: Step = {};
    if (this.peek() === '*') this.i++;
    else step.name = this.qname(this.defaultNs);
    if (this.peek() === '[') {
      this.i++;
      if (this.peek() === '@') {
        step.attr = this.attrTest();
        this.expect(']');
        return step;
      }
      step.position = this.position();
      this.expect(']');
      if (this.peek() === '[') {
        this.i++;
        step.attr = this.attrTest();
        this.expect(']');
      }
    }
    return step;
  }
}

/**
 * Parses a percent-decoded node selector. `defaultNs` is the application usage's default
 * document namespace, which unprefixed element names are in (RFC 4825 6.3).
 */
export function parseNodeSelector(selector: string, bindings: Map<string, string>, defaultNs: string): NodeSelector {
  if (!selector || selector.length > MAX_SELECTOR) throw new SelectorError('node selector empty or too long');
  const sc = new Scanner(selector, bindings, defaultNs);
  const out: NodeSelector = { steps: [] };
  for (;;) {
    if (sc.peek() === '@') {
      sc.i++;
      out.terminal = { kind: 'attribute', name: sc.qname('') };
      break;
    }
    if (selector.startsWith('namespace::*', sc.i)) {
      sc.i += 'namespace::*'.length;
      out.terminal = { kind: 'namespace' };
      break;
    }
    if (out.steps.length >= MAX_STEPS) throw new SelectorError('too many steps');
    out.steps.push(sc.step());
    if (sc.done) break;
    sc.expect('/');
  }
  if (!sc.done) throw new SelectorError(`unexpected '${sc.peek()}' at ${sc.i}`);
  if (out.steps.length === 0) throw new SelectorError('no element step');
  return out;
}
