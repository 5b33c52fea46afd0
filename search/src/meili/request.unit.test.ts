import { describe, expect, it } from 'vitest';
import type { SearchViewer } from '../contract';
import { MARK_END, MARK_START } from '../highlight';
import { pagination, queryText, searchParams, ticketIdParams } from './request';
import { INDEX_SETTINGS, isRebuildIndexName, liveIndexName, rebuildIndexName } from './settings';

const staff: SearchViewer = { kind: 'staff', userId: 7, role: 'agent', groupIds: [10] };
const customer: SearchViewer = { kind: 'customer', userId: 100 };
const anonymous: SearchViewer = { kind: 'public' };

describe('query text', () => {
  it('gets the same normalisation as the documents', () => {
    // Arabic yeh and kaf, ZWNJ, Persian digits.
    expect(queryText('كاربري')).toBe('کاربری');
    expect(queryText('نمي‌توانم')).toBe('نمی توانم');
    expect(queryText('invoice ۴۵۲۱')).toBe('invoice 4521');
    expect(queryText('Café')).toBe('Cafe');
  });

  it('keeps phrases quoted and marks a finished last word with a trailing space (no prefix match)', () => {
    expect(queryText('"reset link"')).toBe('"reset link" ');
    expect(queryText('reset lin')).toBe('reset lin');
    expect(queryText('reset ')).toBe('reset ');
  });

  it('is null when nothing searchable is left', () => {
    expect(queryText('')).toBeNull();
    expect(queryText('  ?! ')).toBeNull();
  });
});

describe('search parameters', () => {
  it('staff search, highlight and crop internal notes; snippets are marked with the control characters', () => {
    const p = searchParams({ q: 'toner', limit: 20, offset: 0 }, staff);
    expect(p.attributesToSearchOn).toEqual(['title', 'body', 'joined', 'internal']);
    expect(p.attributesToHighlight).toEqual(['title', 'body', 'internal']);
    expect(p.attributesToCrop).toEqual(['body', 'internal']);
    expect(p.cropLength).toBe(30);
    expect(p.highlightPreTag).toBe(MARK_START);
    expect(p.highlightPostTag).toBe(MARK_END);
    expect(p.matchingStrategy).toBe('all');
    expect(p.showRankingScore).toBe(true);
    expect(p.filter).toBe('(kind != "ticket" OR assigneeId = 7 OR groupId IN [10])');
    expect(p.facets).toEqual(['kind', 'status', 'priority', 'groupId', 'categoryId', 'kbCategoryId', 'tags']);
  });

  it('customers and the public never search, highlight or retrieve internal notes', () => {
    for (const viewer of [customer, anonymous]) {
      const p = searchParams({ q: 'toner', limit: 20, offset: 0 }, viewer);
      expect(p.attributesToSearchOn).toEqual(['title', 'body', 'joined']);
      expect(JSON.stringify([p.attributesToSearchOn, p.attributesToHighlight, p.attributesToCrop, p.attributesToRetrieve])).not.toContain('internal');
      expect(p.filter).toContain('publicVisible = true');
    }
  });

  it('never retrieve the texts themselves, only the fields a hit shows', () => {
    const p = searchParams({ q: 'x', limit: 5, offset: 0 }, staff);
    for (const field of ['body', 'internal', 'joined', 'requesterId', 'publicVisible']) expect(p.attributesToRetrieve).not.toContain(field);
    expect(p.attributesToRetrieve).toEqual(expect.arrayContaining(['kind', 'id', 'title', 'updatedAt', 'slug']));
  });

  it('skip facets when the caller shows none, and pass filters', () => {
    const p = searchParams({ q: 'x', limit: 5, offset: 0, facets: false, filters: { types: ['article'], lang: ['fa'] } }, anonymous);
    expect(p).not.toHaveProperty('facets');
    expect(p.filter).toBe('(kind = "article" AND publicVisible = true) AND (kind IN ["article"]) AND (lang IN ["fa"])');
  });

  it('admins get no filter parameter at all', () => {
    expect(searchParams({ q: 'x', limit: 5, offset: 0 }, { kind: 'staff', userId: 1, role: 'admin', groupIds: [] })).not.toHaveProperty('filter');
  });

  it('page through results with exact totals when the offset is on a page boundary', () => {
    expect(pagination(0, 20)).toEqual({ page: 1, hitsPerPage: 20 });
    expect(pagination(40, 20)).toEqual({ page: 3, hitsPerPage: 20 });
    expect(pagination(5, 20)).toEqual({ offset: 5, limit: 20 });
    expect(pagination(10, 0)).toEqual({ page: 1, hitsPerPage: 0 });
    expect(searchParams({ q: 'x', limit: 10, offset: 10 }, staff)).toMatchObject({ page: 2, hitsPerPage: 10 });
  });

  it('ticket ids for the inbox: tickets only, in the viewer scope, ids only', () => {
    const p = ticketIdParams(customer, 500, { status: ['open'], types: ['article'] });
    expect(p.filter).toBe('((kind = "ticket" AND requesterId = 100) OR (kind = "article" AND publicVisible = true)) AND (kind IN ["ticket"]) AND (status IN ["open"])');
    expect(p.attributesToRetrieve).toEqual(['id']);
    expect(p).toMatchObject({ offset: 0, limit: 500, matchingStrategy: 'all', attributesToSearchOn: ['title', 'body', 'joined'] });
    expect(ticketIdParams(staff, 10).attributesToSearchOn).toContain('internal');
  });
});

describe('index settings and names', () => {
  it('name the live and rebuild indexes after the prefix, and accept only those as rebuild targets', () => {
    expect(liveIndexName('mehrdesk')).toBe('mehrdesk_documents');
    expect(rebuildIndexName('mehrdesk', 12)).toBe('mehrdesk_documents_r12');
    expect(isRebuildIndexName('mehrdesk', 'mehrdesk_documents_r12')).toBe(true);
    for (const name of ['mehrdesk_documents', 'other_documents_r1', 'mehrdesk_documents_r', 'mehrdesk_documents_r1x', 'mehrdesk_documents_r1/../x'])
      expect(isRebuildIndexName('mehrdesk', name)).toBe(false);
  });

  it('make every attribute a filter or a facet uses filterable, and rank recent documents first among equals', () => {
    expect(INDEX_SETTINGS.filterableAttributes).toEqual(
      expect.arrayContaining(['kind', 'id', 'requesterId', 'assigneeId', 'groupId', 'categoryId', 'kbCategoryId', 'status', 'priority', 'tags', 'lang', 'publicVisible']),
    );
    expect(INDEX_SETTINGS.searchableAttributes).toEqual(['title', 'body', 'joined', 'internal']);
    expect(INDEX_SETTINGS.sortableAttributes).toEqual(['updatedAt']);
    expect(INDEX_SETTINGS.rankingRules?.at(-1)).toBe('updatedAt:desc');
    expect(INDEX_SETTINGS.typoTolerance).toMatchObject({ minWordSizeForTypos: { oneTypo: 3, twoTypos: 7 } });
  });
});
