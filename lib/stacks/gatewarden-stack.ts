import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { CountersTable } from '../constructs/counters-table';

/** Gatewarden's deployable stack. Later constructs (authorizers, WAF, operations) are wired here. */
export class GatewardenStack extends Stack {
  public readonly counters: CountersTable;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.counters = new CountersTable(this, 'Counters');
  }
}
