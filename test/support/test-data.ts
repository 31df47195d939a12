import fs from 'node:fs';
import path from 'node:path';

/**
 * The repository root: the first directory above this file that holds package.json. The
 * same answer whether the tests run from test/ (tsx) or from dist/test/ (compiled), so
 * test data is read from the repository itself and never from beside it.
 */
export function repoRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 8; i++) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error(`no package.json above ${__dirname}`);
}

/** RFC 4475 torture messages, byte-exact, kept in test/data/rfc4475 with their manifest. */
export const RFC4475_DIR = path.join(repoRoot(), 'test', 'data', 'rfc4475');
