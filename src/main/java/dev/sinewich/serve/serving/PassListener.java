package dev.sinewich.serve.serving;

/** Hears about the scheduler's work, for metrics. Implementations must be thread-safe and fast. */
public interface PassListener {

    /** A listener that ignores everything. */
    PassListener NONE = new PassListener() {
        @Override
        public void passRun(int requests, int rows, double computeSeconds) {
            // ignored
        }

        @Override
        public void requestStarted(double queueSeconds) {
            // ignored
        }
    };

    /**
     * A forward pass finished.
     *
     * @param requests requests in the pass
     * @param rows rows (image × task) in the pass
     * @param computeSeconds the pass's duration
     */
    void passRun(int requests, int rows, double computeSeconds);

    /**
     * A request left the queue for a pass.
     *
     * @param queueSeconds how long it waited
     */
    void requestStarted(double queueSeconds);
}
