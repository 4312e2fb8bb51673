// `npm run token -- <user> [--roles a,b] [--groups x,y] [--ttl seconds]`: a bearer token for a demo user
// (or any id), signed with AUTH_JWT_SECRET (default: the dev-only secret).
import { DEV_JWT_SECRET } from '@gatehouse/gateway';
import { DEMO_USERS } from './demo-seed';
import { mintToken } from './tokens';

async function main(): Promise<void> {
  const [sub, ...rest] = process.argv.slice(2);
  if (!sub) {
    console.error(
      `usage: npm run token -- <user> [--roles a,b] [--groups x,y] [--ttl seconds]\n demo users: ${Object.keys(DEMO_USERS).join(', ')}`,
    );
    process.exit(2);
  }
  const flag = (name: string) => {
    const i = rest.indexOf(`--${name}`);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  const demo = (DEMO_USERS as Record<string, { sub: string; roles: string[]; groups: string[] }>)[sub];
  const claims = {
    ...(demo ?? { sub, roles: [], groups: [] }),
    ...(flag('roles') !== undefined ? { roles: flag('roles')!.split(',').filter(Boolean) } : {}),
    ...(flag('groups') !== undefined ? { groups: flag('groups')!.split(',').filter(Boolean) } : {}),
  };
  console.log(await mintToken(process.env.AUTH_JWT_SECRET || DEV_JWT_SECRET, claims, Number(flag('ttl') ?? 12 * 3600)));
}

void main();
