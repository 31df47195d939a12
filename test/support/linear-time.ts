/**
 * A property check for parsers of network input: their cost must grow linearly with the
 * input's size. A parser is timed on an input of `base` size and one 8 times larger,
 * each the best of several runs (a busy machine only ever makes a run slower), and the
 * ratio must stay under `maxRatio` (linear: ~8; quadratic: ~64; cubic: ~512).
 *
 * Time is this process's CPU time, not the wall clock: on a loaded machine a short sample
 * often fits in one scheduler slice while a long one is spread over many, shared with
 * other processes, which made wall-clock ratios of linear parsers look quadratic.
 */

export interface LinearCase {
  /** what the input looks like, for the failure message */
  name: string;
  /** the pathological input of size `n` (built before timing) */
  input(n: number): string;
}

export interface LinearOptions {
  /** the smaller size; the larger is 8 times it */
  base?: number;
  /** fail when time(8 x base) / time(base) reaches this */
  maxRatio?: number;
  /** runs of each size; the fastest counts */
  runs?: number;
}

export interface LinearResult {
  name: string;
  base: number;
  small: number;
  large: number;
  ratio: number;
}

const FACTOR = 8;
/** each timed sample repeats the call until it costs this much CPU, so the clock's grain does not dominate */
const SAMPLE_MS = 4;
/** a call this fast at the larger size is linear enough whatever the ratio says */
const FLOOR_MS = 0.5;

function flat(s: string): string {
  return JSON.parse(JSON.stringify(s)) as string;
}

/** CPU ms (user + system, every thread of the process: the GC's work counts) of `iterations` calls */
function timeOnce(fn: () => unknown, iterations: number): number {
  const start = process.cpuUsage();
  for (let i = 0; i < iterations; i++) fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** The fastest of `runs` samples of `iterations` calls, in ms per call. */
function best(fn: () => unknown, iterations: number, runs: number): number {
  let min = Infinity;
  for (let r = 0; r < runs; r++) min = Math.min(min, timeOnce(fn, iterations) / iterations);
  return min;
}

/** How `parse` scales on `c`'s input from base to 8 x base. */
export function measureLinearity(parse: (s: string) => unknown, c: LinearCase, opts: LinearOptions = {}): LinearResult {
  const base = opts.base ?? 4096;
  const runs = opts.runs ?? 5;
  // flat copies: a string built by concatenation is a rope, and the first reads of a rope
  // cost more than the parser does
  const small = flat(c.input(base));
  const large = flat(c.input(base * FACTOR));
  const once = (s: string) => (): unknown => {
    try {
      return parse(s);
    } catch {
      return undefined; // a parser may throw on garbage; only its time matters here
    }
  };
  // warm up (JIT, string flattening) and size each size's sample so it costs about SAMPLE_MS
  const sized = (s: string): number => {
    const warm = timeOnce(once(s), 3) / 3;
    return Math.max(1, Math.min(100_000, Math.ceil(SAMPLE_MS / Math.max(warm, 1e-5))));
  };
  const smallIterations = sized(small);
  const largeIterations = sized(large);
  let ratio = Infinity;
  let tSmall = 0;
  let tLarge = 0;
  // more attempts when one looks super-linear: an unlucky stall (a major GC of the large
  // strings, memory bandwidth shared with a parallel suite) is not a bug, and a real
  // quadratic parser stays quadratic every time
  for (let attempt = 0; attempt < 3 && ratio >= (opts.maxRatio ?? 20); attempt++) {
    tSmall = best(once(small), smallIterations, runs);
    tLarge = best(once(large), largeIterations, runs);
    // below FLOOR_MS at 8 x base, the timer and the allocator dominate: no parser worry there
    ratio = tLarge < FLOOR_MS ? 0 : tLarge / Math.max(tSmall, 1e-6);
  }
  return { name: c.name, base, small: tSmall, large: tLarge, ratio };
}

/** Every case of `cases` through `parse`; the ones that scale worse than `maxRatio`. */
export function superLinearCases(parse: (s: string) => unknown, cases: readonly LinearCase[], opts: LinearOptions = {}): LinearResult[] {
  const maxRatio = opts.maxRatio ?? 20;
  return cases.map((c) => measureLinearity(parse, c, opts)).filter((r) => r.ratio >= maxRatio);
}

/** A readable line per failing case. */
export function describeResults(results: readonly LinearResult[]): string {
  return results.map((r) => `${r.name}: ${r.small.toFixed(3)} ms at ${r.base} chars, ${r.large.toFixed(3)} ms at ${r.base * FACTOR} (x${r.ratio.toFixed(1)})`).join('\n');
}

/**
 * The pathological shapes of issue #13: long runs of one character, or of a short
 * pattern, after the prefixes that put a parser into each of its states (inside a
 * quoted string, inside angle brackets, inside a URI, after a parameter).
 */
export function pathologicalInputs(prefixes: readonly string[], suffix = 'x'): LinearCase[] {
  const runs = [' ', '\t', '"', '\\', '<', '<<>', ';', ',', '=', '1', 'a ', ';a=', '<"', 'sip:'];
  const out: LinearCase[] = [];
  for (const prefix of prefixes) {
    for (const run of runs) {
      out.push({
        name: `${JSON.stringify(prefix)} + ${JSON.stringify(run)} x n + ${JSON.stringify(suffix)}`,
        input: (n) => prefix + run.repeat(Math.ceil(n / run.length)) + suffix,
      });
    }
  }
  return out;
}
