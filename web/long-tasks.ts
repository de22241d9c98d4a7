/**
 * Watches the page's main thread with the Long Tasks API (tasks over 50 ms) and keeps every entry, so the page can
 * say how responsive it stayed and the browser test can check that no task exceeded its budget while featurizing
 * and training happened in workers.
 */
export interface LongTask {
  start: number;
  duration: number;
  name: string;
}

export const longTasks: LongTask[] = [];

export function watchLongTasks(onChange: (all: LongTask[]) => void): boolean {
  if (!PerformanceObserver.supportedEntryTypes?.includes('longtask')) return false;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longTasks.push({ start: e.startTime, duration: e.duration, name: e.name });
    onChange(longTasks);
  }).observe({ type: 'longtask', buffered: true });
  return true;
}
