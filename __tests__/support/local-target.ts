/** The stack on the emulator (tools/stack-driver.ts), reporting through the end-to-end suites' progress lines. */
import { LocalTarget as Target, type LocalTargetOptions } from '../../tools/stack-driver';

export { failure, type ResourceChange, type Stage } from '../../tools/stack-driver';

export function step(message: string): void {
  process.stdout.write(`  [e2e] ${message}\n`);
}

export class LocalTarget extends Target {
  constructor(options: LocalTargetOptions = {}) {
    super({ log: step, ...options });
  }
}
