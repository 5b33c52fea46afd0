import { useRoute } from 'vue-router';

/** Where to go after signing in: the page that sent the visitor here (a portal path), else their tickets. */
export function useRedirectTarget() {
  const route = useRoute();
  return () => {
    const r = route.query.redirect;
    return typeof r === 'string' && r.startsWith('/') && !r.startsWith('//') ? r : '/tickets';
  };
}
