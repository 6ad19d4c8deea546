package dev.r3.env.tasks;

import dev.r3.env.CharTokenizer;
import dev.r3.env.Episode;
import dev.r3.env.Outcome;
import dev.r3.env.Params;
import dev.r3.env.Reasons;
import dev.r3.env.RewardFunction;
import dev.r3.env.TaskSpec;
import dev.r3.env.Turn;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A multi-turn task whose model calls tools: a turn ending in {@code <calc>call</calc>} is answered
 * {@code <result>value</result>} by {@link #tool}, a turn without a call is the final answer and is
 * graded; at most {@code maxCalls} calls (one more ends the episode, graded {@code
 * too_many_calls}), at most {@code maxCalls + 1} turns. The tasks differ only in their problems and
 * their tools ({@link CalcTask}: a calculator; {@link LookupTask}: a key-value store and the
 * calculator).
 *
 * <p>The reward function grades the whole transcript (model turns and results), so a reward actor
 * given only the spec and the transcript reaches the same outcome as the episode.
 */
abstract class ToolCallTask extends TaskBase {
  static final String CALL_OPEN = CharTokenizer.SPECIALS.get(CharTokenizer.CALL_OPEN);
  static final String CALL_CLOSE = CharTokenizer.SPECIALS.get(CharTokenizer.CALL_CLOSE);
  static final String RESULT_OPEN = CharTokenizer.SPECIALS.get(CharTokenizer.RESULT_OPEN);
  static final String RESULT_CLOSE = CharTokenizer.SPECIALS.get(CharTokenizer.RESULT_CLOSE);

  /** What a call no tool understands gets back. */
  static final String ERROR = "error";

  final int maxCalls;

  ToolCallTask(String name, String description, Params params) {
    super(name, description, params);
    this.maxCalls = params.getInt("maxCalls");
  }

  /** The tools: what the call {@code call} (the text between the call tokens) returns. */
  abstract String tool(TaskSpec task, String call);

  @Override
  public boolean multiTurn() {
    return true;
  }

  @Override
  public int maxTurns() {
    return maxCalls + 1;
  }

  @Override
  public List<String> stopTokens() {
    return List.of(CALL_CLOSE);
  }

  @Override
  public Episode start(TaskSpec task) {
    checkOwn(task);
    return new ToolEpisode(task);
  }

  @Override
  public RewardFunction reward() {
    return (task, transcript) -> {
      checkOwn(task);
      return grade(task, transcript == null ? "" : transcript);
    };
  }

  /** True if the turn holds a complete call: {@code <calc>} followed later by {@code </calc>}. */
  static boolean hasCall(String turn) {
    int open = turn.indexOf(CALL_OPEN);
    return open >= 0 && turn.indexOf(CALL_CLOSE, open + CALL_OPEN.length()) >= 0;
  }

  /** The model turns of a transcript: the text between {@code <result>...</result>} blocks. */
  static List<String> modelTurns(String transcript) {
    List<String> turns = new ArrayList<>();
    int at = 0;
    while (true) {
      int r = transcript.indexOf(RESULT_OPEN, at);
      int e = r < 0 ? -1 : transcript.indexOf(RESULT_CLOSE, r);
      if (e < 0) {
        turns.add(transcript.substring(at));
        return turns;
      }
      turns.add(transcript.substring(at, r));
      at = e + RESULT_CLOSE.length();
    }
  }

  private Outcome grade(TaskSpec task, String transcript) {
    List<String> turns = modelTurns(transcript);
    int calls = 0;
    for (String t : turns) {
      Outcome tooLong = Grading.tooLong(t, maxTokensPerTurn());
      if (tooLong != null) {
        return tooLong;
      }
      calls += hasCall(t) ? 1 : 0;
    }
    if (calls > maxCalls) {
      return Outcome.zero("", Reasons.TOO_MANY_CALLS, calls + " calls > limit " + maxCalls);
    }
    String last = turns.get(turns.size() - 1).strip();
    if (hasCall(last)) {
      return Outcome.zero("", Reasons.NO_ANSWER, "transcript ends with a call");
    }
    if (last.contains(CALL_OPEN) || last.contains(CALL_CLOSE)) {
      return Outcome.zero(
          Grading.shown(last), Reasons.BAD_TOOL_CALL, "unterminated or stray tool token");
    }
    return Grading.integerAnswer(last, task.expected());
  }

  /** One episode: calls answered by {@link #tool}, then the answer graded. */
  private final class ToolEpisode implements Episode {
    private final TaskSpec task;
    private final StringBuilder transcript = new StringBuilder();
    private int turns;
    private int calls;
    private Outcome outcome;

    ToolEpisode(TaskSpec task) {
      this.task = task;
    }

    @Override
    public TaskSpec task() {
      return task;
    }

    @Override
    public String firstObservation() {
      return task.prompt();
    }

    @Override
    public Turn step(String modelOutput) {
      if (outcome != null) {
        throw new IllegalStateException(name() + " episode is over: " + outcome);
      }
      String out = modelOutput == null ? "" : modelOutput;
      transcript.append(out);
      turns++;
      boolean fits = TOKENS.length(out) <= maxTokensPerTurn();
      if (fits && hasCall(out) && calls < maxCalls && turns < maxTurns()) {
        calls++;
        int open = out.indexOf(CALL_OPEN) + CALL_OPEN.length();
        String call = out.substring(open, out.indexOf(CALL_CLOSE, open));
        String observation = RESULT_OPEN + tool(task, call) + RESULT_CLOSE;
        transcript.append(observation);
        return new Turn.Continue(observation);
      }
      outcome = grade(task, transcript.toString());
      return new Turn.Done(outcome);
    }

    @Override
    public Optional<Outcome> outcome() {
      return Optional.ofNullable(outcome);
    }
  }
}
