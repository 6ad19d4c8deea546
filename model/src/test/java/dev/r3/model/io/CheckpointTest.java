package dev.r3.model.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.r3.model.HostTensor;
import dev.r3.model.ModelConfig;
import dev.r3.model.ModelWeights;
import dev.r3.model.TensorNames;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
  @TempDir Path tmp;

  private static ModelConfig tiny() {
    return ModelConfig.builder(13)
        .hidden(8)
        .layers(2)
        .heads(2)
        .kvHeads(1)
        .experts(4, 2, 6)
        .maxPositions(16)
        .build();
  }

  @Test
  void saveThenLoad_isBitExact_andKeepsMetadata() throws IOException {
    ModelWeights w = ModelWeights.random(tiny(), 42);
    Path dir = tmp.resolve("ckpt");
    Checkpoint.save(dir, w, Map.of("step", "7", "policy_version", "3"));
    Checkpoint.Loaded loaded = Checkpoint.read(dir);
    assertThat(loaded.weights().sameAs(w)).isTrue();
    assertThat(loaded.weights().tensors().keySet()).containsExactlyElementsOf(w.tensors().keySet());
    assertThat(loaded.metadata())
        .containsExactlyInAnyOrderEntriesOf(Map.of("step", "7", "policy_version", "3"));
    assertThat(Checkpoint.metadata(dir)).isEqualTo(loaded.metadata());
    assertThat(Checkpoint.config(dir)).isEqualTo(tiny());
  }

  @Test
  void writesTheHuggingFaceLayout() throws IOException {
    Path dir = tmp.resolve("hf");
    Checkpoint.save(dir, ModelWeights.random(tiny(), 1));
    String config = Files.readString(dir.resolve("config.json"));
    assertThat(config)
        .contains(
            "\"num_experts\": 4", "\"num_experts_per_tok\": 2", "\"model_type\": \"qwen3_moe\"");
    assertThat(Safetensors.readMetadata(dir.resolve("model.safetensors")))
        .containsEntry("format", "pt");
    assertThat(Safetensors.readShapes(dir.resolve("model.safetensors")))
        .containsKey("model.layers.1.mlp.experts.3.down_proj.weight");
  }

  @Property(tries = 25)
  void saveThenLoad_isBitExact_forRandomSmallConfigs(
      @ForAll("configs") ModelConfig c, @ForAll long seed) throws IOException {
    Path dir = Files.createTempDirectory("r3-ckpt-prop");
    try {
      ModelWeights w = withSpecialValues(ModelWeights.random(c, seed), seed);
      Checkpoint.save(dir, w);
      ModelWeights back = Checkpoint.load(dir);
      assertThat(back.sameAs(w)).isTrue();
      assertThat(back.config()).isEqualTo(c);
    } finally {
      deleteTree(dir);
    }
  }

  @Provide
  Arbitrary<ModelConfig> configs() {
    Arbitrary<Integer> vocab = Arbitraries.integers().between(1, 40);
    Arbitrary<Integer> hidden = Arbitraries.integers().between(1, 12);
    Arbitrary<Integer> layers = Arbitraries.integers().between(1, 3);
    Arbitrary<Integer> kvHeads = Arbitraries.integers().between(1, 2);
    Arbitrary<Integer> groups = Arbitraries.integers().between(1, 2);
    Arbitrary<Integer> halfHeadDim = Arbitraries.integers().between(1, 4);
    Arbitrary<Integer> experts = Arbitraries.integers().between(0, 6);
    Arbitrary<Integer> width = Arbitraries.integers().between(1, 9);
    return Combinators.combine(vocab, hidden, layers, kvHeads, groups, halfHeadDim, experts, width)
        .as(
            (v, h, l, kv, g, hd, e, wd) ->
                ModelConfig.builder(v)
                    .hidden(h)
                    .layers(l)
                    .heads(kv * g)
                    .kvHeads(kv)
                    .headDim(2 * hd)
                    .experts(e, e == 0 ? 0 : 1 + (wd % e), e == 0 ? 0 : wd)
                    .denseWidth(e == 0 ? wd : 0)
                    .normTopkProb(wd % 2 == 0)
                    .rmsNormEps(1e-5f)
                    .ropeTheta(1e6f)
                    .maxPositions(32)
                    .initStd(0.5f)
                    .build());
  }

  /** NaN payloads, infinities, -0 and subnormals must survive too. */
  private static ModelWeights withSpecialValues(ModelWeights w, long seed) {
    float[] special = {
      Float.NaN,
      Float.intBitsToFloat(0x7FC0_1234),
      Float.NEGATIVE_INFINITY,
      -0f,
      Float.MIN_VALUE,
      Float.MAX_VALUE
    };
    SplittableRandom rng = new SplittableRandom(seed);
    Map<String, HostTensor> m = new LinkedHashMap<>();
    for (var e : w.tensors().entrySet()) {
      float[] d = e.getValue().data().clone();
      if (d.length > 0) {
        d[rng.nextInt(d.length)] = special[rng.nextInt(special.length)];
      }
      m.put(e.getKey(), new HostTensor(e.getValue().shape(), d));
    }
    return new ModelWeights(w.config(), m);
  }

  @Test
  void save_keepsUnknownFiles_andOverwritesAnEarlierCheckpoint() throws IOException {
    Path dir = tmp.resolve("c");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("vocab.json"), "{\"a\":0}");
    Checkpoint.save(dir, ModelWeights.random(tiny(), 1));
    ModelWeights second = ModelWeights.random(tiny().withVocabSize(20), 2);
    Checkpoint.save(dir, second, Map.of("step", "2"));
    assertThat(Checkpoint.load(dir).sameAs(second)).isTrue();
    assertThat(Files.readString(dir.resolve("vocab.json"))).isEqualTo("{\"a\":0}");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("vocab.json", "config.json", "model.safetensors");
    }
  }

  @Test
  void exists_needsBothFiles() throws IOException {
    Path dir = tmp.resolve("e");
    assertThat(Checkpoint.exists(dir)).isFalse();
    Files.createDirectories(dir);
    assertThat(Checkpoint.exists(dir)).isFalse();
    Checkpoint.save(dir, ModelWeights.random(tiny(), 1));
    assertThat(Checkpoint.exists(dir)).isTrue();
    Files.delete(dir.resolve("config.json"));
    assertThat(Checkpoint.exists(dir)).isFalse();
  }

  @Test
  void load_namesAMissingDirectoryOrFile() throws IOException {
    assertThatThrownBy(() -> Checkpoint.load(tmp.resolve("absent")))
        .isInstanceOf(SafetensorsException.class)
        .hasMessageContaining("directory does not exist");
    Path dir = tmp.resolve("half");
    Checkpoint.save(dir, ModelWeights.random(tiny(), 1));
    Files.delete(dir.resolve("model.safetensors"));
    assertThatThrownBy(() -> Checkpoint.load(dir))
        .isInstanceOf(SafetensorsException.class)
        .hasMessageContaining("lacks model.safetensors");
    Checkpoint.save(dir, ModelWeights.random(tiny(), 1));
    Files.delete(dir.resolve("config.json"));
    assertThatThrownBy(() -> Checkpoint.load(dir))
        .isInstanceOf(SafetensorsException.class)
        .hasMessageContaining("lacks config.json");
  }

  @Test
  void load_namesTheTensorWhenConfigAndWeightsDisagree() throws IOException {
    Path dir = tmp.resolve("mismatch");
    Checkpoint.save(dir, ModelWeights.random(tiny(), 1));
    // a config.json edited to 5 experts (keeping the save id) no longer matches the tensors
    String json =
        Files.readString(dir.resolve("config.json"))
            .replace("\"num_experts\": 4", "\"num_experts\": 5");
    Files.writeString(dir.resolve("config.json"), json);
    assertThatThrownBy(() -> Checkpoint.load(dir))
        .isInstanceOf(SafetensorsException.class)
        .hasMessageContaining("does not match config.json")
        .hasMessageContaining(
            "tensor 'model.layers.0.mlp.gate.weight' has shape [4, 8], config.json expects [5, 8]")
        .hasMessageContaining("lacks tensor 'model.layers.0.mlp.experts.4.gate_proj.weight'");

    // a weights file that lacks a tensor, written by someone else (no save id)
    Map<String, HostTensor> partial = new LinkedHashMap<>(ModelWeights.random(tiny(), 1).tensors());
    partial.remove(TensorNames.qNorm(1));
    Path other = tmp.resolve("foreign");
    Files.createDirectories(other);
    Files.writeString(other.resolve("config.json"), tiny().toJson());
    Safetensors.write(other.resolve("model.safetensors"), partial, Map.of("format", "pt"));
    assertThatThrownBy(() -> Checkpoint.load(other))
        .isInstanceOf(SafetensorsException.class)
        .hasMessageContaining("lacks tensor 'model.layers.1.self_attn.q_norm.weight'");
  }

  @Test
  void load_acceptsAForeignCheckpointWithoutSaveIds() throws IOException {
    ModelWeights w = ModelWeights.random(tiny(), 3);
    Path dir = tmp.resolve("foreign-ok");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("config.json"), tiny().toJson());
    Safetensors.write(dir.resolve("model.safetensors"), w.tensors(), Map.of("format", "pt"));
    assertThat(Checkpoint.load(dir).sameAs(w)).isTrue();
  }

  @Test
  void interruptedSave_betweenTheTwoRenames_isRefused() throws IOException {
    // A crash after renaming the new weights but before renaming the new config leaves this state.
    Path dir = tmp.resolve("crash");
    Checkpoint.save(dir, ModelWeights.random(tiny(), 1));
    Path newer = tmp.resolve("newer");
    Checkpoint.save(newer, ModelWeights.random(tiny(), 2));
    Files.copy(
        newer.resolve("model.safetensors"),
        dir.resolve("model.safetensors"),
        StandardCopyOption.REPLACE_EXISTING);
    assertThatThrownBy(() -> Checkpoint.load(dir))
        .isInstanceOf(SafetensorsException.class)
        .hasMessageContaining("come from different saves");
  }

  @Test
  void failedSave_leavesTheEarlierCheckpointAndNoTemporaries() throws IOException {
    Path dir = tmp.resolve("keep");
    ModelWeights first = ModelWeights.random(tiny(), 1);
    Checkpoint.save(dir, first);
    Map<String, String> bad = new LinkedHashMap<>();
    bad.put("k", null);
    assertThatThrownBy(() -> Checkpoint.save(dir, ModelWeights.random(tiny(), 2), bad))
        .isInstanceOf(RuntimeException.class);
    assertThat(Checkpoint.load(dir).sameAs(first)).isTrue();
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("config.json", "model.safetensors");
    }
  }

  @Test
  void staleTemporariesOfAKilledSave_areIgnoredByLoad_andRemovedByTheNextSave() throws IOException {
    Path dir = tmp.resolve("stale");
    ModelWeights first = ModelWeights.random(tiny(), 1);
    Checkpoint.save(dir, first);
    Path stale = dir.resolve(".model.safetensors.0123abcd-0000-0000-0000-000000000000.tmp");
    Files.write(stale, new byte[] {1, 2, 3});
    Path keep = dir.resolve(".model.safetensors.notes.tmp"); // not our pattern: someone else's file
    Files.write(keep, new byte[] {4});
    assertThat(Checkpoint.load(dir).sameAs(first)).isTrue();
    Checkpoint.save(dir, first);
    assertThat(stale).doesNotExist();
    assertThat(keep).exists();
  }

  @Test
  void save_rejectsReservedMetadataKeys() {
    assertThatThrownBy(
            () ->
                Checkpoint.save(
                    tmp.resolve("r"), ModelWeights.random(tiny(), 1), Map.of("format", "x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("reserved");
  }

  @Test
  void load_reportsCorruptFilesClearly() throws IOException {
    Path dir = tmp.resolve("corrupt");
    Checkpoint.save(dir, ModelWeights.random(tiny(), 1));
    Path f = dir.resolve("model.safetensors");
    byte[] b = Files.readAllBytes(f);
    Files.write(f, Arrays.copyOf(b, b.length / 2));
    assertThatThrownBy(() -> Checkpoint.load(dir))
        .isInstanceOf(SafetensorsException.class)
        .hasMessageContaining("truncated?");
    Files.write(dir.resolve("config.json"), "{not json".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> Checkpoint.load(dir))
        .isInstanceOf(SafetensorsException.class)
        .hasMessageContaining("config.json");
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
