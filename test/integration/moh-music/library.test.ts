import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_CLASS, MusicLibrary } from '../../../features/moh/music/music-library';
import { defaultMusic } from '../../../features/moh/music/default-music';
import { WavFormatError, wavBytes, writeWav } from '../../../lib/media/audio/wav';

describe('moh music: library of music classes', () => {
  let dir: string;
  const libraries: MusicLibrary[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'moh-lib-'));
  });
  afterEach(async () => {
    for (const l of libraries.splice(0)) await l.close();
    await rm(dir, { recursive: true, force: true });
  });

  function library(classes: Record<string, string | Int16Array>): MusicLibrary {
    const l = new MusicLibrary({ classes });
    libraries.push(l);
    return l;
  }

  it('opens one shared stream per class, on first use', async () => {
    const tone = Int16Array.from({ length: 1600 }, (_, i) => Math.round(8000 * Math.sin(i / 3)));
    const file = path.join(dir, 'jazz.wav');
    writeWav(file, tone);
    const lib = library({ jazz: file, samples: tone });

    const [jazz, again] = await Promise.all([lib.stream('jazz'), lib.stream('jazz')]);
    assert.equal(jazz, again, 'concurrent first uses share one stream');
    assert.equal(jazz.loopSamples, 1600);
    const samples = await lib.stream('samples');
    assert.notEqual(samples, jazz);
    assert.notEqual(samples.localPort, jazz.localPort);
    const dflt = await lib.stream();
    assert.equal(dflt.loopSamples, defaultMusic().length, 'built-in music for the default class');
  });

  it('plays the default class for names that are not configured', async () => {
    const lib = library({});
    assert.equal(lib.resolve('made-up'), DEFAULT_CLASS);
    assert.equal(lib.resolve('constructor'), DEFAULT_CLASS, 'no prototype keys');
    assert.equal(await lib.stream('made-up'), await lib.stream(DEFAULT_CLASS));
  });

  it('rejects a bad WAV file with a coded error, and tries again next time', async () => {
    const file = path.join(dir, 'bad.wav');
    await writeFile(file, wavBytes(Int16Array.from([1, 2, 3]), 44100));
    const lib = library({ bad: file });
    await assert.rejects(lib.stream('bad'), (err: unknown) => err instanceof WavFormatError && /44100 Hz/.test(err.message));
    await writeFile(file, wavBytes(Int16Array.from([1, 2, 3])));
    assert.equal((await lib.stream('bad')).loopSamples, 3);
  });

  it('closes its streams and refuses new ones once closed', async () => {
    const lib = library({});
    const stream = await lib.stream();
    await lib.close();
    assert.throws(() => stream.localPort, /not open/);
    await assert.rejects(lib.stream(), /closed/);
  });
});
