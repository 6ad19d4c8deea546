package dev.r3.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner driven by a fake child ({@code sh -c}), never by {@code ./r3 train}. */
class SuiteRunnerTest {
  @TempDir Path tmp;

  /**
   * A child that writes a finished run into a timestamped folder, or fails when its experiment is
   * "bad".
   */
  private static final String FAKE_TRAIN =
      """
      d="$1"; exp="$2"; seed="$3"
      echo "train $exp seed $seed threads=$OMP_NUM_THREADS"
      if [ "$exp" = bad ]; then echo "boom: loss is NaN" >&2; exit 3; fi
      if [ "$exp" = slow ]; then sleep 60; fi
      if [ "$exp" = silent ]; then exit 0; fi
      mkdir -p "$d/$exp-20250101-000000"
      printf '{"step": 1, "reward/mean": 0.5, "reward/accuracy": 0.4}\\n' > "$d/$exp-20250101-000000/metrics.jsonl"
      mkdir -p "$d/$exp-20250101-000000/checkpoints/step-2" "$d/$exp-20250101-000000/checkpoints/step-10"
      printf '{"final_eval_accuracy": 0.5, "config": {"rollout": {"precision": "fp8"}, "env": {"name": "add", "params": {"digits": "1"}}}}' \
        > "$d/$exp-20250101-000000/summary.json"
      """;

  private final Map<String, AtomicInteger> starts = new ConcurrentHashMap<>();

  private SuiteRunner.ChildCommand fake(String script) {
    return spec -> {
      starts.computeIfAbsent(spec.label(), k -> new AtomicInteger()).incrementAndGet();
      return List.of(
          "sh",
          "-c",
          script,
          "fake",
          spec.seedDir().toString(),
          spec.entry().name(),
          String.valueOf(spec.seed()));
    };
  }

  private Suite suite(Duration timeout, List<Long> seeds, String... names) throws Exception {
    List<Suite.Entry> entries = new ArrayList<>();
    for (String n : names) {
      Path cfg = tmp.resolve("config/" + n + ".conf");
      Files.createDirectories(cfg.getParent());
      Files.writeString(cfg, "r3.experiment.name = " + n + "\n");
      entries.add(new Suite.Entry(n, cfg, List.of("r3.eval.every=5")));
    }
    return new Suite(
        "t",
        tmp.resolve("suite.conf"),
        tmp.resolve("runs"),
        entries,
        seeds,
        0,
        List.of("r3.experiment.total-steps=3"),
        List.of(),
        timeout,
        CollapseDetector.DEFAULT,
        Suite.MismatchStep.OFF);
  }

  private static SuiteRunner runner(
      Suite s, SuiteRunner.ChildCommand cmd, int jobs, ByteArrayOutputStream err) {
    return new SuiteRunner(
        s, cmd, null, jobs, 4, new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void plan_putsSeedLast_afterSuiteAndExperimentOverrides() throws Exception {
    Suite s = suite(Duration.ZERO, List.of(7L), "grpo");
    SuiteRunner.RunSpec spec =
        runner(s, fake(FAKE_TRAIN), 1, new ByteArrayOutputStream()).plan().get(0);
    assertEquals(tmp.resolve("runs/t/grpo/seed-7"), spec.seedDir());
    assertEquals(
        List.of("r3.experiment.total-steps=3", "r3.eval.every=5", "r3.experiment.seed=7"),
        spec.sets());
  }

  @Test
  void failedRun_isRecordedWithExitCodeAndLogTail_andOthersStillRun() throws Exception {
    Suite s = suite(Duration.ZERO, List.of(1L, 2L), "bad", "good");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    List<SuiteRunner.Outcome> out = runner(s, fake(FAKE_TRAIN), 2, err).run();

    Map<String, SuiteRunner.Kind> kinds =
        out.stream().collect(Collectors.toMap(o -> o.spec().label(), SuiteRunner.Outcome::kind));
    assertEquals(SuiteRunner.Kind.FAILED, kinds.get("bad seed 1"));
    assertEquals(SuiteRunner.Kind.FINISHED, kinds.get("good seed 2"));
    RunDir.Exit exit = RunDir.readExit(tmp.resolve("runs/t/bad/seed-2"));
    assertEquals(3, exit.code());
    assertTrue(exit.logTail().contains("boom: loss is NaN"), exit.logTail());
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("FAILED bad seed 1"), err.toString());

    RunResult r =
        RunResult.load("bad", 1, tmp.resolve("runs/t/bad/seed-1"), CollapseDetector.DEFAULT);
    assertEquals(RunResult.Status.FAILED, r.status());
    assertEquals(3, r.exitCode());
    RunResult g =
        RunResult.load("good", 1, tmp.resolve("runs/t/good/seed-1"), CollapseDetector.DEFAULT);
    assertEquals(RunResult.Status.FINISHED, g.status());
    assertEquals(0.5, g.finalAccuracy(), 1e-12);
  }

  @Test
  void commandThatCannotStart_failsThatRunOnly() throws Exception {
    Suite s = suite(Duration.ZERO, List.of(1L), "bad", "good");
    SuiteRunner.ChildCommand cmd =
        spec ->
            spec.entry().name().equals("bad")
                ? List.of(tmp.resolve("no-such-binary").toString())
                : fake(FAKE_TRAIN).command(spec);
    List<SuiteRunner.Outcome> out = runner(s, cmd, 1, new ByteArrayOutputStream()).run();
    assertEquals(SuiteRunner.START_FAILED_EXIT, out.get(0).exitCode());
    assertTrue(out.get(0).logTail().contains("cannot start"), out.get(0).logTail());
    assertEquals(SuiteRunner.Kind.FINISHED, out.get(1).kind());
  }

  @Test
  void secondRun_skipsFinishedRuns_andRetriesFailedOnes() throws Exception {
    Suite s = suite(Duration.ZERO, List.of(1L), "bad", "good");
    runner(s, fake(FAKE_TRAIN), 1, new ByteArrayOutputStream()).run();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    List<SuiteRunner.Outcome> again = runner(s, fake(FAKE_TRAIN), 1, err).run();

    assertEquals(1, starts.get("good seed 1").get());
    assertEquals(2, starts.get("bad seed 1").get());
    assertEquals(SuiteRunner.Kind.SKIPPED, again.get(1).kind());
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("skip good seed 1"), err.toString());
  }

  @Test
  void aRunStartedAgain_keepsTheEarlierAttemptBesideIt_neverOverwritesIt() throws Exception {
    Suite s = suite(Duration.ZERO, List.of(1L), "bad");
    runner(s, fake(FAKE_TRAIN), 1, new ByteArrayOutputStream()).run();
    runner(s, fake(FAKE_TRAIN), 1, new ByteArrayOutputStream()).run();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    runner(s, fake(FAKE_TRAIN), 1, err).run();

    Path seed = s.seedDir(s.experiments().get(0), 1);
    assertTrue(Files.isRegularFile(seed.resolve(RunDir.EXIT)), "the latest attempt in seed-1");
    for (int k = 1; k <= 2; k++) {
      Path kept = seed.resolveSibling("seed-1.attempt-" + k);
      assertTrue(Files.readString(kept.resolve(RunDir.LOG)).contains("boom"), kept.toString());
      assertTrue(Files.isRegularFile(kept.resolve(RunDir.EXIT)), kept.toString());
    }
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("seed-1.attempt-2"), err.toString());
  }

  @Test
  void childExitingZeroWithoutSummary_isAFailure() throws Exception {
    Suite s = suite(Duration.ZERO, List.of(1L), "silent");
    SuiteRunner.Outcome o =
        runner(s, fake(FAKE_TRAIN), 1, new ByteArrayOutputStream()).run().get(0);
    assertEquals(SuiteRunner.Kind.FAILED, o.kind());
  }

  @Test
  void runPastTheTimeout_isKilledAndFailed() throws Exception {
    Suite s = suite(Duration.ofMillis(300), List.of(1L), "slow");
    long t0 = System.nanoTime();
    SuiteRunner.Outcome o =
        runner(s, fake(FAKE_TRAIN), 1, new ByteArrayOutputStream()).run().get(0);
    assertEquals(SuiteRunner.Kind.FAILED, o.kind());
    assertEquals(SuiteRunner.TIMEOUT_EXIT, o.exitCode());
    assertTrue(RunDir.readExit(tmp.resolve("runs/t/slow/seed-1")).why().startsWith("timed out"));
    // Not killed, the child would run 60 s: a wide margin for a loaded machine.
    assertTrue((System.nanoTime() - t0) / 1e9 < 30, "the child was not killed at the timeout");
  }

  @Test
  void parallelism_isBounded_andThreadsAreSplit() throws Exception {
    Path running = Files.createDirectories(tmp.resolve("running"));
    String script =
        "touch '"
            + running
            + "'/\"$2-$3\"; ls '"
            + running
            + "' | wc -l > \"$1/peak\"; "
            + "echo \"$OMP_NUM_THREADS\" > \"$1/threads\"; sleep 0.3; rm '"
            + running
            + "'/\"$2-$3\"; exit 1";
    Suite s = suite(Duration.ZERO, List.of(1L, 2L, 3L), "a", "b");
    runner(s, fake(script), 2, new ByteArrayOutputStream()).run();
    int peak = 0;
    for (String e : List.of("a", "b")) {
      for (int seed = 1; seed <= 3; seed++) {
        Path d = tmp.resolve("runs/t/" + e + "/seed-" + seed);
        peak = Math.max(peak, Integer.parseInt(Files.readString(d.resolve("peak")).trim()));
        assertEquals("2", Files.readString(d.resolve("threads")).trim()); // 4 cores / 2 jobs
      }
    }
    assertTrue(peak <= 2, "more than 2 children at once: " + peak);
  }

  @Test
  void finishedRun_isMeasuredOnItsLastCheckpointAtItsPrecision_once() throws Exception {
    // No --env from the summary: mismatch reads the environment and its parameters from the
    // checkpoint's metadata (an --env alone would measure on the environment's defaults).
    Suite base = suite(Duration.ZERO, List.of(1L), "good");
    Suite s =
        new Suite(
            base.name(),
            base.file(),
            base.runsRoot(),
            base.experiments(),
            base.seeds(),
            0,
            base.sets(),
            List.of(),
            Duration.ZERO,
            CollapseDetector.DEFAULT,
            new Suite.MismatchStep(true, List.of("--quick")));
    List<List<String>> calls = new CopyOnWriteArrayList<>();
    SuiteRunner.MeasureCommand measure =
        (checkpoint, json, args) -> {
          List<String> call = new ArrayList<>(List.of(checkpoint.getFileName().toString()));
          call.addAll(args);
          calls.add(call);
          return List.of(
              "sh", "-c", "printf '{\"moe\": {\"kl\": 1e-3}}' > \"$1\"", "fake", json.toString());
        };
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream ps = new PrintStream(err, true, StandardCharsets.UTF_8);
    new SuiteRunner(s, fake(FAKE_TRAIN), measure, 1, 4, ps).run();
    new SuiteRunner(s, fake(FAKE_TRAIN), measure, 1, 4, ps).run(); // resumed: already measured

    assertEquals(
        List.of(List.of("step-10", "--quick", "--rollout-precision", "fp8", "--seed", "1")), calls);
    RunResult r =
        RunResult.load("good", 1, tmp.resolve("runs/t/good/seed-1"), CollapseDetector.DEFAULT);
    assertEquals(1e-3, r.mismatch().rows().get(0).kl(), 1e-12);
  }

  @Test
  void trainCommand_isThisJavaWithItsClasspathRunningR3Train_withNoMonitorUnlessAsked() {
    Suite.Entry e = new Suite.Entry("grpo-m8", tmp.resolve("grpo-m8.conf"), List.of());
    SuiteRunner.RunSpec spec =
        new SuiteRunner.RunSpec(
            e, 2, tmp.resolve("seed-2"), List.of("a=1", "r3.experiment.seed=2"));
    List<String> cmd = ChildJvm.train(List.of("-Xmx1g")).command(spec);
    assertTrue(cmd.get(0).endsWith("java"), cmd.get(0));
    assertEquals("-Xmx1g", cmd.get(1));
    int cp = cmd.indexOf("-cp");
    assertEquals(System.getProperty("java.class.path"), cmd.get(cp + 1));
    assertEquals(
        List.of(
            "dev.r3.cli.R3",
            "train",
            "--config",
            e.config().toString(),
            "--out",
            tmp.resolve("seed-2").toString(),
            "--set",
            "r3.monitor.port=0",
            "--set",
            "a=1",
            "--set",
            "r3.experiment.seed=2"),
        cmd.subList(cp + 2, cmd.size()));
  }

  @Test
  void childCommands_passThePluginJarsOn() {
    Suite.Entry e = new Suite.Entry("parrot", tmp.resolve("parrot.conf"), List.of());
    SuiteRunner.RunSpec spec = new SuiteRunner.RunSpec(e, 1, tmp.resolve("seed-1"), List.of());
    List<Path> jars = List.of(Path.of("/plugins/a.jar"), Path.of("/plugins/b.jar"));
    List<String> train = ChildJvm.train(List.of(), jars).command(spec);
    assertEquals(
        List.of("--plugin", "/plugins/a.jar", "--plugin", "/plugins/b.jar"),
        train.subList(train.size() - 4, train.size()));
    List<String> measure =
        ChildJvm.mismatch(List.of(), jars)
            .command(tmp.resolve("ckpt"), tmp.resolve("m.json"), List.of("--quick"));
    assertEquals(
        List.of("--quick", "--plugin", "/plugins/a.jar", "--plugin", "/plugins/b.jar"),
        measure.subList(measure.size() - 5, measure.size()));
  }
}
