/**
 * The local runtime as a background process (started by `npm run
 * deploy:local`, stopped by `npm run destroy:local`): the local load
 * balancer's listeners, the tasks, the EC2 instances' monolith, and the loops that keep them as deployed
 * (replacing failed tasks, carrying out CodeDeploy deployments). It answers
 * on a loopback control port:
 *   POST /sync    converge on the emulator's deployed state now; the report
 *   GET  /status  what runs
 *   POST /stop    stop every task and listener, then exit
 * Configuration from the environment: AWS_ENDPOINT_URL (the emulator),
 * LOCAL_ALB_PORT (default 8080), LOCAL_RUNTIME (docker or process; default:
 * docker when an engine answers), LOCAL_TIME_SCALE, IMAGE_URI_TEMPLATE,
 * RUNTIME_STATE_FILE (where it writes its pid and control port), and from
 * its supervisor (supervisor.ts) RUNTIME_SUPERVISOR and, when it starts it
 * again, RUNTIME_RESTARTED: the restarted runtime takes back the task
 * containers it finds, serves on the ports of the one before, and
 * converges at once, unasked.
 */
import { ACMClient } from '@aws-sdk/client-acm';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { EC2Client } from '@aws-sdk/client-ec2';
import { S3Client } from '@aws-sdk/client-s3';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCodeDeploy } from './local-codedeploy';
import { LocalRuntime } from './local-runtime';
import { DockerTaskRunner, ProcessTaskRunner, type TaskRunner } from './task-runner';
import { INSTANCES_DIR_PREFIX } from './process-group';
import { runtimeSettings } from './settings';
import { readRuntimeState, writeRuntimeState, type RuntimeProcess } from './state-file';
import { emulatorClient, emulatorEnvironment } from '../aws/emulator-account';
import { listenerCertificates } from '../aws/local-certificates';
import { projectRoot } from '../../lib/project-root';

const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);

async function main(): Promise<void> {
  const settings = runtimeSettings(process.env);
  const aws = emulatorClient(settings.endpoint);
  const clients = {
    elb: new ElasticLoadBalancingV2Client(aws),
    ecs: new ECSClient(aws),
    codedeploy: new CodeDeployClient(aws),
    lambda: new LambdaClient(aws),
    discovery: new ServiceDiscoveryClient(aws),
  };
  let runner: TaskRunner;
  if (settings.mode === 'docker' || (settings.mode === undefined && (await DockerTaskRunner.available()))) {
    runner = new DockerTaskRunner(undefined, settings.imageTemplate, settings.runtimeId);
  } else {
    if (settings.mode === undefined)
      log(
        "!! no Docker engine answers: tasks run as local Node.js processes of the built services, without a container's isolation (LOCAL_RUNTIME=docker to insist)",
      );
    // Started again, it runs what the runtime before built: a restart serves sooner.
    runner = new ProcessTaskRunner(settings.imageTemplate, settings.restarted !== undefined);
  }
  // A restart takes back what the runtime before left running (its supervisor ended its task processes); a first start removes it.
  const before = settings.restarted && settings.stateFile ? readRuntimeState(settings.stateFile) : undefined;
  if (settings.restarted) {
    log(`started again by its supervisor: the runtime before ended (${settings.restarted}); taking back what it ran`);
  } else {
    const leftover = await runner.removeAll();
    if (leftover > 0) log(`removed ${leftover} task containers left by an earlier runtime`);
  }
  // What a task's SDK needs to reach the emulator instead of AWS (on AWS, the task role's credentials come from ECS).
  const taskEnvironment = emulatorEnvironment(settings.endpoint);
  // The monolith on EC2: its instances' builds come from the emulator's S3.
  const instances = {
    clients: { autoscaling: new AutoScalingClient(aws), ec2: new EC2Client(aws), s3: new S3Client({ ...aws, forcePathStyle: true }) },
    workDir: mkdtempSync(join(tmpdir(), INSTANCES_DIR_PREFIX)),
  };
  const runtime = new LocalRuntime({
    clients,
    runner,
    albPort: settings.albPort,
    timeScale: settings.timeScale,
    taskEnvironment,
    instances,
    listenerCertificate: listenerCertificates(new ACMClient(aws), settings.stateDir ?? projectRoot()),
    adopt: settings.restarted !== undefined,
    listenerPorts: before?.listeners,
    log,
  });
  const codedeploy = new LocalCodeDeploy({
    clients,
    runtime,
    endpoint: settings.endpoint,
    region: settings.region,
    timeScale: settings.timeScale,
    stateDir: settings.stateDir,
    log,
  });

  let synced = false;
  let stopping = false;
  const answer = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const control = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    const route = `${req.method} ${req.url}`;
    if (route === 'GET /status') return answer(res, 200, { ...runtime.report(), mode: runner.mode, id: settings.runtimeId, deploying: codedeploy.busy });
    if (route === 'POST /sync') {
      sync().then(
        (report) => answer(res, 200, { ...report, mode: runner.mode, id: settings.runtimeId }),
        (error: unknown) => answer(res, 500, { error: error instanceof Error ? error.message : String(error) }),
      );
      return;
    }
    if (route === 'POST /stop') {
      stopping = true;
      void runtime
        .stop()
        .then(() => runner.removeAll())
        .finally(() => {
          answer(res, 200, { stopped: true });
          control.close();
          log('stopped');
          setTimeout(() => process.exit(0), 100);
        });
      return;
    }
    answer(res, 404, { error: `no ${route}` });
  });
  // A restart answers on the control port of the runtime before, so that whoever held its address reaches this one.
  const port = await listen(control, before?.port ?? 0).catch(() => listen(control, 0));
  const state: RuntimeProcess = {
    pid: process.pid,
    port,
    mode: runner.mode,
    id: settings.runtimeId,
    supervisor: settings.supervisor,
    listeners: before?.listeners,
  };
  const saveState = (listeners: RuntimeProcess['listeners']) => {
    if (settings.stateFile) writeRuntimeState(settings.stateFile, { ...state, listeners });
  };
  saveState(state.listeners);
  log(`local runtime (${runner.mode} mode, pid ${process.pid}) controlled on 127.0.0.1:${port}; emulator ${settings.endpoint}`);

  /** Converges, and records where each listener serves: a restart serves on the same ports. */
  async function sync() {
    const report = await runtime.sync();
    synced = true;
    saveState(Object.fromEntries(report.listeners.map((listener) => [listener.arn, listener.port])));
    return report;
  }
  if (settings.restarted) {
    const started = Date.now();
    void sync().then(
      (report) =>
        log(
          `serving again, ${Date.now() - started} ms after the restart: ${report.services.map((service) => `${service.name} ${service.tasks.length}`).join(', ')}`,
        ),
      (error: unknown) => log(`!! the restarted runtime could not converge: ${error instanceof Error ? error.stack : error}`),
    );
  }

  // ECS replaces failed tasks, and CodeDeploy picks up new deployments, without being asked.
  const tick = async () => {
    if (stopping) return;
    if (synced) {
      try {
        await runtime.replaceFailedTasks();
        await codedeploy.poll();
      } catch (error) {
        log(`!! ${error instanceof Error ? error.message : error}`);
      }
    }
    setTimeout(() => void tick(), 1_000);
  };
  void tick();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      stopping = true;
      void runtime.stop().finally(() => process.exit(0));
    });
  }
}

/** Listens on 127.0.0.1 (`port` 0: any free port); resolves with the port. */
function listen(server: ReturnType<typeof createServer>, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

main().catch((error: unknown) => {
  log(`the local runtime failed to start: ${error instanceof Error ? error.stack : error}`);
  process.exit(1);
});
