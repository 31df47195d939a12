import { accessSync, constants } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isSameProcess, processCommandLine, processStartTime } from './process-identity';

/**
 * Children that never outlive the server (issue #14: a crashed server left its
 * redis-server and rtpengine running, holding ports and data, and a restart started
 * fresh ones beside them). Two layers:
 * - `setpriv --pdeathsig KILL` (util-linux) makes the kernel kill the child when the
 *   server dies, even by SIGKILL; without setpriv the child is started plainly;
 * - a pidfile per child in DATA_DIR/run, so the next start kills what an earlier one
 *   left behind (no setpriv, or a child that got away) before starting its own.
 */

let setprivPath: string | null | undefined;

/** The executable `command` names (a path, or a name looked up on PATH), null when there is none. */
function executable(command: string): string | null {
  const candidates = command.includes('/') ? [command]
    : (process.env.PATH ?? '/usr/bin:/bin').split(':').filter((d) => d !== '').map((d) => path.join(d, command));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * The command and arguments to spawn so that the child dies with this process where the
 * host allows it. A command that does not exist is left alone, so spawning it fails as
 * it would without setpriv (an 'error' event, not setpriv's exit status).
 */
export function withParentDeathSignal(command: string, args: string[]): { command: string; args: string[] } {
  if (setprivPath === undefined) setprivPath = executable('setpriv');
  // setpriv execs the command, so the child's pid is the command's own
  return setprivPath && executable(command) ? { command: setprivPath, args: ['--pdeathsig', 'KILL', '--', command, ...args] } : { command, args };
}


interface PidRecord {
  pid: number;
  /** a word the process's command line must contain to be ours (pids are reused) */
  mark: string;
  /** the child's start time (process-identity.ts): only that process is ours */
  start?: string;
}

export function pidfilePath(runDir: string, name: string): string {
  return path.join(runDir, `${name}.pid`);
}

/** Records a child just started (best effort: a pidfile that cannot be written costs only the clean-up). */
export async function writePidfile(runDir: string | undefined, name: string, pid: number | undefined, mark: string): Promise<void> {
  if (!runDir || pid === undefined) return;
  const rec: PidRecord = { pid, mark, start: await processStartTime(pid) };
  await writeFile(pidfilePath(runDir, name), JSON.stringify(rec), { mode: 0o600 }).catch(() => undefined);
}

export async function removePidfile(runDir: string | undefined, name: string): Promise<void> {
  if (!runDir) return;
  await rm(pidfilePath(runDir, name), { force: true });
}

/**
 * Kills (SIGKILL) the child an earlier run recorded under this name if it still runs and
 * is still what was recorded; resolves once it is gone (or after timeoutMs). Returns the
 * pid it killed, if any.
 */
export async function killStale(runDir: string | undefined, name: string, timeoutMs = 5000): Promise<number | undefined> {
  if (!runDir) return undefined;
  const file = pidfilePath(runDir, name);
  let rec: PidRecord;
  try {
    rec = JSON.parse(await readFile(file, 'utf8')) as PidRecord;
  } catch {
    return undefined;
  }
  let killed: number | undefined;
  if (Number.isInteger(rec.pid) && rec.pid > 1 && rec.pid !== process.pid && typeof rec.mark === 'string' && rec.mark !== '') {
    if (await isSameProcess(rec.pid, typeof rec.start === 'string' ? rec.start : undefined, rec.mark)) {
      try {
        process.kill(rec.pid, 'SIGKILL');
        killed = rec.pid;
      } catch {
        // gone in between
      }
      const deadline = Date.now() + timeoutMs;
      while (killed !== undefined && (await processCommandLine(killed)) !== undefined && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
  await rm(file, { force: true });
  return killed;
}
