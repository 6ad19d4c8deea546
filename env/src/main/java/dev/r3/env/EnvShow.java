package dev.r3.env;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The text behind {@code ./r3 env list} and {@code ./r3 env show NAME --seed S}, kept here so the
 * command line (in the actors module) only prints it and tests can check it.
 */
public final class EnvShow {
  private EnvShow() {}

  /** One line per environment: name, single- or multi-turn, description. */
  public static String list() {
    return list(Environments.list());
  }

  static String list(List<EnvInfo> infos) {
    int w = infos.stream().mapToInt(i -> i.name().length()).max().orElse(4);
    StringBuilder sb = new StringBuilder();
    for (EnvInfo i : infos) {
      sb.append(
          String.format(
              "%-" + w + "s  %-12s  %s%n",
              i.name(),
              i.multiTurn() ? "multi-turn" : "single-turn",
              i.description()));
    }
    return sb.toString();
  }

  /** One train episode with default parameters, played by the oracle. */
  public static String render(String name, long seed) {
    return render(name, Map.of(), seed, Split.TRAIN);
  }

  /**
   * One episode played by the oracle, with every turn, the reward and its reason. The environment
   * runs guarded, so a broken one shows its failure instead of crashing.
   *
   * @throws EnvConfigException for an unknown name or bad parameter
   */
  public static String render(String name, Map<String, String> params, long seed, Split split) {
    Environment raw = Environments.create(name, params);
    GuardedEnvironment env = GuardedEnvironment.wrap(raw, Duration.ofSeconds(10));
    StringBuilder sb = new StringBuilder();
    line(
        sb,
        "env",
        env.name()
            + " ("
            + (env.multiTurn() ? "multi-turn" : "single-turn")
            + ", max "
            + env.maxTurns()
            + " turn"
            + (env.maxTurns() == 1 ? "" : "s")
            + ", "
            + env.maxTokensPerTurn()
            + " tokens/turn)");
    line(
        sb,
        "params",
        Params.parse(name, params, Environments.provider(name, loader()).parameters()).toString());
    line(sb, "seed", seed + " (" + split.name().toLowerCase() + ")");
    Episode episode = env.start(seed, split);
    line(sb, "prompt", episode.firstObservation());
    Optional<Outcome> early = episode.outcome();
    if (early.isPresent()) {
      outcome(sb, early.get());
      return sb.toString();
    }
    Optional<List<String>> oracle;
    try {
      oracle = env.oracle(episode.task());
    } catch (RuntimeException e) {
      line(sb, "oracle", "failed: " + e);
      return sb.toString();
    }
    if (oracle.isEmpty()) {
      line(sb, "oracle", "none (this environment has no oracle)");
      line(sb, "expected", episode.task().expected());
      return sb.toString();
    }
    List<String> turns = oracle.get();
    for (int t = 0; t < turns.size(); t++) {
      line(sb, "model " + (t + 1), turns.get(t));
      Turn turn = episode.step(turns.get(t));
      if (turn instanceof Turn.Continue c) {
        line(sb, "env " + (t + 1), c.observation());
      } else {
        outcome(sb, ((Turn.Done) turn).outcome());
        return sb.toString();
      }
    }
    line(sb, "outcome", "oracle ran out of turns before the episode ended");
    return sb.toString();
  }

  private static void outcome(StringBuilder sb, Outcome o) {
    line(sb, "reward", o.reward() + " (" + o.reason() + (o.failed() ? ", failed" : "") + ")");
    line(sb, "answer", o.answer());
    if (!o.detail().isEmpty()) {
      line(sb, "detail", o.detail());
    }
  }

  private static void line(StringBuilder sb, String key, String value) {
    sb.append(String.format("%-9s %s%n", key, value.replace("\n", "\\n")));
  }

  private static ClassLoader loader() {
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    return cl != null ? cl : EnvShow.class.getClassLoader();
  }
}
