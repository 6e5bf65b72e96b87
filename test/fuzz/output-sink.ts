/**
 * Swallows what the process writes to stdout/stderr (Powertools logs and EMF metrics) while counting lines and
 * checking each write for secrets that must never be logged. Powertools' Console is bound to the streams and calls
 * their `write` at call time, so replacing `write` captures every line without changing the loggers.
 */
export interface OutputSink {
  /** Log/EMF writes seen. */
  readonly writes: number;
  /** Writes that contained one of the secrets (with the secret's label). */
  readonly leaks: readonly { readonly label: string; readonly excerpt: string }[];
  /** Adds a secret to look for from now on. */
  watch(label: string, secret: string): void;
  /** Writes that contained `text` (the last 50 kept). */
  matching(text: string): readonly string[];
  restore(): void;
}

export function captureOutput(options: { keep?: number } = {}): OutputSink {
  const keep = options.keep ?? 200;
  const secrets: { label: string; secret: string }[] = [];
  const leaks: { label: string; excerpt: string }[] = [];
  const recent: string[] = [];
  let writes = 0;
  const original = { out: process.stdout.write, err: process.stderr.write };
  const write = (chunk: unknown): boolean => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    writes += 1;
    for (const { label, secret } of secrets) {
      const at = text.indexOf(secret);
      if (at >= 0 && leaks.length < 20)
        leaks.push({ label, excerpt: text.slice(Math.max(0, at - 200), at + 50) });
    }
    recent.push(text.length > 4000 ? `${text.slice(0, 4000)}…` : text);
    if (recent.length > keep) recent.shift();
    return true;
  };
  process.stdout.write = write as typeof process.stdout.write;
  process.stderr.write = write as typeof process.stderr.write;
  return {
    get writes() {
      return writes;
    },
    leaks,
    watch: (label, secret) => {
      if (secret.length > 0) secrets.push({ label, secret });
    },
    matching: (text) => recent.filter((line) => line.includes(text)).slice(-50),
    restore: () => {
      process.stdout.write = original.out;
      process.stderr.write = original.err;
    },
  };
}
