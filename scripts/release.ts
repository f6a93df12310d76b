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
import { GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { projectConfig } from '../config/project';
import { resolveConfig, type ResolvedConfig } from '../config/schema';
import { projectRoot } from '../lib/project-root';

export interface ReleaseClients {
  readonly ecs: Pick<ECSClient, 'send'>;
  readonly codedeploy: Pick<CodeDeployClient, 'send'>;
  readonly lambda: Pick<LambdaClient, 'send'>;
}

export interface ReleaseOptions {
  readonly service: string;
  readonly image: string;
  readonly config: ResolvedConfig;
  readonly clients: ReleaseClients;
  /** @default console.log */
  readonly log?: (line: string) => void;
  /** @default 10000 */
  readonly pollMs?: number;
  /** How long to wait for the deployment to end. @default 60 minutes */
  readonly timeoutMs?: number;
}

export interface ReleaseResult {
  readonly taskDefinitionArn: string;
  readonly deploymentId: string;
  /** CodeDeploy's last status: Succeeded, Failed, Stopped, or the one it had when the wait ran out. */
  readonly status: string;
  readonly finished: boolean;
  readonly appSpec: Record<string, unknown>;
}

const FINAL = new Set(['Succeeded', 'Failed', 'Stopped']);

export async function release(options: ReleaseOptions): Promise<ReleaseResult> {
  const { config, clients, service: serviceName } = options;
  const log = options.log ?? console.log;
  const service = [config.monolith, ...config.microservices].find((candidate) => candidate.name === serviceName);
  if (!service) throw new Error(`"${serviceName}" is not a deployed service (deployed: ${[config.monolith, ...config.microservices].map((s) => s.name).join(', ')})`);
  if (service.deployment !== 'blue-green') throw new Error(`"${serviceName}" deploys rolling: release it with cdktf deploy (a new image tag is a new task definition)`);
  const name = `${config.namePrefix}-${serviceName}`;
  const cluster = `${config.namePrefix}-cluster`;

  const { services } = await clients.ecs.send(new DescribeServicesCommand({ cluster, services: [name] }));
  const current = services?.find((candidate) => candidate.status === 'ACTIVE');
  if (!current?.taskDefinition) throw new Error(`ECS service ${name} was not found in ${cluster}: deploy the stack first`);
  if (current.deploymentController?.type !== 'CODE_DEPLOY') throw new Error(`ECS service ${name} is not under the CODE_DEPLOY controller`);

  const { taskDefinition } = await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: current.taskDefinition }));
  if (!taskDefinition?.containerDefinitions?.some((container) => container.name === serviceName)) throw new Error(`${current.taskDefinition} has no container named ${serviceName}`);
  const registered = await clients.ecs.send(
    new RegisterTaskDefinitionCommand({
      family: taskDefinition.family,
      containerDefinitions: taskDefinition.containerDefinitions.map((container) => (container.name === serviceName ? { ...container, image: options.image } : container)),
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

  const hook = await clients.lambda.send(new GetFunctionCommand({ FunctionName: `${name}-pre-traffic` }));
  const appSpec = {
    version: '0.0',
    Resources: [
      {
        TargetService: {
          Type: 'AWS::ECS::Service',
          Properties: { TaskDefinition: taskDefinitionArn, LoadBalancerInfo: { ContainerName: serviceName, ContainerPort: service.containerPort } },
        },
      },
    ],
    Hooks: [{ BeforeAllowTraffic: hook.Configuration!.FunctionArn! }],
  };
  const { deploymentId } = await clients.codedeploy.send(
    new CreateDeploymentCommand({
      applicationName: name,
      deploymentGroupName: name,
      description: `release ${options.image}`,
      revision: { revisionType: 'AppSpecContent', appSpecContent: { content: JSON.stringify(appSpec) } },
    }),
  );
  log(`CodeDeploy deployment ${deploymentId} started (${service.blueGreen.strategy}, pre-traffic hook ${hook.Configuration!.FunctionName})`);

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
    console.error('usage: npm run release -- <service> <image URI>');
    process.exit(2);
  }
  const config = resolveConfig(projectConfig, process.env, projectRoot());
  release({ service: serviceName, image, config, clients: { ecs: new ECSClient({}), codedeploy: new CodeDeployClient({}), lambda: new LambdaClient({}) } }).then(
    (result) => {
      console.log(result.finished ? `release ${result.status}` : `still ${result.status} when the wait ran out; follow deployment ${result.deploymentId} in the console`);
      process.exit(result.status === 'Succeeded' ? 0 : 1);
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
