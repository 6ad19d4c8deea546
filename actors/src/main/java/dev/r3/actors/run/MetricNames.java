package dev.r3.actors.run;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one vocabulary of metric names (DESIGN.md section 10), namespaced like CleanRL and verl. The
 * same names key {@code metrics.jsonl} and {@code eval.jsonl}, the monitor's API and page, the
 * report reader ({@code ./r3 compare}) and, through {@link #prometheus}, the Prometheus series
 * ({@code /} becomes {@code _}, prefix {@code r3_}, a per-layer name's layer becomes a tag).
 *
 * <p>The objective's diagnostics ({@code losses/...}, from {@code ObjectiveResult.metrics()}) and
 * the mismatch summary ({@code mismatch/...}, {@code routing/...}, from {@code
 * MismatchMeasures.Summary.metrics()}) are produced under these names by the model module; the
 * constants below name the ones the pipeline, the page and the report refer to.
 */
public final class MetricNames {
  private MetricNames() {}

  public static final String STEP = "step";
  public static final String VERSION = "version";

  // ---- rewards of the trained samples ----
  public static final String REWARD_MEAN = "reward/mean";

  /** Share of the trained samples the task judged correct (rollout accuracy, not eval). */
  public static final String REWARD_ACCURACY = "reward/accuracy";

  // ---- held-out evaluation (eval.jsonl) ----
  public static final String EVAL_ACCURACY = "eval/accuracy";
  public static final String EVAL_REWARD_MEAN = "eval/reward_mean";
  public static final String EVAL_EPISODES = "eval/episodes";
  public static final String EVAL_SECONDS = "eval/seconds";
  public static final String EVAL_TURNS_MEAN = "eval/turns_mean";

  // ---- the objective (means over the step's mini-steps) ----
  public static final String LOSS = "losses/loss";
  public static final String PG_LOSS = "losses/pg_loss";
  public static final String KL_LOSS = "losses/kl_loss";
  public static final String APPROX_KL = "losses/approx_kl";
  public static final String CLIP_FRAC = "losses/clip_frac";
  public static final String IS_WEIGHT_MEAN = "losses/is_weight_mean";
  public static final String MIS_DROPPED_FRAC = "losses/mis_dropped_frac";
  public static final String LOSS_TOKENS = "losses/tokens";
  public static final String GRAD_NORM = "losses/grad_norm";

  // ---- training-inference mismatch (DESIGN.md section 2) ----
  public static final String MISMATCH_KL = "mismatch/kl";
  public static final String EXTREME_1_5 = "mismatch/extreme_1.5";
  public static final String EXTREME_2 = "mismatch/extreme_2";
  public static final String EXTREME_5 = "mismatch/extreme_5";
  public static final String MISMATCH_TOKENS = "mismatch/tokens";
  // |log pi_train - log pi_infer| over the step's fresh response tokens (LogRatioHistogram)
  public static final String ABS_LOG_RATIO_P50 = "mismatch/abs_log_ratio_p50";
  public static final String ABS_LOG_RATIO_P90 = "mismatch/abs_log_ratio_p90";
  public static final String ABS_LOG_RATIO_P99 = "mismatch/abs_log_ratio_p99";
  public static final String ABS_LOG_RATIO_MAX = "mismatch/abs_log_ratio_max";
  public static final String ROUTER_DISAGREEMENT = "routing/disagreement";
  public static final String TOKEN_ANY_LAYER = "routing/token_any_layer";
  public static final String ROUTED_POSITIONS = "routing/positions";
  private static final String LAYER_PREFIX = ROUTER_DISAGREEMENT + "/layer_";

  // ---- staleness, batch, time ----
  public static final String STALENESS_MEAN = "staleness/mean";
  public static final String STALENESS_MAX = "staleness/max";
  public static final String BATCH_GROUPS = "batch/groups";
  public static final String BATCH_SEQUENCES = "batch/sequences";
  public static final String BATCH_TOKENS = "batch/tokens";
  public static final String STEP_SECONDS = "time/step_seconds";
  public static final String ROLLOUT_TOKENS_PER_S = "throughput/rollout_tokens_per_s";
  public static final String TRAIN_TOKENS_PER_S = "throughput/train_tokens_per_s";
  public static final String LEARNER_BUSY_FRAC = "throughput/learner_busy_frac";

  // ---- the ledger ----
  public static final String LEDGER_PRODUCED = "ledger/produced";
  public static final String LEDGER_TRAINED = "ledger/trained";
  public static final String LEDGER_DROPPED = "ledger/dropped";
  public static final String LEDGER_BUFFERED = "ledger/buffered";
  public static final String LEDGER_IN_TRAINING = "ledger/in_training";
  private static final String DROPPED_PREFIX = LEDGER_DROPPED + "/";

  // ---- rollout engine counters (rollout workers; Prometheus only) ----
  /**
   * Counter, tag {@code kind} = {@code computed} or {@code saved} (prompt sharing, prefix cache)
   */
  public static final String ROLLOUT_PREFILL_TOKENS = "rollout/prefill_tokens";

  public static final String ROLLOUT_PREFIX_CACHE_LOOKUPS = "rollout/prefix_cache_lookups";
  public static final String ROLLOUT_PREFIX_CACHE_HITS = "rollout/prefix_cache_hits";
  public static final String ROLLOUT_PREFIX_CACHE_BYTES = "rollout/prefix_cache_bytes";

  /** Histogram: one routing record's bytes per trajectory. */
  public static final String ROLLOUT_ROUTING_BYTES = "rollout/routing_bytes";

  // ---- actor series (published by the monitor; Prometheus only; tags actor, role) ----
  public static final String ACTOR_RESTARTS = "actor/restarts";

  /** Counter. */
  public static final String ACTOR_FAILURES = "actor/failures";

  /** Mean seconds per message over the last second. */
  public static final String ACTOR_PROCESSING = "actor/processing_seconds";

  public static final String ACTOR_MESSAGES = "actor/messages";

  /** Messages waiting in the actor's mailbox (counted by {@code CountingMailbox}). */
  public static final String ACTOR_MAILBOX = "actor/mailbox";

  /** Requests in flight: busy (0 or 1) + live children (the buffer's group rollouts). */
  public static final String ACTOR_IN_FLIGHT = "actor/in_flight";

  public static final String ACTOR_RUNNING = "actor/running";

  /**
   * Every name of the vocabulary, with the per-layer and per-reason families as {@code
   * routing/disagreement/layer} and {@code ledger/dropped/by_reason}: what {@code metrics.jsonl},
   * {@code eval.jsonl} and the Prometheus endpoint may carry (README "Watching a run").
   */
  public static final List<String> ALL =
      List.of(
          STEP,
          VERSION,
          REWARD_MEAN,
          REWARD_ACCURACY,
          EVAL_ACCURACY,
          EVAL_REWARD_MEAN,
          EVAL_EPISODES,
          EVAL_SECONDS,
          EVAL_TURNS_MEAN,
          LOSS,
          PG_LOSS,
          KL_LOSS,
          APPROX_KL,
          CLIP_FRAC,
          IS_WEIGHT_MEAN,
          MIS_DROPPED_FRAC,
          LOSS_TOKENS,
          GRAD_NORM,
          MISMATCH_KL,
          EXTREME_1_5,
          EXTREME_2,
          EXTREME_5,
          MISMATCH_TOKENS,
          ABS_LOG_RATIO_P50,
          ABS_LOG_RATIO_P90,
          ABS_LOG_RATIO_P99,
          ABS_LOG_RATIO_MAX,
          ROUTER_DISAGREEMENT,
          TOKEN_ANY_LAYER,
          ROUTED_POSITIONS,
          LAYER_PREFIX.substring(0, LAYER_PREFIX.length() - 1),
          STALENESS_MEAN,
          STALENESS_MAX,
          BATCH_GROUPS,
          BATCH_SEQUENCES,
          BATCH_TOKENS,
          STEP_SECONDS,
          ROLLOUT_TOKENS_PER_S,
          TRAIN_TOKENS_PER_S,
          LEARNER_BUSY_FRAC,
          LEDGER_PRODUCED,
          LEDGER_TRAINED,
          LEDGER_DROPPED,
          LEDGER_DROPPED + "/by_reason",
          LEDGER_BUFFERED,
          LEDGER_IN_TRAINING,
          ROLLOUT_PREFILL_TOKENS,
          ROLLOUT_PREFIX_CACHE_LOOKUPS,
          ROLLOUT_PREFIX_CACHE_HITS,
          ROLLOUT_PREFIX_CACHE_BYTES,
          ROLLOUT_ROUTING_BYTES,
          ACTOR_RESTARTS,
          ACTOR_FAILURES,
          ACTOR_PROCESSING,
          ACTOR_MESSAGES,
          ACTOR_MAILBOX,
          ACTOR_IN_FLIGHT,
          ACTOR_RUNNING);

  /** The curves the monitor page draws, in its order. */
  public static final List<String> CURVES =
      List.of(
          REWARD_MEAN,
          EVAL_ACCURACY,
          LOSS,
          CLIP_FRAC,
          GRAD_NORM,
          MISMATCH_KL,
          EXTREME_2,
          ROUTER_DISAGREEMENT,
          STALENESS_MEAN,
          STALENESS_MAX,
          ROLLOUT_TOKENS_PER_S,
          TRAIN_TOKENS_PER_S,
          LEARNER_BUSY_FRAC);

  private static final Pattern LAYER = Pattern.compile(Pattern.quote(LAYER_PREFIX) + "(\\d+)");
  private static final Pattern PROMETHEUS_UNSAFE = Pattern.compile("[^a-zA-Z0-9_]");

  /** {@code routing/disagreement/layer_3} */
  public static String layerDisagreement(int layer) {
    return LAYER_PREFIX + layer;
  }

  /** The layer of a per-layer disagreement name; -1 for any other name. */
  public static int layerOf(String name) {
    Matcher m = LAYER.matcher(name);
    return m.matches() ? Integer.parseInt(m.group(1)) : -1;
  }

  /** {@code ledger/dropped/stale} */
  public static String dropped(String reason) {
    return DROPPED_PREFIX + reason;
  }

  /**
   * A name as Prometheus sees it: a metric family and at most one tag.
   *
   * @param tag null for a name without one
   */
  public record PrometheusSeries(String family, String tag, String value) {}

  /**
   * The Prometheus series of a name: {@code r3_} + the name with {@code /} (and any other character
   * Prometheus refuses) as {@code _}; a per-layer name maps to its family with a {@code layer} tag
   * ({@code routing/disagreement/layer_3} is {@code r3_routing_disagreement_layer{layer="3"}}), a
   * drop reason to {@code r3_ledger_dropped_by_reason{reason="stale"}}.
   */
  public static PrometheusSeries prometheusSeries(String name) {
    int layer = layerOf(name);
    if (layer >= 0) {
      return new PrometheusSeries(
          family(LAYER_PREFIX.substring(0, LAYER_PREFIX.length() - 1)),
          "layer",
          Integer.toString(layer));
    }
    if (name.startsWith(DROPPED_PREFIX)) {
      return new PrometheusSeries(
          family(LEDGER_DROPPED + "/by_reason"), "reason", name.substring(DROPPED_PREFIX.length()));
    }
    return new PrometheusSeries(family(name), null, null);
  }

  /** The family of {@link #prometheusSeries}. */
  public static String prometheus(String name) {
    return prometheusSeries(name).family();
  }

  /**
   * Whether a Prometheus metric family (as a {@code # TYPE} line names it) is one of the
   * vocabulary's: {@code r3_} + a name of {@link #ALL}, with the suffix Kamon's reporter adds to a
   * counter ({@code _total}).
   */
  public static boolean isVocabularyFamily(String family) {
    String f = family.endsWith("_total") ? family.substring(0, family.length() - 6) : family;
    return FAMILIES.contains(f) || FAMILIES.contains(family);
  }

  private static final java.util.Set<String> FAMILIES =
      ALL.stream().map(MetricNames::family).collect(java.util.stream.Collectors.toSet());

  private static String family(String name) {
    return "r3_" + PROMETHEUS_UNSAFE.matcher(name).replaceAll("_");
  }
}
