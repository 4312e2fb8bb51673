import { ConfigError, loadWorkerConfig } from './config';

describe('worker configuration', () => {
  it('leaves the workflow cache to the SDK unless WORKER_MAX_CACHED_WORKFLOWS is set', () => {
    expect(loadWorkerConfig({}).maxCachedWorkflows).toBeNull();
    expect(loadWorkerConfig({ WORKER_MAX_CACHED_WORKFLOWS: '' }).maxCachedWorkflows).toBeNull();
    expect(loadWorkerConfig({ WORKER_MAX_CACHED_WORKFLOWS: '1000' }).maxCachedWorkflows).toBe(1000);
  });

  it.each(['1', '0', '-5', 'lots', '2.5'])('refuses WORKER_MAX_CACHED_WORKFLOWS=%s at boot', (value) => {
    // The SDK needs at least 2 cached runs; a typo must stop the worker, not silently keep the default.
    expect(() => loadWorkerConfig({ WORKER_MAX_CACHED_WORKFLOWS: value })).toThrow(ConfigError);
    expect(() => loadWorkerConfig({ WORKER_MAX_CACHED_WORKFLOWS: value })).toThrow(/WORKER_MAX_CACHED_WORKFLOWS/);
  });

  it('keeps the documented defaults', () => {
    const config = loadWorkerConfig({});
    expect(config.maxConcurrentActivities).toBe(100);
    expect(config.shutdownGraceSeconds).toBe(30);
    expect(config.taskQueue).toBe('gatehouse-tickets');
  });
});
