import {
  Controller,
  Get,
  Inject,
  Injectable,
  Logger,
  Query,
  SetMetadata,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiBearerAuth, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import type { Request, Response } from 'express';
import { concatMap, type Observable } from 'rxjs';
import type { Actor } from '@gatehouse/domain';
import { Store, type AuditEntry } from '@gatehouse/store';
import { AdminOnly } from '../auth/actor';
import { ID_PATTERN } from '../common/ids';
import { STORE } from '../tokens';

const AUDITED = 'gatehouse:audited';
/** Marks a route whose successful calls are appended to the audit log as `action`, acting on `:param`. */
export const Audited = (action: string, targetParam: string) => SetMetadata(AUDITED, { action, targetParam });

/** Body fields safe to keep: human comments and the few facts an auditor needs. Never whole bodies. */
const SAFE_FIELDS = ['comment', 'reason', 'end', 'onBehalfOf', 'appId', 'userId', 'entitlementId'] as const;

@Injectable()
export class AuditInterceptor implements NestInterceptor {
  private readonly logger = new Logger('audit');

  constructor(
    private readonly reflector: Reflector,
    @Inject(STORE) private readonly store: Store,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const meta = this.reflector.get<{ action: string; targetParam: string } | undefined>(AUDITED, context.getHandler());
    if (!meta) return next.handle();
    const req = context.switchToHttp().getRequest<Request & { actor?: Actor; id?: string }>();
    const res = context.switchToHttp().getResponse<Response>();
    // The entry is written before the response leaves, so a success the caller saw is in the log.
    return next.handle().pipe(
      concatMap(async (result: unknown) => {
        try {
          const body = (req.body ?? {}) as Record<string, unknown>;
          const details: AuditEntry['details'] = {};
          for (const key of SAFE_FIELDS) {
            const v = body[key];
            if (typeof v === 'string') details[key] = v.slice(0, 500);
          }
          const id = (result as { id?: unknown } | null)?.id;
          if (typeof id === 'string') details.resultId = id;
          const status = (result as { status?: unknown } | null)?.status;
          if (typeof status === 'string') details.resultStatus = status;
          await this.store.audit.append({
            at: new Date().toISOString(),
            actor: req.actor?.id ?? 'anonymous',
            action: meta.action,
            target: meta.targetParam ? String(req.params[meta.targetParam] ?? '') : String(details.resultId ?? ''),
            status: res.statusCode,
            requestId: req.id ?? '',
            details,
          });
        } catch (err) {
          // The decision itself stands (it is in Temporal); say loudly that its audit entry is missing.
          this.logger.error(
            `audit entry for ${meta.action} by ${req.actor?.id} (request ${req.id}) could not be written: ${String(err)}`,
          );
        }
        return result;
      }),
    );
  }
}

export class AuditQuery {
  @ApiPropertyOptional() @IsOptional() @IsString() @Matches(ID_PATTERN) actor?: string;
  @ApiPropertyOptional({ description: 'a ticket, app or user id' })
  @IsOptional()
  @IsString()
  @Matches(ID_PATTERN)
  target?: string;
  @ApiPropertyOptional({ example: 'ticket.approve' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z]+\.[a-z]+$/)
  action?: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(40)
  @Matches(/^[0-9]{15}-[a-z0-9]{1,10}$/)
  cursor?: string;
}

@ApiTags('operations')
@ApiBearerAuth()
@Controller('audit')
export class AuditController {
  constructor(@Inject(STORE) private readonly store: Store) {}

  @Get()
  @AdminOnly()
  list(@Query() q: AuditQuery) {
    return this.store.audit.list({
      actor: q.actor,
      target: q.target,
      action: q.action,
      limit: q.limit ?? 100,
      cursor: q.cursor,
    });
  }
}
