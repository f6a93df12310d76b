/**
 * Every environment variable the project reads is declared once, in
 * lib/settings.ts (whose declarations the configuration reference is
 * generated from), and read through it: a read of an undeclared variable, a
 * direct `process.env` read outside the programs packaged apart (the services,
 * the pre-traffic hook's Lambda handler), or a declaration nothing reads fails.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableVariable } from '@forum/service-kit';
import { projectConfig } from '../../forum/config/project';
import { resourcesOf } from '../../forum/resources';
import { SETTINGS, setting, portSetting, numberSetting } from '../../lib/settings';
import { REPO_ROOT } from '../support/processes';

/** Programs packaged apart from this tree read their own environment. */
const READ_THEMSELVES = [/^services\//, /^constructs\/pre-traffic-hook\/handler\.ts$/, /^lib\/settings\.ts$/];

const sources = spawnSync('git', ['ls-files', '-co', '--exclude-standard', '--', '*.ts', ':(exclude)__tests__', ':(exclude)**/*.d.ts'], {
  cwd: REPO_ROOT,
  encoding: 'utf8',
})
  .stdout.split('\n')
  .filter(Boolean);
const text = new Map(sources.map((file) => [file, readFileSync(join(REPO_ROOT, file), 'utf8')]));

/** Each variable a source file reads, by the forms a read takes here. */
function reads(source: string): string[] {
  const forms = [
    /\benv\.([A-Z][A-Z0-9_]*)\b/g,
    /\benv\[['"]([A-Z][A-Z0-9_]*)['"]\]/g,
    /\b(?:setting|portSetting|numberSetting)\(\s*'([A-Z][A-Z0-9_]*)'/g,
    /^\s+([A-Z][A-Z0-9_]*): Joi\./gm,
  ];
  return forms.flatMap((form) => [...source.matchAll(form)].map((match) => match[1]));
}

it('finds the reads: the source files and their variables', () => {
  expect(sources).toEqual(expect.arrayContaining(['lib/settings.ts', 'forum/config/overrides.ts', 'local/runtime/settings.ts', 'services/shared/src/env.ts']));
  expect(reads("setting('STAGE', env); process.env.HOME; env['CI']\n  PORT: Joi.number()")).toEqual(['HOME', 'CI', 'STAGE', 'PORT']);
});

it('every variable read anywhere is declared in lib/settings.ts', () => {
  const undeclared = [...text].flatMap(([file, source]) =>
    reads(source)
      .filter((name) => !(name in SETTINGS))
      .map((name) => `${file}: ${name}`),
  );
  expect(undeclared).toEqual([]);
});

it('outside the programs packaged apart, every read goes through lib/settings.ts', () => {
  const direct = [...text]
    .filter(([file]) => !READ_THEMSELVES.some((allowed) => allowed.test(file)))
    .flatMap(([file, source]) => [...source.matchAll(/process\.env(?:\.[A-Z]\w*|\[)|\benv\.[A-Z][A-Z0-9_]*\b/g)].map((match) => `${file}: ${match[0]}`));
  expect(direct).toEqual([]);
});

it('every declared variable is read somewhere (no stale declaration)', () => {
  const everything = [...text]
    .filter(([file]) => file !== 'lib/settings.ts')
    .map(([, source]) => source)
    .join('\n');
  // A resource's table variable is named by the kit's tableVariable(), not written out.
  const tables = [
    ...resourcesOf(
      REPO_ROOT,
      projectConfig.microservices.map((service) => service.name),
    ).keys(),
  ].map(tableVariable);
  const unread = Object.keys(SETTINGS).filter((name) => !tables.includes(name) && !new RegExp(`\\b${name}\\b`).test(everything));
  expect(unread).toEqual([]);
});

it('reads as twelve-factor tools do: trimmed, empty is unset; a bad port or number names the variable', () => {
  expect(setting('STAGE', { STAGE: ' prod ' })).toBe('prod');
  expect(setting('STAGE', { STAGE: '' })).toBeUndefined();
  expect(portSetting('LOCAL_ALB_PORT', 8080, {})).toBe(8080);
  expect(() => portSetting('LOCAL_ALB_PORT', 8080, { LOCAL_ALB_PORT: '80a' })).toThrow('LOCAL_ALB_PORT=80a is not a port number');
  expect(() => numberSetting('LOCAL_TIME_SCALE', 1, { min: 0.01, max: 10 }, { LOCAL_TIME_SCALE: '20' })).toThrow(
    'LOCAL_TIME_SCALE=20 must be a number from 0.01 to 10',
  );
});
