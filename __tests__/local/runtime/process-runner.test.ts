/**
 * The local runtime's fallback for machines without a Docker engine: a task
 * as a Node.js process of the built service, with the task definition's
 * environment, its own loopback port and the container's health check.
 * (The end-to-end run uses the container mode.)
 */
import type { DeployedContainer, DeployedTaskDefinition } from '../../../local/runtime/deployed-state';
import { ProcessTaskRunner } from '../../../local/runtime/task-runner';
import { testTables } from '../../support/data';
import { freePort, httpGet } from '../../support/processes';

jest.setTimeout(60_000);

const container: DeployedContainer = {
  name: 'users',
  image: 'forum-users:0123456789abcdef',
  essential: true,
  environment: { LOG_REQUESTS: '0', PORT: '3000' },
  readonlyRootFilesystem: true,
  containerPort: 3000,
  healthCheck: { command: ['node', '/app/services/shared/dist/healthcheck.js'], intervalSeconds: 1, timeoutSeconds: 2, retries: 2, startPeriodSeconds: 0 },
  stopTimeoutSeconds: 5,
};
const taskDefinition: DeployedTaskDefinition = {
  arn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/forum-dev-users:1',
  family: 'forum-dev-users',
  revision: 1,
  cpu: 256,
  memory: 512,
  containers: [container],
};

describe('ProcessTaskRunner', () => {
  const runner = new ProcessTaskRunner();
  afterAll(() => runner.removeAll());

  it('runs a task of this project as the built service on its own port, healthy by the container health check, and stops it', async () => {
    const port = await freePort();
    // What the local runtime passes every task: the emulator's endpoint and credentials (here with the suite's tables).
    const data = await testTables('process-runner');
    const logs: string[] = [];
    await runner.prepare(container.image, (line) => logs.push(line));
    expect(logs).toEqual(['forum-users:0123456789abcdef: runs as node services/users/dist/main.js (process mode)']);
    await runner.start({
      taskId: 'users-1',
      service: 'forum-dev-users',
      taskDefinition,
      container,
      port,
      environment: { ...data, PORT: String(port), HOST: '127.0.0.1' },
      timeScale: 1,
    });
    const deadline = Date.now() + 20_000;
    while ((await runner.status('users-1')).status !== 'healthy') {
      if (Date.now() > deadline) throw new Error(`not healthy: ${JSON.stringify(await runner.status('users-1'))} ${await runner.logs('users-1')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const answer = await httpGet(port, '/api/users/1');
    expect({ status: answer.status, servedBy: answer.headers['x-served-by'] }).toEqual({ status: 200, servedBy: 'users' });
    await runner.stop('users-1', 5);
    expect(await runner.status('users-1')).toEqual({ status: 'exited', detail: 'no such process' });
    await expect(httpGet(port, '/health')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('counts no failed health check within the start period, as Docker does, and the next ones', async () => {
    const port = await freePort();
    const failing: DeployedContainer = {
      ...container,
      healthCheck: { command: ['node', '-e', 'process.exit(1)'], intervalSeconds: 1, timeoutSeconds: 2, retries: 1, startPeriodSeconds: 3 },
    };
    const data = await testTables('process-runner-start-period');
    const startedAt = Date.now();
    await runner.start({
      taskId: 'users-2',
      service: 'forum-dev-users',
      taskDefinition,
      container: failing,
      port,
      environment: { ...data, PORT: String(port) },
      timeScale: 0.2,
    });
    const seen: { at: number; status: string }[] = [];
    for (let last = ''; last !== 'unhealthy' && Date.now() - startedAt < 15_000;) {
      last = (await runner.status('users-2')).status;
      seen.push({ at: Date.now() - startedAt, status: last });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await runner.stop('users-2', 5);
    // Checked every half second in the start period; each fails, but none counts before 3 s, and the first after it does.
    expect(seen.filter((sample) => sample.at < 2_800).every((sample) => sample.status === 'running')).toBe(true);
    const unhealthy = seen.find((sample) => sample.status === 'unhealthy');
    expect(unhealthy?.at).toBeGreaterThanOrEqual(3_000);
  });

  it('refuses an image that is not one of this project', async () => {
    await expect(runner.prepare('traefik/whoami:v1.10.3', () => undefined)).rejects.toThrow(
      "traefik/whoami:v1.10.3 is not one of this project's images: without a Docker engine only they can run (as Node.js processes)",
    );
  });
});
