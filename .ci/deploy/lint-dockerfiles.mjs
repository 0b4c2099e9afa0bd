// Lints Dockerfiles: dockerfile-utils (the VS Code Docker language server's validator: syntax,
// instructions, flags, durations, ports) with every warning an error, then the rules the images
// promise: pinned base images, a non-root numeric USER, EXPOSE 8080 and 9000, a HEALTHCHECK, and
// the start and extraction scripts that CI tests (docker/start.sh, docker/extract-libtorch.sh).
// With --context DIR, also checks DIR/.dockerignore against the build's COPY sources: each must be
// in the build context, and tests, build output, VCS data and CI files must not.
//   node lint-dockerfiles.mjs [--context DIR] <Dockerfile>...
import { readFileSync, existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { validate, ValidationSeverity } from "dockerfile-utils";
import { DockerfileParser } from "dockerfile-ast";

let passed = 0;
let failed = 0;
function check(ok, what) {
  if (ok) passed++; else { failed++; console.log(`FAIL ${what}`); }
}

// .dockerignore as Docker reads it: patterns in order, "!" re-includes, a pattern that matches a
// parent folder matches everything in it, "*" and "?" stay within one path element, "**" spans any.
function ignoreRules(text) {
  return text.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#")).map((line) => {
    const negate = line.startsWith("!");
    const p = (negate ? line.slice(1) : line).trim().replace(/^\/+/, "").replace(/\/+$/, "");
    let re = "";
    for (let i = 0; i < p.length; i++) {
      const c = p[i];
      if (c === "*" && p[i + 1] === "*") {
        i++;
        if (p[i + 1] === "/") { i++; re += "(?:.*/)?"; } else { re += ".*"; }
      } else if (c === "*") { re += "[^/]*"; } else if (c === "?") { re += "[^/]"; } else { re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&"); }
    }
    return { re: new RegExp(`^${re}$`), negate };
  });
}
function inContext(path, rules) {
  const parts = path.split("/");
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
  let excluded = false;
  for (const { re, negate } of rules) {
    if (prefixes.some((p) => re.test(p))) excluded = !negate;
  }
  return !excluded;
}

const argv = process.argv.slice(2);
let context = null;
if (argv[0] === "--context") {
  context = argv[1];
  argv.splice(0, 2);
}
const rules = context ? ignoreRules(existsSync(`${context}/.dockerignore`) ? readFileSync(`${context}/.dockerignore`, "utf8") : "") : null;
const tracked = context ? execFileSync("git", ["ls-files"], { cwd: context, encoding: "utf8" }).split("\n").filter((f) => f) : [];
if (context) {
  for (const path of ["src/test/java/Example.java", "target/classes/x.class", "target/surefire-reports/x.txt",
    ".git/config", ".ci/run", "helm/sinewich-serve/values.yaml", "node_modules/x/index.js", "bench-out/x.json"]) {
    check(!inContext(path, rules), `.dockerignore keeps ${path} out of the build context`);
  }
  for (const path of ["target/quarkus-app/quarkus-run.jar", "target/libtorch/libtorch.env", "pom.xml", "src/main/x"]) {
    check(inContext(path, rules), `.dockerignore lets ${path} into the build context`);
  }
}

for (const file of argv) {
  const text = readFileSync(file, "utf8");
  const settings = {};
  for (const key of ["deprecatedMaintainer", "directiveCasing", "emptyContinuationLine", "instructionCasing",
    "instructionCmdMultiple", "instructionEntrypointMultiple", "instructionHealthcheckMultiple",
    "instructionJSONInSingleQuotes", "instructionWorkdirRelative"]) {
    settings[key] = ValidationSeverity.ERROR;
  }
  const problems = validate(text, settings);
  for (const p of problems) {
    console.log(`FAIL ${file}:${p.range.start.line + 1}: ${p.message}`);
  }
  check(problems.length === 0, `${file}: dockerfile-utils finds no problem`);

  const dockerfile = DockerfileParser.parse(text);
  const args = new Map(dockerfile.getInitialARGs().flatMap((a) => a.getProperties())
    .map((p) => [p.getName(), p.getValue()]));
  const stages = dockerfile.getFROMs();
  // two shapes: the application built on the host and copied in, or built in a Maven stage
  const hostBuilt = /^COPY target\/quarkus-app \/app$/m.test(text);
  if (hostBuilt) {
    check(/^COPY target\/libtorch \/opt\/libtorch$/m.test(text), `${file}: copies the libtorch extract-libtorch.sh laid out on the host`);
    check(/sh docker\/extract-libtorch\.sh target\/quarkus-app target\/libtorch/.test(text), `${file}: documents the build order`);
  } else {
    check(stages.length >= 2, `${file}: multi-stage build`);
    }
  for (const from of stages) {
    let image = from.getImageName() ?? "";
    const ref = from.getArgumentsContent() ?? "";
    const argRef = /^\$\{?(\w+)\}?/.exec(ref);
    const resolved = argRef ? args.get(argRef[1]) : ref.split(/\s+/)[0];
    if (resolved === undefined) {
      check(stages.some((s) => s.getBuildStage() === ref.split(/\s+/)[0]), `${file}: FROM ${ref} is a known stage or ARG`);
      continue;
    }
    const isStage = stages.some((s) => s.getBuildStage() === resolved);
    check(isStage || /:[\w.-]+$/.test(resolved) && !/:latest$/.test(resolved),
      `${file}: base image ${resolved} has a pinned tag`);
    image = resolved;
  }
  const fromLines = text.split("\n").filter((l) => /^FROM\s/i.test(l));
  check(fromLines.every((l) => /^FROM\s+--platform=linux\/amd64\s/.test(l)),
    `${file}: every FROM builds for linux/amd64 (the natives are x86-64 only)`);
  const instructions = dockerfile.getInstructions();
  const last = (kw) => instructions.filter((i) => i.getKeyword() === kw).pop();
  const user = last("USER")?.getArgumentsContent() ?? "";
  check(/^[1-9][0-9]*(:[0-9]+)?$/.test(user) && !user.startsWith("0"), `${file}: USER is a numeric non-root id (${user})`);
  const exposed = instructions.filter((i) => i.getKeyword() === "EXPOSE").flatMap((i) => i.getArguments().map((a) => a.getValue()));
  check(exposed.includes("8080") && exposed.includes("9000") && exposed.includes("8081"), `${file}: EXPOSE 8080, 9000 and 8081`);
  const health = last("HEALTHCHECK")?.getArgumentsContent() ?? "";
  check(/sinewich-healthcheck/.test(health), `${file}: HEALTHCHECK runs docker/healthcheck.sh`);
  const entrypoint = last("ENTRYPOINT")?.getArgumentsContent() ?? "";
  check(/sinewich-start/.test(entrypoint), `${file}: ENTRYPOINT is docker/start.sh`);
  check(/COPY docker\/start\.sh \/usr\/local\/bin\/sinewich-start/.test(text), `${file}: copies docker/start.sh as sinewich-start`);
  check(/COPY docker\/healthcheck\.sh \/usr\/local\/bin\/sinewich-healthcheck/.test(text), `${file}: copies docker/healthcheck.sh`);
  check(/SINEWICH_LIBTORCH_DIR=\/opt\/libtorch/.test(text), `${file}: start.sh finds libtorch in /opt/libtorch`);
  check(!/^\s*(ADD|RUN)\s.*\b(curl|wget)\b.*https?:/m.test(text), `${file}: downloads nothing outside Maven`);
  check(/\bLANG=C\.UTF-8\b/.test(text) || /eclipse-temurin/.test(args.get("RUNTIME_IMAGE") ?? ""),
    `${file}: a UTF-8 locale (LANG set here or by the Temurin base)`);
  if (context) {
    for (const copy of instructions.filter((i) => i.getKeyword() === "COPY")) {
      if (copy.getFlags().some((f) => f.getName() === "from")) continue;
      const args = copy.getArguments().map((a) => a.getValue());
      for (const source of args.slice(0, -1)) {
        const src = source.replace(/^\.\//, "").replace(/\/$/, "");
        if (src.startsWith("target/")) {
          // built on the host before the image (the documented build order), not tracked by git
          check(inContext(`${src}/x`, rules), `${file}: COPY ${source} (built on the host) is in the build context`);
          continue;
        }
        const present = tracked.filter((f) => f === src || f.startsWith(`${src}/`));
        check(present.length > 0 && present.some((f) => inContext(f, rules)),
          `${file}: COPY ${source} is in the build context (${present.filter((f) => inContext(f, rules)).length} files)`);
      }
    }
  }
}
console.log(`dockerfiles: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
