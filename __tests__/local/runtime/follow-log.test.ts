/** What deploy:local prints while the runtime converges: each line the runtime adds to its log, once, as it comes. */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { followLog } from '../../../local/runtime/client';

const dir = mkdtempSync(join(tmpdir(), 'forum-follow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const until = async (condition: () => boolean) => {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

it('prints the lines written after it started, each once and whole, as they come; the rest when stopped', async () => {
  const file = join(dir, 'runtime.log');
  writeFileSync(file, 'before: not printed\n');
  const printed: string[] = [];
  const stop = followLog(file, (line) => printed.push(line));
  appendFileSync(file, 'forum-dev-users: started task a\nforum-dev-users: task a is');
  await until(() => printed.length === 1);
  expect(printed).toEqual(['forum-dev-users: started task a']);
  appendFileSync(file, ' healthy\n\n');
  await until(() => printed.length === 2);
  appendFileSync(file, 'listener forum-dev-alb:80 switched');
  stop();
  expect(printed).toEqual(['forum-dev-users: started task a', 'forum-dev-users: task a is healthy', 'listener forum-dev-alb:80 switched']);
  appendFileSync(file, 'after: not printed\n');
  await new Promise((resolve) => setTimeout(resolve, 400));
  expect(printed).toHaveLength(3);
});

it('waits for a log that does not exist yet', async () => {
  const file = join(dir, 'later.log');
  const printed: string[] = [];
  const stop = followLog(file, (line) => printed.push(line));
  writeFileSync(file, 'local runtime (docker mode) controlled on 127.0.0.1:1\n');
  await until(() => printed.length === 1);
  stop();
  expect(printed).toEqual(['local runtime (docker mode) controlled on 127.0.0.1:1']);
});
