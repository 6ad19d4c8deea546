package dev.r3.model;

import java.util.Arrays;

/**
 * A float32 tensor in Java heap memory: the form in which weights cross actor boundaries, are
 * rounded to reduced precision, and are written to safetensors. DJL arrays never leave the engine
 * that made them.
 */
public record HostTensor(int[] shape, float[] data) {

  public HostTensor {
    long n = 1;
    for (int d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      }
      n *= d;
    }
    if (n != data.length) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(shape) + " holds " + n + " values, data has " + data.length);
    }
    shape = shape.clone();
  }

  public long size() {
    return data.length;
  }

  @Override
  public int[] shape() {
    return shape.clone();
  }

  /** Bit-exact equality of shape and values. */
  public boolean sameAs(HostTensor other) {
    if (!Arrays.equals(shape, other.shape) || data.length != other.data.length) {
      return false;
    }
    for (int i = 0; i < data.length; i++) {
      if (Float.floatToRawIntBits(data[i]) != Float.floatToRawIntBits(other.data[i])) {
        return false;
      }
    }
    return true;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HostTensor t && sameAs(t);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "HostTensor" + Arrays.toString(shape);
  }
}
