import type { NgParams, NgResponse } from 'rtpengine-client';
import type { Logger } from 'winston';
import type { MediaAnchor } from './media-anchor';
import { MediaError } from './media-error';
import { createNgClient, type NgClient, type NgCommand } from './ng-client';
import { answerOptions, deleteOptions, offerOptions } from './ng-flags';

export interface RtpengineAnchorOptions {
  /** rtpengine's ng address and port */
  host: string;
  port: number;
  /** bound on every ng request, default 2000 ms; an INVITE must not wait longer on media */
  timeoutMs?: number;
  /** ng `list` returns at most this many call ids (rtpengine's default is 32); the reply must fit one UDP datagram */
  listLimit?: number;
  logger: Logger;
}

/** A MediaAnchor backed by one rtpengine; `close()` releases its socket. */
export interface RtpengineAnchor extends MediaAnchor {
  /**
   * Seconds since rtpengine started (ng `statistics`, `totalstatistics.uptime`); a value
   * that falls behind our own clock means it restarted (rtpengine-restart.ts). Never
   * throws: undefined when it could not say.
   */
  uptime(): Promise<number | undefined>;
  close(): Promise<void>;
}

export function createRtpengineAnchor(opts: RtpengineAnchorOptions): RtpengineAnchor {
  const log = opts.logger.child({ component: 'rtpengine-anchor', ngPort: opts.port });
  const ng: NgClient = createNgClient({ host: opts.host, port: opts.port, timeoutMs: opts.timeoutMs ?? 2000, logger: log });
  const listLimit = opts.listLimit ?? 1000;

  /** A request, logged with its latency; failures are logged once here and rethrown as they are. */
  async function request(command: NgCommand, params: NgParams): Promise<NgResponse> {
    const started = Date.now();
    const callId = params['call-id'];
    try {
      const res = await ng.request(command, params);
      log.debug('rtpengine ng', { command, callId, ms: Date.now() - started });
      return res;
    } catch (err) {
      log.warn('rtpengine ng failed', { command, callId, ms: Date.now() - started, code: (err as MediaError).code, err: String(err) });
      throw err;
    }
  }

  function sdpOf(res: NgResponse, command: NgCommand): string {
    if (typeof res.sdp !== 'string' || res.sdp.length === 0) {
      throw new MediaError('E_MEDIA_BAD_REPLY', `rtpengine '${command}' reply has no sdp`, undefined, command);
    }
    return res.sdp;
  }

  return {
    async offer(p) {
      const res = await request('offer', {
        'call-id': p.callId,
        'from-tag': p.fromTag,
        ...(p.toTag ? { 'to-tag': p.toTag } : {}),
        ...(p.viaBranch ? { 'via-branch': p.viaBranch } : {}),
        sdp: p.sdp,
        ...offerOptions(p.sdp),
      });
      return sdpOf(res, 'offer');
    },

    async answer(p) {
      const res = await request('answer', {
        'call-id': p.callId,
        'from-tag': p.fromTag,
        'to-tag': p.toTag,
        sdp: p.sdp,
        ...answerOptions(),
      });
      return sdpOf(res, 'answer');
    },

    async delete(p) {
      // Without `fatal`, rtpengine answers an unknown call-id with ok and a warning: a
      // retransmitted BYE, or both legs hanging up at once, must not turn into an error.
      await request('delete', {
        'call-id': p.callId,
        ...(p.fromTag ? { 'from-tag': p.fromTag } : {}),
        ...(p.toTag ? { 'to-tag': p.toTag } : {}),
        ...deleteOptions(),
      });
    },

    async list() {
      const res = await request('list', { limit: listLimit });
      if (!Array.isArray(res.calls)) throw new MediaError('E_MEDIA_BAD_REPLY', "rtpengine 'list' reply has no calls", undefined, 'list');
      return res.calls.map(String);
    },

    async mediaPackets(callId) {
      try {
        return packetsOf(await request('query', { 'call-id': callId }));
      } catch {
        return undefined;
      }
    },

    async ping() {
      try {
        return (await ng.request('ping')).result === 'pong';
      } catch {
        return false;
      }
    },

    async playMedia(p) {
      const res = await request('playMedia', {
        'call-id': p.callId,
        'from-tag': p.fromTag,
        ...(p.file !== undefined ? { file: p.file } : {}),
        ...(p.blob !== undefined ? { blob: p.blob } : {}),
        ...(p.repeatTimes !== undefined ? { 'repeat-times': p.repeatTimes } : {}),
      });
      return typeof res.duration === 'number' ? { durationMs: res.duration } : {};
    },

    async blockMedia(p) {
      await request('blockMedia', { 'call-id': p.callId, 'from-tag': p.fromTag });
    },
    async unblockMedia(p) {
      await request('unblockMedia', { 'call-id': p.callId, 'from-tag': p.fromTag });
    },
    async stopMedia(p) {
      await request('stopMedia', { 'call-id': p.callId, 'from-tag': p.fromTag });
    },

    async uptime() {
      try {
        return uptimeOf(await ng.request('statistics'));
      } catch {
        return undefined;
      }
    },

    close: () => ng.close(),
  };
}

interface QueryStream {
  stats?: { packets?: unknown };
}

/** The sum of `stats.packets` over every stream of every party of an ng `query` reply. */
export function packetsOf(res: NgResponse): number | undefined {
  const tags = (res as { tags?: unknown }).tags;
  if (!tags || typeof tags !== 'object') return undefined;
  let sum = 0;
  for (const mono of Object.values(tags as Record<string, { medias?: Array<{ streams?: QueryStream[] }> }>)) {
    for (const m of mono?.medias ?? []) {
      for (const st of m?.streams ?? []) {
        const n = st?.stats?.packets;
        if (typeof n === 'number' && Number.isFinite(n)) sum += n;
      }
    }
  }
  return sum;
}

/** `statistics.totalstatistics.uptime` of an ng `statistics` reply (rtpengine sends it as a decimal string). */
export function uptimeOf(res: NgResponse): number | undefined {
  const total = (res as { statistics?: { totalstatistics?: { uptime?: unknown } } }).statistics?.totalstatistics;
  const n = Number(total?.uptime);
  return total?.uptime !== undefined && Number.isFinite(n) && n >= 0 ? n : undefined;
}
