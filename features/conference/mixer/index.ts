/**
 * The conference bridge's real-time audio mixer. No SIP here: the conference feature
 * negotiates each member's SDP and tells the mixer where the audio goes.
 *
 *   const mixer = await ConferenceMixer.start({ host: '192.0.2.10', portMin: 20000, portMax: 29999, logger });
 *   const local = await mixer.addMember('room-1', callId, { payloadType: 0 });  // local.address/port -> our SDP
 *   await mixer.setRemote(callId, { address: '198.51.100.7', port: 4000, payloadType: 8 }); // <- their SDP
 *   await mixer.removeMember(callId);        // a member hangs up
 *   await mixer.closeBridge('room-1');       // the conference ends (resolves with members removed)
 *   const stats = await mixer.stats();       // { bridges, members, ticks, packetsIn/Out/Dropped, lateness: { p99Ms, late, histogram } ... }
 *   await mixer.close();                     // frees every port, ends the worker
 *
 * Keep [portMin, portMax] clear of the kernel's ephemeral range (Linux: 32768-60999),
 * where any socket bound to port 0 may land.
 *
 * Model:
 * - A bridge is created by its first addMember and goes with its last member.
 * - Each member is one RTP stream on its own even UDP port of [portMin, portMax] on
 *   `host` (RTCP is not bound). It is sent to the remote from setRemote (or addMember's
 *   `remote`); with no remote yet, or for a member added with `latch: true` after every
 *   remote change, the source of the next packet received becomes the remote (symmetric
 *   RTP, RFC 4961). Nothing is sent to a member before a remote is known. Once the
 *   remote is settled the socket is connected to it (cheaper sends), so packets from any
 *   other source are dropped by the kernel until the next setRemote.
 * - Codecs: G.711 PCMU (0) and PCMA (8) per member, 8 kHz, 20 ms packets (a=ptime:20:
 *   a packet longer than 160 samples is cut to 160). Other payload types (RFC 4733
 *   events, comfort noise) are ignored.
 * - Every 20 ms each member hears the sum of the others, never itself (mix-minus),
 *   clamped to 16 bits, in its own codec, on its own SSRC/sequence/timestamp (RFC 3550
 *   5.1), silence included, so its stream never pauses.
 * - A jitter buffer per member (playout delay `playoutFrames`, default 2 frames = 40 ms)
 *   reorders by sequence number; a packet missing at its tick contributes nothing and
 *   never holds up the mix.
 * - The engine runs in a worker thread with one drift-free clock for all bridges. The
 *   20 ms period is cut into `phases` slots (default 10, i.e. a tick every 2 ms); each
 *   bridge mixes in one slot, so a tick sends a quarter of the packets and the last
 *   bridge of a tick is not held up by all the others. `phases: 1` gives a single
 *   wakeup per 20 ms for everything. A due tick is mixed before the next datagram is
 *   handled (TickClock), so under load it does not wait behind the sockets' backlog.
 * - stats() reports `lateness` (per bridge frame: sent how long after its due time,
 *   p50/p99/max, count over `lateAfterMs`, histogram), `wakeups` (per tick: how late
 *   the clock woke, before any work) and `framesSkipped` (bridge frames of ticks skipped
 *   after a stall: never sent, so not in `lateness`), counters since start or the last
 *   reset.
 *
 * Errors are MixerError with a stable `code`: E_MIXER_CONFIG, E_MIXER_BAD_ARGUMENT,
 * E_MIXER_PORTS_EXHAUSTED, E_MIXER_UNKNOWN_MEMBER, E_MIXER_MEMBER_EXISTS,
 * E_MIXER_CLOSED, E_MIXER_WORKER.
 */
export { ConferenceMixer } from './conference-mixer';
export type { ConferenceMixerOptions } from './conference-mixer';
export { MixerError } from './mixer-error';
export type { MixerErrorCode } from './mixer-error';
export type { AddMemberOptions, SetRemoteOptions, RemoteEndpoint, MemberInfo } from './mixer-options';
export type { MixerStats } from './protocol';
export type { LatenessSummary } from './lateness';
export { LATENESS_BUCKET_MS } from './lateness';
