// The rule being edited, as the visual editor holds it: a tree of condition groups and leaves
// and an ordered action list, every node with a stable key (so Vue keeps focus and state while
// nodes move), and the conversions to and from the API's rule JSON. Serialising also records
// the JSON pointer of every node, so the API's validation errors (`/definition/conditions/all/1/
// operator`) and dry-run results (`/conditions/all/1`) land on the node they are about.

export type GroupKind = 'all' | 'any' | 'not';

export interface LeafNode {
  key: string;
  kind: 'leaf';
  fact: string;
  params: Record<string, unknown> | null;
  operator: string;
  value: unknown;
}

/** `not` is "none of": one child serialises as `{ not: child }`, several as `{ not: { any: [...] } }`. */
export interface GroupNode {
  key: string;
  kind: GroupKind;
  children: ConditionNode[];
}

export type ConditionNode = LeafNode | GroupNode;

export interface ActionItem {
  key: string;
  type: string;
  params: Record<string, unknown>;
}

export interface RuleDraft {
  trigger: string;
  /** Minutes between runs of a `schedule` rule; null for event rules. */
  everyMinutes: number | null;
  conditions: GroupNode;
  actions: ActionItem[];
}

/** The definition document the API stores and validates. */
export interface RuleDefinitionJson {
  trigger: string;
  schedule?: { everyMinutes: number };
  conditions: Record<string, unknown>;
  actions: { type: string; params: Record<string, unknown> }[];
}

let counter = 0;
export const newKey = (prefix = 'n') => `${prefix}${++counter}`;

export const isGroup = (n: ConditionNode): n is GroupNode => n.kind !== 'leaf';

export function emptyLeaf(fact = '', operator = '', value: unknown = null): LeafNode {
  return { key: newKey(), kind: 'leaf', fact, params: null, operator, value };
}

export function emptyGroup(kind: GroupKind = 'all', children: ConditionNode[] = []): GroupNode {
  return { key: newKey(), kind, children };
}

export function emptyDraft(trigger = 'ticket.created'): RuleDraft {
  return { trigger, everyMinutes: trigger === 'schedule' ? 60 : null, conditions: emptyGroup('all', [emptyLeaf()]), actions: [] };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A deep copy of JSON data (also of reactive proxies, which structuredClone refuses). */
export const cloneJson = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

// ---------------------------------------------------------------------------------------------
// API JSON → draft
// ---------------------------------------------------------------------------------------------

function parseCondition(c: unknown): ConditionNode {
  if (isObject(c)) {
    if (Array.isArray(c.all)) return { key: newKey(), kind: 'all', children: c.all.map(parseCondition) };
    if (Array.isArray(c.any)) return { key: newKey(), kind: 'any', children: c.any.map(parseCondition) };
    if ('not' in c) {
      const inner = c.not;
      // { not: { any: [...] } } is "none of these"; any other { not: X } is "none of [X]".
      const children = isObject(inner) && Array.isArray(inner.any) ? inner.any.map(parseCondition) : [parseCondition(inner)];
      return { key: newKey(), kind: 'not', children };
    }
    return {
      key: newKey(),
      kind: 'leaf',
      fact: typeof c.fact === 'string' ? c.fact : '',
      params: isObject(c.params) ? { ...c.params } : null,
      operator: typeof c.operator === 'string' ? c.operator : '',
      value: 'value' in c ? cloneJson(c.value) : null,
    };
  }
  return emptyLeaf();
}

export function fromDefinition(def: unknown): RuleDraft {
  const d = isObject(def) ? def : {};
  const trigger = typeof d.trigger === 'string' ? d.trigger : 'ticket.created';
  const schedule = isObject(d.schedule) && typeof d.schedule.everyMinutes === 'number' ? d.schedule.everyMinutes : null;
  const root = parseCondition(d.conditions ?? { all: [] });
  const conditions: GroupNode = isGroup(root) ? root : emptyGroup('all', [root]);
  const actions = Array.isArray(d.actions)
    ? d.actions.map((a) => ({
        key: newKey('a'),
        type: isObject(a) && typeof a.type === 'string' ? a.type : '',
        params: isObject(a) && isObject(a.params) ? cloneJson(a.params) : {},
      }))
    : [];
  return { trigger, everyMinutes: trigger === 'schedule' ? (schedule ?? 60) : null, conditions, actions };
}

// ---------------------------------------------------------------------------------------------
// draft → API JSON (with the pointer of every node)
// ---------------------------------------------------------------------------------------------

export interface Serialised {
  definition: RuleDefinitionJson;
  /** JSON pointer (relative to the definition) → node or action key. */
  keyAt: Map<string, string>;
  /** Node or action key → JSON pointer. */
  pointerOf: Map<string, string>;
}

const escapeToken = (t: string) => t.replace(/~/g, '~0').replace(/\//g, '~1');

export function serialise(draft: RuleDraft): Serialised {
  const keyAt = new Map<string, string>();
  const pointerOf = new Map<string, string>();
  const mark = (key: string, pointer: string) => {
    keyAt.set(pointer, key);
    pointerOf.set(key, pointer);
  };
  const condition = (n: ConditionNode, pointer: string): Record<string, unknown> => {
    mark(n.key, pointer);
    if (n.kind === 'leaf') {
      const out: Record<string, unknown> = { fact: n.fact };
      if (n.params && Object.keys(n.params).length) out.params = cloneJson(n.params);
      out.operator = n.operator;
      out.value = n.value === undefined ? null : cloneJson(n.value);
      return out;
    }
    if (n.kind === 'not') {
      if (n.children.length === 1) return { not: condition(n.children[0]!, `${pointer}/not`) };
      return { not: { any: n.children.map((c, i) => condition(c, `${pointer}/not/any/${i}`)) } };
    }
    return { [n.kind]: n.children.map((c, i) => condition(c, `${pointer}/${n.kind}/${i}`)) };
  };
  const conditions = condition(draft.conditions, '/conditions');
  const actions = draft.actions.map((a, i) => {
    mark(a.key, `/actions/${i}`);
    return { type: a.type, params: cloneJson(a.params) };
  });
  const definition: RuleDefinitionJson = {
    trigger: draft.trigger,
    ...(draft.trigger === 'schedule' ? { schedule: { everyMinutes: draft.everyMinutes ?? 60 } } : {}),
    conditions,
    actions,
  };
  return { definition, keyAt, pointerOf };
}

export const toDefinition = (draft: RuleDraft): RuleDefinitionJson => serialise(draft).definition;

// ---------------------------------------------------------------------------------------------
// API errors and dry-run results → nodes
// ---------------------------------------------------------------------------------------------

export interface NodeMessage {
  /** What inside the node the message is about: '' (the node), 'fact', 'operator', 'value', 'value/0', 'params/field', 'type', 'params/groupId'… */
  field: string;
  message: string;
}

export interface MappedErrors {
  /** By node or action key. */
  byKey: Map<string, NodeMessage[]>;
  /** About the rule itself: 'trigger', 'schedule/everyMinutes', 'conditions', 'actions', 'name'… */
  rule: NodeMessage[];
}

export interface ApiFieldError {
  path: string;
  message: string;
  pointer?: string;
}

/**
 * Put every API error on the deepest node its pointer falls in. Pointers are into the request
 * (`/definition/...`) or, when only a path is given, the dotted path (`body.definition.actions.0`).
 */
export function mapErrors(s: Serialised, fields: readonly ApiFieldError[]): MappedErrors {
  const byKey = new Map<string, NodeMessage[]>();
  const rule: NodeMessage[] = [];
  for (const f of fields) {
    let pointer =
      f.pointer ??
      `/${f.path
        .replace(/^body\./, '')
        .split('.')
        .map(escapeToken)
        .join('/')}`;
    if (pointer === '/definition') pointer = '';
    else if (pointer.startsWith('/definition/')) pointer = pointer.slice('/definition'.length);
    else if (!f.pointer && !f.path.startsWith('body.definition')) {
      // A field of the request outside the definition (name, description, expectedVersion).
      rule.push({ field: f.path.replace(/^body\./, ''), message: f.message });
      continue;
    }
    const found = deepestNode(s, pointer);
    if (found) {
      const list = byKey.get(found.key) ?? [];
      list.push({ field: found.rest, message: f.message });
      byKey.set(found.key, list);
    } else rule.push({ field: pointer.replace(/^\//, ''), message: f.message });
  }
  return { byKey, rule };
}

function deepestNode(s: Serialised, pointer: string): { key: string; rest: string } | null {
  const segments = pointer.split('/');
  for (let n = segments.length; n > 1; n--) {
    const prefix = segments.slice(0, n).join('/');
    const key = s.keyAt.get(prefix);
    if (key) return { key, rest: segments.slice(n).join('/') };
  }
  return null;
}

export interface ConditionResultJson {
  pointer: string;
  factValue?: unknown;
  result: boolean | null;
}

/** Dry-run condition results by leaf key. */
export function resultsByKey(s: Serialised, conditions: readonly ConditionResultJson[]): Map<string, ConditionResultJson> {
  const out = new Map<string, ConditionResultJson>();
  for (const c of conditions) {
    const key = s.keyAt.get(c.pointer);
    if (key) out.set(key, c);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Tree edits (in place: the draft is reactive state)
// ---------------------------------------------------------------------------------------------

export function findNode(root: GroupNode, key: string): { node: ConditionNode; parent: GroupNode | null; index: number } | null {
  if (root.key === key) return { node: root, parent: null, index: -1 };
  for (const [i, child] of root.children.entries()) {
    if (child.key === key) return { node: child, parent: root, index: i };
    if (isGroup(child)) {
      const found = findNode(child, key);
      if (found) return found;
    }
  }
  return null;
}

/** Depth of a node: the root group is 1 (the API's `maxDepth` counts groups this way). */
export function groupDepth(root: GroupNode, key: string, depth = 1): number | null {
  if (root.key === key) return depth;
  for (const child of root.children) {
    if (isGroup(child)) {
      const d = groupDepth(child, key, depth + 1);
      if (d !== null) return d;
    }
  }
  return null;
}

export function countLeaves(n: ConditionNode): number {
  return isGroup(n) ? n.children.reduce((sum, c) => sum + countLeaves(c), 0) : 1;
}

export function addLeaf(root: GroupNode, groupKey: string, leaf: LeafNode = emptyLeaf()): LeafNode {
  const g = findNode(root, groupKey)?.node;
  if (!g || !isGroup(g)) throw new Error(`no group ${groupKey}`);
  g.children.push(leaf);
  return leaf;
}

export function addGroup(root: GroupNode, groupKey: string, kind: GroupKind = 'any'): GroupNode {
  const g = findNode(root, groupKey)?.node;
  if (!g || !isGroup(g)) throw new Error(`no group ${groupKey}`);
  const child = emptyGroup(kind, [emptyLeaf()]);
  g.children.push(child);
  return child;
}

/** Remove a node; the root group stays (an empty root is refused by the API with a pointer). */
export function removeNode(root: GroupNode, key: string): boolean {
  const found = findNode(root, key);
  if (!found || !found.parent) return false;
  found.parent.children.splice(found.index, 1);
  return true;
}

/** Replace a leaf by a group that contains it (to combine it with more conditions). */
export function wrapInGroup(root: GroupNode, key: string, kind: GroupKind = 'any'): GroupNode | null {
  const found = findNode(root, key);
  if (!found || !found.parent) return null;
  const group = emptyGroup(kind, [found.node]);
  found.parent.children.splice(found.index, 1, group);
  return group;
}

export function moveAction(actions: ActionItem[], from: number, to: number): void {
  if (from < 0 || from >= actions.length || to < 0 || to >= actions.length) return;
  const [item] = actions.splice(from, 1);
  actions.splice(to, 0, item!);
}
