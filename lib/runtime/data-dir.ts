import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { isSameProcess, processStartTime } from './process-identity';

/**
 * The server's own folder for what must outlive the process (issue #15): the embedded
 * Redis's append-only file, the generated API token, and the pidfiles of the children it
 * starts. One server owns it at a time (a lock file naming its pid).
 */
export interface DataDir {
  readonly dir: string;
  /** where the embedded redis-server keeps its AOF */
  readonly redisDir: string;
  /** pidfiles of the children this server started (`child-guard.ts`) */
  readonly runDir: string;
  /** the file that holds the generated operator token */
  readonly apiTokenFile: string;
  /** the operator token from `api-token`, generated (0600) on first use */
  apiToken(): Promise<string>;
  /** gives the lock up; the data stays */
  release(): Promise<void>;
}

export class DataDirError extends Error {}

const LOCK = 'server.lock';
/** what a process holding a lock without a start time runs (an older version's lock) */
const OWNER_MARK = 'node';

/**
 * Creates the folder (0700, and its subfolders) if needed and takes its lock: a second
 * server on the same DATA_DIR fails here with a message saying who holds it. A lock
 * left by a process that no longer runs (kill -9) is taken over.
 */
export async function openDataDir(dir: string): Promise<DataDir> {
  const abs = path.resolve(dir);
  try {
    await mkdir(abs, { recursive: true, mode: 0o700 });
    if (!(await stat(abs)).isDirectory()) throw new Error('not a directory');
    // mkdir's mode applies only to a folder it creates; an existing one is tightened too
    await chmod(abs, 0o700);
  } catch (err) {
    throw new DataDirError(`DATA_DIR ${abs} cannot be used: ${(err as Error).message} (set DATA_DIR to a folder this user may write)`);
  }
  const lockFile = path.join(abs, LOCK);
  await takeLock(lockFile);
  const redisDir = path.join(abs, 'redis');
  const runDir = path.join(abs, 'run');
  await mkdir(redisDir, { recursive: true, mode: 0o700 });
  await mkdir(runDir, { recursive: true, mode: 0o700 });
  const apiTokenFile = path.join(abs, 'api-token');
  let released = false;
  return {
    dir: abs,
    redisDir,
    runDir,
    apiTokenFile,
    apiToken: () => readOrCreateToken(apiTokenFile),
    async release() {
      if (released) return;
      released = true;
      if ((await readLock(lockFile))?.pid === process.pid) await rm(lockFile, { force: true });
    },
  };
}

async function takeLock(lockFile: string): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(lockFile, 'wx', 0o600);
      try {
        // the pid and its start time: a later process with the same pid is not the owner
        const start = await processStartTime(process.pid);
        await fh.writeFile(start === undefined ? `${process.pid}\n` : `${process.pid} ${start}\n`);
      } finally {
        await fh.close();
      }
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const lock = await readLock(lockFile);
    const owner = lock?.pid;
    if (lock && (lock.pid === process.pid || (await isSameProcess(lock.pid, lock.start, OWNER_MARK)))) {
      throw new DataDirError(`DATA_DIR ${path.dirname(lockFile)} is in use by another feature server (pid ${owner}); ` +
        'stop it, or give each server its own DATA_DIR');
    }
    // the owner is gone: its lock is stale
    await rm(lockFile, { force: true });
  }
  throw new DataDirError(`could not take the lock ${lockFile}`);
}

/** `<pid> <start time>` (or `<pid>` alone, as older versions wrote it) */
async function readLock(file: string): Promise<{ pid: number; start?: string } | undefined> {
  let text: string;
  try {
    text = (await readFile(file, 'utf8')).trim();
  } catch {
    return undefined;
  }
  const [pidText, start] = text.split(' ');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return { pid, start: start !== undefined && /^[0-9]+$/.test(start) ? start : undefined };
}

async function readOrCreateToken(file: string): Promise<string> {
  try {
    const token = (await readFile(file, 'utf8')).trim();
    if (token.length >= 8) return token;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = randomBytes(24).toString('base64url');
  const fh = await open(file, 'w', 0o600);
  try {
    await fh.writeFile(`${token}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await chmod(file, 0o600);
  return token;
}
