package dev.sinewich.serve.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model repository's entries by name: folders and zips directly under the root, nothing that
 * escapes it by name or by link, and no guess between a folder and a zip of the same name.
 */
class ModelRepositoryTest {

    @TempDir
    Path tmp;
    private Path root;
    private ModelRepository repository;

    @BeforeEach
    void layOut() throws IOException {
        root = Files.createDirectories(tmp.resolve("repo"));
        Files.createDirectories(root.resolve("alpha"));
        Files.writeString(root.resolve("beta.zip"), "zip");
        Files.createDirectories(root.resolve("both"));
        Files.writeString(root.resolve("both.zip"), "zip");
        Files.createDirectories(root.resolve(".hidden"));
        Files.writeString(root.resolve("notes.txt"), "not a bundle");
        Files.createDirectories(root.resolve("bad name"));
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(tmp.resolve("outside.zip"), "zip");
        Files.createSymbolicLink(root.resolve("escape"), outside);
        Files.createSymbolicLink(root.resolve("escape2.zip"), tmp.resolve("outside.zip"));
        Files.createSymbolicLink(root.resolve("latest"), root.resolve("alpha"));
        repository = ModelRepository.of(Optional.of(root.toString()));
    }

    @Test
    void entriesAreTheFoldersAndZipsInsideTheRoot() throws IOException {
        List<ModelRepository.Entry> entries = repository.entries();
        assertEquals(List.of("alpha", "beta", "both", "latest"), entries.stream().map(ModelRepository.Entry::name)
                .toList());
        assertEquals(root.resolve("alpha").toRealPath(), entries.get(0).path());
        assertEquals(root.resolve("beta.zip").toRealPath(), entries.get(1).path());
        assertEquals(root.resolve("both").toRealPath(), entries.get(2).path());
        // a link to a folder inside the root is that folder
        assertEquals(root.resolve("alpha").toRealPath(), entries.get(3).path());
    }

    @Test
    void anEntryIsFoundByItsName() throws IOException {
        assertEquals(root.resolve("alpha").toRealPath(), repository.entry("alpha"));
        assertEquals(root.resolve("beta.zip").toRealPath(), repository.entry("beta"));
        assertEquals(root.resolve("alpha").toRealPath(), repository.entry("latest"));
    }

    @Test
    void aFolderAndAZipOfOneNameAreNotGuessedBetween() {
        ModelRepository.AmbiguousEntryException e = assertThrows(ModelRepository.AmbiguousEntryException.class,
                () -> repository.entry("both"));
        assertTrue(e.getMessage().contains("both 'both' and 'both.zip'"), e.getMessage());
    }

    @Test
    void everyNameOutsideTheRootOrNotAModelNameIsRefusedAlike() {
        for (String name : new String[] {"..", "../outside", "escape", "escape2", "/etc", "alpha/..", "a/b", ".hidden",
                "beta.zip", "notes.txt", "notes", "missing", "", " ", "bad name", "x\0y", "%2e%2e", "~", "alpha/",
                "-alpha", "a".repeat(129)}) {
            ModelRepository.RepositoryRefusalException e = assertThrows(
                    ModelRepository.RepositoryRefusalException.class, () -> repository.entry(name), name);
            assertEquals(ModelRepository.REFUSAL, e.getMessage());
        }
        assertThrows(ModelRepository.RepositoryRefusalException.class, () -> repository.entry(null));
    }

    @Test
    void withoutARootThereAreNoEntries() {
        ModelRepository none = ModelRepository.of(Optional.empty());
        assertThrows(ModelRepository.LoadingDisabledException.class, none::entries);
        assertThrows(ModelRepository.LoadingDisabledException.class, () -> none.entry("alpha"));
    }
}
