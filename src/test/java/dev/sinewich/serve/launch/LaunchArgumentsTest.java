package dev.sinewich.serve.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The command line as KServe's serving runtimes write it, and everything else they might pass. */
class LaunchArgumentsTest {

    @Test
    void kserveArgumentsBecomeSettings() {
        LaunchArguments a = LaunchArguments.parse("--model_name=sinewich-demo", "--model_dir=/mnt/models",
                "--http_port=8080", "--grpc_port=9000");
        assertEquals(Map.of("sinewich.model.name", "sinewich-demo", "sinewich.model.path", "/mnt/models",
                "quarkus.http.port", "8080", "quarkus.grpc.server.port", "9000"), a.properties());
        assertEquals(List.of(), a.ignored());
    }

    @Test
    void valuesMayFollowAsTheNextArgumentAndWordsMayUseHyphens() {
        LaunchArguments a = LaunchArguments.parse("--model-name", "m1", "--model_dir", "/data/m1.zip");
        assertEquals(Map.of("sinewich.model.name", "m1", "sinewich.model.path", "/data/m1.zip"), a.properties());
    }

    @Test
    void everythingElseIsKeptUnusedNeverRefused() {
        LaunchArguments a = LaunchArguments.parse("--workers=2", "--enable_docs_url", "--max_threads", "4",
                "serve", "--", "--model_name=x", "--predictor_host=h:80", "--storage_secret", "s3cr3t",
                "--token=s3cr3t");
        assertEquals(Map.of("sinewich.model.name", "x"), a.properties());
        // by name only: the values of arguments meant for another server are never kept
        assertEquals(List.of("--workers", "--enable_docs_url", "--max_threads", "(a positional argument)", "--",
                "--predictor_host", "--storage_secret", "--token"), a.ignored());
    }

    @Test
    void theLastOfARepeatedArgumentWins() {
        assertEquals("b", LaunchArguments.parse("--model_name=a", "--model_name=b").properties()
                .get("sinewich.model.name"));
    }

    @Test
    void aUsedArgumentWithoutAValueIsAClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LaunchArguments.parse("--model_name"));
        assertTrue(e.getMessage().contains("--model_name needs a value"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LaunchArguments.parse("--http_port=", "--x"));
        assertTrue(e.getMessage().contains("--http_port needs a value"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LaunchArguments.parse("--model_dir", "--x=1"));
        assertTrue(e.getMessage().contains("--model_dir needs a value"), e.getMessage());
    }

    @Test
    void noArgumentsSetNothing() {
        assertEquals(LaunchArguments.NONE, LaunchArguments.parse());
    }
}
