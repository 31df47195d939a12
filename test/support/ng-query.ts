import type { Logger } from 'winston';
import { createNgClient } from '../../lib/media/ng-client';

/**
 * rtpengine's own ports for each party of a call (ng `query`): the port a party's RTP
 * must be sent to, by that party's tag. Tests use it to play a phone's audio.
 */
export async function rtpenginePorts(ngPort: number, callId: string, logger: Logger): Promise<Map<string, number>> {
  const ng = createNgClient({ host: '127.0.0.1', port: ngPort, timeoutMs: 1000, logger });
  try {
    const r = await ng.request('query', { 'call-id': callId }) as unknown as {
      tags?: Record<string, { medias?: Array<{ streams?: Array<{ 'local port'?: number }> }> }>;
    };
    const out = new Map<string, number>();
    for (const [tag, mono] of Object.entries(r.tags ?? {})) {
      const port = mono.medias?.[0]?.streams?.[0]?.['local port'];
      if (port) out.set(tag, port);
    }
    return out;
  } finally {
    await ng.close();
  }
}
