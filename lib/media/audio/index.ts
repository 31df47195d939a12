/**
 * Audio primitives every media feature shares: G.711 companding, the RTP header, a
 * drift-free 20 ms frame clock and WAV files. Music on hold, park announcements and the
 * conference mixer build on these; none of them knows about SIP.
 */
export { encodeUlaw, encodeAlaw, decodeUlaw, decodeAlaw, encodeG711, decodeG711, linearToUlaw, ulawToLinear, linearToAlaw, alawToLinear, PCMU, PCMA } from './g711';
export type { G711PayloadType } from './g711';
export { rtpPacket, parseRtpHeader, RTP_HEADER_BYTES } from './rtp-packet';
export type { RtpHeader } from './rtp-packet';
export { FramePacer } from './frame-pacer';
export { readWav, writeWav, parseWav, wavBytes, ulawWavBytes, WavFormatError, WAV_RATE } from './wav';
export { sdpOffer, chosenPayloadType, answerTarget } from './media-sdp';
export type { SdpOfferOptions, StreamEndpoint } from './media-sdp';
