import { afterEach, vi } from 'vitest';
import { cleanup } from '@testing-library/vue';

// happy-dom lacks a few browser APIs Vuetify touches; give them harmless stand-ins.
if (!('ResizeObserver' in globalThis)) {
  class ResizeObserverStub {
    observe() {}
    unobserve() {}
    disconnect() {}
  }
  Object.assign(globalThis, { ResizeObserver: ResizeObserverStub });
}
if (!window.matchMedia) {
  Object.assign(window, {
    matchMedia: (query: string) => ({
      matches: false,
      media: query,
      addEventListener() {},
      removeEventListener() {},
      addListener() {},
      removeListener() {},
      onchange: null,
      dispatchEvent: () => false,
    }),
  });
}

if (!('visualViewport' in globalThis) || !globalThis.visualViewport) {
  const viewport = Object.assign(new EventTarget(), { width: 1280, height: 800, offsetLeft: 0, offsetTop: 0, pageLeft: 0, pageTop: 0, scale: 1, onresize: null, onscroll: null });
  Object.assign(globalThis, { visualViewport: viewport });
}

afterEach(() => {
  // Testing Library unmounts by itself only with Vitest globals on.
  cleanup();
  localStorage.clear();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});
