package dev.sinewich.serve.model.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.onnxruntime.OrtEnvironment;
import org.junit.jupiter.api.Test;

/**
 * ONNX Runtime's environment-closing shutdown hook is gone once the engine has started, so that
 * SIGTERM cannot release the environment under a running pass (ShutdownUnderLoadIT saw that crash).
 */
class OrtShutdownTest {

    @Test
    void onnxRuntimesShutdownHookIsRemoved() throws Exception {
        OrtEnvironment.getEnvironment();
        OrtShutdown.keepEnvironmentUntilExit();
        assertEquals(0, OrtShutdown.closers().size(), "ONNX Runtime's hook is still registered");
    }
}
