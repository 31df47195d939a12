import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { loadConfig, type Config } from '../../../lib/config';
import { isSentinelUrl, parseSentinelUrl } from '../../../lib/store/redis-url';

/**
 * The deployment files (Dockerfile, deploy/) against what the server really needs: the
 * environment each one builds is run through lib/config.ts's own validation.
 */

/** the repository root; this file runs from dist/test/unit/deploy */
const ROOT = path.join(__dirname, '../../../..');
const DEPLOY = path.join(ROOT, 'deploy');

type Doc = Record<string, unknown>;
// deliberately loose: these are parsed YAML trees, checked by the assertions below
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const read = (rel: string): string => readFileSync(path.join(ROOT, rel), 'utf8');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return yamlFiles(full);
    return /\.ya?ml$/.test(e.name) ? [full] : [];
  });
}

function parseAll(file: string): Doc[] {
  const docs = YAML.parseAllDocuments(readFileSync(file, 'utf8'));
  for (const d of docs) assert.deepEqual(d.errors.map((e) => e.message), [], `${path.relative(ROOT, file)} parses`);
  return docs.map((d) => d.toJS() as Doc).filter((d) => d !== null);
}

/** the variables lib/config.ts reads, from its source: env.NAME and (env, 'NAME', ...) */
function configVariables(): string[] {
  const src = read('lib/config.ts');
  const names = new Set<string>();
  for (const m of src.matchAll(/env\.([A-Z][A-Z0-9_]+)/g)) names.add(m[1]);
  for (const m of src.matchAll(/\(env, '([A-Z][A-Z0-9_]+)'/g)) names.add(m[1]);
  return [...names].sort();
}

/** `docker compose` interpolation: ${VAR}, ${VAR:-default}, ${VAR:?error}, $$ */
function interpolate(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:[-?])([^}]*))?\}/g, (all, name: string | undefined, op?: string, arg?: string) => {
    if (all === '$$') return '$';
    const v = vars[name as string];
    if (v !== undefined && v !== '') return v;
    if (op === ':?') throw new Error(`\${${name}} is required: ${arg}`);
    if (op === ':-') return arg ?? '';
    return '';
  });
}

function dotenv(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) vars[m[1]] = m[2];
  }
  return vars;
}

function seconds(duration: string): number {
  let total = 0;
  for (const m of duration.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] as 'ms'];
  return total;
}

function optionValue(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  if (at >= 0) return args[at + 1];
  return args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}

/** an image reference names a tag (or digest) other than latest */
function pinned(image: string): boolean {
  if (image.includes('@sha256:')) return true;
  const tag = /:([^/:]+)$/.exec(image)?.[1];
  return tag !== undefined && tag !== 'latest';
}

describe('deploy: configuration files', () => {
  it('every YAML file under deploy/ parses', () => {
    const files = yamlFiles(DEPLOY);
    assert.ok(files.length >= 8, `found ${files.length}`);
    for (const f of files) assert.ok(parseAll(f).length > 0, `${path.relative(ROOT, f)} holds a document`);
  });

  describe('Dockerfile', () => {
    // one instruction per line: comments out, continuation lines joined
    const lines = read('Dockerfile').split('\n').filter((l) => !/^\s*#/.test(l));
    const stages = lines.join('\n').replace(/\\\n/g, ' ').split(/^FROM /m).slice(1);
    const runtime = stages[stages.length - 1];

    it('builds in one stage and runs production dependencies in another', () => {
      assert.ok(stages.length >= 2, 'multi-stage');
      assert.match(stages[0], /npm ci\b/);
      assert.match(stages[0], /npm run build/);
      assert.match(runtime, /npm ci --omit=dev/);
      assert.match(runtime, /COPY --from=\S+ \/app\/dist/);
    });

    it('runs as a non-root user, node itself as the main process (SIGTERM drains)', () => {
      const user = [...runtime.matchAll(/^USER\s+(\S+)/gm)].pop()?.[1];
      assert.ok(user && user !== 'root' && user !== '0' && !user.startsWith('0:'), `USER ${user}`);
      assert.match(runtime, /^CMD \["node", "dist\/main\.js"\]/m);
    });

    it('checks /health on HTTP_PORT and exposes it', () => {
      const port = /HTTP_PORT=(\d+)/.exec(runtime)?.[1];
      assert.ok(port, 'the image sets HTTP_PORT');
      assert.match(runtime, /^HEALTHCHECK .*\/health/m);
      assert.match(runtime, new RegExp(`^EXPOSE .*\\b${port}/tcp`, 'm'));
      assert.match(runtime, /HTTP_HOST=0\.0\.0\.0/, 'reachable from outside the container');
    });

    it('keeps node_modules, dist and secrets out of the build context', () => {
      const ignored = read('.dockerignore').split('\n').map((l) => l.trim());
      for (const p of ['node_modules', 'dist', '.git', '.env']) assert.ok(ignored.includes(p), p);
    });
  });

  describe('docker compose', () => {
    const REQUIRED = ['HOST_IP', 'API_TOKEN', 'DRACHTIO_SECRET', 'REDIS_PASSWORD'];
    const env = dotenv(read('deploy/compose/.env.example'));
    const raw = read('deploy/compose/docker-compose.yml');
    /** the file as compose resolves it with these variables */
    const resolve = (vars: Record<string, string>): { compose: Any; services: Record<string, Any>; fs: Any; fsEnv: Record<string, string> } => {
      const compose = YAML.parse(interpolate(raw, vars)) as Any;
      const services = compose.services as Record<string, Any>;
      const fs = services['feature-server'];
      const fsEnv = Object.fromEntries(Object.entries(fs.environment as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
      return { compose, services, fs, fsEnv };
    };
    // .env.example as shipped, and a .env holding only the required values (the defaults)
    const variants = { '.env.example': env, 'defaults': Object.fromEntries(REQUIRED.map((k) => [k, env[k]])) };
    const { compose, services, fs } = resolve(env);

    for (const [label, vars] of Object.entries(variants)) {
      it(`gives the feature server an environment lib/config.ts accepts, with no embedded peers (${label})`, () => {
        const c: Config = loadConfig(resolve(vars).fsEnv);
        assert.ok(c.drachtio, 'DRACHTIO_HOST: the drachtio service, not an embedded engine');
        assert.ok(c.redisUrl, 'REDIS_URL: the redis service');
        assert.ok(c.rtpengine, 'RTPENGINE_NG: the rtpengine service');
      });

      it(`wires the services to each other consistently (${label})`, () => {
        const r = resolve(vars);
        const c = loadConfig(r.fsEnv);
        const drachtio = r.services.drachtio.command as string[];
        assert.equal(optionValue(drachtio, '--secret'), c.drachtio?.secret, 'same drachtio secret');
        assert.equal(Number(optionValue(drachtio, '--port')), c.drachtio?.port, 'same drachtio admin port');
        assert.match(optionValue(drachtio, '--contact') ?? '', new RegExp(`^sip:${c.sipAdvertisedHost ?? c.sipHost}:${c.sipPort};`), 'SIP_HOST/SIP_PORT name drachtio\'s SIP address');
        const ng = optionValue(r.services.rtpengine.command as string[], '--listen-ng');
        assert.equal(ng, `${c.rtpengine?.host}:${c.rtpengine?.port}`, 'RTPENGINE_NG is rtpengine\'s ng port');
        const redis = r.services.redis.command as string[];
        const url = new URL(c.redisUrl ?? '');
        assert.equal(url.port, optionValue(redis, '--port'), 'REDIS_URL port');
        assert.equal(decodeURIComponent(url.password), optionValue(redis, '--requirepass'), 'REDIS_URL password');
      });

      it(`gives a drain more time than DRAIN_TIMEOUT before Docker kills the server (${label})`, () => {
        const r = resolve(vars);
        const c = loadConfig(r.fsEnv);
        assert.ok(seconds(String(r.fs.stop_grace_period)) > c.drainTimeout, `stop_grace_period ${r.fs.stop_grace_period} > DRAIN_TIMEOUT ${c.drainTimeout}`);
      });
    }

    it('keeps Redis on an append-only file in a volume', () => {
      const redis = services.redis;
      assert.equal(optionValue(redis.command, '--appendonly'), 'yes');
      assert.ok((redis.volumes as string[]).some((v) => /^[\w-]+:\/data(:|$)/.test(v)), 'a named volume on /data');
      assert.ok(Object.keys(compose.volumes ?? {}).length > 0);
    });

    it('starts the feature server after its peers are healthy, and checks its /health', () => {
      assert.match(JSON.stringify(fs.healthcheck.test), /\/health/);
      for (const name of ['redis', 'rtpengine', 'drachtio']) {
        assert.equal(fs.depends_on[name]?.condition, 'service_healthy', name);
        assert.ok(services[name].healthcheck?.test, `${name} has a healthcheck`);
      }
    });

    it('pins every image, and documents every variable it reads in .env.example', () => {
      for (const [name, s] of Object.entries(services)) assert.ok(pinned(String(s.image)), `${name}: ${s.image}`);
      for (const m of raw.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)) assert.ok(m[1] in env, `${m[1]} is in .env.example`);
    });

    it('fails to start without the required values', () => {
      for (const name of REQUIRED) {
        const { [name]: _gone, ...rest } = env;
        assert.throws(() => interpolate(raw, rest), new RegExp(name));
      }
    });
  });

  describe('Kubernetes', () => {
    const dir = path.join(DEPLOY, 'k8s');
    const kustomization = parseAll(path.join(dir, 'kustomization.yaml'))[0] as Any;
    const docs = (kustomization.resources as string[]).flatMap((f) => parseAll(path.join(dir, f))) as Any[];
    const find = (kind: string, name: string): Any => {
      const d = docs.find((x) => x.kind === kind && x.metadata?.name === name);
      assert.ok(d, `${kind} ${name}`);
      return d;
    };
    const configMap = find('ConfigMap', 'feature-server-config').data as Record<string, string>;
    const secret = find('Secret', 'feature-server-secrets').stringData as Record<string, string>;
    const deployment = find('Deployment', 'feature-server');
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    const node = { 'status.hostIP': '10.0.0.11', 'status.podIP': '10.244.1.7', 'metadata.name': 'feature-server-7d9f-x2x', 'metadata.namespace': 'sip' };

    /** a container's environment as the kubelet builds it: envFrom, then env in order with $(VAR) expansion */
    function containerEnv(c: Any): Record<string, string> {
      const out: Record<string, string> = {};
      for (const from of c.envFrom ?? []) {
        assert.equal(from.configMapRef?.name, 'feature-server-config');
        Object.assign(out, configMap);
      }
      for (const e of c.env ?? []) {
        let v: string | undefined;
        if (e.value !== undefined) v = String(e.value).replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (all, n: string) => out[n] ?? all);
        else if (e.valueFrom?.fieldRef) v = node[e.valueFrom.fieldRef.fieldPath as keyof typeof node];
        else if (e.valueFrom?.secretKeyRef) v = secret[e.valueFrom.secretKeyRef.key];
        else if (e.valueFrom?.configMapKeyRef) v = configMap[e.valueFrom.configMapKeyRef.key];
        assert.ok(v !== undefined, `${e.name} resolves`);
        assert.doesNotMatch(v, /\$\(/, `${e.name} = ${v}: every $(VAR) is defined before it`);
        out[e.name] = v;
      }
      return out;
    }
    const expandArgs = (c: Any): string[] => {
      const env = containerEnv(c);
      return (c.args as string[]).map((a) => a.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (all, n: string) => env[n] ?? all));
    };

    it('lists every manifest of the folder in kustomization.yaml', () => {
      const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml').sort();
      assert.deepEqual([...(kustomization.resources as string[])].sort(), files);
    });

    it('gives the feature server an environment lib/config.ts accepts: this node\'s engine and rtpengine, Redis', () => {
      const c = loadConfig(containerEnv(container));
      assert.equal(c.drachtio?.host, node['status.hostIP'], 'DRACHTIO_HOST is the node');
      assert.equal(c.rtpengine?.host, node['status.hostIP'], 'RTPENGINE_NG is the node');
      assert.equal(c.drachtio?.secret, secret.DRACHTIO_SECRET);
      assert.ok(c.redisUrl && isSentinelUrl(c.redisUrl), `REDIS_URL through Sentinel: ${c.redisUrl}`);
      assert.equal(c.sipHost, node['status.podIP'], 'media sockets bind the pod address');
      assert.equal(c.httpHost, '0.0.0.0', 'probes reach the API');
      assert.equal(c.instanceId, node['metadata.name']);
    });

    it('lets the drain finish before the pod is killed', () => {
      const c = loadConfig(containerEnv(container));
      assert.ok(pod.terminationGracePeriodSeconds > c.drainTimeout, `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} > DRAIN_TIMEOUT ${c.drainTimeout}`);
      assert.match(JSON.stringify(container.lifecycle?.preStop), /kill -TERM 1/, 'preStop starts the drain');
      // one pod per SIP node: an update replaces one node's pod at a time, never two at once
      assert.equal(deployment.spec.strategy.rollingUpdate.maxUnavailable, 1);
      assert.equal(deployment.spec.strategy.rollingUpdate.maxSurge, 0);
    });

    it('puts one feature server on each SIP node (its internal services go through its own engine)', () => {
      const anti = deployment.spec.template.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
      assert.ok(anti.some((t: Any) => t.topologyKey === 'kubernetes.io/hostname'
        && t.labelSelector?.matchLabels?.['app.kubernetes.io/name'] === deployment.spec.template.metadata.labels['app.kubernetes.io/name']));
    });

    it('probes /health on the HTTP port', () => {
      const c = loadConfig(containerEnv(container));
      for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
        const get = container[probe]?.httpGet;
        assert.equal(get?.path, '/health', probe);
        const port = typeof get.port === 'number' ? get.port : container.ports.find((p: Any) => p.name === get.port)?.containerPort;
        assert.equal(port, c.httpPort, `${probe} port`);
      }
    });

    it('covers the replicas with a disruption budget and a Service', () => {
      const labels = deployment.spec.template.metadata.labels as Record<string, string>;
      const matches = (sel: Record<string, string>): boolean => Object.entries(sel).every(([k, v]) => labels[k] === v);
      assert.ok(deployment.spec.replicas >= 2);
      assert.ok(matches(find('PodDisruptionBudget', 'feature-server').spec.selector.matchLabels));
      const svc = find('Service', 'feature-server');
      assert.ok(matches(svc.spec.selector));
      assert.ok(container.ports.some((p: Any) => p.name === svc.spec.ports[0].targetPort || p.containerPort === svc.spec.ports[0].targetPort));
    });

    it('runs drachtio-server and rtpengine on the nodes\' network, wired to the feature server\'s settings', () => {
      const c = loadConfig(containerEnv(container));
      const drachtio = find('DaemonSet', 'drachtio').spec.template.spec;
      const rtpengine = find('DaemonSet', 'rtpengine').spec.template.spec;
      for (const ds of [drachtio, rtpengine]) {
        assert.equal(ds.hostNetwork, true);
        assert.equal(ds.dnsPolicy, 'ClusterFirstWithHostNet');
        assert.deepEqual(ds.nodeSelector, pod.nodeSelector, 'on the nodes the feature server runs on');
      }
      const dArgs = expandArgs(drachtio.containers[0]);
      assert.equal(optionValue(dArgs, '--secret'), c.drachtio?.secret);
      assert.equal(Number(optionValue(dArgs, '--port')), c.drachtio?.port);
      assert.equal(optionValue(dArgs, '--contact'), `sip:${node['status.hostIP']}:${c.sipPort};transport=udp,tcp`);
      assert.ok(drachtio.containers[0].ports.some((p: Any) => p.containerPort === c.drachtio?.port), 'admin port listed');
      const rArgs = expandArgs(rtpengine.containers[0]);
      assert.equal(optionValue(rArgs, '--listen-ng'), `${c.rtpengine?.host}:${c.rtpengine?.port}`);
    });

    it('keeps Redis behind Sentinel with persistent, append-only storage', () => {
      const sts = find('StatefulSet', 'redis').spec;
      assert.ok(sts.replicas >= 3, 'a Sentinel quorum needs three');
      assert.deepEqual(sts.template.spec.containers.map((x: Any) => x.name).sort(), ['redis', 'sentinel']);
      assert.ok(sts.volumeClaimTemplates?.length > 0);
      const init = find('ConfigMap', 'redis-sentinel-scripts').data['init.sh'] as string;
      assert.match(init, /^appendonly yes$/m);
      assert.match(init, /sentinel monitor/);
      // the feature server asks every pod's Sentinel for the master they monitor
      const env = Object.fromEntries((sts.template.spec.initContainers.find((x: Any) => x.name === 'config').env as Any[]).map((e: Any) => [e.name, e.value]));
      const url = parseSentinelUrl(loadConfig(containerEnv(container)).redisUrl ?? '');
      assert.equal(url.masterName, env.MASTER_NAME);
      const headless = find('Service', 'redis-headless');
      assert.deepEqual(url.sentinels, Array.from({ length: sts.replicas }, (_x, i) => ({ host: `redis-${i}.${headless.metadata.name}`, port: 26379 })));
      assert.equal(url.password, secret.REDIS_PASSWORD, 'the Redis password, which the Sentinels require too');
    });

    it('pins every image', () => {
      const mapped = new Map<string, Any>((kustomization.images ?? []).map((i: Any) => [i.name, i]));
      const specs = docs.map((d) => d.spec?.template?.spec).filter(Boolean);
      const images = specs.flatMap((s) => [...(s.initContainers ?? []), ...s.containers]).map((x: Any) => x.image as string);
      assert.ok(images.length >= 6);
      for (const image of images) {
        const m = mapped.get(image);
        assert.ok(m ? m.newTag && m.newTag !== 'latest' : pinned(image), image);
      }
    });
  });

  describe('edge proxy', () => {
    const cfg = read('deploy/edge/kamailio.cfg');

    it('lets every setting be replaced on the command line, and documents each one', () => {
      const readme = read('deploy/edge/README.md');
      const settings = [...cfg.matchAll(/^#!trydef (\w+)/gm)].map((m) => m[1]);
      assert.ok(settings.length >= 8);
      for (const s of [...settings, 'EDGE_ADDR', 'EDGE_ADVERTISE']) assert.ok(readme.includes(`\`${s}\``), `${s} in deploy/edge/README.md`);
    });

    it('ships a dispatcher list kamailio can read: set, SIP URI, flags', () => {
      const lines = read('deploy/edge/dispatcher.list').split('\n').filter((l) => l.trim() && !l.startsWith('#'));
      assert.ok(lines.length >= 2, 'two engines at least');
      for (const l of lines) assert.match(l, /^1 sip:[^\s]+ \d+( \d+)?( \S+)?$/);
    });
  });

  it('documents every variable of lib/config.ts for compose and for Kubernetes', () => {
    const vars = configVariables();
    assert.ok(vars.includes('API_TOKEN') && vars.includes('DRAIN_TIMEOUT'), vars.join(' '));
    for (const doc of ['deploy/compose/README.md', 'deploy/k8s/README.md']) {
      assert.ok(existsSync(path.join(ROOT, doc)), doc);
      const text = read(doc);
      for (const v of vars) assert.ok(text.includes(`\`${v}\``), `${v} in ${doc}`);
    }
  });
});
