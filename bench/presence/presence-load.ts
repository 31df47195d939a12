import { header, type SipMessage } from '../../test/integration/races/sip-message';
import { requestWithAuth, type SharedNonce } from './digest';
import { markerIn, pidf, type Plan } from './plan';
import { randomTag, type UdpUa } from './udp-ua';

/**
 * The presence load of bench:presence over the raw UA: every watcher's SUBSCRIBEs
 * (RFC 3856, RFC 6665), the NOTIFYs they bring, and PUBLISHes (RFC 3903) whose NOTIFYs
 * are told apart by a marker in the published note, so the time from a PUBLISH to the
 * last of its watchers' NOTIFYs can be read.
 */

interface Sub {
  watcher: number;
  presentity: number;
  /** performance.now() the authenticated SUBSCRIBE left */
  sentAt: number;
  status?: number;
  answeredAt?: number;
  firstNotifyAt?: number;
  firstState?: string;
  terminated?: string;
}

interface Waiter {
  expect: Set<string>;
  lastAt: number;
  done(): void;
}

export interface SubscribeReport {
  asked: number;
  /** 2xx and a first NOTIFY active */
  established: number;
  /** final answers that were not 2xx, by status ('timeout' for none) */
  failures: Record<string, number>;
  /** first NOTIFYs that were not active (pending, terminated) */
  notActive: number;
  /** ms, sorted: authenticated SUBSCRIBE to its 2xx, and to its first NOTIFY */
  toAnswer: number[];
  toFirstNotify: number[];
  ms: number;
}

export interface PublishResult {
  status: number;
  /** ms from the PUBLISH that was answered 200 to the last NOTIFY of its watchers carrying it */
  latency: number;
  /** ms from that PUBLISH to its 200 */
  answer: number;
  /** watchers whose NOTIFY with this publication did not come within the wait */
  missing: number;
  watchers: number;
}

export interface LoadOptions {
  ua: UdpUa;
  nonce: SharedNonce;
  plan: Plan;
  tenant: string;
  server: { host: string; port: number };
  /** sockets the watchers share (watcher i uses socket floor(i / watchersPerSocket)); publishers use `publishSocket` */
  watchersPerSocket: number;
  publishSocket: number;
  expires: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class PresenceLoad {
  private readonly subs = new Map<string, Sub>();
  /** call-ids of the established subscriptions, per presentity */
  private readonly live: string[][];
  private readonly waiters = new Map<string, Waiter>();
  private seq = 0;
  /** NOTIFYs seen, by the Subscription-State value's first word */
  readonly notifyStates: Record<string, number> = {};

  constructor(private readonly o: LoadOptions) {
    this.live = o.plan.presentities.map(() => []);
    o.ua.onRequest((m, at) => this.onRequest(m, at));
  }

  /** Established subscriptions to presentity `p`. */
  liveCount(p: number): number {
    return this.live[p].length;
  }

  /**
   * Every watcher subscribes to each presentity it watches, at most `rate` new
   * SUBSCRIBEs a second and `window` unanswered at once; resolves when each has its
   * answer and first NOTIFY, or `settleMs` after the last answer.
   */
  async subscribeAll(rate: number, window: number, settleMs: number): Promise<SubscribeReport> {
    const { plan } = this.o;
    const order: Array<[number, number]> = [];
    const per = plan.watches[0]?.length ?? 0;
    for (let j = 0; j < per; j++) for (let w = 0; w < plan.watchers.length; w++) order.push([w, plan.watches[w][j]]);
    const failures: Record<string, number> = {};
    const t0 = performance.now();
    let inFlight = 0;
    let freed: (() => void) | undefined;
    const all: Array<Promise<void>> = [];
    for (let i = 0; i < order.length; i++) {
      const due = t0 + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      while (inFlight >= window) await new Promise<void>((r) => (freed = r));
      inFlight++;
      const [w, p] = order[i];
      all.push(this.subscribe(w, p).then((status) => {
        if (status < 200 || status >= 300) failures[String(status)] = (failures[String(status)] ?? 0) + 1;
      }, () => {
        failures.timeout = (failures.timeout ?? 0) + 1;
      }).finally(() => {
        inFlight--;
        freed?.();
        freed = undefined;
      }));
    }
    await Promise.all(all);
    // the first NOTIFY follows the 2xx (RFC 6665 4.2.1.2); wait for the stragglers a bounded time
    const end = performance.now() + settleMs;
    while (performance.now() < end && [...this.subs.values()].some((s) => s.status !== undefined && s.status < 300 && s.firstNotifyAt === undefined)) {
      await sleep(100);
    }
    const ms = performance.now() - t0;
    const subs = [...this.subs.values()];
    const ok = subs.filter((s) => s.status !== undefined && s.status >= 200 && s.status < 300);
    const established = ok.filter((s) => s.firstState === 'active');
    return {
      asked: order.length, established: established.length, failures, ms,
      notActive: ok.filter((s) => s.firstState !== undefined && s.firstState !== 'active').length,
      toAnswer: ok.map((s) => (s.answeredAt ?? s.sentAt) - s.sentAt).sort((a, b) => a - b),
      toFirstNotify: established.map((s) => (s.firstNotifyAt ?? s.sentAt) - s.sentAt).sort((a, b) => a - b),
    };
  }

  /**
   * One more subscription, of watcher `w` to presentity `p`, past those of the plan: its
   * final status (what the server does at its subscription limits, RFC 6665 4.2.1.2).
   */
  extra(w: number, p: number): Promise<number> {
    return this.subscribe(w, p);
  }

  private async subscribe(w: number, p: number): Promise<number> {
    const { plan, tenant, server } = this.o;
    const watcher = plan.watchers[w];
    const target = plan.presentities[p].user;
    const socket = Math.floor(w / this.o.watchersPerSocket);
    const callId = `${randomTag()}-${w}-${p}@bench`;
    const tag = randomTag();
    const sub: Sub = { watcher: w, presentity: p, sentAt: performance.now() };
    this.subs.set(callId, sub);
    const sent = await requestWithAuth(this.o.ua, socket, this.o.nonce, watcher, (cseq) => ({
      method: 'SUBSCRIBE', uri: `sip:${target}@${server.host}:${server.port}`, callId, cseq,
      from: `<sip:${watcher.user}@${tenant}>;tag=${tag}`, to: `<sip:${target}@${tenant}>`,
      headers: { Contact: `<sip:${watcher.user}@127.0.0.1:${this.o.ua.port(socket)}>`, Event: 'presence',
        Accept: 'application/pidf+xml', Expires: String(this.o.expires) },
    }));
    sub.sentAt = sent.sentAt;
    sub.status = sent.res.status;
    sub.answeredAt = sent.answeredAt;
    if (sent.res.status !== undefined && sent.res.status >= 200 && sent.res.status < 300) this.live[p].push(callId);
    return sent.res.status ?? 0;
  }

  /**
   * Presentity `p` publishes a new document (an initial PUBLISH, RFC 3903 4.2); resolves
   * when each of its established watchers has had a NOTIFY with it, or after `waitMs`.
   */
  async publish(p: number, waitMs: number): Promise<PublishResult> {
    const { plan, tenant, server } = this.o;
    const who = plan.presentities[p];
    const marker = `bench-pub-${++this.seq}`;
    const expect = new Set(this.live[p]);
    let resolveAll: () => void = () => undefined;
    const all = new Promise<void>((r) => (resolveAll = r));
    const waiter: Waiter = { expect, lastAt: 0, done: resolveAll };
    this.waiters.set(marker, waiter);
    if (expect.size === 0) resolveAll();
    const entity = `sip:${who.user}@${tenant}`;
    const tag = randomTag();
    const callId = `${randomTag()}-pub-${p}@bench`;
    try {
      const sent = await requestWithAuth(this.o.ua, this.o.publishSocket, this.o.nonce, who, (cseq) => ({
        method: 'PUBLISH', uri: `sip:${who.user}@${server.host}:${server.port}`, callId, cseq,
        from: `<${entity}>;tag=${tag}`, to: `<${entity}>`,
        headers: { Event: 'presence', Expires: '3600' }, body: pidf(entity, marker), contentType: 'application/pidf+xml',
      }));
      const status = sent.res.status ?? 0;
      if (status !== 200) return { status, latency: NaN, answer: sent.answeredAt - sent.sentAt, missing: expect.size, watchers: this.live[p].length };
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([all, new Promise<void>((r) => (timer = setTimeout(r, waitMs)))]);
      clearTimeout(timer);
      return {
        status, answer: sent.answeredAt - sent.sentAt, missing: expect.size, watchers: this.live[p].length,
        latency: expect.size === 0 && this.live[p].length > 0 ? waiter.lastAt - sent.sentAt : NaN,
      };
    } finally {
      this.waiters.delete(marker);
    }
  }

  private onRequest(m: SipMessage, at: number): void {
    if (m.method !== 'NOTIFY') return;
    const callId = header(m, 'call-id');
    const state = header(m, 'subscription-state').split(';')[0].trim().toLowerCase();
    this.notifyStates[state] = (this.notifyStates[state] ?? 0) + 1;
    const sub = this.subs.get(callId);
    if (!sub) return;
    if (sub.firstNotifyAt === undefined) {
      sub.firstNotifyAt = at;
      sub.firstState = state;
    }
    if (state === 'terminated') {
      sub.terminated = header(m, 'subscription-state');
      const list = this.live[sub.presentity];
      const i = list.indexOf(callId);
      if (i !== -1) list.splice(i, 1);
    }
    const marker = markerIn(m.body);
    const waiter = marker ? this.waiters.get(marker) : undefined;
    if (waiter?.expect.delete(callId)) {
      waiter.lastAt = Math.max(waiter.lastAt, at);
      if (waiter.expect.size === 0) waiter.done();
    }
  }

  /** Subscriptions ended by the server (terminated NOTIFYs), by reason. */
  terminations(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.subs.values()) if (s.terminated) out[s.terminated] = (out[s.terminated] ?? 0) + 1;
    return out;
  }
}
