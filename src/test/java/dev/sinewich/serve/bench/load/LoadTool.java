package dev.sinewich.serve.bench.load;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The command line of the load generator: {@code load}, {@code overload} or {@code soak} against the
 * packaged server it starts itself, or against {@code --url}. Prints a human-readable report, writes
 * it and a JSON report to {@code --out}, and exits 1 when a property fails. See {@code bench/load.sh}
 * for the options.
 */
public final class LoadTool {

    private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules()
            .enable(SerializationFeature.INDENT_OUTPUT).disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS);

    private LoadTool() {}

    /**
     * Runs the tool.
     *
     * @param args the mode, then {@code --option value} pairs
     * @throws Exception if the run cannot be carried out
     */
    public static void main(String[] args) throws Exception {
        if (args.length == 0 || !List.of("load", "overload", "soak").contains(args[0])) {
            System.err.println("usage: LoadTool load|overload|soak [--option value]...  (see bench/load.sh)");
            System.exit(2);
        }
        String mode = args[0];
        Map<String, String> opt = new LinkedHashMap<>();
        Map<String, String> env = new LinkedHashMap<>();
        for (int i = 1; i < args.length; i += 2) {
            if (args[i].equals("--server-env")) {
                String[] kv = args[i + 1].split("=", 2);
                env.put(kv[0], kv[1]);
            } else {
                opt.put(args[i].substring(2), args[i + 1]);
            }
        }
        System.exit(run(mode, opt, env, System.out) ? 0 : 1);
    }

    /**
     * Runs one mode.
     *
     * @param mode load, overload or soak
     * @param opt the options
     * @param env extra server environment when the tool starts the server
     * @param out where the report is printed
     * @return true when every property held
     * @throws Exception if the run cannot be carried out
     */
    public static boolean run(String mode, Map<String, String> opt, Map<String, String> env, PrintStream out)
            throws Exception {
        Path dir = Path.of(opt.getOrDefault("out", "target/bench/load"));
        Files.createDirectories(dir);
        Duration deadline = Duration.ofMillis(Long.parseLong(opt.getOrDefault("deadline-ms", "5000")));
        Map<String, String> serverEnv = new LinkedHashMap<>();
        if (mode.equals("overload")) { // an explicit deadline and queue, so that the properties have a meaning
            serverEnv.put("SINEWICH_INFERENCE_TIMEOUT", deadline.toMillis() + "ms");
            serverEnv.put("SINEWICH_INFERENCE_QUEUE_CAPACITY", opt.getOrDefault("queue", "16"));
        }
        serverEnv.putAll(env);
        try (ServerUnderTest server = server(opt, serverEnv, dir)) {
            server.awaitReady(Duration.ofMinutes(3));
            String model = opt.getOrDefault("model", server.model());
            List<String> tasks = opt.containsKey("tasks") ? List.of(opt.get("tasks").split(",")) : server.tasks(model);
            long seed = Long.parseLong(opt.getOrDefault("seed", "42"));
            Workload workload = Workload.of(seed, Api.parse(opt.getOrDefault("apis", "rest_native,rest_oip,grpc_native")),
                    tasks, Workload.sizes(opt.getOrDefault("sizes", "64x64,160x120,320x240")),
                    Double.parseDouble(opt.getOrDefault("multi-task-share", "0.2")));
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("mode", mode);
            report.put("started", Instant.now().toString());
            report.put("target", Map.of("url", server.baseUrl(), "grpc_port", server.grpcPort(), "model", model,
                    "server_env", serverEnv));
            report.put("workload", Map.of("seed", seed, "apis", workload.apis().stream().map(Api::label).toList(),
                    "tasks", tasks, "sizes", workload.images().stream().map(i -> i.width() + "x" + i.height()).toList(),
                    "multi_task_share", Double.parseDouble(opt.getOrDefault("multi-task-share", "0.2"))));
            out.printf("%s against %s (model %s, tasks %s, apis %s, sizes %s, seed %d)%n", mode, server.baseUrl(), model,
                    tasks, opt.getOrDefault("apis", "rest_native,rest_oip,grpc_native"),
                    opt.getOrDefault("sizes", "64x64,160x120,320x240"), seed);
            List<Check> checks;
            try (Caller caller = new Caller(server.baseUrl(), server.grpcHost(), server.grpcPort(), model,
                    deadline.plusSeconds(10))) {
                checks = switch (mode) {
                    case "overload" -> overload(server, caller, workload, opt, deadline, seed, report, out);
                    case "soak" -> soak(server, caller, workload, opt, report, out);
                    default -> load(caller, workload, opt, seed, report, out);
                };
            }
            report.put("checks", checks);
            boolean passed = checks.stream().allMatch(Check::passed);
            report.put("passed", passed);
            StringBuilder text = new StringBuilder();
            checks.forEach(c -> text.append(c.text()).append('\n'));
            text.append(passed ? "PASSED" : "FAILED").append('\n');
            out.print(text);
            JSON.writeValue(dir.resolve(mode + ".json").toFile(), report);
            Files.writeString(dir.resolve(mode + ".txt"), JSON.writeValueAsString(report.get("phases")) + "\n" + text,
                    StandardCharsets.UTF_8);
            out.println("report: " + dir.resolve(mode + ".json"));
            return passed;
        }
    }

    private static ServerUnderTest server(Map<String, String> opt, Map<String, String> env, Path dir) throws Exception {
        if (opt.containsKey("url")) {
            return ServerUnderTest.attach(opt.get("url"), opt.getOrDefault("grpc-host", "127.0.0.1"),
                    Integer.parseInt(opt.getOrDefault("grpc-port", "9000")), Long.parseLong(opt.getOrDefault("pid", "-1")));
        }
        return ServerUnderTest.start(Path.of(opt.getOrDefault("jar", "target/quarkus-app/quarkus-run.jar")), env,
                dir.resolve("server.log"));
    }

    private static List<Check> load(Caller caller, Workload workload, Map<String, String> opt, long seed,
            Map<String, Object> report, PrintStream out) throws Exception {
        Duration duration = Duration.ofSeconds(Long.parseLong(opt.getOrDefault("duration", "30")));
        Summary s;
        if (opt.containsKey("clients")) {
            s = Drivers.closedLoop(caller, workload, new Phase("closed"), Integer.parseInt(opt.get("clients")),
                    Long.MAX_VALUE, duration, Duration.ofMinutes(1));
        } else {
            s = Drivers.openLoop(caller, workload, new Phase("open"), Double.parseDouble(opt.getOrDefault("rate", "10")),
                    duration, seed, Duration.ofMinutes(1));
        }
        out.print(s.text());
        report.put("phases", List.of(s));
        return List.of(new Check("no transport errors", s.transportErrorCount() == 0, s.transportErrors().toString()));
    }

    private static List<Check> overload(ServerUnderTest server, Caller caller, Workload workload,
            Map<String, String> opt, Duration deadline, long seed, Map<String, Object> report, PrintStream out)
            throws Exception {
        OverloadRun.Plan plan = new OverloadRun.Plan(seconds(opt, "warmup", 15), seconds(opt, "capacity-seconds", 20),
                Integer.parseInt(opt.getOrDefault("clients", "24")), seconds(opt, "baseline-seconds", 20),
                seconds(opt, "overload-seconds", 60), seconds(opt, "recovery-seconds", 20),
                Double.parseDouble(opt.getOrDefault("factor", "2")), Double.parseDouble(opt.getOrDefault("calm", "0.5")),
                deadline, Boolean.parseBoolean(opt.getOrDefault("strict", "true")),
                Double.parseDouble(opt.getOrDefault("max-recovery-ratio", "1.5")), seed);
        OverloadRun.Result r = OverloadRun.run(server, caller, workload, plan, out);
        out.printf("capacity %.1f requests/s; RSS KiB %s%n", r.capacity(), r.memory());
        report.put("plan", plan);
        report.put("capacity_rps", r.capacity());
        report.put("phases", r.phases());
        report.put("memory", r.memory());
        return r.checks();
    }

    private static List<Check> soak(ServerUnderTest server, Caller caller, Workload workload, Map<String, String> opt,
            Map<String, Object> report, PrintStream out) throws Exception {
        String limit = opt.getOrDefault("max-rss-growth", "0.05");
        SoakRun.Plan plan = new SoakRun.Plan(Long.parseLong(opt.getOrDefault("warmup-requests", "1000")),
                Long.parseLong(opt.getOrDefault("requests", "10000")), Integer.parseInt(opt.getOrDefault("clients", "4")),
                limit.equals("none") ? Double.NaN : Double.parseDouble(limit));
        SoakRun.Result r = SoakRun.run(server, caller, workload, plan, out);
        out.println("figures: " + r.figures());
        report.put("plan", plan);
        report.put("phases", r.phases());
        report.put("figures", r.figures());
        report.put("samples", new ArrayList<>(r.samples()));
        return r.checks();
    }

    private static Duration seconds(Map<String, String> opt, String key, long def) {
        return Duration.ofSeconds(Long.parseLong(opt.getOrDefault(key, Long.toString(def))));
    }
}
