// ESLint with typescript-eslint's type-checked rules: floating and misused
// promises matter most in the runtime, the daemon and the tools, which juggle
// processes, sockets and timers.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/build/**', '**/dist/**', '**/cdktf.out/**', '.local/**', 'coverage/**', 'tools/bench/template-main.ts', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', '*.mjs', '__tests__/support/*.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `_` marks what a destructuring leaves out on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Errors are `unknown` in a catch: messages say `${error}` of what was thrown on purpose; no-base-to-string still catches [object Object].
      '@typescript-eslint/restrict-template-expressions': 'off',
      // An interface's async methods (TaskRunner) have implementations with nothing to await: still a promise, as their callers expect.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // The tests read JSON from real systems (Terraform, the emulator, HTTP) and assert its shape with expect().
    files: ['__tests__/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
    languageOptions: { globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly' } },
  },
);
