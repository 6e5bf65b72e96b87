/**
 * Counts the bytes (and lines) this process writes to stdout and stderr while `capturing` is on, and swallows them:
 * the handler's log lines are what a Lambda would ship to CloudWatch Logs, so their size is a cost input, but the
 * terminal should show only the benchmark's table. `print` writes past the capture.
 */
export class LogCapture {
  bytes = 0;
  lines = 0;
  private capturing = false;
  private readonly outWrite = process.stdout.write.bind(process.stdout);
  private readonly errWrite = process.stderr.write.bind(process.stderr);

  install(): void {
    const intercept =
      (original: typeof process.stdout.write) =>
      (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
        if (!this.capturing) return (original as (c: unknown, ...r: unknown[]) => boolean)(chunk, ...rest);
        const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
        this.bytes += Buffer.byteLength(text);
        this.lines += text.split('\n').length - 1;
        const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
        callback?.();
        return true;
      };
    process.stdout.write = intercept(this.outWrite) as typeof process.stdout.write;
    process.stderr.write = intercept(this.errWrite) as typeof process.stderr.write;
  }

  /** Runs `fn` with capture on; returns its result. */
  async during<T>(fn: () => Promise<T>): Promise<T> {
    this.capturing = true;
    try {
      return await fn();
    } finally {
      this.capturing = false;
    }
  }

  print(text: string): void {
    this.outWrite(`${text}\n`);
  }
}
