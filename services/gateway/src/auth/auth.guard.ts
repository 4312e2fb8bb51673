import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { isAdmin, type Actor } from '@gatehouse/domain';
import { GatehouseError } from '../common/errors';
import { ADMIN_ONLY, IS_PUBLIC } from './actor';
import { TokenVerifier } from './token-verifier';

@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(TokenVerifier) private readonly verifier: TokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<Request & { actor?: Actor }>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9_\-.]+)$/i.exec(header) : null;
    if (!match) throw new GatehouseError('UNAUTHENTICATED', 'an "Authorization: Bearer <token>" header is required');
    request.actor = await this.verifier.verify(match[1]);
    const adminOnly = this.reflector.getAllAndOverride<boolean>(ADMIN_ONLY, [context.getHandler(), context.getClass()]);
    if (adminOnly && !isAdmin(request.actor)) throw new GatehouseError('FORBIDDEN', 'This needs the admin role.');
    return true;
  }
}
