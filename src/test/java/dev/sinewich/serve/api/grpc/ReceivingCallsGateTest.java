package dev.sinewich.serve.api.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sinewich.serve.api.grpc.oip.GRPCInferenceServiceGrpc;
import dev.sinewich.serve.api.grpc.oip.ModelInferRequest;
import dev.sinewich.serve.api.grpc.oip.ServerLiveRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * gRPC calls whose request message is still arriving are bounded
 * ({@code sinewich.limits.max-receiving-grpc-calls}, 1 here) and timed out
 * ({@code sinewich.limits.grpc-receive-timeout}, 1 s here): a call that sends its headers and no
 * message (raw HTTP/2 frames) holds the only slot, so another inference call gets RESOURCE_EXHAUSTED
 * with the setting's name while health calls are still answered; after a second the server ends the stalled call's stream and frees the slot,
 * and calls are served again.
 */
@QuarkusTest
@TestProfile(ReceivingCallsGateTest.OneSlot.class)
class ReceivingCallsGateTest {

    /** One call may be receiving, for one second. */
    public static class OneSlot implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("sinewich.limits.max-receiving-grpc-calls", "1", "sinewich.limits.grpc-receive-timeout", "1s");
        }
    }

    @Inject
    ReceivingCallsGate gate;

    @ConfigProperty(name = "quarkus.grpc.server.test-port", defaultValue = "9001")
    int port;

    private static byte[] frame(int type, int flags, int stream, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(9 + payload.length);
        b.put((byte) (payload.length >>> 16)).put((byte) (payload.length >>> 8)).put((byte) payload.length);
        b.put((byte) type).put((byte) flags).putInt(stream).put(payload);
        return b.array();
    }

    /** Reads HTTP/2 frames until one ends the stream (HEADERS with END_STREAM, or RST_STREAM). */
    private static boolean streamEnded(Socket socket, int stream) throws Exception {
        socket.setSoTimeout(5_000);
        DataInputStream in = new DataInputStream(socket.getInputStream());
        for (int frames = 0; frames < 100; frames++) {
            int length = (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
            int type = in.readUnsignedByte();
            int flags = in.readUnsignedByte();
            int id = in.readInt() & 0x7fffffff;
            in.readFully(new byte[length]);
            if (id == stream && (type == 0x3 || (type == 0x1 && (flags & 0x1) != 0))) {
                return true;
            }
        }
        return false;
    }

    @Test
    void aStalledSenderHoldsItsSlotOnlyUntilTheReadTimeout() throws Exception {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        try {
            GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub = GRPCInferenceServiceGrpc.newBlockingStub(channel);
            assertTrue(stub.serverLive(ServerLiveRequest.getDefaultInstance()).getLive());

            // a client that sends the call's HTTP/2 headers and never its message: raw frames, so that
            // nothing in a client library can end or delay the stream
            Socket stalled = new Socket("localhost", port);
            OutputStream out = stalled.getOutputStream();
            out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.write(frame(0x4, 0, 0, new byte[0])); // SETTINGS
            ByteArrayOutputStream headers = new ByteArrayOutputStream();
            for (String[] h : new String[][] {{":method", "POST"}, {":scheme", "http"},
                    {":path", "/inference.GRPCInferenceService/ModelInfer"}, {":authority", "localhost"},
                    {"content-type", "application/grpc"}, {"te", "trailers"}}) {
                headers.write(0); // literal header field without indexing, new name, no Huffman coding
                headers.write(h[0].length());
                headers.write(h[0].getBytes(StandardCharsets.US_ASCII));
                headers.write(h[1].length());
                headers.write(h[1].getBytes(StandardCharsets.US_ASCII));
            }
            out.write(frame(0x1, 0x4, 1, headers.toByteArray())); // HEADERS, END_HEADERS, stream 1
            out.flush();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (gate.receiving() < 1 && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            assertEquals(1, gate.receiving(), "the stalled call holds the slot");

            StatusRuntimeException busy = assertThrows(StatusRuntimeException.class, () -> stub.modelInfer(
                    ModelInferRequest.newBuilder().setModelName("s4-mixed-downscale").build()));
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, busy.getStatus().getCode());
            assertTrue(busy.getStatus().getDescription().contains("sinewich.limits.max-receiving-grpc-calls"),
                    busy.getStatus().getDescription());
            assertTrue(stub.serverLive(ServerLiveRequest.getDefaultInstance()).getLive(),
                    "health calls are never held back");

            end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (gate.receiving() > 0 && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            assertTrue(streamEnded(stalled, 1), "the server ended the stalled call's stream (trailers or reset)");
            stalled.close();
            assertEquals(0, gate.receiving());
            assertTrue(stub.serverLive(ServerLiveRequest.getDefaultInstance()).getLive(), "served again");
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
