import { canonicalName, headerKey, isListHeader, splitList } from './headers';

export interface Header {
  /** lower-case long form, used for lookups */
  key: string;
  /** name as it will be written */
  name: string;
  value: string;
}

/**
 * A parsed SIP message (RFC 3261 section 7). Headers keep their order; a header that
 * appeared comma-joined stays one entry until someone asks for its elements.
 */
export class SipMessage {
  method = '';
  uri = '';
  status = 0;
  reason = '';
  headers: Header[] = [];
  body: Buffer = Buffer.alloc(0);

  get isRequest(): boolean {
    return this.method !== '';
  }

  get isResponse(): boolean {
    return this.status !== 0;
  }

  static request(method: string, uri: string): SipMessage {
    const m = new SipMessage();
    m.method = method;
    m.uri = uri;
    return m;
  }

  static response(status: number, reason: string): SipMessage {
    const m = new SipMessage();
    m.status = status;
    m.reason = reason;
    return m;
  }

  has(name: string): boolean {
    const key = headerKey(name);
    return this.headers.some((h) => h.key === key);
  }

  /** First value of a header (for list headers: the first element). */
  get(name: string): string | undefined {
    const key = headerKey(name);
    const h = this.headers.find((x) => x.key === key);
    if (!h) return undefined;
    return isListHeader(key) ? splitList(h.value)[0] : h.value;
  }

  /** Every value: entries in order, list headers split into their elements. */
  getAll(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    for (const h of this.headers) {
      if (h.key !== key) continue;
      if (isListHeader(key)) out.push(...splitList(h.value).filter((v) => v !== ''));
      else out.push(h.value);
    }
    return out;
  }

  /** Count of header lines with this name (not of list elements). */
  count(name: string): number {
    const key = headerKey(name);
    let n = 0;
    for (const h of this.headers) if (h.key === key) n++;
    return n;
  }

  set(name: string, value: string): this {
    const key = headerKey(name);
    const i = this.headers.findIndex((h) => h.key === key);
    if (i === -1) {
      this.headers.push({ key, name: canonicalName(key), value });
      return this;
    }
    this.headers[i] = { key, name: this.headers[i].name, value };
    this.headers = this.headers.filter((h, j) => j <= i || h.key !== key);
    return this;
  }

  append(name: string, value: string): this {
    const key = headerKey(name);
    this.headers.push({ key, name: canonicalName(key), value });
    return this;
  }

  /** Insert before any existing header of the same name (Via, Record-Route). */
  prepend(name: string, value: string): this {
    const key = headerKey(name);
    const i = this.headers.findIndex((h) => h.key === key);
    const h = { key, name: canonicalName(key), value };
    if (i === -1) this.headers.push(h);
    else this.headers.splice(i, 0, h);
    return this;
  }

  remove(name: string): this {
    const key = headerKey(name);
    this.headers = this.headers.filter((h) => h.key !== key);
    return this;
  }

  /** Remove the first element of a list header (the top Via or Route). */
  shift(name: string): string | undefined {
    const key = headerKey(name);
    const i = this.headers.findIndex((h) => h.key === key);
    if (i === -1) return undefined;
    const parts = splitList(this.headers[i].value);
    const first = parts.shift();
    if (parts.length === 0) this.headers.splice(i, 1);
    else this.headers[i] = { ...this.headers[i], value: parts.join(', ') };
    return first;
  }

  /** Replace the first element of a list header (e.g. the top Via with received/rport). */
  replaceFirst(name: string, value: string): this {
    const key = headerKey(name);
    const i = this.headers.findIndex((h) => h.key === key);
    if (i === -1) return this.append(name, value);
    const parts = splitList(this.headers[i].value);
    parts[0] = value;
    this.headers[i] = { ...this.headers[i], value: parts.join(', ') };
    return this;
  }

  get callId(): string {
    return this.get('call-id') ?? '';
  }

  get cseq(): { seq: number; method: string } {
    const raw = this.get('cseq') ?? '';
    const m = /^\s*(\d+)\s+(\S+)\s*$/.exec(raw);
    return m ? { seq: Number(m[1]), method: m[2] } : { seq: NaN, method: '' };
  }

  clone(): SipMessage {
    const m = new SipMessage();
    m.method = this.method;
    m.uri = this.uri;
    m.status = this.status;
    m.reason = this.reason;
    m.headers = this.headers.map((h) => ({ ...h }));
    m.body = this.body;
    return m;
  }

  /** Serialize with a Content-Length that matches the body (RFC 3261 20.14). */
  toBuffer(): Buffer {
    return Buffer.from(this.toString(), 'utf8');
  }

  toString(): string {
    const start = this.isRequest
      ? `${this.method} ${this.uri} SIP/2.0\r\n`
      : `SIP/2.0 ${this.status} ${this.reason}\r\n`;
    let out = start;
    for (const h of this.headers) {
      if (h.key === 'content-length') continue;
      out += `${h.name}: ${h.value}\r\n`;
    }
    const body = this.body.toString('utf8');
    out += `Content-Length: ${Buffer.byteLength(body, 'utf8')}\r\n\r\n`;
    return out + body;
  }
}
