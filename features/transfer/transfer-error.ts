/** Why a transfer was refused or failed; `status` is the SIP status the NOTIFY or the INVITE answer carries. */
export type TransferErrorCode = 'not-answered' | 'parked' | 'in-progress' | 'no-target' | 'same-call' | 'failed';

export class TransferError extends Error {
  constructor(readonly code: TransferErrorCode, readonly status: number, message: string) {
    super(message);
  }
}
