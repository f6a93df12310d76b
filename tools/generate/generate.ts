/**
 * `npm run generate`: writes everything that is derived from the
 * configuration and the code, so that a service is listed in one place
 * (forum/config/project.ts): the npm workspaces and TypeScript references, the
 * monolith's plugin list and dependencies, every Dockerfile, compose.yaml and
 * its nginx routing at the configured stage, and the documentation's diagram,
 * construct and configuration reference, security table and tour table, and the API's OpenAPI document (docs/). A configured service without a
 * folder gets a starting one. `--check` only compares and fails when a file
 * is out of date (the tests do the same).
 */
import { createServer, OPENAPI_PATH, storesAnswering } from '@forum/service-kit';
import { resources } from '@forum/monolith/resources';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { projectConfig } from '../../forum/config/project';
import { resolveConfig } from '../../forum/config/resolve';
import { routeTable } from '../../forum/config/routing';
import type { ProjectConfig, ResolvedConfig } from '../../forum/config/types';
import { projectRoot } from '../../lib/project-root';
import { dockerfile } from './dockerfile';
import { between } from './header';
import { configurationReference, constructReference } from './reference';
import { composeYaml, mermaidDiagram, nginxConf } from './routing-files';
import { securityTable } from './security-table';
import { scaffoldFiles, workspaceClosure, workspaceFiles } from './workspaces';
import { tourSection } from '../tour/report';

/** The documentation's generated sections: the page, and the markers they stand between. */
export const DOC_SECTIONS = {
  diagram: { file: 'docs/infrastructure.md', markers: ['<!-- routing-diagram:start -->', '<!-- routing-diagram:end -->'] },
  constructs: { file: 'docs/infrastructure.md', markers: ['<!-- construct-reference:start -->', '<!-- construct-reference:end -->'] },
  configuration: { file: 'docs/configuration.md', markers: ['<!-- configuration-reference:start -->', '<!-- configuration-reference:end -->'] },
  security: { file: 'docs/security.md', markers: ['<!-- security-controls:start -->', '<!-- security-controls:end -->'] },
  tour: { file: 'docs/migration.md', markers: ['<!-- tour:start -->', '<!-- tour:end -->'] },
} as const;

/** The stage the configuration file describes (no EXTRACTED_SERVICES override: generated files must not depend on the shell). */
export function configuredStage(root = projectRoot()): ResolvedConfig {
  return resolveConfig(projectConfig, {}, root);
}

/** Starting folders for configured services that have none: written once, never checked again. */
export function missingScaffolds(root: string, config: ProjectConfig = projectConfig): Record<string, string> {
  const missing = config.microservices.map((service) => service.name).filter((name) => !existsSync(join(root, 'services', name, 'package.json')));
  return Object.assign({}, ...missing.map((name) => scaffoldFiles(root, name))) as Record<string, string>;
}

/** What lists the services, from their names alone: workspaces, references, the monolith's plugins, every Dockerfile. */
export function serviceFiles(root: string, config: ProjectConfig = projectConfig): Record<string, string> {
  const names = [config.monolith.name, ...config.microservices.map((service) => service.name)];
  return {
    ...workspaceFiles(root, config),
    ...Object.fromEntries(
      names.map((name) => [`services/${name}/Dockerfile`, dockerfile(name, workspaceClosure(root, config, name), name === config.monolith.name)]),
    ),
  };
}

/** What follows the configured stage and the code: compose and its routing proxy, and the documentation's diagram, references, security and tour tables. */
export function stageFiles(root: string): Record<string, string> {
  const config = configuredStage(root);
  const table = routeTable(config);
  const content: Record<keyof typeof DOC_SECTIONS, () => string> = {
    diagram: () => mermaidDiagram(config, table),
    constructs: () => constructReference(root),
    configuration: () => configurationReference(root),
    security: () => securityTable(projectConfig, root),
    tour: () => tourSection(join(root, 'tools', 'tour', 'latest.json')),
  };
  const pages: Record<string, string> = {};
  for (const section of Object.keys(DOC_SECTIONS) as (keyof typeof DOC_SECTIONS)[]) {
    const { file, markers } = DOC_SECTIONS[section];
    pages[file] = between(pages[file] ?? readFileSync(join(root, file), 'utf8'), markers[0], markers[1], content[section]());
  }
  return { 'compose.yaml': composeYaml(config), 'tools/dev/nginx.conf': nginxConf(config, table), ...pages };
}

/** Each generated file and what it should hold now. */
export function generatedFiles(root = projectRoot()): Record<string, string> {
  return { ...serviceFiles(root), ...stageFiles(root) };
}

/** Where the monolith's OpenAPI document, which covers every route, is kept. */
export const API_DOCUMENT = 'docs/openapi.json';

/** The API's OpenAPI document, as the monolith serves it: made from its routes, which need no store to describe themselves. */
export async function apiDocumentFile(): Promise<Record<string, string>> {
  const stores = storesAnswering(() => Promise.reject(new Error('the document is made without a store')));
  const server = await createServer({ service: projectConfig.monolith.name, resources, stores });
  const served = await server.inject(OPENAPI_PATH);
  if (served.statusCode !== 200) throw new Error(`${OPENAPI_PATH} answered ${served.statusCode}: ${served.payload}`);
  return { [API_DOCUMENT]: `${JSON.stringify(JSON.parse(served.payload), null, 2)}\n` };
}

function write(root: string, file: string, content: string): void {
  const path = join(root, file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  console.log(`wrote ${file}`);
}

if (require.main === module) {
  const root = projectRoot();
  const check = process.argv.includes('--check');
  let stale = 0;
  let written = 0;
  const update = (files: Record<string, string>, missing = false) => {
    for (const [file, content] of Object.entries(files)) {
      const path = join(root, file);
      const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
      if (current === content || (missing && current !== undefined)) continue;
      if (check) {
        console.error(`${file} is ${current === undefined ? 'missing' : 'out of date'}: run npm run generate`);
        stale += 1;
      } else {
        write(root, file, content);
        written += 1;
      }
    }
  };
  // In this order: a new service's folder, then what lists it (its Dockerfile among them), then what needs it to exist.
  const scaffolds = missingScaffolds(root);
  update(scaffolds, true);
  update(serviceFiles(root));
  const servicesChanged = written > 0;
  if (stale === 0) update(stageFiles(root));
  if (!check && Object.keys(scaffolds).length > 0) console.log('new services: run npm install to link their workspaces and update package-lock.json');
  // The API's document is made from the compiled services: one whose list just changed is built by the next run, not this one.
  if (servicesChanged || stale > 0) {
    if (servicesChanged) console.log(`the services' list changed: run npm run generate again to bring ${API_DOCUMENT} up to date`);
    process.exit(stale > 0 ? 1 : 0);
  }
  void apiDocumentFile().then(
    (files) => {
      update(files);
      process.exit(stale > 0 ? 1 : 0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
