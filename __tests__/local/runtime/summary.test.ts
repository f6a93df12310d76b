/** What `npm run status:local` prints from the runtime's report: the rules with their weights, each task's health, what drains. */
import type { RuntimeReport } from '../../../local/runtime/client';
import { status } from '../../../local/runtime/summary';

const report: RuntimeReport & { deploying: boolean } = {
  mode: 'docker',
  id: '3f2a9c1d0e',
  deploying: false,
  listeners: [
    {
      loadBalancer: 'forum-dev-alb',
      awsPort: 80,
      port: 8080,
      arn: 'arn:listener/80',
      routes: [
        {
          priority: 20,
          pathPatterns: ['/api/threads', '/api/threads/*'],
          targets: [
            { name: 'forum-dev-threads', weight: 10 },
            { name: 'forum-dev-monolith', weight: 90 },
          ],
        },
        { targets: [{ name: 'forum-dev-monolith', weight: 100 }] },
      ],
    },
  ],
  services: [
    { name: 'forum-dev-monolith', tasks: [{ id: 'forum-dev-monolith-1', port: 41001, taskDefinition: 'forum-dev-monolith:1', health: 'healthy' }] },
    { name: 'forum-dev-threads', tasks: [{ id: 'forum-dev-threads-2', port: 41002, taskDefinition: 'forum-dev-threads:2', health: 'initial' }] },
  ],
  draining: [{ service: 'forum-dev-threads', id: 'forum-dev-threads-1', port: 41003 }],
  failures: [],
};

it('prints where it answers, the rules by priority with their weights, each task with its health, and what drains', () => {
  const lines = status(report, 8080);
  expect(lines).toContain('Application: http://127.0.0.1:8080   (forum-dev-alb, listener :80, as deployed)');
  expect(lines).toContain('  20 /api/threads,/api/threads/* → forum-dev-threads 10 / forum-dev-monolith 90');
  expect(lines).toContain('  default → forum-dev-monolith 100');
  expect(lines).toContain('  forum-dev-threads        forum-dev-threads:2 on :41002 (initial)');
  expect(lines).toContain('Draining: forum-dev-threads task forum-dev-threads-1 on :41003');
  expect(lines.join('\n')).not.toContain('CodeDeploy');
  expect(status({ ...report, draining: [], deploying: true }, 8080).slice(-2)).toEqual([
    'Draining: nothing',
    'A CodeDeploy deployment is under way (npm run release:local).',
  ]);
});
