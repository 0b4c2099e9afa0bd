package dev.sinewich.serve.serving;

import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The memory all requests in flight may hold in decoded images and outputs
 * ({@code sinewich.limits.max-inflight-tensor-bytes}). Each request takes a {@link Lease}; the image
 * bytes are reserved once the image sizes are known from the headers or the tensor shape, before
 * any pixel buffer is allocated, and the output bytes when the scheduler accepts the request; all
 * of it is given back when the request is answered (or refused, or abandoned). A reservation that
 * does not fit beside the others is refused with {@link CapacityExceededException} (429 /
 * RESOURCE_EXHAUSTED, retry later), one that could never fit with {@link RequestTooLargeException}.
 * The figures are estimates of the Java heap a request takes, stated by the constants below.
 * Thread-safe.
 */
public final class TensorBudget {

    /**
     * Bytes per decoded image pixel: three floats (12) plus the decoder's raster or the wire
     * tensor's copy (at most 4).
     */
    public static final long IMAGE_BYTES_PER_PIXEL = 16;

    /** Bytes per output value sent in a binary form (float, then its encoded copy). */
    public static final int BINARY_OUTPUT_BYTES_PER_VALUE = 8;

    /**
     * Bytes per output value sent as JSON text (the float, the text of up to 13 characters, and the
     * encoder's buffer and copies of it).
     */
    public static final int TEXT_OUTPUT_BYTES_PER_VALUE = 40;

    private final long limit;
    private final AtomicLong used = new AtomicLong();

    /**
     * Creates a budget.
     *
     * @param limit the most bytes all leases may hold together, at least 1
     * @throws IllegalArgumentException if the limit is not positive
     */
    public TensorBudget(long limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("sinewich.limits.max-inflight-tensor-bytes must be positive, found "
                    + limit);
        }
        this.limit = limit;
    }

    /**
     * Opens a lease for one request, holding nothing yet; close it when the request is over.
     *
     * @return the lease
     */
    public Lease lease() {
        return new Lease();
    }

    /**
     * Returns the bytes held by open leases now.
     *
     * @return bytes in flight
     */
    public long used() {
        return used.get();
    }

    /**
     * Returns the limit.
     *
     * @return the most bytes all leases may hold
     */
    public long limit() {
        return limit;
    }

    private static long times(long count, long bytes) {
        try {
            return Math.multiplyExact(count, bytes);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /** One request's share of the budget. Thread-safe; closing is idempotent. */
    public final class Lease implements AutoCloseable {

        private long held;
        private boolean closed;
        private int outputBytesPerValue = BINARY_OUTPUT_BYTES_PER_VALUE;

        private Lease() {}

        /**
         * Reserves the decoded images of the request.
         *
         * @param pixels N · h · w over every image
         * @throws CapacityExceededException when the budget is taken by other requests now
         * @throws RequestTooLargeException when the images could never fit the budget
         */
        public void reserveImages(long pixels) {
            reserve(times(pixels, IMAGE_BYTES_PER_PIXEL), pixels + " image pixels");
        }

        /**
         * Says how the request's outputs will be encoded, before the scheduler reserves them.
         *
         * @param text true for JSON text ({@link #TEXT_OUTPUT_BYTES_PER_VALUE}), false for a binary
         *     form ({@link #BINARY_OUTPUT_BYTES_PER_VALUE}, the default)
         */
        public synchronized void outputsAsText(boolean text) {
            outputBytesPerValue = text ? TEXT_OUTPUT_BYTES_PER_VALUE : BINARY_OUTPUT_BYTES_PER_VALUE;
        }

        /**
         * Reserves the request's outputs.
         *
         * @param values the output values the request will produce
         * @throws CapacityExceededException when the budget is taken by other requests now
         * @throws RequestTooLargeException when the outputs could never fit the budget
         */
        public void reserveOutputs(long values) {
            int perValue;
            synchronized (this) {
                perValue = outputBytesPerValue;
            }
            reserve(times(values, perValue), values + " output values" + (perValue == TEXT_OUTPUT_BYTES_PER_VALUE
                    ? " as JSON text (binary outputs take a fifth of that)" : ""));
        }

        /**
         * Reserves bytes the request holds (a request message already read, say).
         *
         * @param bytes the bytes
         * @param what what they are, for the message
         * @throws CapacityExceededException when the budget is taken by other requests now
         * @throws RequestTooLargeException when the request could never fit the budget
         * @throws CancellationException when the lease is closed: the request is over
         */
        public synchronized void reserve(long bytes, String what) {
            if (closed) {
                // the request is over (its caller went away while it was being read or decoded)
                throw new CancellationException("the request is over; nothing more is reserved for it");
            }
            long total = held > Long.MAX_VALUE - bytes ? Long.MAX_VALUE : held + bytes;
            if (total > limit) {
                throw new RequestTooLargeException("the request needs about " + total + " bytes of memory ("
                        + what + " included), more than the " + limit + " all requests in flight may hold "
                        + "(sinewich.limits.max-inflight-tensor-bytes); send smaller or fewer images, or ask "
                        + "for fewer outputs");
            }
            long now = used.addAndGet(bytes);
            if (now > limit) {
                used.addAndGet(-bytes);
                throw new CapacityExceededException("requests in flight hold " + (now - bytes) + " of the "
                        + limit + " bytes of memory they may take (sinewich.limits.max-inflight-tensor-bytes), "
                        + "and this one needs " + bytes + " more for " + what + "; retry later");
            }
            held = total;
        }

        /**
         * Returns the bytes this lease holds.
         *
         * @return bytes held
         */
        public synchronized long held() {
            return held;
        }

        /**
         * Gives back part of what the lease holds (a stream frame that waited and is now taken up).
         *
         * @param bytes the bytes, at most what is held
         */
        public synchronized void release(long bytes) {
            long given = Math.min(Math.max(0, bytes), held);
            held -= given;
            used.addAndGet(-given);
        }

        /**
         * Moves bytes this lease holds to another lease without giving them back to the budget in
         * between (a stream frame's bytes, from the stream's waiting frames to its own request), so
         * that no other request can take them meanwhile. Into a closed lease they go back to the budget.
         *
         * @param bytes the bytes, at most what is held
         * @param to the lease that holds them from now on
         */
        public void handOver(long bytes, Lease to) {
            long moved;
            synchronized (this) {
                moved = Math.min(Math.max(0, bytes), held);
                held -= moved;
            }
            to.adopt(moved);
        }

        private synchronized void adopt(long bytes) {
            if (closed) {
                used.addAndGet(-bytes);
            } else {
                held += bytes;
            }
        }

        /** Gives every byte back; later reservations fail. */
        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                used.addAndGet(-held);
                held = 0;
            }
        }
    }
}
