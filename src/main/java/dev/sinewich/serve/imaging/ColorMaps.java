package dev.sinewich.serve.imaging;

/**
 * Colour maps for scalar images. Viridis (matplotlib's perceptually uniform map, dark purple to
 * yellow) is approximated by its colours at t = 0, 0.1, …, 1 with linear interpolation between
 * them; the stops are matplotlib's table, rounded to 8 bits. Stateless and thread-safe.
 */
public final class ColorMaps {

    private static final int[] VIRIDIS = {
        0x440154, 0x482475, 0x414487, 0x355f8d, 0x2a788e, 0x21918c,
        0x22a884, 0x44bf70, 0x7ad151, 0xbddf26, 0xfde725,
    };

    private ColorMaps() {}

    /**
     * Returns the viridis colour at {@code t}.
     *
     * @param t where on the map, clamped to [0, 1]; NaN counts as 0
     * @return the colour as 0xRRGGBB
     */
    public static int viridis(double t) {
        double x = Double.isNaN(t) ? 0 : Math.max(0, Math.min(1, t)) * (VIRIDIS.length - 1);
        int lo = Math.min((int) x, VIRIDIS.length - 2);
        double f = x - lo;
        int a = VIRIDIS[lo];
        int b = VIRIDIS[lo + 1];
        int rgb = 0;
        for (int shift = 16; shift >= 0; shift -= 8) {
            double ca = (a >> shift) & 0xff;
            double cb = (b >> shift) & 0xff;
            rgb |= ((int) Math.floor(ca + (cb - ca) * f + 0.5)) << shift;
        }
        return rgb;
    }
}
