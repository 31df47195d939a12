/**
 * What drachtio-srf 5.x does at run time and its own declarations (lib/@types/index.d.ts)
 * leave out or get wrong, for its requests, responses and dialogs: a module augmentation
 * (top-level declarations merge into the `export =` namespace), so no caller casts them.
 * The Srf object itself cannot be augmented this way; lib/sip/srf-app.ts types it. Each
 * entry names the place in srf's JavaScript it describes.
 */
export {};

declare module 'drachtio-srf' {
  type Headers = Record<string, string>;

  /** srf.js createUAC's progress callbacks: cbRequest is called (err, req), not (req) */
  interface ProgressCallbacks {
    /** the request as sent (its `cancel()` sends CANCEL); none when it could not be sent (`cbRequest(err)`) */
    cbRequest?: (err: unknown, req?: SrfRequest) => void;
    cbProvisional?: (res: SrfResponse) => void;
  }

  /** dialog.js request(): an in-dialog request by method; headers and body optional */
  interface DialogRequestOptions {
    method: SipMethod;
    headers?: Headers;
    body?: string;
  }

  /**
   * srf.js createUAC with `noAck: true` (RFC 3725 3pcc): the 200's offer, and the ACK to
   * send with our answer (which makes the dialog) or, abandoning it, ACK and BYE.
   */
  interface UacAwaitingAck {
    sdp: string;
    ack(localSdp: string): Promise<Dialog>;
    destroy(): Promise<void>;
  }

  /** dialog.js modify(sdp, opts): headers for the re-INVITE (a Contact is added if none) */
  interface ModifyOptions {
    headers?: Headers;
    noAck?: boolean;
  }

  interface SrfRequest {
    // request.js cancel(opts, callback): both optional
    cancel(opts?: { headers?: Headers }): void;
  }

  interface SrfResponse {
    // response.js send(status, reason, opts): a reason phrase without a callback
    send(status: number, reason: string | undefined, opts?: { headers?: Headers; body?: string }): void;
  }

  interface Dialog {
    /** dialog.js: the response that made the dialog (a UAC dialog's 2xx, a UAS dialog's answer) */
    res: SrfResponse;
    /**
     * dialog.js modify(): srf's one-re-INVITE-at-a-time queue (count waiting or in
     * progress, and who to admit next); srf releases it only on a 200 (lib/calls/modify.ts)
     */
    _reinvitesInProgress: { count: number; admitOne: Array<() => void> };
    modify(sdp: string, opts: ModifyOptions): Promise<string>;
    /** dialog.js: false once a BYE was received or sent (or a subscription terminated) */
    connected?: boolean;
    request(opts: DialogRequestOptions): Promise<SrfResponse>;
    // dialog.js: a SUBSCRIBE dialog's refresh and its end (Expires: 0)
    on(event: 'subscribe' | 'unsubscribe', listener: (req: SrfRequest, res: SrfResponse) => void): this;
  }
}
