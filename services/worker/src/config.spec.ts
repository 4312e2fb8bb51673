import { ConfigError, loadWorkerConfig, parseWorkerQueues } from './config';

describe('worker configuration', () => {
  it('leaves the ticket queue’s workflow cache to the SDK unless WORKER_MAX_CACHED_WORKFLOWS is set', () => {
    const cached = (env: NodeJS.ProcessEnv) => loadWorkerConfig(env).queueSettings.tickets.maxCachedWorkflows;
    expect(cached({})).toBeNull();
    expect(cached({ WORKER_MAX_CACHED_WORKFLOWS: '' })).toBeNull();
    expect(cached({ WORKER_MAX_CACHED_WORKFLOWS: '1000' })).toBe(1000);
  });

  it.each(['1', '0', '-5', 'lots', '2.5'])('refuses WORKER_MAX_CACHED_WORKFLOWS=%s at boot', (value) => {
    // The SDK needs at least 2 cached runs; a typo must stop the worker, not silently keep the default.
    expect(() => loadWorkerConfig({ WORKER_MAX_CACHED_WORKFLOWS: value })).toThrow(ConfigError);
    expect(() => loadWorkerConfig({ WORKER_MAX_CACHED_WORKFLOWS: value })).toThrow(/WORKER_MAX_CACHED_WORKFLOWS/);
  });

  it('keeps the documented defaults', () => {
    const config = loadWorkerConfig({});
    expect(config.shutdownGraceSeconds).toBe(30);
    expect(config.taskQueue).toBe('gatehouse-tickets');
    expect(config.queues).toEqual(['tickets', 'notifications', 'maintenance']);
    expect(config.healthPort).toBeNull();
    expect(config.queueSettings).toEqual({
      tickets: {
        maxConcurrentActivities: 100,
        maxConcurrentWorkflowTasks: null,
        maxCachedWorkflows: null,
        maxActivitiesPerSecond: null,
        maxTaskQueueActivitiesPerSecond: null,
      },
      notifications: {
        maxConcurrentActivities: 100,
        maxConcurrentWorkflowTasks: null,
        maxCachedWorkflows: 200,
        maxActivitiesPerSecond: null,
        maxTaskQueueActivitiesPerSecond: null,
      },
      maintenance: {
        maxConcurrentActivities: 100,
        maxConcurrentWorkflowTasks: null,
        maxCachedWorkflows: 50,
        maxActivitiesPerSecond: null,
        maxTaskQueueActivitiesPerSecond: null,
      },
    });
  });
});

describe('WORKER_QUEUES', () => {
  it('serves every queue when unset or empty: what one process of `npm run dev` runs', () => {
    expect(parseWorkerQueues(undefined)).toEqual(['tickets', 'notifications', 'maintenance']);
    expect(parseWorkerQueues('')).toEqual(['tickets', 'notifications', 'maintenance']);
    expect(parseWorkerQueues('  ')).toEqual(['tickets', 'notifications', 'maintenance']);
  });

  it('serves the queues it names, in a fixed order, whatever the spacing, order or repetition', () => {
    expect(parseWorkerQueues('tickets')).toEqual(['tickets']);
    expect(parseWorkerQueues(' maintenance , notifications ')).toEqual(['notifications', 'maintenance']);
    expect(parseWorkerQueues('notifications,tickets,notifications,')).toEqual(['tickets', 'notifications']);
    expect(loadWorkerConfig({ WORKER_QUEUES: 'maintenance' }).queues).toEqual(['maintenance']);
  });

  it.each([
    ['ticket', /unknown queue "ticket" \(known: tickets, notifications, maintenance\)/],
    ['tickets,webhooks', /unknown queue "webhooks"/],
    ['Tickets', /unknown queue "Tickets"/],
    [',', /must name at least one of tickets, notifications, maintenance/],
    [' , ,', /must name at least one/],
  ])('refuses WORKER_QUEUES=%j at boot, naming the variable', (value, message) => {
    expect(() => loadWorkerConfig({ WORKER_QUEUES: value })).toThrow(ConfigError);
    expect(() => loadWorkerConfig({ WORKER_QUEUES: value })).toThrow(/WORKER_QUEUES/);
    expect(() => loadWorkerConfig({ WORKER_QUEUES: value })).toThrow(message);
  });
});

describe('per-queue worker settings', () => {
  it('applies WORKER_<SETTING> to every queue, and WORKER_<QUEUE>_<SETTING> to its queue only', () => {
    const { queueSettings } = loadWorkerConfig({
      WORKER_MAX_CONCURRENT_ACTIVITIES: '40',
      WORKER_NOTIFICATIONS_MAX_CONCURRENT_ACTIVITIES: '8',
      WORKER_MAINTENANCE_MAX_CONCURRENT_WORKFLOW_TASKS: '4',
      WORKER_NOTIFICATIONS_MAX_ACTIVITIES_PER_SECOND: '2.5',
      WORKER_MAX_TASK_QUEUE_ACTIVITIES_PER_SECOND: '50',
      WORKER_MAINTENANCE_MAX_TASK_QUEUE_ACTIVITIES_PER_SECOND: '0.5',
      WORKER_TICKETS_MAX_CACHED_WORKFLOWS: '3000',
    });
    expect(queueSettings.tickets).toEqual({
      maxConcurrentActivities: 40,
      maxConcurrentWorkflowTasks: null,
      maxCachedWorkflows: 3000,
      maxActivitiesPerSecond: null,
      maxTaskQueueActivitiesPerSecond: 50,
    });
    expect(queueSettings.notifications).toEqual({
      maxConcurrentActivities: 8,
      maxConcurrentWorkflowTasks: null,
      maxCachedWorkflows: 200,
      maxActivitiesPerSecond: 2.5,
      maxTaskQueueActivitiesPerSecond: 50,
    });
    expect(queueSettings.maintenance).toEqual({
      maxConcurrentActivities: 40,
      maxConcurrentWorkflowTasks: 4,
      maxCachedWorkflows: 50,
      maxActivitiesPerSecond: null,
      maxTaskQueueActivitiesPerSecond: 0.5,
    });
  });

  it.each([
    ['WORKER_TICKETS_MAX_CONCURRENT_ACTIVITIES', '0'],
    ['WORKER_NOTIFICATIONS_MAX_CONCURRENT_ACTIVITIES', 'many'],
    ['WORKER_MAINTENANCE_MAX_CONCURRENT_WORKFLOW_TASKS', '1'],
    ['WORKER_MAX_CONCURRENT_WORKFLOW_TASKS', '2.5'],
    ['WORKER_NOTIFICATIONS_MAX_CACHED_WORKFLOWS', '1'],
    ['WORKER_MAX_ACTIVITIES_PER_SECOND', '0'],
    ['WORKER_TICKETS_MAX_ACTIVITIES_PER_SECOND', '-1'],
    ['WORKER_MAINTENANCE_MAX_TASK_QUEUE_ACTIVITIES_PER_SECOND', 'fast'],
    ['WORKER_HEALTH_PORT', '0'],
  ])('refuses %s=%s at boot, naming it', (name, value) => {
    expect(() => loadWorkerConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadWorkerConfig({ [name]: value })).toThrow(new RegExp(name));
  });

  it('takes the health endpoint’s port from WORKER_HEALTH_PORT', () => {
    expect(loadWorkerConfig({ WORKER_HEALTH_PORT: '8080' }).healthPort).toBe(8080);
  });
});
