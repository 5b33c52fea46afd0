// How long typing must pause before the portal asks for articles that may answer the ticket being
// written. Short enough that suggestions show within 150 ms of the last keystroke (measured by
// bench:portal, which imports this), long enough that a burst of keys sends one request.
export const SUGGEST_DEBOUNCE_MS = 80;
