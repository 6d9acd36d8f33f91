// The compose checks that need no Docker engine: the file against the Compose Specification, and
// against what the workspace holds (entry points, config schemas, Dockerfile, README). Each check
// returns its problems as text, so a test can feed it a broken copy and see it complain.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import YAML from 'yaml';
import type { z } from 'zod';

export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
export const composePath = join(repoRoot, 'compose.yaml');

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: Array<string | { published?: string | number; target?: number; host_ip?: string }>;
  volumes?: Array<string | { type?: string; source?: string; target?: string }>;
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: string[] | string; disable?: boolean };
  restart?: string;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** YAML with merge keys (`<<: *anchor`) resolved, as compose resolves them. */
export function parseCompose(text: string): ComposeFile {
  return YAML.parse(text, { merge: true }) as ComposeFile;
}

export function loadCompose(): ComposeFile {
  return parseCompose(readFileSync(composePath, 'utf8'));
}

const require = createRequire(import.meta.url);

/** The Compose Specification schema bundled in dclint (not in its exports: found via its package.json). */
export function composeSchemaValidator() {
  const schemaPath = join(dirname(require.resolve('dclint/package.json')), 'schemas/compose.schema.json');
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;
  delete schema.$schema; // "https://json-schema.org/draft-07/schema" is not an id ajv knows
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
  return (doc: unknown): string[] => {
    if (validate(doc)) return [];
    return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
  };
}

/** The services built from this repo's Dockerfile (the Node services and the gateway). */
export function appServices(compose: ComposeFile): Array<[string, ComposeService]> {
  return Object.entries(compose.services).filter(([, service]) => service.build !== undefined && service.command !== undefined && commandEntry(service) !== undefined);
}

/** The TypeScript file a `node --import tsx <file>` command runs. */
export function commandEntry(service: ComposeService): string | undefined {
  const command = Array.isArray(service.command) ? service.command : (service.command ?? '').split(/\s+/);
  return command.find((part) => part.endsWith('.ts'));
}

export function environmentOf(service: ComposeService): Record<string, string> {
  const env: Record<string, string> = {};
  if (Array.isArray(service.environment)) {
    for (const entry of service.environment) {
      const eq = entry.indexOf('=');
      if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
  } else {
    for (const [key, value] of Object.entries(service.environment ?? {})) if (value !== null) env[key] = String(value);
  }
  return env;
}

/** Every app service runs a file that exists, and the Dockerfile copies the folder it lives in. */
export function checkEntryPoints(compose: ComposeFile, dockerfile: string, root = repoRoot): string[] {
  const problems: string[] = [];
  const copied = [...dockerfile.matchAll(/^COPY\s+(?!--from)(\S+)\s+\S+\s*$/gm)].map((m) => m[1]!.replace(/^\.\//, ''));
  for (const [name, service] of Object.entries(compose.services)) {
    if (service.build === undefined || service.command === undefined) continue;
    const entry = commandEntry(service);
    if (entry === undefined) continue; // a shell one-shot (data-init), not a service of ours
    if (!existsSync(join(root, entry))) problems.push(`${name}: command runs ${entry}, which does not exist`);
    const top = entry.split('/')[0]!;
    if (!copied.includes(top)) problems.push(`${name}: the Dockerfile does not COPY ${top}/ into the image`);
  }
  return problems;
}

/**
 * The variables a service must be given: those its zod schema rejects when absent (no default, not
 * optional). Then the whole environment compose sets must pass the schema, as at start-up.
 */
export function checkEnvironment(name: string, service: ComposeService, schema: z.ZodObject): string[] {
  const env = environmentOf(service);
  const problems: string[] = [];
  for (const [variable, field] of Object.entries(schema.shape)) {
    const required = !(field as z.ZodType).safeParse(undefined).success;
    if (required && !env[variable]?.trim()) problems.push(`${name}: ${variable} is required by its config schema but not set in compose.yaml`);
  }
  const input = Object.fromEntries(Object.keys(schema.shape).flatMap((key) => (env[key]?.trim() ? [[key, env[key]]] : [])));
  const parsed = schema.safeParse(input);
  if (!parsed.success) for (const issue of parsed.error.issues) problems.push(`${name}: ${String(issue.path[0])} is invalid: ${issue.message}`);
  return problems;
}

/** `service_healthy` needs a healthcheck, `service_completed_successfully` a one-shot service. */
export function checkDependencies(compose: ComposeFile): string[] {
  const problems: string[] = [];
  for (const [name, service] of Object.entries(compose.services)) {
    const dependsOn: Record<string, { condition?: string }> = Array.isArray(service.depends_on)
      ? Object.fromEntries(service.depends_on.map((dependency) => [dependency, {}]))
      : (service.depends_on ?? {});
    for (const [dependency, { condition }] of Object.entries(dependsOn)) {
      const target = compose.services[dependency];
      if (!target) {
        problems.push(`${name}: depends on "${dependency}", which is not a service`);
        continue;
      }
      if (condition === 'service_healthy' && (!target.healthcheck || target.healthcheck.disable)) problems.push(`${name}: waits for "${dependency}" to be healthy, but it has no healthcheck`);
      if (condition === 'service_completed_successfully' && target.restart !== 'no') problems.push(`${name}: waits for "${dependency}" to complete, but it restarts (${target.restart ?? 'default'})`);
    }
  }
  return problems;
}

/** Bind mounts of repo files (./infra/...) point at something that exists. */
export function checkBindSources(compose: ComposeFile, root = repoRoot): string[] {
  const problems: string[] = [];
  for (const [name, service] of Object.entries(compose.services)) {
    for (const volume of service.volumes ?? []) {
      const source = typeof volume === 'string' ? volume.split(':')[0]! : (volume.source ?? '');
      if (source.startsWith('./infra/') && !existsSync(join(root, source))) problems.push(`${name}: mounts ${source}, which does not exist`);
    }
  }
  return problems;
}

/** Every workspace manifest of the root package.json is copied by the Dockerfile (npm ci needs them all). */
export function checkDockerfileWorkspaces(dockerfile: string, root = repoRoot): string[] {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] };
  const problems: string[] = [];
  for (const pattern of manifest.workspaces) {
    const folders = pattern.endsWith('/*') ? listFolders(join(root, pattern.slice(0, -2))).map((f) => `${pattern.slice(0, -2)}/${f}`) : [pattern];
    for (const folder of folders) {
      if (!existsSync(join(root, folder, 'package.json'))) continue;
      if (!new RegExp(`^COPY ${escape(`${folder}/package.json`)} ${escape(`${folder}/`)}\\s*$`, 'm').test(dockerfile)) problems.push(`Dockerfile: no "COPY ${folder}/package.json ${folder}/" line`);
    }
  }
  return problems;
}

function listFolders(path: string): string[] {
  if (!existsSync(path)) return [];
  return readdirSync(path, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Host ports compose publishes, e.g. "8080" for "127.0.0.1:8080:8080". */
export function publishedPorts(compose: ComposeFile): Map<string, string> {
  const ports = new Map<string, string>();
  for (const [name, service] of Object.entries(compose.services)) {
    for (const port of service.ports ?? []) {
      const published = typeof port === 'string' ? port.split(':').at(-2) : port.published === undefined ? undefined : String(port.published);
      if (published) ports.set(published, name);
    }
  }
  return ports;
}

/** Host folders compose bind-mounts, e.g. "data/postgres" for "./data/postgres:/var/lib/…". */
export function hostFolders(compose: ComposeFile): Set<string> {
  const folders = new Set<string>();
  for (const service of Object.values(compose.services)) {
    for (const volume of service.volumes ?? []) {
      const source = typeof volume === 'string' ? volume.split(':')[0]! : (volume.source ?? '');
      if (source.startsWith('./data/')) folders.add(source.slice(2).replace(/\/+$/, ''));
    }
  }
  return folders;
}

/** The README's text between `<!-- compose:start -->` and `<!-- compose:end -->`. */
export function readmeComposeSection(readme: string): string {
  const start = readme.indexOf('<!-- compose:start -->');
  const end = readme.indexOf('<!-- compose:end -->');
  if (start < 0 || end < start) throw new Error('README.md has no <!-- compose:start --> … <!-- compose:end --> section');
  return readme.slice(start, end);
}

/**
 * The section and compose.yaml name the same host ports (`localhost:<port>`) and host folders
 * (`data/<folder>`), in both directions.
 */
export function checkReadmeSection(section: string, compose: ComposeFile): string[] {
  const problems: string[] = [];
  const ports = publishedPorts(compose);
  const named = new Set([...section.matchAll(/\blocalhost:(\d{2,5})\b/g)].map((m) => m[1]!));
  for (const port of named) if (!ports.has(port)) problems.push(`README names localhost:${port}, which compose.yaml does not publish`);
  for (const [port, service] of ports) if (!named.has(port)) problems.push(`compose.yaml publishes ${port} (${service}), which the README section does not name as localhost:${port}`);
  const folders = hostFolders(compose);
  const mentioned = new Set([...section.matchAll(/\bdata\/([a-z0-9-]+)/g)].map((m) => `data/${m[1]!}`));
  for (const folder of mentioned) if (!folders.has(folder)) problems.push(`README names ${folder}, which compose.yaml does not mount`);
  for (const folder of folders) if (!mentioned.has(folder)) problems.push(`compose.yaml mounts ${folder}, which the README section does not name`);
  return problems;
}
