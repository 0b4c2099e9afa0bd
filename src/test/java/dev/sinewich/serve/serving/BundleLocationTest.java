package dev.sinewich.serve.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sinewich.serve.bundle.BundleException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the bundle is in the model path, as KServe's storage initializer may leave /mnt/models. */
class BundleLocationTest {

    @TempDir
    Path tmp;

    private static Path bundleDir(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("sinewich.json"), "{}");
        return dir;
    }

    @Test
    void aBundleDirectoryIsItself() throws IOException {
        Path models = bundleDir(tmp.resolve("models"));
        Files.createDirectories(models.resolve("extra"));
        assertEquals(models, BundleLocation.locate(models));
    }

    @Test
    void aZipIsItself() throws IOException {
        Path zip = Files.writeString(tmp.resolve("m.zip"), "zip");
        assertEquals(zip, BundleLocation.locate(zip));
    }

    @Test
    void aFolderWithOneBundleDirectoryOrOneZipIsThatBundle() throws IOException {
        Path one = Files.createDirectories(tmp.resolve("one"));
        Path inside = bundleDir(one.resolve("pascal-swin-t"));
        Files.createDirectories(one.resolve("not-a-bundle"));
        Files.writeString(one.resolve("README.txt"), "x");
        bundleDir(one.resolve(".hidden"));
        assertEquals(inside, BundleLocation.locate(one));
        Path zipped = Files.createDirectories(tmp.resolve("zipped"));
        Path zip = Files.writeString(zipped.resolve("m.zip"), "zip");
        assertEquals(zip, BundleLocation.locate(zipped));
    }

    @Test
    void noBundleOrSeveralAreClearErrors() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        BundleException e = assertThrows(BundleException.class, () -> BundleLocation.locate(empty));
        assertTrue(e.getMessage().contains("holds no bundle: expected sinewich.json there"), e.getMessage());
        Path two = Files.createDirectories(tmp.resolve("two"));
        bundleDir(two.resolve("a"));
        Files.writeString(two.resolve("b.zip"), "zip");
        e = assertThrows(BundleException.class, () -> BundleLocation.locate(two));
        assertTrue(e.getMessage().contains("holds 2 bundles (a, b.zip)"), e.getMessage());
        e = assertThrows(BundleException.class, () -> BundleLocation.locate(tmp.resolve("missing")));
        assertTrue(e.getMessage().endsWith("missing does not exist"), e.getMessage());
    }

    @Test
    void aPathThatAppearsLaterIsWaitedFor() throws Exception {
        Path later = tmp.resolve("later");
        Thread maker = new Thread(() -> {
            try {
                Thread.sleep(300);
                bundleDir(later);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        maker.start();
        assertTrue(BundleLocation.await(later, java.time.Duration.ofSeconds(30)));
        maker.join();
        assertEquals(later, BundleLocation.locate(later));
        assertTrue(!BundleLocation.await(tmp.resolve("never"), java.time.Duration.ofMillis(300)));
    }
}
