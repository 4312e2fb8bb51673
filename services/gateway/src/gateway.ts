import 'reflect-metadata';
import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { Store } from '@gatehouse/store';
import { GatewayModule } from './app.module';
import { TokenVerifier } from './auth/token-verifier';
import { ErrorFilter } from './common/error.filter';
import { createLogger, PinoNestLogger, requestLogger } from './common/logging';
import { RateLimiter, rateLimiter } from './common/rate-limit';
import { validationPipe } from './common/validation';
import type { GatewayConfig } from './config';
import { GatewayMetrics } from './observability/metrics';
import { traceRequests } from './observability/tracing';
import { SLACK_INTERACTIONS_PATH } from './slack/slack.controller';

export interface Gateway {
  app: NestExpressApplication;
  store: Store;
  logger: Logger;
  close(): Promise<void>;
}

export const API_VERSION = '1.0.0';

/** Builds the gateway (not yet listening): tests call this with their own config and database. */
export async function createGateway(
  config: GatewayConfig,
  options: { store?: Store; logger?: Logger } = {},
): Promise<Gateway> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const store = options.store ?? (await Store.connect(config.mongoUri, config.mongoDb));
  const app = await NestFactory.create<NestExpressApplication>(GatewayModule.forRoot(config, store), {
    logger: new PinoNestLogger(logger),
    bodyParser: false,
  });
  app.set('trust proxy', false);
  app.set('query parser', 'simple');
  app.disable('x-powered-by');
  // With single sign-on, the dashboard reads the provider's discovery document and exchanges codes with it
  // (connect), and renews tokens in a hidden frame (frame).
  const idp = config.oidc ? [new URL(config.oidc.issuer).origin] : [];
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'", "'unsafe-inline'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'", ...idp],
          frameSrc: ["'self'", ...idp],
          // Outside production the gateway is plain http (npm run dev, tests): upgrading would send the renewal
          // frame's return from the provider to an https address that nothing serves.
          upgradeInsecureRequests: config.production ? [] : null,
        },
      },
    }),
  );
  // Find the identity provider's keys now; until it answers, requests with its tokens get 503.
  app
    .get(TokenVerifier)
    .prepare()
    .catch((err: unknown) =>
      logger.warn(
        { err },
        'the identity provider (OIDC_ISSUER) cannot be reached yet: its tokens are refused until it is',
      ),
    );
  // Before the request log, so that its line carries the request's trace id; before the rate limit, so
  // that a 429 is measured and traced too.
  if (config.tracing) app.use(traceRequests());
  app.use(app.get(GatewayMetrics).observeRequests());
  app.use(requestLogger(logger));
  app.use(rateLimiter(new RateLimiter(config.rateLimit), app.get(TokenVerifier)));
  // Slack signs the raw form body of its requests: on that one path, keep the body as bytes (the
  // controller verifies, then parses). Form bodies stay unread everywhere else.
  app.useBodyParser('raw', {
    limit: config.bodyLimit,
    type: (req: IncomingMessage) =>
      req.url?.split('?')[0] === SLACK_INTERACTIONS_PATH &&
      /^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? ''),
  });
  app.useBodyParser('json', {
    limit: config.bodyLimit,
    strict: true,
    // SCIM clients send application/scim+json (RFC 7644 §3.1).
    type: ['application/json', 'application/scim+json'],
    // class-transformer silently drops these keys, so the unknown-field check never sees them: refuse them here.
    reviver: (key: string, value: unknown) => {
      if (key === '__proto__' || key === 'constructor' || key === 'prototype')
        throw new SyntaxError(`"${key}" is not a valid field`);
      return value;
    },
  });
  app.useGlobalPipes(validationPipe());
  app.useGlobalFilters(new ErrorFilter());
  app.enableShutdownHooks();

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Gatehouse API')
      .setDescription('Access requests with approvals, automatic provisioning and expiry. See docs/api.md.')
      .setVersion(API_VERSION)
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });

  if (config.dashboardDir && fs.existsSync(path.join(config.dashboardDir, 'index.html'))) {
    app.useStaticAssets(config.dashboardDir, { index: 'index.html' });
  }

  // On FerretDB, tracker tickets, the audit log and the console's grants list from indexes in memory:
  // load them now rather than on the first list.
  store.useListSource(config.listSource ?? 'auto');
  store.warmListIndexes().then(
    (sizes) => logger.debug(sizes, 'list indexes loaded'),
    (err: unknown) => logger.warn({ err }, 'list indexes not loaded; lists read the database until they are'),
  );

  return {
    app,
    store,
    logger,
    async close() {
      await app.close();
      if (!options.store) await store.close();
    },
  };
}
