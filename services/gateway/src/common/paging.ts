// The two query parameters every paged list shares: `limit` (a page's size) and `cursor` (the previous
// page's `nextCursor`). One definition, so each list validates and documents them alike.
import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

/** `limit`: an integer from 1 to `max`, `byDefault` when absent (the handler applies the default). */
export function PageLimit(max: number, byDefault: number) {
  return applyDecorators(
    ApiPropertyOptional({ minimum: 1, maximum: max, default: byDefault }),
    IsOptional(),
    Type(() => Number),
    IsInt(),
    Min(1),
    Max(max),
  );
}

/**
 * `cursor`: opaque to clients, but each list knows the shape of its own, so anything else is a 400 before it
 * reaches a query.
 */
export function PageCursor(shape: RegExp, maxLength = 600) {
  return applyDecorators(
    ApiPropertyOptional({ description: 'nextCursor of the previous page' }),
    IsOptional(),
    IsString(),
    MaxLength(maxLength),
    Matches(shape, { message: 'cursor: the nextCursor of a previous page' }),
  );
}
