package dev.r3.env.tasks;

import dev.r3.env.Episode;
import dev.r3.env.Outcome;
import dev.r3.env.ParamSpec;
import dev.r3.env.Params;
import dev.r3.env.Reasons;
import dev.r3.env.RewardFunction;
import dev.r3.env.TaskSpec;
import dev.r3.env.Turn;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * An agent task with two tools, where the answer needs both: {@code kv p*q=} asks for the product
 * (or sum) of the values stored under keys {@code p} and {@code q} in a key-value store the model
 * cannot see. A turn ending in {@code <calc>look p</calc>} is answered with the stored value
 * ({@code <result>37</result>}), a turn ending in {@code <calc>37*48</calc>} with the calculator's
 * value, and a turn without a call is the final answer. The oracle looks every key up, computes
 * with the calculator and copies the result: {@code terms + 2} turns (4 to 5 by default settings,
 * up to 6).
 *
 * <p>The store is drawn with the problem from the episode seed ({@link TaskSpec#data()} holds it,
 * {@code p=37,q=48}), so the reward function grades a transcript exactly as the episode does.
 */
final class LookupTask extends TaskBase {
  static final String NAME = "lookup";
  static final String DESCRIPTION =
      "look values up in a hidden store (<calc>look k</calc>), combine them with the calculator,"
          + " answer";
  static final List<ParamSpec> PARAMS =
      List.of(
          ParamSpec.choice("op", "mul", List.of("mul", "add"), "product or sum of the values"),
          ParamSpec.integer("digits", 2, 1, 4, "digits per stored value"),
          ParamSpec.integer("terms", 2, 2, 4, "keys to look up (turns = terms + 2)"),
          ParamSpec.integer("maxCalls", 4, 1, 8, "tool calls allowed per episode"));

  /** The lookup tool's verb inside a call: {@code <calc>look k</calc>}. */
  static final String LOOK = "look ";

  private static final String KEYS = "abcdefghijklmnopqrstuvwxyz";

  private final boolean mul;
  private final int digits;
  private final int terms;
  private final int maxCalls;

  LookupTask(Params params) {
    super(NAME, DESCRIPTION, params);
    this.mul = params.get("op").equals("mul");
    this.digits = params.getInt("digits");
    this.terms = params.getInt("terms");
    this.maxCalls = params.getInt("maxCalls");
  }

  @Override
  Problem propose(SplittableRandom rng) {
    StringBuilder keys = new StringBuilder();
    StringBuilder store = new StringBuilder();
    long value = mul ? 1 : 0;
    int lo = digits == 1 ? 1 : pow10(digits - 1);
    while (keys.length() < terms) {
      char k = KEYS.charAt(rng.nextInt(KEYS.length()));
      if (keys.indexOf(String.valueOf(k)) >= 0) {
        continue;
      }
      long x = lo + rng.nextLong(pow10(digits) - lo);
      value = mul ? value * x : value + x;
      store.append(keys.length() == 0 ? "" : ",").append(k).append('=').append(x);
      keys.append(k);
    }
    String expr = String.join(mul ? "*" : "+", keys.toString().split(""));
    return new Problem("kv " + expr + "=", Long.toString(value), store.toString());
  }

  @Override
  public boolean multiTurn() {
    return true;
  }

  @Override
  public int maxTurns() {
    return maxCalls + 1;
  }

  @Override
  public int maxTokensPerTurn() {
    int look = LOOK.length() + 1;
    int expr = terms * digits + terms - 1;
    int answer = mul ? terms * digits : digits + 1;
    return Math.max(Math.max(look, expr) + 2, answer) + 2; // a call or the answer, EOS, one spare
  }

  @Override
  public List<String> stopTokens() {
    return List.of(CalcTask.CALL_CLOSE);
  }

  @Override
  public Episode start(TaskSpec task) {
    checkOwn(task);
    return new LookupEpisode(task);
  }

  /** Look every key up, compute with the calculator, copy the result. */
  @Override
  public Optional<List<String>> oracle(TaskSpec task) {
    checkOwn(task);
    Map<String, String> store = store(task);
    List<String> turns = new ArrayList<>();
    List<String> values = new ArrayList<>();
    for (String k : store.keySet()) {
      turns.add(CalcTask.CALL_OPEN + LOOK + k + CalcTask.CALL_CLOSE);
    }
    for (String entry : task.data().split(",")) {
      values.add(entry.substring(entry.indexOf('=') + 1));
    }
    turns.add(CalcTask.CALL_OPEN + String.join(mul ? "*" : "+", values) + CalcTask.CALL_CLOSE);
    turns.add(task.expected());
    return Optional.of(turns);
  }

  @Override
  public RewardFunction reward() {
    return (task, transcript) -> {
      checkOwn(task);
      return grade(task, transcript == null ? "" : transcript);
    };
  }

  /** The store of a task, in the prompt's key order. */
  static Map<String, String> store(TaskSpec task) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String entry : task.data().split(",")) {
      int eq = entry.indexOf('=');
      m.put(entry.substring(0, eq), entry.substring(eq + 1));
    }
    return m;
  }

  /** The tools: a lookup ({@code look k}) or the calculator; {@code error} for anything else. */
  static String answer(Map<String, String> store, String call) {
    if (call.startsWith(LOOK)) {
      return store.getOrDefault(call.substring(LOOK.length()).strip(), CalcTask.ERROR);
    }
    return CalcTask.calculate(call);
  }

  private static boolean hasCall(String turn) {
    int open = turn.indexOf(CalcTask.CALL_OPEN);
    return open >= 0 && turn.indexOf(CalcTask.CALL_CLOSE, open + CalcTask.CALL_OPEN.length()) >= 0;
  }

  private Outcome grade(TaskSpec task, String transcript) {
    List<String> turns = CalcTask.modelTurns(transcript);
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
    if (last.contains(CalcTask.CALL_OPEN) || last.contains(CalcTask.CALL_CLOSE)) {
      return Outcome.zero(
          Grading.shown(last), Reasons.BAD_TOOL_CALL, "unterminated or stray tool token");
    }
    return Grading.integerAnswer(last, task.expected());
  }

  private final class LookupEpisode implements Episode {
    private final TaskSpec task;
    private final Map<String, String> store;
    private final StringBuilder transcript = new StringBuilder();
    private int turns;
    private int calls;
    private Outcome outcome;

    LookupEpisode(TaskSpec task) {
      this.task = task;
      this.store = new HashMap<>(store(task));
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
        throw new IllegalStateException("lookup episode is over: " + outcome);
      }
      String out = modelOutput == null ? "" : modelOutput;
      transcript.append(out);
      turns++;
      boolean fits = TOKENS.length(out) <= maxTokensPerTurn();
      if (fits && hasCall(out) && calls < maxCalls && turns < maxTurns()) {
        calls++;
        int open = out.indexOf(CalcTask.CALL_OPEN) + CalcTask.CALL_OPEN.length();
        String call = out.substring(open, out.indexOf(CalcTask.CALL_CLOSE, open));
        String observation = CalcTask.RESULT_OPEN + answer(store, call) + CalcTask.RESULT_CLOSE;
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
