// `npm start`: the whole Gatewarden loop on loopback, then the report. `npm start -- --serve` keeps the gateway up.
import { Command, InvalidArgumentError } from 'commander';
import { runDemo } from '../lib/cli/demo';
import { isCliError } from '../lib/cli/errors';

const number = (name: string, min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`${name}: ${min} to ${max}`);
  return n;
};

const program = new Command('npm start --')
  .description(
    'Runs DynamoDB Local, a token issuer and the local API Gateway emulator, sends every attack scenario through it, prints the report and writes reports/gatewarden-report.html',
  )
  .option('--serve', 'keep the local gateway up afterwards for curl')
  .option('--port <n>', 'port of the --serve gateway', number('--port', 1, 65535), 8787)
  .option(
    '--scale <x>',
    'scenario duration scale (1 = full length, several minutes)',
    number('--scale', 0.01, 1),
    0.15,
  )
  .option('--seed <n>', 'scenario seed', number('--seed', 0, 2 ** 31), 1)
  .option('--concurrency <n>', 'scenarios run at once', number('--concurrency', 1, 10), 4)
  .option(
    '--containers <k>',
    'authorizer Lambda containers to model (requests spread over them; scale-outs and recycling per scenario)',
    number('--containers', 1, 64),
    1,
  )
  .option('--html <file>', 'HTML report path', 'reports/gatewarden-report.html')
  .action(
    async (opts: {
      serve?: boolean;
      port: number;
      scale: number;
      seed: number;
      concurrency: number;
      containers: number;
      html: string;
    }) => {
      await runDemo({
        serve: opts.serve,
        port: opts.port,
        scale: opts.scale,
        seed: opts.seed,
        concurrency: opts.concurrency,
        containers: opts.containers,
        htmlPath: opts.html,
      });
    },
  );

program.parseAsync().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`error: ${isCliError(error) || error instanceof Error ? error.message : String(error)}`);
    if (process.env.DEBUG) console.error(error);
    process.exit(isCliError(error) ? error.exitCode : 1);
  },
);
