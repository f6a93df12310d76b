/**
 * The entry point every cdktf app of the project shares (the stack, the
 * bootstrap stack, the examples): build the stacks, synthesize, and turn a
 * bad configuration into exit 1 with its message naming the field, never a
 * stack trace.
 */
import { App } from 'cdktf';
import { ConfigError } from './config/errors';
import { ValidationError } from '../lib/validation';

export function synthApp(build: (app: App) => void): void {
  try {
    const app = new App();
    build(app);
    app.synth();
  } catch (error) {
    if (error instanceof ConfigError || error instanceof ValidationError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
