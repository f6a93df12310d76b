/**
 * The README's construct and configuration reference, read from the code
 * (like terraform-docs for a module): each construct's class comment, and
 * every exported props or options interface with its members' types,
 * `@default`s and comments. The code is the one owner; the README follows.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { SETTINGS, type SettingDeclaration } from '../../lib/settings';

interface Member {
  readonly name: string;
  readonly type: string;
  readonly optional: boolean;
  readonly description: string;
  readonly defaultValue?: string;
}

interface Documented {
  readonly name: string;
  readonly description: string;
  readonly extends: readonly string[];
  readonly members: readonly Member[];
}

interface FileDoc {
  readonly classes: readonly Documented[];
  readonly interfaces: readonly Documented[];
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();
const cell = (text: string) => oneLine(text).replace(/\|/g, '\\|');

function jsDoc(node: ts.Node): { description: string; defaultValue?: string } {
  const docs = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc);
  const doc = docs[docs.length - 1];
  if (!doc) return { description: '' };
  const tag = doc.tags?.find((candidate) => candidate.tagName.text === 'default');
  return {
    description: oneLine(ts.getTextOfJSDocComment(doc.comment) ?? ''),
    defaultValue: tag ? oneLine(ts.getTextOfJSDocComment(tag.comment) ?? '') : undefined,
  };
}

function exported(node: ts.Node): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword);
}

/** The documented classes and interfaces of one source file. */
export function documentFile(path: string): FileDoc {
  const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
  const classes: Documented[] = [];
  const interfaces: Documented[] = [];
  for (const statement of source.statements) {
    if (!exported(statement)) continue;
    const heritage = (clauses: ts.NodeArray<ts.HeritageClause> | undefined) =>
      (clauses ?? [])
        .filter((clause) => clause.token === ts.SyntaxKind.ExtendsKeyword)
        .flatMap((clause) => clause.types.map((type) => oneLine(type.getText(source))));
    if (ts.isClassDeclaration(statement) && statement.name) {
      classes.push({ name: statement.name.text, description: jsDoc(statement).description, extends: heritage(statement.heritageClauses), members: [] });
    }
    if (ts.isInterfaceDeclaration(statement)) {
      const members = statement.members.filter(ts.isPropertySignature).map((member) => ({
        name: member.name.getText(source),
        type: oneLine(member.type?.getText(source) ?? 'unknown'),
        optional: member.questionToken !== undefined,
        ...jsDoc(member),
      }));
      interfaces.push({ name: statement.name.text, description: jsDoc(statement).description, extends: heritage(statement.heritageClauses), members });
    }
  }
  return { classes, interfaces };
}

function table(documented: Documented): string {
  const inherited = documented.extends.length > 0 ? ` Also every field of ${documented.extends.map((name) => `\`${name}\``).join(', ')}.` : '';
  const rows = documented.members.map(
    (member) =>
      `| \`${member.name}\` | \`${cell(member.type)}\` | ${member.optional ? cell(member.defaultValue ?? '—') : 'required'} | ${cell(member.description)} |`,
  );
  return [
    `**\`${documented.name}\`**${documented.description ? `: ${documented.description}` : ''}${inherited}`,
    '',
    '| field | type | default | meaning |',
    '| --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** Every construct under constructs/: what it creates, then its interfaces. */
export function constructReference(root: string): string {
  const dir = join(root, 'constructs');
  const files = readdirSync(dir)
    .filter((file) => file.endsWith('.ts'))
    .sort();
  const docs = files.map((file) => ({ file, doc: documentFile(join(dir, file)) }));
  const summary = docs.flatMap(({ file, doc }) =>
    doc.classes.map((documented) => `| \`${documented.name}\` | \`constructs/${file}\` | ${cell(documented.description)} |`),
  );
  const details = docs
    .filter(({ doc }) => doc.interfaces.length > 0)
    .map(({ file, doc }) => [`#### \`constructs/${file}\``, '', ...doc.interfaces.map(table).flatMap((text) => [text, ''])].join('\n').trimEnd());
  return ['| construct | file | what it creates |', '| --- | --- | --- |', ...summary, '', ...details.flatMap((text) => [text, ''])].join('\n').trimEnd();
}

/** The configuration's own types, and every environment variable the project reads (lib/settings.ts). */
export function configurationReference(root: string): string {
  const types = documentFile(join(root, 'forum', 'config', 'types.ts')).interfaces.filter((documented) => !documented.name.startsWith('Resolved'));
  const route = documentFile(join(root, 'lib', 'route-table.ts')).interfaces.filter((documented) => documented.name === 'RouteRule');
  const variables = Object.entries(SETTINGS).map(
    ([name, declared]: [string, SettingDeclaration]) =>
      `| \`${name}\` | ${cell(declared.takes)} | ${cell(declared.default ?? '—')} | ${cell(declared.description)} | ${cell(declared.readBy)} |`,
  );
  return [
    ...[...types, ...route].flatMap((documented) => [table(documented), '']),
    '### Environment variables',
    '',
    'Every one the project reads, declared in `lib/settings.ts`:',
    '',
    '| variable | takes | default | what it does | read by |',
    '| --- | --- | --- | --- | --- |',
    ...variables,
  ].join('\n');
}
