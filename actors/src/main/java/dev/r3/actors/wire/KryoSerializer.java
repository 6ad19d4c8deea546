package dev.r3.actors.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.util.Pool;
import java.io.NotSerializableException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.JSerializer;

/**
 * Pekko serializer for every {@link WireMessage}: Kryo with registration required, so only the
 * classes listed in {@link WireRegistry} can be written or read. Kryo instances are not
 * thread-safe; a pool hands one to each caller.
 *
 * <p>Frame: magic (4 bytes), CRC32 of the payload (4 bytes), Kryo payload. A truncated or corrupted
 * message fails the checksum before Kryo reads a length out of garbage, so malformed bytes give a
 * clear exception, never a huge allocation or a hang.
 */
public final class KryoSerializer extends JSerializer {
  /** Pekko serializer id (must be unique among the system's serializers). */
  public static final int IDENTIFIER = 730_301;

  private static final int MAGIC = 0x52334b31; // "R3K1"
  private static final int HEADER = 8;
  private static final int MAX_BUFFER = 1 << 30;

  /** Room an Artery envelope (recipient, sender, manifest) needs around a payload. */
  static final int ENVELOPE_ROOM = 4096;

  private static final String FRAME_KEY = "pekko.remote.artery.advanced.maximum-frame-size";

  private final Pool<Kryo> pool;
  private final long frameLimit; // 0 = no network (a one-JVM system): no limit

  public KryoSerializer(ExtendedActorSystem system) {
    this(new Lazy(system), frameLimit(system));
  }

  /** For tests without an actor system (ActorRefs then cannot be written). */
  public KryoSerializer() {
    this((Lazy) null, 0);
  }

  /** For tests: refuses payloads over {@code frameBytes} less the envelope's room. */
  public KryoSerializer(long frameBytes) {
    this((Lazy) null, frameBytes);
  }

  private static long frameLimit(ExtendedActorSystem system) {
    var c = system.settings().config();
    String provider = c.getString("pekko.actor.provider");
    boolean remote = !(provider.equals("local") || provider.endsWith("LocalActorRefProvider"));
    return remote && c.hasPath(FRAME_KEY) ? c.getBytes(FRAME_KEY) : 0;
  }

  private KryoSerializer(Lazy resolver, long frameLimit) {
    this.frameLimit = frameLimit;
    this.pool =
        new Pool<>(true, false, 16) {
          @Override
          protected Kryo create() {
            return WireRegistry.newKryo(resolver == null ? null : resolver.get());
          }
        };
  }

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public boolean includeManifest() {
    return false;
  }

  @Override
  public byte[] toBinary(Object o) {
    Kryo kryo = pool.obtain();
    try (Output out = new Output(4096, MAX_BUFFER)) {
      out.setPosition(HEADER);
      kryo.writeClassAndObject(out, o);
      byte[] bytes = out.toBytes();
      CRC32 crc = new CRC32();
      crc.update(bytes, HEADER, bytes.length - HEADER);
      ByteBuffer.wrap(bytes, 0, HEADER).putInt(MAGIC).putInt((int) crc.getValue());
      if (frameLimit > 0 && bytes.length > frameLimit - ENVELOPE_ROOM) {
        // Artery would drop it with a generic log line; refuse it here, naming what and how big.
        throw new MessageTooLargeException(
            "cannot send "
                + o.getClass().getName()
                + ": "
                + bytes.length
                + " bytes, over the frame limit ("
                + FRAME_KEY
                + " = "
                + frameLimit
                + " bytes, less "
                + ENVELOPE_ROOM
                + " for the envelope)");
      }
      return bytes;
    } catch (MessageTooLargeException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      // Kryo: "Class is not registered: ..." with registration required.
      throw new IllegalArgumentException(
          "cannot serialize "
              + o.getClass().getName()
              + ": not registered in WireRegistry ("
              + e.getMessage().lines().findFirst().orElse("")
              + ")",
          e);
    } catch (KryoException e) {
      throw new IllegalArgumentException(
          "cannot serialize " + o.getClass().getName() + ": " + e.getMessage(), e);
    } finally {
      pool.free(kryo);
    }
  }

  @Override
  public Object fromBinaryJava(byte[] bytes, Class<?> manifest) {
    try {
      Object o = read(bytes);
      WireStats.received(o, bytes.length);
      return o;
    } catch (NotSerializableException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** Reads one message; any malformed input is a {@link NotSerializableException} saying why. */
  public Object read(byte[] bytes) throws NotSerializableException {
    if (bytes == null || bytes.length < HEADER + 1) {
      throw new NotSerializableException(
          "malformed R3 wire message: "
              + (bytes == null ? 0 : bytes.length)
              + " bytes, shorter than a frame");
    }
    ByteBuffer header = ByteBuffer.wrap(bytes, 0, HEADER);
    int magic = header.getInt();
    int sum = header.getInt();
    if (magic != MAGIC) {
      throw new NotSerializableException(
          String.format("malformed R3 wire message: bad magic 0x%08x", magic));
    }
    CRC32 crc = new CRC32();
    crc.update(bytes, HEADER, bytes.length - HEADER);
    if ((int) crc.getValue() != sum) {
      throw new NotSerializableException(
          "malformed R3 wire message: checksum mismatch (truncated or corrupt, "
              + bytes.length
              + " bytes)");
    }
    Kryo kryo = pool.obtain();
    try (Input in = new BoundedInput(bytes, HEADER, bytes.length - HEADER)) {
      Object o = kryo.readClassAndObject(in);
      if (in.position() != bytes.length) {
        throw new NotSerializableException(
            "malformed R3 wire message: "
                + (bytes.length - in.position())
                + " trailing bytes after "
                + (o == null ? "null" : o.getClass().getName()));
      }
      return o;
    } catch (RuntimeException e) {
      // Kryo's own errors, and whatever a record's constructor or a serializer throws on values
      // read out of garbage (IllegalArgumentException, NullPointerException, ClassCastException,
      // ...): the frame fuzzer checks that nothing else escapes.
      NotSerializableException n =
          new NotSerializableException("malformed R3 wire message: " + e.getMessage());
      n.initCause(e);
      throw n;
    } finally {
      pool.free(kryo);
    }
  }

  /**
   * A message bigger than a network frame: refused with its type and size, never dropped quietly.
   */
  public static final class MessageTooLargeException extends IllegalArgumentException {
    MessageTooLargeException(String message) {
      super(message);
    }
  }

  /**
   * The typed ActorRefResolver, looked up when the first Kryo is made (the system is up by then).
   */
  private static final class Lazy {
    private final ExtendedActorSystem system;
    private volatile ActorRefResolver resolver;

    Lazy(ExtendedActorSystem system) {
      this.system = system;
    }

    ActorRefResolver get() {
      ActorRefResolver r = resolver;
      if (r == null) {
        r = ActorRefResolver.get(Adapter.toTyped(system));
        resolver = r;
      }
      return r;
    }
  }
}
