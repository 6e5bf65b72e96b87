import type { IConstruct } from 'constructs';

/**
 * A construct was given props that cannot work together. Thrown at synth, never at deploy, with the construct path
 * so the user finds the call site.
 */
export class PropsError extends Error {
  /** Path of the construct that rejected its props. */
  public readonly constructPath: string;

  constructor(scope: IConstruct, message: string, options?: ErrorOptions) {
    super(`${scope.node.path}: ${message}`, options);
    this.name = 'PropsError';
    this.constructPath = scope.node.path;
  }
}

/** Type guard for {@link PropsError}. */
export function isPropsError(error: unknown): error is PropsError {
  return error instanceof Error && error.name === 'PropsError';
}
