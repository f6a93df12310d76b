import { Construct } from 'constructs';
import { Lb } from '@cdktf/provider-aws/lib/lb';
import { LbListener, type LbListenerDefaultAction } from '@cdktf/provider-aws/lib/lb-listener';
import type { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { NAME_LIMITS, requireName, ValidationError } from '../lib/validation';

export interface LoadBalancerProps {
  /** First part of every name; the ALB is `<namePrefix>-alb`. */
  readonly namePrefix: string;
  readonly vpcId: string;
  /** Public subnets in at least two availability zones. */
  readonly publicSubnetIds: readonly string[];
  /**
   * ACM certificate for an HTTPS listener on 443, which then carries the
   * rules while HTTP answers with a permanent redirect to HTTPS.
   * @default - HTTP on port 80 only
   */
  readonly certificateArn?: string;
  /** CIDRs admitted on 80/443. @default ['0.0.0.0/0'] */
  readonly ingressCidrs?: readonly string[];
  /** TLS policy of the HTTPS listener. @default 'ELBSecurityPolicy-TLS13-1-2-2021-06' */
  readonly sslPolicy?: string;
  /** Seconds an idle connection stays open. @default 60 */
  readonly idleTimeoutSeconds?: number;
}

/**
 * An internet-facing ALB with its own security group and the production
 * listener that services attach to: the listener's default action goes to
 * whichever service calls `forwardByDefault` (the monolith), path rules to
 * the others. Until then it answers 503.
 */
export class LoadBalancer extends Construct {
  readonly alb: Lb;
  readonly securityGroup: SecurityGroup;
  /** The listener that carries the routing: HTTPS when a certificate is given, else HTTP. */
  readonly productionListener: LbListener;
  /** The HTTP listener (the production listener, or the redirect to HTTPS). */
  readonly httpListener: LbListener;
  /** `http(s)://<dns name>` */
  readonly url: string;

  constructor(scope: Construct, id: string, props: LoadBalancerProps) {
    super(scope, id);
    if (props.publicSubnetIds.length < 2) throw new ValidationError(this, 'publicSubnetIds', 'an ALB needs subnets in at least 2 availability zones');
    const name = requireName(this, 'namePrefix', `${props.namePrefix}-alb`, NAME_LIMITS.loadBalancer);
    const https = props.certificateArn !== undefined;

    this.securityGroup = new SecurityGroup(this, 'security-group', {
      name: `${props.namePrefix}-alb`,
      description: `Internet to the ${props.namePrefix} load balancer`,
      vpcId: props.vpcId,
      tags: { Name: `${props.namePrefix}-alb` },
    });
    // One resource per rule, so that services add their own egress rules without modifying this group.
    const ports = https ? [80, 443] : [80];
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

    this.alb = new Lb(this, 'alb', {
      name,
      loadBalancerType: 'application',
      internal: false,
      securityGroups: [this.securityGroup.id],
      subnets: [...props.publicSubnetIds],
      dropInvalidHeaderFields: true,
      idleTimeout: props.idleTimeoutSeconds ?? 60,
      enableDeletionProtection: false,
    });

    const unrouted: LbListenerDefaultAction = {
      type: 'fixed-response',
      fixedResponse: { statusCode: '503', contentType: 'application/json', messageBody: '{"statusCode":503,"error":"Service Unavailable","message":"No service routed"}' },
    };
    if (https) {
      this.productionListener = new LbListener(this, 'https', {
        loadBalancerArn: this.alb.arn,
        port: 443,
        protocol: 'HTTPS',
        sslPolicy: props.sslPolicy ?? 'ELBSecurityPolicy-TLS13-1-2-2021-06',
        certificateArn: props.certificateArn,
        defaultAction: [unrouted],
      });
      this.httpListener = new LbListener(this, 'http', {
        loadBalancerArn: this.alb.arn,
        port: 80,
        protocol: 'HTTP',
        defaultAction: [{ type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } }],
      });
    } else {
      this.productionListener = new LbListener(this, 'http', { loadBalancerArn: this.alb.arn, port: 80, protocol: 'HTTP', defaultAction: [unrouted] });
      this.httpListener = this.productionListener;
    }
    this.url = `${https ? 'https' : 'http'}://${this.alb.dnsName}`;
  }

  /**
   * A listener on `port` that forwards to `targetGroup` (a blue/green
   * service's test listener, which CodeDeploy points at the green tasks before
   * the switch), admitting only `allowedCidrs`.
   */
  addTestListener(id: string, props: { port: number; allowedCidrs: readonly string[]; targetGroup: LbTargetGroup }): LbListener {
    props.allowedCidrs.forEach((cidr, i) => {
      new VpcSecurityGroupIngressRule(this, `${id}-ingress-${i}`, {
        securityGroupId: this.securityGroup.id,
        cidrIpv4: cidr,
        ipProtocol: 'tcp',
        fromPort: props.port,
        toPort: props.port,
        description: `Test listener ${props.port}`,
      });
    });
    return new LbListener(this, id, {
      loadBalancerArn: this.alb.arn,
      port: props.port,
      protocol: 'HTTP',
      defaultAction: [{ type: 'forward', targetGroupArn: props.targetGroup.arn }],
      // CodeDeploy moves this listener between the blue and green target groups.
      lifecycle: { ignoreChanges: ['default_action'] },
    });
  }

  /**
   * Makes the production listener's default action forward to this target
   * group (the monolith's). `movedByCodeDeploy`: a blue/green deployment owns
   * the action after creation, so Terraform stops managing it.
   */
  forwardByDefault(targetGroup: LbTargetGroup, movedByCodeDeploy = false): void {
    this.productionListener.putDefaultAction([{ type: 'forward', targetGroupArn: targetGroup.arn }]);
    if (movedByCodeDeploy) this.productionListener.lifecycle = { ignoreChanges: ['default_action'] };
  }
}
