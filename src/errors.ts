/**
 * User-facing failures. Each carries a stable code and an exit status: 1 for a failure of the work,
 * 2 for a usage error (unknown flag, dataset, method...). The CLI prints `ssl-bench: <message>` once.
 */
export class SslBenchError extends Error {
  readonly code: string;
  readonly exitCode: number = 1;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = 'SslBenchError';
  }
}

/** A bad flag value, unknown name or missing argument: exit code 2. */
export class UsageError extends SslBenchError {
  override readonly exitCode: number = 2;
  constructor(message: string, code = 'SSLB_USAGE') {
    super(code, message);
    this.name = 'UsageError';
  }
}

/** Names the known choices when an unknown one was given. */
export function unknownChoice(what: string, given: string, known: readonly string[]): UsageError {
  return new UsageError(`unknown ${what} '${given}'; known: ${known.join(', ')}`, 'SSLB_UNKNOWN_' + what.toUpperCase().replace(/[^A-Z]+/g, '_'));
}
