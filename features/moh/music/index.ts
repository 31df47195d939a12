/**
 * The media half of the embedded music-on-hold server: G.711 encoding, the built-in
 * music, WAV files, one shared RTP stream per music class, and the SDP of the hold leg.
 * The SIP half (answering an offerless INVITE with sdpOffer) lives with the caller.
 */
export { MusicStream, PTIME_MS, FRAME_SAMPLES, MAX_BURST } from './music-stream';
export type { MusicStreamOptions, MusicListener, ListenerHandle, MusicStreamStats } from './music-stream';
export { MusicLibrary, DEFAULT_CLASS } from './music-library';
export type { MusicLibraryOptions } from './music-library';
export { sdpOffer, chosenPayloadType, answerTarget } from '../../../lib/media/audio/media-sdp';
export type { SdpOfferOptions, StreamEndpoint } from '../../../lib/media/audio/media-sdp';
export { defaultMusic, DEFAULT_MUSIC_RATE } from './default-music';
export { readWav, writeWav, parseWav, wavBytes, WavFormatError, WAV_RATE } from '../../../lib/media/audio';
export { encodeUlaw, encodeAlaw, decodeUlaw, decodeAlaw, encodeG711, decodeG711, PCMU, PCMA } from '../../../lib/media/audio';
export type { G711PayloadType } from '../../../lib/media/audio';
