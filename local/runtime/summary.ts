/**
 * What `npm run deploy:local` prints when the application runs: where it
 * answers, the tasks per service, and a next step that is true for the state
 * just deployed (read from the deployed listener, not from the command line).
 */
import type { ProjectConfig } from '../../forum/config/types';

/** The services a stage may deploy, and its names' prefix (`<project>-<stage>`). */
export type DeployedStage = Pick<ProjectConfig, 'monolith' | 'microservices'> & { readonly namePrefix: string };
import type { RuntimeReport } from './client';

/** The production listener of the report: the one the runtime serves on LOCAL_ALB_PORT. */
export function productionListener(report: RuntimeReport, albPort: number): RuntimeReport['listeners'][number] | undefined {
  return report.listeners.find((listener) => listener.port === albPort);
}

/** Each microservice's share of its paths on the production listener (undefined: not routed), by service name. */
export function deployedShares(report: RuntimeReport, albPort: number, config: DeployedStage): Map<string, number> {
  const prefix = `${config.namePrefix}-`;
  const shares = new Map<string, number>();
  for (const route of productionListener(report, albPort)?.routes ?? []) {
    if (route.priority === undefined) continue;
    const total = route.targets.reduce((sum, target) => sum + target.weight, 0) || 1;
    for (const target of route.targets) {
      const service = target.name.replace(prefix, '').replace(/-green$/, '');
      if (service !== config.monolith.name && config.microservices.some((candidate) => candidate.name === service)) {
        shares.set(service, (shares.get(service) ?? 0) + Math.round((target.weight * 100) / total));
      }
    }
  }
  return shares;
}

/** The next refactor step from the deployed state, as a command. */
export function nextStep(report: RuntimeReport, albPort: number, config: DeployedStage): string {
  const shares = deployedShares(report, albPort, config);
  const routed = config.microservices.map((service) => service.name).filter((name) => shares.has(name));
  const list = (names: readonly string[]) => (names.length === config.microservices.length ? 'all' : names.length === 0 ? 'none' : names.join(','));
  const partial = routed.find((name) => (shares.get(name) ?? 0) < 100);
  if (partial) {
    const share = shares.get(partial) ?? 0;
    const raise = share < 50 ? 50 : 100;
    return `${partial} takes ${share} % of its paths; raise it: EXTRACTED_SERVICES=${list(routed)} TRAFFIC_SHARES=${partial}=${raise} npm run deploy:local`;
  }
  const next = config.microservices.find((service) => !shares.has(service.name));
  if (next) {
    const stage = list([...routed, next.name]);
    return `extract ${next.name}: EXTRACTED_SERVICES=${stage} npm run diff:local (the plan adds only ${next.name}), then EXTRACTED_SERVICES=${stage} npm run deploy:local`;
  }
  const [first] = config.microservices;
  return `every path is extracted; try a canary (EXTRACTED_SERVICES=all TRAFFIC_SHARES=${first?.name}=10 npm run deploy:local) or a blue/green release (EXTRACTED_SERVICES=all BLUE_GREEN_SERVICES=${first?.name} npm run deploy:local, then npm run release:local -- ${first?.name} <image>)`;
}

/** Where the application answers, and the other listeners. */
function applicationLines(report: RuntimeReport, albPort: number): string[] {
  const production = productionListener(report, albPort);
  const lines: string[] = [];
  if (production) {
    lines.push('', `Application: http://127.0.0.1:${production.port}   (${production.loadBalancer}, listener :${production.awsPort}, as deployed)`);
    lines.push(`  curl -i http://127.0.0.1:${production.port}/api/users   # the x-served-by header names the service that answered`);
  } else {
    lines.push('', 'No listener is deployed: nothing serves requests yet.');
  }
  for (const listener of report.listeners.filter((candidate) => candidate !== production)) {
    lines.push(`Listener ${listener.loadBalancer}:${listener.awsPort} (a blue/green test listener, or the HTTP redirect): http://127.0.0.1:${listener.port}`);
  }
  return lines;
}

/** The tasks of each service with their health, and the failed rollouts. */
function taskLines(report: RuntimeReport): string[] {
  const lines = [
    '',
    `Running tasks (${report.mode === 'docker' ? `Docker containers with host networking, labeled forum.local=${report.id}` : 'Node.js processes: no Docker engine'}):`,
  ];
  for (const service of report.services) {
    lines.push(`  ${service.name.padEnd(24)} ${service.tasks.map((task) => `${task.taskDefinition} on :${task.port} (${task.health})`).join(', ')}`);
  }
  for (const failure of report.failures) {
    lines.push(
      `!! ${failure.service}: ${failure.reason}${failure.rolledBackTo ? `; the circuit breaker rolled it back to ${failure.rolledBackTo.split('/').pop()}` : ''}`,
    );
  }
  return lines;
}

/** What `npm run deploy:local` prints once the runtime has converged. */
export function summary(report: RuntimeReport, albPort: number, config: DeployedStage, endpoint: string): string[] {
  return [
    ...applicationLines(report, albPort),
    ...taskLines(report),
    '',
    `Next step: ${nextStep(report, albPort, config)}`,
    `Look around: docker ps --filter label=forum.local=${report.id}; aws --endpoint-url ${endpoint} elbv2 describe-target-groups (eval "$(npm run -s env:local)" first)`,
    'Tear it down: npm run destroy:local',
  ];
}

/** What `npm run status:local` prints: where it answers, each listener's rules with their weights, the tasks, what drains. */
export function status(report: RuntimeReport & { readonly deploying?: boolean }, albPort: number): string[] {
  const lines = applicationLines(report, albPort);
  for (const listener of report.listeners) {
    lines.push('', `Rules of ${listener.loadBalancer}:${listener.awsPort} (on :${listener.port}):`);
    for (const route of listener.routes) {
      const where =
        route.targets.length === 0 ? 'a fixed response or a redirect' : route.targets.map((target) => `${target.name} ${target.weight}`).join(' / ');
      lines.push(`  ${route.priority === undefined ? 'default' : `${route.priority} ${(route.pathPatterns ?? []).join(',')}`} → ${where}`);
    }
  }
  lines.push(...taskLines(report));
  lines.push(
    '',
    report.draining.length === 0
      ? 'Draining: nothing'
      : `Draining: ${report.draining.map((task) => `${task.service} task ${task.id} on :${task.port}`).join(', ')}`,
  );
  if (report.deploying) lines.push('A CodeDeploy deployment is under way (npm run release:local).');
  return lines;
}
