#!/usr/bin/env node
// Validates the Kubernetes manifests of a kustomization (deploy/ of the
// source tree): each against the schema of its kind (schema.mjs: Kubernetes,
// CloudNativePG, Prometheus Operator; unknown kinds and unknown fields are
// errors), then what the schemas cannot say (checks.mjs).  The Secrets a
// user creates before applying (kubernetes/secrets.example.yaml, left out of
// the kustomization) are checked with them, as if applied.
//
//   node validate.mjs [--kustomize=auto|yes|no] [--metrics-used=FILE
//                     --worker-metrics=FILE] DIR...
//
// --metrics-used names a file of the metric names the dashboards and rules
// use (scripts/metric-names prints them), --worker-metrics one of the names
// ffrtmp-worker exports, one a line: each used name must then be stored
// under that name by the manifests' scrapes.
//
// --kustomize=auto (the default) renders each DIR with kustomize or kubectl
// kustomize when one is installed, else reads the files (load.mjs); yes
// requires one; no always reads the files.  Prints each error on a line of
// its own, then a summary line for each DIR ("DIR: N manifests (from HOW):
// valid" or "...: N errors"); exits 0 when there is no error, 1 when there
// are, 2 when a DIR cannot be read.  Several DIRs are checked as one batch
// (the schema check's start-up is paid once) but judged each on its own.

import { checkAll } from "./checks.mjs";
import { readFileSync } from "node:fs";
import { kustomizeCommand, loadExamples, loadFiles, loadWithKustomize } from "./load.mjs";
import { checkSchemas } from "./schema.mjs";

function usage(message) {
  console.error(`validate.mjs: ${message}\nusage: node validate.mjs [--kustomize=auto|yes|no] [--metrics-used=FILE --worker-metrics=FILE] DIR...`);
  process.exit(2);
}

let mode = "auto";
const dirs = [];
const metrics = {};
const names = (file) => {
  try {
    return readFileSync(file, "utf8").split("\n").map((l) => l.trim()).filter((l) => l !== "");
  } catch (e) {
    usage(e.message);
  }
};
for (const arg of process.argv.slice(2)) {
  const m = /^--kustomize=(auto|yes|no)$/.exec(arg);
  const f = /^--(metrics-used|worker-metrics)=(.+)$/.exec(arg);
  if (m) mode = m[1];
  else if (f) metrics[f[1] === "metrics-used" ? "used" : "worker"] = names(f[2]);
  else if (arg.startsWith("-")) usage(`unknown option ${arg}`);
  else dirs.push(arg);
}
if (dirs.length === 0) usage("no DIR, the directory of a kustomization.yaml");

const command = mode === "no" ? null : kustomizeCommand();
if (mode === "yes" && !command) usage("--kustomize=yes: neither kustomize nor kubectl is installed");
const how = command ? `${command[0]} ${command[1].join(" ")}` : "the files";

// Every DIR's manifests in one list; tree[i] is the DIR of manifest i.
const sets = [];
let manifests = [];
const tree = [];
for (const [d, dir] of dirs.entries()) {
  let set;
  try {
    set = command ? loadWithKustomize(dir, command) : loadFiles(dir);
    set = set.concat(loadExamples(dir));
  } catch (e) {
    console.error(`validate.mjs: ${(e.stderr?.toString() || e.message).trim()}`);
    process.exit(2);
  }
  sets.push(set);
  manifests = manifests.concat(set);
  tree.push(...set.map(() => d));
}

const errors = dirs.map(() => []);
for (const { index, text } of await checkSchemas(manifests)) {
  // A message of no manifest (TypeScript's own) counts against every DIR.
  for (const d of index >= 0 ? [tree[index]] : dirs.keys()) errors[d].push(text);
}
let failed = false;
for (const [d, dir] of dirs.entries()) {
  errors[d].push(...checkAll(sets[d], metrics));
  for (const e of errors[d]) console.log(e);
  const n = errors[d].length;
  console.log(`${dir}: ${sets[d].length} manifests (from ${how}): ${n === 0 ? "valid" : `${n} error${n === 1 ? "" : "s"}`}`);
  failed ||= n > 0;
}
process.exit(failed ? 1 : 0);
