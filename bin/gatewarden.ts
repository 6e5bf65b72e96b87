// The operator and local CLI: argument parsing only; the work is in lib/cli/.
import { Command, InvalidArgumentError, Option } from 'commander';
import { runDemo } from '../lib/cli/demo';
import { isCliError } from '../lib/cli/errors';
import { createGatewardenTable, dynamoClient } from '../lib/cli/local-stack';
import {
  blockClient,
  cliRegions,
  compilePolicy,
  formatBlocks,
  listBlocks,
  parseDuration,
  parseScope,
  policySchemaText,
  unblockClient,
  validatePolicyFile,
} from '../lib/cli/operator';
import { DEFAULT_REPLAY_CONTAINERS, formatReplay, replayAccessLog } from '../lib/cli/replay';
import { selectScenarios } from '../lib/cli/simulate';
import { formatTokenReport, inspectPolicy, inspectToken } from '../lib/cli/token-inspect';
import { LOG_FORMATS, type LogFormat } from '../lib/replay/formats/types';

const number = (name: string, min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`${name}: ${min} to ${max}`);
  return n;
};

interface TableOptions {
  table?: string;
  endpoint?: string;
  region?: string;
  regions?: string;
}

/** `--regions` (or GATEWARDEN_REGIONS) on the commands that write block flags onto counter items. */
function regionsOption(command: Command): Command {
  return command.addOption(
    new Option(
      '--regions <list>',
      'every Region of a global table, comma-separated (as the stack sets GATEWARDEN_REGIONS); --region is this one',
    ).env('GATEWARDEN_REGIONS'),
  );
}

/** `--table` (or GATEWARDEN_TABLE), `--endpoint`, `--region` on every command that touches a table. */
function tableOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--table <name>', 'the Gatewarden table').env('GATEWARDEN_TABLE').makeOptionMandatory(true),
    )
    .option(
      '--endpoint <url>',
      'DynamoDB endpoint, e.g. DynamoDB Local (default: AWS, standard credential chain)',
    )
    .option('--region <region>', 'AWS Region (default: the standard chain, AWS_REGION)');
}

const withClient = async <T>(
  opts: TableOptions,
  run: (client: ReturnType<typeof dynamoClient>) => Promise<T>,
) => {
  const client = dynamoClient(opts.endpoint, opts.region);
  try {
    return await run(client);
  } finally {
    client.destroy();
  }
};

const program = new Command('gatewarden')
  .description('Gatewarden operator and local tools: tables, blocks, policies, simulation and replay')
  .showHelpAfterError('(add --help for usage)');

const table = program.command('table').description('manage the Gatewarden table');
tableOptions(
  table
    .command('create')
    .description('create the Gatewarden table (keys, active-blocks index, stream) and enable TTL')
    .addHelpText(
      'after',
      '\nExample:\n  gatewarden table create --endpoint http://127.0.0.1:8000 --table gatewarden',
    ),
).action(async (opts: TableOptions) => {
  await withClient(opts, (client) => createGatewardenTable(client, opts.table!));
  console.log(`table ${opts.table} created (TTL on expiresAt)`);
});

const blocks = program.command('blocks').description('inspect blocks');
tableOptions(
  blocks
    .command('list')
    .description('list active blocks (from the active-blocks index, no table scan)')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  gatewarden blocks list --table gatewarden'),
).action(async (opts: TableOptions & { json?: boolean }) => {
  const records = await withClient(opts, (client) => listBlocks(client, opts.table!));
  console.log(opts.json ? JSON.stringify(records, null, 2) : formatBlocks(records));
});

regionsOption(
  tableOptions(
    program
      .command('block')
      .description('block a client now (enforced by the authorizer; ip and prefix blocks also reach WAF)')
      .argument('<value>', 'IP address, CIDR prefix, token hash (or the token itself) or subject')
      .addOption(
        new Option('--scope <scope>', 'what the value is')
          .choices(['ip', 'prefix', 'token', 'subject'])
          .makeOptionMandatory(),
      )
      .option('--for <duration>', 'how long: 90s, 15m, 2h, 7d', '1h')
      .option('--reason <text>', 'recorded with the block', 'operator block')
      .addHelpText(
        'after',
        '\nExamples:\n  gatewarden block --scope ip 203.0.113.45 --for 2h --table gatewarden\n  gatewarden block --scope subject scraper-1 --for 1d --table gatewarden',
      ),
  ),
).action(async (value: string, opts: TableOptions & { scope: string; for: string; reason: string }) => {
  const scope = parseScope(opts.scope);
  const seconds = parseDuration(opts.for);
  const { record, note } = await withClient(opts, (client) =>
    blockClient(
      client,
      opts.table!,
      scope,
      value,
      seconds,
      opts.reason,
      undefined,
      cliRegions(opts.regions, opts.region),
    ),
  );
  console.log(
    `blocked ${record.scope} ${record.value} until ${new Date(record.expiresAt * 1000).toISOString()}`,
  );
  if (note) console.log(`note: ${note}`);
});

regionsOption(
  tableOptions(
    program
      .command('unblock')
      .description('remove a block now')
      .argument('<value>', 'as given to block')
      .addOption(
        new Option('--scope <scope>', 'what the value is')
          .choices(['ip', 'prefix', 'token', 'subject'])
          .makeOptionMandatory(),
      )
      .option('--reset-escalation', 'also forget past offences (the next block starts at the base duration)')
      .addHelpText(
        'after',
        '\nExample:\n  gatewarden unblock --scope ip 203.0.113.45 --reset-escalation --table gatewarden',
      ),
  ),
).action(async (value: string, opts: TableOptions & { scope: string; resetEscalation?: boolean }) => {
  const scope = parseScope(opts.scope);
  const removed = await withClient(opts, (client) =>
    unblockClient(
      client,
      opts.table!,
      scope,
      value,
      opts.resetEscalation ?? false,
      cliRegions(opts.regions, opts.region),
    ),
  );
  console.log(
    `unblocked ${scope} ${removed}${opts.resetEscalation ? ' (offence history reset)' : ''}; WAF follows on its next reconcile`,
  );
});

const policy = program.command('policy').description('check and document policy files');
policy
  .command('validate')
  .description('validate a policy file (JSON or YAML); lists every problem with its field')
  .argument('<file>')
  .addHelpText('after', '\nExample:\n  gatewarden policy validate policy.yaml')
  .action((file: string) => {
    console.log(validatePolicyFile(file));
  });
policy
  .command('compile')
  .description(
    'validate a policy file (JSON or YAML) and print it as the JSON the authorizer reads (GATEWARDEN_POLICY)',
  )
  .argument('<file>')
  .addHelpText('after', '\nExample:\n  gatewarden policy compile policy.yaml > policy.json')
  .action((file: string) => {
    process.stdout.write(compilePolicy(file));
  });
policy
  .command('schema')
  .description('print the policy JSON Schema (for editors: "$schema" in a policy file)')
  .action(() => {
    console.log(policySchemaText());
  });

const token = program.command('token').description('look at a token as the authorizer would');
token
  .command('inspect')
  .description(
    "show a token's identity (issuer, subject, client, token use, scopes, groups, expiry), whether the authorizer variables in the environment accept it, and what each route would answer; the token is never printed back",
  )
  .argument('<jwt>', 'the token (a leading "Bearer " is ignored)')
  .option(
    '--route <route>',
    'the route to answer for, e.g. "DELETE /orders/{id}" (default: every route with a require)',
  )
  .option(
    '--policy <file>',
    'policy file (JSON or YAML); default GATEWARDEN_POLICY, else the built-in policy',
  )
  .addHelpText(
    'after',
    '\nExample:\n  JWT_ISSUER=... JWKS_URI=... JWT_AUDIENCE=... gatewarden token inspect "$TOKEN" --policy policy.yaml --route "DELETE /orders/{id}"',
  )
  .action(async (jwt: string, opts: { route?: string; policy?: string }) => {
    const { policy, routes } = inspectPolicy(opts.policy ?? (process.env.GATEWARDEN_POLICY || undefined));
    const report = await inspectToken(jwt, { policy, routes: opts.route ? [opts.route] : routes });
    console.log(formatTokenReport(report));
  });

program
  .command('simulate')
  .description('run attack scenarios through the local gateway and DynamoDB Local; print the report')
  .option('--scenario <name...>', 'scenario(s) to run (default: all)')
  .option('--seed <n>', 'seed (runs are reproducible)', number('--seed', 0, 2 ** 31), 1)
  .option(
    '--scale <x>',
    'duration scale; 1 = full length (minutes of synthetic traffic each)',
    number('--scale', 0.01, 1),
    1,
  )
  .option('--concurrency <n>', 'scenarios at once', number('--concurrency', 1, 10), 2)
  .option(
    '--containers <k>',
    'authorizer Lambda containers to model (requests spread over them; scale-outs and recycling per scenario)',
    number('--containers', 1, 64),
    1,
  )
  .option('--html <file>', 'also write the HTML report here')
  .option('--endpoint <url>', 'use this DynamoDB Local instead of starting one')
  .addHelpText(
    'after',
    '\nExamples:\n  gatewarden simulate --scenario credential-stuffing token-sharing --seed 7 --html report.html\n  gatewarden simulate --scenario nat-office scale-out-surge --containers 8 --scale 0.3',
  )
  .action(
    async (opts: {
      scenario?: string[];
      seed: number;
      scale: number;
      concurrency: number;
      containers: number;
      html?: string;
      endpoint?: string;
    }) => {
      await runDemo({
        scenarios: selectScenarios(opts.scenario),
        seed: opts.seed,
        scale: opts.scale,
        concurrency: opts.concurrency,
        containers: opts.containers,
        htmlPath: opts.html,
        endpoint: opts.endpoint,
      });
    },
  );

program
  .command('replay')
  .description(
    'run a recorded access log through a modelled authorizer fleet on an isolated table (never the live one) and report what enforce mode would have refused and blocked',
  )
  .argument(
    '<access-log>',
    'Gatewarden JSON, API Gateway $context JSON or CLF, ALB or CloudFront standard log (detected per file)',
  )
  .option('--policy <file>', 'policy to evaluate (default: the built-in defaults)')
  .addOption(
    new Option('--format <format>', 'force the log format instead of detecting it').choices([...LOG_FORMATS]),
  )
  .option(
    '--map <fields>',
    'where $context JSON keeps each field, e.g. requestTime=ts,ip=identity.sourceIp,route=routeKey (fields: requestTime, ip, httpMethod, route, path, status, userAgent, principalId, requestId, tokenHash, label)',
  )
  .option(
    '--containers <k>',
    'authorizer containers to model',
    number('--containers', 1, 1000),
    DEFAULT_REPLAY_CONTAINERS,
  )
  .option('--seed <n>', 'seed of the fleet routing (runs are reproducible)', number('--seed', 0, 2 ** 31), 1)
  .option('--html <file>', 'also write a self-contained HTML report here')
  .option('--in-memory', 'count in memory instead of DynamoDB Local (same semantics, faster on big logs)')
  .option(
    '--endpoint <url>',
    'create the isolated table on this DynamoDB Local instead of starting a private one',
  )
  .addHelpText(
    'after',
    '\nExamples:\n  gatewarden replay access-2024-06-01.jsonl --policy candidate-policy.yaml --html replay.html\n  gatewarden replay alb.log --containers 4 --seed 2\n  gatewarden replay stage.log --map requestTime=ts,ip=client,route=routeKey',
  )
  .action(
    async (
      file: string,
      opts: {
        policy?: string;
        format?: LogFormat;
        map?: string;
        containers: number;
        seed: number;
        html?: string;
        inMemory?: boolean;
        endpoint?: string;
      },
    ) => {
      const result = await replayAccessLog({
        file,
        ...(opts.policy ? { policyFile: opts.policy } : {}),
        ...(opts.format ? { format: opts.format } : {}),
        ...(opts.map ? { map: opts.map } : {}),
        containers: opts.containers,
        seed: opts.seed,
        ...(opts.html ? { htmlPath: opts.html } : {}),
        ...(opts.inMemory ? { inMemory: true } : {}),
        ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
        progress: (done, total) => {
          // On a terminal only, and wiped at the end: the report itself stays clean when piped.
          if (total < 2000 || !process.stderr.isTTY) return;
          process.stderr.write(done < total ? `replayed ${done}/${total}\r` : `${' '.repeat(40)}\r`);
        },
      });
      console.log(formatReplay(result));
      if (opts.html) console.log(`HTML report: ${opts.html}`);
    },
  );

program.parseAsync().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    if (process.env.DEBUG) console.error(error);
    process.exit(isCliError(error) ? error.exitCode : 1);
  },
);
