/**
 * The shell blocks a user is told to run, read from README.md and every
 * document it links to (relative `.md` links, followed transitively), with
 * their marking: an HTML comment on the line before the block,
 *
 *   <!-- not run: <what it needs that cannot exist here> -->
 *   <!-- checked, not run: <which test runs it, or why it is too long> -->
 *
 * or none, for a block the README test runs as written. Each block is split
 * into the commands a shell would run (continuation lines joined, comments
 * kept apart, `&&` chains split), so that the test can check every command of
 * every block, run or not.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

export type Marking = { readonly kind: 'not run' | 'checked, not run'; readonly reason: string };

export interface ShellCommand {
  /** The logical line as a user types it (continuations joined), without its comment. */
  readonly text: string;
  /** The comment after it, if any (`# x-served-by: users`). */
  readonly comment: string;
  /** Each simple command of a `&&` chain, as words. */
  readonly simple: readonly SimpleCommand[];
}

export interface SimpleCommand {
  /** `NAME=value` assignments before the program. */
  readonly assignments: ReadonlyMap<string, string>;
  /** The program and its arguments, quotes removed. */
  readonly words: readonly string[];
}

export interface ShellBlock {
  /** Path relative to the repository root. */
  readonly file: string;
  /** Line of the opening fence (1-based). */
  readonly line: number;
  readonly marking?: Marking;
  readonly commands: readonly ShellCommand[];
}

const FENCE = /^```(sh|bash|shell)\s*$/;
const MARKING = /^<!--\s*(not run|checked, not run):\s*(.+?)\s*-->$/;

/** Words of a shell line: whitespace-separated, with '…' and "…" quoting (no expansion). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: string | undefined;
  let started = false;
  for (const char of line) {
    if (quote) {
      if (char === quote) quote = undefined;
      else word += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      started = true;
    } else if (/\s/.test(char)) {
      if (started || word) words.push(word);
      word = '';
      started = false;
    } else {
      word += char;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} in: ${line}`);
  if (started || word) words.push(word);
  return words;
}

/** Where an unquoted `#` that starts a comment is, or -1. */
function commentStart(line: string): number {
  let quote: string | undefined;
  for (let index = 0; index < line.length; index += 1) {
    const char = line[index];
    if (quote) {
      if (char === quote) quote = undefined;
    } else if (char === "'" || char === '"') {
      quote = char;
    } else if (char === '#' && (index === 0 || /\s/.test(line[index - 1]))) {
      return index;
    }
  }
  return -1;
}

function parseCommand(text: string, comment: string): ShellCommand {
  const simple = text.split(/\s&&\s/).map((part): SimpleCommand => {
    const words = shellWords(part.trim());
    const assignments = new Map<string, string>();
    while (words.length > 0 && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) {
      const [name, ...value] = words.shift()!.split('=');
      assignments.set(name, value.join('='));
    }
    return { assignments, words };
  });
  return { text, comment, simple };
}

/** The commands of a block's lines. */
export function blockCommands(lines: readonly string[]): ShellCommand[] {
  const commands: ShellCommand[] = [];
  let pending = '';
  for (const raw of lines) {
    const at = commentStart(raw);
    const code = (at === -1 ? raw : raw.slice(0, at)).trimEnd();
    const comment = at === -1 ? '' : raw.slice(at + 1).trim();
    if (code.endsWith('\\')) {
      pending += `${code.slice(0, -1)} `;
      continue;
    }
    const text = (pending + code).trim();
    pending = '';
    if (text) commands.push(parseCommand(text, comment));
    else if (comment && commands.length > 0) {
      // A comment continuing the one above (an indented `# ...` line) belongs to the previous command.
      const last = commands[commands.length - 1];
      commands[commands.length - 1] = { ...last, comment: `${last.comment} ${comment}`.trim() };
    }
  }
  return commands;
}

/** The shell blocks of one Markdown file, and the relative `.md` files it links to. */
export function parseMarkdown(root: string, file: string): { blocks: ShellBlock[]; links: string[] } {
  const text = readFileSync(join(root, file), 'utf8');
  const lines = text.split('\n');
  const blocks: ShellBlock[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    if (!FENCE.test(lines[index])) {
      if (lines[index].startsWith('```')) {
        // Another fenced block (text, mermaid): skip to its end.
        const end = lines.findIndex((line, at) => at > index && line.startsWith('```'));
        index = end === -1 ? lines.length : end;
      }
      continue;
    }
    const end = lines.findIndex((line, at) => at > index && line.startsWith('```'));
    if (end === -1) throw new Error(`${file}:${index + 1}: unclosed shell block`);
    let before = index - 1;
    while (before >= 0 && lines[before].trim() === '') before -= 1;
    const match = before >= 0 ? MARKING.exec(lines[before].trim()) : null;
    blocks.push({
      file,
      line: index + 1,
      marking: match ? { kind: match[1] as Marking['kind'], reason: match[2] } : undefined,
      commands: blockCommands(lines.slice(index + 1, end)),
    });
    index = end;
  }
  const links = [...text.matchAll(/\]\(([^)#\s]+\.md)(?:#[^)]*)?\)/g)]
    .map((match) => match[1])
    .filter((target) => !/^[a-z]+:/.test(target))
    .map((target) => normalize(relative(root, join(root, dirname(file), target))))
    .filter((target) => existsSync(join(root, target)));
  return { blocks, links };
}

/** Every shell block of README.md and of the documents it links to, transitively, in reading order. */
export function documentedBlocks(root: string, start = 'README.md'): { files: string[]; blocks: ShellBlock[] } {
  const files: string[] = [];
  const blocks: ShellBlock[] = [];
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (files.includes(file)) continue;
    files.push(file);
    const parsed = parseMarkdown(root, file);
    blocks.push(...parsed.blocks);
    queue.push(...parsed.links);
  }
  return { files, blocks };
}
