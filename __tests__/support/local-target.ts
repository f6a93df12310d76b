/** The stack on the emulator (emulator/local-target.ts), reporting through the end-to-end suites' progress lines. */
import { LocalTarget as Target, type LocalTargetOptions } from '../../emulator/local-target';

export { failure, type ResourceChange, type Stage } from '../../emulator/local-target';

export function step(message: string): void {
  process.stdout.write(`  [e2e] ${message}\n`);
}

export class LocalTarget extends Target {
  constructor(options: LocalTargetOptions = {}) {
    super({ log: step, ...options });
  }
}
