import { ref } from 'vue';
import { isApiError } from '@/api/client';
import { errorText } from '@/stores/toast';

// Errors of one form: the API's field messages go next to their field (`body.name` → `name`,
// `body.memberIds.1` → `memberIds.1` and, for the list as a whole, `memberIds`), anything that
// is not about a field shows above the form with the server's message.
export function useFormErrors() {
  const fields = ref<Record<string, string>>({});
  const form = ref<string | null>(null);

  function clear() {
    fields.value = {};
    form.value = null;
  }

  /** Take an error from a save; returns true when every message found a field of this form. */
  function take(err: unknown, knownFields: readonly string[] = []): boolean {
    clear();
    if (isApiError(err) && err.fields.length) {
      const byField = err.fieldErrors();
      const out: Record<string, string> = {};
      let placed = true;
      for (const [path, message] of Object.entries(byField)) {
        out[path] ??= message;
        const top = path.split('.')[0]!;
        if (top !== path) out[top] ??= message;
        if (knownFields.length && !knownFields.includes(top)) placed = false;
      }
      fields.value = out;
      if (!placed || !knownFields.length) form.value = errorText(err);
      else if (err.status === 409 || err.status === 422) form.value = null;
      return placed;
    }
    form.value = errorText(err);
    return false;
  }

  /** For `:error-messages`: the message of a field (or of any of its elements). */
  const of = (field: string): string[] => {
    const direct = fields.value[field];
    return direct ? [direct] : [];
  };

  return { fields, form, clear, take, of };
}
