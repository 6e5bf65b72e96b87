/**
 * The CLI's one error type: a message that says what went wrong and what to do, and the exit code.
 * The entry point prints `error: <message>` and exits; stack traces only with DEBUG set.
 */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, options?: ErrorOptions & { exitCode?: number }) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = options?.exitCode ?? 1;
  }

  /** Turns an AWS SDK error into advice: missing table, no credentials, unreachable endpoint. */
  static fromAws(error: unknown, doing: string, table?: string): CliError {
    const e = error as Error & { code?: string; cause?: { code?: string } };
    const name = e?.name ?? 'Error';
    const code = e?.code ?? e?.cause?.code;
    let advice: string;
    if (name === 'ResourceNotFoundException') {
      advice = `table${table ? ` "${table}"` : ''} not found: check --table and --region (or --endpoint), or create it with "gatewarden table create --table <name>"`;
    } else if (name === 'CredentialsProviderError' || /credential/i.test(e?.message ?? '')) {
      advice =
        'no AWS credentials found: configure the standard credential chain (AWS_PROFILE, environment, SSO), or pass --endpoint for DynamoDB Local';
    } else if (code === 'ECONNREFUSED' || name === 'TimeoutError' || /ECONNREFUSED/.test(e?.message ?? '')) {
      advice = 'the endpoint did not answer: is DynamoDB Local running there? Check --endpoint';
    } else if (name === 'AccessDeniedException' || name === 'UnrecognizedClientException') {
      advice = `AWS refused the call (${name}): check the credentials' permissions on the table`;
    } else {
      advice = `${name}: ${e?.message ?? String(error)}`;
    }
    return new CliError(`cannot ${doing}: ${advice}`, { cause: error });
  }
}

/** Type guard for {@link CliError}. */
export const isCliError = (error: unknown): error is CliError => error instanceof CliError;
