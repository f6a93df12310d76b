/**
 * CodeDeploy's ECS blue/green deployments, carried out locally: what the
 * CodeDeploy service does on AWS, done through the emulator's APIs, with
 * the local runtime converging on each step. A deployment that `npm run
 * release` created: green task set from the AppSpec's task definition in the
 * green target group; the test listener on green; the BeforeAllowTraffic
 * hook (the project's own code, run here with the event Lambda would get,
 * reporting to the emulator) against the local test listener; production
 * traffic shifted as the deployment configuration says; blue drained and
 * stopped after the termination wait. A failed hook, green tasks that never
 * become healthy, or a StopDeployment roll back with production untouched.
 */
import {
  GetDeploymentCommand,
  GetDeploymentGroupCommand,
  ListApplicationsCommand,
  ListDeploymentGroupsCommand,
  ListDeploymentsCommand,
  type CodeDeployClient,
} from '@aws-sdk/client-codedeploy';
import {
  CreateTaskSetCommand,
  DeleteTaskSetCommand,
  DescribeServicesCommand,
  DescribeTaskSetsCommand,
  UpdateServicePrimaryTaskSetCommand,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  ModifyListenerCommand,
  ModifyRuleCommand,
  type Action,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetFunctionConfigurationCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../lib/project-root';
import type { Log } from './images';
import type { LocalRuntime } from './local-runtime';
import { setting } from '../../lib/settings';
import { emulatorEnvironment } from '../aws/emulator-account';
import { localCertificateFiles } from '../../lib/local-certificate-files';

export interface LocalCodeDeployOptions {
  readonly clients: {
    readonly codedeploy: Pick<CodeDeployClient, 'send'>;
    readonly ecs: Pick<ECSClient, 'send'>;
    readonly elb: Pick<ElasticLoadBalancingV2Client, 'send'>;
    readonly lambda: Pick<LambdaClient, 'send'>;
  };
  readonly runtime: LocalRuntime;
  /** The emulator: where the hook reports, and its control plane for deployment status. */
  readonly endpoint: string;
  readonly region: string;
  /** Multiplies every wait of a deployment (LOCAL_TIME_SCALE). @default 1 */
  readonly timeScale?: number;
  /** Where the local certificates are (LOCAL_STATE_DIR): a hook that checks an HTTPS test listener trusts their authority. @default - the project root */
  readonly stateDir?: string;
  readonly log: Log;
}

/** A traffic-shifting plan: the percents of production traffic on green, each held for `waitMs` before the next. */
export function shiftSteps(configName: string): { percent: number; waitMinutes: number }[] {
  const canary = /Canary(\d+)Percent(\d+)Minutes?$/.exec(configName);
  if (canary)
    return [
      { percent: Number(canary[1]), waitMinutes: Number(canary[2]) },
      { percent: 100, waitMinutes: 0 },
    ];
  const linear = /Linear(\d+)PercentEvery(\d+)Minutes?$/.exec(configName);
  if (linear) {
    const step = Number(linear[1]);
    const steps: { percent: number; waitMinutes: number }[] = [];
    for (let percent = step; percent < 100; percent += step) steps.push({ percent, waitMinutes: Number(linear[2]) });
    return [...steps, { percent: 100, waitMinutes: 0 }];
  }
  return [{ percent: 100, waitMinutes: 0 }];
}

interface AppSpec {
  readonly Resources: readonly {
    readonly TargetService: {
      readonly Properties: {
        readonly TaskDefinition: string;
        readonly LoadBalancerInfo: { readonly ContainerName: string; readonly ContainerPort: number };
        readonly NetworkConfiguration?: {
          readonly AwsvpcConfiguration?: {
            readonly Subnets?: readonly string[];
            readonly SecurityGroups?: readonly string[];
            readonly AssignPublicIp?: 'ENABLED' | 'DISABLED';
          };
        };
      };
    };
  }[];
  readonly Hooks?: readonly Record<string, string>[];
}

/** Where production traffic for the service goes: a rule of the production listener, or its default action. */
interface ProductionRoute {
  readonly listenerArn: string;
  readonly ruleArn?: string;
}

class RolledBack extends Error {
  constructor(
    readonly status: 'Failed' | 'Stopped',
    message: string,
  ) {
    super(message);
  }
}

export class LocalCodeDeploy {
  private readonly active = new Set<string>();
  private readonly timeScale: number;

  constructor(private readonly options: LocalCodeDeployOptions) {
    this.timeScale = options.timeScale ?? 1;
  }

  /** Starts any deployment that is waiting (Created); one at a time per deployment group. */
  async poll(): Promise<void> {
    const { codedeploy } = this.options.clients;
    for (const application of (await codedeploy.send(new ListApplicationsCommand({}))).applications ?? []) {
      for (const group of (await codedeploy.send(new ListDeploymentGroupsCommand({ applicationName: application }))).deploymentGroups ?? []) {
        const key = `${application}/${group}`;
        if (this.active.has(key)) continue;
        const waiting =
          (
            await codedeploy.send(
              new ListDeploymentsCommand({ applicationName: application, deploymentGroupName: group, includeOnlyStatuses: ['Created', 'Queued'] }),
            )
          ).deployments ?? [];
        if (waiting.length === 0) continue;
        this.active.add(key);
        void this.deploy(waiting[0]).finally(() => this.active.delete(key));
      }
    }
  }

  /** Whether a deployment is being carried out now. */
  get busy(): boolean {
    return this.active.size > 0;
  }

  private async control(
    deploymentId: string,
    update?: { status: string; errorCode?: string; errorMessage?: string },
  ): Promise<{ status: string; hooks: Record<string, string> }> {
    const response = await fetch(`${this.options.endpoint}/_local/codedeploy/deployments/${deploymentId}?region=${this.options.region}`, {
      method: update ? 'POST' : 'GET',
      headers: { 'content-type': 'application/json' },
      body: update ? JSON.stringify(update) : undefined,
    });
    if (!response.ok) throw new Error(`the emulator's control plane answered ${response.status} for deployment ${deploymentId}`);
    return (await response.json()) as { status: string; hooks: Record<string, string> };
  }

  private async deploy(deploymentId: string): Promise<void> {
    const { clients, log } = this.options;
    const { deploymentInfo } = await clients.codedeploy.send(new GetDeploymentCommand({ deploymentId }));
    const { deploymentGroupInfo: group } = await clients.codedeploy.send(
      new GetDeploymentGroupCommand({ applicationName: deploymentInfo?.applicationName, deploymentGroupName: deploymentInfo?.deploymentGroupName }),
    );
    const content = deploymentInfo?.revision?.appSpecContent?.content ?? deploymentInfo?.revision?.string?.content;
    const ecsService = group?.ecsServices?.[0];
    const pair = group?.loadBalancerInfo?.targetGroupPairInfoList?.[0];
    if (!content || !ecsService || !pair) {
      await this.control(deploymentId, {
        status: 'Failed',
        errorCode: 'INVALID_REVISION',
        errorMessage: 'the deployment has no AppSpec, ECS service or target group pair',
      });
      return;
    }
    const appSpec = JSON.parse(content) as AppSpec;
    const properties = appSpec.Resources[0].TargetService.Properties;
    const appSpecNetwork = properties.NetworkConfiguration?.AwsvpcConfiguration;
    if (appSpecNetwork && (!appSpecNetwork.Subnets?.length || !appSpecNetwork.SecurityGroups?.length || appSpecNetwork.SecurityGroups.length > 5)) {
      // ECS refuses such a task set; CodeDeploy fails the deployment.
      await this.control(deploymentId, {
        status: 'Failed',
        errorCode: 'INVALID_REVISION',
        errorMessage: "the AppSpec's AwsvpcConfiguration needs at least one subnet and 1 to 5 security groups",
      });
      return;
    }
    const hooks = Object.assign({}, ...(appSpec.Hooks ?? [])) as Record<string, string>;
    const cluster = ecsService.clusterName!;
    const service = ecsService.serviceName!;
    const configName =
      deploymentInfo?.deploymentConfigName && deploymentInfo.deploymentConfigName !== 'undefined'
        ? deploymentInfo.deploymentConfigName
        : (group?.deploymentConfigName ?? 'CodeDeployDefault.ECSAllAtOnce');
    await this.control(deploymentId, { status: 'InProgress' });
    log(`CodeDeploy ${deploymentId}: ${service} to ${properties.TaskDefinition.split('/').pop()} (${configName})`);

    const taskSets = (await clients.ecs.send(new DescribeTaskSetsCommand({ cluster, service }))).taskSets ?? [];
    const blueSet = taskSets.find((set) => set.status === 'PRIMARY') ?? taskSets[0];
    const blueGroup = blueSet?.loadBalancers?.[0]?.targetGroupArn;
    const names = (pair.targetGroups ?? []).map((entry) => entry.name!);
    const groups = (await clients.elb.send(new DescribeTargetGroupsCommand({ Names: names }))).TargetGroups ?? [];
    const greenGroup = groups.find((candidate) => candidate.TargetGroupArn !== blueGroup)?.TargetGroupArn;
    const productionListener = pair.prodTrafficRoute?.listenerArns?.[0];
    const testListener = pair.testTrafficRoute?.listenerArns?.[0];
    if (!blueSet || !blueGroup || !greenGroup || !productionListener) {
      await this.control(deploymentId, {
        status: 'Failed',
        errorCode: 'NO_INSTANCES',
        errorMessage: 'the service has no primary task set behind one of its target groups',
      });
      return;
    }
    const route = await this.productionRoute(productionListener, blueGroup);
    let greenSet: string | undefined;
    try {
      // 1. The replacement (green) task set, in the green target group.
      const { service: described } = await clients.ecs
        .send(new DescribeServicesCommand({ cluster, services: [service] }))
        .then((result) => ({ service: result.services?.[0] }));
      const created = await clients.ecs.send(
        new CreateTaskSetCommand({
          cluster,
          service,
          taskDefinition: properties.TaskDefinition,
          loadBalancers: [
            { targetGroupArn: greenGroup, containerName: properties.LoadBalancerInfo.ContainerName, containerPort: properties.LoadBalancerInfo.ContainerPort },
          ],
          launchType: 'FARGATE',
          // As CodeDeploy does: the AppSpec's network configuration, else the service's.
          networkConfiguration: appSpecNetwork
            ? {
                awsvpcConfiguration: {
                  subnets: [...(appSpecNetwork.Subnets ?? [])],
                  securityGroups: [...(appSpecNetwork.SecurityGroups ?? [])],
                  assignPublicIp: appSpecNetwork.AssignPublicIp,
                },
              }
            : described?.networkConfiguration,
          scale: { value: 100, unit: 'PERCENT' },
        }),
      );
      greenSet = created.taskSet?.taskSetArn;
      const started = await this.options.runtime.sync();
      const failure = started.failures.find((entry) => entry.taskDefinitionArn === properties.TaskDefinition);
      if (failure) throw new RolledBack('Failed', `the replacement tasks never became healthy: ${failure.reason}`);
      log(`CodeDeploy ${deploymentId}: green tasks healthy in ${groups.find((candidate) => candidate.TargetGroupArn === greenGroup)?.TargetGroupName}`);

      // 2. Test traffic to green, and the hooks around it.
      if (testListener) {
        await clients.elb.send(new ModifyListenerCommand({ ListenerArn: testListener, DefaultActions: [{ Type: 'forward', TargetGroupArn: greenGroup }] }));
        await this.options.runtime.sync();
      }
      for (const event of ['AfterAllowTestTraffic', 'BeforeAllowTraffic']) {
        if (hooks[event]) await this.runHook(deploymentId, event, hooks[event], testListener);
      }

      // 3. Production traffic, step by step.
      for (const step of shiftSteps(configName)) {
        await this.route(route, [
          { TargetGroupArn: blueGroup, Weight: 100 - step.percent },
          { TargetGroupArn: greenGroup, Weight: step.percent },
        ]);
        await this.options.runtime.sync();
        log(`CodeDeploy ${deploymentId}: ${step.percent} % of production traffic on green`);
        await this.wait(deploymentId, step.waitMinutes);
      }
      if (hooks.AfterAllowTraffic) await this.runHook(deploymentId, 'AfterAllowTraffic', hooks.AfterAllowTraffic, testListener);

      // 4. Green is the service now; blue goes after the termination wait.
      await clients.ecs.send(new UpdateServicePrimaryTaskSetCommand({ cluster, service, primaryTaskSet: greenSet }));
      const waitMinutes = group?.blueGreenDeploymentConfiguration?.terminateBlueInstancesOnDeploymentSuccess?.terminationWaitTimeInMinutes ?? 0;
      log(
        `CodeDeploy ${deploymentId}: all production traffic on green; blue ends after ${waitMinutes} min${this.timeScale !== 1 ? ` (× ${this.timeScale})` : ''}`,
      );
      await this.wait(deploymentId, waitMinutes);
      await clients.ecs.send(new DeleteTaskSetCommand({ cluster, service, taskSet: blueSet.taskSetArn }));
      await this.options.runtime.sync();
      await this.control(deploymentId, { status: 'Succeeded' });
      log(`CodeDeploy ${deploymentId}: Succeeded`);
    } catch (error) {
      const rolledBack = error instanceof RolledBack ? error : new RolledBack('Failed', error instanceof Error ? error.message : String(error));
      log(`CodeDeploy ${deploymentId}: ${rolledBack.message}; rolling back to blue`);
      await this.route(route, [
        { TargetGroupArn: blueGroup, Weight: 100 },
        { TargetGroupArn: greenGroup, Weight: 0 },
      ]);
      if (testListener)
        await clients.elb.send(new ModifyListenerCommand({ ListenerArn: testListener, DefaultActions: [{ Type: 'forward', TargetGroupArn: blueGroup }] }));
      if (greenSet) await clients.ecs.send(new DeleteTaskSetCommand({ cluster, service, taskSet: greenSet })).catch(() => undefined);
      await this.options.runtime.sync();
      await this.control(deploymentId, {
        status: rolledBack.status,
        errorCode: rolledBack.status === 'Stopped' ? 'DEPLOYMENT_STOPPED' : 'HEALTH_CONSTRAINTS',
        errorMessage: rolledBack.message,
      });
      log(`CodeDeploy ${deploymentId}: ${rolledBack.status}; production stayed on blue`);
    }
  }

  /** The production listener's rule that forwards to blue, or its default action. */
  private async productionRoute(listenerArn: string, blueGroup: string): Promise<ProductionRoute> {
    const forwardsToBlue = (actions: Action[] | undefined) =>
      (actions ?? []).some(
        (action) =>
          action.TargetGroupArn === blueGroup ||
          action.ForwardConfig?.TargetGroups?.some((group) => group.TargetGroupArn === blueGroup && (group.Weight ?? 1) > 0),
      );
    const rules = (await this.options.clients.elb.send(new DescribeRulesCommand({ ListenerArn: listenerArn }))).Rules ?? [];
    const rule = rules.find((candidate) => !candidate.IsDefault && forwardsToBlue(candidate.Actions));
    return { listenerArn, ruleArn: rule?.RuleArn };
  }

  /** Points the production route at blue and green with these weights (a single forward at 100/0). */
  private async route(route: ProductionRoute, weights: { TargetGroupArn: string; Weight: number }[]): Promise<void> {
    const only = weights.find((weight) => weight.Weight === 100);
    const actions: Action[] = [only ? { Type: 'forward', TargetGroupArn: only.TargetGroupArn } : { Type: 'forward', ForwardConfig: { TargetGroups: weights } }];
    if (route.ruleArn) await this.options.clients.elb.send(new ModifyRuleCommand({ RuleArn: route.ruleArn, Actions: actions }));
    else {
      const listener = (await this.options.clients.elb.send(new DescribeListenersCommand({ ListenerArns: [route.listenerArn] }))).Listeners?.[0];
      if (listener) await this.options.clients.elb.send(new ModifyListenerCommand({ ListenerArn: route.listenerArn, DefaultActions: actions }));
    }
  }

  /** Waits (scaled), and rolls back if the deployment is stopped meanwhile. */
  private async wait(deploymentId: string, minutes: number): Promise<void> {
    const until = Date.now() + minutes * 60_000 * this.timeScale;
    do {
      if ((await this.control(deploymentId)).status === 'Stopped') throw new RolledBack('Stopped', 'the deployment was stopped');
      await new Promise((resolve) => setTimeout(resolve, Math.min(500, Math.max(0, until - Date.now()))));
    } while (Date.now() < until);
  }

  /**
   * Runs a lifecycle hook's function here: the project's compiled handler,
   * with the function's environment from the emulator, the local test
   * listener as its TEST_BASE_URL, and the event Lambda would pass. The
   * handler reports to the emulator, where its report is read back.
   */
  private async runHook(deploymentId: string, event: string, functionName: string, testListener?: string): Promise<void> {
    const configuration = await this.options.clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
    const [file, exported] = (configuration.Handler ?? 'handler.handler').split('.');
    const code = join(projectRoot(), 'build', 'constructs', 'pre-traffic-hook', `${file}.js`);
    if (!existsSync(code)) throw new RolledBack('Failed', `${event}: the hook's code ${code} is missing (npm run build)`);
    const testPort = testListener ? this.options.runtime.listenerPort(testListener) : undefined;
    const executionId = randomUUID();
    const variables = configuration.Environment?.Variables ?? {};
    // Behind HTTPS the hook asks the local test listener for its TEST_HOST_NAME, whose certificate the local authority issued.
    const scheme = variables.TEST_BASE_URL?.startsWith('https:') ? 'https' : 'http';
    const trusted = scheme === 'https' && variables.TEST_HOST_NAME && localCertificateFiles(this.options.stateDir ?? projectRoot(), variables.TEST_HOST_NAME);
    const environment = {
      PATH: setting('PATH') ?? '',
      ...variables,
      ...(testPort && { TEST_BASE_URL: `${scheme}://127.0.0.1:${testPort}` }),
      ...(trusted && { NODE_EXTRA_CA_CERTS: trusted.authority }),
      ...emulatorEnvironment(this.options.endpoint),
    };
    const payload = JSON.stringify({ DeploymentId: deploymentId, LifecycleEventHookExecutionId: executionId });
    const script = `require(${JSON.stringify(code)})[${JSON.stringify(exported)}](JSON.parse(process.argv[1])).then(() => process.exit(0), (error) => { console.error(error); process.exit(1); })`;
    const output = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, ['-e', script, payload], {
        env: environment,
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: (configuration.Timeout ?? 30) * 1000,
      });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.once('exit', () => resolve(text.trim()));
    });
    const reported = (await this.control(deploymentId)).hooks[executionId];
    this.options.log(
      `CodeDeploy ${deploymentId}: ${event} hook ${functionName} reported ${reported ?? 'nothing'}${output ? `: ${output.split('\n').pop()}` : ''}`,
    );
    if (reported !== 'Succeeded') throw new RolledBack('Failed', `the ${event} hook reported ${reported ?? 'nothing'}`);
  }
}
