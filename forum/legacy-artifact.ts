/**
 * The monolith's build for EC2: its compiled code and every dependency
 * bundled by esbuild into one JavaScript file that `node` runs, as an
 * instance downloads it. Made at synth from the compiled workspace (the
 * images build from the same sources), found by its package's declared entry
 * point: the infrastructure's `tsc -b` builds it first, through its project
 * references. esbuild is the bundler most Node.js tools use, and one file
 * needs no `npm install` on the instance.
 */
import { buildSync } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Bundles the entry point of the workspace `services/<service>` (its package.json's `main`) into `<outDir>/<service>.js`; returns that path. */
export function bundleService(rootDir: string, service: string, outDir: string): string {
  const workspace = join(rootDir, 'services', service);
  let entry: string;
  try {
    entry = require.resolve(workspace);
  } catch {
    throw new Error(
      `${workspace} has no built entry point: its TypeScript project must be among tsconfig.infra.json's references, which \`tsc -b\` builds first`,
    );
  }
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `${service}.js`);
  // The same Node.js line the instances install (nodejs22); no minification, so stack traces stay readable.
  buildSync({
    absWorkingDir: rootDir,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    logLevel: 'error',
    legalComments: 'none',
  });
  return outfile;
}
