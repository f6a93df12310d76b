/**
 * Every service image, for real: built from the context and Dockerfile that
 * the infrastructure uses, run on a loopback port (host networking, as the
 * local runtime runs tasks, so that it reaches the emulator's DynamoDB on
 * 127.0.0.1 too), answering,
 * healthy by its own HEALTHCHECK, non-root, stopping gracefully, and holding
 * only compiled JavaScript and production dependencies. Then all four
 * together: the microservices answer like the monolith.
 */
import { spawn, spawnSync } from 'node:child_process';
import { API_CASES, type Resource } from '../support/api-contract';
import { docker, dockerOrThrow, engineAnswers, NO_ENGINE_MESSAGE, OPT_OUT, serviceImages, standInBaseImage, type ServiceImage } from '../../tools/docker';
import { testTables } from '../support/data';
import { freePort, httpGet, slowRequest } from '../support/processes';

jest.setTimeout(10 * 60_000);

const images = serviceImages();
const running = new Map<string, { container: string; port: number }>();
const say = (message: string) => process.stdout.write(`  [containers] ${message}\n`);

if (OPT_OUT) {
  say('SKIPPED: SKIP_CONTAINER_TESTS=1 opts out of every container test (CI never does)');
}
const suite = OPT_OUT ? describe.skip : describe;

suite('service images on a real Docker engine', () => {
  let base: string;
  /** The tables the containers read, in the run's emulator on 127.0.0.1. */
  let data: Record<string, string>;

  beforeAll(async () => {
    if (!engineAnswers()) throw new Error(NO_ENGINE_MESSAGE);
    data = await testTables('containers');
    const started = Date.now();
    base = standInBaseImage();
    say(`base image ${base} (stand-in for the official Node.js image) ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  afterAll(() => {
    for (const { container } of running.values()) docker(['rm', '-f', container]);
  });

  describe.each(images.map((image) => [image.service, image] as const))('%s', (service, image: ServiceImage) => {
    it('builds from the build context and Dockerfile of the infrastructure configuration', () => {
      const started = Date.now();
      dockerOrThrow(['build', '-q', '--build-arg', `NODE_IMAGE=${base}`, '-f', image.dockerfile, '-t', image.tag, image.context], { timeoutMs: 300_000 });
      say(`${service}: built ${image.tag} from ${image.dockerfile} (context ${image.context}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      expect(docker(['image', 'inspect', image.tag]).status).toBe(0);
    });

    it('holds compiled JavaScript and production dependencies only', () => {
      const container = dockerOrThrow(['create', image.tag]);
      try {
        const files = listTar(container);
        const app = files.filter((file) => file.startsWith('app/'));
        expect(app).toContain(`app/services/${service}/dist/main.js`);
        expect(app).toContain('app/services/shared/dist/healthcheck.js');
        expect(app.filter((file) => /\.ts$/.test(file) && !/\.d\.ts$/.test(file))).toEqual([]);
        expect(app.filter((file) => /^app\/services\/[^/]+\/(src|data)\/|\.test\.|__tests__|tsconfig|Dockerfile/.test(file))).toEqual([]);
        for (const devOnly of ['typescript', 'jest', 'ts-jest', '@types/node', 'cdktf', 'tsx']) {
          expect(app.some((file) => file.startsWith(`app/node_modules/${devOnly}/`))).toBe(false);
        }
        expect(app.some((file) => file.startsWith('app/node_modules/@hapi/hapi/'))).toBe(true);
        say(`${service}: ${app.length} files under /app, no TypeScript sources, tests or dev dependencies`);
      } finally {
        docker(['rm', container]);
      }
    });

    it('starts on a loopback port only, answers /health and the API from its tables, and runs as uid 1000', async () => {
      const port = await freePort();
      const env = Object.entries({ ...data, PORT: String(port), HOST: '127.0.0.1' }).flatMap(([name, value]) => ['-e', `${name}=${value}`]);
      const container = dockerOrThrow(['run', '-d', '--name', `forum-test-${service}-${process.pid}`, '--network', 'host', ...env, image.tag]);
      running.set(service, { container, port });
      const health = await waitForHttp(port, '/health');
      expect(JSON.parse(health.body)).toEqual({ status: 'ok', service });
      const apiCase = firstRoute(service);
      const api = await httpGet(port, apiCase.path);
      expect(api.status).toBe(200);
      expect(Array.isArray(JSON.parse(api.body)) || typeof JSON.parse(api.body) === 'object').toBe(true);
      say(`${service}: answers /health and GET ${apiCase.path} on 127.0.0.1:${port}`);

      expect(dockerOrThrow(['inspect', '--format', '{{.HostConfig.NetworkMode}}', container])).toBe('host');
      const listening = dockerOrThrow(['logs', container])
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { msg: string; host?: string })
        .find((line) => line.msg === 'listening');
      expect(listening?.host).toBe('127.0.0.1');
      expect(dockerOrThrow(['inspect', '--format', '{{.Config.User}}', container])).toBe('1000');
      const status = dockerOrThrow(['exec', container, 'node', '-e', "process.stdout.write(require('fs').readFileSync('/proc/1/status','utf8'))"]);
      expect(status).toMatch(/^Uid:\s+1000\s+1000\s+1000\s+1000$/m);
      expect(status).toMatch(/^Gid:\s+1000\s+/m);
      say(`${service}: listens on 127.0.0.1:${port} only (host networking); PID 1 runs as uid/gid 1000`);
    });
  });

  it('Docker reports every container healthy through the image HEALTHCHECK', async () => {
    for (const [service, { container }] of running) {
      const declared = dockerOrThrow(['inspect', '--format', '{{json .Config.Healthcheck.Test}}', container]);
      expect(JSON.parse(declared)).toEqual(['CMD', 'node', '/app/services/shared/dist/healthcheck.js']);
      const deadline = Date.now() + 60_000;
      let state = '';
      while (Date.now() < deadline) {
        state = dockerOrThrow(['inspect', '--format', '{{.State.Health.Status}}', container]);
        if (state === 'healthy') break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect({ service, state }).toEqual({ service, state: 'healthy' });
      say(`${service}: healthy`);
    }
  });

  it('the microservice containers answer every route they serve like the monolith container', async () => {
    expect(running.size).toBe(4);
    const monolith = running.get('monolith')!;
    for (const resource of ['users', 'threads', 'posts'] as Resource[]) {
      const service = running.get(resource)!;
      const cases = API_CASES.filter((c) => c.resource === resource);
      for (const apiCase of cases) {
        const [fromMonolith, fromService] = await Promise.all([
          httpGet(monolith.port, apiCase.path, apiCase.method),
          httpGet(service.port, apiCase.path, apiCase.method),
        ]);
        expect({ path: apiCase.path, status: fromService.status, body: fromService.body }).toEqual({
          path: apiCase.path,
          status: fromMonolith.status,
          body: fromMonolith.body,
        });
      }
      say(`${resource}: ${cases.length} routes and error cases identical to the monolith`);
    }
  });

  it.each(images.map((image) => image.service))('%s: docker stop lets a request in flight complete and exits 0 well within 10 s', async (service) => {
    const { container, port } = running.get(service)!;
    // A POST whose body is held back: the service is processing it (waiting for the body) when the stop begins.
    const inFlight = await slowRequest(port, firstRoute(service).path);
    // Each step waits for what it needs, not for a time: the service has read what was sent (nothing left in its
    // socket's receive queue) before the stop; it has begun shutting down before the rest of the body goes.
    await until(`${service} read the request's head`, () =>
      /^\s*0\s/.test(spawnSync('ss', ['-tnH', 'state', 'established', `( sport = :${port} )`], { encoding: 'utf8' }).stdout),
    );
    const started = Date.now();
    const stopping = new Promise<number>((resolve) => {
      const child = spawn('docker', ['stop', container]);
      child.once('exit', () => resolve(Date.now() - started));
    });
    await until(`${service} logged that it is shutting down`, () => dockerOrThrow(['logs', container]).includes('"shutting down"'));
    const response = await inFlight.finish();
    const stopMs = await stopping;
    // Its own answer to that request (a 405, or a 400 for a create route's empty body), not a reset: the service's JSON error.
    const [head, body] = response.split('\r\n\r\n');
    const status = Number(/^HTTP\/1\.1 (4\d\d) /.exec(head)?.[1]);
    expect({ status: status >= 400 && status < 500, servedBy: /^x-served-by: (.+)$/im.exec(head)?.[1] }).toEqual({ status: true, servedBy: service });
    expect(JSON.parse(body)).toMatchObject({ statusCode: status, error: expect.any(String) as string, message: expect.any(String) as string });
    expect(dockerOrThrow(['inspect', '--format', '{{.State.ExitCode}}', container])).toBe('0');
    expect(stopMs).toBeLessThan(5_000);
    say(`${service}: stopped in ${stopMs} ms with exit code 0; the request in flight got its response`);
  });
});

/** Polls the condition every 50 ms until it holds; fails naming it after the deadline. */
async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs / 1000} s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The first route of the contract that this service serves. */
function firstRoute(service: string) {
  return API_CASES.find((c) => c.status === 200 && (service === 'monolith' || c.resource === service))!;
}

function listTar(container: string): string[] {
  const result = spawnSync('sh', ['-c', `docker export ${container} | tar -t`], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`docker export ${container} failed: ${result.stderr}`);
  return result.stdout.split('\n').filter(Boolean);
}

async function waitForHttp(port: number, path: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await httpGet(port, path);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
