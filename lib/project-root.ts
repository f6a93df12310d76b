import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The project root (where cdktf.json is), whether code runs from source or from build/. */
export function projectRoot(dir = __dirname): string {
  if (existsSync(join(dir, 'cdktf.json'))) return dir;
  const parent = dirname(dir);
  if (parent === dir) throw new Error(`no cdktf.json above ${__dirname}`);
  return projectRoot(parent);
}
