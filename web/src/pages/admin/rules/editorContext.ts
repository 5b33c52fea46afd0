import { inject, provide, type ComputedRef, type InjectionKey } from 'vue';
import type { RuleCatalogue } from '../types';
import { findNode, type ConditionNode, type ConditionResultJson, type NodeMessage, type RuleDraft } from './ruleTree';

// What every node of the condition tree and action list needs from the editor around it: the
// catalogue, the rule's trigger, the API's messages by node and the dry-run results by leaf.
export interface EditorContext {
  /** The rule being edited (reactive); nodes are found in it by key and edited in place. */
  draft: RuleDraft;
  catalogue: ComputedRef<RuleCatalogue>;
  trigger: ComputedRef<string>;
  messages: ComputedRef<Map<string, NodeMessage[]>>;
  results: ComputedRef<Map<string, ConditionResultJson>>;
}

/** A condition node of the draft by key (components get keys, not nodes, and edit the draft). */
export function nodeOf(ctx: EditorContext, key: string): ConditionNode | null {
  return findNode(ctx.draft.conditions, key)?.node ?? null;
}

const KEY: InjectionKey<EditorContext> = Symbol('ruleEditor');

export const provideEditor = (ctx: EditorContext) => provide(KEY, ctx);

export function useEditor(): EditorContext {
  const ctx = inject(KEY);
  if (!ctx) throw new Error('rule editor nodes must be used inside the rule editor');
  return ctx;
}

/** Messages of a node about one part of it: `part` '' = the node itself; 'value' includes 'value/0'… */
export function messagesFor(list: NodeMessage[] | undefined, part: string): string[] {
  if (!list) return [];
  return list
    .filter((m) => (part === '' ? m.field === '' : m.field === part || m.field.startsWith(`${part}/`)))
    .map((m) => (m.field.includes('/') && part !== '' && m.field !== part ? `${m.field.slice(part.length + 1)}: ${m.message}` : m.message));
}
