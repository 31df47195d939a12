import { isIP } from 'node:net';
import { parse, parsePayloads, type MediaDescription, type SessionDescription } from 'sdp-transform';
import type { G711PayloadType } from './g711';

/**
 * The SDP of an embedded media server's leg (music on hold, a conference bridge). The
 * media server is the offerer (the 3pcc INVITE had no SDP, RFC 3261 13.2.1, so our 200 OK
 * carries the offer and the ACK the answer; RFC 3725 4.1).
 */

export interface SdpOfferOptions {
  /** o= session id and version (RFC 4566 5.2): digits; bump the version on every new offer (RFC 3264 8) */
  sessionId: string | number | bigint;
  version: string | number | bigint;
  /** the address to advertise, if not the stream's own (e.g. it is bound to 0.0.0.0) */
  address?: string;
  /** s= line; default 'music on hold' */
  name?: string;
  /** default sendonly (music only sends); a bridge is sendrecv */
  direction?: 'sendonly' | 'sendrecv';
}

/** What an offer needs from a stream: where it sends from (and listens). */
export interface StreamEndpoint {
  readonly localAddress: string;
  readonly localPort: number;
}

/**
 * An offer for the stream: PCMU and PCMA at 20 ms, sendonly by default (RFC 3264 5.1:
 * music only sends; the answer should be recvonly). No telephone-event: DTMF to a media
 * server goes nowhere.
 */
export function sdpOffer(stream: StreamEndpoint, opts: SdpOfferOptions): string {
  const address = opts.address ?? stream.localAddress;
  const family = isIP(address);
  if (family === 0) throw new RangeError(`cannot advertise ${address}: not an IP address`);
  if (address === '0.0.0.0' || address === '::') throw new RangeError(`cannot advertise the unspecified address ${address}; pass opts.address`);
  const sessionId = digits(opts.sessionId, 'sessionId');
  const version = digits(opts.version, 'version');
  const ip = family === 6 ? 'IP6' : 'IP4';
  return [
    'v=0',
    `o=- ${sessionId} ${version} IN ${ip} ${address}`,
    `s=${opts.name ?? 'music on hold'}`,
    `c=IN ${ip} ${address}`,
    't=0 0',
    `m=audio ${stream.localPort} RTP/AVP 0 8`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=ptime:20',
    `a=${opts.direction ?? 'sendonly'}`,
    '',
  ].join('\r\n');
}

/**
 * The codec the answer chose: the first payload type on its audio line that is 0 (PCMU) or
 * 8 (PCMA) (RFC 3264 6.1: the answer lists the offered formats it accepts, preferred first).
 * Undefined if there is no audio line, the audio was rejected (port 0), or neither is there.
 */
export function chosenPayloadType(answerSdp: string): G711PayloadType | undefined {
  const audio = firstAudio(parse(answerSdp));
  if (!audio || audio.port === 0) return undefined;
  const pt = parsePayloads(String(audio.payloads ?? '')).find((p) => p === 0 || p === 8);
  return pt as G711PayloadType | undefined;
}

/**
 * Where to send the music: the audio line's port and its c= address, or the session's
 * (RFC 4566 5.7). Undefined when the answer gives nowhere to send: no audio line, audio
 * rejected (port 0), no c=, or the unspecified address 0.0.0.0/:: (RFC 3264 8.4: do not send).
 */
export function answerTarget(answerSdp: string): { address: string; port: number } | undefined {
  const session = parse(answerSdp);
  const audio = firstAudio(session);
  if (!audio || audio.port === 0) return undefined;
  const address = audio.connection?.ip ?? session.connection?.ip;
  const bare = address?.split('/')[0]; // a multicast address may carry /ttl
  if (!bare || isIP(bare) === 0 || bare === '0.0.0.0' || bare === '::') return undefined;
  return { address: bare, port: audio.port };
}

function firstAudio(session: SessionDescription): MediaDescription | undefined {
  return session.media.find((m) => m.type === 'audio');
}

function digits(v: string | number | bigint, what: string): string {
  const s = String(v);
  if (!/^\d{1,20}$/.test(s)) throw new RangeError(`SDP ${what} must be a non-negative integer, got ${s}`);
  return s;
}
