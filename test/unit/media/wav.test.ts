import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { WavFormatError, parseWav, readWav, wavBytes, writeWav } from '../../../lib/media/audio/wav';

describe('moh music: WAV files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'moh-wav-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round trips samples through a file', () => {
    const samples = Int16Array.from({ length: 8000 }, (_, i) => Math.round(12000 * Math.sin(i / 7)) - (i % 3));
    samples[0] = -32768;
    samples[1] = 32767;
    const file = path.join(dir, 'music.wav');
    writeWav(file, samples);
    const back = readWav(file);
    assert.equal(back.rate, 8000);
    assert.deepEqual(back.samples, samples);
  });

  it('writes a canonical 44-byte RIFF header', () => {
    const b = wavBytes(Int16Array.from([1, -2, 3]));
    assert.equal(b.length, 44 + 6);
    assert.equal(b.toString('ascii', 0, 4), 'RIFF');
    assert.equal(b.readUInt32LE(4), 36 + 6);
    assert.equal(b.toString('ascii', 8, 16), 'WAVEfmt ');
    assert.equal(b.readUInt16LE(20), 1); // PCM
    assert.equal(b.readUInt16LE(22), 1); // mono
    assert.equal(b.readUInt32LE(24), 8000);
    assert.equal(b.readUInt16LE(34), 16);
    assert.equal(b.readInt16LE(46), -2);
  });

  it('skips chunks it does not need and odd-sized padding', () => {
    const plain = wavBytes(Int16Array.from([5, 6, 7]));
    const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([3, 0, 0, 0]), Buffer.from('abc'), Buffer.from([0])]);
    const withList = Buffer.concat([plain.subarray(0, 36), list, plain.subarray(36)]);
    assert.deepEqual([...parseWav(withList).samples], [5, 6, 7]);
  });

  it('rejects what it cannot play with a clear error', async () => {
    const cases: Array<[string, Buffer, RegExp]> = [
      ['not RIFF', Buffer.from('hello world, this is not audio'), /not a RIFF\/WAVE file/],
      ['16 kHz', wavBytes(Int16Array.from([1, 2]), 16000), /sample rate 16000 Hz, not 8000 Hz/],
      ['stereo', patch(wavBytes(Int16Array.from([1, 2])), (b) => b.writeUInt16LE(2, 22)), /2 channels, not mono/],
      ['8-bit', patch(wavBytes(Int16Array.from([1, 2])), (b) => b.writeUInt16LE(8, 34)), /8-bit samples/],
      ['float', patch(wavBytes(Int16Array.from([1, 2])), (b) => b.writeUInt16LE(3, 20)), /audio format 3 is not PCM/],
      ['empty', wavBytes(new Int16Array(0)), /no samples/],
      ['no data', wavBytes(Int16Array.from([1])).subarray(0, 36), /no data chunk/],
    ];
    for (const [name, bytes, message] of cases) {
      const file = path.join(dir, `${name}.wav`);
      await writeFile(file, bytes);
      assert.throws(
        () => readWav(file),
        (err: unknown) => err instanceof WavFormatError && err.code === 'E_MOH_WAV_FORMAT' && message.test(err.message) && err.message.includes(file),
        name,
      );
    }
  });

  it('reports a missing file as the file system error', () => {
    assert.throws(() => readWav(path.join(dir, 'absent.wav')), /ENOENT/);
  });
});

function patch(b: Buffer, edit: (b: Buffer) => void): Buffer {
  edit(b);
  return b;
}
