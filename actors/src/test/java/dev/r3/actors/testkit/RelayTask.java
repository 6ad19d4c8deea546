package dev.r3.actors.testkit;

import dev.r3.actors.ports.Task;
import dev.r3.env.Split;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A multi-turn stand-in on the echo task's digits: the prompt is one digit d; the environment
 * answers the model's first two turns with the digits d+1 and d+2 (mod 10), as a tool would, and
 * ends the episode after the third. Reward 1 when the transcript starts with d. An optional hook
 * runs before each answer (episode number in start order, turn 1..3), e.g. to make one tool slow.
 */
public final class RelayTask implements Task {
  public static final int TURNS = 3;

  /** Runs before the environment answers turn {@code turn} of the {@code episode}-th episode. */
  @FunctionalInterface
  public interface Hook {
    void beforeAnswer(int episode, int turn) throws InterruptedException;
  }

  private final Hook hook;
  private final AtomicInteger started = new AtomicInteger();

  public RelayTask() {
    this((e, t) -> {});
  }

  public RelayTask(Hook hook) {
    this.hook = hook;
  }

  @Override
  public String prompt(long seed, Split split) {
    return Long.toString(Math.floorMod(seed, 10L));
  }

  @Override
  public Verdict score(long seed, Split split, String completion) {
    boolean ok = !completion.isEmpty() && completion.charAt(0) == prompt(seed, split).charAt(0);
    return new Verdict(ok ? 1f : 0f, ok, false, ok ? "correct" : "wrong");
  }

  @Override
  public Rules rules() {
    return new Rules(TURNS, 2, List.of());
  }

  @Override
  public Episode start(long seed, Split split) {
    int episode = started.getAndIncrement();
    int d = (int) Math.floorMod(seed, 10L);
    int[] turn = {0};
    return text -> {
      turn[0]++;
      try {
        hook.beforeAnswer(episode, turn[0]);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return new Step.End(true, "env_interrupted");
      }
      if (turn[0] >= TURNS) {
        return new Step.End(false, "over");
      }
      return new Step.Observe(Integer.toString((d + turn[0]) % 10));
    };
  }
}
