import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { isAdmin, type Actor } from '@gatehouse/domain';
import { GatehouseError } from '../common/errors';
import { DirectoryService } from '../directory/directory.service';
import { ADMIN_ONLY, IS_PUBLIC } from './actor';
import { TokenVerifier } from './token-verifier';
import { verifiedCaller } from './verified-caller';

@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(TokenVerifier) private readonly verifier: TokenVerifier,
    @Inject(DirectoryService) private readonly directory: DirectoryService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<Request & { actor?: Actor }>();
    const caller = await verifiedCaller(request, this.verifier);
    if ('refused' in caller) throw caller.refused;
    // The directory completes (or refuses) the caller: one lookup per request, cached across requests.
    request.actor = await this.directory.complete(caller.actor);
    const adminOnly = this.reflector.getAllAndOverride<boolean>(ADMIN_ONLY, [context.getHandler(), context.getClass()]);
    if (adminOnly && !isAdmin(request.actor)) throw new GatehouseError('FORBIDDEN', 'This needs the admin role.');
    return true;
  }
}
