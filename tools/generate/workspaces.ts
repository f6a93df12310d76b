/**
 * The npm workspaces and TypeScript project references that list the
 * services, derived from the one list in forum/config/project.ts: the root
 * package.json's workspaces and tsconfig.json's references, each service's
 * tsconfig.json, the monolith's dependencies and the plugins it registers.
 * A configured service without a folder gets a starting one (scaffold).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProjectConfig } from '../../forum/config/types';
import { HEADER, SCOPE } from './header';

/** The shared kit every service builds on. */
export const KIT = { folder: 'shared', name: `${SCOPE}/service-kit` } as const;

export interface Workspace {
  /** Folder under services/. */
  readonly folder: string;
  /** npm package name. */
  readonly name: string;
}

/** Every workspace, dependencies first: the kit, each microservice (a resource plugin), the monolith (all of them). */
export function serviceWorkspaces(config: ProjectConfig): Workspace[] {
  const named = (folder: string): Workspace => ({ folder, name: `${SCOPE}/${folder}` });
  return [KIT, ...config.microservices.map((service) => named(service.name)), named(config.monolith.name)];
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

interface PackageJson {
  readonly name: string;
  readonly dependencies?: Record<string, string>;
  readonly [field: string]: unknown;
}

/** A workspace's `@forum/*` dependencies, as folders, from its package.json (the monolith's are generated below). */
function workspaceDependencies(root: string, workspace: Workspace, all: readonly Workspace[], config: ProjectConfig): Workspace[] {
  if (workspace.folder === config.monolith.name) return all.filter((candidate) => candidate !== workspace);
  const path = join(root, 'services', workspace.folder, 'package.json');
  if (!existsSync(path)) return workspace === KIT ? [] : [KIT];
  const { dependencies = {} } = readJson<PackageJson>(path);
  return all.filter((candidate) => candidate.name in dependencies);
}

/** The workspace folders a service's image needs: its `@forum/*` dependencies, transitively, dependencies first, the service last. */
export function workspaceClosure(root: string, config: ProjectConfig, service: string): string[] {
  const all = serviceWorkspaces(config);
  const ordered: string[] = [];
  const visit = (workspace: Workspace) => {
    if (ordered.includes(workspace.folder)) return;
    for (const dependency of workspaceDependencies(root, workspace, all, config).sort((a, b) => a.folder.localeCompare(b.folder))) visit(dependency);
    ordered.push(workspace.folder);
  };
  const start = all.find((workspace) => workspace.folder === service);
  if (!start) throw new Error(`${service} is not a configured service`);
  visit(start);
  return ordered;
}

/** Files that list the services, with what they should hold now. */
export function workspaceFiles(root: string, config: ProjectConfig): Record<string, string> {
  const all = serviceWorkspaces(config);
  const rootPackage = readJson<PackageJson>(join(root, 'package.json'));
  const rootTsconfig = readJson<Record<string, unknown>>(join(root, 'tsconfig.json'));
  const files: Record<string, string> = {
    'package.json': json({ ...rootPackage, workspaces: all.map((workspace) => `services/${workspace.folder}`) }),
    'tsconfig.json': json({
      ...rootTsconfig,
      references: [...all.map((workspace) => ({ path: `services/${workspace.folder}` })), { path: 'tsconfig.infra.json' }],
    }),
  };
  for (const workspace of all) {
    const references = workspaceDependencies(root, workspace, all, config).map((dependency) => ({ path: `../${dependency.folder}` }));
    files[`services/${workspace.folder}/tsconfig.json`] = json({
      extends: '../../tsconfig.base.json',
      compilerOptions: { composite: true, rootDir: 'src', outDir: 'dist', tsBuildInfoFile: 'tsconfig.tsbuildinfo' },
      include: ['src', 'src/**/*.json'],
      ...(references.length > 0 && { references }),
    });
  }
  const monolith = all[all.length - 1];
  const resources = all.slice(1, -1);
  const monolithPackagePath = join(root, 'services', monolith.folder, 'package.json');
  const monolithPackage = readJson<PackageJson>(monolithPackagePath);
  const others = Object.fromEntries(Object.entries(monolithPackage.dependencies ?? {}).filter(([name]) => !name.startsWith(`${SCOPE}/`)));
  const version = (workspace: Workspace) =>
    existsSync(join(root, 'services', workspace.folder, 'package.json'))
      ? String(readJson<PackageJson>(join(root, 'services', workspace.folder, 'package.json')).version)
      : '1.0.0';
  files[`services/${monolith.folder}/package.json`] = json({
    ...monolithPackage,
    dependencies: Object.fromEntries(
      [...Object.entries(others), ...[KIT, ...resources].map((workspace): [string, string] => [workspace.name, version(workspace)])].sort(([a], [b]) =>
        a.localeCompare(b),
      ),
    ),
  });
  files[`services/${monolith.folder}/src/plugins.ts`] = [
    `// ${HEADER}`,
    '// Every resource, in configuration order: the monolith serves them all.',
    `import type { Resource } from '${KIT.name}';`,
    ...resources.map((workspace) => `import { resource as ${identifier(workspace.folder)} } from '${workspace.name}';`),
    '',
    `export const resources: readonly Resource[] = [${resources.map((workspace) => identifier(workspace.folder)).join(', ')}];`,
    '',
  ].join('\n');
  return files;
}

const identifier = (folder: string) => folder.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());

/** A starting folder for a configured microservice that has none yet: written once, then the service's own. */
export function scaffoldFiles(root: string, name: string): Record<string, string> {
  // Its plugin imports hapi's types: the same hapi as the kit's.
  const hapi = readJson<PackageJson>(join(root, 'services', KIT.folder, 'package.json')).dependencies?.['@hapi/hapi'];
  return {
    [`services/${name}/package.json`]: json({
      name: `${SCOPE}/${name}`,
      version: '1.0.0',
      private: true,
      description: `The ${name} microservice: the /api/${name} routes as a hapi plugin, and a server that runs only them`,
      main: 'dist/index.js',
      types: 'dist/index.d.ts',
      files: ['dist'],
      scripts: { start: 'node dist/main.js' },
      dependencies: { [KIT.name]: '1.0.0', ...(hapi && { '@hapi/hapi': hapi }) },
    }),
    [`services/${name}/src/index.ts`]: [
      `import type { Resource } from '${KIT.name}';`,
      "import { plugin } from './plugin';",
      '',
      "export { plugin } from './plugin';",
      '/** No data yet: add a src/resource.json and a schema to give it a table (see users). */',
      'export const resource: Resource = { plugin };',
      '',
    ].join('\n'),
    [`services/${name}/src/main.ts`]: [
      `import { runService } from '${KIT.name}';`,
      "import { resource } from './index';",
      '',
      `runService({ service: '${name}', resources: [resource] });`,
      '',
    ].join('\n'),
    [`services/${name}/src/plugin.ts`]: [
      "import type { Plugin } from '@hapi/hapi';",
      `import { Joi, type ResourceOptions } from '${KIT.name}';`,
      '',
      `/** \`/api/${name}*\`: the ${name} resource, served by the ${name} microservice and by the monolith. */`,
      'export const plugin: Plugin<ResourceOptions> = {',
      `  name: '${name}',`,
      '  register(server) {',
      '    server.route({',
      "      method: 'GET',",
      `      path: '/api/${name}',`,
      '      options: {',
      '        // What it answers, and what the API document (docs/openapi.json) says of it.',
      '        response: { status: { 200: Joi.array() } },',
      `        plugins: { openapi: { summary: 'The ${name}' } },`,
      '        handler: () => [],',
      '      },',
      '    });',
      '  },',
      '};',
      '',
    ].join('\n'),
  };
}
