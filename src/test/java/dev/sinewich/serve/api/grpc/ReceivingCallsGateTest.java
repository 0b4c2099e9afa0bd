package dev.sinewich.serve.api.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.sinewich.serve.api.grpc.oip.GRPCInferenceServiceGrpc;
import dev.sinewich.serve.api.grpc.oip.InferParameter;
import dev.sinewich.serve.api.grpc.oip.InferTensorContents;
import dev.sinewich.serve.api.grpc.oip.ModelInferRequest;
import dev.sinewich.serve.api.grpc.oip.ModelInferResponse;
import dev.sinewich.serve.api.grpc.oip.ServerLiveRequest;
import dev.sinewich.serve.api.grpc.v1.PredictRequest;
import dev.sinewich.serve.api.grpc.v1.PredictResponse;
import dev.sinewich.serve.api.grpc.v1.SinewichService;
import dev.sinewich.serve.api.grpc.v1.Uint8Image;
import dev.sinewich.serve.testing.Management;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.mutiny.operators.multi.processors.UnicastProcessor;
import jakarta.inject.Inject;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The bytes of gRPC request messages still arriving are bounded
 * ({@code sinewich.limits.max-receiving-grpc-bytes}, 200 KiB here) and their calls timed out
 * ({@code sinewich.limits.grpc-receive-timeout}, 2 s here). Stalled senders are raw HTTP/2 clients
 * that send a call's headers and the start of its message, then nothing, so that no client library
 * can end or delay the stream. Many such senders holding a few bytes each do not hold back a good
 * call; senders holding most of the bound get the call that would pass it refused with
 * RESOURCE_EXHAUSTED naming the setting; health calls are always answered; at the timeout the
 * server ends every stalled stream and the count is back to zero.
 */
@QuarkusTest
@TestProfile(ReceivingCallsGateTest.SmallBound.class)
class ReceivingCallsGateTest {

    private static final String MODEL = "s4-mixed-downscale";

    /** 200 KiB may be arriving, for two seconds. */
    public static class SmallBound implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("sinewich.limits.max-receiving-grpc-bytes", "200K",
                    "sinewich.limits.grpc-receive-timeout", "2s");
        }
    }

    @Inject
    ReceivingCallsGate gate;

    @GrpcClient("sinewich")
    SinewichService streams;

    @ConfigProperty(name = "quarkus.grpc.server.test-port", defaultValue = "9001")
    int port;

    private ManagedChannel channel;
    private GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub;
    private final List<Socket> stalled = new ArrayList<>();

    @BeforeEach
    void connect() {
        channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        stub = GRPCInferenceServiceGrpc.newBlockingStub(channel);
    }

    @AfterEach
    void close() throws Exception {
        for (Socket s : stalled) {
            s.close();
        }
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        waitFor(() -> gate.receivingBytes(), 0, 10);
        assertEquals(0, gate.receivingBytes(), "every counted byte is given back");
    }

    @Test
    void manyStalledSendersDoNotHoldBackAGoodCall() throws Exception {
        for (int i = 0; i < 100; i++) {
            stalled.add(stall(300));
        }
        waitFor(() -> gate.receivingBytes(), 100 * 290, 5);
        long held = gate.receivingBytes();
        assertTrue(held >= 100 * 290 && held <= 100 * 300, "what the stalled senders sent is counted, no more: " + held);
        String scrape = Management.given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertTrue(scrape.lines().anyMatch(l -> l.startsWith("sinewich_receiving_grpc_bytes ")
                && Double.parseDouble(l.substring(l.indexOf(' ') + 1)) >= 100 * 290), "the count is published");

        ModelInferResponse response = stub.modelInfer(smallImage());
        assertEquals("labels", response.getOutputs(0).getName(), "served beside 100 stalled senders");
        assertTrue(stub.serverLive(ServerLiveRequest.getDefaultInstance()).getLive());

        for (Socket s : stalled) {
            assertTrue(streamEnded(s), "the server ended the stalled call's stream at the receive timeout");
        }
        waitFor(() -> gate.receivingBytes(), 0, 5);
        assertEquals(0, gate.receivingBytes());
    }

    @Test
    void aCallThatWouldPassTheBoundIsRefusedUntilTheStalledOnesTimeOut() throws Exception {
        for (int i = 0; i < 3; i++) {
            stalled.add(stall(60_000));
        }
        waitFor(() -> gate.receivingBytes(), 3 * 59_000, 5);
        assertTrue(gate.receivingBytes() >= 3 * 59_000, "counted as it arrives: " + gate.receivingBytes());

        StatusRuntimeException busy = assertThrows(StatusRuntimeException.class, () -> stub.modelInfer(largeImage()));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, busy.getStatus().getCode(), busy.getStatus().toString());
        assertTrue(busy.getStatus().getDescription().contains("sinewich.limits.max-receiving-grpc-bytes"),
                busy.getStatus().getDescription());
        assertTrue(stub.serverLive(ServerLiveRequest.getDefaultInstance()).getLive(),
                "health calls are never held back");

        for (Socket s : stalled) {
            assertTrue(streamEnded(s), "the server ended the stalled call's stream at the receive timeout");
        }
        waitFor(() -> gate.receivingBytes(), 0, 5);
        ModelInferResponse response = stub.modelInfer(largeImage());
        assertEquals("labels", response.getOutputs(0).getName(), "served once the stalled calls are gone");
        assertEquals(0, gate.receivingBytes(), "a completed message is no longer counted");
    }

    @Test
    void completeStreamFramesAreNoLongerCountedWhileTheStreamStaysOpen() throws Exception {
        UnicastProcessor<PredictRequest> frames = UnicastProcessor.create();
        List<PredictResponse> answers = new CopyOnWriteArrayList<>();
        var subscription = streams.predictStream(frames).subscribe().with(answers::add, failure -> { });
        try {
            for (int i = 0; i < 3; i++) {
                frames.onNext(frame("f" + i, 120, 140)); // about 50 KB each
            }
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (answers.size() < 3 && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            assertEquals(3, answers.size(), "answered");
            answers.forEach(a -> assertTrue(!a.hasError(), a.getError().getMessage()));
            assertEquals(0, gate.receivingBytes(), "the stream is open, its complete frames are not counted");
        } finally {
            frames.onComplete();
            subscription.cancel();
        }
    }

    @Test
    void aStreamFrameThatStopsHalfWayEndsItsStreamAtTheTimeout() throws Exception {
        Socket socket = openCall("/sinewich.v1.SinewichService/PredictStream");
        OutputStream out = socket.getOutputStream();
        byte[] first = frame("whole", 2, 2).toByteArray();
        ByteBuffer message = ByteBuffer.allocate(5 + first.length + 300);
        message.put((byte) 0).putInt(first.length).put(first); // one whole frame
        message.put((byte) 0).putInt(1_000_000); // and the first 300 bytes of a 1 MB one
        out.write(frame(0x0, 0, 1, message.array()));
        out.flush();
        waitFor(() -> gate.receivingBytes(), 290, 5);
        assertTrue(gate.receivingBytes() >= 290, "the unfinished frame is counted: " + gate.receivingBytes());
        long start = System.nanoTime();
        assertTrue(streamEnded(socket), "the server ended the stream");
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(8), "at the receive timeout");
        waitFor(() -> gate.receivingBytes(), 0, 5);
        assertEquals(0, gate.receivingBytes());
        socket.close();
    }

    /** A typed frame with an h × w UINT8 image (h · w · 3 bytes). */
    private static PredictRequest frame(String id, int h, int w) {
        return PredictRequest.newBuilder().setModelName(MODEL).setId(id).addTasks("edges")
                .setUint8Image(Uint8Image.newBuilder().setHeight(h).setWidth(w)
                        .setData(ByteString.copyFrom(new byte[h * w * 3])))
                .build();
    }

    /** A 5 × 7 UINT8 image as typed contents: a message of a few hundred bytes. */
    private static ModelInferRequest smallImage() {
        InferTensorContents.Builder contents = InferTensorContents.newBuilder();
        for (int i = 0; i < 5 * 7 * 3; i++) {
            contents.addUintContents((i * 29) % 256);
        }
        return ModelInferRequest.newBuilder().setModelName(MODEL).putParameters("task", text("semseg"))
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("image").setDatatype("UINT8")
                        .addShape(1).addShape(5).addShape(7).addShape(3).setContents(contents))
                .build();
    }

    /** A 96 × 88 FP32 image as raw contents: a message of about 100 KB. */
    private static ModelInferRequest largeImage() {
        return ModelInferRequest.newBuilder().setModelName(MODEL).putParameters("task", text("semseg"))
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("image").setDatatype("FP32")
                        .addShape(1).addShape(3).addShape(96).addShape(88))
                .addRawInputContents(ByteString.copyFrom(new byte[3 * 96 * 88 * 4])).build();
    }

    private static InferParameter text(String s) {
        return InferParameter.newBuilder().setStringParam(s).build();
    }

    /**
     * Opens a connection that starts a ModelInfer call, sends the first {@code sent} bytes of a
     * message declared 1 MB long (in DATA frames of at most 15,000 bytes, within HTTP/2's default
     * frame size and flow-control window), and then nothing.
     */
    private Socket stall(int sent) throws Exception {
        Socket socket = openCall("/inference.GRPCInferenceService/ModelInfer");
        OutputStream out = socket.getOutputStream();
        byte[] message = new byte[sent];
        ByteBuffer.wrap(message).put((byte) 0).putInt(1_000_000); // not compressed, 1 MB declared
        for (int at = 0; at < sent; at += 15_000) {
            byte[] part = Arrays.copyOfRange(message, at, Math.min(sent, at + 15_000));
            out.write(frame(0x0, 0, 1, part)); // DATA, stream 1, not the end
        }
        out.flush();
        return socket;
    }

    /** Opens a connection and starts a call of the method on stream 1 (HTTP/2 preface, SETTINGS, HEADERS). */
    private Socket openCall(String path) throws Exception {
        Socket socket = new Socket("localhost", port);
        OutputStream out = socket.getOutputStream();
        out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.write(frame(0x4, 0, 0, new byte[0])); // SETTINGS
        ByteArrayOutputStream headers = new ByteArrayOutputStream();
        for (String[] h : new String[][] {{":method", "POST"}, {":scheme", "http"}, {":path", path},
                {":authority", "localhost"}, {"content-type", "application/grpc"}, {"te", "trailers"}}) {
            headers.write(0); // literal header field without indexing, new name, no Huffman coding
            headers.write(h[0].length());
            headers.write(h[0].getBytes(StandardCharsets.US_ASCII));
            headers.write(h[1].length());
            headers.write(h[1].getBytes(StandardCharsets.US_ASCII));
        }
        out.write(frame(0x1, 0x4, 1, headers.toByteArray())); // HEADERS, END_HEADERS, stream 1
        out.flush();
        return socket;
    }

    private static byte[] frame(int type, int flags, int stream, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(9 + payload.length);
        b.put((byte) (payload.length >>> 16)).put((byte) (payload.length >>> 8)).put((byte) payload.length);
        b.put((byte) type).put((byte) flags).putInt(stream).put(payload);
        return b.array();
    }

    /** Reads HTTP/2 frames until one ends stream 1 (HEADERS with END_STREAM, or RST_STREAM). */
    private static boolean streamEnded(Socket socket) throws Exception {
        socket.setSoTimeout(10_000);
        DataInputStream in = new DataInputStream(socket.getInputStream());
        for (int frames = 0; frames < 100; frames++) {
            int length = (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
            int type = in.readUnsignedByte();
            int flags = in.readUnsignedByte();
            int id = in.readInt() & 0x7fffffff;
            in.readFully(new byte[length]);
            if (id == 1 && (type == 0x3 || (type == 0x1 && (flags & 0x1) != 0))) {
                return true;
            }
        }
        return false;
    }

    /** Waits until the value reaches at least (or, for 0, falls to) the target, for some seconds. */
    private static void waitFor(LongSupplier value, long target, int seconds) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < end && (target == 0 ? value.getAsLong() > 0 : value.getAsLong() < target)) {
            Thread.sleep(10);
        }
    }
}
