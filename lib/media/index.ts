/**
 * The media layer: rtpengine anchors every call's RTP.
 * - `MediaAnchor`: what the call model and features need of a media relay (offer/answer
 *   rewriting, delete, list, ping, announcements), and its rtpengine implementation over ng.
 * - `startRtpengine`: a supervised rtpengine process (userspace), for tests and single-host runs.
 * - `MediaError`: the coded errors of both.
 * - `MediaSession`, `MediaServerTarget`: a media server session, by SIP or in this process.
 */
export type { MediaAnchor, OfferParams, AnswerParams, DeleteParams, PlayMediaParams } from './media-anchor';
export { createRtpengineAnchor, type RtpengineAnchor, type RtpengineAnchorOptions } from './rtpengine-anchor';
export { RtpengineRestartWatch, observeUptime, type RestartWatchDeps } from './rtpengine-restart';
export { startRtpengine, type RtpengineProcess, type RtpengineProcessOptions } from './rtpengine-process';
export type { RtpengineState } from './rtpengine-state';
export { MediaError, type MediaErrorCode } from './media-error';
export { MohSettingsStore, classFor, musicTarget, DEFAULT_SETTINGS, type MohClass, type MohSettings, type MusicTarget } from './music-classes';
export { EmbeddedServices, LocalMediaSession, describeTarget, type EmbeddedMediaServer, type EmbeddedMusic, type MediaServerTarget, type MediaSession, type SipMediaServer } from './media-service';
export { confirmationTone, CONFIRMATION_FREQS, type TonePrompt } from './confirmation-tone';
