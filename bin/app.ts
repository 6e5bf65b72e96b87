#!/usr/bin/env node
import { Annotations, App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { isConfigError, readConfig } from '../lib/config';
import { AttachStack } from '../lib/stacks/attach-stack';
import { GatewardenStack } from '../lib/stacks/gatewarden-stack';

// Context -> validated config (every problem reported at once) -> one stack. cdk-nag runs on every synth and
// fails it on any unacknowledged finding.
const app = new App();
const config = (() => {
  try {
    return readConfig((key) => app.node.tryGetContext(key));
  } catch (error) {
    if (!isConfigError(error)) throw error;
    // The message lists every problem with its context key; a stack trace would only bury it.
    console.error(error.message);
    process.exit(1);
  }
})();
const env = {
  ...(config.account ? { account: config.account } : {}),
  ...(config.region ? { region: config.region } : {}),
};

const stack =
  config.target === 'attach'
    ? new AttachStack(app, config.stackName, {
        config,
        env,
        description: 'Gatewarden: bot defense attached to existing API Gateway APIs',
      })
    : new GatewardenStack(app, config.stackName, {
        config,
        env,
        description: 'Gatewarden: bot defense for API Gateway (demo REST and HTTP APIs)',
      });
if (config.usingDemoIssuer) {
  Annotations.of(stack).addInfo(
    'Gatewarden demo: no issuer given, so the authorizers use a placeholder issuer and answer 401 to every token. Pass -c issuer=... -c audience=... -c jwksUri=... (or, for Amazon Cognito, -c cognitoUserPoolId=... -c cognitoClientIds=...) to use your identity provider.',
  );
}

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
