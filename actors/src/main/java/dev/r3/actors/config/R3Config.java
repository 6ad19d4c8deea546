package dev.r3.actors.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import dev.r3.actors.chaos.ChaosSettings;
import dev.r3.model.CoreShare;
import dev.r3.model.RolloutPrecision;
import dev.r3.model.rl.ObjectiveConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every setting of one experiment, read once from HOCON ({@code r3 { ... }}, documented key by key
 * in {@code reference.conf}) and validated once: a bad value fails here with a message naming its
 * key, never later inside an actor. One immutable record per concern.
 */
public record R3Config(
    Experiment experiment,
    Env env,
    Model model,
    WarmStart warmStart,
    Rollout rollout,
    Algorithm algorithm,
    Learner learner,
    Eval eval,
    Checkpoints checkpoint,
    Threads threads,
    Timeouts timeouts,
    Faults faults,
    Watchdog watchdog,
    Metrics metrics,
    Config source) {

  public record Experiment(
      String name, String outDir, long seed, int totalSteps, boolean progressBar) {}

  /**
   * @param callTimeout one environment call (a tool's answer to a turn) at most; past it the
   *     episode ends as failed ({@code env_timeout})
   * @param episodeTimeout a whole multi-turn episode's environment time at most (waiting included)
   * @param parkAfter how long the rollout waits for every tool answer of a batch before it goes on
   *     with the answered sequences and parks the others
   * @param plugins environment plugin jars to load (with {@code ./r3 train --plugin})
   */
  public record Env(
      String name,
      Map<String, String> params,
      Duration callTimeout,
      Duration episodeTimeout,
      Duration parkAfter,
      List<String> plugins) {
    /** With reference.conf's episode budgets (5 s a call, 60 s an episode, park after 50 ms). */
    public Env(String name, Map<String, String> params) {
      this(
          name,
          params,
          Duration.ofSeconds(5),
          Duration.ofSeconds(60),
          Duration.ofMillis(50),
          List.of());
    }
  }

  /**
   * @param size the preset (tiny, small, default)
   * @param layers decoder layers; 0 = the preset's
   * @param experts routed experts per layer (E); 0 = the preset's
   * @param topK experts per token (k); 0 = the preset's
   */
  public record Model(String size, int layers, int experts, int topK, String initCheckpoint) {
    /** The preset's name, with the overrides that change its shape: {@code small-e32-k1}. */
    public String shape() {
      return size
          + (layers > 0 ? "-l" + layers : "")
          + (experts > 0 ? "-e" + experts : "")
          + (topK > 0 ? "-k" + topK : "");
    }
  }

  public record WarmStart(
      boolean enabled, int steps, int batchSize, int corpusSize, double lr, String cacheDir) {}

  /**
   * @param maxNewTokens 0 = the environment's own limit per turn
   * @param prefixCacheMb bytes (MiB) of KV entries and routing ids the rollout engine keeps for
   *     prefix reuse (multi-turn continuations); 0 = off
   */
  public record Rollout(
      int workers,
      RolloutPrecision precision,
      int groupSize,
      float temperature,
      float topP,
      int maxNewTokens,
      int prefixCacheMb,
      int maxBatchRows) {}

  public enum Algo {
    /** PPO's lower end and DAPO's clip-higher upper end (token ratios). */
    GRPO(ObjectiveConfig.GRPO_CLIP, ObjectiveConfig.DAPO_CLIP_HIGH),
    /**
     * GSPO's published range: a sequence ratio (a geometric mean) moves far less than a token's.
     */
    GSPO(ObjectiveConfig.GSPO_CLIP_LOW, ObjectiveConfig.GSPO_CLIP_HIGH);

    private final float clipLow;
    private final float clipHigh;

    Algo(float clipLow, float clipHigh) {
      this.clipLow = clipLow;
      this.clipHigh = clipHigh;
    }

    /** The clip-low that {@code r3.algorithm.clip-low = auto} stands for. */
    public float defaultClipLow() {
      return clipLow;
    }

    /** The clip-high that {@code r3.algorithm.clip-high = auto} stands for. */
    public float defaultClipHigh() {
      return clipHigh;
    }

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public enum Routing {
    RECOMPUTE,
    R2,
    R3
  }

  public record Algorithm(
      Algo name,
      Routing routing,
      float clipLow,
      float clipHigh,
      boolean decoupledPpo,
      boolean tis,
      float tisCap,
      boolean mis,
      float misLow,
      float misHigh,
      float klCoef,
      boolean dynamicSampling,
      float advantageEps) {}

  /** B, M, eta and the optimizer. */
  public record Learner(
      int batchGroups,
      int miniSteps,
      int staleness,
      double lr,
      double weightDecay,
      double maxGradNorm) {}

  public record Eval(int every, int size, float temperature) {}

  public record Checkpoints(int every) {}

  /** How the learner and the rollout workers of one JVM share its cores ({@code r3.threads}). */
  public record Threads(
      CoreShare.Policy policy, int cores, Duration linger, int maxRolloutThreads) {
    /** The share this JVM's engines compute in. */
    public CoreShare share() {
      return new CoreShare(policy, cores, linger, maxRolloutThreads);
    }
  }

  public record Timeouts(
      Duration ask,
      Duration env,
      Duration generate,
      Duration queue,
      Duration score,
      Duration step,
      Duration shutdown,
      Duration groupLease,
      Duration starved) {}

  public record Faults(
      int maxRetries,
      Duration backoffMin,
      Duration backoffMax,
      double backoffRandom,
      int learnerRestarts) {}

  public record Watchdog(Duration interval, Duration stallTimeout) {}

  public record Metrics(boolean routerDisagreement, int prometheusPort) {}

  /**
   * Reads and validates the {@code r3} section of a resolved config (reference.conf underneath).
   */
  public static R3Config from(Config root) {
    ConfigReader r = ConfigReader.of(root);
    Algo algo = r.enumValue("r3.algorithm.name", Algo.class);
    R3Config c =
        new R3Config(
            new Experiment(
                r.nonEmpty("r3.experiment.name"),
                r.nonEmpty("r3.experiment.out-dir"),
                r.longValue("r3.experiment.seed"),
                r.atLeast("r3.experiment.total-steps", 1),
                r.bool("r3.experiment.progress-bar")),
            new Env(
                r.nonEmpty("r3.env.name"),
                r.stringMap("r3.env.params"),
                r.duration("r3.env.call-timeout"),
                r.duration("r3.env.episode-timeout"),
                r.durationOrZero("r3.env.park-after"),
                r.stringList("r3.env.plugins")),
            new Model(
                r.oneOf("r3.model.size", "tiny", "small", "default"),
                r.atLeast("r3.model.layers", 0),
                r.atLeast("r3.model.experts", 0),
                r.atLeast("r3.model.top-k", 0),
                r.string("r3.model.init-checkpoint")),
            new WarmStart(
                r.bool("r3.warm-start.enabled"),
                r.atLeast("r3.warm-start.steps", 0),
                r.atLeast("r3.warm-start.batch-size", 1),
                r.atLeast("r3.warm-start.corpus-size", 1),
                r.positive("r3.warm-start.lr"),
                r.nonEmpty("r3.warm-start.cache-dir")),
            new Rollout(
                r.atLeast("r3.rollout.workers", 1),
                r.parsed("r3.rollout.precision", RolloutPrecision::parse),
                r.atLeast("r3.rollout.group-size", 2),
                (float) r.positive("r3.rollout.temperature"),
                (float) r.inRange("r3.rollout.top-p", 1e-6, 1.0),
                r.atLeast("r3.rollout.max-new-tokens", 0),
                r.atLeast("r3.rollout.prefix-cache-mb", 0),
                r.atLeast("r3.rollout.max-batch-rows", 0)),
            new Algorithm(
                algo,
                r.enumValue("r3.algorithm.routing", Routing.class),
                clip(r, "r3.algorithm.clip-low", algo.defaultClipLow(), 1.0),
                clip(r, "r3.algorithm.clip-high", algo.defaultClipHigh(), Double.MAX_VALUE),
                r.bool("r3.algorithm.decoupled-ppo"),
                r.bool("r3.algorithm.tis.enabled"),
                (float) r.positive("r3.algorithm.tis.cap"),
                r.bool("r3.algorithm.mis.enabled"),
                (float) r.positive("r3.algorithm.mis.low"),
                (float) r.positive("r3.algorithm.mis.high"),
                (float) r.atLeastDouble("r3.algorithm.kl-coef", 0.0),
                r.bool("r3.algorithm.dynamic-sampling"),
                (float) r.positive("r3.algorithm.advantage-eps")),
            new Learner(
                r.atLeast("r3.learner.batch-groups", 1),
                r.atLeast("r3.learner.mini-steps", 1),
                r.atLeast("r3.learner.staleness", 0),
                r.positive("r3.learner.lr"),
                r.atLeastDouble("r3.learner.weight-decay", 0.0),
                r.positive("r3.learner.max-grad-norm")),
            new Eval(
                r.atLeast("r3.eval.every", 0),
                r.atLeast("r3.eval.size", 1),
                (float) r.positive("r3.eval.temperature")),
            new Checkpoints(r.atLeast("r3.checkpoint.every", 0)),
            new Threads(
                r.parsed("r3.threads.policy", CoreShare.Policy::parse),
                r.atLeast("r3.threads.cores", 0),
                r.durationOrZero("r3.threads.linger"),
                r.atLeast("r3.threads.max-rollout-threads", 0)),
            new Timeouts(
                r.duration("r3.timeouts.ask"),
                r.duration("r3.timeouts.env"),
                r.duration("r3.timeouts.generate"),
                r.duration("r3.timeouts.queue"),
                r.duration("r3.timeouts.score"),
                r.duration("r3.timeouts.step"),
                r.duration("r3.timeouts.shutdown"),
                r.duration("r3.timeouts.group-lease"),
                r.duration("r3.timeouts.starved")),
            new Faults(
                r.atLeast("r3.faults.max-retries", 0),
                r.duration("r3.faults.backoff-min"),
                r.duration("r3.faults.backoff-max"),
                r.inRange("r3.faults.backoff-random", 0.0, 1.0),
                r.atLeast("r3.faults.learner-restarts", 0)),
            new Watchdog(
                r.duration("r3.watchdog.interval"), r.duration("r3.watchdog.stall-timeout")),
            new Metrics(
                r.bool("r3.metrics.router-disagreement"),
                r.portOrZero("r3.metrics.prometheus-port")),
            root);
    c.crossCheck();
    c.chaos(); // validated at load like every other section
    return c;
  }

  /** A clip bound in [0, max], or {@code auto}: the algorithm's published default. */
  private static float clip(ConfigReader r, String key, float auto, double max) {
    if (isAuto(r, key)) {
      return auto;
    }
    return (float) r.inRange(key, 0.0, max);
  }

  private static boolean isAuto(ConfigReader r, String key) {
    ConfigValue v = r.value(key);
    return v.valueType() == ConfigValueType.STRING && "auto".equals(v.unwrapped());
  }

  /** The same settings with one key replaced (e.g. a limit resolved from the environment). */
  public R3Config with(String key, Object value) {
    return from(source.withValue(key, ConfigValueFactory.fromAnyRef(value)));
  }

  /** Rules that involve more than one key. */
  private void crossCheck() {
    if (algorithm.mis() && algorithm.tis()) {
      throw new IllegalArgumentException(
          "r3.algorithm.tis.enabled and r3.algorithm.mis.enabled are exclusive "
              + "(one train/infer correction at a time); turn one off");
    }
    if (algorithm.mis() && !(algorithm.misLow() < 1 && algorithm.misHigh() > 1)) {
      throw new IllegalArgumentException(
          "r3.algorithm.mis.low must be < 1 < r3.algorithm.mis.high, got "
              + algorithm.misLow()
              + " and "
              + algorithm.misHigh());
    }
    int sequences = learner.batchGroups() * rollout.groupSize();
    if (learner.miniSteps() > sequences) {
      throw new IllegalArgumentException(
          "r3.learner.mini-steps must be <= batch-groups * group-size = "
              + sequences
              + " (each mini-step needs a sequence), got "
              + learner.miniSteps());
    }
    if (faults.backoffMax().compareTo(faults.backoffMin()) < 0) {
      throw new IllegalArgumentException(
          "r3.faults.backoff-max must be >= r3.faults.backoff-min, got "
              + faults.backoffMax()
              + " < "
              + faults.backoffMin());
    }
  }

  /** The {@code r3.chaos} section (fault injection; off by default). */
  public ChaosSettings chaos() {
    return ChaosSettings.from(source);
  }

  /** The effective settings as (key, value) rows, sorted: what the run logs as a table at start. */
  public List<String[]> table() {
    Map<String, String> rows = new TreeMap<>();
    for (Map.Entry<String, ConfigValue> e : source.getConfig("r3").entrySet()) {
      rows.put(
          "r3." + e.getKey(), e.getValue().render(ConfigRenderOptions.concise()).replace("\"", ""));
    }
    // An "auto" clip shows the number the run uses, so the table says what was trained with.
    ConfigReader r = ConfigReader.of(source);
    if (isAuto(r, "r3.algorithm.clip-low")) {
      rows.put(
          "r3.algorithm.clip-low",
          algorithm.clipLow() + " (auto: " + algorithm.name().label() + ")");
    }
    if (isAuto(r, "r3.algorithm.clip-high")) {
      rows.put(
          "r3.algorithm.clip-high",
          algorithm.clipHigh() + " (auto: " + algorithm.name().label() + ")");
    }
    List<String[]> out = new ArrayList<>();
    rows.forEach((k, v) -> out.add(new String[] {k, v}));
    return out;
  }

  /** The table as text, two aligned columns. */
  public String tableText() {
    List<String[]> rows = table();
    int w = rows.stream().mapToInt(r -> r[0].length()).max().orElse(10);
    StringBuilder sb = new StringBuilder();
    for (String[] r : rows) {
      sb.append(String.format(Locale.ROOT, "  %-" + w + "s  %s%n", r[0], r[1]));
    }
    return sb.toString();
  }

  /** The {@code r3} section as JSON (stored in summary.json). */
  public String json() {
    return source.getConfig("r3").root().render(ConfigRenderOptions.concise());
  }
}
