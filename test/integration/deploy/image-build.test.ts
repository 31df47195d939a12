import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The image's build stage without a Docker engine: the files its COPY instructions take
 * from the build context (what .dockerignore lets in, tracked in git) are copied into an
 * empty folder, and the stage's `npm run build` runs there (with this checkout's
 * node_modules, which `npm ci` would have installed). A build step that reads a file the
 * Dockerfile does not copy (the console, its schema script) fails here as it would in
 * `docker build`.
 */

/** the repository root; this file runs from dist/test/integration/deploy */
const ROOT = path.join(__dirname, '../../../..');

/** .dockerignore's rules, in order: the last one that matches a path decides (Docker's rule) */
function ignoreRules(): Array<{ exclude: boolean; matches: (file: string) => boolean }> {
  return readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const exclude = !l.startsWith('!');
      const p = exclude ? l : l.slice(1);
      if (p.startsWith('**/')) {
        const rest = p.slice(3);
        // the two forms used there: **/*.ext and **/name
        if (rest.startsWith('*.')) return { exclude, matches: (f: string) => f.endsWith(rest.slice(1)) };
        assert.ok(!rest.includes('*'), `.dockerignore pattern this test cannot read: ${l}`);
        return { exclude, matches: (f: string) => f === rest || f.endsWith(`/${rest}`) };
      }
      assert.ok(!p.includes('*'), `.dockerignore pattern this test cannot read: ${l}`);
      return { exclude, matches: (f: string) => f === p || f.startsWith(`${p}/`) };
    });
}

function inContext(file: string, rules: ReturnType<typeof ignoreRules>): boolean {
  let included = true;
  for (const r of rules) if (r.matches(file)) included = !r.exclude;
  return included;
}

/** the build stage's `COPY <sources...> <dest>` lines (not --from), one instruction per line */
function buildStageCopies(): string[][] {
  const text = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8').split('\n').filter((l) => !/^\s*#/.test(l)).join('\n')
    .replace(/\\\n/g, ' ');
  const build = text.split(/^FROM /m)[1];
  return build.split('\n').filter((l) => l.startsWith('COPY ') && !l.includes('--from')).map((l) => l.split(/\s+/).slice(1));
}

function run(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (d: Buffer): void => void (output = (output + d.toString()).slice(-8000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('deploy: the image\'s build stage builds from what the Dockerfile copies', function () {
  this.timeout(600_000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'fs-image-build-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('every COPY source is in the build context, and `npm run build` succeeds with only those files (server and console)', async () => {
    const rules = ignoreRules();
    const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const args of buildStageCopies()) {
      const sources = args.slice(0, -1);
      for (const src of sources) {
        const files = tracked.filter((f) => f === src || f.startsWith(`${src}/`));
        assert.ok(files.length > 0, `COPY ${src}: nothing tracked there`);
        for (const f of files) {
          assert.ok(inContext(f, rules), `COPY ${src}: ${f} is kept out of the build context by .dockerignore`);
          mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
          cpSync(path.join(ROOT, f), path.join(dir, f));
        }
      }
    }
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    const r = await run('npm', ['run', 'build', '--silent'], dir, 540_000);
    assert.equal(r.code, 0, `npm run build in the build stage's files:\n${r.output}`);
    for (const out of ['dist/main.js', 'dist/console/console.js', 'dist/console/index.html']) assert.ok(existsSync(path.join(dir, out)), `${out} built`);
  });
});
