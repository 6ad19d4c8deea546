package dev.r3.model.io;

import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import dev.r3.model.HostTensor;
import dev.r3.model.WeightRounding;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reader and writer of the Hugging Face safetensors format, so that R3 checkpoints open in the
 * Python tooling and real (bf16) Qwen3-MoE checkpoints open here.
 *
 * <p>Layout: an unsigned 64-bit little-endian header length N; N bytes of UTF-8 JSON mapping each
 * tensor name to {@code {"dtype", "shape", "data_offsets": [begin, end]}} plus an optional {@code
 * "__metadata__"} object of string to string, right-padded with spaces; then the data buffer,
 * little-endian, offsets relative to its start. The writer emits tensors in the caller's
 * (canonical) order and pads the header so the data starts at a multiple of 8 bytes.
 *
 * <p>The reader trusts nothing in the file: the header length is checked against the file size and
 * a cap before any allocation (a garbage length gives an error, never an OutOfMemoryError); the
 * JSON is parsed strictly (duplicate names, wrong types and trailing garbage are errors); every
 * tensor's byte range must match its dtype and shape, and the ranges must tile the data buffer
 * exactly, with no overlap and no hole, as the reference Rust implementation requires. F32, BF16
 * and F16 tensors are read, the latter two widened to float32 exactly.
 */
public final class Safetensors {
  private Safetensors() {}

  /** Header size cap, as in the reference implementation (100 MB). */
  static final long MAX_HEADER_BYTES = 100_000_000L;

  /** Largest tensor a Java float array holds. */
  static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

  private static final String METADATA_KEY = "__metadata__";
  private static final int CHUNK_BYTES = 1 << 20;

  /** Element types this class reads; {@link #F32} and {@link #BF16} are also written. */
  public enum Dtype {
    F32(4),
    BF16(2),
    F16(2);

    final int bytes;

    Dtype(int bytes) {
      this.bytes = bytes;
    }
  }

  /** Dtype names of the safetensors spec that this reader recognises but does not convert. */
  private static final Set<String> OTHER_SPEC_DTYPES =
      Set.of(
          "BOOL", "U8", "I8", "U16", "I16", "U32", "I32", "U64", "I64", "F64", "F8_E4M3", "F8_E5M2",
          "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "C64");

  /**
   * Everything a file holds: tensors in file-header order, and the {@code __metadata__} strings.
   */
  public record Contents(Map<String, HostTensor> tensors, Map<String, String> metadata) {
    public Contents {
      tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
      metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }
  }

  /** One header entry, validated. */
  record Entry(String name, Dtype dtype, int[] shape, long begin, long end) {
    int elements() {
      return (int) ((end - begin) / dtype.bytes);
    }
  }

  // ---------------------------------------------------------------- writing

  /** Writes float32 tensors; see {@link #write(Path, Map, Map, Dtype)}. */
  public static void write(Path file, Map<String, HostTensor> tensors, Map<String, String> metadata)
      throws IOException {
    write(file, tensors, metadata, Dtype.F32);
  }

  /**
   * Writes {@code tensors} (in map order) and {@code metadata} to {@code file}, replacing it, and
   * forces the bytes to disk before returning. With {@link Dtype#BF16} values are rounded to
   * nearest even. Not atomic by itself: {@link Checkpoint} writes to a temporary file and renames
   * it.
   */
  public static void write(
      Path file, Map<String, HostTensor> tensors, Map<String, String> metadata, Dtype dtype)
      throws IOException {
    if (dtype == Dtype.F16) {
      throw new IllegalArgumentException("writing F16 is not supported (use F32 or BF16)");
    }
    byte[] header = header(tensors, metadata, dtype);
    try (FileChannel ch =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer buf = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      buf.putLong(header.length);
      writeFully(ch, buf.flip());
      writeFully(ch, ByteBuffer.wrap(header));
      buf.clear();
      for (HostTensor t : tensors.values()) {
        for (float v : t.data()) {
          if (buf.remaining() < 4) {
            writeFully(ch, buf.flip());
            buf.clear();
          }
          if (dtype == Dtype.F32) {
            buf.putInt(Float.floatToRawIntBits(v));
          } else {
            buf.putShort(WeightRounding.toBf16Bits(v));
          }
        }
      }
      writeFully(ch, buf.flip());
      ch.force(true);
    }
  }

  /** The header JSON, space-padded so that 8 + its length is a multiple of 8. */
  static byte[] header(Map<String, HostTensor> tensors, Map<String, String> metadata, Dtype dtype) {
    StringWriter out = new StringWriter();
    try (JsonWriter w = new JsonWriter(out)) {
      w.beginObject();
      if (metadata != null && !metadata.isEmpty()) {
        w.name(METADATA_KEY).beginObject();
        for (var e : metadata.entrySet()) {
          if (e.getKey() == null || e.getValue() == null) {
            throw new IllegalArgumentException("metadata keys and values must not be null: " + e);
          }
          w.name(e.getKey()).value(e.getValue());
        }
        w.endObject();
      }
      long offset = 0;
      for (var e : tensors.entrySet()) {
        String name = e.getKey();
        if (name == null || name.isEmpty() || name.equals(METADATA_KEY)) {
          throw new IllegalArgumentException("invalid tensor name '" + name + "'");
        }
        HostTensor t = e.getValue();
        long end = offset + t.size() * dtype.bytes;
        w.name(name).beginObject();
        w.name("dtype").value(dtype.name());
        w.name("shape").beginArray();
        for (int d : t.shape()) {
          w.value(d);
        }
        w.endArray();
        w.name("data_offsets").beginArray().value(offset).value(end).endArray();
        w.endObject();
        offset = end;
      }
      w.endObject();
    } catch (IOException e) {
      throw new IllegalStateException(e); // a StringWriter does not fail
    }
    byte[] json = out.toString().getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8;
    byte[] h = Arrays.copyOf(json, padded);
    Arrays.fill(h, json.length, padded, (byte) ' ');
    return h;
  }

  private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  // ---------------------------------------------------------------- reading

  /**
   * Reads every tensor (as float32) and the metadata.
   *
   * @throws SafetensorsException for a truncated, corrupt or unsupported file, naming the file and
   *     the offending tensor
   * @throws java.nio.file.NoSuchFileException when the file does not exist
   */
  public static Contents read(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      Parsed p = parseHeader(file, ch);
      Map<String, HostTensor> tensors = new LinkedHashMap<>();
      for (Entry e : p.entries) {
        float[] data = readData(file, ch, p.dataStart, e);
        tensors.put(e.name, new HostTensor(e.shape, data));
      }
      return new Contents(tensors, p.metadata);
    }
  }

  /** Reads only the header's {@code __metadata__} (cheap: the tensor data is not touched). */
  public static Map<String, String> readMetadata(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return Collections.unmodifiableMap(parseHeader(file, ch).metadata);
    }
  }

  /** Tensor names with their shapes, in header order, without reading the data. */
  public static Map<String, int[]> readShapes(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      Map<String, int[]> m = new LinkedHashMap<>();
      for (Entry e : parseHeader(file, ch).entries) {
        m.put(e.name, e.shape.clone());
      }
      return m;
    }
  }

  private record Parsed(List<Entry> entries, Map<String, String> metadata, long dataStart) {}

  private static Parsed parseHeader(Path file, FileChannel ch) throws IOException {
    long size = ch.size();
    if (size < 8) {
      throw corrupt(
          file, "file is " + size + " bytes, shorter than the 8-byte header length (truncated?)");
    }
    ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    readFully(file, ch, lenBuf, 0);
    long n = lenBuf.flip().getLong();
    if (n < 2 || Long.compareUnsigned(n, MAX_HEADER_BYTES) > 0) {
      throw corrupt(
          file,
          "header length "
              + Long.toUnsignedString(n)
              + " is outside [2, "
              + MAX_HEADER_BYTES
              + "] (not a safetensors file?)");
    }
    if (n > size - 8) {
      throw corrupt(
          file,
          "header length " + n + " runs past the end of the file (" + size + " bytes; truncated?)");
    }
    ByteBuffer hb = ByteBuffer.allocate((int) n);
    readFully(file, ch, hb, 8);
    String json;
    try {
      CharBuffer cb =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(hb.flip());
      json = cb.toString();
    } catch (CharacterCodingException e) {
      throw corrupt(file, "header is not valid UTF-8", e);
    }
    if (!json.startsWith("{")) {
      throw corrupt(file, "header does not start with '{' (not a safetensors file?)");
    }
    long dataStart = 8 + n;
    long dataLen = size - dataStart;
    List<Entry> entries = new ArrayList<>();
    Map<String, String> metadata = new LinkedHashMap<>();
    try (JsonReader r = new JsonReader(new StringReader(json))) {
      Set<String> seen = new HashSet<>();
      r.beginObject();
      while (r.hasNext()) {
        String name = r.nextName();
        if (!seen.add(name)) {
          throw corrupt(file, "header names '" + name + "' twice");
        }
        if (name.equals(METADATA_KEY)) {
          readMetadataObject(file, r, metadata);
        } else {
          entries.add(readEntry(file, r, name));
        }
      }
      r.endObject();
      if (r.peek() != JsonToken.END_DOCUMENT) {
        throw corrupt(file, "header has content after its JSON object");
      }
    } catch (SafetensorsException e) {
      throw e;
    } catch (IOException | IllegalStateException | NumberFormatException e) {
      throw corrupt(file, "header is not valid JSON: " + e.getMessage(), e);
    }
    checkLayout(file, entries, dataLen);
    return new Parsed(entries, metadata, dataStart);
  }

  private static void readMetadataObject(Path file, JsonReader r, Map<String, String> into)
      throws IOException {
    if (r.peek() != JsonToken.BEGIN_OBJECT) {
      throw corrupt(file, "__metadata__ is not an object");
    }
    r.beginObject();
    while (r.hasNext()) {
      String k = r.nextName();
      if (r.peek() != JsonToken.STRING) {
        throw corrupt(file, "__metadata__ value of '" + k + "' is not a string");
      }
      if (into.put(k, r.nextString()) != null) {
        throw corrupt(file, "__metadata__ names '" + k + "' twice");
      }
    }
    r.endObject();
  }

  private static Entry readEntry(Path file, JsonReader r, String name) throws IOException {
    if (r.peek() != JsonToken.BEGIN_OBJECT) {
      throw corrupt(file, "tensor '" + name + "': header entry is not an object");
    }
    String dtypeName = null;
    List<Long> shape = null;
    List<Long> offsets = null;
    r.beginObject();
    while (r.hasNext()) {
      String k = r.nextName();
      switch (k) {
        case "dtype" -> {
          if (r.peek() != JsonToken.STRING) {
            throw corrupt(file, "tensor '" + name + "': dtype is not a string");
          }
          dtypeName = r.nextString();
        }
        case "shape" -> shape = readLongs(file, r, name, "shape");
        case "data_offsets" -> offsets = readLongs(file, r, name, "data_offsets");
        default ->
            r.skipValue(); // unknown fields are ignored, as the reference implementation does
      }
    }
    r.endObject();
    if (dtypeName == null || shape == null || offsets == null) {
      throw corrupt(
          file,
          "tensor '"
              + name
              + "' lacks "
              + (dtypeName == null ? "dtype" : shape == null ? "shape" : "data_offsets"));
    }
    Dtype dtype;
    try {
      dtype = Dtype.valueOf(dtypeName);
    } catch (IllegalArgumentException e) {
      throw corrupt(
          file,
          "tensor '"
              + name
              + "' has "
              + (OTHER_SPEC_DTYPES.contains(dtypeName) ? "unsupported dtype " : "unknown dtype ")
              + "'"
              + dtypeName
              + "' (readable: F32, BF16, F16)");
    }
    if (offsets.size() != 2) {
      throw corrupt(
          file, "tensor '" + name + "': data_offsets must hold 2 numbers, has " + offsets.size());
    }
    long elements = 1;
    int[] dims = new int[shape.size()];
    for (int i = 0; i < dims.length; i++) {
      long d = shape.get(i);
      if (d < 0 || d > Integer.MAX_VALUE) {
        throw corrupt(
            file, "tensor '" + name + "' has invalid dimension " + d + " in shape " + shape);
      }
      dims[i] = (int) d;
      elements = d == 0 ? 0 : (elements > MAX_ELEMENTS / d ? MAX_ELEMENTS + 1 : elements * d);
    }
    if (elements > MAX_ELEMENTS) {
      throw corrupt(
          file, "tensor '" + name + "' with shape " + shape + " is too large for one array");
    }
    long begin = offsets.get(0);
    long end = offsets.get(1);
    if (begin < 0 || end < begin) {
      throw corrupt(file, "tensor '" + name + "' has invalid data_offsets " + offsets);
    }
    if (end - begin != elements * dtype.bytes) {
      throw corrupt(
          file,
          "tensor '"
              + name
              + "': data_offsets "
              + offsets
              + " span "
              + (end - begin)
              + " bytes, but shape "
              + shape
              + " of "
              + dtypeName
              + " needs "
              + elements * dtype.bytes);
    }
    return new Entry(name, dtype, dims, begin, end);
  }

  private static List<Long> readLongs(Path file, JsonReader r, String name, String field)
      throws IOException {
    if (r.peek() != JsonToken.BEGIN_ARRAY) {
      throw corrupt(file, "tensor '" + name + "': " + field + " is not an array");
    }
    List<Long> out = new ArrayList<>();
    r.beginArray();
    while (r.hasNext()) {
      if (r.peek() != JsonToken.NUMBER) {
        throw corrupt(file, "tensor '" + name + "': " + field + " holds a non-number");
      }
      String s = r.nextString();
      try {
        out.add(Long.parseLong(s));
      } catch (NumberFormatException e) {
        throw corrupt(file, "tensor '" + name + "': " + field + " holds " + s + ", not an integer");
      }
    }
    r.endArray();
    return out;
  }

  /**
   * Byte ranges must tile [0, dataLen) exactly: sorted by begin, each starting where the last
   * ended.
   */
  private static void checkLayout(Path file, List<Entry> entries, long dataLen)
      throws SafetensorsException {
    List<Entry> sorted = new ArrayList<>(entries);
    sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
    long expected = 0;
    Entry previous = null;
    for (Entry e : sorted) {
      if (e.end > dataLen) {
        throw corrupt(
            file,
            "tensor '"
                + e.name
                + "' data_offsets ["
                + e.begin
                + ", "
                + e.end
                + "] run past the end of the data ("
                + dataLen
                + " bytes; truncated?)");
      }
      if (e.begin < expected) {
        throw corrupt(
            file,
            "tensor '"
                + e.name
                + "' data_offsets ["
                + e.begin
                + ", "
                + e.end
                + "] overlap tensor '"
                + previous.name
                + "' ["
                + previous.begin
                + ", "
                + previous.end
                + "]");
      }
      if (e.begin > expected) {
        throw corrupt(
            file,
            "gap in the data: bytes ["
                + expected
                + ", "
                + e.begin
                + ") belong to no tensor (before tensor '"
                + e.name
                + "')");
      }
      expected = e.end;
      previous = e;
    }
    if (expected != dataLen) {
      throw corrupt(
          file, "data has " + (dataLen - expected) + " trailing bytes that belong to no tensor");
    }
  }

  private static float[] readData(Path file, FileChannel ch, long dataStart, Entry e)
      throws IOException {
    int n = e.elements();
    float[] out = new float[n];
    int width = e.dtype.bytes;
    int perChunk = CHUNK_BYTES / width;
    ByteBuffer buf =
        ByteBuffer.allocate((int) Math.min(CHUNK_BYTES, Math.max(width, (long) n * width)))
            .order(ByteOrder.LITTLE_ENDIAN);
    long pos = dataStart + e.begin;
    for (int i = 0; i < n; ) {
      int count = Math.min(perChunk, n - i);
      buf.clear().limit(count * width);
      readFully(file, ch, buf, pos);
      buf.flip();
      switch (e.dtype) {
        case F32 -> {
          for (int j = 0; j < count; j++) {
            out[i + j] = Float.intBitsToFloat(buf.getInt());
          }
        }
        case BF16 -> {
          for (int j = 0; j < count; j++) {
            out[i + j] = WeightRounding.fromBf16Bits(buf.getShort());
          }
        }
        case F16 -> {
          for (int j = 0; j < count; j++) {
            out[i + j] = Half.toFloat(buf.getShort());
          }
        }
      }
      i += count;
      pos += (long) count * width;
    }
    return out;
  }

  private static void readFully(Path file, FileChannel ch, ByteBuffer b, long pos)
      throws IOException {
    while (b.hasRemaining()) {
      int got = ch.read(b, pos);
      if (got < 0) {
        throw corrupt(
            file, "unexpected end of file at byte " + pos + " (file changed while reading?)");
      }
      pos += got;
    }
  }

  private static SafetensorsException corrupt(Path file, String why) {
    return new SafetensorsException(file + ": " + why);
  }

  private static SafetensorsException corrupt(Path file, String why, Throwable cause) {
    return new SafetensorsException(file + ": " + why, cause);
  }
}
