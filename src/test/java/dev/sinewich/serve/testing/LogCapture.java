package dev.sinewich.serve.testing;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Records what the server logs in this JVM (the root logger, which every category reaches) from
 * {@link #start()} to {@link #close()}: each record as one line, level, category, message with its
 * parameters, and the throwable if any.
 */
public final class LogCapture extends Handler implements AutoCloseable {

    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final List<String> faults = new CopyOnWriteArrayList<>();

    private LogCapture() {}

    /**
     * Starts recording.
     *
     * @return the capture; close it to stop
     */
    public static LogCapture start() {
        LogCapture capture = new LogCapture();
        Logger.getLogger("").addHandler(capture);
        return capture;
    }

    /** Returns every record so far, one line each. */
    public List<String> lines() {
        return List.copyOf(lines);
    }

    /** Returns the records at ERROR (SEVERE) or carrying a throwable. */
    public List<String> faults() {
        return List.copyOf(faults);
    }

    @Override
    public void publish(LogRecord record) {
        String line = record.getLevel() + " " + record.getLoggerName() + ": " + record.getMessage()
                + (record.getParameters() == null ? "" : " " + Arrays.toString(record.getParameters()))
                + (record.getThrown() == null ? "" : " / " + record.getThrown());
        lines.add(line);
        if (record.getThrown() != null || record.getLevel().intValue() >= Level.SEVERE.intValue()) {
            faults.add(line);
        }
    }

    @Override
    public void flush() {
        // nothing buffered
    }

    /** Stops recording. */
    @Override
    public void close() {
        Logger.getLogger("").removeHandler(this);
    }
}
