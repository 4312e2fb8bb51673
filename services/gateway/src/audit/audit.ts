import {
  Controller,
  Get,
  Inject,
  Injectable,
  Logger,
  Query,
  Req,
  Res,
  SetMetadata,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import { IsIn, IsISO8601, IsOptional, IsString, Matches } from 'class-validator';
import type { Request, Response } from 'express';
import { concatMap, type Observable } from 'rxjs';
import type { Actor } from '@gatehouse/domain';
import { Store, type AuditEntry, type AuditFilter } from '@gatehouse/store';
import { AdminOnly, CurrentActor } from '../auth/actor';
import { ID_PATTERN } from '../common/ids';
import { STORE } from '../tokens';
import { PageCursor, PageLimit } from '../common/paging';

const AUDITED = 'gatehouse:audited';
/** Marks a route whose successful calls are appended to the audit log as `action`, acting on `:param`. */
export const Audited = (action: string, targetParam: string) => SetMetadata(AUDITED, { action, targetParam });

/** Body fields safe to keep: human comments and the few facts an auditor needs. Never whole bodies. */
const SAFE_FIELDS = ['comment', 'reason', 'end', 'onBehalfOf', 'appId', 'userId', 'entitlementId'] as const;

/** Writes an audited request's entry for this result and status code, once (later calls return the first write). */
export type AuditWrite = (result: unknown, status: number) => Promise<void>;
const EARLY_WRITE = Symbol('audit-write');

/**
 * The audit entry writer of an audited request (undefined on other routes), for a handler to write its entry
 * alongside its own last write rather than after it: one round trip less before the response. The entry must
 * describe what the response will: its result's `id` and `status`, and the status code. The interceptor
 * then waits for that write instead of making its own.
 */
export function auditWriteOf(req: Request): AuditWrite | undefined {
  return (req as Request & { [EARLY_WRITE]?: AuditWrite })[EARLY_WRITE];
}

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
    const req = context
      .switchToHttp()
      .getRequest<Request & { actor?: Actor; id?: string; [EARLY_WRITE]?: AuditWrite }>();
    const res = context.switchToHttp().getResponse<Response>();
    let written: Promise<void> | null = null;
    const write: AuditWrite = (result, status) => (written ??= this.write(meta, req, result, status));
    req[EARLY_WRITE] = write;
    // The entry is written before the response leaves, so a success the caller saw is in the log.
    return next.handle().pipe(
      concatMap(async (result: unknown) => {
        await write(result, res.statusCode);
        return result;
      }),
    );
  }

  private async write(
    meta: { action: string; targetParam: string },
    req: Request & { actor?: Actor; id?: string },
    result: unknown,
    statusCode: number,
  ): Promise<void> {
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
        status: statusCode,
        requestId: req.id ?? '',
        details,
      });
    } catch (err) {
      // The decision itself stands (it is in Temporal); say loudly that its audit entry is missing.
      this.logger.error(
        `audit entry for ${meta.action} by ${req.actor?.id} (request ${req.id}) could not be written: ${String(err)}`,
      );
    }
  }
}

/** What the audit log is searched by; the list and the export take the same. */
export class AuditFilterQuery {
  @ApiPropertyOptional() @IsOptional() @IsString() @Matches(ID_PATTERN) actor?: string;
  @ApiPropertyOptional({ description: 'a ticket, app, user or webhook id' })
  @IsOptional()
  @IsString()
  @Matches(ID_PATTERN)
  target?: string;
  @ApiPropertyOptional({ example: 'ticket.approve' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z]+\.[a-z]+$/)
  action?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'entries at or after this instant' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'entries before this instant' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}

export class AuditQuery extends AuditFilterQuery {
  @PageLimit(500, 100)
  limit?: number;
  @PageCursor(/^[0-9]{15}-[a-z0-9]{1,10}$/, 40)
  cursor?: string;
}

const EXPORT_FORMATS = {
  csv: { contentType: 'text/csv; charset=utf-8', extension: 'csv' },
  jsonl: { contentType: 'application/x-ndjson; charset=utf-8', extension: 'jsonl' },
} as const;
type ExportFormat = keyof typeof EXPORT_FORMATS;

export class AuditExportQuery extends AuditFilterQuery {
  @ApiProperty({ enum: Object.keys(EXPORT_FORMATS) })
  @IsIn(Object.keys(EXPORT_FORMATS))
  format!: ExportFormat;
}

const CSV_COLUMNS = ['id', 'at', 'actor', 'action', 'target', 'status', 'requestId', 'details'] as const;

/**
 * Entries as export lines. CSV cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab,
 * CR first) are prefixed with `'`: actors, targets and comments come from callers.
 */
export function exportLines(format: ExportFormat, entries: AuditEntry[], first: boolean): string {
  if (format === 'jsonl') return entries.map((e) => `${JSON.stringify(e)}\n`).join('');
  return stringifyCsv(
    entries.map((e) => [e.id, e.at, e.actor, e.action, e.target, e.status, e.requestId, JSON.stringify(e.details)]),
    {
      header: first,
      columns: [...CSV_COLUMNS],
      escape_formulas: true,
      record_delimiter: 'windows',
      // Without this, a cell with a lone \n or \r goes out unquoted once the record delimiter is set.
      quote_record_delimiter: true,
    },
  );
}

/** Resolves once `res` can take more, so a slow reader holds the export back instead of filling memory. */
function writeRespectingBackpressure(res: Response, chunk: string): Promise<void> {
  if (res.write(chunk)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      res.off('drain', done);
      res.off('close', done);
      if (err || res.destroyed) reject(err ?? new Error('client went away'));
      else resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

@ApiTags('operations')
@ApiBearerAuth()
@Controller('audit')
export class AuditController {
  private readonly logger = new Logger('audit');

  constructor(@Inject(STORE) private readonly store: Store) {}

  @Get()
  @AdminOnly()
  list(@Query() q: AuditQuery) {
    return this.store.audit.list({ ...filterOf(q), limit: q.limit ?? 100, cursor: q.cursor });
  }

  @Get('export')
  @AdminOnly()
  @ApiOperation({
    summary: 'Every entry matching the filters, newest first, as a CSV or JSON Lines download (admin); audited',
  })
  @ApiProduces(EXPORT_FORMATS.csv.contentType, EXPORT_FORMATS.jsonl.contentType)
  @ApiOkResponse({ schema: { type: 'string' }, description: 'an attachment, streamed' })
  async export(
    @CurrentActor() actor: Actor,
    @Req() req: Request & { id?: string },
    @Query() q: AuditExportQuery,
    @Res() res: Response,
  ): Promise<void> {
    const filter = filterOf(q);
    // Written first, so an export is on record even when the download breaks off.
    await this.store.audit.append({
      at: new Date().toISOString(),
      actor: actor.id,
      action: 'audit.export',
      target: '',
      status: 200,
      requestId: req.id ?? '',
      details: { format: q.format, ...filter },
    });
    const { contentType, extension } = EXPORT_FORMATS[q.format];
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    res.status(200);
    res.setHeader('content-type', contentType);
    res.setHeader('content-disposition', `attachment; filename="gatehouse-audit-${stamp}.${extension}"`);
    res.setHeader('cache-control', 'no-store');
    let first = true;
    try {
      for await (const entries of this.store.audit.all(filter)) {
        await writeRespectingBackpressure(res, exportLines(q.format, entries, first));
        first = false;
      }
      // An empty CSV export still names its columns.
      if (first && q.format === 'csv') res.write(exportLines('csv', [], true));
      res.end();
    } catch (err) {
      // The status line is gone already: cut the download short, so it cannot pass for a complete one.
      this.logger.error(`audit export for ${actor.id} (request ${req.id}) broke off: ${String(err)}`);
      res.destroy();
    }
  }
}

/** The filter fields only, without those left out (the details of an `audit.export` entry name them). */
function filterOf(q: AuditFilterQuery): AuditFilter {
  const filter: AuditFilter = {};
  for (const key of ['actor', 'target', 'action', 'from', 'to'] as const) if (q[key]) filter[key] = q[key];
  return filter;
}
