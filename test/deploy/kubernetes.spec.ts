/**
 * The Kubernetes manifests (deploy/kubernetes), checked without a cluster: every object is validated
 * against the Kubernetes OpenAPI schema (kubernetes-models), then held to what docs/deployment.md
 * promises: probes, disruption budgets that select their own pods, grace periods that cover the worker's
 * drain, an autoscaler whose target exists, resources, and settings the services really read.
 */
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Service, type IContainer, type IPodTemplateSpec, type IProbe } from 'kubernetes-models/v1';
import { loadNotifierSettings } from '@gatehouse/notifiers';
import { TASK_QUEUE_GROUPS } from '@gatehouse/workflows';
import registeredAttributes from '../../workflows/src/search-attributes.json';
import { loadGatewayConfig } from '../../services/gateway/src/config';
import { loadWorkerConfig, parseWorkerQueues } from '../../services/worker/src/config';

const dir = path.resolve(__dirname, '../../deploy/kubernetes');

/** What a manifest object is validated as, by kind. */
const models = {
  ConfigMap,
  Deployment,
  HorizontalPodAutoscaler,
  Job,
  PodDisruptionBudget,
  Service,
} as const;
type Kind = keyof typeof models;
interface Manifest {
  apiVersion: string;
  kind: Kind;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
}

const kustomization = yaml.load(fs.readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')) as {
  resources: string[];
};
const objects: Manifest[] = kustomization.resources.flatMap((file) =>
  (yaml.loadAll(fs.readFileSync(path.join(dir, file), 'utf8')) as Manifest[]).filter(Boolean),
);
const ofKind = (kind: Kind) => objects.filter((o) => o.kind === kind);
const named = (kind: Kind, name: string) => {
  const found = ofKind(kind).find((o) => o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in deploy/kubernetes`);
  return found;
};
const deployments = ofKind('Deployment');
const template = (d: Manifest): IPodTemplateSpec => d.spec.template;
const containers = (d: Manifest): IContainer[] => d.spec.template.spec.containers;
const selects = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

/** Stands in for a value a Secret gives (long enough for AUTH_JWT_SECRET's production minimum). */
const FROM_A_SECRET = 'a-value-from-a-kubernetes-secret-0123456789';

/**
 * A container's environment as the process sees it: its ConfigMaps' keys, then its own `env` (values
 * from a Secret stand in as FROM_A_SECRET, those of a ConfigMap key are looked up).
 */
function environment(container: IContainer): Map<string, string> {
  const env = new Map<string, string>();
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef)
      for (const [k, v] of Object.entries(named('ConfigMap', from.configMapRef.name!).data ?? {})) env.set(k, v);
  }
  for (const e of container.env ?? []) {
    const ref = e.valueFrom?.configMapKeyRef;
    const value = ref
      ? named('ConfigMap', ref.name!).data?.[ref.key]
      : e.valueFrom?.secretKeyRef
        ? FROM_A_SECRET
        : e.value;
    if (value === undefined) throw new Error(`${e.name}: no value (a ConfigMap key that does not exist?)`);
    env.set(e.name, value);
  }
  return env;
}
const settings = (c: IContainer): NodeJS.ProcessEnv => Object.fromEntries(environment(c));

/** Every environment variable a loader reads: it is handed an environment that records each name asked for. */
function namesRead(...loaders: Array<(env: NodeJS.ProcessEnv) => unknown>): Set<string> {
  const names = new Set<string>();
  const recording = new Proxy({} as NodeJS.ProcessEnv, {
    get: (_, name) => {
      if (typeof name === 'string') names.add(name);
      return undefined;
    },
  });
  for (const load of loaders) load(recording);
  return names;
}

/** Read by Node itself, not by Gatehouse's settings. */
const RUNTIME_VARIABLES = ['NODE_OPTIONS'];

const gateway = named('Deployment', 'gatehouse-gateway');
const workers = deployments.filter((d) => d !== gateway);
const queuesOf = (d: Manifest) => parseWorkerQueues(environment(containers(d)[0]).get('WORKER_QUEUES'));

test('the kustomization lists every manifest in the folder, and nothing that would change them on the way', () => {
  const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');
  expect([...kustomization.resources].sort()).toEqual(files.sort());
  // This spec reads the resources as they are; a transformer (images, patches, namePrefix) would make
  // what it checks differ from what a cluster gets.
  expect(Object.keys(kustomization).sort()).toEqual(['apiVersion', 'kind', 'resources']);
});

test('every object is valid against the Kubernetes schema', () => {
  expect(objects.length).toBeGreaterThan(0);
  for (const object of objects) {
    const Model = models[object.kind] as (new (o: never) => { validate(): void }) | undefined;
    expect({ kind: object.kind, known: Boolean(Model) }).toEqual({ kind: object.kind, known: true });
    expect(() => new Model!(object as never).validate()).not.toThrow();
  }
  // A broken object is refused, so the check above can fail.
  const broken = { ...gateway, spec: { ...gateway.spec, template: { spec: { containers: [{ image: 1 }] } } } };
  expect(() => new Deployment(broken as never).validate()).toThrow();
});

test('one worker Deployment per group of task queues, each group served by exactly one', () => {
  const served = workers.flatMap(queuesOf);
  expect([...served].sort()).toEqual([...TASK_QUEUE_GROUPS].sort());
  for (const worker of workers) {
    expect(queuesOf(worker)).toHaveLength(1);
    expect(worker.metadata.name).toBe(`gatehouse-worker-${queuesOf(worker)[0]}`);
    expect(containers(worker).map((c) => c.image?.split(':')[0])).toEqual(['gatehouse-worker']);
  }
  expect(containers(gateway).map((c) => c.image?.split(':')[0])).toEqual(['gatehouse-gateway']);
  // Every process reads the base queue from the same place, so they agree on every queue's name.
  for (const d of deployments) {
    const container = containers(d)[0];
    expect({ d: d.metadata.name, envQueue: container.env?.some((e) => e.name === 'TEMPORAL_TASK_QUEUE') }).toEqual({
      d: d.metadata.name,
      envQueue: false,
    });
    expect(environment(container).get('TEMPORAL_TASK_QUEUE')).toBe('gatehouse-tickets');
  }
});

test('each Deployment selects its own pods, and a PodDisruptionBudget selects exactly those', () => {
  const budgets = ofKind('PodDisruptionBudget');
  for (const d of deployments) {
    const labels = template(d).metadata?.labels;
    expect(selects(d.spec.selector.matchLabels, labels)).toBe(true);
    const mine = budgets.filter((b) => selects(b.spec.selector.matchLabels, labels));
    expect({ d: d.metadata.name, budgets: mine.length }).toEqual({ d: d.metadata.name, budgets: 1 });
  }
  for (const b of budgets) {
    const selected = deployments.filter((d) => selects(b.spec.selector.matchLabels, template(d).metadata?.labels));
    expect({ budget: b.metadata.name, selects: selected.map((d) => d.metadata.name) }).toEqual({
      budget: b.metadata.name,
      selects: [b.metadata.name],
    });
  }
  const service = named('Service', 'gatehouse-gateway');
  expect(selects(service.spec.selector, template(gateway).metadata?.labels)).toBe(true);
  const ports = containers(gateway)[0].ports!.map((p) => p.name);
  for (const p of service.spec.ports) expect(ports).toContain(p.targetPort);
});

test('probes: the gateway is ready when /health says so, each worker when its /health does', () => {
  const port = (probe: IProbe | undefined, c: IContainer) =>
    c.ports?.find((p) => p.name === (probe?.httpGet?.port ?? probe?.tcpSocket?.port))?.containerPort;
  const gw = containers(gateway)[0];
  expect(gw.readinessProbe?.httpGet?.path).toBe('/health');
  const listening = loadGatewayConfig(settings(gw)).port;
  expect(port(gw.readinessProbe, gw)).toBe(listening);
  // Liveness must not depend on MongoDB or Temporal, which /health checks: the process answering is enough.
  expect(port(gw.livenessProbe, gw)).toBe(listening);
  expect(gw.livenessProbe?.httpGet).toBeUndefined();
  for (const worker of workers) {
    const c = containers(worker)[0];
    const healthPort = loadWorkerConfig(settings(c)).healthPort;
    expect(healthPort).not.toBeNull();
    for (const probe of [c.startupProbe, c.readinessProbe, c.livenessProbe]) {
      expect({ worker: worker.metadata.name, path: probe?.httpGet?.path, port: port(probe, c) }).toEqual({
        worker: worker.metadata.name,
        path: '/health',
        port: healthPort,
      });
    }
  }
});

test('grace periods cover the worker’s drain and the gateway’s longest request', () => {
  for (const worker of workers) {
    const config = loadWorkerConfig(settings(containers(worker)[0]));
    // The drain, the 2 s the worker then gives activities that ignore their cancellation, and a margin.
    expect(worker.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(
      config.shutdownGraceSeconds + 2 + 5,
    );
  }
  const gw = containers(gateway)[0];
  const preStop = Number(gw.lifecycle?.preStop?.exec?.command?.[1] ?? 0);
  const updateSeconds = loadGatewayConfig(settings(gw)).temporalDeadlines.updateMs / 1000;
  expect(gateway.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(preStop + updateSeconds);
});

test('the gateway scales on CPU: the autoscaler’s target exists, has CPU requests and leaves replicas to it', () => {
  const [hpa] = ofKind('HorizontalPodAutoscaler');
  const ref = hpa.spec.scaleTargetRef;
  expect(ref).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: gateway.metadata.name });
  expect(hpa.spec.metrics).toContainEqual(
    expect.objectContaining({ type: 'Resource', resource: expect.objectContaining({ name: 'cpu' }) }),
  );
  for (const c of containers(gateway)) expect(c.resources?.requests?.cpu).toBeDefined();
  expect(gateway.spec.replicas).toBeUndefined();
  // With two at least, the disruption budget (one available) still lets a node drain.
  expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
});

test('every container has CPU and memory requests and a memory limit, and runs as a non-root user', () => {
  for (const object of [...deployments, ...ofKind('Job')]) {
    for (const c of containers(object)) {
      const { requests, limits } = c.resources ?? {};
      expect({ c: c.name, cpu: requests?.cpu, memory: requests?.memory, limit: limits?.memory }).toEqual({
        c: c.name,
        cpu: expect.anything(),
        memory: expect.anything(),
        limit: expect.anything(),
      });
      expect(c.securityContext?.allowPrivilegeEscalation).toBe(false);
    }
  }
  for (const d of deployments) expect(d.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true });
});

test('every setting given to a process is one its configuration reads, and secrets come from Secrets only', () => {
  const gatewayReads = namesRead(loadGatewayConfig);
  const workerReads = namesRead(loadWorkerConfig, loadNotifierSettings);
  const processes = [{ d: gateway, reads: gatewayReads }, ...workers.map((d) => ({ d, reads: workerReads }))];
  for (const { d, reads } of processes) {
    for (const name of environment(containers(d)[0]).keys()) {
      expect({ d: d.metadata.name, name, read: reads.has(name) || RUNTIME_VARIABLES.includes(name) }).toEqual({
        d: d.metadata.name,
        name,
        read: true,
      });
    }
  }
  // A typo in a name would be caught: the recording sees what the loaders read, and no more.
  expect(workerReads.has('WORKER_QUEUES')).toBe(true);
  expect(workerReads.has('WORKER_QUEUE')).toBe(false);

  expect(objects.some((o) => (o.kind as string) === 'Secret')).toBe(false);
  for (const d of deployments) {
    const env = containers(d)[0].env ?? [];
    for (const e of env.filter((e) => ['MONGODB_URI', 'AUTH_JWT_SECRET'].includes(e.name)))
      expect({ name: e.name, from: e.valueFrom?.secretKeyRef?.name }).toEqual({ name: e.name, from: 'gatehouse' });
    expect(env.find((e) => e.name === 'MONGODB_URI')).toBeDefined();
  }
  expect(containers(gateway)[0].env?.find((e) => e.name === 'AUTH_JWT_SECRET')).toBeDefined();
  // Target applications' credentials stay on the workers.
  const secretsOf = (d: Manifest) => (containers(d)[0].envFrom ?? []).map((f) => f.secretRef?.name).filter(Boolean);
  for (const worker of workers) expect(secretsOf(worker)).toEqual(['gatehouse-worker']);
  expect(secretsOf(gateway)).toEqual(['gatehouse-gateway']);
});

test('the search attribute Job registers exactly the attributes workflows set', () => {
  const job = named('Job', 'gatehouse-search-attributes');
  const script: string = containers(job)[0].args!.join('\n');
  const created = [...script.matchAll(/^\s*create (\w+) (\w+)$/gm)].map((m) => [m[1], m[2].toLowerCase()]);
  expect(Object.fromEntries(created)).toEqual(
    Object.fromEntries(Object.entries(registeredAttributes).map(([name, type]) => [name, String(type).toLowerCase()])),
  );
});
