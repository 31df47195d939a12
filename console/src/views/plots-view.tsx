import { useEffect, useState } from 'preact/hooks';
import { ApiFailure, type ApiClient } from '../api';
import { bars, dots, linePath, niceMax, plotSeries, type StatsSampleView } from '../model/plot';

const W = 300;
const H = 90;
/** the server samples once a minute; half that here keeps the minute under way fresh enough */
const REFRESH_MS = 30_000;

interface History {
  instanceId: string;
  samples: StatsSampleView[];
}

/** One plot: an inline SVG (no chart library; CSP 'self' is no obstacle to SVG elements). */
function Plot(props: { id: string; title: string; max: number; unit?: string; children: preact.ComponentChildren; legend: preact.ComponentChildren }) {
  return (
    <figure class="plot" id={props.id}>
      <figcaption>{props.title} <span class="plot-max">max {props.max}{props.unit ?? ''}</span></figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label={props.title}>
        <line class="axis" x1="0" y1={H} x2={W} y2={H} />
        <line class="grid" x1="0" y1={H / 2} x2={W} y2={H / 2} />
        {props.children}
      </svg>
      <div class="plot-legend">{props.legend}</div>
    </figure>
  );
}

/**
 * The last hour of this instance (GET /v1/stats/history, operator token only): calls
 * per minute, answer rate, parked calls and conferences.
 */
export function PlotsView(props: { api: ApiClient }) {
  const [history, setHistory] = useState<History | undefined>(undefined);
  const [note, setNote] = useState<string | undefined>(undefined);
  useEffect(() => {
    let live = true;
    const load = (): void => {
      props.api.call<History>('GET', '/v1/stats/history').then((h) => {
        if (!live) return;
        setHistory(h);
        setNote(undefined);
      }, (err: unknown) => {
        if (!live) return;
        setNote(err instanceof ApiFailure && err.status === 403 ? 'The plots need the operator token.' : `No plots: ${(err as Error).message}`);
      });
    };
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [props.api]);

  if (!history) {
    return <section aria-labelledby="plots-title"><h2 id="plots-title">Last hour</h2><p class="empty" id="plots-note">{note ?? 'Loading…'}</p></section>;
  }
  const s = plotSeries(history.samples);
  const callsMax = niceMax([...s.offered, ...s.answered]);
  const levelsMax = niceMax([...s.parked, ...s.conferences]);
  return (
    <section aria-labelledby="plots-title" class="plots">
      <h2 id="plots-title">Last hour <span class="count">instance {history.instanceId}, one sample a minute</span></h2>
      {note && <p class="error">{note}</p>}
      <div class="plot-row">
        <Plot id="plot-calls" title="Calls per minute" max={callsMax}
          legend={<><span class="key offered">offered {s.offered.at(-1) ?? 0}</span> <span class="key answered">answered {s.answered.at(-1) ?? 0}</span> (this minute)</>}>
          {bars(s.offered, W, H, callsMax).map((b) => <rect key={`o${b.x}`} class="bar offered" x={b.x} y={b.y} width={b.width} height={b.height}><title>{b.value} offered</title></rect>)}
          {bars(s.answered, W, H, callsMax).map((b) => <rect key={`a${b.x}`} class="bar answered" x={b.x + b.width / 4} y={b.y} width={b.width / 2} height={b.height}><title>{b.value} answered</title></rect>)}
        </Plot>
        <Plot id="plot-rate" title="Answer rate" max={100} unit="%"
          legend={<span class="key rate">{s.rate.at(-1) === null || s.rate.at(-1) === undefined ? 'no call this minute' : `${Math.round(s.rate.at(-1) as number)}% this minute`}</span>}>
          <path class="line rate" d={linePath(s.rate, W, H, 100)} />
          {dots(s.rate, W, H, 100).map((p) => <circle key={p.x} class="dot rate" cx={p.x} cy={p.y} r="2"><title>{Math.round(p.value)}%</title></circle>)}
        </Plot>
        <Plot id="plot-levels" title="Parked calls and conferences" max={levelsMax}
          legend={<><span class="key parked">parked {s.parked.at(-1) ?? '–'}</span> <span class="key conferences">{s.noConferences ? 'conferences: no gauge on this server' : `conferences ${s.conferences.at(-1) ?? '–'}`}</span></>}>
          <path class="line parked" d={linePath(s.parked, W, H, levelsMax)} />
          <path class="line conferences" d={linePath(s.conferences, W, H, levelsMax)} />
          {dots(s.parked, W, H, levelsMax).map((p) => <circle key={`p${p.x}`} class="dot parked" cx={p.x} cy={p.y} r="2"><title>{p.value} parked</title></circle>)}
          {dots(s.conferences, W, H, levelsMax).map((p) => <circle key={`c${p.x}`} class="dot conferences" cx={p.x} cy={p.y} r="2"><title>{p.value} conferences</title></circle>)}
        </Plot>
      </div>
    </section>
  );
}
