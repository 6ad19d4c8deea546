package dev.r3.actors.learning;

import dev.r3.actors.config.R3Config;
import dev.r3.actors.ports.Generator;
import dev.r3.actors.ports.Task;
import dev.r3.actors.ports.Tokenizer;
import dev.r3.env.Split;
import dev.r3.model.Generation;
import dev.r3.model.RoutingRecord;
import dev.r3.model.SamplingParams;
import dev.r3.model.TurnOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Plays multi-turn episodes to their end on one generator, so on one version of the weights: every
 * live episode generates a turn (ending at end-of-sequence, a stop token or the per-turn limit) in
 * one batched call, each turn goes to its episode on an environment thread, and an episode whose
 * observation came back appends it and generates again, until the episode is over or has played
 * {@code maxTurns} turns.
 *
 * <p>A slow tool never holds the batch up: after a turn the player waits at most {@code parkAfter}
 * for every answer, then goes on with the episodes that have theirs and parks the others until
 * theirs arrives. Each call is bounded by the environment (its own per-call budget) and each
 * episode's environment time by {@code episodeBudget}; past it the episode ends as failed ({@code
 * env_timeout}).
 *
 * <p>The transcript is one sequence: model tokens (loss mask 1, with the log-probability the engine
 * sampled them with) and observation tokens (mask 0). Its routing record covers all T - 1
 * positions: each call adds the positions no earlier call fed (the last sampled token of the
 * previous turn and the observation, which the engine routed when it prefilled them, then the new
 * turn); see {@link RoutingPieces}. Each such piece also goes to a {@link RoutingSink} as soon as
 * its turn is played (a rollout worker ships it to the replay buffer). Each turn hands the engine
 * the record held so far, which it replays wherever it prefills those positions again (an evicted
 * prefix, a fresh engine), so the KV a turn attends to comes from the experts its record names; a
 * turn whose earlier positions come back routed otherwise is an error naming the episode.
 */
public final class EpisodePlayer {
  /** Sampler streams per episode: turn t of episode j draws from stream j * TURN_STREAMS + t. */
  static final long TURN_STREAMS = 1024;

  private static final ExecutorService ENV_CALLS =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "r3-env-call");
            t.setDaemon(true);
            return t;
          });

  /**
   * @param parkAfter how long to wait for every observation of a batch before going on without the
   *     late ones
   * @param episode the environment time one episode may take in all
   */
  public record Budgets(Duration parkAfter, Duration episode) {
    public static final Budgets DEFAULT =
        new Budgets(Duration.ofMillis(50), Duration.ofSeconds(60));

    /** A run's budgets ({@code r3.env.park-after}, {@code r3.env.episode-timeout}). */
    public static Budgets of(R3Config config) {
      return new Budgets(config.env().parkAfter(), config.env().episodeTimeout());
    }
  }

  /**
   * One episode to play.
   *
   * @param id names the episode in errors
   * @param stream its sampler stream (its index in the group)
   */
  public record Start(String id, long seed, Split split, int[] prompt, long stream) {}

  /**
   * A finished episode.
   *
   * @param logProbs per response token (T - promptLength), 0 on observation tokens
   * @param lossMask per token (T), 1 on model tokens
   * @param envFailure why the environment failed, or null
   */
  public record Played(
      int[] tokens,
      int promptLength,
      float[] logProbs,
      byte[] lossMask,
      RoutingRecord routing,
      boolean stoppedAtEos,
      int turns,
      String envFailure) {}

  private final Task task;
  private final Tokenizer tokenizer;
  private final Task.Rules rules;
  private final int[] stopIds;
  private final Budgets budgets;

  public EpisodePlayer(Task task, Tokenizer tokenizer, Budgets budgets) {
    this.task = task;
    this.tokenizer = tokenizer;
    this.rules = task.rules();
    this.budgets = budgets;
    this.stopIds = new int[rules.stopTokens().size()];
    for (int i = 0; i < stopIds.length; i++) {
      String s = rules.stopTokens().get(i);
      int[] ids = tokenizer.encode(s);
      if (ids.length != 1) {
        throw new IllegalArgumentException(
            "stop token '" + s + "' is " + ids.length + " tokens, must be one");
      }
      stopIds[i] = ids[0];
    }
  }

  public Task.Rules rules() {
    return rules;
  }

  /** Plays every episode to its end; results in the order of {@code starts}. */
  public List<Played> play(Generator g, SamplingParams params, List<Start> starts) {
    return play(g, params, starts, RoutingSink.NONE);
  }

  /**
   * Plays every episode to its end, sending each turn's new routing positions to {@code pieces}
   * (episode i of {@code starts} as sample i) as soon as the turn is played; results in the order
   * of {@code starts}.
   */
  public List<Played> play(
      Generator g, SamplingParams params, List<Start> starts, RoutingSink pieces) {
    List<Live> all = new ArrayList<>(starts.size());
    for (int i = 0; i < starts.size(); i++) {
      Start s = starts.get(i);
      all.add(new Live(i, s, task.start(s.seed(), s.split()), g.maxContext(), pieces));
    }
    SamplingParams turnParams =
        rules.maxTokensPerTurn() < params.maxNewTokens()
            ? new SamplingParams(
                params.temperature(),
                params.topP(),
                rules.maxTokensPerTurn(),
                params.eosId(),
                params.seed())
            : params;
    while (true) {
      List<Live> ready = all.stream().filter(l -> l.state == State.READY).toList();
      if (!ready.isEmpty()) {
        playTurn(g, turnParams, ready);
        continue;
      }
      List<Live> waiting = all.stream().filter(l -> l.state == State.WAITING).toList();
      if (waiting.isEmpty()) {
        break;
      }
      awaitObservations(waiting);
    }
    List<Played> out = new ArrayList<>(all.size());
    for (Live l : all) {
      out.add(l.played());
    }
    return out;
  }

  // ---------------------------------------------------------------- turns

  private void playTurn(Generator g, SamplingParams params, List<Live> ready) {
    List<int[]> prompts = new ArrayList<>(ready.size());
    long[] streams = new long[ready.size()];
    RoutingRecord[] recorded = new RoutingRecord[ready.size()];
    for (int i = 0; i < ready.size(); i++) {
      Live l = ready.get(i);
      prompts.add(Arrays.copyOf(l.tokens, l.length));
      streams[i] = l.start.stream() * TURN_STREAMS + l.turns;
      recorded[i] = l.routing.positions() == 0 ? null : l.routing.complete(l.routing.positions());
    }
    List<Generation> out =
        g.generateTurn(prompts, params, new TurnOptions(stopIds, streams, recorded));
    if (out.size() != ready.size()) {
      throw new IllegalStateException(
          "generator returned " + out.size() + " completions for " + ready.size() + " prompts");
    }
    for (int i = 0; i < ready.size(); i++) {
      Live l = ready.get(i);
      int from = l.length;
      l.acceptTurn(out.get(i));
      String text = tokenizer.decode(l.tokens, from, l.length);
      if (l.length >= l.maxContext - 1) {
        l.end(null); // no room for an observation and another turn: graded as it stands
        continue;
      }
      Task.Episode e = l.episode;
      l.waitingSince = System.nanoTime();
      l.pending = CompletableFuture.supplyAsync(() -> e.step(text), ENV_CALLS);
      l.state = State.WAITING;
    }
  }

  /**
   * Waits up to parkAfter for every pending observation, then (if none came) for the first one,
   * bounded by the earliest episode deadline; applies what arrived and fails what is over budget.
   */
  private void awaitObservations(List<Live> waiting) {
    CompletableFuture<?>[] fs =
        waiting.stream().map(l -> l.pending).toArray(CompletableFuture[]::new);
    long deadline = Long.MAX_VALUE;
    for (Live l : waiting) {
      deadline = Math.min(deadline, l.deadline());
    }
    long now = System.nanoTime();
    long park = Math.min(budgets.parkAfter().toNanos(), Math.max(0, deadline - now));
    try {
      CompletableFuture.allOf(fs).get(park, TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      if (waiting.stream().noneMatch(l -> l.pending.isDone())) {
        try {
          CompletableFuture.anyOf(fs)
              .get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException ignored) {
          // over budget (handled below) or a failed step (read below)
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while waiting for the environment", ie);
        }
      }
    } catch (ExecutionException ignored) {
      // one step failed: read per episode below
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the environment", ie);
    }
    long t = System.nanoTime();
    for (Live l : waiting) {
      if (l.pending.isDone()) {
        l.envNanos += t - l.waitingSince;
        l.observe();
      } else if (t >= l.deadline()) {
        l.pending.cancel(true);
        l.end(
            "env_timeout: episode "
                + l.start.id()
                + " spent more than "
                + budgets.episode().toMillis()
                + " ms in the environment");
      }
    }
  }

  // ---------------------------------------------------------------- one episode

  private enum State {
    READY,
    WAITING,
    DONE
  }

  private final class Live {
    final int index;
    final RoutingSink pieces;
    final Start start;
    final Task.Episode episode;
    final RoutingPieces routing;
    final int maxContext;
    int[] tokens;
    float[] logProbs; // per token position
    byte[] mask;
    int length;
    int turns;
    boolean stoppedAtEos;
    String envFailure;
    State state = State.READY;
    CompletableFuture<Task.Step> pending;
    long waitingSince;
    long envNanos;

    Live(int index, Start start, Task.Episode episode, int maxContext, RoutingSink pieces) {
      this.index = index;
      this.pieces = pieces;
      this.start = start;
      this.maxContext = maxContext;
      this.episode = episode;
      this.routing = new RoutingPieces(start.id());
      this.tokens = start.prompt().clone();
      this.length = tokens.length;
      this.logProbs = new float[tokens.length];
      this.mask = new byte[tokens.length];
    }

    long deadline() {
      return waitingSince + budgets.episode().toNanos() - envNanos;
    }

    /** Appends a turn: the completion must extend the transcript so far. */
    void acceptTurn(Generation c) {
      int[] all = c.tokens();
      if (c.promptLength() != length
          || !Arrays.equals(all, 0, length, tokens, 0, length)
          || all.length <= length) {
        throw new IllegalStateException(
            "episode "
                + start.id()
                + ": the generator's completion does not extend the transcript of "
                + length
                + " tokens");
      }
      RoutingRecord r = c.routing();
      if (r.positions() != all.length - 1) {
        throw new IllegalStateException(
            "episode "
                + start.id()
                + ": a turn's routing record holds "
                + r.positions()
                + " positions for "
                + all.length
                + " tokens");
      }
      int held = routing.positions();
      if (held > 0 && !r.prefix(held).equals(routing.complete(held))) {
        throw new IllegalStateException(
            "episode "
                + start.id()
                + ": the engine routed the earlier turns' "
                + held
                + " positions otherwise than their record (a re-prefill that did not replay it)");
      }
      RoutingRecord piece = r.slice(held, r.positions());
      routing.add(held, piece);
      pieces.piece(index, held, piece);
      grow(all.length);
      for (int t = length; t < all.length; t++) {
        tokens[t] = all[t];
        logProbs[t] = c.logProbs()[t - length];
        mask[t] = 1;
      }
      length = all.length;
      turns++;
      stoppedAtEos = c.stoppedAtEos();
    }

    void observe() {
      Task.Step step;
      try {
        step = pending.join();
      } catch (RuntimeException e) {
        end("env_exception: " + e.getMessage());
        return;
      } finally {
        pending = null;
      }
      if (step == null) {
        end("env_protocol: the environment answered a turn with nothing");
        return;
      }
      if (step instanceof Task.Step.End end) {
        end(end.failed() ? end.reason() : null);
        return;
      }
      if (turns >= rules.maxTurns()) {
        end(null); // out of turns: graded on the transcript as it stands
        return;
      }
      int[] obs = tokenizer.encode(((Task.Step.Observe) step).text());
      if (length + obs.length >= maxContext - 1) {
        end(null); // no room for the observation and a turn: graded as it stands
        return;
      }
      grow(length + obs.length);
      System.arraycopy(obs, 0, tokens, length, obs.length);
      length += obs.length; // logProbs and mask stay 0: not the model's
      state = State.READY;
    }

    void end(String failure) {
      envFailure = failure;
      state = State.DONE;
    }

    private void grow(int n) {
      if (n > tokens.length) {
        int cap = Math.max(n, tokens.length * 2);
        tokens = Arrays.copyOf(tokens, cap);
        logProbs = Arrays.copyOf(logProbs, cap);
        mask = Arrays.copyOf(mask, cap);
      }
    }

    Played played() {
      int p = start.prompt().length;
      return new Played(
          Arrays.copyOf(tokens, length),
          p,
          Arrays.copyOfRange(logProbs, p, length),
          Arrays.copyOf(mask, length),
          routing.complete(length - 1),
          stoppedAtEos,
          turns,
          envFailure);
    }
  }
}
