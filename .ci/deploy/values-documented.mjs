// Checks that the chart README documents every value of values.yaml: each key path appears in
// backticks, either itself or through a documented parent (free-form objects such as `resources`).
//   node values-documented.mjs <chart dir>
import { readFileSync } from "node:fs";
import yaml from "js-yaml";

const dir = process.argv[2];
const values = yaml.load(readFileSync(`${dir}/values.yaml`, "utf8"));
const readme = readFileSync(`${dir}/README.md`, "utf8");
const missing = [];
let documented = 0;
function walk(node, path) {
  if (path && readme.includes("`" + path + "`")) {
    documented++;
    return;
  }
  if (node && typeof node === "object" && !Array.isArray(node) && Object.keys(node).length > 0) {
    for (const [key, value] of Object.entries(node)) walk(value, path ? `${path}.${key}` : key);
  } else {
    missing.push(path);
  }
}
walk(values, "");
for (const path of missing) console.log(`FAIL values.yaml key ${path} is not documented in README.md`);
console.log(`values documented: ${documented} passed, ${missing.length} failed`);
process.exit(missing.length === 0 ? 0 : 1);
