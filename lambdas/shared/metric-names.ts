/**
 * CloudWatch metric names emitted by the Lambdas (EMF, namespace {@link METRIC_NAMESPACE}).
 * The CDK operations construct builds alarms and the dashboard from these same constants.
 */
export const METRIC_NAMESPACE = 'Gatewarden';

export const Metrics = {
  /** Count, dimensions: Band (allow|flag|deny|block). */
  Decision: 'Decision',
  /** Count, dimension: Signal. */
  SignalFired: 'SignalFired',
  /** Milliseconds, the engine's decision time. */
  DecisionLatency: 'DecisionLatency',
  /** Count of 401s by reason class (dimension: Reason). */
  AuthFailure: 'AuthFailure',
  /** Count of 403s from route authorization (`require`), dimension Reason: insufficient-scope|not-in-group|not-owner. */
  AuthzFailure: 'AuthzFailure',
  /** Count: the counter store failed or timed out and the route's fail mode was applied (dimension: FailMode). */
  StoreFailure: 'StoreFailure',
  /** Count: a request allowed only because the store failed on a fail-open route. */
  FailOpen: 'FailOpen',
  /** Count: JWKS fetch failures. */
  JwksFetchFailure: 'JwksFetchFailure',
  /** Count: block records written (dimension: Scope). */
  BlockCreated: 'BlockCreated',
  /** Count: under-attack mode engaged on this container. */
  UnderAttack: 'UnderAttack',
  /** Log feedback: lines processed and skipped. */
  FeedbackLines: 'FeedbackLines',
  FeedbackBadLines: 'FeedbackBadLines',
  FeedbackErrors: 'FeedbackErrors',
  /** Body middleware: requests whose body carried injection syntax (dimension: Family). */
  BodyProbe: 'BodyProbe',
  /** Body middleware: a hit that could not be recorded (store down or slow); the request went on. */
  BodyInspectionStoreFailure: 'BodyInspectionStoreFailure',
  /** Body middleware: inspection itself failed; the request went on uninspected. */
  BodyInspectionError: 'BodyInspectionError',
  /** WAF updater. */
  WafSetSize: 'WafSetSize',
  WafCapacityUsedPercent: 'WafCapacityUsedPercent',
  WafChangesApplied: 'WafChangesApplied',
  WafLockConflicts: 'WafLockConflicts',
  WafItemsLeftOut: 'WafItemsLeftOut',
  WafReconcileFailure: 'WafReconcileFailure',
} as const;
