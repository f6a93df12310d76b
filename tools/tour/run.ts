/**
 * `npm run tour`: the workshop's whole journey in one command, against an
 * emulator and the local runtime of its own, pausing for nothing: the
 * monolith on EC2, its weighted cut-over to Fargate, the microservices
 * extracted one by one (a canary, the monolith as the facade for
 * persistence), a blue/green release, the monolith retired, and destroy.
 * Each step is a configuration change (the per-run overrides), planned,
 * deployed while a client keeps requesting the API through the local load
 * balancer (at a steady 10 requests a second), then sampled with 200 requests counted by who answered
 * (`x-served-by`). It prints a table of the steps and writes it as JSON
 * (TOUR_OUTPUT, default tools/tour/latest.json): the table of docs/migration.md, and what the
 * end-to-end test checks.
 */
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { ECSClient } from '@aws-sdk/client-ecs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { freePort } from '../../lib/free-port';
import { pacer } from '../../lib/pace';
import { projectRoot } from '../../lib/project-root';
import { LocalTarget, type ResourceChange, type Stage } from '../stack-driver';
import { release } from '../release';
import { summarize } from '../plan-summary';
import { describePlan, describeShares, markdownTable, SAMPLE, type StepResult, type TourReport } from './report';
import { setting } from '../../lib/settings';
import { emulatorClient } from '../../local/aws/emulator-account';

/** A step of the journey: the overrides of its run, and what it does besides deploying. */
export interface TourStep {
  readonly name: string;
  readonly stage: Exclude<Stage, string>;
  /** A blue/green release of this service's running image after the deploy. */
  readonly release?: string;
}

export const TOUR_STEPS: readonly TourStep[] = [
  { name: 'the monolith on EC2', stage: { EXTRACTED_SERVICES: 'none', LEGACY_TRAFFIC: '100' } },
  { name: 'EC2 90 %, Fargate 10 %', stage: { EXTRACTED_SERVICES: 'none', LEGACY_TRAFFIC: '90' } },
  { name: 'Fargate only', stage: { EXTRACTED_SERVICES: 'none', LEGACY_TRAFFIC: '0' } },
  { name: 'EC2 removed', stage: { EXTRACTED_SERVICES: 'none' } },
  { name: 'users extracted', stage: { EXTRACTED_SERVICES: 'users' } },
  { name: 'threads at 10 %', stage: { EXTRACTED_SERVICES: 'users,threads', TRAFFIC_SHARES: 'threads=10' } },
  { name: 'threads at 100 %', stage: { EXTRACTED_SERVICES: 'users,threads' } },
  { name: 'posts extracted, the monolith its facade', stage: { EXTRACTED_SERVICES: 'all', FACADE_SERVICES: 'posts' } },
  { name: 'posts on its own table', stage: { EXTRACTED_SERVICES: 'all', FACADE_SERVICES: 'none' } },
  { name: 'users blue/green, and a release', stage: { EXTRACTED_SERVICES: 'all', FACADE_SERVICES: 'none', BLUE_GREEN_SERVICES: 'users' }, release: 'users' },
  { name: 'the monolith retired', stage: { EXTRACTED_SERVICES: 'all', FACADE_SERVICES: 'none', BLUE_GREEN_SERVICES: 'users', RETIRE_MONOLITH: 'true' } },
];

/** Paths that answer 200 at every step: one per resource, and a list. */
const PATHS = ['/api/users/1', '/api/threads/1', '/api/posts/in-thread/1', '/api/users', '/api/threads'];

/** A request's outcome: 200 is ok; anything else is a failure, named by its status or error. */
type Outcome = { ok: boolean; servedBy?: string; failure?: string };

async function ask(albPort: number, path: string): Promise<Outcome> {
  try {
    const response = await fetch(`http://127.0.0.1:${albPort}${path}`, { signal: AbortSignal.timeout(5_000) });
    await response.arrayBuffer();
    const servedBy = response.headers.get('x-served-by') ?? undefined;
    return response.status === 200
      ? { ok: true, servedBy }
      : { ok: false, servedBy, failure: `${path} ${response.status}${servedBy ? ` from ${servedBy}` : ''}` };
  } catch (error) {
    return { ok: false, failure: `${path} ${error instanceof Error ? error.name : 'error'}` };
  }
}

/** Failures by kind, for the report. */
const countInto = (counts: Record<string, number>, outcome: Outcome) => {
  if (outcome.failure) counts[outcome.failure] = (counts[outcome.failure] ?? 0) + 1;
};

/** Requests one after another at a steady client's pace until `work` ends (at most 20000, each within 5 s); what was sent and failed. */
async function underLoad<T>(
  albPort: number | undefined,
  work: () => Promise<T>,
): Promise<{ result: T; sent: number; failed: number; failures: Record<string, number> }> {
  let done = false;
  let sent = 0;
  let failed = 0;
  const failures: Record<string, number> = {};
  const turn = pacer();
  const load = (async () => {
    while (albPort !== undefined && !done && sent < 20_000) {
      await turn();
      const outcome = await ask(albPort, PATHS[sent % PATHS.length]);
      sent += 1;
      if (!outcome.ok) failed += 1;
      countInto(failures, outcome);
    }
  })();
  try {
    return { result: await work(), sent, failed, failures };
  } finally {
    done = true;
    await load;
  }
}

async function sample(albPort: number): Promise<{ answeredBy: Record<string, number>; failed: number; failures: Record<string, number> }> {
  const answeredBy: Record<string, number> = {};
  const failures: Record<string, number> = {};
  let failed = 0;
  for (let i = 0; i < SAMPLE; i += 1) {
    const outcome = await ask(albPort, PATHS[i % PATHS.length]);
    countInto(failures, outcome);
    if (!outcome.ok) failed += 1;
    else if (outcome.servedBy) answeredBy[outcome.servedBy] = (answeredBy[outcome.servedBy] ?? 0) + 1;
  }
  return { answeredBy, failed, failures };
}

const seconds = (since: number) => Math.round((Date.now() - since) / 100) / 10;
const overridesOf = (stage: TourStep['stage']) =>
  Object.entries(stage)
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');

async function planOf(target: LocalTarget, stage: TourStep['stage']): Promise<StepResult['plan']> {
  const { changes } = await target.plan(stage);
  const planned = changes.map((change: ResourceChange) => ({ address: change.address, mode: change.mode, change: { actions: change.actions } }));
  return summarize(planned, new Map(changes.map((change) => [change.address, change.path])), target.stack).byConstruct;
}

export async function runTour(log: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Promise<TourReport> {
  const started = Date.now();
  const target = new LocalTarget({ log });
  const steps: StepResult[] = [];
  let albPort: number | undefined;
  let runtimeMode: TourReport['runtimeMode'];
  let destroySeconds = 0;
  let failure: unknown;
  await target.start();
  try {
    const clients = () => {
      const config = emulatorClient(target.emulator!.endpoint);
      return { ecs: new ECSClient(config), codedeploy: new CodeDeployClient(config) };
    };
    for (const step of TOUR_STEPS) {
      log(`\n== ${step.name} (${overridesOf(step.stage)})`);
      const plan = await planOf(target, step.stage);
      log(`plan: ${describePlan(plan)}`);
      const deployStarted = Date.now();
      const deployed = await underLoad(albPort, async () => {
        await target.deploy(step.stage);
        if (albPort === undefined) {
          // The first deploy: the runtime starts, with health checks and drains at 1/20 of their deployed times.
          albPort = await freePort();
          runtimeMode = (await target.startRuntime(albPort, { LOCAL_TIME_SCALE: '0.05' })).mode;
          if (runtimeMode === 'process') log('!! no Docker engine answered: the tasks run as Node.js processes, not containers');
          await target.sync();
        }
        if (step.release) {
          const outputs = target.outputs();
          const image = String(outputs[`${step.release}_image`]);
          const released = await release({
            service: step.release,
            image,
            outputs,
            clients: clients(),
            log: (line) => log(`release: ${line}`),
            pollMs: 250,
            timeoutMs: 5 * 60_000,
          });
          if (released.status !== 'Succeeded') throw new Error(`the release of ${step.release} ended ${released.status}`);
        }
      });
      const deploySeconds = seconds(deployStarted);
      const after = await sample(albPort!);
      const result: StepResult = {
        step: step.name,
        overrides: overridesOf(step.stage),
        plan,
        deploySeconds,
        duringDeploy: { sent: deployed.sent, failed: deployed.failed },
        answeredBy: after.answeredBy,
        failedAfter: after.failed,
        failures: [deployed.failures, after.failures].reduce<Record<string, number>>((sum, counts) => {
          for (const [kind, count] of Object.entries(counts)) sum[kind] = (sum[kind] ?? 0) + count;
          return sum;
        }, {}),
      };
      steps.push(result);
      log(
        `deployed in ${deploySeconds} s; ${deployed.sent} requests meanwhile, ${deployed.failed} failed; 200 requests answered by ${describeShares(after.answeredBy)}${after.failed ? `, ${after.failed} failed` : ''}${Object.keys(result.failures).length ? ` (${JSON.stringify(result.failures)})` : ''}`,
      );
    }
  } catch (error) {
    failure = error;
    log(`!! ${error instanceof Error ? error.message : String(error)}`);
  }
  // Destroy whatever happened: the emulator is thrown away, but the runtime's containers are not.
  log('\n== destroy');
  const destroyStarted = Date.now();
  try {
    await target.destroy();
    destroySeconds = seconds(destroyStarted);
    log(`destroyed in ${destroySeconds} s`);
  } catch (error) {
    failure ??= error;
  } finally {
    await target.stop();
  }
  if (failure) throw failure instanceof Error ? failure : new Error(JSON.stringify(failure));
  return { date: new Date().toISOString().slice(0, 10), runtimeMode, steps, destroySeconds, totalSeconds: seconds(started) };
}

if (require.main === module) {
  const output = setting('TOUR_OUTPUT') ?? join(projectRoot(), 'tools', 'tour', 'latest.json');
  runTour().then(
    (report) => {
      mkdirSync(dirname(output), { recursive: true });
      writeFileSync(output, `${JSON.stringify(report, null, 2)}\n`);
      process.stdout.write(`\n${markdownTable(report)}\n\n${report.steps.length} steps and destroy in ${report.totalSeconds} s; written to ${output}\n`);
      const failed = report.steps.reduce((sum, step) => sum + step.duringDeploy.failed + step.failedAfter, 0);
      if (failed > 0) {
        process.stderr.write(`${failed} requests failed during the tour\n`);
        process.exit(1);
      }
    },
    (error: unknown) => {
      process.stderr.write(`the tour failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
