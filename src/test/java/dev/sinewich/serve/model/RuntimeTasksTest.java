package dev.sinewich.serve.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sinewich.serve.bundle.Bundle;
import dev.sinewich.serve.bundle.BundleException;
import dev.sinewich.serve.bundle.BundleFiles;
import dev.sinewich.serve.bundle.SinewichConfig;
import dev.sinewich.serve.bundle.TaskFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tasks added and removed at run time: a task file is validated like a bundle, an added task gives
 * exactly what the same weights give in the bundle, and removal never disturbs passes in flight.
 */
class RuntimeTasksTest {

    private static final Path BUNDLE = ConformanceTest.ROOT.resolve("s4_mixed_downscale/bundle");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private SinewichModel model;

    private void load(String engine) {
        try (Bundle bundle = Bundle.open(BUNDLE)) {
            model = SinewichModel.load(bundle, Device.cpu(), new KernelSettings("cache", 1L << 30, Set.of(), Set.of()),
                    Engines.of(engine));
        }
    }

    @AfterEach
    void close() {
        if (model != null) {
            model.close();
        }
    }

    /** Copies a bundle task's tensors into a task file under a new name. */
    private Path taskFile(String from, String to, Map<String, String> metaOverride) throws IOException {
        Map<String, BundleFiles.Raw> all = BundleFiles.read(BUNDLE.resolve("model.safetensors"));
        Map<String, BundleFiles.Raw> mine = new LinkedHashMap<>();
        all.forEach((name, raw) -> {
            for (String prefix : List.of("heads." + from + ".", "tasks." + from + ".")) {
                if (name.startsWith(prefix)) {
                    mine.put(name.replace(prefix, prefix.replace("." + from + ".", "." + to + ".")), raw);
                }
            }
        });
        SinewichConfig.Task spec = model.config().task(from);
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("name", to);
        entry.put("kind", spec.kind().jsonName());
        entry.put("outputs", spec.outputs());
        if (!spec.labels().isEmpty()) {
            entry.put("labels", spec.labels());
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", TaskFile.FORMAT);
        meta.put("task", JSON.writeValueAsString(entry));
        meta.putAll(metaOverride);
        Path file = tmp.resolve(to + ".safetensors");
        BundleFiles.write(file, mine, meta);
        return file;
    }

    private void add(Path file) {
        try (TaskFile task = TaskFile.open(file, model.config(), model.hasClockNet())) {
            model.addTask(task);
        }
    }

    private float[] run(String task) {
        return TestImages.values(model.predict(TestImages.random(1, 26, 30, 5), task, Set.of()).get(0));
    }

    @ParameterizedTest
    @MethodSource("dev.sinewich.serve.model.Engines#names")
    void addedTasksGiveWhatTheSameWeightsGiveInTheBundle(String engine) throws IOException {
        load(engine);
        add(taskFile("depth", "depth.v2", Map.of()));    // explicit ω
        add(taskFile("semseg", "seg2", Map.of()));       // Clock Net tokens
        assertEquals(List.of("semseg", "depth", "normals", "saliency", "edges", "depth.v2", "seg2"),
                model.tasks().stream().map(SinewichConfig.Task::name).toList());
        assertArrayEquals(model.frequencies("semseg"), model.frequencies("seg2"));
        assertArrayEquals(run("depth"), run("depth.v2"));
        assertArrayEquals(run("semseg"), run("seg2"));
        ForwardItem both = new ForwardItem(TestImages.random(1, 26, 30, 5), List.of("depth", "depth.v2"), Set.of());
        var results = model.predictBatch(List.of(both)).get(0);
        assertArrayEquals(results.get("depth").get(0).floats(), results.get("depth.v2").get(0).floats());
    }

    @ParameterizedTest
    @MethodSource("dev.sinewich.serve.model.Engines#names")
    void removedTaskIsGoneAndTheOthersKeepServing(String engine) {
        load(engine);
        float[] before = run("normals");
        model.removeTask("depth");
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> run("depth"));
        assertTrue(e.getMessage().contains("unknown task 'depth'"), e.getMessage());
        assertArrayEquals(before, run("normals"));
        assertTrue(!model.memory().heads().containsKey("depth"));
        assertThrows(InvalidInputException.class, () -> model.removeTask("depth"));
    }

    @ParameterizedTest
    @MethodSource("dev.sinewich.serve.model.Engines#names")
    void removalDuringPassesNeverBreaksThem(String engine) throws Exception {
        load(engine);
        float[] expected = run("saliency");
        AtomicReference<Throwable> unexpected = new AtomicReference<>();
        int[] served = new int[1];
        Thread user = new Thread(() -> {
            for (int i = 0; i < 30; i++) {
                try {
                    assertArrayEquals(expected, run("saliency"));
                    served[0]++;
                } catch (InvalidInputException gone) {
                    return; // removed before this pass looked it up: an explicit error, not a broken pass
                } catch (Throwable t) {
                    unexpected.set(t);
                    return;
                }
            }
        });
        user.start();
        while (served[0] == 0 && user.isAlive()) {
            Thread.sleep(1);
        }
        model.removeTask("saliency");
        user.join(120_000);
        assertEquals(null, unexpected.get());
        assertTrue(served[0] >= 1);
    }

    @ParameterizedTest
    @MethodSource("dev.sinewich.serve.model.Engines#names")
    void badTaskFilesAreRejectedWithTheirProblem(String engine) throws IOException {
        load(engine);
        assertMessage(taskFile("depth", "depth2", Map.of("format", "sinewich/v1")), "__metadata__.format");
        assertMessage(taskFile("depth", "Depth2", Map.of()), "__metadata__.task", "name");
        assertMessage(taskFile("depth", "depth", Map.of()), "already served");
        Path file = taskFile("depth", "depth3", Map.of());
        Map<String, BundleFiles.Raw> tensors = BundleFiles.read(file);
        tensors.remove("heads.depth3.bn.bias");
        BundleFiles.write(file, tensors, Map.of("format", TaskFile.FORMAT,
                "task", "{\"name\":\"depth3\",\"kind\":\"depth\",\"outputs\":1}"));
        assertMessage(file, "heads.depth3.bn.bias", "missing");
        tensors = BundleFiles.read(taskFile("depth", "depth4", Map.of()));
        tensors.put("heads.depth4.extra", tensors.get("heads.depth4.bn.bias"));
        BundleFiles.write(file, tensors, Map.of("format", TaskFile.FORMAT,
                "task", "{\"name\":\"depth4\",\"kind\":\"depth\",\"outputs\":1}"));
        assertMessage(file, "heads.depth4.extra", "not used");
        assertMessage(taskFile("normals", "normals2", Map.of("task",
                "{\"name\":\"normals2\",\"kind\":\"saliency\",\"outputs\":1}")), "heads.normals2.out.weight",
                "expected shape (1, ");
    }

    @ParameterizedTest
    @MethodSource("dev.sinewich.serve.model.Engines#names")
    void tokenTaskNeedsAModelWithAClockNet(String engine) throws IOException {
        load(engine);
        Path file = taskFile("semseg", "seg3", Map.of());
        try (Bundle noClock = Bundle.open(ConformanceTest.ROOT.resolve("s3_nolora_omega_batch2/bundle"))) {
            BundleException e = assertThrows(BundleException.class,
                    () -> TaskFile.open(file, noClock.config(), noClock.hasClockNet()).close());
            assertTrue(e.getMessage().contains("no Clock Net") || e.getMessage().contains("expected shape"),
                    e.getMessage());
        }
    }

    private void assertMessage(Path file, String... parts) {
        RuntimeException e = assertThrows(RuntimeException.class, () -> add(file));
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), () -> "expected '" + part + "' in: " + e.getMessage());
        }
    }
}
