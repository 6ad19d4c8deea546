package dev.r3.model.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.r3.model.HostTensor;
import dev.r3.model.WeightRounding;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
  @TempDir Path tmp;

  private static Map<String, HostTensor> sample() {
    Map<String, HostTensor> m = new LinkedHashMap<>();
    m.put(
        "b.weight",
        new HostTensor(new int[] {2, 3}, new float[] {1, -2, 3.5f, Float.MIN_VALUE, -0f, 1e30f}));
    m.put(
        "a.bias",
        new HostTensor(new int[] {3}, new float[] {0.25f, Float.NaN, Float.NEGATIVE_INFINITY}));
    m.put("scalar", new HostTensor(new int[] {}, new float[] {42f}));
    m.put("empty", new HostTensor(new int[] {0, 4}, new float[0]));
    return m;
  }

  /** A safetensors file assembled by hand from a header string and raw data bytes. */
  private Path handMade(String header, byte[] data) throws IOException {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h).put(data);
    Path f = Files.createTempFile(tmp, "hand", ".safetensors");
    Files.write(f, b.array());
    return f;
  }

  private static byte[] f32(float... v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : v) {
      b.putFloat(x);
    }
    return b.array();
  }

  @Test
  void writeThenRead_isBitExact_andKeepsOrderAndMetadata() throws IOException {
    Path f = tmp.resolve("m.safetensors");
    Safetensors.write(f, sample(), Map.of("step", "12", "note", "héllo"));
    Safetensors.Contents c = Safetensors.read(f);
    assertThat(c.tensors().keySet()).containsExactly("b.weight", "a.bias", "scalar", "empty");
    for (var e : sample().entrySet()) {
      assertThat(c.tensors().get(e.getKey()).sameAs(e.getValue())).as(e.getKey()).isTrue();
    }
    assertThat(c.metadata()).containsEntry("step", "12").containsEntry("note", "héllo");
    assertThat(Safetensors.readMetadata(f)).isEqualTo(c.metadata());
    assertThat(Safetensors.readShapes(f).get("b.weight")).containsExactly(2, 3);
  }

  @Test
  void writer_followsTheSpecLayout_paddedHeaderAndLittleEndianData() throws IOException {
    Map<String, HostTensor> m = new LinkedHashMap<>();
    m.put("x", new HostTensor(new int[] {2}, new float[] {1f, -2f}));
    Path f = tmp.resolve("x.safetensors");
    Safetensors.write(f, m, Map.of());
    byte[] bytes = Files.readAllBytes(f);
    long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
    String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
    assertThat((8 + n) % 8).isZero();
    assertThat(header.stripTrailing())
        .isEqualTo("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}");
    assertThat(header.substring(header.stripTrailing().length())).matches(" *");
    assertThat(Arrays.copyOfRange(bytes, (int) (8 + n), bytes.length))
        .containsExactly(f32(1f, -2f));
  }

  @Test
  void reads_aHandMadeFile_withUnsortedOffsetsAndUnknownEntryFields() throws IOException {
    String header =
        "{\"__metadata__\":{\"format\":\"pt\"},"
            + "\"late\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12],\"extra\":[1,{}]},"
            + "\"early\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}   ";
    Safetensors.Contents c = Safetensors.read(handMade(header, f32(1f, 2f, 3f)));
    assertThat(c.tensors().get("early").data()).containsExactly(1f, 2f);
    assertThat(c.tensors().get("late").data()).containsExactly(3f);
    assertThat(c.metadata()).containsExactly(Map.entry("format", "pt"));
  }

  @Test
  void readsBf16_byWideningExactly() throws IOException {
    Map<String, HostTensor> m = new LinkedHashMap<>();
    float[] v = new float[1000];
    SplittableRandom rng = new SplittableRandom(1);
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) rng.nextGaussian();
    }
    m.put("w", new HostTensor(new int[] {10, 100}, v));
    Path f = tmp.resolve("bf16.safetensors");
    Safetensors.write(f, m, Map.of(), Safetensors.Dtype.BF16);
    assertThat(Files.size(f) - 8 - headerLength(f)).isEqualTo(2000);
    float[] got = Safetensors.read(f).tensors().get("w").data();
    for (int i = 0; i < v.length; i++) {
      assertThat(got[i]).isEqualTo(WeightRounding.roundBf16(v[i]));
    }
    // a hand-made BF16 tensor: 0x3F80 = 1.0, 0xC040 = -3.0, 0x7F80 = +inf
    String header = "{\"t\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,6]}}";
    byte[] data = {(byte) 0x80, 0x3F, 0x40, (byte) 0xC0, (byte) 0x80, 0x7F};
    assertThat(Safetensors.read(handMade(header, data)).tensors().get("t").data())
        .containsExactly(1f, -3f, Float.POSITIVE_INFINITY);
  }

  @Test
  void readsF16_everyBitPatternExactly() throws IOException {
    ByteBuffer b = ByteBuffer.allocate(2 * 65536).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 65536; i++) {
      b.putShort((short) i);
    }
    String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[65536],\"data_offsets\":[0,131072]}}";
    float[] got = Safetensors.read(handMade(header, b.array())).tensors().get("h").data();
    for (int i = 0; i < 65536; i++) {
      assertThat(bitsOrNaN(got[i])).as("half 0x%04x", i).isEqualTo(bitsOrNaN(referenceHalf(i)));
    }
    assertThat(got[0x3C00]).isEqualTo(1f);
    assertThat(got[0x7BFF]).isEqualTo(65504f);
    assertThat(got[0x0001]).isEqualTo(0x1p-24f);
    assertThat(got[0xC000]).isEqualTo(-2f);
    assertThat(got[0xFC00]).isEqualTo(Float.NEGATIVE_INFINITY);
    assertThat(got[0x7E00]).isNaN();
  }

  /** binary16 by the textbook formula, in double. */
  private static float referenceHalf(int h) {
    int s = (h >>> 15) & 1;
    int e = (h >>> 10) & 0x1F;
    int m = h & 0x3FF;
    double sign = s == 1 ? -1 : 1;
    if (e == 31) {
      return m == 0 ? (float) (sign * Double.POSITIVE_INFINITY) : Float.NaN;
    }
    double v = e == 0 ? m / 1024.0 * Math.pow(2, -14) : (1 + m / 1024.0) * Math.pow(2, e - 15);
    return (float) (sign * v);
  }

  private static int bitsOrNaN(float f) {
    return Float.isNaN(f) ? 0x7FC0_0000 : Float.floatToRawIntBits(f);
  }

  private static long headerLength(Path f) throws IOException {
    byte[] b = Arrays.copyOf(Files.readAllBytes(f), 8);
    return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
  }

  // ---------------------------------------------------------------- the reference implementation

  private static Path resource(String name) throws Exception {
    return Path.of(SafetensorsTest.class.getResource("/safetensors/" + name).toURI());
  }

  /**
   * Made by the Python {@code safetensors} 0.8.0 package (F32 and F16 tensors, sorted by dtype).
   */
  @Test
  void reads_aFileWrittenByTheReferenceImplementation() throws Exception {
    Safetensors.Contents c = Safetensors.read(resource("reference-0.8.0.safetensors"));
    assertThat(c.metadata())
        .containsEntry("made_by", "safetensors 0.8.0 (Python reference implementation)");
    assertThat(c.tensors().get("b").shape()).containsExactly(2, 3);
    assertThat(c.tensors().get("b").data()).containsExactly(0f, 0.5f, 1f, 1.5f, 2f, 2.5f);
    assertThat(c.tensors().get("a").data()).containsExactly(1e-40f, Float.NEGATIVE_INFINITY);
    assertThat(c.tensors().get("h").data())
        .containsExactly(1f, 65504f, 0x1p-24f, -2f, Float.POSITIVE_INFINITY, 0.0999755859375f);
  }

  /**
   * {@code save_file({"layer.bias": ..., "layer.weight": ...}, metadata={"format": "pt"})} in
   * Python.
   */
  @Test
  void writer_isByteIdenticalToTheReferenceImplementation() throws Exception {
    Map<String, HostTensor> m = new LinkedHashMap<>();
    m.put("layer.bias", new HostTensor(new int[] {3}, new float[] {0.25f, -1.5f, 3e-39f}));
    float[] w = new float[12];
    for (int i = 0; i < w.length; i++) {
      w[i] = (i - 5f) / 7f;
    }
    m.put("layer.weight", new HostTensor(new int[] {3, 4}, w));
    Path f = tmp.resolve("same.safetensors");
    Safetensors.write(f, m, Map.of("format", "pt"));
    assertThat(Files.readAllBytes(f))
        .containsExactly(Files.readAllBytes(resource("reference-0.8.0-f32.safetensors")));
  }

  // ---------------------------------------------------------------- corrupt files

  private void assertCorrupt(Path f, String... fragments) {
    var a =
        assertThatThrownBy(() -> Safetensors.read(f))
            .isInstanceOf(SafetensorsException.class)
            .hasMessageContaining(f.toString());
    for (String s : fragments) {
      a.hasMessageContaining(s);
    }
  }

  @Test
  void rejects_fileShorterThanTheLengthPrefix() throws IOException {
    Path f = tmp.resolve("short");
    Files.write(f, new byte[] {1, 2, 3});
    assertCorrupt(f, "shorter than the 8-byte header length");
    Files.write(f, new byte[0]);
    assertCorrupt(f, "0 bytes");
  }

  @Test
  void rejects_garbageHeaderLength_withoutAllocatingIt() throws IOException {
    Path f = tmp.resolve("garbage");
    ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(0x7FFF_FFFF_FFFF_FFF0L);
    Files.write(f, b.array());
    assertCorrupt(f, "outside [2, 100000000]");
    b.clear();
    b.putLong(-1L); // 2^64 - 1 unsigned
    Files.write(f, b.array());
    assertCorrupt(f, "18446744073709551615");
    b.clear();
    b.putLong(90_000_000L); // under the cap, but past the end of a 64-byte file
    Files.write(f, b.array());
    assertCorrupt(f, "runs past the end of the file (64 bytes");
  }

  @Test
  void rejects_truncatedData_namingTheTensor() throws IOException {
    Path f = tmp.resolve("t.safetensors");
    Safetensors.write(f, sample(), Map.of());
    byte[] all = Files.readAllBytes(f);
    Files.write(f, Arrays.copyOf(all, all.length - 3));
    assertCorrupt(f, "tensor 'scalar'", "run past the end of the data", "truncated?");
  }

  @Test
  void rejects_truncatedHeader() throws IOException {
    Path f = tmp.resolve("th.safetensors");
    Safetensors.write(f, sample(), Map.of());
    byte[] all = Files.readAllBytes(f);
    Files.write(f, Arrays.copyOf(all, 30));
    assertCorrupt(f, "runs past the end of the file");
  }

  @Test
  void rejects_badJson() throws IOException {
    assertCorrupt(handMade("{\"x\":{\"dtype\":\"F32\",", new byte[0]), "not valid JSON");
    assertCorrupt(handMade("{\"x\":1}", new byte[0]), "tensor 'x'", "not an object");
    assertCorrupt(handMade("{} trailing", new byte[0]), "not valid JSON");
    assertCorrupt(handMade("[1,2,3]", new byte[0]), "does not start with '{'");
    assertCorrupt(handMade("{}{}", new byte[0]), "not valid JSON");
    byte[] badUtf8 = {'{', '"', (byte) 0xC3, '"', ':', '1', '}'};
    ByteBuffer b = ByteBuffer.allocate(8 + badUtf8.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(badUtf8.length).put(badUtf8);
    Path f = tmp.resolve("utf8");
    Files.write(f, b.array());
    assertCorrupt(f, "not valid UTF-8");
  }

  @Test
  void rejects_wrongFieldTypesAndDuplicates() throws IOException {
    assertCorrupt(
        handMade("{\"x\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", f32(1)),
        "tensor 'x'",
        "shape holds 1.5");
    assertCorrupt(
        handMade("{\"x\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]}}", f32(1, 2)),
        "shape is not an array");
    assertCorrupt(
        handMade("{\"x\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", f32(1)),
        "invalid dimension -1");
    assertCorrupt(
        handMade("{\"x\":{\"dtype\":\"F32\",\"shape\":[1]}}", f32(1)), "lacks data_offsets");
    assertCorrupt(
        handMade(
            "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
            f32(1, 2)),
        "names 'x' twice");
    assertCorrupt(
        handMade(
            "{\"__metadata__\":{\"step\":3},\"x\":{\"dtype\":\"F32\",\"shape\":[1],"
                + "\"data_offsets\":[0,4]}}",
            f32(1)),
        "'step' is not a string");
    assertCorrupt(
        handMade("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", f32(1)),
        "must hold 2 numbers");
  }

  @Test
  void rejects_wrongDtype() throws IOException {
    assertCorrupt(
        handMade("{\"x\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8]),
        "tensor 'x'",
        "unsupported dtype 'I64'",
        "F32, BF16, F16");
    assertCorrupt(
        handMade("{\"x\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8]),
        "unknown dtype 'Q4'");
  }

  @Test
  void rejects_sizeMismatchBetweenShapeAndOffsets() throws IOException {
    assertCorrupt(
        handMade("{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", f32(1, 2)),
        "tensor 'x'",
        "span 8 bytes",
        "needs 12");
    assertCorrupt(
        handMade("{\"x\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,8]}}", f32(1, 2)),
        "needs 4");
    // a shape whose element count overflows is caught before any allocation
    assertCorrupt(
        handMade(
            "{\"x\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647],"
                + "\"data_offsets\":[0,8]}}",
            f32(1, 2)),
        "too large");
  }

  @Test
  void rejects_overlappingAndOutOfRangeOffsets_andHolesAndTrailingBytes() throws IOException {
    assertCorrupt(
        handMade(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
            f32(1, 2, 3)),
        "tensor 'b'",
        "overlap tensor 'a'");
    assertCorrupt(
        handMade("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[100,104]}}", f32(1)),
        "tensor 'a'",
        "run past the end of the data (4 bytes");
    assertCorrupt(
        handMade("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", f32(1)),
        "invalid data_offsets");
    assertCorrupt(
        handMade("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", f32(1, 2)),
        "gap in the data",
        "[0, 4)");
    assertCorrupt(
        handMade("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", f32(1, 2)),
        "4 trailing bytes");
  }

  @Test
  void missingFile_isNoSuchFile() {
    assertThatThrownBy(() -> Safetensors.read(tmp.resolve("nope")))
        .isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void randomByteCorruption_neverEscapesAsAnythingButSafetensorsException() throws IOException {
    Path good = tmp.resolve("good.safetensors");
    Safetensors.write(good, sample(), Map.of("k", "v"));
    byte[] orig = Files.readAllBytes(good);
    SplittableRandom rng = new SplittableRandom(9);
    Path f = tmp.resolve("fuzz.safetensors");
    int rejected = 0;
    for (int trial = 0; trial < 1000; trial++) {
      byte[] b = orig.clone();
      int flips = 1 + rng.nextInt(4);
      for (int i = 0; i < flips; i++) {
        int at = rng.nextInt(Math.min(b.length, 8 + 200)); // mostly the length prefix and header
        b[at] = (byte) rng.nextInt(256);
      }
      if (rng.nextInt(4) == 0) {
        b = Arrays.copyOf(b, rng.nextInt(b.length + 1));
      }
      Files.write(f, b);
      try {
        Safetensors.read(f);
      } catch (SafetensorsException e) {
        rejected++;
      }
    }
    assertThat(rejected).isPositive();
  }

  @Test
  void writer_rejectsReservedOrEmptyNames() {
    Map<String, HostTensor> m =
        Map.of("__metadata__", new HostTensor(new int[] {1}, new float[] {1}));
    assertThatThrownBy(() -> Safetensors.write(tmp.resolve("w"), m, Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("__metadata__");
    assertThatThrownBy(
            () -> Safetensors.write(tmp.resolve("w"), Map.of(), Map.of(), Safetensors.Dtype.F16))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void emptyFile_withNoTensors_roundTrips() throws IOException {
    Path f = tmp.resolve("e.safetensors");
    Safetensors.write(f, Map.of(), Map.of());
    assertThat(Safetensors.read(f).tensors()).isEmpty();
    assertThat(Files.size(f) % 8).isZero();
  }
}
