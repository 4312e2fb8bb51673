/**
 * The configuration file (gatehouse.yaml): reading it, validating it against the published JSON Schema
 * (cli/schema/gatehouse.schema.json) before anything else, writing it, and recording new revisions in it
 * after an apply without losing the comments people wrote.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { Document, isMap, isSeq, parseDocument, type YAMLMap } from 'yaml';
import { CliError } from './errors';

export interface AppConfig {
  id: string;
  revision?: number;
  name: string;
  connector: { type: string; config: Record<string, string | number | boolean> };
  entitlements: Record<string, unknown>[];
  licenses?: Record<string, unknown>[];
  policy: Record<string, unknown>;
}

export type PolicyConfig = { id: string; revision?: number } & Record<string, unknown>;

export interface WebhookConfig {
  id?: string;
  url: string;
  events: string[];
  description?: string | null;
  enabled?: boolean;
  secretEnv?: string;
}

export interface ConfigFile {
  version: 1;
  apps?: AppConfig[];
  policies?: PolicyConfig[];
  webhooks?: WebhookConfig[];
}

export const SCHEMA_PATH = path.join(__dirname, '..', 'schema', 'gatehouse.schema.json');

let validator: ReturnType<Ajv['compile']> | undefined;
function validate(value: unknown): string[] {
  if (!validator) {
    const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as object;
    validator = new Ajv({ allErrors: true, allowUnionTypes: true }).compile(schema);
  }
  if (validator(value)) return [];
  return (validator.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
}

/** Parses and validates a configuration; every problem is listed, with its path in the file. */
export function parseConfig(text: string, source: string): { config: ConfigFile; doc: Document } {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length)
    throw new CliError('INVALID_CONFIG', `${source}: ${doc.errors.map((e) => e.message).join('\n')}`);
  const value = doc.toJS() as unknown;
  const problems = validate(value);
  if (problems.length)
    throw new CliError('INVALID_CONFIG', `${source} does not match the schema:\n  ${problems.join('\n  ')}`);
  const config = value as ConfigFile;
  const duplicates = (ids: (string | undefined)[], what: string) => {
    const seen = new Set<string>();
    for (const id of ids) {
      if (id && seen.has(id)) throw new CliError('INVALID_CONFIG', `${source}: ${what} "${id}" appears twice`);
      if (id) seen.add(id);
    }
  };
  duplicates(
    (config.apps ?? []).map((a) => a.id),
    'app',
  );
  duplicates(
    (config.policies ?? []).map((p) => p.id),
    'policy',
  );
  duplicates(
    (config.webhooks ?? []).map((w) => w.id),
    'webhook',
  );
  return { config, doc };
}

export function readConfig(file: string): { config: ConfigFile; doc: Document } {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new CliError('INVALID_CONFIG', `Cannot read ${file}: ${(err as Error).message}`);
  }
  return parseConfig(text, file === '-' ? 'stdin' : file);
}

export function renderConfig(config: ConfigFile, schemaRef: string): string {
  const doc = new Document(config);
  return `# yaml-language-server: $schema=${schemaRef}\n` + doc.toString({ lineWidth: 120 });
}

/** Records the server's new revisions in the file's document (apps and policies by id), comments kept. */
export function recordRevisions(
  doc: Document,
  revisions: { apps: Map<string, number>; policies: Map<string, number>; webhookIds: Map<number, string> },
): void {
  const hooks = doc.get('webhooks');
  if (isSeq(hooks))
    hooks.items.forEach((item, i) => {
      const id = revisions.webhookIds.get(i);
      if (id && isMap(item)) (item as YAMLMap).set('id', id);
    });
  for (const [key, byId] of [
    ['apps', revisions.apps],
    ['policies', revisions.policies],
  ] as const) {
    const list = doc.get(key);
    if (!isSeq(list)) continue;
    for (const item of list.items) {
      if (!isMap(item)) continue;
      const id = (item as YAMLMap).get('id');
      if (typeof id === 'string' && byId.has(id)) (item as YAMLMap).set('revision', byId.get(id));
    }
  }
}

export function writeDocument(file: string, doc: Document): void {
  writeFileSync(file, doc.toString({ lineWidth: 120 }));
}
