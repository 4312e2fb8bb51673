import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Actor } from '@gatehouse/domain';

export const IS_PUBLIC = 'gatehouse:public';
/** Marks a route that needs no bearer token (health, docs). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** The verified caller, set by the auth guard. */
export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => {
  return ctx.switchToHttp().getRequest<{ actor: Actor }>().actor;
});

export const ADMIN_ONLY = 'gatehouse:admin-only';
/** Marks a route only admins may call; checked by the auth guard before the body is even validated. */
export const AdminOnly = () => SetMetadata(ADMIN_ONLY, true);
