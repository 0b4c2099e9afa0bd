package dev.sinewich.serve.evaluation;

import java.util.Map;

/** Converts depth units to metres, so that a model and a data set in different units compare. */
final class DepthUnits {

    private static final Map<String, Double> METRES = Map.of("m", 1.0, "cm", 0.01, "mm", 0.001);

    private DepthUnits() {}

    /**
     * Returns how many metres one unit is.
     *
     * @param unit {@code m}, {@code cm} or {@code mm}
     * @param owner who declares the unit, for the message
     * @return the factor
     * @throws IllegalArgumentException for another unit
     */
    static double metresPer(String unit, String owner) {
        Double factor = METRES.get(unit);
        if (factor == null) {
            throw new IllegalArgumentException(owner + " gives depth in '" + unit + "'; known units are m, cm and mm");
        }
        return factor;
    }
}
