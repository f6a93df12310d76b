import { Fn } from 'cdktf';
import type { IConstruct } from 'constructs';
import { NAME_LIMITS, requireName } from '../lib/validation';

/** What a target group's name adds to its base: `-` and six hex characters. */
const SUFFIX_LENGTH = 7;

/** The longest base a target group's name can have, and why, for the checks that come before the name is made. */
export const TARGET_GROUP_BASE_LIMIT = {
  max: NAME_LIMITS.targetGroup - SUFFIX_LENGTH,
  reason: `a target group's ${NAME_LIMITS.targetGroup}, less the ${SUFFIX_LENGTH} that tell a replacement apart`,
} as const;

/** The attributes that make AWS replace a target group when they change. */
export interface TargetGroupIdentity {
  /** The port its targets receive traffic on. */
  readonly port: number;
  /** `HTTP` or `HTTPS`. */
  readonly protocol: string;
  /** `ip` (Fargate tasks) or `instance` (EC2). */
  readonly targetType: string;
  /** The VPC of its targets. */
  readonly vpcId: string;
}

/**
 * A target group's name that changes whenever AWS must replace the group: `<base>-<6 hex>`, the hex from the
 * attributes that force a replacement. Target groups are create-before-destroy (a listener forwards to the old
 * one until Terraform updates it), and ELB refuses a second group of a name in use (DuplicateTargetGroupName):
 * under a fixed name every replacement failed. The base is checked at synth; the hex is Terraform's, since the
 * VPC's id is known only once it exists.
 */
export function replaceableTargetGroupName(scope: IConstruct, field: string, base: string, identity: TargetGroupIdentity): string {
  requireName(scope, field, base, TARGET_GROUP_BASE_LIMIT.max, TARGET_GROUP_BASE_LIMIT.reason);
  const key = Fn.join('/', [String(identity.port), identity.protocol, identity.targetType, identity.vpcId]);
  return `${base}-${Fn.substr(Fn.sha1(key), 0, SUFFIX_LENGTH - 1)}`;
}
