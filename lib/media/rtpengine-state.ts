/*
 * The life of a supervised rtpengine process.
 *
 *   starting ──ready──▶ running ──exit──▶ restarting ──ready──▶ running
 *      │                   │                 │  ▲ (spawn or ping failed: back off, retry)
 *      │ (failed)          │ stop()          │  │
 *      ▼                   ▼                 └──┘
 *   stopped ◀──────── stopping ◀── stop() from starting or restarting
 */
export type RtpengineState = 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped';

const LEGAL: Record<RtpengineState, readonly RtpengineState[]> = {
  starting: ['running', 'stopping', 'stopped'],
  running: ['restarting', 'stopping'],
  restarting: ['running', 'restarting', 'stopping'],
  stopping: ['stopped'],
  stopped: [],
};

/** The next state, or a throw: an illegal transition is a bug in the supervisor. */
export function transition(from: RtpengineState, to: RtpengineState): RtpengineState {
  if (!LEGAL[from].includes(to)) throw new Error(`rtpengine process: illegal transition ${from} -> ${to}`);
  return to;
}
