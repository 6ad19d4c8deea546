package dev.r3.actors.cluster;

import dev.r3.model.HostTensor;
import dev.r3.model.ModelConfig;
import dev.r3.model.ModelWeights;
import dev.r3.model.WeightRounding;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One version of the weights as the bytes a rollout node pulls: the model config (Hugging Face
 * {@code config.json}) and every tensor by name, shape and values, float32 or bfloat16 (half the
 * bytes, rounded to nearest even: what a bf16 engine does to them anyway). The checksum is the
 * SHA-256 of the bytes; a node verifies it before it uses them.
 *
 * <p>Layout (little-endian): magic "R3W1", transport (1 byte), config JSON (int length + UTF-8),
 * tensor count, then per tensor: name (int length + UTF-8), rank, dims, values.
 */
final class WeightsCodec {
  private WeightsCodec() {}

  private static final int MAGIC = 0x52335731; // "R3W1"

  public enum Transport {
    FP32(4),
    BF16(2);

    final int bytesPerValue;

    Transport(int bytesPerValue) {
      this.bytesPerValue = bytesPerValue;
    }
  }

  public static byte[] encode(ModelWeights w, Transport t) {
    byte[] config = w.config().toJson().getBytes(StandardCharsets.UTF_8);
    long size = 4 + 1 + 4 + config.length + 4;
    for (Map.Entry<String, HostTensor> e : w.tensors().entrySet()) {
      size += 4 + e.getKey().getBytes(StandardCharsets.UTF_8).length;
      size += 4 + 4L * e.getValue().shape().length;
      size += (long) t.bytesPerValue * e.getValue().data().length;
    }
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("weights of " + size + " bytes do not fit one transfer");
    }
    ByteBuffer b = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(MAGIC).put((byte) t.ordinal()).putInt(config.length).put(config);
    b.putInt(w.tensors().size());
    for (Map.Entry<String, HostTensor> e : w.tensors().entrySet()) {
      byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
      b.putInt(name.length).put(name);
      int[] shape = e.getValue().shape();
      b.putInt(shape.length);
      for (int d : shape) {
        b.putInt(d);
      }
      float[] data = e.getValue().data();
      if (t == Transport.FP32) {
        b.asFloatBuffer().put(data);
        b.position(b.position() + 4 * data.length);
      } else {
        for (float x : data) {
          b.putShort(WeightRounding.toBf16Bits(x));
        }
      }
    }
    return b.array();
  }

  /** Decodes what {@link #encode} wrote; anything else is refused with what is wrong. */
  public static ModelWeights decode(byte[] bytes) {
    try {
      ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
      if (b.getInt() != MAGIC) {
        throw new IllegalArgumentException("not R3 weights (bad magic)");
      }
      int t = b.get();
      if (t < 0 || t >= Transport.values().length) {
        throw new IllegalArgumentException("unknown weights transport " + t);
      }
      Transport transport = Transport.values()[t];
      ModelConfig config = ModelConfig.fromJson(string(b));
      int n = b.getInt();
      Map<String, HostTensor> tensors = new LinkedHashMap<>();
      for (int i = 0; i < n; i++) {
        String name = string(b);
        int rank = b.getInt();
        if (rank < 0 || rank > 8) {
          throw new IllegalArgumentException("tensor " + name + " of rank " + rank);
        }
        int[] shape = new int[rank];
        long count = 1;
        for (int d = 0; d < rank; d++) {
          shape[d] = b.getInt();
          count *= shape[d];
        }
        if (count < 0 || count * transport.bytesPerValue > b.remaining()) {
          throw new IllegalArgumentException("tensor " + name + " runs past the end");
        }
        float[] data = new float[(int) count];
        if (transport == Transport.FP32) {
          b.asFloatBuffer().get(data);
          b.position(b.position() + 4 * data.length);
        } else {
          for (int j = 0; j < data.length; j++) {
            data[j] = WeightRounding.fromBf16Bits(b.getShort());
          }
        }
        tensors.put(name, new HostTensor(shape, data));
      }
      if (b.hasRemaining()) {
        throw new IllegalArgumentException(b.remaining() + " trailing bytes");
      }
      return new ModelWeights(config, tensors);
    } catch (java.nio.BufferUnderflowException e) {
      throw new IllegalArgumentException("weights truncated", e);
    }
  }

  private static String string(ByteBuffer b) {
    int n = b.getInt();
    if (n < 0 || n > b.remaining()) {
      throw new IllegalArgumentException("string of " + n + " bytes in " + b.remaining());
    }
    byte[] s = new byte[n];
    b.get(s);
    return new String(s, StandardCharsets.UTF_8);
  }

  /** SHA-256 of the bytes, hex. */
  public static String checksum(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("no SHA-256 in this JVM", e);
    }
  }
}
