import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ApiRateLimited } from '../common/api-responses';
import type { GatewayConfig } from '../config';
import { GATEWAY_CONFIG } from '../tokens';
import { Public } from './actor';

export class OidcConfigResponse {
  @ApiProperty({ example: 'https://login.example.com/realms/corp', description: 'The OpenID provider (its `iss`).' })
  issuer!: string;
  @ApiProperty({
    example: 'gatehouse-dashboard',
    description: 'The public client (PKCE, no secret) the dashboard signs in as.',
  })
  clientId!: string;
  @ApiProperty({
    example: 'openid profile email groups',
    description: 'Space-separated scopes the dashboard asks for.',
  })
  scopes!: string;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'api://gatehouse',
    description: 'The `aud` the gateway expects in the provider’s access tokens; null when not checked.',
  })
  audience!: string | null;
  @ApiPropertyOptional({
    example: 'gatehouse-cli',
    description:
      'The public client (no secret) `gatehouse login` signs in as with the device flow (RFC 8628); absent: the CLI uses `clientId`.',
  })
  cliClientId?: string;
}

export class AuthConfigResponse {
  @ApiProperty({
    type: OidcConfigResponse,
    nullable: true,
    description: 'Single sign-on with OpenID Connect; null when the gateway offers none (tokens are then pasted).',
  })
  oidc!: OidcConfigResponse | null;
}

/** How the dashboard and the CLI sign in: public, before anyone has a token. Never carries a secret. */
@ApiTags('identity')
@ApiRateLimited()
@Controller('auth')
export class AuthConfigController {
  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

  @Get('config')
  @Public()
  @ApiOkResponse({ type: AuthConfigResponse })
  authConfig(): AuthConfigResponse {
    const oidc = this.config.oidc;
    return {
      oidc: oidc
        ? {
            issuer: oidc.issuer,
            clientId: oidc.clientId,
            scopes: oidc.scopes,
            audience: oidc.audience,
            ...(oidc.cliClientId ? { cliClientId: oidc.cliClientId } : {}),
          }
        : null,
    };
  }
}
