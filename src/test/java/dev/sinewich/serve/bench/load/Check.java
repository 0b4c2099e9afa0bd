package dev.sinewich.serve.bench.load;

/**
 * One property a run asserts, with what was measured. Immutable.
 *
 * @param property what must hold
 * @param passed whether it held
 * @param detail the measured values behind the verdict
 */
public record Check(String property, boolean passed, String detail) {

    /**
     * Formats the check for people.
     *
     * @return one line
     */
    public String text() {
        return (passed ? "PASS " : "FAIL ") + property + " — " + detail;
    }
}
