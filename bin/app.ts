#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { GatewardenStack } from '../lib/stacks/gatewarden-stack';

const app = new App();
new GatewardenStack(app, 'Gatewarden', {
  description: 'Gatewarden: bot defense for API Gateway',
});
app.synth();
