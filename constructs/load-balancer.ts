import { Construct } from 'constructs';
import { DataAwsLb } from '@cdktf/provider-aws/lib/data-aws-lb';
import { DataAwsLbListener } from '@cdktf/provider-aws/lib/data-aws-lb-listener';
import { Lb } from '@cdktf/provider-aws/lib/lb';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { NAME_LIMITS, requireName, ValidationError } from '../lib/validation';
import { AccessLogBucket, type AccessLogOptions } from './access-log-bucket';
import { WebAcl, type WebAclOptions } from './web-acl';

export interface LoadBalancerProps {
  /** First part of every name; the ALB is `<namePrefix>-alb`. */
  readonly namePrefix: string;
  /** The VPC of the security group. */
  readonly vpcId: string;
  /** Public subnets in at least two availability zones. */
  readonly publicSubnetIds: readonly string[];
  /**
   * ACM certificate: the production listener serves HTTPS on 443 and HTTP on
   * 80 redirects to it (see ListenerRouting).
   * @default - HTTP on port 80 only
   */
  readonly certificateArn?: string;
  /** TLS policy of the HTTPS listener. @default 'ELBSecurityPolicy-TLS13-1-2-2021-06' */
  readonly sslPolicy?: string;
  /**
   * The host name clients use (your DNS record for the load balancer), which
   * the certificate names: the name a blue/green service's pre-traffic hook
   * asks its test listener for. A certificate never names the load balancer's
   * own `*.elb.amazonaws.com` name, so behind HTTPS a blue/green service needs it.
   * @default - none
   */
  readonly domainName?: string;
  /** CIDRs admitted on 80 (and 443). @default ['0.0.0.0/0'] */
  readonly ingressCidrs?: readonly string[];
  /** Seconds an idle connection stays open. @default 60 */
  readonly idleTimeoutSeconds?: number;
  /** Refuse to delete the load balancer (Security Hub ELB.6); a dev environment turns it off so that destroy works. @default true */
  readonly deletionProtection?: boolean;
  /** Access logs to an S3 bucket of their own (ELB.5), or `false` for none. @default - on: AccessLogBucket's defaults */
  readonly accessLogs?: AccessLogOptions | false;
  /** A WAFv2 web ACL in front (ELB.16), or `false` for none. @default - on: WebAcl's defaults */
  readonly webAcl?: WebAclOptions | false;
  /**
   * Join a load balancer that exists already, through one of its listeners:
   * nothing of it is created or changed here (no security group rules on
   * its ports, access logs or web ACL, which are its owner's); ListenerRouting
   * adds rules to that listener. The fields above about creating one are ignored.
   * @default - a new load balancer
   */
  readonly existing?: ExistingLoadBalancer;
}

/** A load balancer the stack does not own. */
export interface ExistingLoadBalancer {
  /** The listener the stack adds its rules to: the production listener. */
  readonly listenerArn: string;
  /** The load balancer's security group: the services admit it, and it gets an egress rule to each. */
  readonly securityGroupId: string;
}

/** The HTTPS settings of a load balancer's production listener. */
export interface HttpsSettings {
  /** The ACM certificate of the HTTPS listener. */
  readonly certificateArn: string;
  /** Its TLS policy. */
  readonly sslPolicy: string;
  /** The host name the certificate names, when given (LoadBalancerProps.domainName). */
  readonly domainName?: string;
}

/** A DNS host name: lower-case labels of letters, digits and inner hyphens, at least two, at most 253 characters. */
const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * An internet-facing ALB with its own security group (or one that exists
 * already, joined through its listener), admitting the
 * configured CIDRs on the listener ports; by default with deletion
 * protection, access logs to a bucket of its own and a WAF web ACL, and
 * dropping invalid header fields. Its listeners and their routing belong to
 * ListenerRouting; services add their own security group rules.
 */
export class LoadBalancer extends Construct {
  /** The load balancer, when the stack creates it. */
  readonly alb?: Lb;
  /** Its security group, when the stack creates it. */
  readonly securityGroup?: SecurityGroup;
  readonly arn: string;
  readonly dnsName: string;
  /** The ALB's `arn_suffix`, as CloudWatch metrics name it. */
  readonly arnSuffix: string;
  readonly securityGroupId: string;
  /** The production listener, when the load balancer exists already. */
  readonly existingListenerArn?: string;
  /** The production listener's TLS settings; undefined for plain HTTP. */
  readonly https?: HttpsSettings;
  /** `http(s)://<dns name>` */
  readonly url: string;
  /** Where the access logs go, unless they are off. */
  readonly accessLogBucket?: AccessLogBucket;
  readonly webAcl?: WebAcl;

  constructor(scope: Construct, id: string, props: LoadBalancerProps) {
    super(scope, id);
    if (props.domainName !== undefined && !HOST_NAME.test(props.domainName))
      throw new ValidationError(this, 'domainName', `"${props.domainName}" is not a lower-case DNS host name (forum.example.com)`);
    this.https =
      props.certificateArn === undefined
        ? undefined
        : { certificateArn: props.certificateArn, sslPolicy: props.sslPolicy ?? 'ELBSecurityPolicy-TLS13-1-2-2021-06', domainName: props.domainName };
    if (props.existing) {
      if (!/^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener\/app\//.test(props.existing.listenerArn)) {
        throw new ValidationError(this, 'existing.listenerArn', `"${props.existing.listenerArn}" is not the ARN of an application load balancer's listener`);
      }
      if (!/^sg-[0-9a-f]+$/.test(props.existing.securityGroupId))
        throw new ValidationError(this, 'existing.securityGroupId', `"${props.existing.securityGroupId}" is not a security group id`);
      const listener = new DataAwsLbListener(this, 'existing-listener', { arn: props.existing.listenerArn });
      const alb = new DataAwsLb(this, 'existing-alb', { arn: listener.loadBalancerArn });
      this.existingListenerArn = props.existing.listenerArn;
      this.securityGroupId = props.existing.securityGroupId;
      this.arn = alb.arn;
      this.dnsName = alb.dnsName;
      this.arnSuffix = alb.arnSuffix;
      this.url = `${this.https ? 'https' : 'http'}://${alb.dnsName}`;
      return;
    }
    if (props.publicSubnetIds.length < 2) throw new ValidationError(this, 'publicSubnetIds', 'an ALB needs subnets in at least 2 availability zones');
    const name = requireName(this, 'namePrefix', `${props.namePrefix}-alb`, NAME_LIMITS.loadBalancer);
    const idleTimeout = props.idleTimeoutSeconds ?? 60;
    if (!Number.isInteger(idleTimeout) || idleTimeout < 1 || idleTimeout > 4000)
      throw new ValidationError(this, 'idleTimeoutSeconds', `${idleTimeout} must be from 1 to 4000 seconds`);

    this.securityGroup = new SecurityGroup(this, 'security-group', {
      name: `${props.namePrefix}-alb`,
      description: `Internet to the ${props.namePrefix} load balancer`,
      vpcId: props.vpcId,
      tags: { Name: `${props.namePrefix}-alb` },
    });
    // One resource per rule, so that services add their own rules without modifying this group.
    const ports = this.https ? [80, 443] : [80];
    for (const cidr of props.ingressCidrs ?? ['0.0.0.0/0']) {
      for (const port of ports) {
        new VpcSecurityGroupIngressRule(this, `ingress-${port}-${cidr.replace(/[./]/g, '-')}`, {
          securityGroupId: this.securityGroup.id,
          cidrIpv4: cidr,
          ipProtocol: 'tcp',
          fromPort: port,
          toPort: port,
          description: `HTTP${port === 443 ? 'S' : ''} from ${cidr}`,
        });
      }
    }

    if (props.accessLogs !== false) this.accessLogBucket = new AccessLogBucket(this, 'access-logs', { namePrefix: props.namePrefix, ...props.accessLogs });
    this.alb = new Lb(this, 'alb', {
      name,
      loadBalancerType: 'application',
      internal: false,
      securityGroups: [this.securityGroup.id],
      subnets: [...props.publicSubnetIds],
      dropInvalidHeaderFields: true,
      idleTimeout,
      enableDeletionProtection: props.deletionProtection ?? true,
      accessLogs: this.accessLogBucket ? { bucket: this.accessLogBucket.bucket.id, prefix: this.accessLogBucket.prefix, enabled: true } : undefined,
      // Log delivery checks that it may write to the bucket when the load balancer is created.
      dependsOn: this.accessLogBucket ? [this.accessLogBucket.policy] : undefined,
    });
    if (props.webAcl !== false) this.webAcl = new WebAcl(this, 'web-acl', { namePrefix: props.namePrefix, loadBalancerArn: this.alb.arn, ...props.webAcl });
    this.arn = this.alb.arn;
    this.dnsName = this.alb.dnsName;
    this.arnSuffix = this.alb.arnSuffix;
    this.securityGroupId = this.securityGroup.id;
    this.url = `${this.https ? 'https' : 'http'}://${this.alb.dnsName}`;
  }
}
