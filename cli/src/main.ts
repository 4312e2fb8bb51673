/** The `gatehouse` command line (docs/cli.md). */
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Command, Option } from 'commander';
import { Api } from './api';
import { applyPlan, describeStale } from './apply';
import { recordRevisions, readConfig, renderConfig, SCHEMA_PATH, writeDocument } from './config-file';
import { credentialsFile, removeCredentials, resolveCredentials, saveCredentials } from './credentials';
import { CliError, EXIT } from './errors';
import { makeOutput, paint, type Output } from './output';
import { currentCredentials, deviceLogin, ssoConfig, type DeviceCode } from './oidc';
import { exportConfig, fetchState, makePlan, type Change, type Plan } from './plan';
import * as t from './tickets';
import type { Me } from './types';
import { writeFileSync } from 'node:fs';

interface JsonOption {
  json?: boolean;
}

/** Runs a command's action: its exit code, or the error's code on stderr and a non-zero exit. */
function action<A extends unknown[]>(
  run: (o: Output, api: Api, ...args: A) => Promise<number | void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const command = args[args.length - 1] as Command;
    const o = makeOutput(Boolean((command.opts() as JsonOption).json));
    try {
      const code = await run(o, new Api(await currentCredentials((line) => o.err(line))), ...args);
      process.exitCode = typeof code === 'number' ? code : EXIT.OK;
    } catch (err) {
      const e = err instanceof CliError ? err : new CliError('ERROR', err instanceof Error ? err.message : String(err));
      if (o.json) o.err(JSON.stringify({ error: { code: e.code, message: e.message, status: e.status ?? null } }));
      else o.err(`gatehouse: ${paint(o, 'red', e.code)}: ${e.message}`);
      process.exitCode = e.exitCode;
    }
  };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

async function promptToken(): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  process.stderr.write('Paste your token (input hidden): ');
  // Hide what is typed: the token is a password.
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => undefined;
  const token = await new Promise<string>((resolve) => rl.question('', resolve));
  rl.close();
  process.stderr.write('\n');
  return token.trim();
}

function symbol(o: Output, c: Change): string {
  return c.action === 'add'
    ? paint(o, 'green', '+')
    : c.action === 'remove'
      ? paint(o, 'red', '-')
      : paint(o, 'yellow', '~');
}

export function renderPlan(o: Output, plan: Plan): string {
  const lines: string[] = [];
  const count = (a: Change['action']) => plan.changes.filter((c) => c.action === a && c.kind !== 'entitlement').length;
  if (plan.stale.length)
    lines.push(
      paint(o, 'red', 'The server changed since this file recorded it (apply refuses until the file is current):'),
      describeStale(plan.stale),
      '',
    );
  if (!plan.changes.length) lines.push('No changes: the server matches the file.');
  else lines.push(`Plan: ${count('add')} to add, ${count('change')} to change, ${count('remove')} to remove.`);
  for (const c of plan.changes) {
    const fields = c.fields?.length ? ` (${c.fields.join(', ')})` : '';
    const grants =
      plan.activeGrants[c.id] && c.kind === 'app'
        ? `  [${plan.activeGrants[c.id]} active grant(s): --force-revoke revokes them]`
        : '';
    const indent = c.kind === 'entitlement' ? '      ' : '  ';
    lines.push(`${indent}${symbol(o, c)} ${c.kind} ${c.app ? `${c.app}/` : ''}${c.id}${fields}${grants}`);
  }
  const impacted = Object.entries(plan.impact).filter(([, i]) => i.summary.length);
  if (impacted.length) lines.push('', 'Impact:');
  for (const [appId, impact] of impacted)
    lines.push(`  ${appId}:`, ...impact.summary.map((l) => `    ${'refused' in impact ? paint(o, 'red', l) : l}`));
  if (plan.unmanaged.length)
    lines.push(
      '',
      `On the server but not in the file (kept; --prune removes them): ${plan.unmanaged.map((u) => `${u.kind} ${u.id}`).join(', ')}`,
    );
  if (!plan.policiesSupported)
    lines.push('', paint(o, 'dim', 'This server has no policies endpoint: policies are not managed.'));
  return lines.join('\n');
}

function deviceCodeText(o: Output, code: DeviceCode): string {
  const minutes = Math.round(code.expiresInSeconds / 60);
  return [
    `To sign in, open ${paint(o, 'bold', code.verificationUri)} and enter the code ${paint(o, 'bold', code.userCode)}`,
    ...(code.verificationUriComplete ? [`  (or open ${code.verificationUriComplete})`] : []),
    `Waiting for the sign-in in your browser (the code expires in ${minutes} minute${minutes === 1 ? '' : 's'})…`,
  ].join('\n');
}

const webhookSecretEnv = (id: string) => `GATEHOUSE_WEBHOOK_${id.replace(/^wh_/, '').toUpperCase()}_SECRET`;

export function program(): Command {
  const cli = new Command('gatehouse')
    .description('Gatehouse access requests, approvals and configuration as code, over its HTTP API.')
    .showHelpAfterError()
    .addHelpText(
      'after',
      '\nServer and token: GATEHOUSE_URL and GATEHOUSE_TOKEN, else what `gatehouse login` stored.\nExit codes: 0 done, 1 failed (the error code is on stderr), 2 rejected or cancelled, 3 timed out (request --wait).',
    );
  const json = new Option('--json', 'machine-readable output');
  const command = (name: string, description: string) => cli.command(name).description(description).addOption(json);

  command(
    'login',
    'sign in with your identity provider (device flow), or store a token given on stdin or pasted; kept in your config directory',
  )
    .option('--url <url>', 'the gateway (default: GATEHOUSE_URL, the stored one, or http://localhost:3000)')
    .option('--paste', 'paste a token instead of signing in through the browser')
    .action(
      action(async (o, _api, opts: { url?: string; paste?: boolean }) => {
        const current = resolveCredentials();
        const url = (opts.url ?? current.url).replace(/\/+$/, '');
        // A token on stdin (a pipe) or pasted wins; otherwise the device flow at the gateway's provider.
        const given = !process.stdin.isTTY ? await readStdin() : opts.paste ? await promptToken() : '';
        if (opts.paste && !given) throw new CliError('VALIDATION_FAILED', 'No token given.');
        const login = given
          ? { accessToken: given }
          : await deviceLogin(await ssoConfig(url), (code) => o.err(deviceCodeText(o, code)));
        const token = login.accessToken;
        const me = await new Api({ url, token }).get<Me>('/me');
        const file = saveCredentials({ url, token, ...(login.renewal ? { renewal: login.renewal } : {}) });
        if (o.json) return o.out(JSON.stringify({ user: me, url, file }));
        o.out(`Signed in to ${url} as ${me.id}. Token stored in ${file}.`);
        if (process.env.GATEHOUSE_TOKEN) o.err('Note: GATEHOUSE_TOKEN is set and is used before the stored token.');
      }),
    );

  command('logout', 'forget the stored token').action(
    action(async (o) => {
      const removed = removeCredentials();
      if (o.json) return o.out(JSON.stringify({ removed, file: credentialsFile() }));
      o.out(removed ? `Removed ${credentialsFile()}.` : 'No stored token.');
    }),
  );

  command('whoami', 'who the token belongs to (GET /me)').action(action((o, api) => t.whoami(api, o)));

  command('request', 'ask for access to entitlements of an app')
    .argument('<app>', 'the app id')
    .argument('<entitlement...>', 'entitlement ids')
    .option('--for <duration>', 'how long: 30m, 4h, 2d, or "indefinite"')
    .option('--start <when>', 'start later: an ISO time or a duration from now')
    .option('--reason <text>', 'why you need it')
    .option('--on-behalf-of <user>', 'for another user (admins)')
    .option(
      '--field <key=value>',
      'a field the entitlement asks for (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .option('--wait', 'wait until the access is active (exit 0), rejected or cancelled (2), or --timeout (3)')
    .option('--timeout <duration>', 'how long --wait waits', '10m')
    .action(
      action((o, api, app: string, entitlements: string[], opts: t.RequestOptions) =>
        t.request(api, o, app, entitlements, opts),
      ),
    );

  command('tickets', 'your tickets, newest first')
    .option('--open', 'pending ones only')
    .option('--all', 'every ticket you may see, not only those you raised')
    .action(action((o, api, opts: { open?: boolean; all?: boolean }) => t.tickets(api, o, opts)));

  command('show', 'one ticket')
    .argument('<ticket>')
    .action(action((o, api, id: string) => t.show(api, o, id)));

  command('access', 'the access you hold, and until when').action(action((o, api) => t.access(api, o)));

  command('extend', 'ask for active access to last longer')
    .argument('<ticket>', 'the ticket that granted it')
    .option('--for <duration>', 'this much longer than it ends now')
    .option('--until <when>', 'a new end: an ISO time or a duration from now')
    .option('--reason <text>', 'why (required)')
    .action(
      action((o, api, id: string, opts: { for?: string; until?: string; reason?: string }) =>
        t.extend(api, o, id, opts),
      ),
    );

  command('relinquish', 'give up access you no longer need')
    .argument('<ticket>', 'the ticket that granted it')
    .option('--comment <text>')
    .action(action((o, api, id: string, opts: { comment?: string }) => t.relinquish(api, o, id, opts)));

  command('approve', 'approve a ticket awaiting you')
    .argument('<ticket>')
    .option('--until <when>', 'approve a shorter access: an ISO end, or a duration from its start')
    .option('--comment <text>')
    .action(action((o, api, id: string, opts: { until?: string; comment?: string }) => t.approve(api, o, id, opts)));

  command('reject', 'reject a ticket awaiting you')
    .argument('<ticket>')
    .requiredOption('--comment <text>', 'why (shown to the requester)')
    .action(action((o, api, id: string, opts: { comment: string }) => t.reject(api, o, id, opts)));

  command('inbox', 'tickets awaiting your decision').action(action((o, api) => t.inbox(api, o)));

  command('export', "write the server's apps, policies and webhooks as a configuration file (YAML)")
    .option('-o, --output <file>', 'write here instead of stdout')
    .option('--schema <ref>', 'the $schema reference written at the top (default: the installed schema file)')
    .action(
      action(async (o, api, opts: { output?: string; schema?: string }) => {
        const config = exportConfig(await fetchState(api), webhookSecretEnv);
        const text = o.json
          ? JSON.stringify(config, null, 2) + '\n'
          : renderConfig(
              config,
              opts.schema ?? path.relative(path.dirname(path.resolve(opts.output ?? '.')), SCHEMA_PATH),
            );
        if (opts.output) writeFileSync(opts.output, text);
        else process.stdout.write(text);
      }),
    );

  command('plan', 'show what apply would change on the server to match the file')
    .requiredOption('-f, --file <file>', 'the configuration file (- for stdin)')
    .option('--prune', 'also remove what the file no longer lists')
    .action(
      action(async (o, api, opts: { file: string; prune?: boolean }) => {
        const { config } = readConfig(opts.file);
        const plan = await makePlan(api, config, await fetchState(api), Boolean(opts.prune));
        o.out(o.json ? JSON.stringify(plan) : renderPlan(o, plan));
      }),
    );

  command('apply', 'change the server to match the file; refused when the server changed since the file recorded it')
    .requiredOption('-f, --file <file>', 'the configuration file (- for stdin)')
    .option('--prune', 'also remove what the file no longer lists (DELETE /apps/:id, ...)')
    .option('--force-revoke', 'with --prune: revoke access held in removed apps first, instead of refusing')
    .option('--no-record', 'do not write the new revisions (and new webhook ids) back into the file')
    .action(
      action(async (o, api, opts: { file: string; prune?: boolean; forceRevoke?: boolean; record: boolean }) => {
        const { config, doc } = readConfig(opts.file);
        const plan = await makePlan(api, config, await fetchState(api), Boolean(opts.prune));
        if (!o.json) o.out(renderPlan(o, plan));
        const result = await applyPlan(api, config, plan, {
          forceRevoke: opts.forceRevoke,
          log: (line) => (o.json ? undefined : o.out(line)),
        });
        for (const s of result.secrets)
          o.err(
            `Signing secret of webhook ${s.id} (shown once; keep it in your receiver): ${s.secretEnv ?? webhookSecretEnv(s.id)}=${s.secret}`,
          );
        const changed = result.apps.size + result.policies.size + result.webhookIds.size;
        if (opts.record && opts.file !== '-' && changed) {
          recordRevisions(doc, result);
          writeDocument(opts.file, doc);
          if (!o.json) o.out(`Recorded the new revisions in ${opts.file}.`);
        }
        if (o.json)
          o.out(
            JSON.stringify({
              plan,
              applied: result.done,
              revisions: { apps: Object.fromEntries(result.apps), policies: Object.fromEntries(result.policies) },
              webhooks: [...result.webhookIds.values()],
            }),
          );
        else if (!plan.changes.length) o.out('Nothing to apply.');
      }),
    );

  return cli;
}

export async function run(argv: string[]): Promise<void> {
  await program().parseAsync(argv);
}
