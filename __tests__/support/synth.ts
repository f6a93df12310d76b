/** Synthesizes the stack as `cdktf synth` would, for assertions on the Terraform JSON. */
import { Testing } from 'cdktf';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { projectConfig } from '../../forum/config/project';
import type { ConfigOverrides } from '../../forum/config/overrides';
import { resolveConfig } from '../../forum/config/resolve';
import type { ProjectConfig, ResolvedConfig } from '../../forum/config/types';
import { ForumStack } from '../../forum/stack';
import { REPO_ROOT } from './processes';

export type TfResource = Record<string, unknown> & { '//'?: { metadata: { path: string } } };
export interface TfJson {
  resource: Record<string, Record<string, TfResource>>;
  data?: Record<string, Record<string, TfResource>>;
  output: Record<string, { value: string }>;
  provider: Record<string, unknown[]>;
  terraform: Record<string, unknown>;
}

export function config(overrides: ConfigOverrides = {}, base: ProjectConfig = projectConfig): ResolvedConfig {
  return resolveConfig(base, overrides, REPO_ROOT);
}

/** The stack's Terraform JSON as written by a full synth (with each resource's construct path). */
export function synth(overrides: ConfigOverrides = {}, base: ProjectConfig = projectConfig): TfJson {
  const app = Testing.app();
  const stack = new ForumStack(app, 'forum-dev', config(overrides, base));
  const outdir = Testing.fullSynth(stack);
  try {
    return JSON.parse(readFileSync(join(outdir, 'stacks', 'forum-dev', 'cdk.tf.json'), 'utf8')) as TfJson;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Resources of one type, keyed by their construct path below the stack (`users/service/service`). */
export function resources(json: TfJson, type: string): Map<string, TfResource> {
  const byPath = new Map<string, TfResource>();
  for (const [, body] of Object.entries(json.resource[type] ?? {})) {
    byPath.set(body['//']!.metadata.path.replace(/^forum-dev\//, ''), body);
  }
  return byPath;
}

export function resource(json: TfJson, type: string, path: string): TfResource {
  const found = resources(json, type).get(path);
  if (!found) throw new Error(`no ${type} at ${path}; have ${[...resources(json, type).keys()].join(', ')}`);
  return found;
}

/** `${aws_lb_target_group.users_target-group_1234.arn}` for the resource at that path. */
export function ref(json: TfJson, type: string, path: string, attribute: string): string {
  for (const [logicalId, body] of Object.entries(json.resource[type] ?? {})) {
    if (body['//']!.metadata.path === `forum-dev/${path}`) return `\${${type}.${logicalId}.${attribute}}`;
  }
  throw new Error(`no ${type} at ${path}`);
}

/** A target group's name as synthesized: the base, then 6 hex of what forces its replacement (constructs/target-group-name.ts). */
export function targetGroupName(json: TfJson, base: string, port: number, targetType: 'ip' | 'instance'): string {
  const vpc = ref(json, 'aws_vpc', 'network/vpc', 'id').slice(2, -1);
  return `${base}-\${substr(sha1(join("/", ["${port}", "HTTP", "${targetType}", ${vpc}])), 0, 6)}`;
}

/** Every resource as `type path` → its body without metadata, for stage-to-stage comparisons. */
export function flatten(json: TfJson): Map<string, string> {
  const flat = new Map<string, string>();
  for (const [type, byId] of Object.entries(json.resource)) {
    for (const [, body] of Object.entries(byId)) {
      const { '//': meta, ...rest } = body;
      flat.set(`${type} ${meta!.metadata.path}`, JSON.stringify(rest));
    }
  }
  return flat;
}
