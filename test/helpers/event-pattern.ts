/**
 * Evaluates the subset of EventBridge/Lambda event-filter pattern syntax Gatewarden uses: nested objects and
 * arrays of literal values (a value matches when it equals one of them). Anything else throws, so a pattern that
 * grows beyond this subset cannot pass a test by accident.
 */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  if (Array.isArray(pattern)) {
    for (const option of pattern) {
      if (option !== null && typeof option === 'object') {
        throw new Error(`unsupported pattern operator ${JSON.stringify(option)}`);
      }
    }
    return pattern.some((option) => option === event);
  }
  if (pattern === null || typeof pattern !== 'object') throw new Error('pattern leaves must be arrays');
  if (event === null || typeof event !== 'object') return false;
  return Object.entries(pattern).every(([key, sub]) =>
    matchesPattern(sub, (event as Record<string, unknown>)[key]),
  );
}
