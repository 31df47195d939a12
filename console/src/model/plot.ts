/** One sample of GET /v1/stats/history, as the plots read it. */
export interface StatsSampleView {
  start: string;
  offered: number;
  answered: number;
  answerRate: number | null;
  parked: number | null;
  conferences: number | null;
  partial?: boolean;
}

export interface Bar {
  x: number;
  y: number;
  width: number;
  height: number;
  value: number;
}

/** The plots span the last hour and the minute under way: 61 places, the newest on the right. */
export const PLACES = 61;

/** A round top for an axis: 1, 2, 5 times a power of ten, at least `min`. */
export function niceMax(values: readonly (number | null)[], min = 1): number {
  const top = Math.max(min, ...values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const p = 10 ** Math.floor(Math.log10(top));
  for (const m of [1, 2, 5, 10]) if (m * p >= top) return m * p;
  return 10 * p;
}

/** The x of place `k` of `n` values, right-aligned in PLACES places across `width`. */
function xOf(k: number, n: number, width: number): number {
  return ((PLACES - Math.min(n, PLACES) + k) * width) / PLACES;
}

/** Bars of the last PLACES values in a width × height box, scaled to `max`; zero gets none. */
export function bars(values: readonly number[], width: number, height: number, max: number): Bar[] {
  const last = values.slice(-PLACES);
  const w = width / PLACES;
  const out: Bar[] = [];
  last.forEach((v, k) => {
    if (!(v > 0)) return;
    const h = (Math.min(v, max) / max) * height;
    out.push({ x: round(xOf(k, last.length, width) + w * 0.1), y: round(height - h), width: round(w * 0.8), height: round(h), value: v });
  });
  return out;
}

/**
 * An SVG path through the last PLACES values (centred in their places), scaled to `max`;
 * a null breaks the line, so a minute without a value is a gap, not a drop to zero.
 */
export function linePath(values: readonly (number | null)[], width: number, height: number, max: number): string {
  const last = values.slice(-PLACES);
  const w = width / PLACES;
  const parts: string[] = [];
  let drawing = false;
  last.forEach((v, k) => {
    if (v === null || !Number.isFinite(v)) {
      drawing = false;
      return;
    }
    const x = round(xOf(k, last.length, width) + w / 2);
    const y = round(height - (Math.min(Math.max(v, 0), max) / max) * height);
    parts.push(`${drawing ? 'L' : 'M'}${x} ${y}`);
    drawing = true;
  });
  return parts.join(' ');
}

/** The points of a line (a dot each, so one sample alone still shows); null values have none. */
export function dots(values: readonly (number | null)[], width: number, height: number, max: number): Array<{ x: number; y: number; value: number }> {
  const last = values.slice(-PLACES);
  const w = width / PLACES;
  const out: Array<{ x: number; y: number; value: number }> = [];
  last.forEach((v, k) => {
    if (v === null || !Number.isFinite(v)) return;
    out.push({ x: round(xOf(k, last.length, width) + w / 2), y: round(height - (Math.min(Math.max(v, 0), max) / max) * height), value: v });
  });
  return out;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** The plots' series from the samples. */
export function plotSeries(samples: readonly StatsSampleView[]): {
  offered: number[]; answered: number[]; rate: (number | null)[]; parked: (number | null)[]; conferences: (number | null)[];
  /** no sample had a conference count: the server has no conference gauge */
  noConferences: boolean;
} {
  return {
    offered: samples.map((s) => s.offered),
    answered: samples.map((s) => s.answered),
    rate: samples.map((s) => (s.answerRate === null ? null : s.answerRate * 100)),
    parked: samples.map((s) => s.parked),
    conferences: samples.map((s) => s.conferences),
    noConferences: samples.every((s) => s.conferences === null),
  };
}
