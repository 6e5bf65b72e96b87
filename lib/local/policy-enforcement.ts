/**
 * What API Gateway does with an authorizer's answer, for the local gateway and the simulator: a thrown
 * `Unauthorized` is 401, any other throw 500, a policy is evaluated against the request's methodArn (explicit Deny
 * wins, then Allow, else 403), and an HTTP API simple response is 200/403.
 */
export type GatewayOutcome =
  | { readonly status: 200; readonly principalId: string; readonly context: Record<string, unknown> }
  | { readonly status: 401 | 403 | 500; readonly context: Record<string, unknown> };

interface Statement {
  Effect?: string;
  Action?: string | string[];
  Resource?: string | string[];
}

/** IAM-style ARN wildcard match (`*` any run, `?` one character). */
export function arnMatches(pattern: string, arn: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(arn);
}

const list = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

function actionCovers(actions: string[]): boolean {
  return actions.some((a) => a === '*' || a === 'execute-api:*' || a === 'execute-api:Invoke');
}

/** Evaluates a REST authorizer result (or the error it threw) for `methodArn`. */
export function enforceRestResult(result: unknown, thrown: unknown, methodArn: string): GatewayOutcome {
  if (thrown !== undefined) {
    return { status: thrown instanceof Error && thrown.message === 'Unauthorized' ? 401 : 500, context: {} };
  }
  const r = result as {
    principalId?: unknown;
    policyDocument?: { Statement?: Statement[] };
    context?: Record<string, unknown>;
  };
  const statements = r?.policyDocument?.Statement;
  if (typeof r?.principalId !== 'string' || !Array.isArray(statements)) return { status: 500, context: {} };
  const context = r.context ?? {};
  const applies = (s: Statement) =>
    actionCovers(list(s.Action)) && list(s.Resource).some((p) => arnMatches(p, methodArn));
  if (statements.some((s) => s.Effect === 'Deny' && applies(s))) return { status: 403, context };
  if (statements.some((s) => s.Effect === 'Allow' && applies(s)))
    return { status: 200, principalId: r.principalId, context };
  return { status: 403, context };
}

/** Evaluates an HTTP API simple response (or the error it threw). */
export function enforceHttpResult(result: unknown, thrown: unknown): GatewayOutcome {
  if (thrown !== undefined) {
    return { status: thrown instanceof Error && thrown.message === 'Unauthorized' ? 401 : 500, context: {} };
  }
  const r = result as { isAuthorized?: unknown; context?: Record<string, unknown> };
  if (typeof r?.isAuthorized !== 'boolean') return { status: 500, context: {} };
  const context = r.context ?? {};
  return r.isAuthorized
    ? { status: 200, principalId: String(context.sub ?? ''), context }
    : { status: 403, context };
}
