import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { type GatewardenConfig, readConfig } from '../../lib/config';

/** An App that skips asset bundling (esbuild) for every stack: CDK tests check templates, not bundles. */
export function testApp(context: Record<string, unknown> = {}): App {
  return new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
}

/** A validated config from context values, as `bin/app.ts` reads it. */
export function configFrom(context: Record<string, unknown>): GatewardenConfig {
  return readConfig((key) => context[key], {}, process.cwd());
}

/** The template of a stack. */
export function templateOf(stack: Stack): Template {
  return Template.fromStack(stack);
}

/** Every IAM statement of the policies attached to the role whose logical id starts with `rolePrefix`. */
export function statementsOfRole(template: Template, rolePrefix: string): Array<Record<string, unknown>> {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) =>
      ((p as { Properties: { Roles: Array<{ Ref: string }> } }).Properties.Roles ?? []).some((r) =>
        r.Ref?.startsWith(rolePrefix),
      ),
    )
    .flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: Array<Record<string, unknown>> } } }).Properties
          .PolicyDocument.Statement,
    );
}

/** Actions of a statement as a sorted list. */
export function actionsOf(statement: Record<string, unknown>): string[] {
  const a = statement.Action;
  return (Array.isArray(a) ? a : [a]).map(String).sort();
}
