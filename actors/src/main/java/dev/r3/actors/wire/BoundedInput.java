package dev.r3.actors.wire;

import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Input;

/**
 * Kryo input over one whole frame that refuses a length read out of garbage before allocating for
 * it: an array, a string or a collection of n elements needs at least n bytes of the frame (a
 * varint or a byte per element), so any n larger than the bytes left is malformed. Found by the
 * frame fuzzer: a 24-byte frame made Kryo allocate a 2 GiB array before noticing the underflow.
 */
final class BoundedInput extends Input {

  BoundedInput(byte[] bytes, int offset, int count) {
    super(bytes, offset, count);
  }

  /** Bytes not yet read. */
  int remaining() {
    return limit - position;
  }

  /** Throws unless {@code n} elements of at least {@code bytesEach} bytes fit in what is left. */
  void requireElements(long n, int bytesEach, String what) {
    if (n < 0 || n * bytesEach > remaining()) {
      throw new KryoException(
          what + " of " + n + " elements in a frame with " + remaining() + " bytes left");
    }
  }

  @Override
  public byte[] readBytes(int length) {
    requireElements(length, 1, "byte array");
    return super.readBytes(length);
  }

  @Override
  public int[] readInts(int length) {
    requireElements(length, 4, "int array");
    return super.readInts(length);
  }

  @Override
  public int[] readInts(int length, boolean optimizePositive) {
    requireElements(length, 1, "int array");
    return super.readInts(length, optimizePositive);
  }

  @Override
  public long[] readLongs(int length) {
    requireElements(length, 8, "long array");
    return super.readLongs(length);
  }

  @Override
  public long[] readLongs(int length, boolean optimizePositive) {
    requireElements(length, 1, "long array");
    return super.readLongs(length, optimizePositive);
  }

  @Override
  public float[] readFloats(int length) {
    requireElements(length, 4, "float array");
    return super.readFloats(length);
  }

  @Override
  public double[] readDoubles(int length) {
    requireElements(length, 8, "double array");
    return super.readDoubles(length);
  }

  @Override
  public short[] readShorts(int length) {
    requireElements(length, 2, "short array");
    return super.readShorts(length);
  }

  @Override
  public char[] readChars(int length) {
    requireElements(length, 2, "char array");
    return super.readChars(length);
  }

  @Override
  public boolean[] readBooleans(int length) {
    requireElements(length, 1, "boolean array");
    return super.readBooleans(length);
  }

  @Override
  public String readString() {
    checkStringLength();
    return super.readString();
  }

  @Override
  public StringBuilder readStringBuilder() {
    checkStringLength();
    return super.readStringBuilder();
  }

  /**
   * Kryo writes a string as ASCII (bounded by the frame by construction) or as a varint char count
   * + 1 followed by UTF-8 (at least one byte per char): peek at the count without consuming it.
   */
  private void checkStringLength() {
    if (position >= limit || !readVarIntFlag()) {
      return; // underflow or ASCII: Kryo's own checks apply
    }
    int start = position;
    int chars = readVarIntFlag(true) - 1;
    int left = remaining();
    position = start;
    if (chars > left) {
      throw new KryoException(
          "string of " + chars + " chars in a frame with " + left + " bytes left");
    }
  }
}
