/** Why a transfer was refused or failed; `status` is the SIP status the NOTIFY or the INVITE answer carries. */
export type TransferErrorCode = 'not-answered' | 'parked' | 'in-progress' | 'no-target' | 'same-call' | 'failed'
  // the other call of an attended transfer, asked of its owner instance (remote.ts)
  | 'no-call' | 'other-tenant' | 'ambiguous';

export class TransferError extends Error {
  constructor(readonly code: TransferErrorCode, readonly status: number, message: string) {
    super(message);
  }
}
