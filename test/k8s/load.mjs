// load.mjs: the manifests a kustomization produces, as a list of
// { doc, source }.  With kustomize (or kubectl kustomize) on the PATH, its
// own output; without, the same from the files, for the subset of
// kustomization.yaml that deploy/ uses (resources, namespace,
// configMapGenerator, generatorOptions): any other field is refused rather
// than ignored, so that the two ways cannot drift apart silently.

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";

// Kinds without a namespace among those deploy/ may hold.
const CLUSTER_SCOPED = new Set(["Namespace"]);

// Parses a YAML stream; a syntax error is an error, an empty document is skipped.
function parseStream(text, source) {
  const out = [];
  for (const d of parseAllDocuments(text)) {
    if (d.errors.length > 0) {
      throw new Error(`${source}: ${d.errors[0].message}`);
    }
    const doc = d.toJS();
    if (doc !== null && doc !== undefined) {
      out.push({ doc, source });
    }
  }
  return out;
}

// kustomize or kubectl kustomize, whichever is installed; null when neither.
export function kustomizeCommand() {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, "kustomize"))) {
      return ["kustomize", ["build"]];
    }
  }
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, "kubectl"))) {
      return ["kubectl", ["kustomize"]];
    }
  }
  return null;
}

export function loadWithKustomize(dir, [cmd, args]) {
  const text = execFileSync(cmd, [...args, dir], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  return parseStream(text, `${cmd} ${args.join(" ")} ${dir}`);
}

function readKustomization(dir) {
  for (const name of ["kustomization.yaml", "kustomization.yml", "Kustomization"]) {
    const file = path.join(dir, name);
    if (existsSync(file)) {
      const [{ doc }] = parseStream(readFileSync(file, "utf8"), file);
      return { k: doc, file };
    }
  }
  throw new Error(`${dir}: no kustomization.yaml`);
}

// A path of a kustomization must stay in or below its directory (kustomize's
// default load restrictor refuses the others).
function inside(dir, rel, file) {
  const full = path.resolve(dir, rel);
  if (full !== dir && !full.startsWith(dir + path.sep)) {
    throw new Error(`${file}: ${rel} is not in or below ${dir} (kustomize refuses it)`);
  }
  return full;
}

function generateConfigMap(dir, gen, options, file) {
  const known = new Set(["name", "files", "options"]);
  for (const key of Object.keys(gen)) {
    if (!known.has(key)) throw new Error(`${file}: configMapGenerator field ${key} is not handled without kustomize`);
  }
  const data = {};
  for (const entry of gen.files ?? []) {
    const [key, rel] = entry.includes("=") ? entry.split("=", 2) : [path.basename(entry), entry];
    const full = inside(dir, rel, file);
    if (!existsSync(full)) throw new Error(`${file}: configMapGenerator ${gen.name}: no file ${rel}`);
    data[key] = readFileSync(full, "utf8");
  }
  const labels = { ...(options?.labels ?? {}), ...(gen.options?.labels ?? {}) };
  const metadata = { name: gen.name };
  if (Object.keys(labels).length > 0) metadata.labels = labels;
  return { doc: { apiVersion: "v1", kind: "ConfigMap", metadata, data }, source: `${file} (${gen.name})` };
}

export function loadFiles(dirArg) {
  const dir = path.resolve(dirArg);
  const { k, file } = readKustomization(dir);
  const known = new Set(["apiVersion", "kind", "namespace", "resources", "configMapGenerator", "generatorOptions"]);
  for (const key of Object.keys(k)) {
    if (!known.has(key)) throw new Error(`${file}: field ${key} is not handled without kustomize`);
  }
  let docs = [];
  for (const rel of k.resources ?? []) {
    const full = inside(dir, rel, file);
    if (!existsSync(full)) throw new Error(`${file}: no resource ${rel}`);
    if (statSync(full).isDirectory()) {
      docs = docs.concat(loadFiles(full));
    } else {
      docs = docs.concat(parseStream(readFileSync(full, "utf8"), path.relative(process.cwd(), full)));
    }
  }
  for (const gen of k.configMapGenerator ?? []) {
    docs.push(generateConfigMap(dir, gen, k.generatorOptions, path.relative(process.cwd(), file)));
  }
  if (k.namespace) {
    for (const { doc } of docs) {
      if (!CLUSTER_SCOPED.has(doc.kind)) {
        doc.metadata = { ...(doc.metadata ?? {}), namespace: k.namespace };
      }
    }
  }
  return docs;
}

// The objects a user creates before applying (the Secrets of
// docs/kubernetes.md): DIR/kubernetes/secrets.example.yaml, which the
// kustomization leaves out so that no credential of the repository is
// deployed.  They are checked, and referenced, as if applied, in the
// kustomization's namespace.
export const EXAMPLES = "kubernetes/secrets.example.yaml";

export function loadExamples(dirArg) {
  const dir = path.resolve(dirArg);
  const file = path.join(dir, EXAMPLES);
  if (!existsSync(file)) return [];
  const { k } = readKustomization(dir);
  const docs = parseStream(readFileSync(file, "utf8"), path.relative(process.cwd(), file));
  if (k.namespace) {
    for (const { doc } of docs) doc.metadata = { ...(doc.metadata ?? {}), namespace: k.namespace };
  }
  return docs;
}
