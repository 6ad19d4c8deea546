package dev.r3.actors.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.env.Plugins;
import dev.r3.example.plugin.ParrotJar;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rollout node getting the run's plugin jars: from the learner's {@link PluginServer} in pieces,
 * verified and moved into the cache; from this machine without a request when a file has the
 * learner's digest; refused, with nothing left in the cache, when the bytes have another digest,
 * when a piece is short, or when the learner does not answer.
 */
class PluginFetcherTest {
  private static final ActorTestKit kit = ActorTestKit.create();
  private static final int PIECE = 1024;

  @TempDir Path tmp;

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private Path cacheDir() {
    return tmp.resolve("cache");
  }

  private PluginFetcher.Result fetch(
      List<PluginJar> jars, org.apache.pekko.actor.typed.ActorRef<PluginServer.Command> server) {
    TestProbe<PluginFetcher.Result> node = kit.createTestProbe();
    kit.spawn(
        PluginFetcher.create(
            jars,
            server,
            new PluginCache(cacheDir()),
            new PluginSettings(cacheDir(), PIECE, Duration.ofMillis(300)),
            node.getRef()));
    return node.expectMessageClass(PluginFetcher.Result.class, Duration.ofSeconds(10));
  }

  /** The files in the cache folder (none when it was never made). */
  private List<Path> cached() throws IOException {
    if (!Files.isDirectory(cacheDir())) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(cacheDir())) {
      return files.toList();
    }
  }

  @Test
  void otherBytesAtTheLearnersPath_theLearnersJarIsFetchedInPieces_verified_andCached()
      throws Exception {
    Path learnerSide = Files.createDirectories(tmp.resolve("learner")).resolve("parrot.jar");
    ParrotJar.write(learnerSide);
    byte[] bytes = Files.readAllBytes(learnerSide);
    PluginBundle bundle = PluginBundle.read(List.of(learnerSide.toString()));
    PluginJar jar = bundle.jars().get(0);
    assertThat(jar.sha256()).isEqualTo(PluginJar.sha256(bytes));
    assertThat(jar.size()).as("several pieces").isGreaterThan(3L * PIECE);
    // This machine has another build of the jar at the learner's path: not used, the learner's
    // fetched.
    Files.write(learnerSide, Arrays.copyOf(bytes, bytes.length - 1));
    // ... and a damaged copy in its cache (replaced by the fetched jar).
    Files.write(
        Files.createDirectories(cacheDir()).resolve(jar.sha256() + ".jar"), new byte[] {1, 2});

    var result = fetch(List.of(jar), kit.spawn(PluginServer.create(bundle)));

    assertThat(result).isInstanceOf(PluginFetcher.Fetched.class);
    var fetched = (PluginFetcher.Fetched) result;
    Path local = cacheDir().resolve(jar.sha256() + ".jar");
    assertThat(fetched.jars()).containsExactly(local);
    assertThat(Files.readAllBytes(local)).isEqualTo(bytes);
    assertThat(cached()).as("no temporary file left").containsExactly(local);
    assertThat(fetched.notes().get(0)).contains("parrot.jar").contains("fetched from the learner");
    assertThat(Plugins.verify(List.of(local))).as("a working plugin jar").containsExactly(local);
  }

  @Test
  void jarsAlreadyHereWithTheLearnersDigest_areUsed_withoutAskingTheLearner() throws Exception {
    Path atLearnersPath = ParrotJar.write(tmp.resolve("parrot.jar"));
    PluginJar shared = PluginBundle.read(List.of(atLearnersPath.toString())).jars().get(0);
    byte[] other = Files.readAllBytes(ParrotJar.write(tmp.resolve("other.jar")));
    other = Arrays.copyOf(other, other.length + 1); // different bytes, another digest
    PluginJar elsewhere =
        new PluginJar(
            tmp.resolve("not-here/other.jar").toString(), PluginJar.sha256(other), other.length);
    Path cachedCopy = Files.createDirectories(cacheDir()).resolve(elsewhere.sha256() + ".jar");
    Files.write(cachedCopy, other);
    TestProbe<PluginServer.Command> learner = kit.createTestProbe();

    var result = fetch(List.of(shared, elsewhere), learner.getRef());

    assertThat(result).isInstanceOf(PluginFetcher.Fetched.class);
    assertThat(((PluginFetcher.Fetched) result).jars()).containsExactly(atLearnersPath, cachedCopy);
    learner.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void bytesWithAnotherDigest_areRefused_namingBothDigests_andNothingIsCached() throws Exception {
    byte[] served = Files.readAllBytes(ParrotJar.write(tmp.resolve("parrot.jar")));
    String announced = PluginJar.sha256(new byte[] {42});
    PluginJar jar =
        new PluginJar(tmp.resolve("gone/parrot.jar").toString(), announced, served.length);
    // A learner that serves other bytes under the announced digest (a corrupted copy in memory).
    PluginBundle lying = PluginBundle.of(Map.of(jar, served));

    var result = fetch(List.of(jar), kit.spawn(PluginServer.create(lying)));

    assertThat(result).isInstanceOf(PluginFetcher.Failed.class);
    assertThat(((PluginFetcher.Failed) result).why())
        .contains("parrot.jar")
        .contains("wrong digest")
        .contains(announced)
        .contains(PluginJar.sha256(served));
    assertThat(cached()).isEmpty();
  }

  @Test
  void aShortPiece_isRefusedAsACorruptTransfer_andNothingIsCached() throws Exception {
    byte[] bytes = Files.readAllBytes(ParrotJar.write(tmp.resolve("parrot.jar")));
    PluginJar jar =
        new PluginJar(
            tmp.resolve("gone/parrot.jar").toString(), PluginJar.sha256(bytes), bytes.length);
    TestProbe<PluginServer.Command> learner = kit.createTestProbe();
    TestProbe<PluginFetcher.Result> node = kit.createTestProbe();
    kit.spawn(
        PluginFetcher.create(
            List.of(jar),
            learner.getRef(),
            new PluginCache(cacheDir()),
            new PluginSettings(cacheDir(), PIECE, Duration.ofSeconds(5)),
            node.getRef()));

    var first = learner.expectMessageClass(PluginServer.FetchPiece.class);
    first.replyTo().tell(new PluginServer.Piece(jar.sha256(), 0, Arrays.copyOf(bytes, PIECE)));
    var second = learner.expectMessageClass(PluginServer.FetchPiece.class);
    assertThat(second.offset()).isEqualTo(PIECE);
    second
        .replyTo()
        .tell(new PluginServer.Piece(jar.sha256(), PIECE, Arrays.copyOfRange(bytes, PIECE, 1500)));

    var result = node.expectMessageClass(PluginFetcher.Result.class);
    assertThat(result).isInstanceOf(PluginFetcher.Failed.class);
    assertThat(((PluginFetcher.Failed) result).why())
        .contains("corrupt transfer of plugin jar parrot.jar")
        .contains(jar.sha256())
        .contains("has " + (1500 - PIECE) + " bytes, expected " + PIECE);
    assertThat(cached()).as("the partial download deleted").isEmpty();
  }

  @Test
  void aLearnerThatDoesNotAnswer_failsTheFetchAfterItsTries_namingTheJar() throws Exception {
    byte[] bytes = Files.readAllBytes(ParrotJar.write(tmp.resolve("parrot.jar")));
    PluginJar jar =
        new PluginJar(
            tmp.resolve("gone/parrot.jar").toString(), PluginJar.sha256(bytes), bytes.length);
    TestProbe<PluginServer.Command> silent = kit.createTestProbe();

    var result = fetch(List.of(jar), silent.getRef());

    for (int i = 0; i < PluginSettings.ATTEMPTS; i++) {
      assertThat(silent.expectMessageClass(PluginServer.FetchPiece.class).offset()).isZero();
    }
    assertThat(result).isInstanceOf(PluginFetcher.Failed.class);
    assertThat(((PluginFetcher.Failed) result).why())
        .contains("the learner did not answer for plugin jar parrot.jar")
        .contains(jar.sha256())
        .contains(PluginSettings.ATTEMPTS + " tries");
    assertThat(cached()).isEmpty();
  }
}
