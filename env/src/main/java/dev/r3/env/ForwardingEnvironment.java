package dev.r3.env;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An environment that hands every call to {@code inner}: the base of wrappers that change a few
 * calls ({@link GuardedEnvironment} bounds them, {@link FaultyEnvironment} breaks some on purpose)
 * and pass the rest through unchanged.
 */
public abstract class ForwardingEnvironment implements Environment {
  protected final Environment inner;

  protected ForwardingEnvironment(Environment inner) {
    this.inner = Objects.requireNonNull(inner, "inner");
  }

  /** The wrapped environment. */
  public Environment inner() {
    return inner;
  }

  @Override
  public String name() {
    return inner.name();
  }

  @Override
  public String description() {
    return inner.description();
  }

  @Override
  public boolean multiTurn() {
    return inner.multiTurn();
  }

  @Override
  public int maxTurns() {
    return inner.maxTurns();
  }

  @Override
  public int maxTokensPerTurn() {
    return inner.maxTokensPerTurn();
  }

  @Override
  public List<String> stopTokens() {
    return inner.stopTokens();
  }

  @Override
  public TaskSpec task(long seed, Split split) {
    return inner.task(seed, split);
  }

  @Override
  public Episode start(TaskSpec task) {
    return inner.start(task);
  }

  @Override
  public RewardFunction reward() {
    return inner.reward();
  }

  @Override
  public Optional<List<String>> oracle(TaskSpec task) {
    return inner.oracle(task);
  }

  @Override
  public List<SftExample> sftCorpus(int n, long seed) {
    return inner.sftCorpus(n, seed);
  }
}
