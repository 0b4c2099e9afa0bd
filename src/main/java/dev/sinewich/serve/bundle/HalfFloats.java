package dev.sinewich.serve.bundle;

/**
 * Widening of 16-bit floats to float32, done in Java: the DJL safetensors decoder aborts the JVM on
 * BF16, and Java 17 has no half-float conversion.
 */
final class HalfFloats {

    private HalfFloats() {}

    /**
     * Widens an IEEE 754 binary16 value.
     *
     * @param bits the 16 bits
     * @return the same value as a float
     */
    static float halfToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            if (mantissa == 0) {
                return Float.intBitsToFloat(sign);
            }
            // subnormal half: value = mantissa · 2^-24, exact in float
            float value = mantissa * 0x1p-24f;
            return sign == 0 ? value : -value;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /**
     * Widens a bfloat16 value: its bits are the upper half of a float32.
     *
     * @param bits the 16 bits
     * @return the same value as a float
     */
    static float bfloat16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }
}
