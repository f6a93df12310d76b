/**
 * The deployed load balancers' listeners, served on loopback: the production
 * listener (on 443, else 80, in AWS) at LOCAL_ALB_PORT, every other one (a
 * blue/green test listener) on its AWS port when that is free and
 * unprivileged, else on any free port. Each takes the deployed rules as they
 * change; one that is gone stops serving. An HTTPS listener serves TLS with
 * its certificate, or is refused: the load balancer cannot serve it without.
 */
import { describeModel } from '../alb/listener';
import { LocalListener, type LocalListenerOptions } from '../alb/local-listener';
import type { TargetGroup } from '../alb/target-group';
import { freePort } from '../../lib/free-port';
import type { DeployedListener, DeployedState } from './deployed-state';
import type { Log } from './images';

export class LocalListeners {
  private readonly served = new Map<string, { listener: LocalListener; deployed: DeployedListener }>();

  constructor(
    private readonly options: {
      readonly albPort: number;
      /** The port each other listener served on before a restart, by ARN: taken again when free. @default - its AWS port when free */
      readonly ports?: Readonly<Record<string, number>>;
      readonly targetGroup: (arn: string) => TargetGroup | undefined;
      /** The certificate and key an HTTPS listener serves, found by its certificate ARN. */
      readonly certificate?: (arn: string) => Promise<LocalListenerOptions['tls']>;
      readonly log: Log;
    },
  ) {}

  /** Serves every deployed listener with its rules now. */
  async sync(state: DeployedState): Promise<void> {
    const production = state.listeners.find((listener) => listener.port === 443) ?? state.listeners.find((listener) => listener.port === 80);
    for (const deployed of state.listeners) {
      for (const skipped of deployed.skippedRules)
        this.options.log(`!! rule ${skipped} has conditions the local load balancer does not evaluate (only path-pattern); it is skipped`);
      const existing = this.served.get(deployed.arn);
      if (existing) {
        if (JSON.stringify(existing.deployed.model) !== JSON.stringify(deployed.model))
          this.options.log(
            `listener ${deployed.loadBalancerName}:${deployed.port} switched to its deployed rules: ${describeModel(deployed.model, targetGroupName).join('; ')}`,
          );
        existing.listener.update(deployed.model);
        this.served.set(deployed.arn, { listener: existing.listener, deployed });
        continue;
      }
      const port = deployed === production ? this.options.albPort : await portFor(this.options.ports?.[deployed.arn] ?? deployed.port);
      const tls = deployed.protocol === 'HTTPS' ? await this.tls(deployed) : undefined;
      const listener = new LocalListener({
        port,
        model: deployed.model,
        targetGroups: this.options.targetGroup,
        idleTimeoutSeconds: deployed.idleTimeoutSeconds,
        tls,
        log: this.options.log,
      });
      try {
        await listener.start();
      } catch (error) {
        const variable = deployed === production ? ' (LOCAL_ALB_PORT: choose a free one)' : '';
        throw new Error(
          `the local load balancer cannot listen for ${deployed.loadBalancerName}:${deployed.port}: ${error instanceof Error ? error.message : error}${variable}`,
          { cause: error },
        );
      }
      this.served.set(deployed.arn, { listener, deployed });
      this.options.log(
        `listener ${deployed.loadBalancerName}:${deployed.port} (${deployed.protocol}) serves on ${tls ? 'https' : 'http'}://127.0.0.1:${listener.port}`,
      );
    }
    for (const [arn, { listener, deployed }] of this.served) {
      if (state.listeners.some((candidate) => candidate.arn === arn)) continue;
      await listener.stop();
      this.served.delete(arn);
      this.options.log(`listener ${deployed.loadBalancerName}:${deployed.port} is gone: stopped serving on ${listener.port}`);
    }
  }

  private async tls(deployed: DeployedListener): Promise<LocalListenerOptions['tls']> {
    const found = deployed.certificateArn ? await this.options.certificate?.(deployed.certificateArn) : undefined;
    if (!found)
      throw new Error(
        `the local load balancer cannot serve ${deployed.loadBalancerName}:${deployed.port} (HTTPS): no certificate and key for ${deployed.certificateArn ?? 'it'} (a local deploy imports one for domainName; see lib/local-certificate-files.ts)`,
      );
    return found;
  }

  /** The loopback port serving the deployed listener with this ARN. */
  port(arn: string): number | undefined {
    return this.served.get(arn)?.listener.port;
  }

  /** What is served: each deployed listener and its loopback port. */
  list(): { readonly deployed: DeployedListener; readonly port: number }[] {
    return [...this.served.values()].map(({ listener, deployed }) => ({ deployed, port: listener.port }));
  }

  /** Every listener stops (destroy:local). */
  async stop(): Promise<void> {
    await Promise.all([...this.served.values()].map(({ listener }) => listener.stop()));
    this.served.clear();
  }
}

/** The port when it is free and unprivileged (a test listener's 9010, or the one it had before a restart), else any free one. */
async function portFor(wanted: number): Promise<number> {
  if (wanted >= 1024) {
    const probe = new LocalListener({
      port: wanted,
      model: { rules: [], defaultAction: { type: 'fixed-response', statusCode: 503 } },
      targetGroups: () => undefined,
    });
    try {
      await probe.start();
      await probe.stop();
      return wanted;
    } catch {
      // taken
    }
  }
  return freePort();
}

/** A target group's name from its ARN (`arn:...:targetgroup/forum-dev-users-4ed894/3f58...`). */
export const targetGroupName = (arn: string): string => /:targetgroup\/([^/]+)\//.exec(arn)?.[1] ?? arn;
