import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { MikroORM } from '@mehrdesk/core/db';
import type { Logger } from '@mehrdesk/core/logger';
import * as rules from '@mehrdesk/rules';
import type { CompiledRuleSet, RuleContext, RuleEvaluation, RuleSetEntry, Trigger, UnmatchedRule } from '@mehrdesk/rules';
import * as ruleContext from '@mehrdesk/usecases/rules/rule-context';
import * as activities from '@mehrdesk/worker/activities/rule-activities';
import * as ruleEvaluation from '@mehrdesk/worker/activities/rule-evaluation';
import type { EvaluateRulesInput, PlannedRule } from '@mehrdesk/workflows/activity-contracts';
import type { EntityManager } from '@mikro-orm/postgresql';

// The code under measurement, twice: "new" is this tree; "old" is the same modules loaded from a
// checkout of an earlier commit (`--baseline <dir>`, e.g. `git worktree add /tmp/rules-old HEAD`
// before a change). Each side runs its own rules package, rule-set cache, worker activity and
// execution log, and evaluates the way its worker does, so one run measures both on the same
// machine, data and moment.

export type ImplName = 'old' | 'new';

/** What one evaluation returns, on either side (the old code has no `unmatched` / `engineRuns`). */
export interface AnyEvaluation {
  results: RuleEvaluation[];
  unmatched?: UnmatchedRule[];
  engineRuns?: number;
  durationMs: number;
}

export interface RulesImpl {
  name: ImplName;
  /** The commit the code comes from (short hash), or '' when unknown. */
  commit: string;
  compileRuleSet(entries: readonly RuleSetEntry[]): CompiledRuleSet;
  /** evaluate as the worker calls it (the new worker asks for the matched-only report). */
  evaluate(set: CompiledRuleSet, ctx: RuleContext, opts?: { trigger?: Trigger; skipRuleIds?: number[] }): Promise<AnyEvaluation>;
  buildRuleContext: typeof ruleContext.buildRuleContext;
  activeRuleSet(em: EntityManager): Promise<{ version: number; set: CompiledRuleSet }>;
  logExecutions(em: EntityManager, ticketId: number, eventType: string, chainKey: string, depth: number, results: RuleEvaluation[], unmatched: UnmatchedRule[]): Promise<void>;
  createRuleActivities(deps: { orm: MikroORM; log: Logger }): { evaluateRules(input: EvaluateRulesInput): Promise<{ planned: PlannedRule[] }> };
}

export const newImpl = (commit: string): RulesImpl => ({
  name: 'new',
  commit,
  compileRuleSet: rules.compileRuleSet,
  evaluate: (set, ctx, opts) => rules.evaluate(set, ctx, { ...opts, report: 'matched' }),
  buildRuleContext: ruleContext.buildRuleContext,
  activeRuleSet: ruleContext.activeRuleSet,
  logExecutions: ruleEvaluation.logExecutions,
  createRuleActivities: activities.createRuleActivities as RulesImpl['createRuleActivities'],
});

/**
 * Makes `dir` (a checkout without node_modules) loadable: a node_modules beside it that links every
 * package of `root`'s node_modules, and the workspace packages into `dir` itself, except
 * @mehrdesk/core: both sides share this tree's core (domain rules, calendars, database), so the
 * comparison isolates the rule code (rules, the usecases rule-set cache, the worker's rule activity).
 */
function linkModules(dir: string, root: string): void {
  const target = path.join(dir, 'node_modules');
  fs.mkdirSync(path.join(target, '@mehrdesk'), { recursive: true });
  const link = (from: string, to: string) => {
    fs.rmSync(to, { force: true });
    fs.symlinkSync(from, to);
  };
  for (const entry of fs.readdirSync(path.join(root, 'node_modules'))) {
    if (entry !== '@mehrdesk') link(path.join(root, 'node_modules', entry), path.join(target, entry));
  }
  for (const pkg of fs.readdirSync(path.join(root, 'node_modules', '@mehrdesk'))) link(pkg === 'core' ? path.join(root, pkg) : path.join(dir, pkg), path.join(target, '@mehrdesk', pkg));
}

/** The old side, loaded from the checkout `dir` (its rules, usecases and worker sources). */
export async function loadBaseline(dir: string, root: string, commit: string): Promise<RulesImpl> {
  for (const f of ['rules/src/index.ts', 'usecases/src/rules/rule-context.ts', 'worker/src/activities/rule-evaluation.ts']) {
    if (!fs.existsSync(path.join(dir, f))) throw new Error(`--baseline ${dir}: ${f} is missing (expected a checkout of this repository)`);
  }
  linkModules(dir, root);
  const load = async <T>(file: string) => (await import(pathToFileURL(path.join(dir, file)).href)) as T;
  const oldRules = await load<typeof rules>('rules/src/index.ts');
  const oldContext = await load<typeof ruleContext>('usecases/src/rules/rule-context.ts');
  const oldEvaluation = await load<typeof ruleEvaluation>('worker/src/activities/rule-evaluation.ts');
  const oldActivities = await load<typeof activities>('worker/src/activities/rule-activities.ts');
  return {
    name: 'old',
    commit,
    compileRuleSet: oldRules.compileRuleSet,
    evaluate: (set, ctx, opts) => oldRules.evaluate(set, ctx, opts),
    buildRuleContext: oldContext.buildRuleContext,
    activeRuleSet: oldContext.activeRuleSet,
    // The old statement takes no `unmatched`: it logs every evaluated rule from `results`.
    logExecutions: (em, ticketId, eventType, chainKey, depth, results) => oldEvaluation.logExecutions(em, ticketId, eventType, chainKey, depth, results),
    createRuleActivities: oldActivities.createRuleActivities as RulesImpl['createRuleActivities'],
  };
}

/** Rules of the trigger the evaluation covered (reported in full or compactly). */
export const evaluatedCount = (r: AnyEvaluation) => r.results.length + (r.unmatched?.length ?? 0);
/** Rules json-rules-engine evaluated (the old code runs every rule of the trigger). */
export const engineRunCount = (r: AnyEvaluation) => r.engineRuns ?? r.results.length;
/** The matched rules with their actions, comparable across the two sides. */
export const matchKey = (r: AnyEvaluation) => JSON.stringify(r.results.filter((x) => x.matched).map((x) => [x.ruleId, x.actions]));
