import { readFile } from 'node:fs/promises';

/**
 * Who a pid is (pids are reused): its command line and its start time, both from /proc.
 * A pid recorded in a file (a lock, a child's pidfile) names the same process only while
 * the start time recorded with it matches; a later process with the same pid, even of
 * the same program, has another start time.
 */

/** What /proc says the process runs (NUL-separated argv joined by spaces), undefined when it is gone. */
export async function processCommandLine(pid: number): Promise<string | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return text === '' ? undefined : text.split('\0').join(' ');
  } catch {
    return undefined;
  }
}

/**
 * The process's start time in clock ticks since boot (proc(5), /proc/<pid>/stat field 22),
 * undefined when it is gone or /proc is not there. The command name (field 2) is in
 * parentheses and may itself hold spaces and parentheses: fields are counted after the
 * last ')'.
 */
export async function processStartTime(pid: number): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  // after ") " come field 3 (state), 4, ...: field 22 is the 20th
  const fields = text.slice(close + 2).split(' ');
  const start = fields[19];
  return start !== undefined && /^[0-9]+$/.test(start) ? start : undefined;
}

/**
 * Whether `pid` is still the process that was recorded: with a recorded start time, the
 * start times must match; without one (a file from an older version), its command line
 * must contain `mark`.
 */
export async function isSameProcess(pid: number, recordedStart: string | undefined, mark: string): Promise<boolean> {
  if (recordedStart !== undefined) return (await processStartTime(pid)) === recordedStart;
  return (await processCommandLine(pid))?.includes(mark) ?? false;
}
