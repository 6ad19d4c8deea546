package dev.r3.actors.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.ThreadMXBean;
import java.io.NotSerializableException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.zip.CRC32;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A fuzzer over mutated real frames: 10,000 cases built from one frame of every registered message
 * (flipped bits and bytes, truncations, insertions, deletions, splices of two frames, length bombs,
 * trailing garbage), most of them resealed with a valid checksum so that Kryo itself has to parse
 * the garbage. Every case must either decode or fail with the serializer's own {@link
 * NotSerializableException}; no other exception, no error, no allocation out of proportion to the
 * frame (a length field read out of garbage must not allocate gigabytes: before BoundedInput, 78 of
 * these cases allocated up to 2.5 GB from frames of 21-3987 bytes; the allowance of 64 MiB covers
 * the JIT and exception stack traces), no case that spins (bounded in CPU time, not wall time, so
 * that a loaded machine cannot fail it).
 */
class KryoFrameFuzzTest {
  static final int CASES = 10_000;
  static final int HEADER = 8; // magic, CRC32 of the payload: the frame format of KryoSerializer

  static ActorTestKit kit;
  static KryoSerializer serializer;

  @BeforeAll
  static void start() throws Exception {
    kit = ActorTestKit.create();
    serializer =
        (KryoSerializer)
            SerializationExtension.get(Adapter.toClassic(kit.system()))
                .serializerFor(RolloutWorkerPing.class);
  }

  /** Any WireMessage: the binding resolves to the one Kryo serializer. */
  record RolloutWorkerPing() implements WireMessage {}

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  enum Mutation {
    FLIP_BIT_UNSEALED,
    FLIP_BIT,
    OVERWRITE_BYTES,
    TRUNCATE_UNSEALED,
    TRUNCATE,
    INSERT,
    DELETE,
    LENGTH_BOMB,
    SPLICE,
    JUNK_PAYLOAD,
    TRAILING
  }

  @Test
  void tenThousandMutatedFrames_decodeOrFailWithTheSerializersOwnException() {
    List<byte[]> frames = new ArrayList<>();
    for (Object m : WireExamples.everyMessage(kit)) {
      frames.add(serializer.toBinary(m));
    }
    Random rnd = new Random(20261203);
    ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    long self = Thread.currentThread().getId();
    Map<String, Integer> outcomes = new TreeMap<>();
    List<String> escapes = new ArrayList<>();
    long worstNanos = 0;
    long worstCpuNanos = 0;
    long worstAllocation = 0;
    for (int i = 0; i < CASES; i++) {
      Mutation kind = Mutation.values()[rnd.nextInt(Mutation.values().length)];
      byte[] frame = mutate(kind, frames.get(rnd.nextInt(frames.size())), frames, rnd);
      long bytesBefore = threads.getThreadAllocatedBytes(self);
      long t0 = System.nanoTime();
      long cpu0 = threads.getCurrentThreadCpuTime();
      String outcome;
      try {
        Object o = serializer.read(frame);
        outcome = "decoded " + (o == null ? "null" : "message");
      } catch (NotSerializableException e) {
        outcome =
            e.getMessage().contains("checksum")
                ? "refused: checksum"
                : e.getMessage().contains("trailing")
                    ? "refused: trailing bytes"
                    : "refused: decoding";
      } catch (Throwable t) { // the point of the test: anything else escaping is a finding
        outcome = "ESCAPED " + t.getClass().getSimpleName();
        if (escapes.size() < 10) {
          escapes.add("case " + i + " (" + kind + ", " + frame.length + " bytes): " + t);
        }
      }
      long nanos = System.nanoTime() - t0;
      long cpuNanos = threads.getCurrentThreadCpuTime() - cpu0;
      long allocated = threads.getThreadAllocatedBytes(self) - bytesBefore;
      worstNanos = Math.max(worstNanos, nanos);
      worstCpuNanos = Math.max(worstCpuNanos, cpuNanos);
      if (allocated > 64L * frame.length + (64 << 20)) {
        if (escapes.size() < 10) {
          escapes.add(
              "case " + i + " (" + kind + ", " + frame.length + " bytes) allocated " + allocated);
        }
        outcome = "ALLOCATION BOMB";
      }
      worstAllocation = Math.max(worstAllocation, allocated - 64L * frame.length);
      outcomes.merge(outcome, 1, Integer::sum);
    }
    System.out.printf(
        "fuzzer: %d cases %s; slowest %.1f ms wall, %.1f ms CPU%n",
        CASES, outcomes, worstNanos / 1e6, worstCpuNanos / 1e6);
    assertThat(escapes).as("cases that escaped the serializer: %s", outcomes).isEmpty();
    // Most cases must reach Kryo (a checksum alone would make this test trivial).
    assertThat(outcomes.getOrDefault("refused: decoding", 0)).isGreaterThan(CASES / 3);
    // No case spins: bounded in this thread's CPU time, which a loaded machine does not stretch
    // (wall time does: 2.013 s for one case at load average 20).
    assertThat(worstCpuNanos).as("slowest case, CPU ns").isLessThan(2_000_000_000L);
  }

  static byte[] mutate(Mutation kind, byte[] frame, List<byte[]> frames, Random rnd) {
    byte[] f = frame.clone();
    int payload = f.length - HEADER;
    switch (kind) {
      case FLIP_BIT_UNSEALED -> {
        int at = rnd.nextInt(f.length);
        f[at] ^= (byte) (1 << rnd.nextInt(8));
        return f;
      }
      case FLIP_BIT -> {
        int at = HEADER + rnd.nextInt(payload);
        f[at] ^= (byte) (1 << rnd.nextInt(8));
        return seal(f);
      }
      case OVERWRITE_BYTES -> {
        int n = 1 + rnd.nextInt(4);
        for (int i = 0; i < n; i++) {
          f[HEADER + rnd.nextInt(payload)] = (byte) rnd.nextInt(256);
        }
        return seal(f);
      }
      case TRUNCATE_UNSEALED -> {
        return Arrays.copyOf(f, rnd.nextInt(f.length));
      }
      case TRUNCATE -> {
        return seal(Arrays.copyOf(f, HEADER + 1 + rnd.nextInt(payload)));
      }
      case INSERT -> {
        int at = HEADER + rnd.nextInt(payload + 1);
        byte[] junk = new byte[1 + rnd.nextInt(16)];
        rnd.nextBytes(junk);
        return seal(concat(Arrays.copyOf(f, at), junk, Arrays.copyOfRange(f, at, f.length)));
      }
      case DELETE -> {
        int at = HEADER + rnd.nextInt(payload);
        int n = 1 + rnd.nextInt(Math.min(16, f.length - at));
        return seal(concat(Arrays.copyOf(f, at), Arrays.copyOfRange(f, at + n, f.length)));
      }
      case LENGTH_BOMB -> {
        // A varint of 0x7ffffff0 (or a random large value) where a length may sit.
        int at = HEADER + rnd.nextInt(payload);
        int value = rnd.nextBoolean() ? 0x7ffffff0 : (1 << 20) + rnd.nextInt(1 << 30);
        byte[] v = varint(value);
        for (int i = 0; i < v.length && at + i < f.length; i++) {
          f[at + i] = v[i];
        }
        return seal(f);
      }
      case SPLICE -> {
        byte[] other = frames.get(rnd.nextInt(frames.size()));
        int a = HEADER + rnd.nextInt(payload);
        int b = HEADER + rnd.nextInt(other.length - HEADER);
        return seal(concat(Arrays.copyOf(f, a), Arrays.copyOfRange(other, b, other.length)));
      }
      case JUNK_PAYLOAD -> {
        byte[] junk = new byte[HEADER + 1 + rnd.nextInt(256)];
        rnd.nextBytes(junk);
        System.arraycopy(f, 0, junk, 0, 4);
        return seal(junk);
      }
      case TRAILING -> {
        byte[] junk = new byte[1 + rnd.nextInt(8)];
        rnd.nextBytes(junk);
        return seal(concat(f, junk));
      }
    }
    throw new AssertionError(kind);
  }

  /** A valid checksum over whatever the payload now is, so Kryo has to read it. */
  static byte[] seal(byte[] f) {
    CRC32 crc = new CRC32();
    crc.update(f, HEADER, f.length - HEADER);
    ByteBuffer.wrap(f, 4, 4).putInt((int) crc.getValue());
    return f;
  }

  static byte[] varint(int value) {
    ByteBuffer b = ByteBuffer.allocate(5);
    while ((value & ~0x7f) != 0) {
      b.put((byte) ((value & 0x7f) | 0x80));
      value >>>= 7;
    }
    b.put((byte) value);
    return Arrays.copyOf(b.array(), b.position());
  }

  static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] out = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }
}
