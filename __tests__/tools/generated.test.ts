/** The generated compose proxy, nginx configuration and documentation's routing diagram are current and route like the configuration. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { routeTable } from '../../forum/config/routing';
import { configuredStage, generatedFiles } from '../../tools/generate/generate';
import { mermaidDiagram, nginxConf } from '../../tools/generate/routing-files';
import { routeFor } from '../../lib/route-table';
import { API_CASES } from '../support/api-contract';
import { REPO_ROOT } from '../support/processes';
import { config } from '../support/synth';

/** The service nginx picks with this configuration: the first matching regex location, else `location /`. */
function nginxRoute(conf: string, path: string): string {
  const locations = [...conf.matchAll(/location (~ "([^"]+)"|\/) \{\s+proxy_pass http:\/\/([a-z-]+):/g)];
  for (const [, , regex, service] of locations) {
    if (regex && new RegExp(regex).test(path)) return service;
  }
  return locations.find(([, match]) => match === '/')![3];
}

describe('generated files', () => {
  it.each(Object.entries(generatedFiles(REPO_ROOT)))('%s is current (run npm run generate)', (file, content) => {
    expect(readFileSync(join(REPO_ROOT, file), 'utf8')).toBe(content);
  });

  it.each(['none', 'users', 'all'])('the nginx routing at stage %s sends every API path where the ALB would', (extracted) => {
    const stage = config({ EXTRACTED_SERVICES: extracted });
    const conf = nginxConf(stage, routeTable(stage));
    for (const apiCase of [...API_CASES, { path: '/' }, { path: '/health' }, { path: '/api/usersx' }]) {
      expect({ path: apiCase.path, service: nginxRoute(conf, apiCase.path) }).toEqual({
        path: apiCase.path,
        service: routeFor(routeTable(stage), apiCase.path),
      });
    }
  });

  it('splits a weighted rule between the service and the monolith, as the ALB weighs them', () => {
    const conf = nginxConf(config({ TRAFFIC_SHARES: 'users=10' }), routeTable(config({ TRAFFIC_SHARES: 'users=10' })));
    expect(conf).toContain('  split_clients "${remote_addr}${request_id}" $route_users {\n    10% users;\n    * monolith;\n  }');
    expect(conf).toContain('      proxy_pass http://$route_users:3000;');
    expect(conf).toContain('  resolver 127.0.0.11 ipv6=off;');
    expect(mermaidDiagram(config({ TRAFFIC_SHARES: 'users=10' }), routeTable(config({ TRAFFIC_SHARES: 'users=10' })))).toContain(
      '"priority 10: /api/users, /api/users/* (10 %; the rest to the monolith)"',
    );
  });

  it('the compose file builds each service from the Dockerfile the infrastructure uses', () => {
    const compose = readFileSync(join(REPO_ROOT, 'compose.yaml'), 'utf8');
    const stage = configuredStage(REPO_ROOT);
    for (const service of [stage.monolith, ...stage.microservices]) {
      expect('build' in service.image).toBe(true);
      if ('build' in service.image)
        expect(compose).toContain(`  ${service.name}:\n    build:\n      context: .\n      dockerfile: ${service.image.build.dockerfile}\n`);
    }
    expect(compose).toContain('"127.0.0.1:8080:8080"');
  });

  it('the diagram lists the rules in priority order, then the default action', () => {
    const stage = config({ EXTRACTED_SERVICES: 'posts,users' });
    const diagram = mermaidDiagram(stage, routeTable(stage));
    const lines = diagram.split('\n').filter((line) => line.includes('alb --'));
    expect(lines).toEqual([
      '  alb -- "priority 10: /api/users, /api/users/*" --> users[users service]',
      '  alb -- "priority 30: /api/posts, /api/posts/*" --> posts[posts service]',
      '  alb -- "default action" --> monolith[monolith service]',
    ]);
    expect(diagram).toContain('threads_waiting[threads: not extracted yet, served by the monolith]');
  });
});
