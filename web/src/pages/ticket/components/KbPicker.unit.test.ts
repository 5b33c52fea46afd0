import { beforeEach, describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/vue';
import userEvent from '@testing-library/user-event';
import { defineComponent, h, ref } from 'vue';
import { VApp } from 'vuetify/components/VApp';
import { setToken } from '@/api/client';
import type { SearchHit } from '@/api/search';
import { fakeApi, freshPinia, renderWithApp } from '@/test/helpers';
import KbPicker from './KbPicker.vue';

// The reply editor's KB picker against a fake API: it searches articles only, shows titles
// with highlights, inserts a link to the public article (published public ones only) or the
// article's text.

const hits: SearchHit[] = [
  {
    type: 'article',
    id: 71,
    score: 1,
    title: 'بازنشانی رمز عبور',
    highlights: { title: 'بازنشانی <mark>رمز</mark> عبور', body: 'گام اول <mark>رمز</mark>' },
    article: { articleId: 7, lang: 'fa', slug: 'بازنشانی-رمز', status: 'published', visibility: 'public', kbCategoryId: 1 },
  },
  {
    type: 'article',
    id: 80,
    score: 0.5,
    title: 'Internal VPN notes',
    highlights: {},
    article: { articleId: 8, lang: 'en', slug: 'vpn-notes', status: 'published', visibility: 'internal', kbCategoryId: null },
  },
];

function mount() {
  const api = fakeApi({
    'GET /api/v1/search': { body: { backend: 'postgres', total: 2, hits, facets: {} } },
    'GET /api/v1/kb/articles/7': {
      body: {
        id: 7,
        categoryId: 1,
        visibility: 'public',
        tags: [],
        version: 1,
        createdAt: '',
        updatedAt: '',
        translations: {
          fa: { id: 71, title: 'بازنشانی رمز عبور', slug: 'بازنشانی-رمز', bodyHtml: '<p>گام اول</p>', status: 'published', publishedAt: null, version: 1, updatedAt: '', updatedBy: null },
        },
      },
    },
    'GET /api/v1/kb/articles/8': {
      body: {
        id: 8,
        categoryId: null,
        visibility: 'internal',
        tags: [],
        version: 1,
        createdAt: '',
        updatedAt: '',
        translations: {
          en: {
            id: 80,
            title: 'Internal VPN notes',
            slug: 'vpn-notes',
            bodyHtml: '<p>Use the <strong>backup</strong> gateway.</p>',
            status: 'published',
            publishedAt: null,
            version: 1,
            updatedAt: '',
            updatedBy: null,
          },
        },
      },
    },
  });
  const links: { href: string; title: string }[] = [];
  const texts: string[] = [];
  const open = ref(true);
  renderWithApp(
    defineComponent({
      setup: () => () =>
        h(VApp, () =>
          h(KbPicker, {
            modelValue: open.value,
            'onUpdate:modelValue': (v: boolean) => (open.value = v),
            onLink: (l: { href: string; title: string }) => links.push(l),
            onText: (t: string) => texts.push(t),
          }),
        ),
    }),
  );
  return { api, links, texts, open };
}

describe('KB picker in the reply editor', () => {
  beforeEach(() => {
    setToken('mdk_test');
    freshPinia();
  });

  it('searches articles only and inserts a link to the public article', async () => {
    const { api, links, open } = mount();
    await userEvent.type(await screen.findByLabelText('Search articles'), 'رمز');
    const first = await screen.findByTestId('kb-pick-71');
    expect(api.calls[0]!.query.get('types')).toBe('article');
    expect(first.querySelector('mark')?.textContent).toBe('رمز');
    expect((within(screen.getByTestId('kb-pick-80')).getByTestId('kb-insert-link') as HTMLButtonElement).disabled).toBe(true);
    await userEvent.click(within(first).getByTestId('kb-insert-link'));
    await waitFor(() => expect(links).toHaveLength(1));
    expect(links).toEqual([{ href: `${location.origin}/api/v1/public/kb/articles/fa/${encodeURIComponent('بازنشانی-رمز')}`, title: 'بازنشانی رمز عبور' }]);
    expect(open.value).toBe(false);
  });

  it("inserts the article's text in the hit's language", async () => {
    const { texts } = mount();
    await userEvent.type(await screen.findByLabelText('Search articles'), 'vpn');
    await userEvent.click(within(await screen.findByTestId('kb-pick-80')).getByTestId('kb-insert-text'));
    await waitFor(() => expect(texts).toHaveLength(1));
    expect(texts[0]).toContain('<strong>backup</strong>');
  });
});
