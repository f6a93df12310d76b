/**
 * CodeDeploy's BeforeAllowTraffic hook for a blue/green service (the
 * workshop's pre-traffic test): before any production traffic reaches the new
 * (green) tasks, request their /health and one API route through the test
 * listener, then report Succeeded or Failed to CodeDeploy, which rolls the
 * deployment back on Failed. Runs on the Lambda Node.js runtime, whose AWS SDK
 * v3 provides the CodeDeploy client.
 *
 * Behind HTTPS the test listener presents the team's certificate, which names
 * their domain and never the load balancer's `*.elb.amazonaws.com` name: the
 * hook connects to the load balancer and asks for the domain (TLS server name
 * and Host header), so that the certificate is checked against the name it
 * was issued for.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';

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

/** How one check reaches the test listener. */
export interface GetOptions {
  /** The host name to ask for (TLS server name and Host header): the one the certificate names. @default - the URL's host */
  readonly hostName?: string;
  readonly signal: AbortSignal;
}

export type Get = (url: string, options: GetOptions) => Promise<{ status: number; text: string }>;

export interface HookDependencies {
  /** Base URL of the test listener, e.g. https://alb-123.eu-west-1.elb.amazonaws.com:9010 */
  readonly testBaseUrl: string;
  /** The host name its certificate names (HTTPS). @default - the base URL's host */
  readonly hostName?: string;
  /** The API route to check besides /health. */
  readonly checkPath: string;
  readonly get: Get;
  readonly report: (deploymentId: string, executionId: string, status: HookStatus) => Promise<void>;
  /** @default 5000 */
  readonly timeoutMs?: number;
}

/** GETs `path` through the test listener; a 200 passes, and `accept`, when given, must like the JSON body too. */
async function check(deps: HookDependencies, path: string, accept?: (body: unknown) => boolean): Promise<CheckResult> {
  try {
    const response = await deps.get(`${deps.testBaseUrl}${path}`, { hostName: deps.hostName, signal: AbortSignal.timeout(deps.timeoutMs ?? 5_000) });
    const text = response.text;
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

/**
 * A GET over HTTP or HTTPS that connects to the URL's host and asks for
 * `hostName`: its certificate must name `hostName` and be trusted (by the
 * runtime's CAs, or `ca` when given).
 */
export function httpGet(url: string, options: GetOptions & { readonly ca?: string }): Promise<{ status: number; text: string }> {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  const hostName = options.hostName ?? target.hostname;
  const host = target.port ? `${hostName}:${target.port}` : hostName;
  return new Promise((resolve, reject) => {
    const settings = { method: 'GET', headers: { host }, signal: options.signal };
    const onResponse = (response: IncomingMessage) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      response.on('error', reject);
    };
    const req = secure
      ? // TLS names servers by host name only (RFC 6066): an address is checked against the certificate's addresses.
        httpsRequest(target, { ...settings, servername: isIP(hostName) ? '' : hostName, ...(options.ca !== undefined && { ca: options.ca }) }, onResponse)
      : httpRequest(target, settings, onResponse);
    // An abort says why (the timeout), as fetch does.
    req.on('error', (error) => reject(options.signal.aborted ? (options.signal.reason as Error) : error));
    req.end();
  });
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
    hostName: process.env.TEST_HOST_NAME || undefined,
    checkPath: process.env.CHECK_PATH ?? '/',
    get: httpGet,
    report: async (deploymentId, executionId, result) => {
      await client.send(new PutLifecycleEventHookExecutionStatusCommand({ deploymentId, lifecycleEventHookExecutionId: executionId, status: result }));
    },
  });
  return { status };
}
