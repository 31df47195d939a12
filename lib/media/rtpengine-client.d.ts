/**
 * Types for the untyped `rtpengine-client` package (0.4.x), limited to what lib/media uses.
 * The package is JavaScript with no published typings; this file describes its UDP `Client`.
 */
declare module 'rtpengine-client' {
  import { EventEmitter } from 'node:events';

  /** A bencode value as the ng protocol carries it (no booleans: bencode has none). */
  export type NgValue = string | number | Buffer | NgValue[] | { [key: string]: NgValue };
  export type NgParams = { [key: string]: NgValue };

  /** An ng reply dictionary: `result` is `ok`, `pong` or `error` (then `error-reason`). */
  export interface NgResponse {
    result: string;
    'error-reason'?: string;
    warning?: string;
    sdp?: string;
    calls?: string[];
    [key: string]: unknown;
  }

  export interface NgDestination {
    port: number;
    host: string;
  }

  export interface ClientOptions {
    localPort?: number;
    localAddress?: string;
    /** ms to wait for each reply; 0 waits forever */
    timeout?: number;
    rejectOnError?: boolean;
  }

  type Command = (dest: NgDestination, params?: NgParams) => Promise<NgResponse>;

  /** ng over UDP. Emits 'listening' once bound and 'error' for socket errors and uncorrelated replies. */
  export class Client extends EventEmitter {
    constructor(opts?: ClientOptions);
    ping: Command;
    offer: Command;
    answer: Command;
    delete: Command;
    list: Command;
    query: Command;
    playMedia: Command;
    stopMedia: Command;
    blockMedia: Command;
    unblockMedia: Command;
    statistics: Command;
    close(): void;
  }

  export class RtpEngineError extends Error {}
}

/** The package's base class: only its static message encoder is touched (see ng-client.ts). */
declare module 'rtpengine-client/lib/BaseClient' {
  const BaseClient: { encodeMessage(id: string, data: unknown): Buffer };
  export = BaseClient;
}

/** bencode 2.x, the encoder rtpengine-client itself uses. */
declare module 'bencode' {
  export function encode(data: unknown): Buffer;
}
