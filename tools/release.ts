/**
 * `npm run release -- <service> <image>`: releases a new image to a
 * blue/green service. Terraform created the service and its CodeDeploy
 * wiring but ignores its task definition and load balancer afterwards; this
 * registers a new task definition revision with the image, starts a
 * CodeDeploy deployment with its AppSpec (and the pre-traffic hook), then
 * waits and reports the outcome.
 */
import { CodeDeployClient, CreateDeploymentCommand, GetDeploymentCommand } from '@aws-sdk/client-codedeploy';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setting } from '../lib/settings';

export interface ReleaseClients {
  readonly ecs: Pick<ECSClient, 'send'>;
  readonly codedeploy: Pick<CodeDeployClient, 'send'>;
}

/** A stack's outputs, as `cdktf deploy --outputs-file` (or `cdktf output --outputs-file`) writes them for one stack. */
export type StackOutputs = Readonly<Record<string, string | number>>;

/** The outputs of `stack` in an outputs file; with one stack in the file, that one. */
export function readStackOutputs(file: string, stack?: string): StackOutputs {
  const all = JSON.parse(readFileSync(file, 'utf8')) as Record<string, StackOutputs>;
  const names = Object.keys(all);
  const name = stack ?? (names.length === 1 ? names[0] : undefined);
  if (!name || !all[name]) throw new Error(`${file} has no outputs of stack ${stack ?? '(give one of: ' + names.join(', ') + ')'}`);
  return all[name];
}

export interface ReleaseOptions {
  readonly service: string;
  readonly image: string;
  /** The deployed stack's outputs: where the service, its CodeDeploy group and its hook are. */
  readonly outputs: StackOutputs;
  readonly clients: ReleaseClients;
  /** @default console.log */
  readonly log?: (line: string) => void;
  /** @default 10000 */
  readonly pollMs?: number;
  /** How long to wait for the deployment to end. @default 60 minutes */
  readonly timeoutMs?: number;
}

/** An AppSpec's network configuration of ECS tasks (the stack's `<service>_network_configuration` output). */
interface AwsvpcConfiguration {
  readonly Subnets: readonly string[];
  readonly SecurityGroups: readonly string[];
  readonly AssignPublicIp: 'ENABLED' | 'DISABLED';
}

export interface ReleaseResult {
  readonly taskDefinitionArn: string;
  readonly deploymentId: string;
  /** CodeDeploy's last status: Succeeded, Failed, Stopped, or the one it had when the wait ran out. */
  readonly status: string;
  readonly finished: boolean;
  readonly appSpec: Record<string, unknown>;
}

function output(outputs: StackOutputs, key: string, why: string): string {
  const value = outputs[key];
  if (value === undefined) throw new Error(`the stack has no output ${key}: ${why}`);
  return String(value);
}

const FINAL = new Set(['Succeeded', 'Failed', 'Stopped']);

export async function release(options: ReleaseOptions): Promise<ReleaseResult> {
  const { outputs, clients, service: serviceName } = options;
  const log = options.log ?? console.log;
  const key = serviceName.replace(/-/g, '_');
  const cluster = output(outputs, 'cluster_name', 'deploy the stack first');
  const name = output(outputs, `${key}_ecs_service_name`, `"${serviceName}" is not a deployed service`);
  const notBlueGreen = `"${serviceName}" deploys rolling: release it with cdktf deploy (a new image tag is a new task definition)`;
  const application = output(outputs, `${key}_codedeploy_application`, notBlueGreen);
  const deploymentGroup = output(outputs, `${key}_codedeploy_deployment_group`, notBlueGreen);
  const hook = output(outputs, `${key}_pre_traffic_hook_function`, notBlueGreen);

  const { services } = await clients.ecs.send(new DescribeServicesCommand({ cluster, services: [name] }));
  const current = services?.find((candidate) => candidate.status === 'ACTIVE');
  if (!current?.taskDefinition) throw new Error(`ECS service ${name} was not found in ${cluster}: deploy the stack first`);
  if (current.deploymentController?.type !== 'CODE_DEPLOY') throw new Error(`ECS service ${name} is not under the CODE_DEPLOY controller`);

  const { taskDefinition } = await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: current.taskDefinition }));
  const definitions = taskDefinition?.containerDefinitions ?? [];
  const container = definitions.find((candidate) => candidate.name === serviceName);
  const containerPort = container?.portMappings?.[0]?.containerPort;
  if (!taskDefinition || !container || containerPort === undefined)
    throw new Error(`${current.taskDefinition} has no container named ${serviceName} with a port`);
  const registered = await clients.ecs.send(
    new RegisterTaskDefinitionCommand({
      family: taskDefinition.family,
      containerDefinitions: definitions.map((candidate) => (candidate === container ? { ...candidate, image: options.image } : candidate)),
      cpu: taskDefinition.cpu,
      memory: taskDefinition.memory,
      networkMode: taskDefinition.networkMode,
      requiresCompatibilities: taskDefinition.requiresCompatibilities,
      executionRoleArn: taskDefinition.executionRoleArn,
      taskRoleArn: taskDefinition.taskRoleArn,
      runtimePlatform: taskDefinition.runtimePlatform,
    }),
  );
  const taskDefinitionArn = registered.taskDefinition!.taskDefinitionArn!;
  log(`registered ${taskDefinitionArn} with ${options.image}`);

  const networkOutput = options.outputs[`${key}_network_configuration`];
  const network = typeof networkOutput === 'string' ? (JSON.parse(networkOutput) as AwsvpcConfiguration) : undefined;
  const appSpec = {
    version: '0.0',
    Resources: [
      {
        TargetService: {
          Type: 'AWS::ECS::Service',
          Properties: {
            TaskDefinition: taskDefinitionArn,
            LoadBalancerInfo: { ContainerName: serviceName, ContainerPort: containerPort },
            // The configuration's network and platform, which ECS lets only a CodeDeploy deployment change.
            ...(network !== undefined && { NetworkConfiguration: { AwsvpcConfiguration: network }, PlatformVersion: 'LATEST' }),
          },
        },
      },
    ],
    Hooks: [{ BeforeAllowTraffic: hook }],
  };
  const { deploymentId } = await clients.codedeploy.send(
    new CreateDeploymentCommand({
      applicationName: application,
      deploymentGroupName: deploymentGroup,
      description: `release ${options.image}`,
      revision: { revisionType: 'AppSpecContent', appSpecContent: { content: JSON.stringify(appSpec) } },
    }),
  );
  log(`CodeDeploy deployment ${deploymentId} started (pre-traffic hook ${hook})`);

  const deadline = Date.now() + (options.timeoutMs ?? 60 * 60_000);
  let status = '';
  for (;;) {
    const { deploymentInfo } = await clients.codedeploy.send(new GetDeploymentCommand({ deploymentId }));
    if (deploymentInfo?.status !== status) {
      status = deploymentInfo?.status ?? 'Unknown';
      log(`deployment ${deploymentId}: ${status}${deploymentInfo?.errorInformation?.message ? ` (${deploymentInfo.errorInformation.message})` : ''}`);
    }
    if (FINAL.has(status)) return { taskDefinitionArn, deploymentId: deploymentId!, status, finished: true, appSpec };
    if (Date.now() > deadline) return { taskDefinitionArn, deploymentId: deploymentId!, status, finished: false, appSpec };
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 10_000));
  }
}

if (require.main === module) {
  const [serviceName, image] = process.argv.slice(2);
  if (!serviceName || !image) {
    console.error('usage: npm run release -- <service> <image URI>   (OUTPUTS_FILE: the stack outputs, default outputs.json)');
    process.exit(2);
  }
  const outputsFile = resolve(setting('OUTPUTS_FILE') ?? 'outputs.json');
  Promise.resolve()
    .then(() =>
      release({
        service: serviceName,
        image,
        outputs: readStackOutputs(outputsFile),
        clients: { ecs: new ECSClient({}), codedeploy: new CodeDeployClient({}) },
      }),
    )
    .then(
      (result) => {
        console.log(
          result.finished
            ? `release ${result.status}`
            : `still ${result.status} when the wait ran out; follow deployment ${result.deploymentId} in the console`,
        );
        process.exit(result.status === 'Succeeded' ? 0 : 1);
      },
      (error: unknown) => {
        console.error(error instanceof Error ? error.message : error);
        process.exit(1);
      },
    );
}
