import { Template } from 'aws-cdk-lib/assertions';
import { GatewardenStack } from '../../lib/stacks/gatewarden-stack';
import { configFrom, testApp } from './synth';

let cached: { stack: GatewardenStack; template: Template } | undefined;

/** The demo stack with its defaults, synthesised once per test file. */
export function demoStack(): { stack: GatewardenStack; template: Template } {
  if (!cached) {
    const stack = new GatewardenStack(testApp(), 'Demo', {
      config: configFrom({ alarmEmail: 'ops@example.com' }),
    });
    cached = { stack, template: Template.fromStack(stack) };
  }
  return cached;
}
