// checks.mjs: what the schemas cannot say about ffrtmp's manifests: that
// they fit together and fit the programs they run.  Each check takes the
// whole set and returns "SOURCE: KIND/NAME: MESSAGE" strings.
//
// - every ConfigMap, Secret and PersistentVolumeClaim referenced exists
//   (or is one CloudNativePG creates for a Cluster of the set), with the keys
//   referenced;
// - Services select pods and name their ports; ServiceMonitors and
//   PodMonitors select Services and pods and name their ports;
//   PodDisruptionBudgets select pods;
// - the worker's probes and scrape match its --listen address and paths
//   (/health, /ready, /metrics), which listens beyond loopback;
// - the worker's resources cover its slots' jobs, its --output-root is a
//   volume;
// - containers run as non-root with a read-only root filesystem;
// - images are pinned by tag (not latest) or digest;
// - each Cluster preloads ffrtmp, names its database in ffrtmp.database and
//   creates the extension there; its exporter queries are CloudNativePG's
//   format and give metrics named ffrtmp_*;
// - every metric the dashboards and alerting rules use (scripts/metric-names
//   lists them) is stored under that name: either CloudNativePG's exporter
//   gives it for a Cluster's queries (cnpg_<query>_<column>) as a PodMonitor's
//   metricRelabelings rename it, or a worker a ServiceMonitor scrapes
//   exports it.

import { parse } from "yaml";

// The Secrets CloudNativePG creates for a Cluster NAME, with their keys.
const CNPG_SECRETS = {
  "-ca": ["ca.crt", "ca.key"],
  "-server": ["tls.crt", "tls.key"],
  "-replication": ["tls.crt", "tls.key"],
  "-app": ["username", "password", "host", "port", "dbname", "uri", "jdbc-uri", "pgpass"],
  "-superuser": ["username", "password", "host", "port", "dbname", "uri", "jdbc-uri", "pgpass"],
};
// The container port of CloudNativePG's exporter on each instance.
const CNPG_PORTS = [{ name: "metrics", containerPort: 9187 }];
// The usages a CloudNativePG custom query's column may have.
const CNPG_USAGES = new Set(["DISCARD", "LABEL", "COUNTER", "GAUGE", "MAPPEDMETRIC", "DURATION", "HISTOGRAM"]);
// ffrtmp-worker's --job-memory when not given (ffrtmp-worker --help).
const DEFAULT_JOB_MEMORY = 8 * 1024 ** 3;

const WORKLOADS = new Set(["Deployment", "StatefulSet", "DaemonSet", "Job"]);

const where = ({ doc, source }) => `${source}: ${doc.kind}/${doc.metadata?.name}`;
const ns = (doc) => doc.metadata?.namespace ?? "";
const same = (a, b) => ns(a) === ns(b);
const matches = (selector, labels) =>
  Object.entries(selector ?? {}).every(([k, v]) => (labels ?? {})[k] === v);

// The pod templates of the set, CloudNativePG's instances included:
// { m (the manifest), labels, spec, containers }.
function podsOf(set) {
  const pods = [];
  for (const m of set) {
    const { doc } = m;
    if (WORKLOADS.has(doc.kind) && doc.spec?.template) {
      const spec = doc.spec.template.spec ?? {};
      const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
      pods.push({ m, labels: doc.spec.template.metadata?.labels ?? {}, spec, containers });
    } else if (doc.kind === "Cluster") {
      pods.push({ m, labels: { "cnpg.io/cluster": doc.metadata.name }, spec: {}, containers: [{ ports: CNPG_PORTS }] });
    }
  }
  return pods;
}

function keysOf(doc) {
  return new Set([...Object.keys(doc.data ?? {}), ...Object.keys(doc.stringData ?? {}), ...Object.keys(doc.binaryData ?? {})]);
}

// Finds KIND NAME (with KEY, when given) for the manifest m; messages to errors.
function requireObject(set, m, kind, name, key, errors) {
  const found = set.find(({ doc }) => doc.kind === kind && doc.metadata?.name === name && same(doc, m.doc));
  if (found) {
    if (key !== undefined && !keysOf(found.doc).has(key)) {
      errors.push(`${where(m)}: ${kind} ${name} has no key ${key}`);
    }
    return;
  }
  if (kind === "Secret") {
    for (const { doc } of set.filter(({ doc }) => doc.kind === "Cluster" && same(doc, m.doc))) {
      for (const [suffix, keys] of Object.entries(CNPG_SECRETS)) {
        if (name === doc.metadata.name + suffix) {
          if (key !== undefined && !keys.includes(key)) {
            errors.push(`${where(m)}: Secret ${name} (CloudNativePG's) has no key ${key}`);
          }
          return;
        }
      }
    }
  }
  errors.push(`${where(m)}: no ${kind} named ${name} in the manifests`);
}

export function checkReferences(set) {
  const errors = [];
  for (const { m, spec, containers } of podsOf(set)) {
    for (const v of spec.volumes ?? []) {
      if (v.configMap) {
        for (const item of v.configMap.items ?? [{}]) requireObject(set, m, "ConfigMap", v.configMap.name, item.key, errors);
      }
      if (v.secret) {
        for (const item of v.secret.items ?? [{}]) requireObject(set, m, "Secret", v.secret.secretName, item.key, errors);
      }
      if (v.persistentVolumeClaim) requireObject(set, m, "PersistentVolumeClaim", v.persistentVolumeClaim.claimName, undefined, errors);
    }
    for (const c of containers) {
      for (const e of c.env ?? []) {
        const cm = e.valueFrom?.configMapKeyRef;
        const sec = e.valueFrom?.secretKeyRef;
        if (cm && !cm.optional) requireObject(set, m, "ConfigMap", cm.name, cm.key, errors);
        if (sec && !sec.optional) requireObject(set, m, "Secret", sec.name, sec.key, errors);
      }
      for (const e of c.envFrom ?? []) {
        if (e.configMapRef && !e.configMapRef.optional) requireObject(set, m, "ConfigMap", e.configMapRef.name, undefined, errors);
        if (e.secretRef && !e.secretRef.optional) requireObject(set, m, "Secret", e.secretRef.name, undefined, errors);
      }
    }
  }
  for (const m of set.filter(({ doc }) => doc.kind === "Cluster")) {
    const spec = m.doc.spec ?? {};
    for (const q of spec.monitoring?.customQueriesConfigMap ?? []) requireObject(set, m, "ConfigMap", q.name, q.key, errors);
    for (const q of spec.monitoring?.customQueriesSecret ?? []) requireObject(set, m, "Secret", q.name, q.key, errors);
    for (const role of spec.managed?.roles ?? []) {
      if (!role.passwordSecret) continue;
      requireObject(set, m, "Secret", role.passwordSecret.name, "password", errors);
      const secret = set.find(({ doc }) => doc.kind === "Secret" && doc.metadata?.name === role.passwordSecret.name);
      const username = secret && (secret.doc.stringData?.username ??
        (secret.doc.data?.username && Buffer.from(secret.doc.data.username, "base64").toString()));
      if (secret && username !== role.name) {
        errors.push(`${where(m)}: Secret ${role.passwordSecret.name}'s username is not the role ${role.name} (CloudNativePG requires it)`);
      }
    }
  }
  return errors;
}

// The port (number) a pod's named or numbered port stands for, or undefined.
function resolvePort(containers, port) {
  if (typeof port === "number") return port;
  for (const c of containers) {
    for (const p of c.ports ?? []) if (p.name === port) return p.containerPort;
  }
  return /^\d+$/.test(String(port)) ? Number(port) : undefined;
}

export function checkServicesAndMonitors(set) {
  const errors = [];
  const pods = podsOf(set);
  const services = set.filter(({ doc }) => doc.kind === "Service");
  for (const s of services) {
    const selected = pods.filter((p) => same(p.m.doc, s.doc) && matches(s.doc.spec?.selector, p.labels));
    if (!s.doc.spec?.selector || selected.length === 0) {
      errors.push(`${where(s)}: its selector matches no pods of the manifests`);
      continue;
    }
    for (const port of s.doc.spec.ports ?? []) {
      const target = port.targetPort ?? port.port;
      if (selected.every((p) => resolvePort(p.containers, target) === undefined)) {
        errors.push(`${where(s)}: targetPort ${target} is no port of the pods it selects`);
      }
    }
  }
  for (const mon of set.filter(({ doc }) => doc.kind === "ServiceMonitor")) {
    const selected = services.filter((s) => same(s.doc, mon.doc) && matches(mon.doc.spec?.selector?.matchLabels, s.doc.metadata?.labels));
    if (selected.length === 0) errors.push(`${where(mon)}: its selector matches no Service of the manifests`);
    for (const ep of mon.doc.spec?.endpoints ?? []) {
      if (selected.length > 0 && !selected.some((s) => (s.doc.spec.ports ?? []).some((p) => p.name === ep.port))) {
        errors.push(`${where(mon)}: endpoint port ${ep.port} is no named port of the Services it selects`);
      }
    }
  }
  for (const pdb of set.filter(({ doc }) => doc.kind === "PodDisruptionBudget")) {
    if (!pods.some((p) => same(p.m.doc, pdb.doc) && matches(pdb.doc.spec?.selector?.matchLabels, p.labels))) {
      errors.push(`${where(pdb)}: its selector matches no pods of the manifests`);
    }
  }
  for (const mon of set.filter(({ doc }) => doc.kind === "PodMonitor")) {
    const selected = pods.filter((p) => same(p.m.doc, mon.doc) && matches(mon.doc.spec?.selector?.matchLabels, p.labels));
    if (selected.length === 0) errors.push(`${where(mon)}: its selector matches no pods of the manifests`);
    for (const ep of mon.doc.spec?.podMetricsEndpoints ?? []) {
      if (selected.length > 0 && !selected.some((p) => resolvePort(p.containers, ep.port) !== undefined)) {
        errors.push(`${where(mon)}: endpoint port ${ep.port} is no named port of the pods it selects`);
      }
    }
  }
  return errors;
}

// "--name=value" arguments of a container, the last of each name winning.
function optionsOf(c) {
  const opts = {};
  for (const a of [...(c.command ?? []), ...(c.args ?? [])]) {
    const m = /^--([a-z-]+)=(.*)$/.exec(a);
    if (m) opts[m[1]] = m[2];
  }
  return opts;
}

// ffrtmp-worker's SIZE (64k, 512M, 8G, 1T: powers of 1024) in bytes.
function workerSize(text) {
  const m = /^(\d+)([kKmMgGtT]?)$/.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * 1024 ** " kmgt".indexOf((m[2] || " ").toLowerCase());
}

// A Kubernetes memory quantity (Ki, Mi, Gi, Ti, k, M, G, T or bytes) in bytes.
function quantity(text) {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(text));
  if (!m) return undefined;
  const unit = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, k: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[2]] ?? 1;
  return Number(m[1]) * unit;
}

export function checkWorker(set) {
  const errors = [];
  const services = set.filter(({ doc }) => doc.kind === "Service");
  const monitors = set.filter(({ doc }) => doc.kind === "ServiceMonitor");
  for (const { m, labels, spec, containers } of podsOf(set)) {
    for (const c of containers) {
      const opts = optionsOf(c);
      if (opts.listen === undefined) continue;
      const at = `${where(m)}: container ${c.name}`;
      const listen = /^(.*):(\d+)$/.exec(opts.listen);
      if (!listen) {
        errors.push(`${at}: --listen=${opts.listen} is not HOST:PORT`);
        continue;
      }
      const [, host, port] = listen;
      if (/^(127\.|localhost$|\[::1\]$)/.test(host)) {
        errors.push(`${at}: --listen=${opts.listen} is loopback: the kubelet and Prometheus cannot reach it`);
      }
      for (const [probe, path] of [["livenessProbe", "/health"], ["readinessProbe", "/ready"]]) {
        const get = c[probe]?.httpGet;
        if (!get) {
          errors.push(`${at}: no ${probe} httpGet ${path}`);
          continue;
        }
        if (get.path !== path) errors.push(`${at}: ${probe} asks ${get.path}, not ${path}`);
        if (resolvePort(containers, get.port) !== Number(port)) {
          errors.push(`${at}: ${probe} port ${get.port} is not --listen's ${port}`);
        }
      }
      // The scrape: a ServiceMonitor endpoint whose Service port leads to --listen's port.
      let scraped = false;
      for (const s of services.filter((s) => same(s.doc, m.doc) && matches(s.doc.spec?.selector, labels))) {
        for (const p of s.doc.spec.ports ?? []) {
          if (resolvePort(containers, p.targetPort ?? p.port) !== Number(port)) continue;
          for (const mon of monitors.filter((x) => same(x.doc, s.doc) && matches(x.doc.spec?.selector?.matchLabels, s.doc.metadata?.labels))) {
            for (const ep of (mon.doc.spec.endpoints ?? []).filter((ep) => ep.port === p.name)) {
              scraped = true;
              if ((ep.path ?? "/metrics") !== "/metrics") errors.push(`${where(mon)}: scrapes ${ep.path}, not /metrics`);
            }
          }
        }
      }
      if (!scraped) errors.push(`${at}: no ServiceMonitor scrapes --listen's port ${port}`);

      const slots = Number(opts.slots ?? 1);
      const jobMemory = opts["job-memory"] === undefined ? DEFAULT_JOB_MEMORY : workerSize(opts["job-memory"]);
      const res = c.resources ?? {};
      for (const kind of ["requests", "limits"]) {
        for (const r of ["cpu", "memory"]) if (res[kind]?.[r] === undefined) errors.push(`${at}: no resources.${kind}.${r}`);
      }
      const limit = quantity(res.limits?.memory);
      if (limit !== undefined && jobMemory !== undefined && limit < slots * jobMemory) {
        errors.push(`${at}: limits.memory ${res.limits.memory} is less than --slots=${slots} x --job-memory (${slots * jobMemory} bytes)`);
      }
      const root = opts["output-root"];
      if (root && !(c.volumeMounts ?? []).some((v) => v.mountPath === root && !v.readOnly)) {
        errors.push(`${at}: --output-root=${root} is no writable volume mount`);
      }
      if (root && !(spec.volumes ?? []).some((v) => v.persistentVolumeClaim &&
          (c.volumeMounts ?? []).some((vm) => vm.mountPath === root && vm.name === v.name))) {
        errors.push(`${at}: --output-root=${root} is not on a PersistentVolumeClaim`);
      }
    }
  }
  return errors;
}

export function checkSecurity(set) {
  const errors = [];
  for (const { m, spec, containers } of podsOf(set)) {
    if (m.doc.kind === "Cluster") continue; // the operator's pods
    for (const c of containers) {
      const sc = c.securityContext ?? {};
      const at = `${where(m)}: container ${c.name}`;
      if (!(sc.runAsNonRoot ?? spec.securityContext?.runAsNonRoot)) errors.push(`${at}: not runAsNonRoot`);
      if (sc.readOnlyRootFilesystem !== true) errors.push(`${at}: the root filesystem is not read-only`);
      if (sc.allowPrivilegeEscalation !== false) errors.push(`${at}: allowPrivilegeEscalation is not false`);
    }
  }
  return errors;
}

// NAME:TAG or NAME@sha256:..., the tag not latest.
function pinned(image) {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const tag = /:([^/:]+)$/.exec(image);
  return tag !== null && tag[1] !== "latest";
}

export function checkImages(set) {
  const errors = [];
  for (const { m, containers } of podsOf(set)) {
    for (const c of containers) {
      if (c.image !== undefined && !pinned(c.image)) errors.push(`${where(m)}: container ${c.name}: image ${c.image} is not pinned by tag or digest`);
    }
  }
  for (const m of set.filter(({ doc }) => doc.kind === "Cluster")) {
    const image = m.doc.spec?.imageName;
    if (image === undefined) errors.push(`${where(m)}: no imageName (the operator's default image has no ffrtmp)`);
    else if (!pinned(image)) errors.push(`${where(m)}: imageName ${image} is not pinned by tag or digest`);
  }
  return errors;
}

// A CloudNativePG custom queries file: NAME: { query, metrics: [ { COLUMN:
// { usage, description } } ] }.  ffrtmp's metric names are ffrtmp_*, so every
// query name starts with ffrtmp.
function checkQueries(m, text, label) {
  const errors = [];
  let queries;
  try {
    queries = parse(text);
  } catch (e) {
    return [`${where(m)}: ${label}: not YAML: ${e.message}`];
  }
  if (queries === null || typeof queries !== "object" || Array.isArray(queries)) {
    return [`${where(m)}: ${label}: not a mapping of query names`];
  }
  for (const [name, q] of Object.entries(queries)) {
    if (!/^ffrtmp(_|$)/.test(name)) errors.push(`${where(m)}: ${label}: query ${name}'s metrics would not be named ffrtmp_*`);
    if (typeof q?.query !== "string") errors.push(`${where(m)}: ${label}: query ${name} has no query text`);
    if (!Array.isArray(q?.metrics) || q.metrics.length === 0) {
      errors.push(`${where(m)}: ${label}: query ${name} has no metrics`);
      continue;
    }
    for (const column of q.metrics) {
      for (const [col, def] of Object.entries(column ?? {})) {
        if (!CNPG_USAGES.has(def?.usage)) errors.push(`${where(m)}: ${label}: ${name}.${col}: usage ${def?.usage} is not CloudNativePG's`);
      }
    }
  }
  return errors;
}

export function checkClusters(set) {
  const errors = [];
  for (const m of set.filter(({ doc }) => doc.kind === "Cluster")) {
    const spec = m.doc.spec ?? {};
    const at = where(m);
    if (!(spec.postgresql?.shared_preload_libraries ?? []).includes("ffrtmp")) {
      errors.push(`${at}: ffrtmp is not in postgresql.shared_preload_libraries (its scheduler is a background worker)`);
    }
    const database = spec.bootstrap?.initdb?.database ?? "app";
    const setting = spec.postgresql?.parameters?.["ffrtmp.database"];
    if (setting !== database) {
      errors.push(`${at}: postgresql.parameters ffrtmp.database is ${setting ?? "not set (postgres)"}, not the database ${database}`);
    }
    const sql = spec.bootstrap?.initdb?.postInitApplicationSQL ?? [];
    if (!sql.some((s) => /^\s*CREATE\s+EXTENSION\s+(IF\s+NOT\s+EXISTS\s+)?"?ffrtmp"?/i.test(s))) {
      errors.push(`${at}: bootstrap.initdb.postInitApplicationSQL does not create the extension ffrtmp`);
    }
    if ((spec.instances ?? 1) < 2) errors.push(`${at}: ${spec.instances ?? 1} instance: no replica to fail over to`);
    for (const ref of spec.monitoring?.customQueriesConfigMap ?? []) {
      const cm = set.find(({ doc }) => doc.kind === "ConfigMap" && doc.metadata?.name === ref.name && same(doc, m.doc));
      const text = cm?.doc.data?.[ref.key];
      if (text !== undefined) errors.push(...checkQueries(m, text, `ConfigMap ${ref.name} ${ref.key}`));
    }
  }
  return errors;
}

// The names CloudNativePG's exporter gives a custom queries file's metrics:
// cnpg_<query>_<column> for each column that is no label or discarded (a
// histogram's _bucket, _sum and _count series share its base name).
function cnpgNames(text) {
  let queries;
  try {
    queries = parse(text);
  } catch {
    return [];
  }
  const names = [];
  for (const [name, q] of Object.entries(queries ?? {})) {
    for (const column of Array.isArray(q?.metrics) ? q.metrics : []) {
      for (const [col, def] of Object.entries(column ?? {})) {
        if (!["LABEL", "DISCARD"].includes(def?.usage)) names.push(`cnpg_${name}_${col}`);
      }
    }
  }
  return names;
}

// A metric's name after a scrape's relabelling rules, or null when a rule
// drops it.  Only rules reading __name__ alone change it; Prometheus
// anchors the regex and expands $1 or ${1} in the replacement.
function relabelName(name, rules) {
  for (const r of rules ?? []) {
    const source = r.sourceLabels ?? r.source_labels ?? [];
    if (source.length !== 1 || source[0] !== "__name__") continue;
    const regex = new RegExp(`^(?:${r.regex ?? "(.*)"})$`);
    const action = (r.action ?? "replace").toLowerCase();
    if (action === "drop" && regex.test(name)) return null;
    if (action === "keep" && !regex.test(name)) return null;
    const target = r.targetLabel ?? r.target_label;
    if (action === "replace" && target === "__name__" && regex.test(name)) {
      name = name.replace(regex, (r.replacement ?? "$1").replace(/\$\{(\d+)\}/g, "$$$1"));
    }
  }
  return name;
}

// used: the names the dashboards and rules use; worker: the names
// ffrtmp-worker exports.  Both are lists; no check without them.
export function checkMetricNames(set, { used, worker } = {}) {
  if (!used) return [];
  const stored = new Map(); // name -> what gives it
  const pods = podsOf(set);
  for (const mon of set.filter(({ doc }) => doc.kind === "PodMonitor")) {
    for (const { m } of pods.filter((p) => p.m.doc.kind === "Cluster" && same(p.m.doc, mon.doc) &&
        matches(mon.doc.spec?.selector?.matchLabels, p.labels))) {
      for (const ref of m.doc.spec?.monitoring?.customQueriesConfigMap ?? []) {
        const cm = set.find(({ doc }) => doc.kind === "ConfigMap" && doc.metadata?.name === ref.name && same(doc, m.doc));
        for (const cnpg of cnpgNames(cm?.doc.data?.[ref.key] ?? "")) {
          for (const ep of mon.doc.spec?.podMetricsEndpoints ?? []) {
            const name = relabelName(cnpg, ep.metricRelabelings);
            if (name !== null) stored.set(name, `${where(mon)} (${cnpg})`);
          }
        }
      }
    }
  }
  const scrapesWorker = set.some(({ doc }) => doc.kind === "ServiceMonitor") && pods.some((p) =>
    p.containers.some((c) => optionsOf(c).listen !== undefined));
  for (const name of scrapesWorker ? worker ?? [] : []) stored.set(name, "ffrtmp-worker");
  stored.set("up", "Prometheus");
  const mon = set.find(({ doc }) => doc.kind === "PodMonitor");
  const at = mon ? where(mon) : `${set[0]?.source}: no PodMonitor`;
  return used.filter((name) => !stored.has(name)).map((name) =>
    `${at}: metric ${name}, used by the dashboards or alerting rules, is stored under no such name: ` +
    `neither relabelling CloudNativePG's cnpg_<query>_<column> nor the worker gives it`);
}

export function checkAll(set, metrics) {
  return [
    ...checkReferences(set),
    ...checkServicesAndMonitors(set),
    ...checkWorker(set),
    ...checkSecurity(set),
    ...checkImages(set),
    ...checkClusters(set),
    ...checkMetricNames(set, metrics),
  ];
}
