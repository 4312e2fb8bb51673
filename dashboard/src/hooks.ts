// Small React hooks the pages share: polling while a view is open, and debouncing a value.
import { useEffect, useRef, useState } from 'react';

/**
 * Runs `tick` now and every `ms` while `enabled`, skipping later ticks while the tab is hidden (the first one
 * always runs: a view opened in a background tab has its data when it is looked at).
 */
export function usePolling(
  tick: (signal: AbortSignal) => void | Promise<void>,
  ms: number,
  enabled: boolean,
  deps: unknown[],
): void {
  const tickRef = useRef(tick);
  tickRef.current = tick;
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    let first = true;
    const run = async () => {
      if (stopped) return;
      if (first || typeof document === 'undefined' || document.visibilityState !== 'hidden') {
        first = false;
        try {
          await tickRef.current(controller.signal);
        } catch {
          // the tick shows its own errors
        }
      }
      if (!stopped && enabled) timer = setTimeout(() => void run(), ms);
    };
    void run();
    return () => {
      stopped = true;
      controller.abort();
      if (timer) clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [ms, enabled, ...deps]);
}

export function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return debounced;
}
