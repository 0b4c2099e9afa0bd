// Validates KServe resources (serving.kserve.io ServingRuntime, ClusterServingRuntime,
// InferenceService) against the openAPIV3Schema of KServe's CRDs, vendored in kserve/ (see
// kserve/README.md), with Ajv, the way the API server reads a structural schema:
//  - an object schema without additionalProperties and without x-kubernetes-preserve-unknown-fields
//    is closed: the API server would prune (or, with strict field validation, refuse) an unknown
//    field, so a misspelled field is an error here;
//  - x-kubernetes-int-or-string takes an integer or a string (quantities, ports);
//  - x-kubernetes-embedded-resource objects take apiVersion, kind and metadata;
//  - x-kubernetes-list-type set and map lists must not repeat an item or a key;
//  - formats int32, int64 and date-time are checked; the root metadata is checked as ObjectMeta.
// CEL rules (x-kubernetes-validations) are not evaluated; KServe's CRDs have none (a NOTE says so
// if a schema update brings some).
//   import { kserveModel } from "./kserve-schema.mjs";
//   new (kserveModel(doc.apiVersion, doc.kind))(doc).validate();   // throws, listing every error
import { readFileSync } from "node:fs";
import Ajv from "ajv";

const FILES = {
  "serving.kserve.io/v1alpha1": {
    ServingRuntime: "servingruntime.v1alpha1.json",
    ClusterServingRuntime: "clusterservingruntime.v1alpha1.json",
  },
  "serving.kserve.io/v1beta1": {
    InferenceService: "inferenceservice.v1beta1.json",
  },
};

const stringMap = { type: "object", additionalProperties: { type: "string" } };
// metav1.ObjectMeta as a client may send it (the API server validates it apart from the CRD schema)
const OBJECT_META = {
  type: "object",
  additionalProperties: false,
  properties: {
    name: { type: "string" },
    generateName: { type: "string" },
    namespace: { type: "string" },
    labels: stringMap,
    annotations: stringMap,
    finalizers: { type: "array", items: { type: "string" } },
    ownerReferences: { type: "array", items: { type: "object" } },
    uid: { type: "string" },
    resourceVersion: { type: "string" },
    generation: { type: "integer" },
    creationTimestamp: { type: ["string", "null"] },
    deletionTimestamp: { type: "string" },
    deletionGracePeriodSeconds: { type: "integer" },
    managedFields: { type: "array", items: { type: "object" } },
    selfLink: { type: "string" },
  },
};

let celRules = 0;

// A CRD schema node as JSON Schema for Ajv: closes objects as a structural schema is closed.
function structural(node) {
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "properties") {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, structural(schema)]));
    } else if ((key === "items" || key === "additionalProperties" || key === "not") && typeof value === "object") {
      out[key] = structural(value);
    } else if (key === "allOf" || key === "anyOf" || key === "oneOf") {
      out[key] = value.map(structural);
    } else if (key === "x-kubernetes-validations") {
      celRules += value.length;
      out[key] = value;
    } else {
      out[key] = value;
    }
  }
  if (node["x-kubernetes-int-or-string"] && !node.anyOf) {
    out.anyOf = [{ type: "integer" }, { type: "string" }];
  }
  if (node["x-kubernetes-embedded-resource"]) {
    out.properties = { apiVersion: { type: "string" }, kind: { type: "string" }, metadata: OBJECT_META, ...out.properties };
  }
  if (node.nullable) {
    out.type = [node.type, "null"];
    delete out.nullable;
  }
  const isObject = node.type === "object" || node.properties;
  if (isObject && !("additionalProperties" in node) && !node["x-kubernetes-preserve-unknown-fields"]) {
    out.additionalProperties = false;
  }
  return out;
}

function itemKey(item, keys, itemSchema) {
  return JSON.stringify(keys.map((k) => item?.[k] ?? itemSchema?.properties?.[k]?.default ?? null));
}

const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false, strictTuples: false });
ajv.addFormat("int32", { type: "number", validate: (x) => Number.isInteger(x) && x >= -(2 ** 31) && x < 2 ** 31 });
ajv.addFormat("int64", { type: "number", validate: (x) => Number.isInteger(x) });
ajv.addFormat("date-time", /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/);
for (const keyword of ["x-kubernetes-int-or-string", "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-embedded-resource", "x-kubernetes-map-type", "x-kubernetes-list-map-keys",
  "x-kubernetes-validations"]) {
  ajv.addKeyword({ keyword });
}
ajv.addKeyword({
  keyword: "x-kubernetes-list-type",
  type: "array",
  schemaType: "string",
  errors: true,
  validate: function listType(kind, data, parentSchema) {
    if (kind !== "set" && kind !== "map") return true;
    const keys = parentSchema["x-kubernetes-list-map-keys"] ?? [];
    const seen = new Set();
    for (const item of data) {
      const key = kind === "map" ? itemKey(item, keys, parentSchema.items) : JSON.stringify(item);
      if (seen.has(key)) {
        listType.errors = [{
          keyword: "x-kubernetes-list-type",
          message: kind === "map" ? `repeats the key ${keys.join(", ")} = ${key}` : `repeats the item ${key}`,
          params: { kind },
        }];
        return false;
      }
      seen.add(key);
    }
    return true;
  },
});

const compiled = new Map();
function validatorFor(apiVersion, kind) {
  const file = FILES[apiVersion]?.[kind];
  if (!file) throw new Error(`no KServe schema for ${apiVersion} ${kind}`);
  if (!compiled.has(file)) {
    const schema = JSON.parse(readFileSync(new URL(`./kserve/${file}`, import.meta.url), "utf8"));
    const { $comment, ...crdSchema } = schema;
    const root = structural(crdSchema);
    root.properties.metadata = OBJECT_META;
    root.properties.apiVersion = { const: apiVersion };
    root.properties.kind = { const: kind };
    root.required = [...new Set([...(root.required ?? []), "apiVersion", "kind", "metadata"])];
    compiled.set(file, { validate: ajv.compile({ $comment, ...root }), source: $comment });
  }
  return compiled.get(file);
}

// Ajv's errors as "path: message" lines; the two failed branches of an int-or-string anyOf are
// reported once.
function describe(errors) {
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === "anyOf").map((e) => e.instancePath));
  const lines = [];
  for (const e of errors) {
    const path = e.instancePath || "/";
    if (e.keyword !== "anyOf" && anyOfPaths.has(e.instancePath) && /\/anyOf\/\d+\//.test(e.schemaPath)) continue;
    if (e.keyword === "additionalProperties") {
      lines.push(`${path}: unknown field "${e.params.additionalProperty}"`);
    } else if (e.keyword === "anyOf") {
      lines.push(`${path}: must be an integer or a string`);
    } else if (e.keyword === "enum") {
      lines.push(`${path}: must be one of ${e.params.allowedValues.join(", ")}`);
    } else {
      lines.push(`${path}: ${e.message}`);
    }
  }
  return [...new Set(lines)];
}

// A class like those of kubernetes-models: new Model(doc).validate() throws when doc is invalid.
export function kserveModel(apiVersion, kind) {
  const { validate } = validatorFor(apiVersion, kind);
  return class KServeResource {
    constructor(doc) {
      this.doc = doc;
    }

    validate() {
      if (!validate(this.doc)) {
        throw new Error(describe(validate.errors).join("; "));
      }
    }
  };
}

// Where the vendored schema of a kind comes from (its $comment), and the CEL rules not evaluated.
export function kserveSchemaSource(apiVersion, kind) {
  return { source: validatorFor(apiVersion, kind).source, celRules };
}
