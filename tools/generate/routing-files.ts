/**
 * What routes like the listener, derived from the route table: the compose
 * proxy's nginx configuration, compose.yaml, and the README's diagram.
 */
import type { ResolvedConfig, ResolvedService } from '../../forum/config/types';
import { FARGATE_SERVICE_DEFAULTS } from '../../constructs/fargate-alb-service';
import { NOT_FOUND_BODY, orderedRules, pathPatternRegExp, rulePercent, type RouteRule, type RouteTable } from '../../lib/route-table';
import { HEADER } from './header';

/** The routing proxy of compose.yaml. */
export const PROXY_IMAGE = 'public.ecr.aws/nginx/nginx:1.27-alpine';

const id = (service: string) => service.replace(/[^a-zA-Z0-9]/g, '_');

export function nginxConf(config: ResolvedConfig, table: RouteTable): string {
  const services = new Map<string, ResolvedService>([config.monolith, ...config.microservices].map((service) => [service.name, service]));
  const port = (service: string) => services.get(service)?.containerPort ?? FARGATE_SERVICE_DEFAULTS.containerPort;
  const fallback = table.defaultService;
  const proxy = (match: string, service: string, servicePort = port(service)) =>
    [`    location ${match} {`, `      proxy_pass http://${service}:${servicePort};`, `      add_header X-Served-By ${service} always;`, '    }'].join('\n');
  const rules = orderedRules(table);
  const weighted = rules.filter((rule) => rulePercent(rule) > 0 && rulePercent(rule) < 100);
  // A weighted rule splits requests between the service and the default, as the ALB's weighted forward does.
  const splits = weighted.flatMap((rule) => {
    if (fallback === undefined || port(rule.service) !== port(fallback))
      throw new Error(`${rule.service} and the default service must listen on one port for the nginx split`);
    return [
      `  split_clients "\${remote_addr}\${request_id}" $route_${id(rule.service)} {`,
      `    ${rulePercent(rule)}% ${rule.service};`,
      `    * ${fallback};`,
      '  }',
    ];
  });
  const target = (rule: RouteRule) => {
    const percent = rulePercent(rule);
    return percent >= 100 || fallback === undefined ? rule.service : percent <= 0 ? fallback : `$route_${id(rule.service)}`;
  };
  const located = rules.flatMap((rule) => [
    `    # priority ${rule.priority}: ${rule.pathPatterns.join(', ')}${rulePercent(rule) < 100 ? ` (${rulePercent(rule)} % to ${rule.service})` : ''}`,
    ...rule.pathPatterns.map((pattern) => proxy(`~ "${pathPatternRegExp(pattern).source}"`, target(rule), port(rule.service))),
  ]);
  const defaultAction =
    fallback === undefined
      ? ['    location / {', '      default_type application/json;', `      return 404 '${NOT_FOUND_BODY}';`, '    }'].join('\n')
      : proxy('/', fallback);
  return [
    `# ${HEADER}`,
    '# The ALB listener of the configured stage: regex locations are tried in file order (the rules by priority), `/` is the default action.',
    'events {}',
    'http {',
    // proxy_pass to a variable resolves at request time: Docker's embedded DNS.
    ...(weighted.length > 0 ? ['  resolver 127.0.0.11 ipv6=off;', ...splits] : []),
    '  server {',
    '    listen 8080;',
    ...located,
    '    # default action',
    defaultAction,
    '  }',
    '}',
    '',
  ].join('\n');
}

export function composeYaml(config: ResolvedConfig): string {
  // Every service runs; the proxy decides which one answers, as the ALB would at this stage.
  const names = [config.monolith.name, ...config.knownMicroservices];
  const lines = [
    `# ${HEADER}`,
    `# docker compose up --build: the ${names.length} services and a routing proxy on http://127.0.0.1:8080`,
    'name: forum',
    'services:',
  ];
  for (const name of names) {
    lines.push(
      `  ${name}:`,
      '    build:',
      '      context: .',
      `      dockerfile: services/${name}/Dockerfile`,
      '      args:',
      '        - NODE_IMAGE',
      ...(name === config.monolith.name ? ['    environment:', '      WORKERS: "1"'] : []),
    );
  }
  lines.push(
    '  gateway:',
    `    image: ${PROXY_IMAGE}`,
    '    volumes:',
    '      - ./dev/nginx.conf:/etc/nginx/nginx.conf:ro',
    '    ports:',
    '      - "127.0.0.1:8080:8080"',
    '    depends_on:',
    ...names.map((name) => `      - ${name}`),
    '',
  );
  return lines.join('\n');
}

export function mermaidDiagram(config: ResolvedConfig, table: RouteTable): string {
  const fallback = table.defaultService;
  const rules = orderedRules(table);
  return [
    '```mermaid',
    'flowchart LR',
    '  clients((clients)) --> alb[ALB listener]',
    ...rules.map((rule) => {
      const percent = rulePercent(rule);
      const label = `priority ${rule.priority}: ${rule.pathPatterns.join(', ')}${percent < 100 ? ` (${percent} %; the rest to the ${fallback})` : ''}`;
      return `  alb -- "${label}" --> ${id(rule.service)}[${rule.service} service]`;
    }),
    fallback === undefined ? '  alb -- "default action" --> not_found[JSON 404]' : `  alb -- "default action" --> ${id(fallback)}[${fallback} service]`,
    ...config.knownMicroservices
      .filter((name) => !rules.some((rule) => rule.service === name))
      .map((name) => `  ${id(name)}_waiting[${name}: not extracted yet, served by the ${fallback}]`),
    '```',
  ].join('\n');
}
