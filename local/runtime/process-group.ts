/**
 * The processes a local runtime leaves when it dies. A runtime is started as
 * the leader of its own process group, and whatever it starts (task
 * processes in process mode, the EC2 instances' monolith, health probes)
 * joins that group; a SIGKILL ends only the runtime. Its supervisor, and
 * whoever stops or starts a runtime next, end the rest by the group's id,
 * the runtime's pid in its state file. Each member is checked first with
 * `ps` to be one of this checkout's programs: a recorded number can name
 * someone else's process after a reboot.
 */
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { projectRoot } from '../../lib/project-root';

/** The start of the name of the folder (under the system's temporary one) where a runtime builds its instances' monolith. */
export const INSTANCES_DIR_PREFIX = 'forum-instances-';

/**
 * Whether a command line runs one of this checkout's programs (its build, its services, an instance's monolith
 * bundle): its arguments name them; the executable alone does not (the checkout's Node.js runs anything).
 */
function ofThisCheckout(command: string): boolean {
  const args = command.replace(/^\S+\s*/, '');
  return args.includes(projectRoot()) || args.includes(`${tmpdir()}/${INSTANCES_DIR_PREFIX}`);
}

function processes(): { pid: number; pgid: number; command: string }[] {
  let listing: string;
  try {
    listing = execFileSync('ps', ['-eo', 'pid=,pgid=,args='], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  } catch {
    return [];
  }
  return listing.split('\n').flatMap((line) => {
    const match = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    return match ? [{ pid: Number(match[1]), pgid: Number(match[2]), command: match[3] }] : [];
  });
}

/** The group's members that are this checkout's. */
export function groupMembers(pgid: number): { readonly pid: number; readonly command: string }[] {
  return processes()
    .filter((entry) => entry.pgid === pgid && ofThisCheckout(entry.command))
    .map(({ pid, command }) => ({ pid, command }));
}

/** Whether the pid is a running program of this checkout whose command line names `script` (e.g. `supervisor.js`). */
export function runs(pid: number | undefined, script: string): boolean {
  return pid !== undefined && processes().some((entry) => entry.pid === pid && entry.command.includes(script) && ofThisCheckout(entry.command));
}

/** Ends every member of the group that is this checkout's at once (SIGKILL: they are what a dead runtime left); how many there were. */
export function endGroup(pgid: number): number {
  const members = groupMembers(pgid);
  for (const { pid } of members) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return members.length;
}
