/**
 * examples/https-domain on the emulator with the local runtime: the stack
 * behind HTTPS under a domain name, users blue/green. The checkout's own
 * authority issues a certificate for the name, the stack imports it into the
 * emulator's ACM, and the local load balancer serves it on the production
 * listener and on the test listener; a release's pre-traffic hook then checks
 * the test listener over TLS under the domain name and passes, as it does on
 * AWS with the team's certificate (before, it asked for the load balancer's
 * own name, which no certificate names, and every release rolled back).
 */
import { ACMClient, DescribeCertificateCommand } from '@aws-sdk/client-acm';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, DeregisterTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { DescribeListenersCommand, DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { readFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { join } from 'node:path';
import { emulatorClient } from '../../local/aws/emulator-account';
import { ensureLocalCertificate } from '../../local/aws/local-certificates';
import type { LocalCertificateFiles } from '../../lib/local-certificate-files';
import { LocalTarget } from '../../tools/stack-driver';
import { release } from '../../tools/release';
import { step } from '../support/local-target';
import { killRuntimeUnderLoad } from '../support/runtime-kill';
import { groupMembers, runs } from '../../local/runtime/process-group';
import { readRuntimeState } from '../../local/runtime/state-file';
import { freePort, REPO_ROOT } from '../support/processes';

jest.setTimeout(15 * 60_000);

const DOMAIN = 'forum.example.test';
const target = new LocalTarget({ app: `node ${join(REPO_ROOT, 'build', 'examples', 'https-domain', 'main.js')}`, log: step });
const stage = { EXTRACTED_SERVICES: 'users', BLUE_GREEN_SERVICES: 'users' };
let files: LocalCertificateFiles;
let albPort: number;
let destroyed = false;
let clients: { acm: ACMClient; ecs: ECSClient; elb: ElasticLoadBalancingV2Client; codedeploy: CodeDeployClient };

beforeAll(async () => {
  await target.start();
  const aws = emulatorClient(target.emulator!.endpoint);
  clients = { acm: new ACMClient(aws), ecs: new ECSClient(aws), elb: new ElasticLoadBalancingV2Client(aws), codedeploy: new CodeDeployClient(aws) };
  // The example's own settings, for every command of the target (destroy too). CERTIFICATE_ARN is what the account's
  // certificate would be: on the emulator the stack imports the local one for DOMAIN_NAME instead.
  target.env = { ...target.env, CERTIFICATE_ARN: 'arn:aws:acm:us-east-1:123456789012:certificate/the-teams-own', DOMAIN_NAME: DOMAIN };
  files = await ensureLocalCertificate(target.dir, DOMAIN);
  const started = Date.now();
  await target.deploy(stage);
  step(`https-domain: deployed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  albPort = await freePort();
  // Tasks as Node.js processes (what a machine without Docker runs): the other end-to-end suites run containers.
  await target.startRuntime(albPort, { LOCAL_TIME_SCALE: '0.05', LOCAL_RUNTIME: 'process' });
  await target.sync();
});

afterAll(async () => {
  try {
    if (!destroyed) await target.destroy();
  } finally {
    await target.stop();
    Object.values(clients ?? {}).forEach((client) => client.destroy());
  }
});

/** GET over TLS from the local load balancer, asking for `servername`, trusting only the local authority. */
function get(port: number, path: string, servername: string): Promise<{ status: number; servedBy?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsGet(
      { host: '127.0.0.1', port, path, servername, headers: { host: servername }, ca: readFileSync(files.authority, 'utf8'), agent: false, timeout: 10_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, servedBy: res.headers['x-served-by'] as string | undefined, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
  });
}

describe('HTTPS under a domain name, on the emulator', () => {
  it("serves the production and test listeners with the certificate the stack imported for the domain name into the emulator's ACM", async () => {
    const [balancer] = (await clients.elb.send(new DescribeLoadBalancersCommand({ Names: ['forum-dev-alb'] }))).LoadBalancers ?? [];
    const listeners = (await clients.elb.send(new DescribeListenersCommand({ LoadBalancerArn: balancer.LoadBalancerArn }))).Listeners ?? [];
    const https = listeners.filter((listener) => listener.Protocol === 'HTTPS').map((listener) => listener.Port);
    expect(https.sort()).toEqual([443, 9010]);
    const arns = new Set(listeners.flatMap((listener) => (listener.Certificates ?? []).map((certificate) => certificate.CertificateArn)));
    expect(arns.size).toBe(1);
    const { Certificate } = await clients.acm.send(new DescribeCertificateCommand({ CertificateArn: [...arns][0] }));
    expect({ domain: Certificate?.DomainName, type: Certificate?.Type }).toEqual({ domain: DOMAIN, type: 'IMPORTED' });
    step(`https-domain: listeners 443 and 9010 are HTTPS with ${Certificate?.CertificateArn}, imported for ${DOMAIN}`);
  });

  it('answers over TLS on LOCAL_ALB_PORT for the domain name, and the certificate names nothing else', async () => {
    const answer = await get(albPort, '/api/users', DOMAIN);
    expect({ status: answer.status, servedBy: answer.servedBy }).toEqual({ status: 200, servedBy: 'users' });
    await expect(get(albPort, '/api/users', 'forum-dev-alb.elb.amazonaws.com')).rejects.toThrow(/altnames/);
  });

  it('a blue/green release of users passes its pre-traffic hook, which checks the HTTPS test listener under the domain name', async () => {
    const outputs = target.outputs();
    const [service] =
      (await clients.ecs.send(new DescribeServicesCommand({ cluster: outputs.cluster_name as string, services: ['forum-dev-users'] }))).services ?? [];
    const { taskDefinition } = await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: service.taskDefinition }));
    const image = taskDefinition!.containerDefinitions!.find((container) => container.name === 'users')!.image!;
    const released = await release({
      service: 'users',
      image,
      outputs,
      clients: { ecs: clients.ecs, codedeploy: clients.codedeploy },
      pollMs: 500,
      log: () => undefined,
    });
    // Terraform does not know the revision a release registers: gone before destroy.
    await clients.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: released.taskDefinitionArn }));
    const log = readFileSync(target.runtimeLog, 'utf8');
    const hook = log.split('\n').find((line) => line.includes(`CodeDeploy ${released.deploymentId}: BeforeAllowTraffic hook`));
    expect({ status: released.status, hook }).toEqual({
      status: 'Succeeded',
      hook: expect.stringContaining('reported Succeeded'),
    });
    step(`https-domain: release ${released.deploymentId} Succeeded; ${hook?.trim()}`);
  });

  // Process mode starts its task processes again (Docker mode takes its containers back, in the refactor suite, within
  // 15 s): about 4 s on a quiet machine, and past 15 s once under the load of a whole CI run, hence 30 s here.
  it('the runtime killed with SIGKILL under a bounded load: its supervisor starts it again, with new task processes and none of the old, and HTTPS answers again within 30 s on the same ports', async () => {
    const taskProcesses = (pgid: number) => groupMembers(pgid).filter((member) => /services\/[a-z]+\/dist\/main\.js/.test(member.command));
    const kill = await killRuntimeUnderLoad({
      stateFile: target.runtimeState,
      logFile: target.runtimeLog,
      withinMs: 30_000,
      request: () =>
        get(albPort, '/api/users', DOMAIN).then(
          (answer) => answer.status === 200 && answer.servedBy === 'users',
          () => false,
        ),
    });
    expect(kill.before.mode).toBe('process');
    expect(kill.logged).toContainEqual(expect.stringContaining(`the runtime (pid ${kill.before.pid}) ended (killed by SIGKILL)`));
    expect({ down: kill.downMs < 30_000, failed: kill.failedOutsideTheOutage }).toEqual({ down: true, failed: [] });
    // The production listener, the test listener (9010) and the control port: where they were.
    expect({ control: kill.after.port, listeners: kill.after.listeners }).toEqual({ control: kill.before.port, listeners: kill.before.listeners });
    const report = await target.sync();
    const tasks = report.services.flatMap((service) => service.tasks);
    expect({ old: groupMembers(kill.before.pid), running: taskProcesses(kill.after.pid).length }).toEqual({ old: [], running: tasks.length });
    step(
      `https-domain (process mode): SIGKILL of the runtime under ${kill.sent} requests; restarted after ${kill.restartedMs} ms, answering over TLS again after ${kill.downMs} ms; ${tasks.length} task processes started again, none of the old left`,
    );
  });

  it('npm run destroy:local leaves no task process, runtime or supervisor', async () => {
    const runtime = readRuntimeState(target.runtimeState)!;
    destroyed = true;
    await target.destroy();
    expect({ supervisor: runs(runtime.supervisor, 'supervisor.js'), group: groupMembers(runtime.pid) }).toEqual({ supervisor: false, group: [] });
  });
});
