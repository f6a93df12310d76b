/**
 * The tour's report: what each step planned, how long it deployed, what the
 * requests meanwhile and after got. `npm run tour` writes it as JSON
 * (tools/tour/latest.json); `npm run generate` renders that file as the documentation's
 * table, so the table is always the last measured run.
 */
import { existsSync, readFileSync } from 'node:fs';

/** Requests in each step's sample. */
export const SAMPLE = 200;

/** One step of the tour, as measured. */
export interface StepResult {
  readonly step: string;
  readonly overrides: string;
  /** Per top-level construct, what the plan does: `{ "routing": { "update": 1 } }`. */
  readonly plan: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly deploySeconds: number;
  /** Requests sent through the local load balancer while the step deployed (and released), and how many failed. */
  readonly duringDeploy: { readonly sent: number; readonly failed: number };
  /** Who answered the sample of 200 requests after the step. */
  readonly answeredBy: Readonly<Record<string, number>>;
  readonly failedAfter: number;
  /** What the failed requests got, if any: `<path> <status> from <service>` or the error, with counts. */
  readonly failures: Readonly<Record<string, number>>;
}

/** A whole run: its steps, then destroy. */
export interface TourReport {
  readonly date: string;
  /** How the local runtime ran the tasks: containers, or Node.js processes when no Docker engine answered (absent in older reports). */
  readonly runtimeMode?: 'docker' | 'process';
  readonly steps: readonly StepResult[];
  readonly destroySeconds: number;
  readonly totalSeconds: number;
}

/** What a plan does, by construct: `routing 1 update; users 19 create`. */
export const describePlan = (plan: StepResult['plan']) =>
  Object.entries(plan)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([construct, counts]) =>
        `${construct} ${Object.entries(counts)
          .map(([action, count]) => `${count} ${action}`)
          .join(', ')}`,
    )
    .join('; ') || 'nothing';
/** Who answered a sample, largest share first. */
export const describeShares = (answeredBy: StepResult['answeredBy']) =>
  Object.entries(answeredBy)
    .sort(([, a], [, b]) => b - a)
    .map(([service, count]) => `${service} ${Math.round((count / SAMPLE) * 100)} %`)
    .join(', ');

/** The steps as the documentation's table (docs/migration.md). */
export function markdownTable(report: TourReport): string {
  const rows = report.steps.map(
    (step, index) =>
      `| ${index + 1}. ${step.step} | \`${step.overrides}\` | ${describePlan(step.plan)} | ${step.deploySeconds} s | ${step.duringDeploy.sent} (${step.duringDeploy.failed} failed) | ${describeShares(step.answeredBy)} |`,
  );
  return [
    '| step | overrides | plan, by construct | deploy | requests meanwhile | 200 requests answered by |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    `| ${report.steps.length + 1}. destroy | | everything | ${report.destroySeconds} s | | |`,
  ].join('\n');
}

/** The documentation's section (docs/migration.md): the last measured run (tools/tour/latest.json), as a table. */
export function tourSection(file: string): string {
  if (!existsSync(file)) return 'No run recorded yet: `npm run tour` writes `tools/tour/latest.json`.';
  const report = JSON.parse(readFileSync(file, 'utf8')) as TourReport;
  const minutes = (report.totalSeconds / 60).toFixed(1);
  return `The last run (${report.date}, a 2-core machine): ${report.steps.length} steps and destroy in ${minutes} min, with the runtime's health checks and drains at 1/20 of their deployed times.\n\n${markdownTable(report)}`;
}
