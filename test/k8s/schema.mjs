// schema.mjs: each manifest against its kind's schema, two ways.
//
// 1. The models' validate(): ajv validators generated from the OpenAPI
//    schemas of Kubernetes, CloudNativePG and the Prometheus Operator.  They
//    check types, required fields and enumerations, but those schemas allow
//    unknown fields, so a misspelt field would pass (as the API server's
//    non-strict decoding would drop it).
// 2. The models' TypeScript declarations, with every manifest as an object
//    literal of its kind's interface: TypeScript refuses a field that the
//    interface does not declare (excess property check), at any depth.
//
// A kind that is not in MODELS is an error: nothing passes unchecked.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

// apiVersion -> the module of its models; a kind is a class of that module,
// and I<kind> its interface.
const MODELS = {
  v1: "kubernetes-models/v1",
  "apps/v1": "kubernetes-models/apps/v1",
  "policy/v1": "kubernetes-models/policy/v1",
  "networking.k8s.io/v1": "kubernetes-models/networking.k8s.io/v1",
  "postgresql.cnpg.io/v1": "@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1",
  "monitoring.coreos.com/v1": "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1",
};

const here = path.dirname(fileURLToPath(import.meta.url));

function what(doc) {
  return `${doc.kind ?? "?"}/${doc.metadata?.name ?? "?"}`;
}

// The model class of a manifest, or an error message.
async function modelOf(doc) {
  const module = MODELS[doc.apiVersion];
  if (!module) return { error: `unknown apiVersion ${JSON.stringify(doc.apiVersion)}` };
  const models = await import(module);
  const Model = Object.hasOwn(models, doc.kind) ? models[doc.kind] : undefined;
  if (typeof Model !== "function" || typeof Model.prototype?.validate !== "function") {
    return { error: `unknown kind ${JSON.stringify(doc.kind)} of ${doc.apiVersion}` };
  }
  return { Model, module };
}

function ajvErrors(Model, doc) {
  try {
    new Model(doc).validate();
    return [];
  } catch (e) {
    // ValidationError: one message per ajv error, with its JSON path.
    const details = e.errors?.map((x) => `${x.instancePath || "/"} ${x.message}`);
    return details?.length ? details : [e.message];
  }
}

// TypeScript's verdict on every manifest at once (one program is much faster
// than one a manifest): a map from the manifest's index to its messages.
function typeErrors(typed) {
  const dir = mkdtempSync(path.join(here, ".check-"));
  try {
    const imports = new Map();
    const lines = [];
    for (const { index, doc, module } of typed) {
      const alias = `T_${doc.apiVersion.replace(/[^A-Za-z0-9]/g, "_")}_${doc.kind}`;
      if (!imports.has(alias)) imports.set(alias, `import type { I${doc.kind} as ${alias} } from "${module}";`);
      lines.push({ index, text: `export const m${index}: ${alias} = ${JSON.stringify(doc)};` });
    }
    const head = [...imports.values()];
    const file = path.join(dir, "manifests.ts");
    writeFileSync(file, [...head, ...lines.map((l) => l.text)].join("\n") + "\n");
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      types: [],
    });
    const out = new Map();
    for (const d of ts.getPreEmitDiagnostics(program)) {
      const message = ts.flattenDiagnosticMessageText(d.messageText, " ");
      let index = -1;
      if (d.file && path.resolve(d.file.fileName) === file && d.start !== undefined) {
        const line = d.file.getLineAndCharacterOfPosition(d.start).line - head.length;
        index = line >= 0 && line < lines.length ? lines[line].index : -1;
      }
      if (!out.has(index)) out.set(index, []);
      out.get(index).push(message);
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Returns a list of { index, text }: the index of the manifest (-1 for none)
// and "SOURCE: KIND/NAME: MESSAGE"; empty when all are valid.  One call for
// many manifests is faster than many calls: TypeScript's type-checking of
// the models' declarations takes seconds, and is done once.
export async function checkSchemas(manifests) {
  const errors = [];
  const typed = [];
  for (const [index, { doc, source }] of manifests.entries()) {
    const { Model, module, error } = await modelOf(doc);
    if (error) {
      errors.push({ index, text: `${source}: ${what(doc)}: ${error}` });
      continue;
    }
    for (const e of ajvErrors(Model, doc)) errors.push({ index, text: `${source}: ${what(doc)}: schema: ${e}` });
    typed.push({ index, doc, module });
  }
  for (const [index, messages] of typeErrors(typed)) {
    const where = index >= 0 ? `${manifests[index].source}: ${what(manifests[index].doc)}` : "typescript";
    for (const m of messages) errors.push({ index, text: `${where}: fields: ${m}` });
  }
  return errors;
}
