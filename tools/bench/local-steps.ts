/**
 * `npm run bench:local`: the main job, timed as a user runs it. From an
 * empty emulator, `npm run deploy:local` of each refactor step, each timed
 * from its start to the new routing serving through the local ALB (the
 * command ends only then), and how long of it the local runtime took after
 * the apply; the share of requests a 10 % canary gets; then destroy:local.
 * Writes tools/bench/local-steps.json. Loopback only; every loop is bounded.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../lib/free-port';
import { projectRoot } from '../../lib/project-root';

const root = projectRoot();

interface StepFigure {
  readonly step: string;
  readonly env: Record<string, string>;
  /** From `npm run deploy:local` starting to it ending, the new routing serving. */
  readonly totalSeconds: number;
  /** Of which the local runtime (after the apply): tasks healthy, listeners updated, old tasks drained. */
  readonly runtimeSeconds: number;
}

async function run(script: string, env: Record<string, string>): Promise<{ seconds: number; output: string }> {
  const started = Date.now();
  const child = spawn('npm', ['run', '-s', script], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`npm run ${script} failed (${code}):\n${output.slice(-3000)}`);
  return { seconds: (Date.now() - started) / 1000, output };
}

async function share(port: number, path: string, count: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < count; i += 1) {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5_000) });
    await response.arrayBuffer();
    const servedBy = response.headers.get('x-served-by') ?? 'none';
    counts[servedBy] = (counts[servedBy] ?? 0) + 1;
  }
  return counts;
}

async function main(): Promise<void> {
  const port = await freePort();
  const base = { LOCAL_ALB_PORT: String(port), LOCAL_AWS_PORT: String(await freePort()) };
  const steps: [string, Record<string, string>][] = [
    ['monolith only, from an empty emulator', { EXTRACTED_SERVICES: 'none' }],
    ['users extracted', { EXTRACTED_SERVICES: 'users' }],
    ['threads and posts extracted', { EXTRACTED_SERVICES: 'all' }],
    ['threads at 10 %', { EXTRACTED_SERVICES: 'all', TRAFFIC_SHARES: 'threads=10' }],
  ];
  const figures: StepFigure[] = [];
  let canary: Record<string, number> | undefined;
  try {
    for (const [step, env] of steps) {
      const { seconds, output } = await run('deploy:local', { ...base, ...env });
      const runtime = Number(/then the runtime (\d+) s/.exec(output)?.[1] ?? NaN);
      figures.push({ step, env, totalSeconds: Math.round(seconds), runtimeSeconds: runtime });
      process.stdout.write(`  ${step}: ${Math.round(seconds)} s in all, ${runtime} s of it the local runtime\n`);
    }
    canary = await share(port, '/api/threads', 1_000);
    process.stdout.write(`  threads at 10 %: ${JSON.stringify(canary)} of 1000 requests without a cookie\n`);
  } finally {
    await run('destroy:local', base).catch((error: unknown) => process.stderr.write(`${error}\n`));
  }
  const results = { date: new Date().toISOString(), steps: figures, canaryOf1000: canary ?? {} };
  writeFileSync(join(root, 'tools', 'bench', 'local-steps.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log('\n| step (npm run deploy:local) | start to the new routing serving | of which the local runtime |\n| --- | --- | --- |');
  for (const figure of figures) console.log(`| ${figure.step} | ${figure.totalSeconds} s | ${figure.runtimeSeconds} s |`);
  console.log(`\nthreads at 10 %: ${canary?.threads ?? 0} of 1000 requests (${((canary?.threads ?? 0) / 10).toFixed(1)} %)`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
