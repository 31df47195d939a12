import { freePort } from './ports';
import { runSipp, type SippOptions, type SippResult, type SippRun } from './sipp';

/** sipp phones against one SIP address: users `<name>` with password `pw-<name>` (the fixtures' convention). */
export interface Phones {
  /** REGISTER (digest) from a port, a free one unless given; returns that port */
  register(user: string, opts?: { port?: number; expires?: number; password?: string }): Promise<number>;
  /** one sipp caller running `scenario` as `caller`, dialing `callee` */
  call(scenario: string, caller: string, callee: string, opts?: Partial<SippOptions>): Promise<SippResult>;
}

/** `remote` is read at each use (a fixture's port is known only once it started); `sipps` collects runs to kill after a test. */
export function phonesAt(remote: () => string, sipps: SippRun[]): Phones {
  return {
    async register(user, opts = {}) {
      const port = opts.port ?? (await freePort('both'));
      const r = await runSipp({ scenario: 'core-register.xml', remote: remote(), localPort: port, service: user,
        auth: { username: user, password: opts.password ?? `pw-${user}` }, vars: { expires: String(opts.expires ?? 3600) } }).done;
      if (r.code !== 0) throw new Error(`REGISTER of ${user} failed: ${r.errors}${r.stderr}`);
      return port;
    },
    async call(scenario, caller, callee, opts = {}) {
      const run = runSipp({ scenario, remote: remote(), localPort: await freePort('both'), service: callee,
        auth: { username: caller, password: `pw-${caller}`, uri: `${callee}@${remote()}` }, vars: { caller }, ...opts });
      sipps.push(run);
      return run.done;
    },
  };
}
