import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CallListener, CallManager } from '../calls';

/** What the call metrics read of the call model. */
export type CallSource = Pick<CallManager, 'subscribe' | 'list'>;

/**
 * The feature server's Prometheus metrics (DESIGN: metrics in the Prometheus text format
 * through prom-client), one registry per server so two servers in one process never mix
 * their numbers. The process's own (CPU, memory, event-loop lag, GC) and the call
 * model's; features add theirs to the same registry (FeatureContext.metrics).
 */
export function createMetrics(calls: CallSource): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'feature_server_calls',
    help: 'Calls on this instance, by state',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const state of ['routing', 'ringing', 'answered']) this.set({ state }, 0);
      for (const c of calls.list()) this.inc({ state: c.state });
    },
  });
  const offered = new Counter({ name: 'feature_server_calls_offered_total', help: 'Calls offered: every call the B2BUA took, answered or not', registers: [registry] });
  const answered = new Counter({ name: 'feature_server_calls_answered_total', help: 'Calls answered', registers: [registry] });
  const ended = new Counter({
    name: 'feature_server_calls_ended_total',
    help: 'Calls ended, by reason (caller-hangup, no-answer, failed-486, park-timeout, ...)',
    labelNames: ['reason'],
    registers: [registry],
  });
  const toAnswer = new Histogram({
    name: 'feature_server_call_answer_seconds',
    help: 'From the INVITE to the answer',
    buckets: [0.1, 0.5, 1, 2, 5, 10, 20, 30, 60],
    registers: [registry],
  });
  // a call counts as offered once, at its first sign of life: ringing, or answered or
  // ended without having rung (a failure before any ringing was offered too)
  const counted = new WeakSet<object>();
  const offer = (call: object): void => {
    if (counted.has(call)) return;
    counted.add(call);
    offered.inc();
  };
  const listener: CallListener = {
    onRinging(call) {
      offer(call);
    },
    onAnswered(call) {
      offer(call);
      answered.inc();
      if (call.answeredAt) toAnswer.observe((call.answeredAt - call.createdAt) / 1000);
    },
    onEnded(call, reason) {
      offer(call);
      // failed-<status>: the status stays, a bounded set; anything else is a fixed word
      ended.inc({ reason });
    },
  };
  calls.subscribe(listener);
  return registry;
}
