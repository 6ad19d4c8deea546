package dev.r3.env.tasks;

import dev.r3.env.ParamSpec;
import dev.r3.env.Params;
import dev.r3.env.TaskSpec;
import java.util.ArrayList;
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
final class LookupTask extends ToolCallTask {
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

  LookupTask(Params params) {
    super(NAME, DESCRIPTION, params);
    this.mul = params.get("op").equals("mul");
    this.digits = params.getInt("digits");
    this.terms = params.getInt("terms");
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
  public int maxTokensPerTurn() {
    int look = LOOK.length() + 1;
    int expr = terms * digits + terms - 1;
    int answer = mul ? terms * digits : digits + 1;
    return Math.max(Math.max(look, expr) + 2, answer) + 2; // a call or the answer, EOS, one spare
  }

  /** Look every key up, compute with the calculator, copy the result. */
  @Override
  public Optional<List<String>> oracle(TaskSpec task) {
    checkOwn(task);
    Map<String, String> store = store(task);
    List<String> turns = new ArrayList<>();
    List<String> values = new ArrayList<>();
    for (String k : store.keySet()) {
      turns.add(CALL_OPEN + LOOK + k + CALL_CLOSE);
    }
    for (String entry : task.data().split(",")) {
      values.add(entry.substring(entry.indexOf('=') + 1));
    }
    turns.add(CALL_OPEN + String.join(mul ? "*" : "+", values) + CALL_CLOSE);
    turns.add(task.expected());
    return Optional.of(turns);
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

  @Override
  String tool(TaskSpec task, String call) {
    return answer(store(task), call);
  }

  /** The tools: a lookup ({@code look k}) or the calculator; {@code error} for anything else. */
  static String answer(Map<String, String> store, String call) {
    if (call.startsWith(LOOK)) {
      return store.getOrDefault(call.substring(LOOK.length()).strip(), ERROR);
    }
    return CalcTask.calculate(call);
  }
}
