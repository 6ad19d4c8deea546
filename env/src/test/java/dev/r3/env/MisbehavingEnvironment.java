package dev.r3.env;

import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/** A test environment that misbehaves in one chosen way. */
final class MisbehavingEnvironment implements Environment {
  enum Fault {
    NONE,
    THROW_TASK,
    THROW_START,
    THROW_STEP,
    HANG_STEP,
    NULL_TURN,
    ENDLESS,
    THROW_SCORE,
    HANG_SCORE,
    BAD_REWARD,
    IGNORE_INTERRUPT
  }

  private final Fault fault;

  /** Released when a hanging call is interrupted, so tests can see the thread was freed. */
  final CountDownLatch interrupted = new CountDownLatch(1);

  MisbehavingEnvironment(Fault fault) {
    this.fault = fault;
  }

  @Override
  public String name() {
    return "faulty";
  }

  @Override
  public String description() {
    return "misbehaves: " + fault;
  }

  @Override
  public boolean multiTurn() {
    return true;
  }

  @Override
  public int maxTurns() {
    return 3;
  }

  @Override
  public int maxTokensPerTurn() {
    return 8;
  }

  @Override
  public TaskSpec task(long seed, Split split) {
    if (fault == Fault.THROW_TASK) {
      throw new IllegalStateException("no task today");
    }
    return new TaskSpec(name(), split, seed, "p" + seed + "=", "ok", "");
  }

  @Override
  public RewardFunction reward() {
    return (task, completion) -> {
      switch (fault) {
        case THROW_SCORE -> throw new ArithmeticException("verifier crashed");
        case HANG_SCORE -> hang();
        case BAD_REWARD -> {
          return new Outcome(1.5, "", "x", "", false);
        }
        default -> {}
      }
      return completion.equals("ok")
          ? Outcome.correct("ok")
          : Outcome.zero(completion, Reasons.WRONG_ANSWER, "");
    };
  }

  @Override
  public Episode start(TaskSpec task) {
    if (fault == Fault.THROW_START) {
      throw new UnsupportedOperationException("cannot start");
    }
    return new Episode() {
      Outcome outcome;

      @Override
      public TaskSpec task() {
        return task;
      }

      @Override
      public String firstObservation() {
        return task.prompt();
      }

      @Override
      public Turn step(String out) {
        switch (fault) {
          case THROW_STEP -> throw new NullPointerException("bug in step");
          case HANG_STEP -> hang();
          case IGNORE_INTERRUPT -> {
            long end = System.nanoTime() + 300_000_000L;
            while (System.nanoTime() < end) {
              Thread.onSpinWait();
            }
          }
          case NULL_TURN -> {
            return null;
          }
          case ENDLESS -> {
            return new Turn.Continue("<result>more</result>");
          }
          default -> {}
        }
        outcome = reward().score(task, out);
        return new Turn.Done(outcome);
      }

      @Override
      public Optional<Outcome> outcome() {
        return Optional.ofNullable(outcome);
      }
    };
  }

  private void hang() {
    try {
      Thread.sleep(60_000);
    } catch (InterruptedException e) {
      interrupted.countDown();
      Thread.currentThread().interrupt();
    }
  }
}
