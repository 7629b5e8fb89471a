/** Why a client's `Last-Event-ID` could not be resumed (the `reason` of the reset event). */
export type ResetReason = 'history-exceeded' | 'unknown-id';
