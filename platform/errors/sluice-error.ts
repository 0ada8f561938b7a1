/**
 * The one error base class of sluice (after kafkajs' `KafkaJSError`): every error that
 * crosses a component boundary carries a stable `code`, whether retrying can help
 * (`retriable`) and the `cause` chain. The decision to retry, dead-letter or fail is made
 * once, at the edge that owns the I/O.
 */
export class SluiceError extends Error {
  readonly code: string;
  readonly retriable: boolean;

  constructor(code: string, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SluiceError';
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/** True when `err` (or anything in its cause chain) is a retriable SluiceError. */
export function isRetriable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    if (e instanceof SluiceError) return e.retriable;
  }
  return false;
}

/** Message of an unknown thrown value, for logs and dead-letter reasons. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
