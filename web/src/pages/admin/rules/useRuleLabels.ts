import { useI18n } from 'vue-i18n';

// Human names for what the rule catalogue lists by id (facts, operators, actions, triggers,
// enum values, params). The catalogue decides what exists; a name without a translation is
// shown as the catalogue spells it, so a new fact on the server still appears in the editor.
export function useRuleLabels() {
  const { t, te } = useI18n();
  const pick = (keys: string[], fallback: string) => {
    for (const k of keys) if (te(k)) return t(k);
    return fallback;
  };
  return {
    trigger: (name: string) => pick([`admin.rules.triggers.${name}`], name),
    fact: (name: string) => pick([`admin.rules.facts.${name}`], name),
    factGroup: (group: string) => pick([`admin.rules.factGroups.${group}`], group),
    operator: (name: string) => pick([`admin.rules.operators.${name}`], name),
    action: (type: string) => pick([`admin.rules.actions.${type}`], type),
    param: (name: string) => pick([`admin.rules.params.${name}`], name),
    field: (name: string) => pick([`admin.rules.fields.${name}`], name),
    hoursSinceEvent: (name: string) => pick([`admin.rules.hoursSince.${name}`], name),
    /** An enum value (statuses, priorities, sources, roles, SLA states and clocks, triggers). */
    enumValue: (_of: string, value: string) =>
      pick([`common.status.${value}`, `common.priority.${value}`, `common.slaState.${value}`, `common.auth.role.${value}`, `admin.rules.enumValues.${value}`, `admin.rules.triggers.${value}`], value),
  };
}
