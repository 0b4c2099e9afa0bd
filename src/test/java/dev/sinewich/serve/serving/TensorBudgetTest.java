package dev.sinewich.serve.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

/** The in-flight memory budget: what fits, what must wait, what never fits, and giving back. */
class TensorBudgetTest {

    @Test
    void leasesShareTheLimitAndGiveItBack() {
        TensorBudget budget = new TensorBudget(1000);
        TensorBudget.Lease first = budget.lease();
        first.reserveImages(40); // 640 bytes
        assertEquals(640, budget.used());
        TensorBudget.Lease second = budget.lease();
        CapacityExceededException full = assertThrows(CapacityExceededException.class, () -> second.reserveImages(30));
        assertTrue(full.getMessage().contains("hold 640 of the 1000 bytes") && full.getMessage().contains("480 more"),
                full.getMessage());
        assertEquals(640, budget.used(), "a refused reservation holds nothing");
        second.reserveOutputs(40); // 320 bytes as binary
        assertEquals(960, budget.used());
        first.close();
        first.close();
        assertEquals(320, budget.used(), "closing twice gives back once");
        assertThrows(CancellationException.class, () -> first.reserve(1, "more"));
        second.close();
        assertEquals(0, budget.used());
    }

    @Test
    void aRequestLargerThanTheWholeBudgetIsTooLargeNotBusy() {
        TensorBudget budget = new TensorBudget(1000);
        try (TensorBudget.Lease lease = budget.lease()) {
            lease.reserveImages(50); // 800
            lease.outputsAsText(true);
            RequestTooLargeException e = assertThrows(RequestTooLargeException.class, () -> lease.reserveOutputs(10));
            assertTrue(e.getMessage().contains("about 1200 bytes") && e.getMessage().contains("as JSON text"),
                    e.getMessage());
            lease.outputsAsText(false);
            lease.reserveOutputs(10); // 80 as binary
            assertEquals(880, lease.held());
            assertThrows(RequestTooLargeException.class, () -> lease.reserveImages(Long.MAX_VALUE / 2));
        }
        assertEquals(0, budget.used());
    }

    @Test
    void handedOverBytesStayReservedAndPartsCanBeGivenBack() {
        TensorBudget budget = new TensorBudget(1000);
        TensorBudget.Lease waiting = budget.lease();
        waiting.reserve(300, "frame 1");
        waiting.reserve(200, "frame 2");
        TensorBudget.Lease request = budget.lease();
        waiting.handOver(300, request);
        assertEquals(500, budget.used(), "handing over gives nothing back to the budget");
        assertEquals(200, waiting.held());
        assertEquals(300, request.held());
        waiting.release(200);
        assertEquals(300, budget.used());
        waiting.release(50);
        assertEquals(300, budget.used(), "a lease gives back at most what it holds");
        request.close();
        assertEquals(0, budget.used());
        waiting.reserve(100, "frame 3");
        waiting.handOver(100, request);
        assertEquals(0, budget.used(), "bytes handed to a closed lease go back to the budget");
        waiting.close();
        assertEquals(0, budget.used());
    }
}
