/**
 * The shape of the project's configuration (`forum/config/project.ts` holds the
 * values). A service's settings are the props of the constructs that deploy
 * it, under the same names: their defaults and checks live there, once.
 * Only what spans services is added here: names, routes, the stage.
 */
import type { AccessLogOptions } from '../../constructs/access-log-bucket';
import type { BlueGreenOptions } from '../../constructs/blue-green-deployment';
import type { FlowLogOptions } from '../../constructs/vpc-flow-log';
import type { LegacyEc2MonolithOptions } from '../../constructs/legacy-ec2-monolith';
import type { ExistingLoadBalancer } from '../../constructs/load-balancer';
import type { WebAclOptions } from '../../constructs/web-acl';
import type { FargateAlbServiceOptions } from '../../constructs/fargate-alb-service';
import type { NetworkProps } from '../../constructs/network';
import type { ResourceData } from '../resources';
import type { RouteRule } from '../../lib/route-table';
import type { StateBackend } from '../../lib/state-backend';

export interface ServiceConfig extends FargateAlbServiceOptions {
  /** Lower-case name: the folder `services/<name>`, the container, the last part of every resource name. */
  readonly name: string;
  /** Settings of its blue/green releases, used when `deployment` is 'blue-green'. @default see BlueGreenOptions */
  readonly blueGreen?: BlueGreenOptions;
}

/** Where the load balancer sends a microservice's requests: a listener rule (see RouteRule). */
export interface RouteConfig extends Omit<RouteRule, 'service' | 'pathPatterns'> {
  /** What the rule matches. @default ['/api/<name>', '/api/<name>/*'] */
  readonly pathPatterns?: readonly string[];
}

export interface MicroserviceConfig extends ServiceConfig {
  /** Whether the ALB routes its paths to it yet (the strangler step). */
  readonly extracted: boolean;
  /**
   * Its listener rule. The priority is fixed per service, never derived from
   * list order, so adding or removing a service never renumbers the others.
   */
  readonly route: RouteConfig;
  /**
   * Where it keeps its resource's items: `'own'`, its table, with a task role
   * that may use exactly that table (and look up the items it refers to); or
   * `'facade'`, through the monolith's facade API (the workshop's lab 4:
   * the monolith as the facade for persistence), with no permission on any
   * table. FACADE_SERVICES overrides it for one run. @default 'own'
   */
  readonly persistence?: Persistence;
}

export type Persistence = 'own' | 'facade';

export interface MonolithConfig extends ServiceConfig {
  /**
   * The end of the strangler: no monolith service, and the listener's
   * default action a JSON 404. Synth refuses while any microservice is not
   * extracted at 100 % or keeps its items through the monolith.
   * RETIRE_MONOLITH overrides it for one run. @default false
   */
  readonly retired?: boolean;
}

/** The monolith as it ran before containers, on EC2 behind the same load balancer, while the default action moves to Fargate. */
export interface LegacyMonolithConfig extends LegacyEc2MonolithOptions {
  /**
   * Percent of the default action's requests forwarded to the EC2 instances;
   * the rest go to the Fargate monolith. 100 before the cut-over, 0 after it
   * (then remove this block). LEGACY_TRAFFIC overrides it for one run.
   */
  readonly trafficPercent: number;
  /**
   * The monolith on EC2 as it runs today, behind this target group: the stack
   * creates no instances, and only moves the share. @default - the stack
   * creates the Auto Scaling group and everything it needs (LegacyEc2Monolith)
   */
  readonly existingTargetGroupArn?: string;
}

/** A load balancer that exists already, which the stack joins instead of creating one. */
export interface ExistingLoadBalancerConfig extends ExistingLoadBalancer {
  /**
   * What answers the requests no rule of the stack matches. `'keep'`: the
   * listener's own default action, as its owner set it (the monolith,
   * wherever it runs today); no Fargate monolith is deployed, and each
   * extracted service takes all of its paths. `'take-over'`: the Fargate
   * monolith, through a rule of the stack evaluated last (priority 50000,
   * every path); the listener itself is still not changed. @default 'keep'
   */
  readonly defaultAction?: 'keep' | 'take-over';
}

export type NetworkConfig =
  | ({ readonly kind: 'new' } & Pick<NetworkProps, 'cidr' | 'azCount' | 'natGateways' | 'gatewayEndpoints'>)
  | ({ readonly kind: 'existing' } & NonNullable<NetworkProps['existing']>);

/** The local backend, or S3 (encrypted, locked): see lib/state-backend.ts. */
export type StateConfig = StateBackend;

/** What a stage may set differently from the project's settings. */
export type StageSettings = Partial<
  Pick<
    ProjectConfig,
    | 'region'
    | 'network'
    | 'certificateArn'
    | 'domainName'
    | 'ingressCidrs'
    | 'logRetentionDays'
    | 'keepImages'
    | 'testListenerCidrs'
    | 'deletionProtection'
    | 'accessLogs'
    | 'webAcl'
    | 'flowLogs'
    | 'logEncryption'
  >
>;

/** One stage (dev, prod...): a stack of its own, `<project>-<stage>`, with its own state, in its own account if need be. */
export interface StageConfig extends StageSettings {
  /**
   * The AWS accounts this stage may be applied to: the AWS provider refuses
   * to plan or apply with credentials of any other (`allowed_account_ids`),
   * so a stage cannot land in the wrong account. @default - any account
   */
  readonly allowedAccountIds?: readonly string[];
  /**
   * Where Terraform keeps this stage's state. A pipeline's runner is thrown
   * away after each run: `npm run deploy:ci` refuses the local backend when
   * CI is set. @default { backend: 'local' }: `terraform.<project>-<stage>.tfstate`
   * in the project root
   */
  readonly state?: StateConfig;
}

export interface ProjectConfig {
  /** Short project name, first part of every resource name. */
  readonly project: string;
  /**
   * The stages, each its own stack with its own state: the stage's name is the
   * second part of every resource name, the `Environment` tag, and the GitHub
   * environment that deploys it. At least one; STAGE chooses one per run,
   * and a run without it deploys the first.
   */
  readonly stages: Readonly<Record<string, StageConfig>>;
  /** AWS region of the stack. */
  readonly region: string;
  /** A new VPC (`{kind: 'new', cidr?, azCount?, natGateways?, gatewayEndpoints?}`), or an existing one (`{kind: 'existing', vpcId, publicSubnetIds, privateSubnetIds}`): see NetworkProps. */
  readonly network: NetworkConfig;
  /** ACM certificate ARN: the listener serves HTTPS and HTTP redirects to it. @default - HTTP only */
  readonly certificateArn?: string;
  /**
   * The host name users reach the stack by (your DNS record for the load
   * balancer), which the certificate names: a blue/green service's
   * pre-traffic hook asks its HTTPS test listener for it (required then).
   * @default - none
   */
  readonly domainName?: string;
  /** CIDRs the load balancer admits. @default ['0.0.0.0/0'] */
  readonly ingressCidrs?: readonly string[];
  /** Days CloudWatch keeps each service's logs, unless the service sets its own. @default 30 */
  readonly logRetentionDays?: number;
  /** Images each ECR repository keeps, unless the service sets its own. @default 10 */
  readonly keepImages?: number;
  /**
   * CIDRs admitted to the test listeners of blue/green services, besides the
   * NAT gateways' addresses (the pre-traffic hook's way out). @default []
   */
  readonly testListenerCidrs?: readonly string[];
  /**
   * Refuse to delete stateful and front-door resources (the load balancer:
   * Security Hub ELB.6). The dev configuration turns it off so that
   * `cdktf destroy` leaves nothing. @default true
   */
  readonly deletionProtection?: boolean;
  /** The load balancer's access logs (ELB.5), or `false` for none. @default - on: AccessLogOptions' defaults */
  readonly accessLogs?: AccessLogOptions | false;
  /** A WAF web ACL in front of the load balancer (ELB.16), or `false` for none (it costs money). @default - on: WebAclOptions' defaults */
  readonly webAcl?: WebAclOptions | false;
  /** The VPC's flow log (EC2.6), or `false` for none; a new VPC only. @default - on: FlowLogOptions' defaults */
  readonly flowLogs?: FlowLogOptions | false;
  /** Encrypt every log group of the stack with a customer-managed KMS key of its own (it costs money). @default true */
  readonly logEncryption?: boolean;
  /** Deploying from GitHub Actions: the repository whose jobs in the stage's GitHub environment the bootstrap stack's OIDC roles trust. GITHUB_REPOSITORY overrides it. @default - none: the bootstrap stack (`bootstrap/`) fails at synth without it */
  readonly ci?: { readonly repository?: string };
  /**
   * Join this load balancer's listener instead of creating a load balancer:
   * the stack adds its rules, target groups and services, and changes nothing
   * of the listener. Check the priorities its rules use first (docs/migration.md).
   * @default - none: the stack creates its load balancer and listener
   */
  readonly existingLoadBalancer?: ExistingLoadBalancerConfig;
  /** The monolith: the listener's default action. */
  readonly monolith: MonolithConfig;
  /**
   * The monolith on EC2 (the workshop's starting point), sharing the default
   * action with the Fargate monolith. LEGACY_TRAFFIC=<percent> set for one
   * run turns it on with its defaults when this is unset.
   * @default - none: the monolith runs on Fargate only
   */
  readonly legacyMonolith?: LegacyMonolithConfig;
  /** The microservices: the one list of them. */
  readonly microservices: readonly MicroserviceConfig[];
}

/** A service after this run's overrides, with its blue/green settings complete. */
export interface ResolvedService extends ServiceConfig {
  readonly blueGreen: BlueGreenOptions & Required<Pick<BlueGreenOptions, 'testPort' | 'checkPath'>>;
}

export interface ResolvedMicroservice extends ResolvedService {
  /** Its rule, as the route table holds it. */
  readonly route: Omit<RouteRule, 'service'>;
  readonly persistence: Persistence;
}

export interface ResolvedConfig extends Omit<ProjectConfig, 'stages' | 'monolith' | 'microservices' | 'legacyMonolith'> {
  /** The stage of this run (STAGE, else the first configured), its settings applied over the project's. */
  readonly stage: string;
  /** `<project>-<stage>`: the stack's name and the first part of every name. */
  readonly namePrefix: string;
  /** The accounts the stage may be applied to, if it says. */
  readonly allowedAccountIds?: readonly string[];
  /** Where Terraform keeps the stage's state. */
  readonly state: StateConfig;
  /** 'local': the provider talks to an emulator (skips credential and metadata checks). */
  readonly target: 'aws' | 'local';
  /** IMAGE_URI_TEMPLATE of this run: every built image is taken as ready-made from there instead. */
  readonly imageUriTemplate?: string;
  /** LOCAL_STATE_DIR of this run: the folder of the local backend's `terraform.<stack>.tfstate`. */
  readonly localStateDir?: string;
  /** The monolith's settings; deployed unless `monolithRetired`. */
  readonly monolith: ResolvedService;
  /** Whether the monolith is retired in this run: no service, a JSON 404 default. */
  readonly monolithRetired: boolean;
  /** The monolith on EC2 in this run, if any. */
  readonly legacyMonolith?: LegacyMonolithConfig;
  /** Extracted microservices only, in configuration order. */
  readonly microservices: readonly ResolvedMicroservice[];
  /** Every microservice configured, extracted or not, in configuration order. */
  readonly knownMicroservices: readonly string[];
  /** The resources that keep data (a table each, whatever the stage), by service name. */
  readonly resources: ReadonlyMap<string, ResourceData>;
}
