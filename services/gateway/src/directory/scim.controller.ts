/**
 * SCIM 2.0 (RFC 7644) at /scim/v2, for the company's identity provider: Users, Groups and the discovery
 * endpoints. Only the SCIM bearer token opens it (user tokens get 401), and that token opens nothing else.
 * Not in the OpenAPI document: SCIM's own discovery endpoints describe it (docs/identity.md).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  Body,
  Catch,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Injectable,
  Logger,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Res,
  UseFilters,
  UseGuards,
  type ArgumentsHost,
  type CanActivate,
  type ExceptionFilter,
  type ExecutionContext,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiExcludeController,
  ApiOperation,
  ApiProperty,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import SCIMMY from 'scimmy';
import type { Actor } from '@gatehouse/domain';
import { Store } from '@gatehouse/store';
import { AdminOnly, Public } from '../auth/actor';
import { Audited } from '../audit/audit';
import { toErrorBody } from '../common/error.filter';
import { GatehouseError } from '../common/errors';
import type { GatewayConfig } from '../config';
import { GATEWAY_CONFIG, STORE } from '../tokens';
import { normalizePatch, scimError, ScimDirectory, SCIM_BASE, type ResourceConfig } from './scim-directory';

const SCIM_TYPE = 'application/scim+json';
/** The actor of every SCIM write in the audit log. */
const SCIM_ACTOR: Actor = { id: 'scim', roles: [], groups: [] };
const BEARER = /^Bearer ([A-Za-z0-9_\-.~+/]+=*)$/i;

const sha256 = (value: string) => createHash('sha256').update(value).digest();

/** Lets in the configured SCIM_TOKEN or the token an admin last issued; answers in SCIM from here on. */
@Injectable()
export class ScimAuthGuard implements CanActivate {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(STORE) private readonly store: Store,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request & { actor?: Actor }>();
    const match = BEARER.exec(req.headers.authorization ?? '');
    const presented = match ? sha256(match[1]) : null;
    const configured = this.config.directory?.scimToken;
    const ok =
      presented !== null &&
      ((configured != null && timingSafeEqual(presented, sha256(configured))) ||
        (await this.store.directory.isScimToken(presented.toString('hex'))));
    if (!ok) throw new GatehouseError('UNAUTHENTICATED', 'SCIM needs the SCIM bearer token');
    req.actor = SCIM_ACTOR;
    // Set before the handler answers: express keeps a content type already set when it sends JSON.
    context.switchToHttp().getResponse<Response>().type(SCIM_TYPE);
    return true;
  }
}

/** Every failure under /scim/v2 as a SCIM error message (RFC 7644 §3.12). */
@Catch()
export class ScimErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('scim');

  catch(err: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    let status: number;
    let scimType: string | undefined;
    let detail: string;
    if (err instanceof SCIMMY.Types.Error) {
      status = err.status;
      scimType = err.scimType ?? undefined;
      detail = err.message;
    } else {
      const body = toErrorBody(err);
      status = body.statusCode;
      detail = body.message;
      if (status >= 500) this.logger.error(`SCIM request failed: ${err instanceof Error ? err.stack : String(err)}`);
    }
    if (res.headersSent) return;
    if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="scim"');
    res
      .status(status)
      .type(SCIM_TYPE)
      .send(
        JSON.stringify({
          schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
          status: String(status),
          ...(scimType ? { scimType } : {}),
          detail,
        }),
      );
  }
}

/** scimmy's list parameters from the query string (numbers where SCIM wants numbers). */
function listParams(query: Record<string, unknown>): ResourceConfig {
  const params: ResourceConfig = resourceParams(query);
  for (const key of ['filter', 'sortBy', 'sortOrder'] as const) {
    if (typeof query[key] === 'string') params[key] = query[key];
  }
  for (const key of ['startIndex', 'count'] as const) {
    if (query[key] === undefined) continue;
    const n = Number(query[key]);
    if (!Number.isInteger(n)) throw scimError(400, 'invalidValue', `${key} must be an integer`);
    // RFC 7644 §3.4.2.4: below 1 means 1, a negative count means 0; at most maxResults at once.
    params[key] = key === 'startIndex' ? Math.max(n, 1) : Math.min(Math.max(n, 0), 200);
  }
  return params;
}

function resourceParams(query: Record<string, unknown>): ResourceConfig {
  const params: ResourceConfig = {};
  for (const key of ['attributes', 'excludedAttributes'] as const) {
    if (typeof query[key] === 'string') params[key] = query[key];
  }
  return params;
}

type ScimQuery = Record<string, unknown>;
type ScimBody = Record<string, unknown>;

@Public()
@UseGuards(ScimAuthGuard)
@UseFilters(ScimErrorFilter)
@ApiExcludeController()
@Controller(SCIM_BASE.slice(1))
export class ScimController {
  constructor(@Inject(ScimDirectory) private readonly directory: ScimDirectory) {}

  private get ctx() {
    return this.directory.context;
  }

  @Get('ServiceProviderConfig')
  serviceProviderConfig(@Query() q: ScimQuery) {
    return new SCIMMY.Resources.ServiceProviderConfig(undefined, resourceParams(q)).read();
  }

  @Get('ResourceTypes')
  resourceTypes(@Query() q: ScimQuery) {
    return new SCIMMY.Resources.ResourceType(undefined, resourceParams(q)).read();
  }

  @Get('ResourceTypes/:id')
  resourceType(@Param('id') id: string, @Query() q: ScimQuery) {
    return new SCIMMY.Resources.ResourceType(id, resourceParams(q)).read();
  }

  @Get('Schemas')
  schemas(@Query() q: ScimQuery) {
    return new SCIMMY.Resources.Schema(undefined, resourceParams(q)).read();
  }

  @Get('Schemas/:id')
  schema(@Param('id') id: string, @Query() q: ScimQuery) {
    return new SCIMMY.Resources.Schema(id, resourceParams(q)).read();
  }

  @Get('Users')
  listUsers(@Query() q: ScimQuery) {
    return new SCIMMY.Resources.User(undefined, listParams(q)).read(this.ctx);
  }

  @Get('Users/:id')
  getUser(@Param('id') id: string, @Query() q: ScimQuery) {
    return new SCIMMY.Resources.User(id, resourceParams(q)).read(this.ctx);
  }

  @Post('Users')
  @HttpCode(201)
  @Audited('user.create', '')
  createUser(@Body() body: ScimBody, @Query() q: ScimQuery) {
    return new SCIMMY.Resources.User(undefined, resourceParams(q)).write(body, this.ctx);
  }

  @Put('Users/:id')
  @Audited('user.replace', 'id')
  replaceUser(@Param('id') id: string, @Body() body: ScimBody, @Query() q: ScimQuery) {
    return new SCIMMY.Resources.User(id, resourceParams(q)).write(body, this.ctx);
  }

  @Patch('Users/:id')
  @Audited('user.patch', 'id')
  async patchUser(
    @Param('id') id: string,
    @Body() body: ScimBody,
    @Query() q: ScimQuery,
    @Res({ passthrough: true }) res: Response,
  ) {
    // The current resource tells which filtered paths match nothing yet (an unknown id stays scimmy's 404).
    const message = normalizePatch(body, await this.directory.currentUser(id));
    const patched = await new SCIMMY.Resources.User(id, resourceParams(q)).patch(message, this.ctx);
    if (!patched) res.status(204);
    return patched;
  }

  @Delete('Users/:id')
  @HttpCode(204)
  @Audited('user.delete', 'id')
  async deleteUser(@Param('id') id: string): Promise<void> {
    await new SCIMMY.Resources.User(id).dispose(this.ctx);
  }

  @Get('Groups')
  listGroups(@Query() q: ScimQuery) {
    return new SCIMMY.Resources.Group(undefined, listParams(q)).read(this.ctx);
  }

  @Get('Groups/:id')
  getGroup(@Param('id') id: string, @Query() q: ScimQuery) {
    return new SCIMMY.Resources.Group(id, resourceParams(q)).read(this.ctx);
  }

  @Post('Groups')
  @HttpCode(201)
  @Audited('group.create', '')
  createGroup(@Body() body: ScimBody, @Query() q: ScimQuery) {
    return new SCIMMY.Resources.Group(undefined, resourceParams(q)).write(body, this.ctx);
  }

  @Put('Groups/:id')
  @Audited('group.replace', 'id')
  replaceGroup(@Param('id') id: string, @Body() body: ScimBody, @Query() q: ScimQuery) {
    return new SCIMMY.Resources.Group(id, resourceParams(q)).write(body, this.ctx);
  }

  @Patch('Groups/:id')
  @Audited('group.patch', 'id')
  async patchGroup(
    @Param('id') id: string,
    @Body() body: ScimBody,
    @Query() q: ScimQuery,
    @Res({ passthrough: true }) res: Response,
  ) {
    // Read before scimmy applies the operations: only the members they add or remove are written.
    const baseMembers = (await this.directory.currentMembers(id)) ?? undefined;
    const patched = await new SCIMMY.Resources.Group(id, resourceParams(q)).patch(normalizePatch(body), {
      ...this.ctx,
      baseMembers,
    });
    if (!patched) res.status(204);
    return patched;
  }

  @Delete('Groups/:id')
  @HttpCode(204)
  @Audited('group.delete', 'id')
  async deleteGroup(@Param('id') id: string): Promise<void> {
    await new SCIMMY.Resources.Group(id).dispose(this.ctx);
  }
}

export class ScimTokenResponse {
  @ApiProperty({ description: 'The bearer token for the identity provider’s SCIM connection. Shown only this once.' })
  token!: string;
}

@ApiTags('directory')
@ApiBearerAuth()
@Controller('admin/scim-token')
export class ScimTokenController {
  constructor(@Inject(STORE) private readonly store: Store) {}

  @Post()
  @AdminOnly()
  @Audited('scim.token', '')
  @ApiOperation({
    summary: 'Issue the SCIM bearer token',
    description:
      'A fresh token for /scim/v2, returned only in this answer; Gatehouse keeps its SHA-256. The token issued before stops working (SCIM_TOKEN, if set, keeps working).',
  })
  @ApiCreatedResponse({ type: ScimTokenResponse })
  async issue(): Promise<ScimTokenResponse> {
    const token = `scim_${randomBytes(32).toString('base64url')}`;
    await this.store.directory.replaceScimToken(sha256(token).toString('hex'));
    return { token };
  }
}
