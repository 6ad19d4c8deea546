package dev.r3.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./r3 pretrain} prepares the warm start that {@code ./r3 train} then uses: with the same
 * options both read the default experiment (config/grpo-r3.conf) and so the same cache key.
 */
class PretrainThenTrainTest {

  @TempDir Path tmp;
  private String oldRoot;

  @BeforeEach
  void repositoryRoot() {
    oldRoot = System.getProperty("r3.root");
    Path root = Path.of("").toAbsolutePath().getParent(); // surefire runs in actors/
    assertThat(root.resolve(TrainCommand.DEFAULT_EXPERIMENT)).exists();
    System.setProperty("r3.root", root.toString());
  }

  @AfterEach
  void restore() {
    if (oldRoot == null) {
      System.clearProperty("r3.root");
    } else {
      System.setProperty("r3.root", oldRoot);
    }
  }

  /** Small enough for a test; the same for both commands. */
  private List<String> sets() {
    List<String> s = new ArrayList<>();
    for (String kv :
        List.of(
            "warm-start.cache-dir=" + tmp.resolve("cache"),
            "warm-start.steps=2",
            "warm-start.batch-size=4",
            "warm-start.corpus-size=16",
            "model.size=tiny",
            "eval.size=4",
            "experiment.total-steps=1",
            "experiment.progress-bar=off",
            "rollout.group-size=2",
            "learner.batch-groups=1",
            "learner.mini-steps=1",
            "algorithm.dynamic-sampling=off",
            "timeouts.step=120s")) {
      s.add("--set");
      s.add(kv);
    }
    return s;
  }

  private CliRun run(String command, String... more) {
    List<String> args = new ArrayList<>(List.of(command));
    args.addAll(sets());
    args.addAll(List.of(more));
    return CliRun.of(args.toArray(String[]::new));
  }

  @Test
  void trainAfterPretrain_reportsAWarmStartCacheHit() throws Exception {
    CliRun pre = run("pretrain");
    assertThat(pre.code()).as(pre.err()).isZero();
    assertThat(pre.err()).contains("experiment: ").contains("grpo-r3.conf");
    Path cached;
    try (var dirs = Files.list(tmp.resolve("cache"))) {
      cached = dirs.findFirst().orElseThrow();
    }
    assertThat(cached.getFileName().toString()).startsWith("add-tiny-");

    CliRun train = run("train", "--out", tmp.resolve("run").toString());
    assertThat(train.code()).as(train.err()).isZero();
    assertThat(train.err())
        .contains("warm start: cached checkpoint " + cached)
        .doesNotContain("warm start: step");
  }
}
