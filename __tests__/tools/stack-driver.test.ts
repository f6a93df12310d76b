/**
 * The end-to-end suites and the tour read a plan's changes and an apply's
 * outputs from Terraform's machine-readable stream (`-json`), not from
 * `terraform show -json` or `terraform output -json`, each of which costs a
 * Terraform run more. The fixtures are the streams of real Terraform 1.11
 * runs (terraform_data resources): a plan that deletes one, updates one,
 * replaces two and leaves one; an apply with one output; the same apply
 * again, refused as stale.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { plannedChanges, streamOutputs, uiText } from '../../tools/stack-driver';

const fixture = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', name), 'utf8');
const stream = fixture('terraform-plan-stream.jsonl');

describe('plannedChanges', () => {
  it("reads each planned change of a real plan's stream, as the saved plan's actions", () => {
    const changes = plannedChanges(stream);
    expect(changes.map((change) => [change.address, change.actions.join('+')]).sort()).toEqual([
      ['terraform_data.a', 'update'],
      ['terraform_data.b', 'delete+create'],
      ['terraform_data.d', 'delete'],
      ['terraform_data.e', 'delete+create'],
    ]);
    expect(new Set(changes.map((change) => `${change.mode} ${change.type}`))).toEqual(new Set(['managed terraform_data']));
  });

  it('leaves out data sources read at apply time, and lines that are not JSON', () => {
    const read = JSON.stringify({
      type: 'planned_change',
      change: { resource: { addr: 'data.aws_region.here', resource_type: 'aws_region' }, action: 'read' },
    });
    const inModule = JSON.stringify({
      type: 'planned_change',
      change: { resource: { addr: 'module.m.data.aws_region.here', resource_type: 'aws_region' }, action: 'read' },
    });
    expect(plannedChanges(['Warning: not JSON', read, inModule, ''].join('\n'))).toEqual([]);
  });
});

describe("an apply's stream", () => {
  it("gives the stack's outputs by name, as terraform output -json gives their values", () => {
    expect(streamOutputs(fixture('terraform-apply-stream.jsonl'))).toEqual({ o: 'x3' });
    expect(() => streamOutputs(fixture('terraform-apply-stale-stream.jsonl'))).toThrow('the apply reported no outputs');
  });

  it('reads as text with each error and its detail, so that a stale plan is told apart', () => {
    const text = uiText(fixture('terraform-apply-stale-stream.jsonl'));
    expect(text).toMatch(/^Terraform 1\.11\.4\nError: Saved plan is stale\nThe given plan file can no longer be applied/);
  });
});
