import type Srf from 'drachtio-srf';

export interface ForkTarget {
  /** Request-URI: the registered contact */
  uri: string;
  /** next hop when the contact is behind NAT: where its REGISTER came from */
  proxy?: string;
}

export interface ForkOptions {
  offer: string;
  headers: Record<string, string>;
  onProvisional(res: Srf.SrfResponse): void;
}

export interface ForkResult {
  dialog?: Srf.Dialog;
  /** the final status to give the caller when no branch answered */
  status: number;
}

type CreateUac = (uri: string, opts: object, progress: object) => Promise<Srf.Dialog>;

/**
 * Parallel forking to every contact of the callee (RFC 3261 16.7 behaviour from a
 * B2BUA): the first 2xx wins, the other branches are cancelled (or, if they answered
 * too, hung up). With no winner the caller gets the best response: a 6xx if any,
 * else the lowest class, 486 preferred among 4xx (a busy phone says more than 408).
 */
export class OutboundFork {
  private readonly requests: Srf.SrfRequest[] = [];
  private cancelled = false;
  private winner?: Srf.Dialog;

  constructor(private readonly srf: Srf) {}

  cancel(): void {
    this.cancelled = true;
    for (const r of this.requests) (r.cancel as unknown as () => void).call(r);
  }

  async run(targets: ForkTarget[], opts: ForkOptions): Promise<ForkResult> {
    const statuses: number[] = [];
    const create = this.srf.createUAC as unknown as CreateUac;
    let announce: (d: Srf.Dialog) => void = () => undefined;
    const won = new Promise<Srf.Dialog>((resolve) => (announce = resolve));
    const branches = targets.map(async (t) => {
      try {
        const d = await create.call(this.srf, t.uri, { localSdp: opts.offer, headers: opts.headers, proxy: t.proxy }, {
          cbRequest: (_err: unknown, req: Srf.SrfRequest) => {
            if (!req) return;
            this.requests.push(req);
            if (this.cancelled || this.winner) (req.cancel as unknown as () => void).call(req);
          },
          cbProvisional: (res: Srf.SrfResponse) => opts.onProvisional(res),
        });
        if (this.winner || this.cancelled) {
          d.destroy();
          return;
        }
        this.winner = d;
        announce(d);
        for (const r of this.requests) (r.cancel as unknown as () => void).call(r);
      } catch (err) {
        statuses.push((err as { status?: number }).status ?? 500);
      }
    });
    // the caller hears the first answer at once; the losing branches finish on their own
    const first = await Promise.race([won, Promise.all(branches).then(() => undefined)]);
    if (first) return { dialog: first, status: 200 };
    return { status: best(statuses) };
  }
}

function best(statuses: number[]): number {
  if (statuses.length === 0) return 480;
  const six = statuses.find((s) => s >= 600);
  if (six) return six;
  if (statuses.includes(486)) return 486;
  return [...statuses].sort((a, b) => a - b)[0];
}
