import { Construct } from 'constructs';
import { ServiceDiscoveryPrivateDnsNamespace } from '@cdktf/provider-aws/lib/service-discovery-private-dns-namespace';

export interface PrivateNamespaceProps {
  /** The namespace is `<namePrefix>.internal`. */
  readonly namePrefix: string;
  /** The VPC whose resolver answers for it: names resolve inside it only. */
  readonly vpcId: string;
}

/**
 * A Cloud Map private DNS namespace: the names by which services find each
 * other's internal ports inside the VPC (`monolith.<namePrefix>.internal`),
 * never through the load balancer.
 */
export class PrivateNamespace extends Construct {
  readonly namespace: ServiceDiscoveryPrivateDnsNamespace;
  readonly name: string;

  constructor(scope: Construct, id: string, props: PrivateNamespaceProps) {
    super(scope, id);
    this.name = `${props.namePrefix}.internal`;
    this.namespace = new ServiceDiscoveryPrivateDnsNamespace(this, 'namespace', {
      name: this.name,
      vpc: props.vpcId,
      description: `${props.namePrefix}: service-to-service names`,
    });
  }
}
