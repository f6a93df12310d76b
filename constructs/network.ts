import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { DataAwsAvailabilityZones } from '@cdktf/provider-aws/lib/data-aws-availability-zones';
import { Eip } from '@cdktf/provider-aws/lib/eip';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway';
import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { ValidationError } from '../lib/validation';
import { VpcFlowLog, type FlowLogOptions } from './vpc-flow-log';

export interface NetworkProps {
  /** First part of every resource's Name tag. */
  readonly namePrefix: string;
  /**
   * An existing VPC and its subnets (as the workshop's lab stack provided);
   * nothing is created then.
   * @default - a new VPC
   */
  readonly existing?: { readonly vpcId: string; readonly publicSubnetIds: readonly string[]; readonly privateSubnetIds: readonly string[] };
  /** CIDR of the new VPC; each subnet gets a /20 of it (a /16 leaves room for 16). @default '10.0.0.0/16' */
  readonly cidr?: string;
  /** Availability zones the new VPC spans: at least 2, as an ALB requires. @default 2 */
  readonly azCount?: number;
  /**
   * One NAT gateway for all private subnets, or one per zone so that a zone outage cannot cut the others off
   * (each costs an hourly charge and its traffic).
   * @default 'single'
   */
  readonly natGateways?: 'single' | 'per-az';
  /**
   * Gateway endpoints on the private route tables: the tasks' traffic to these services (DynamoDB's tables;
   * S3's, which holds ECR's image layers and the EC2 monolith's build) stays off the NAT gateways. They cost
   * nothing; `[]` for none.
   * @default ['dynamodb', 's3']
   */
  readonly gatewayEndpoints?: readonly GatewayEndpointService[];
  /** The new VPC's flow log (Security Hub EC2.6), or `false` for none. @default - on: VpcFlowLog's defaults */
  readonly flowLogs?: FlowLogOptions | false;
  /** KMS key of the flow log's log group. @default - CloudWatch Logs' own encryption */
  readonly logKmsKeyArn?: string;
}

/** The services AWS offers gateway endpoints for. */
export type GatewayEndpointService = 'dynamodb' | 's3';

/**
 * A VPC with public subnets (the ALB, NAT) and private subnets (the tasks),
 * its default security group emptied and its flow log on; or an existing
 * VPC passed through, untouched.
 */
export class Network extends Construct {
  readonly vpcId: string;
  readonly publicSubnetIds: string[];
  readonly privateSubnetIds: string[];
  /** Public addresses of the NAT gateways (what the internet sees of the private subnets); none for an existing VPC. */
  readonly natPublicIps: string[] = [];
  /** The new VPC's flow log, unless it is off. */
  readonly flowLog?: VpcFlowLog;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    if (props.existing) {
      const { vpcId, publicSubnetIds, privateSubnetIds } = props.existing;
      if (publicSubnetIds.length < 2) throw new ValidationError(this, 'existing.publicSubnetIds', 'an ALB needs subnets in at least 2 availability zones');
      if (privateSubnetIds.length < 1) throw new ValidationError(this, 'existing.privateSubnetIds', 'at least one private subnet is needed for the tasks');
      this.vpcId = vpcId;
      this.publicSubnetIds = [...publicSubnetIds];
      this.privateSubnetIds = [...privateSubnetIds];
      return;
    }

    const azCount = props.azCount ?? 2;
    if (!Number.isInteger(azCount) || azCount < 2 || azCount > 6) throw new ValidationError(this, 'azCount', `${azCount} must be an integer from 2 to 6`);
    const cidr = props.cidr ?? '10.0.0.0/16';
    const name = (suffix: string) => ({ Name: `${props.namePrefix}-${suffix}` });

    const zones = new DataAwsAvailabilityZones(this, 'zones', { state: 'available' });
    const vpc = new Vpc(this, 'vpc', { cidrBlock: cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: name('vpc') });
    // The default security group admits nothing and lets nothing out (EC2.2): every resource gets a group of its own.
    new DefaultSecurityGroup(this, 'default-security-group', { vpcId: vpc.id, tags: name('default-unused') });
    if (props.flowLogs !== false)
      this.flowLog = new VpcFlowLog(this, 'flow-log', { namePrefix: props.namePrefix, vpcId: vpc.id, kmsKeyArn: props.logKmsKeyArn, ...props.flowLogs });
    const igw = new InternetGateway(this, 'igw', { vpcId: vpc.id, tags: name('igw') });
    const publicRoutes = new RouteTable(this, 'public-routes', {
      vpcId: vpc.id,
      route: [{ cidrBlock: '0.0.0.0/0', gatewayId: igw.id }],
      tags: name('public'),
    });

    this.vpcId = vpc.id;
    this.publicSubnetIds = [];
    this.privateSubnetIds = [];
    const natCount = props.natGateways === 'per-az' ? azCount : 1;
    const nats: NatGateway[] = [];
    for (let i = 0; i < azCount; i += 1) {
      const az = Fn.element(zones.names, i) as string;
      const publicSubnet = new Subnet(this, `public-${i}`, {
        vpcId: vpc.id,
        availabilityZone: az,
        cidrBlock: Fn.cidrsubnet(cidr, 4, i),
        mapPublicIpOnLaunch: false,
        tags: { ...name(`public-${i}`), Tier: 'public' },
      });
      new RouteTableAssociation(this, `public-${i}-routes`, { subnetId: publicSubnet.id, routeTableId: publicRoutes.id });
      this.publicSubnetIds.push(publicSubnet.id);
      if (i < natCount) {
        const eip = new Eip(this, `nat-${i}-ip`, { domain: 'vpc', tags: name(`nat-${i}`) });
        this.natPublicIps.push(eip.publicIp);
        nats.push(new NatGateway(this, `nat-${i}`, { allocationId: eip.id, subnetId: publicSubnet.id, tags: name(`nat-${i}`), dependsOn: [igw] }));
      }
    }
    const privateRoutes: string[] = [];
    const region = new DataAwsRegion(this, 'region');
    for (let i = 0; i < azCount; i += 1) {
      const privateSubnet = new Subnet(this, `private-${i}`, {
        vpcId: vpc.id,
        availabilityZone: Fn.element(zones.names, i) as string,
        cidrBlock: Fn.cidrsubnet(cidr, 4, 8 + i),
        tags: { ...name(`private-${i}`), Tier: 'private' },
      });
      const routes = new RouteTable(this, `private-${i}-routes`, {
        vpcId: vpc.id,
        route: [{ cidrBlock: '0.0.0.0/0', natGatewayId: nats[Math.min(i, nats.length - 1)].id }],
        tags: name(`private-${i}`),
      });
      new RouteTableAssociation(this, `private-${i}-association`, { subnetId: privateSubnet.id, routeTableId: routes.id });
      this.privateSubnetIds.push(privateSubnet.id);
      privateRoutes.push(routes.id);
    }
    const endpoints = props.gatewayEndpoints ?? ['dynamodb', 's3'];
    for (const service of new Set(endpoints)) {
      if (service !== 'dynamodb' && service !== 's3')
        throw new ValidationError(this, 'gatewayEndpoints', `"${String(service)}" has no gateway endpoint (dynamodb, s3)`);
      // The provider keeps an endpoint's routes out of the route tables' inline routes: no drift between the two.
      new VpcEndpoint(this, `${service}-endpoint`, {
        vpcId: vpc.id,
        serviceName: `com.amazonaws.${region.name}.${service}`,
        vpcEndpointType: 'Gateway',
        routeTableIds: privateRoutes,
        tags: name(`${service}-endpoint`),
      });
    }
  }
}
