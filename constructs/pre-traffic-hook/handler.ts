/**
 * CodeDeploy's BeforeAllowTraffic hook for a blue/green service (the
 * workshop's pre-traffic test): before any production traffic reaches the new
 * (green) tasks, request their /health and one API route through the test
 * listener, then report Succeeded or Failed to CodeDeploy, which rolls the
 * deployment back on Failed. Runs on the Lambda Node.js runtime, whose AWS SDK
 * v3 provides the CodeDeploy client.
 */

export interface HookEvent {
  readonly DeploymentId: string;
  readonly LifecycleEventHookExecutionId: string;
}

export interface CheckResult {
  readonly path: string;
  readonly ok: boolean;
  readonly detail: string;
}

export type HookStatus = 'Succeeded' | 'Failed';

export interface HookDependencies {
  /** Base URL of the test listener, e.g. http://alb-123.eu-west-1.elb.amazonaws.com:9010 */
  readonly testBaseUrl: string;
  /** The API route to check besides /health. */
  readonly checkPath: string;
  readonly fetch: (url: string, init: { signal: AbortSignal }) => Promise<{ status: number; text(): Promise<string> }>;
  readonly report: (deploymentId: string, executionId: string, status: HookStatus) => Promise<void>;
  /** @default 5000 */
  readonly timeoutMs?: number;
}

/** GETs `path` through the test listener; a 200 passes, and `accept`, when given, must like the JSON body too. */
async function check(deps: HookDependencies, path: string, accept?: (body: unknown) => boolean): Promise<CheckResult> {
  try {
    const response = await deps.fetch(`${deps.testBaseUrl}${path}`, { signal: AbortSignal.timeout(deps.timeoutMs ?? 5_000) });
    const text = await response.text();
    if (response.status !== 200) return { path, ok: false, detail: `HTTP ${response.status}` };
    if (!accept) return { path, ok: true, detail: 'HTTP 200' };
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { path, ok: false, detail: 'body is not JSON' };
    }
    return accept(body) ? { path, ok: true, detail: 'HTTP 200' } : { path, ok: false, detail: `unexpected body ${text.slice(0, 200)}` };
  } catch (error) {
    return { path, ok: false, detail: error instanceof Error ? error.message : String(error) };
  }
}

/** Runs the checks and reports the outcome; never throws before reporting, so CodeDeploy is never left waiting. */
export async function runHook(event: HookEvent, deps: HookDependencies): Promise<{ status: HookStatus; checks: CheckResult[] }> {
  const checks = await Promise.all([
    check(deps, '/health', (body) => typeof body === 'object' && body !== null && (body as { status?: unknown }).status === 'ok'),
    check(deps, deps.checkPath),
  ]);
  const status: HookStatus = checks.every((result) => result.ok) ? 'Succeeded' : 'Failed';
  console.log(JSON.stringify({ msg: 'pre-traffic checks', deploymentId: event.DeploymentId, status, checks }));
  await deps.report(event.DeploymentId, event.LifecycleEventHookExecutionId, status);
  return { status, checks };
}

/** The Lambda entry point: configuration from the function's environment. */
export async function handler(event: HookEvent): Promise<{ status: HookStatus }> {
  // Loaded here, not at the top: the Lambda runtime provides the SDK, the unit tests inject a fake.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the Lambda runtime's own SDK, loaded when the hook runs
  const codedeploy = require('@aws-sdk/client-codedeploy') as typeof import('@aws-sdk/client-codedeploy');
  const { CodeDeployClient, PutLifecycleEventHookExecutionStatusCommand } = codedeploy;
  const client = new CodeDeployClient({});
  const { status } = await runHook(event, {
    testBaseUrl: process.env.TEST_BASE_URL ?? '',
    checkPath: process.env.CHECK_PATH ?? '/',
    fetch: (url, init) => fetch(url, init),
    report: async (deploymentId, executionId, result) => {
      await client.send(new PutLifecycleEventHookExecutionStatusCommand({ deploymentId, lifecycleEventHookExecutionId: executionId, status: result }));
    },
  });
  return { status };
}
