import type { StepResult } from './step';

const pct = (x: number | undefined): string => (x !== undefined && Number.isFinite(x) ? `${(x * 100).toFixed(0)}%` : 'n/a');
const ms = (x: number): string => (Number.isFinite(x) ? String(Math.round(x * 10) / 10) : 'n/a');

/** Calls up half-way through a step on each instance, in instance order: "20/20". */
export function spreadOf(r: StepResult, instances: string[]): string {
  return instances.map((i) => r.spread[i] ?? 0).join('/');
}

/** CPU columns in report order: the instances and their engines first, the shared pieces, then the load generators. */
function cpuColumns(r: StepResult): Array<{ key: string; head: string }> {
  const keys = Object.keys(r.cpu);
  const instances = keys.filter((k) => k.startsWith('fs-'));
  return [
    ...instances.flatMap((k) => [{ key: k, head: k }, { key: `engine-${k}`, head: `eng-${k.slice(3)}` }]),
    ...['rtpengine', 'redis', 'kamailio', 'sipp-uac', 'sipp-uas'].filter((k) => keys.includes(k)).map((k) => ({ key: k, head: k })),
  ];
}

export function printStep(r: StepResult, seconds: number): void {
  const spread = Object.entries(r.spread).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  console.log(`[${r.phase}] rate ${r.rate}/s for ${seconds}s: ${r.successful}/${r.calls} ok, ${r.failed} failed${r.failures ? ` (${r.failures})` : ''}, ` +
    `uac retransmissions ${r.retransmissions}, INVITE(auth)->200 p50 ${ms(r.p50)} ms p99 ${ms(r.p99)} ms; calls up half-way: ${spread}`);
  const cols = cpuColumns(r);
  console.log(`  CPU (1 core = 100%): ${cols.map((c) => `${c.head} ${pct(r.cpu[c.key])}`).join(', ')}; other processes ${pct(r.others)}, stolen ${pct(r.steal)}`);
  console.log(`  CPU, busiest 2 s of each: ${cols.map((c) => `${c.head} ${pct(r.cpuPeak[c.key])}`).join(', ')}`);
  const dropped = Object.entries(r.drops).filter(([, v]) => v > 0);
  if (dropped.length) console.log(`  UDP datagrams dropped on full sockets: ${dropped.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if (r.leftCalls !== 0 || r.leftMedia !== 0) {
    console.log(`  after the step: ${r.leftCalls} calls still listed, ${Number.isNaN(r.leftMedia) ? 'n/a' : r.leftMedia} held by rtpengine` +
      `${r.hungUp ? `; the bench hung up ${r.hungUp} of them (DELETE /v1/calls/:id)` : ''}`);
  }
  const excerpt = (lines: string[]): string => lines.slice(0, 3).map((l) => `\n    ${l.slice(0, 300)}`).join('');
  if (r.edgeWarnings) console.log(`  kamailio logged ${r.edgeWarnings} warnings/errors:${excerpt(r.edgeLog)}`);
  for (const [name, lines] of Object.entries(r.serverLog)) {
    if (lines.length) console.log(`  ${name} logged ${lines.length} warnings/errors:${excerpt(lines)}`);
  }
  if (r.errors) console.log(`  first sipp errors:\n${r.errors.split('\n').slice(0, 12).map((l) => `    ${l}`).join('\n')}`);
}

/** Every step as one row: the table the issue asks for. */
export function printTable(results: StepResult[], instances: string[]): void {
  if (!results.length) return;
  const cols = cpuColumns(results[results.length - 1]);
  const head = ['instances', 'rate/s', 'ok/calls', 'failed', 'p50 ms', 'p99 ms', `up ${instances.map((i) => i.slice(3)).join('/')}`, ...cols.map((c) => c.head), 'all', 'others', 'steal'];
  const rows = results.map((r) => [r.phase, String(r.rate), `${r.successful}/${r.calls}`, String(r.failed), ms(r.p50), ms(r.p99), spreadOf(r, instances),
    ...cols.map((c) => pct(r.cpu[c.key])), pct(Object.values(r.cpu).filter(Number.isFinite).reduce((a, b) => a + b, 0)), pct(r.others), pct(r.steal)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(head));
  for (const row of rows) console.log(line(row));
  console.log(`(up ${instances.map((i) => i.slice(3)).join('/')}: calls up half-way through the step on each instance; ` +
    'CPU: steady-state mean, 1 core = 100%; "all" adds every process above, load generators included; ' +
    '"others": every other process on the machine, "steal": CPU the hypervisor gave to other guests; both should be near 0%)');
}

/** What counts as a rate held: zero failures, and maybe a bound on the INVITE(auth)->200 p99 as well. */
export interface Criterion {
  label: string;
  held(r: StepResult): boolean;
}

/** The highest rate of a phase that meets `c`, and whether it was the highest step tried (the limit is then higher). */
function best(results: StepResult[], phase: string, lastRate: number, c: Criterion): { r?: StepResult; ceiling: boolean } {
  const held = results.filter((x) => x.phase === phase && c.held(x)).sort((a, b) => a.rate - b.rate).pop();
  return { r: held, ceiling: held?.rate === lastRate };
}

/** For one criterion: the highest rate of each phase and the ratio two/one; false if a phase held no rate. */
export function printVerdict(results: StepResult[], phases: Array<{ label: string; serving: string[] }>, lastRate: number, c: Criterion): boolean {
  console.log(`highest rate held with ${c.label}:`);
  const held = phases.map((p) => ({ p, ...best(results, p.label, lastRate, c) }));
  for (const { p, r, ceiling } of held) {
    const what = `  ${p.label === 'one' ? 'one instance ' : 'two instances'} (${p.serving.join(' + ')})`;
    console.log(r
      ? `${what}: ${ceiling ? '>= ' : ''}${r.rate} calls/s${ceiling ? ' (the highest step tried)' : ''}, INVITE(auth)->200 p50 ${ms(r.p50)} ms p99 ${ms(r.p99)} ms`
      : `${what}: none${results.some((x) => x.phase === p.label) ? '' : ' (not run)'}`);
  }
  const [one, two] = held;
  if (one?.r && two?.r) {
    const ratio = (two.r.rate / one.r.rate).toFixed(2);
    if (one.ceiling && two.ceiling) console.log(`  ratio two/one: ${ratio}, meaningless: both held the highest step tried (raise BENCH_RATES)`);
    else if (two.ceiling) console.log(`  ratio two/one: >= ${ratio} (two instances held the highest step tried)`);
    else if (one.ceiling) console.log(`  ratio two/one: <= ${ratio} (one instance held the highest step tried)`);
    else console.log(`  ratio two/one: ${ratio}`);
  }
  return held.every((h) => h.r);
}
