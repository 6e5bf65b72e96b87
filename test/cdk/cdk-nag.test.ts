import { App, type Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { AttachStack } from '../../lib/stacks/attach-stack';
import { GatewardenStack } from '../../lib/stacks/gatewarden-stack';
import { configFrom } from './synth';

/** Runs the AwsSolutions pack over a stack exactly as `bin/app.ts` registers it, and returns the unacknowledged findings. */
function findings(build: (app: App) => Stack): string[] {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  build(app);
  const pack = new AwsSolutionsChecks(app);
  Validations.of(app).addPlugins(pack);
  const report = pack.validateScope(app);
  return report.violations.flatMap((v) =>
    v.violatingResources.map((r) => `${v.ruleName} ${r.locations?.join(',') ?? ''} ${JSON.stringify(r)}`),
  );
}

const JWT = {
  issuer: 'https://idp.example.com/',
  audience: 'api',
  jwksUri: 'https://idp.example.com/jwks.json',
};

describe('cdk-nag AwsSolutions', () => {
  it('Compliance 1: the demo stack has no unacknowledged findings', () => {
    // Act / Assess
    expect(
      findings(
        (app) => new GatewardenStack(app, 'Demo', { config: configFrom({ alarmEmail: 'ops@example.com' }) }),
      ),
    ).toEqual([]);
  });

  it('Compliance 2: the demo stack with a CMK, replicas and mTLS has none either', () => {
    // Act / Assess
    expect(
      findings(
        (app) =>
          new GatewardenStack(app, 'DemoCmk', {
            env: { region: 'us-east-1', account: '123456789012' },
            config: configFrom({
              kmsKey: 'create',
              region: 'us-east-1',
              replicaRegions: 'eu-west-1',
              replicaKeyArns:
                'eu-west-1=arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555',
              domainName: 'api.example.com',
              certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc',
              mtlsTruststoreUri: 's3://trust/ca.pem',
            }),
          }),
      ),
    ).toEqual([]);
  });

  it('Compliance 3: the attach stack has none', () => {
    // Act / Assess
    expect(
      findings(
        (app) =>
          new AttachStack(app, 'Attach', {
            env: { region: 'us-east-1' },
            config: configFrom({
              ...JWT,
              kmsKey: 'create',
              region: 'us-east-1',
              restApiId: 'abcde12345',
              restApiStage: 'prod',
              restApiMethods: 'a1b2c3:GET',
              httpApiId: 'zyxwv98765',
              httpApiRoutes: 'r1a2b3c',
            }),
          }),
      ),
    ).toEqual([]);
  });

  it('Noncompliance 1: synth fails on a finding nobody acknowledged', async () => {
    // Prepare
    const app = new App({
      context: { 'aws:cdk:bundling-stacks': [] },
      outdir: (await import('node:fs')).mkdtempSync(`${(await import('node:os')).tmpdir()}/gw-nag-`),
    });
    const stack = new GatewardenStack(app, 'Demo');
    const sqs = await import('aws-cdk-lib/aws-sqs');
    new sqs.Queue(stack, 'Unacknowledged');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    // Act / Assess
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });
});
