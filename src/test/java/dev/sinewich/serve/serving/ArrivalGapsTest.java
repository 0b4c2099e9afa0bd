package dev.sinewich.serve.serving;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The arrival-gap rule that decides whether a pass waits for company (clock values given, no timing). */
class ArrivalGapsTest {

    private static final long MS = 1_000_000;

    @Test
    void waitsUntilItHasSeenRequestsArriveFarApart() {
        ArrivalGaps gaps = new ArrivalGaps();
        assertTrue(gaps.closerThan(5 * MS), "before any gap is known, a pass waits as if busy");
        gaps.arrived(0);
        assertTrue(gaps.closerThan(5 * MS), "one arrival tells nothing");
        gaps.arrived(50 * MS);
        assertFalse(gaps.closerThan(5 * MS), "a lone caller 50 ms apart is not kept waiting");
    }

    @Test
    void aBurstBringsWaitingBack() {
        ArrivalGaps gaps = new ArrivalGaps();
        long t = 0;
        for (int i = 0; i < 10; i++) {
            gaps.arrived(t += 50 * MS);
        }
        assertFalse(gaps.closerThan(5 * MS));
        for (int i = 0; i < 20; i++) {
            gaps.arrived(t += MS / 2);
        }
        assertTrue(gaps.closerThan(5 * MS), "requests half a millisecond apart: worth waiting for company");
    }
}
