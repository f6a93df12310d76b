/**
 * `npm run tour`, run as a user runs it, and its JSON report checked: every
 * step planned only what it should, no request failed while it deployed,
 * and the answers came from whom the step routes to.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StepResult, TourReport } from '../../tools/tour/report';
import { REPO_ROOT } from '../support/processes';
import { step } from '../support/local-target';
import { takeTurn } from '../support/turns';
import { DockerTaskRunner } from '../../local/runtime/task-runner';

jest.setTimeout(45 * 60_000);

const dir = mkdtempSync(join(tmpdir(), 'forum-tour-'));
let report: TourReport;
let byName: (name: string) => StepResult;

beforeAll(async () => {
  const release = await takeTurn('npm run tour', step);
  try {
    await runTour();
  } finally {
    release();
  }
}, 45 * 60_000);

async function runTour(): Promise<void> {
  const output = join(dir, 'tour.json');
  const child = spawn('npm', ['run', '-s', 'tour'], { cwd: REPO_ROOT, env: { ...process.env, TOUR_OUTPUT: output, NO_COLOR: '1', FORCE_COLOR: '0' } });
  let log = '';
  child.stdout.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-20_000)));
  child.stderr.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-20_000)));
  const timer = setTimeout(() => child.kill('SIGTERM'), 28 * 60_000);
  const status = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  if (status !== 0) throw new Error(`npm run tour failed (${status}):\n${log}`);
  report = JSON.parse(readFileSync(output, 'utf8')) as TourReport;
  byName = (name) => {
    const found = report.steps.find((candidate) => candidate.step === name);
    if (!found) throw new Error(`no step "${name}" in the tour's report`);
    return found;
  };
  step(`npm run tour: ${report.steps.length} steps and destroy in ${report.totalSeconds} s, tasks in ${report.runtimeMode} mode`);
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The top-level constructs a step's plan touches. */
const touched = (result: StepResult) => Object.keys(result.plan).sort();
const share = (result: StepResult, service: string) => (result.answeredBy[service] ?? 0) / 200;

describe('npm run tour', () => {
  it('runs the tasks as containers, as ECS does, when a Docker engine answers (CI starts one)', async () => {
    const engine = await DockerTaskRunner.available();
    if (!engine) step('!! no Docker engine answered: the tour ran its tasks as Node.js processes, and this test says so instead of checking');
    expect(report.runtimeMode).toBe(engine ? 'docker' : 'process');
  });

  it('fails no request, during any transition or after it', () => {
    for (const result of report.steps) {
      expect({ step: result.step, failed: result.duringDeploy.failed, failedAfter: result.failedAfter }).toEqual({
        step: result.step,
        failed: 0,
        failedAfter: 0,
      });
    }
    // Every step after the first deployed under load.
    expect(report.steps.slice(1).every((result) => result.duringDeploy.sent > 0)).toBe(true);
  });

  it('starts on EC2 and cuts over by weight: each step changes only the default action', () => {
    expect(share(byName('the monolith on EC2'), 'monolith-ec2')).toBe(1);
    const split = byName('EC2 90 %, Fargate 10 %');
    expect(touched(split)).toEqual(['routing']);
    expect(split.plan.routing).toEqual({ update: 1 });
    expect(share(split, 'monolith-ec2')).toBeGreaterThan(0.75);
    // 10 % of 200: none at all would happen once in 10^9 runs; a floor of 2 % failed about once in 10,000.
    expect(share(split, 'monolith')).toBeGreaterThan(0);
    const fargate = byName('Fargate only');
    expect(touched(fargate)).toEqual(['routing']);
    expect(share(fargate, 'monolith')).toBe(1);
  });

  it('removes the EC2 block by destroying only its resources', () => {
    const removed = byName('EC2 removed');
    expect(touched(removed)).toEqual(['monolith-ec2', 'routing']);
    expect(Object.keys(removed.plan['monolith-ec2'])).toEqual(['delete']);
    expect(removed.plan.routing).toEqual({ update: 1 });
    expect(share(removed, 'monolith')).toBe(1);
  });

  it('extracts the services one by one, each step touching only its service and the routing', () => {
    expect(touched(byName('users extracted'))).toEqual(['routing', 'users']);
    expect(touched(byName('threads at 10 %'))).toEqual(['routing', 'threads']);
    expect(touched(byName('threads at 100 %'))).toEqual(['routing']);
    expect(touched(byName('posts extracted, the monolith its facade'))).toEqual(['posts', 'routing']);
    expect(touched(byName('posts on its own table'))).toEqual(['posts']);
    const canary = byName('threads at 10 %');
    expect(share(canary, 'threads')).toBeGreaterThan(0);
    expect(share(canary, 'threads')).toBeLessThan(0.3);
    // The sample's paths: users, threads and posts each have theirs; nothing is left to the monolith.
    const all = byName('posts on its own table');
    expect(Object.keys(all.answeredBy).sort()).toEqual(['posts', 'threads', 'users']);
  });

  it('releases users blue/green without a failed request', () => {
    const released = byName('users blue/green, and a release');
    expect(touched(released)).toContain('users');
    expect(released.duringDeploy.sent).toBeGreaterThan(0);
  });

  it('retires the monolith by a plan that touches only the monolith and the routing', () => {
    const retired = byName('the monolith retired');
    expect(touched(retired).filter((construct) => !['monolith', 'namespace', 'routing'].includes(construct))).toEqual([]);
    expect(Object.keys(retired.plan.monolith)).toEqual(['delete']);
    expect(Object.keys(retired.answeredBy).sort()).toEqual(['posts', 'threads', 'users']);
    expect(report.destroySeconds).toBeGreaterThan(0);
  });
});
