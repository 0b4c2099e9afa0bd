package dev.sinewich.serve.model.swin;

/**
 * How one Swin block of a given feature-map size visits its windows, worked out once in plain Java
 * (SPEC §4.6, torchvision semantics): zero padding to a multiple of the window, the cyclic shift
 * (dropped along a dimension whose padded size is no larger than the window), the window
 * partition, and the shifted-window attention mask. Padding, shift and partition become one gather
 * of token rows, and their reversal plus the crop another. Immutable and thread-safe.
 */
public final class WindowPlan {

    /** The mask value torchvision gives to pairs of tokens from different shifted regions. */
    static final float MASKED = -100f;

    private final int height;
    private final int width;
    private final int window;
    private final int paddedHeight;
    private final int paddedWidth;
    private final int shiftY;
    private final int shiftX;
    private final long[] gather;
    private final long[] scatter;

    /**
     * Plans a block.
     *
     * @param height feature-map height h
     * @param width feature-map width w
     * @param window window side
     * @param shifted whether the block is an odd (shifted) block
     */
    WindowPlan(int height, int width, int window, boolean shifted) {
        this.height = height;
        this.width = width;
        this.window = window;
        this.paddedHeight = ceilTo(height, window);
        this.paddedWidth = ceilTo(width, window);
        this.shiftY = shifted && window < paddedHeight ? window / 2 : 0;
        this.shiftX = shifted && window < paddedWidth ? window / 2 : 0;
        this.gather = buildGather();
        this.scatter = buildScatter();
    }

    private static int ceilTo(int value, int multiple) {
        return (value + multiple - 1) / multiple * multiple;
    }

    /**
     * Returns whether any padding is needed, i.e. whether the gather reads the zero row.
     *
     * @return true when the map is padded to a multiple of the window
     */
    public boolean padded() {
        return paddedHeight != height || paddedWidth != width;
    }

    /**
     * Returns whether the mask applies (torchvision: the sum of the shifts is positive).
     *
     * @return true for a shifted block with a shift left
     */
    public boolean shifted() {
        return shiftY + shiftX > 0;
    }

    /**
     * Returns the number of windows.
     *
     * @return the windows per image
     */
    public int windows() {
        return (paddedHeight / window) * (paddedWidth / window);
    }

    /**
     * Returns the tokens per window.
     *
     * @return L = window²
     */
    public int tokens() {
        return window * window;
    }

    /**
     * Returns, for each windowed token k (window-major, then raster inside the window), the raster
     * index of the token of the unpadded h×w map it reads, or h·w for the appended zero row.
     *
     * @return a copy of the index, windows · tokens long
     */
    public long[] gatherIndex() {
        return gather.clone();
    }

    /**
     * Returns, for each token of the unpadded h×w map in raster order, its windowed index k.
     *
     * @return a copy of the index, h · w long
     */
    public long[] scatterIndex() {
        return scatter.clone();
    }

    private long[] buildGather() {
        int windowsX = paddedWidth / window;
        int tokens = tokens();
        long[] index = new long[windows() * tokens];
        for (int k = 0; k < index.length; k++) {
            int win = k / tokens;
            int pos = k % tokens;
            int ry = (win / windowsX) * window + pos / window;
            int rx = (win % windowsX) * window + pos % window;
            // torch.roll by −shift: rolled[r] = original[(r + shift) mod padded]
            int y = (ry + shiftY) % paddedHeight;
            int x = (rx + shiftX) % paddedWidth;
            index[k] = y < height && x < width ? (long) y * width + x : (long) height * width;
        }
        return index;
    }

    private long[] buildScatter() {
        long[] index = new long[height * width];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int ry = (y - shiftY + paddedHeight) % paddedHeight;
                int rx = (x - shiftX + paddedWidth) % paddedWidth;
                index[y * width + x] = windowedIndex(ry, rx);
            }
        }
        return index;
    }

    private long windowedIndex(int ry, int rx) {
        int windowsX = paddedWidth / window;
        int win = (ry / window) * windowsX + rx / window;
        return (long) win * tokens() + (ry % window) * window + rx % window;
    }

    /**
     * Builds the attention mask of a shifted block, as torchvision does: regions of the rolled,
     * padded map split at padded − window and padded − shift, and −100 between tokens of different
     * regions. Layout (windows, tokens, tokens).
     *
     * @return the mask, or an all-zero mask when the block is not shifted
     */
    float[] mask() {
        int[] region = new int[paddedHeight * paddedWidth];
        if (shifted()) {
            int[][] hs = slices(paddedHeight, shiftY);
            int[][] ws = slices(paddedWidth, shiftX);
            int count = 0;
            for (int[] h : hs) {
                for (int[] w : ws) {
                    for (int y = h[0]; y < h[1]; y++) {
                        for (int x = w[0]; x < w[1]; x++) {
                            region[y * paddedWidth + x] = count;
                        }
                    }
                    count++;
                }
            }
        }
        int tokens = tokens();
        int windowsX = paddedWidth / window;
        float[] mask = new float[windows() * tokens * tokens];
        for (int win = 0; win < windows(); win++) {
            int[] ids = new int[tokens];
            for (int pos = 0; pos < tokens; pos++) {
                int ry = (win / windowsX) * window + pos / window;
                int rx = (win % windowsX) * window + pos % window;
                ids[pos] = region[ry * paddedWidth + rx];
            }
            for (int a = 0; a < tokens; a++) {
                for (int b = 0; b < tokens; b++) {
                    mask[(win * tokens + a) * tokens + b] = ids[a] == ids[b] ? 0f : MASKED;
                }
            }
        }
        return mask;
    }

    /**
     * The three Python slices (0, −window), (−window, −shift), (−shift, None) over a padded
     * length, resolved to [start, stop) with Python's rules (−0 is 0, so with no shift the last
     * slice is the whole axis and the middle one is empty).
     */
    private int[][] slices(int length, int shift) {
        return new int[][] {
            {0, python(length, -window)},
            {python(length, -window), python(length, -shift)},
            {python(length, -shift), length},
        };
    }

    private static int python(int length, int index) {
        return index < 0 ? Math.max(0, length + index) : Math.min(index, length);
    }

    @Override
    public String toString() {
        return height + "x" + width + " window " + window + " padded " + paddedHeight + "x" + paddedWidth
                + " shift " + shiftY + "," + shiftX;
    }
}
