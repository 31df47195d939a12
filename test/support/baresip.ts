import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ports';

/**
 * A real softphone in the tests: baresip 1.0 (Debian baresip-core) as a child process
 * with a config directory of its own, SIP on a loopback port, no audio device (its
 * microphone is a WAV file played by the aufile module, what it hears is written to a
 * WAV file by the sndfile filter), driven over its ctrl_tcp module: netstring-framed
 * JSON commands in, responses and events (REGISTER_OK, CALL_INCOMING, CALL_ESTABLISHED,
 * CALL_CLOSED, ...) out.
 */

export interface BaresipOptions {
  user: string;
  password: string;
  /** the registrar and proxy, host:port; the AOR is sip:<user>@<this> */
  server: string;
  /** the WAV (8 kHz mono S16LE) it sends as its microphone */
  source: string;
  /** users at the same server whose presence it watches (contacts marked ;presence=p2p, baresip 1.0's subscriber) */
  watch?: string[];
  /** PUBLISH its presence every this many seconds (baresip's account pubint); off by default */
  publishEvery?: number;
  /** REGISTER; true by default */
  register?: boolean;
}

/** A ctrl_tcp event, as baresip 1.0 encodes it (event_encode_dict). */
export interface BaresipEvent {
  type: string;
  class?: string;
  accountaor?: string;
  direction?: string;
  peeruri?: string;
  id?: string;
  param?: string;
}

export interface Baresip {
  readonly user: string;
  readonly sipPort: number;
  /** sip:<user>@<server>, what another phone dials */
  readonly uri: string;
  /** a command of its menu/contact/presence modules (dial, accept, hangup, transfer, ...); resolves with its output, throws if refused */
  command(name: string, params?: string, timeoutMs?: number): Promise<string>;
  /** the first event of this type (and matching `pred`) not yet taken, waiting up to timeoutMs for it */
  event(type: string, pred?: (e: BaresipEvent) => boolean, timeoutMs?: number): Promise<BaresipEvent>;
  /** the types of every event seen so far, oldest first */
  eventTypes(): string[];
  /** resolves once its console output (from offset `since`, a length of output() taken earlier) contains `text` */
  printed(text: string, timeoutMs?: number, since?: number): Promise<void>;
  /** the presence its contact list shows for this user at its server (Online, Offline, Busy, Unknown, ...), undefined when not listed */
  presenceOf(user: string): Promise<string | undefined>;
  /** the newest recording of what it received (sndfile's dump-*-dec.wav), or undefined before any call */
  recording(): Promise<string | undefined>;
  /** its console output so far (for failure messages) */
  output(): string;
  stop(): Promise<void>;
}

const CMD_TIMEOUT_MS = 5000;
const EVENT_TIMEOUT_MS = 10000;
const START_TIMEOUT_MS = 10000;
const STOP_TIMEOUT_MS = 3000;
/** bounds on what a test keeps of a phone: one netstring, the console log, the events */
const MAX_FRAME = 64 * 1024;
const MAX_OUTPUT = 1024 * 1024;
const MAX_EVENTS = 2000;
/** RTP ports above Linux's ephemeral range (32768-60999) and rtpengine's pool (10000-19999) */
const RTP_PORTS = '61000-64999';
const MODULE_PATH = '/usr/lib/baresip/modules';

/**
 * baresip 1.0's recording of what a phone hears ends at the first re-INVITE that leaves
 * the stream anything but sendrecv (a hold, music on hold, a park), for the rest of the
 * call, although the phone goes on decoding and playing what it receives:
 * audio_decoder_set() resets the receive side when the negotiated direction is not
 * sendrecv, flushing the decode filters (sndfile closes its dump-*-dec.wav), and then
 * rebuilds them with aufilt_setup(), which rebuilds nothing while the encode filter list is
 * non-empty, and sndfile's encode filter is always in it. A resume (sendrecv again) does
 * not reset, so nothing reopens the recording.
 *
 * The workaround keeps the encode list empty: a preloaded sf_open() refuses the files
 * whose names end in "-enc.wav" (what the phone sends, which no test reads), so sndfile's
 * encode filter fails to set up (baresip logs that and goes on) and every reset rebuilds
 * the decode filter, which opens a new dump-<time>-dec.wav (the newest is what the phone
 * hears now). sndfile names its files by the time to the second, so two recordings begun
 * in one second (a phone's second call, a reset soon after the answer) were one file
 * written by two handles, and the first to close wrote its length into the header; the
 * preloaded sf_open also numbers each recording (dump-<time>-<n>-dec.wav, in the order
 * opened). Built once per test process with the system's C compiler.
 */
const SHIM_SOURCE = `#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
typedef struct SNDFILE_tag SNDFILE;
typedef struct SF_INFO SF_INFO;
SNDFILE *sf_open(const char *path, int mode, SF_INFO *info) {
  static SNDFILE *(*real)(const char *, int, SF_INFO *);
  size_t n = path ? strlen(path) : 0;
  if (n >= 8 && strcmp(path + n - 8, "-enc.wav") == 0) return NULL;
  if (!real) {
    /* baresip dlopens its modules locally, so libsndfile is not in the global scope */
    void *lib = dlopen("libsndfile.so.1", RTLD_NOW | RTLD_NOLOAD);
    if (!lib) lib = dlopen("libsndfile.so.1", RTLD_NOW);
    if (lib) real = (SNDFILE *(*)(const char *, int, SF_INFO *))dlsym(lib, "sf_open");
  }
  if (!real) return NULL;
  if (n >= 8 && strcmp(path + n - 8, "-dec.wav") == 0 && n < 3900) {
    static unsigned count;
    char unique[4096];
    snprintf(unique, sizeof unique, "%.*s-%06u-dec.wav", (int)(n - 8), path, ++count);
    return real(unique, mode, info);
  }
  return real(path, mode, info);
}
`;
let shim: Promise<string> | undefined;

function recordingShim(): Promise<string> {
  shim ??= (async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'baresip-shim-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const source = path.join(dir, 'sf-open.c');
    const lib = path.join(dir, 'sf-open.so');
    await writeFile(source, SHIM_SOURCE);
    await new Promise<void>((resolve, reject) => {
      execFile('cc', ['-shared', '-fPIC', '-O2', '-o', lib, source, '-ldl'], (err, _out, stderr) => {
        if (err) reject(new Error(`building the baresip recording workaround with cc failed: ${err.message}\n${stderr}`));
        else resolve();
      });
    });
    return lib;
  })();
  return shim;
}

function config(o: { sipPort: number; ctrlPort: number; dir: string; source: string }): string {
  return [
    `module_path ${MODULE_PATH}`,
    'poll_method epoll',
    `sip_listen 127.0.0.1:${o.sipPort}`,
    // SDP and RTP on loopback only, never the machine's other addresses
    'net_interface 127.0.0.1',
    `rtp_ports ${RTP_PORTS}`,
    'call_max_calls 4',
    `audio_source aufile,${o.source}`,
    `audio_alert aufile,${o.source}`,
    'audio_buffer 40',
    // no jitter buffer (loopback has no jitter): after the sender's SSRC changed (a move
    // to music, to a bridge, to another party) libre 1.1's dropped every packet of the new
    // stream as late ("dropping ... (Connection timed out)") in about half the moves, as
    // when the new sequence starts below the old one, leaving the phone deaf to the end
    'jitter_buffer_delay 0-0',
    'module g711.so',
    'module aufile.so',
    'module sndfile.so',
    `snd_path ${o.dir}`,
    'module_tmp account.so',
    'module_app contact.so',
    'module_app menu.so',
    'module_app presence.so',
    'module_app ctrl_tcp.so',
    `ctrl_tcp_listen 127.0.0.1:${o.ctrlPort}`,
    '',
  ].join('\n');
}

/** Splits a byte stream into netstrings (`<len>:<bytes>,`), bounded; no regex on the untrusted stream. */
class NetstringReader {
  private buf = Buffer.alloc(0);
  push(chunk: Buffer): Buffer[] {
    this.buf = Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    for (;;) {
      const colon = this.buf.indexOf(0x3a);
      if (colon < 0) {
        if (this.buf.length > 10) throw new Error('ctrl_tcp: no netstring length');
        return out;
      }
      const len = Number(this.buf.toString('ascii', 0, colon));
      if (!Number.isInteger(len) || len < 0 || len > MAX_FRAME) throw new Error('ctrl_tcp: bad netstring length');
      if (this.buf.length < colon + 2 + len) return out;
      if (this.buf[colon + 1 + len] !== 0x2c) throw new Error('ctrl_tcp: netstring without its comma');
      out.push(this.buf.subarray(colon + 1, colon + 1 + len));
      this.buf = this.buf.subarray(colon + 2 + len);
    }
  }
}

/** Removes ANSI colour sequences (ESC [ digits/semicolons m): a linear scan, no backtracking. */
function stripAnsi(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) === 0x1b && text[i + 1] === '[') {
      let j = i + 2;
      while (j < text.length && (text[j] === ';' || (text[j] >= '0' && text[j] <= '9'))) j++;
      if (text[j] === 'm') {
        i = j;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

function netstring(json: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(json));
  return Buffer.concat([Buffer.from(`${body.length}:`), body, Buffer.from(',')]);
}

function connectCtrl(port: number, timeoutMs: number): Promise<net.Socket> {
  const deadline = Date.now() + timeoutMs;
  const attempt = (): Promise<net.Socket> => new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (err) => {
      s.destroy();
      if (Date.now() > deadline) reject(new Error(`baresip ctrl_tcp on ${port} not reachable: ${err.message}`));
      else setTimeout(() => attempt().then(resolve, reject), 50);
    });
  });
  return attempt();
}

export async function startBaresip(o: BaresipOptions): Promise<Baresip> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `baresip-${o.user}-`));
  // baresip also binds SIP/TLS on sipPort + 1
  const sipPort = await freePort('both', { nextTcp: true });
  const ctrlPort = await freePort('tcp');
  const uri = `sip:${o.user}@${o.server}`;
  const params = [`auth_pass=${o.password}`, 'answermode=manual', `regint=${o.register === false ? 0 : 600}`];
  if (o.publishEvery) params.push(`pubint=${o.publishEvery}`);
  await writeFile(path.join(dir, 'config'), config({ sipPort, ctrlPort, dir, source: o.source }));
  await writeFile(path.join(dir, 'accounts'), `<${uri}>;${params.join(';')}\n`);
  await writeFile(path.join(dir, 'contacts'), (o.watch ?? []).map((u) => `"${u}" <sip:${u}@${o.server}>;presence=p2p\n`).join(''));

  let output = '';
  const printWaiters: { text: string; since: number; resolve: () => void }[] = [];
  const preload = await recordingShim();
  const proc: ChildProcess = spawn('baresip', ['-f', dir, ...(process.env.BARESIP_TRACE ? ['-s'] : [])],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LD_PRELOAD: preload } });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const onOutput = (c: Buffer): void => {
    if (output.length < MAX_OUTPUT) output += c.toString();
    for (const w of printWaiters.splice(0)) {
      if (output.includes(w.text, w.since)) w.resolve();
      else printWaiters.push(w);
    }
  };
  proc.stdout?.on('data', onOutput);
  proc.stderr?.on('data', onOutput);
  const spawnFailed = new Promise<never>((_, reject) => {
    proc.once('error', (err) => reject(new Error(`baresip did not start: ${err.message}`)));
    void exited.then(() => reject(new Error(`baresip exited at start (${proc.exitCode ?? proc.signalCode})`)));
  });
  spawnFailed.catch(() => undefined);

  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      // SIGTERM: baresip hangs up its calls and unregisters, so a failed test leaves the
      // server nothing to clean; a phone that does not exit in time is killed
      proc.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), STOP_TIMEOUT_MS)));
      if (await Promise.race([exited.then(() => false), late])) {
        proc.kill('SIGKILL');
        await exited;
      }
      clearTimeout(timer);
    }
    sock?.destroy();
    await rm(dir, { recursive: true, force: true });
  };

  let sock: net.Socket | undefined;
  try {
    sock = await Promise.race([connectCtrl(ctrlPort, START_TIMEOUT_MS), spawnFailed]);
  } catch (err) {
    const log = output;
    await stop();
    throw new Error(`${(err as Error).message}\n${log}`, { cause: err });
  }

  const events: (BaresipEvent & { taken?: boolean })[] = [];
  const eventWaiters = new Set<() => void>();
  const pending = new Map<string, { resolve: (data: string) => void; reject: (e: Error) => void }>();
  let token = 0;
  const reader = new NetstringReader();
  sock.on('data', (chunk: Buffer) => {
    let frames: Buffer[];
    try {
      frames = reader.push(chunk);
    } catch (err) {
      sock?.destroy(err as Error);
      return;
    }
    for (const f of frames) {
      const msg = JSON.parse(f.toString()) as { event?: boolean; response?: boolean; ok?: boolean; data?: string; token?: string } & BaresipEvent;
      if (msg.event) {
        if (events.length < MAX_EVENTS) events.push(msg);
        for (const w of [...eventWaiters]) w();
      } else if (msg.response && msg.token !== undefined) {
        const p = pending.get(msg.token);
        pending.delete(msg.token);
        if (msg.ok) p?.resolve(msg.data ?? '');
        else p?.reject(new Error(`baresip ${o.user} refused the command: ${msg.data ?? ''}`));
      }
    }
  });
  sock.on('error', () => undefined);
  sock.on('close', () => {
    for (const p of pending.values()) p.reject(new Error(`baresip ${o.user}: control connection closed`));
    pending.clear();
  });

  const phone: Baresip = {
    user: o.user,
    sipPort,
    uri,
    command(name, p, timeoutMs = CMD_TIMEOUT_MS) {
      const t = String(++token);
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(t);
          reject(new Error(`baresip ${o.user}: no answer to ${name} within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(t, {
          resolve: (d) => {
            clearTimeout(timer);
            resolve(d);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        sock?.write(netstring({ command: name, ...(p === undefined ? {} : { params: p }), token: t }));
      });
    },
    event(type, pred = () => true, timeoutMs = EVENT_TIMEOUT_MS) {
      return new Promise<BaresipEvent>((resolve, reject) => {
        const check = (): boolean => {
          const e = events.find((x) => !x.taken && x.type === type && pred(x));
          if (!e) return false;
          e.taken = true;
          eventWaiters.delete(waiter);
          clearTimeout(timer);
          resolve(e);
          return true;
        };
        const waiter = (): void => void check();
        const timer = setTimeout(() => {
          eventWaiters.delete(waiter);
          reject(new Error(`baresip ${o.user}: no ${type} within ${timeoutMs} ms (events: ${events.map((e) => e.type).join(' ')})`));
        }, timeoutMs);
        eventWaiters.add(waiter);
        check();
      });
    },
    eventTypes: () => events.map((e) => e.type),
    printed(text, timeoutMs = EVENT_TIMEOUT_MS, since = 0) {
      if (output.includes(text, since)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const w = { text, since, resolve: () => {
          clearTimeout(timer);
          resolve();
        } };
        const timer = setTimeout(() => {
          printWaiters.splice(printWaiters.indexOf(w) >>> 0, 1);
          reject(new Error(`baresip ${o.user} printed no "${text}" within ${timeoutMs} ms`));
        }, timeoutMs);
        printWaiters.push(w);
      });
    },
    async presenceOf(user) {
      // contact module: one line per contact, "<marker> <status> <name> <uri>", status in ANSI colours
      const lines = stripAnsi(await phone.command('contacts')).split('\n');
      const line = lines.find((l) => l.includes(`<sip:${user}@`));
      return line?.replace('>', ' ').trim().split(' ')[0];
    },
    async recording() {
      // one file per call and per reset of its receive side (see SHIM_SOURCE); names
      // carry the time and a sequence number, so on equal mtimes the later name is the newer
      const names = (await readdir(dir)).filter((n) => n.startsWith('dump-') && n.endsWith('-dec.wav')).sort();
      let newest: { file: string; at: number } | undefined;
      for (const n of names) {
        const file = path.join(dir, n);
        const at = (await stat(file)).mtimeMs; // the one being written
        if (!newest || at >= newest.at) newest = { file, at };
      }
      return newest?.file;
    },
    output: () => output,
    stop,
  };

  if (o.register !== false) {
    try {
      // REGISTER_OK may come before the control connection is up: its console line counts too
      await phone.printed('} 200 OK', START_TIMEOUT_MS);
    } catch (err) {
      const log = output;
      await stop();
      throw new Error(`${(err as Error).message}\n${log}`, { cause: err });
    }
  }
  return phone;
}

/**
 * Softphones for the tests of one describe block, killed after each test. Call it before
 * the server's fixture so its afterEach (which hangs up what a failed test left) runs
 * before the fixture checks that nothing is left behind.
 */
export function baresipPhones(): { start(o: BaresipOptions): Promise<Baresip> } {
  const live: Baresip[] = [];
  afterEach(async function () {
    this.timeout(15000);
    const failed = this.currentTest?.state === 'failed';
    for (const p of live.splice(0)) {
      if (failed) process.stderr.write(`--- baresip ${p.user} (events: ${p.eventTypes().join(' ')}) ---\n${p.output().slice(-4000)}\n---\n`);
      await p.stop();
    }
  });
  return {
    async start(o) {
      const p = await startBaresip(o);
      live.push(p);
      return p;
    },
  };
}
