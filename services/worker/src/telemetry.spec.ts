import { ConfigError, loadWorkerConfig } from './config';

describe('worker metrics and tracing settings', () => {
  it('serves no metrics and sends no traces unless asked', () => {
    const config = loadWorkerConfig({});
    expect(config.metricsAddress).toBeNull();
    expect(config.tracing).toBeNull();
  });

  it.each(['127.0.0.1:9464', '0.0.0.0:9464', '[::]:9464', '[::1]:19464'])('serves metrics at %s', (address) => {
    expect(loadWorkerConfig({ WORKER_METRICS_ADDRESS: address }).metricsAddress).toBe(address);
  });

  it.each(['9464', 'localhost:9464', '127.0.0.1', '127.0.0.1:0', '127.0.0.1:70000', '300.1.1.1:9464'])(
    'refuses WORKER_METRICS_ADDRESS=%s at boot (the exporter binds an ip:port)',
    (address) => {
      expect(() => loadWorkerConfig({ WORKER_METRICS_ADDRESS: address })).toThrow(ConfigError);
      expect(() => loadWorkerConfig({ WORKER_METRICS_ADDRESS: address })).toThrow(/WORKER_METRICS_ADDRESS/);
    },
  );

  it('traces once an OTLP endpoint is set, unless the standard variables turn it off', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(loadWorkerConfig(endpoint).tracing).toEqual({ serviceName: 'gatehouse-worker' });
    expect(loadWorkerConfig({ ...endpoint, OTEL_SERVICE_NAME: 'worker-eu' }).tracing).toEqual({
      serviceName: 'worker-eu',
    });
    expect(loadWorkerConfig({ ...endpoint, OTEL_SDK_DISABLED: 'true' }).tracing).toBeNull();
    expect(loadWorkerConfig({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' }).tracing).toBeNull();
    expect(() => loadWorkerConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
  });
});
