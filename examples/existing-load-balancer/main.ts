/**
 * The forum joining a load balancer that exists already, as most teams have
 * one: the stack adds its rules, target groups and services to the given
 * listener, in the given VPC, and changes nothing of the load balancer or the
 * listener. With DEFAULT_ACTION=keep (the default) the listener's own default
 * action keeps answering what no rule matches; with `take-over` the Fargate
 * monolith does, through a rule evaluated last.
 *
 *   LISTENER_ARN=arn:aws:elasticloadbalancing:...:listener/app/... \
 *   LOAD_BALANCER_SECURITY_GROUP_ID=sg-... VPC_ID=vpc-... \
 *   PUBLIC_SUBNET_IDS=subnet-a,subnet-b PRIVATE_SUBNET_IDS=subnet-c,subnet-d \
 *   EXTRACTED_SERVICES=users npx cdktf diff
 *
 * Check first which priorities the listener's rules already use (see README).
 */
import { ConfigError } from '../../forum/config/errors';
import { projectConfig } from '../../forum/config/project';
import { resolveConfig } from '../../forum/config/resolve';
import type { ProjectConfig } from '../../forum/config/types';
import { ForumStack } from '../../forum/stack';
import { projectRoot } from '../../lib/project-root';
import { synthApp } from '../../forum/synth-app';
import { setting, type SettingName } from '../../lib/settings';

const required = (name: SettingName): string => {
  const value = setting(name);
  if (!value) throw new ConfigError(name, 'is required: the existing load balancer and network to join (see the header of this file)');
  return value;
};
const list = (name: SettingName) =>
  required(name)
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);

synthApp((app) => {
  const defaultAction = setting('DEFAULT_ACTION') ?? 'keep';
  if (defaultAction !== 'keep' && defaultAction !== 'take-over') throw new ConfigError('DEFAULT_ACTION', `"${defaultAction}" must be keep or take-over`);
  const joined: ProjectConfig = {
    ...projectConfig,
    network: { kind: 'existing', vpcId: required('VPC_ID'), publicSubnetIds: list('PUBLIC_SUBNET_IDS'), privateSubnetIds: list('PRIVATE_SUBNET_IDS') },
    existingLoadBalancer: { listenerArn: required('LISTENER_ARN'), securityGroupId: required('LOAD_BALANCER_SECURITY_GROUP_ID'), defaultAction },
  };
  const config = resolveConfig(joined, process.env, projectRoot());
  new ForumStack(app, config.namePrefix, config);
});
