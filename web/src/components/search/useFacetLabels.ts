import { ref } from 'vue';
import { useI18n } from 'vue-i18n';
import { api, unwrap } from '@/api/client';
import { useDirectoryStore } from '@/stores/directory';
import { useKbStore } from '@/stores/kb';
import type { FacetKey } from '@/stores/search';

// Names for facet values: statuses and priorities translated, groups from the directory, ticket
// and KB categories by name (loaded once, on first use), tags as they are.

const ticketCategories = ref<Map<number, string> | null>(null);
let loadingCategories: Promise<void> | null = null;

function loadTicketCategories() {
  loadingCategories ??= unwrap(api.GET('/api/v1/categories'))
    .then((r) => {
      ticketCategories.value = new Map(r.items.map((c) => [c.id, c.name]));
    })
    .catch(() => {
      ticketCategories.value = new Map();
    });
  return loadingCategories;
}

export function useFacetLabels() {
  const { t, te } = useI18n();
  const directory = useDirectoryStore();
  const kb = useKbStore();
  void loadTicketCategories();
  void kb.ensureTree();

  const facetName = (key: FacetKey) => t(`search.facets.${key}`);

  function valueLabel(key: FacetKey, value: string): string {
    switch (key) {
      case 'type':
        return te(`search.types.${value}`) ? t(`search.types.${value}`) : value;
      case 'status':
        // Ticket statuses, and the article statuses (draft, published, archived).
        if (te(`common.status.${value}`)) return t(`common.status.${value}`);
        return te(`kb.status.${value}`) ? t(`kb.status.${value}`) : value;
      case 'priority':
        return te(`common.priority.${value}`) ? t(`common.priority.${value}`) : value;
      case 'groupId':
        return directory.groupName(Number(value)) ?? value;
      case 'categoryId':
        return ticketCategories.value?.get(Number(value)) ?? `#${value}`;
      case 'kbCategoryId':
        return kb.nameOf(Number(value)) ?? value;
      default:
        return value;
    }
  }

  return { facetName, valueLabel };
}
