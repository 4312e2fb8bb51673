import { ConfigError, loadGatewayConfig } from '../config';

describe('metrics and tracing settings', () => {
  it('leaves GET /metrics open and tracing off unless asked', () => {
    const config = loadGatewayConfig({});
    expect(config.metricsToken).toBeNull();
    expect(config.tracing).toBeNull();
  });

  it('takes METRICS_TOKEN, and refuses one short enough to guess', () => {
    expect(loadGatewayConfig({ METRICS_TOKEN: 'a-scraper-token-0123' }).metricsToken).toBe('a-scraper-token-0123');
    for (const token of ['short', 'has spaces in it, sixteen+']) {
      expect(() => loadGatewayConfig({ METRICS_TOKEN: token })).toThrow(ConfigError);
      expect(() => loadGatewayConfig({ METRICS_TOKEN: token })).toThrow(/METRICS_TOKEN/);
    }
  });

  it('traces once an OTLP endpoint is set, under OTEL_SERVICE_NAME or its default name', () => {
    expect(loadGatewayConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).tracing).toEqual({
      serviceName: 'gatehouse-gateway',
    });
    expect(
      loadGatewayConfig({
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces',
        OTEL_SERVICE_NAME: 'gw-eu',
      }).tracing,
    ).toEqual({ serviceName: 'gw-eu' });
  });

  it('stays off when the standard variables turn the SDK or the trace exporter off', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(loadGatewayConfig({ ...endpoint, OTEL_SDK_DISABLED: 'true' }).tracing).toBeNull();
    expect(loadGatewayConfig({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' }).tracing).toBeNull();
  });

  it.each([
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, /OTEL_EXPORTER_OTLP_ENDPOINT/],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' }, /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT/],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'zipkin' }, /OTEL_TRACES_EXPORTER/],
  ])('refuses %j at boot, naming the variable', (env, message) => {
    expect(() => loadGatewayConfig(env)).toThrow(ConfigError);
    expect(() => loadGatewayConfig(env)).toThrow(message);
  });
});
