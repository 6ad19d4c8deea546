package dev.r3.model.io;

/**
 * IEEE 754 binary16 to float32, exact (Java 17 has no {@code Float.float16ToFloat}). Needed only to
 * read F16 safetensors; nothing here writes half precision.
 */
final class Half {
  private Half() {}

  static float toFloat(short h) {
    int bits = h & 0xFFFF;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1F;
    int man = bits & 0x3FF;
    if (exp == 0x1F) {
      return Float.intBitsToFloat(
          sign | 0x7F80_0000 | (man << 13)); // infinity, or NaN with its payload
    }
    if (exp == 0) {
      float v = man * 0x1p-24f; // zero or subnormal: exact (at most 10 significant bits)
      return sign != 0 ? -v : v;
    }
    return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (man << 13));
  }
}
