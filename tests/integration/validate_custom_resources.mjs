// Validate custom resources against their CRDs' published OpenAPI schemas, as compiled into
// the @kubernetes-models packages (bpmn/package.json). Reads a JSON array of resources on
// stdin; prints one line per resource, "ok KIND NAME" or "invalid KIND NAME: why"; exits 1
// when any is invalid or of a kind without a schema here.
// Usage: node validate_custom_resources.mjs <path to bpmn/node_modules>
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const modules = process.argv[2];
const models = {
  "keda.sh/v1alpha1/ScaledObject": "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject.mjs",
  "monitoring.coreos.com/v1/ServiceMonitor":
    "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor.js",
  "monitoring.coreos.com/v1/PrometheusRule":
    "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule.js",
};

const resources = JSON.parse(readFileSync(0, "utf8"));
let failed = false;
for (const resource of resources) {
  const key = `${resource.apiVersion}/${resource.kind}`;
  const label = `${resource.kind} ${resource.metadata?.name}`;
  const file = models[key];
  if (!file) {
    console.log(`invalid ${label}: no schema for ${key}`);
    failed = true;
    continue;
  }
  const module = await import(pathToFileURL(join(modules, file)).href);
  const Model = module[resource.kind];
  try {
    new Model(resource).validate();
    console.log(`ok ${label}`);
  } catch (error) {
    console.log(`invalid ${label}: ${error.message}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
