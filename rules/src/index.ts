// @mehrdesk/rules: automation rules as pure logic (schema, facts, operators, actions,
// validation, evaluation). No I/O: callers load data and pass it in. See ../README.md.
export * from './schema';
export * from './facts';
export * from './operators';
export * from './actions';
export * from './validate';
export * from './evaluate';
export * from './catalogue';
export { comparePointers, escapeToken, toPointer, type PathSegment } from './pointer';
export { clearRegexCache, regexCacheSize, regexError, REGEX_CACHE_LIMIT, REGEX_MAX_INPUT_LENGTH, REGEX_MAX_PATTERN_LENGTH, type RegexValue } from './regex';
export { normalizeText } from './text';
export { isTrigger, SLA_TRIGGERS } from './triggers';
