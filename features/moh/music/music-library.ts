import { readFile } from 'node:fs/promises';
import type { Logger } from 'winston';
import { defaultMusic } from './default-music';
import { MusicStream } from './music-stream';
import { parseWav } from '../../../lib/media/audio/wav';

export const DEFAULT_CLASS = 'default';

export interface MusicLibraryOptions {
  /** local address of every stream's RTP socket; default 127.0.0.1 */
  bindAddress?: string;
  logger?: Logger;
  /**
   * Music per class: a WAV file path (8 kHz PCM16 mono) or samples. A class not listed
   * plays `default`, which is the built-in music unless listed here too.
   */
  classes?: Record<string, string | Int16Array>;
}

/**
 * The music classes, each one shared MusicStream, created (and its WAV read) on first use.
 *
 * Names that are not configured map to the default class rather than to new streams: the
 * class may come from a SIP header, and each stream holds a socket, so a caller must not be
 * able to make the server open one per name it invents.
 */
export class MusicLibrary {
  private readonly sources = new Map<string, string | Int16Array>();
  private readonly streams = new Map<string, Promise<MusicStream>>();
  private closed = false;

  constructor(private readonly opts: MusicLibraryOptions = {}) {
    for (const [name, source] of Object.entries(opts.classes ?? {})) this.sources.set(name, source);
  }

  /** The class a name plays: itself if configured, else the default class. */
  resolve(className?: string): string {
    return className !== undefined && this.sources.has(className) ? className : DEFAULT_CLASS;
  }

  /** The open stream of a class (see resolve), created on first use; concurrent callers share it. */
  stream(className?: string): Promise<MusicStream> {
    if (this.closed) return Promise.reject(new Error('music library is closed'));
    const name = this.resolve(className);
    let pending = this.streams.get(name);
    if (!pending) {
      pending = this.create(name);
      this.streams.set(name, pending);
      // A failed open (bad WAV, port in use) is not cached: the next call tries again.
      pending.catch(() => this.streams.get(name) === pending && this.streams.delete(name));
    }
    return pending;
  }

  /** Close every stream (stopping its listeners); further stream() calls reject. */
  async close(): Promise<void> {
    this.closed = true;
    const pending = [...this.streams.values()];
    this.streams.clear();
    const results = await Promise.allSettled(pending);
    await Promise.all(results.map((r) => (r.status === 'fulfilled' ? r.value.close() : undefined)));
  }

  private async create(name: string): Promise<MusicStream> {
    const source = this.sources.get(name);
    const samples =
      source === undefined ? defaultMusic() : typeof source === 'string' ? parseWav(await readFile(source), source).samples : source;
    const stream = new MusicStream({ samples, name, bindAddress: this.opts.bindAddress, logger: this.opts.logger });
    await stream.open();
    if (this.closed) {
      await stream.close();
      throw new Error('music library is closed');
    }
    this.opts.logger?.info('music class ready', { moh: name, port: stream.localPort, seconds: samples.length / 8000 });
    return stream;
  }
}
