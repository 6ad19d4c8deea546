package dev.r3.actors.run;

import static dev.r3.actors.run.MetricNames.*;

import dev.r3.actors.learning.LedgerCounts;
import dev.r3.actors.learning.RolloutCounters;
import dev.r3.actors.learning.StepReport;
import dev.r3.actors.learning.StepStats;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One learner step as a row of named numbers ({@link MetricNames}): the line of {@code
 * metrics.jsonl} and the row the monitor serves. Keys come in a fixed order; a measure that does
 * not apply (NaN) is null, since JSON has no NaN.
 */
public final class StepRow {
  private StepRow() {}

  public static Map<String, Object> of(StepReport r) {
    StepStats s = r.stats();
    LedgerCounts l = r.ledger();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(STEP, r.step());
    m.put(VERSION, r.version());
    m.put(REWARD_MEAN, num(s.rewardMean()));
    m.put(REWARD_ACCURACY, num(s.accuracy()));
    m.put(LOSS, num(s.loss()));
    m.put(GRAD_NORM, num(s.gradNorm()));
    m.put(CLIP_FRAC, num(s.clipFrac()));
    m.put(MISMATCH_KL, num(s.mismatchKl()));
    m.put(EXTREME_2, num(s.extreme2()));
    m.put(ROUTER_DISAGREEMENT, num(s.routerDisagreement()));
    // The objective's and the mismatch summary's whole diagnostic sets, under their own names.
    s.diagnostics().forEach((k, v) -> m.putIfAbsent(k, num(v)));
    m.put(STALENESS_MEAN, num(s.stalenessMean()));
    m.put(STALENESS_MAX, s.stalenessMax());
    m.put(BATCH_GROUPS, s.groups());
    m.put(BATCH_SEQUENCES, s.sequences());
    m.put(BATCH_TOKENS, s.trainedTokens());
    m.put(STEP_SECONDS, num(s.seconds()));
    m.put(ROLLOUT_TOKENS_PER_S, num(r.rolloutTokensPerSecond()));
    m.put(TRAIN_TOKENS_PER_S, num(r.trainTokensPerSecond()));
    m.put(LEARNER_BUSY_FRAC, num(r.learnerBusyFrac()));
    RolloutCounters c = r.rollout();
    m.put(PREFILL_TOKENS_COMPUTED, c.computedTokens());
    m.put(PREFILL_TOKENS_SAVED, c.savedTokens());
    m.put(PREFIX_CACHE_HIT_RATE, num(c.hitRate()));
    m.put(ROLLOUT_PREFIX_CACHE_BYTES, c.cacheBytes());
    m.put(ROUTING_BYTES_PER_TRAJECTORY, num(c.routingBytesPerTrajectory()));
    m.put(ROUTING_BYTES_PER_PIECE, num(c.routingBytesPerPiece()));
    m.put(ROUTING_PIECES_PER_TRAJECTORY, num(c.piecesPerTrajectory()));
    m.put(LEDGER_PRODUCED, l.produced());
    m.put(LEDGER_TRAINED, l.trained());
    m.put(LEDGER_DROPPED, l.droppedTotal());
    l.droppedByReason().forEach((reason, n) -> m.put(dropped(reason), n));
    m.put(LEDGER_BUFFERED, l.buffered());
    m.put(LEDGER_IN_TRAINING, l.inTraining());
    return m;
  }

  static Double num(double v) {
    return Double.isFinite(v) ? v : null;
  }
}
