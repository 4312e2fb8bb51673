// The gateway process: the HTTP API of docs/api.md on top of MongoDB and Temporal.
import { ConfigError, loadGatewayConfig } from './config';
import { createGateway } from './gateway';
import { startGatewayTracing } from './observability/tracing';

async function main(): Promise<void> {
  const config = loadGatewayConfig();
  if (config.tracing) startGatewayTracing(config.tracing);
  const gateway = await createGateway(config);
  if (config.auth.usingDevSecret) {
    gateway.logger.warn(
      'AUTH_JWT_SECRET is not set: using the DEV-ONLY default secret. Never run like this in production.',
    );
  }
  await gateway.app.listen(config.port, config.host);
  gateway.logger.info(
    { url: `http://${config.host}:${config.port}`, temporal: config.temporalAddress, taskQueue: config.taskQueue },
    'gateway listening',
  );
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? `configuration error: ${err.message}` : err);
  process.exit(1);
});
