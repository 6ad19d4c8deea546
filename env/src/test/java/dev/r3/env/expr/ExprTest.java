package dev.r3.env.expr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class ExprTest {

  private static ParseException.Kind kindOf(String text, ExprLimits limits) {
    ParseException e = catchThrowableOfType(ParseException.class, () -> Expr.parse(text, limits));
    assertThat(e).as("expected a ParseException for \"%s\"", text).isNotNull();
    return e.kind();
  }

  private static ParseException.Kind kindOf(String text) {
    return kindOf(text, ExprLimits.DEFAULT);
  }

  @Test
  void eval_respectsPrecedenceAndAssociativity() throws ParseException {
    assertThat(Expr.eval("2+3*4")).isEqualTo(Rational.of(14));
    assertThat(Expr.eval("(2+3)*4")).isEqualTo(Rational.of(20));
    assertThat(Expr.eval("10-4-3")).isEqualTo(Rational.of(3));
    assertThat(Expr.eval("100/10/5")).isEqualTo(Rational.of(2));
    assertThat(Expr.eval("-3--3")).isEqualTo(Rational.ZERO);
    assertThat(Expr.eval(" 1 + 2 ")).isEqualTo(Rational.of(3));
  }

  @Test
  void eval_isExactWithFractions() throws ParseException {
    assertThat(Expr.eval("7/2")).hasToString("7/2");
    assertThat(Expr.eval("7/2*2")).isEqualTo(Rational.of(7));
    assertThat(Expr.eval("1/3+1/3+1/3")).isEqualTo(Rational.of(1));
    assertThat(Expr.eval("-6/4")).hasToString("-3/2");
  }

  @Test
  void parse_reportsLiteralsInOrder() throws ParseException {
    assertThat(Expr.parse("(3+5)*7-3").literals()).containsExactly(3L, 5L, 7L, 3L);
  }

  @Test
  void divisionByZero_isAParseErrorNotACrash() {
    assertThat(kindOf("1/0")).isEqualTo(ParseException.Kind.DIVISION_BY_ZERO);
    assertThat(kindOf("5/(3-3)")).isEqualTo(ParseException.Kind.DIVISION_BY_ZERO);
  }

  @Test
  void limits_bound_lengthDepthDigitsAndSize() {
    ExprLimits small = new ExprLimits(20, 3, 4, 40);
    assertThat(kindOf("1+".repeat(10) + "1", small)).isEqualTo(ParseException.Kind.TOO_LONG);
    assertThat(kindOf("((((1))))", small)).isEqualTo(ParseException.Kind.TOO_DEEP);
    assertThat(kindOf("----1", small)).isEqualTo(ParseException.Kind.TOO_DEEP);
    assertThat(kindOf("12345", small)).isEqualTo(ParseException.Kind.NUMBER_TOO_LARGE);
    assertThat(kindOf("9999*9999*9999*9999", small))
        .isEqualTo(ParseException.Kind.NUMBER_TOO_LARGE);
    assertThat(kindOf("1/9999/9999/9999/99", small))
        .isEqualTo(ParseException.Kind.NUMBER_TOO_LARGE);
  }

  @Test
  void deepNesting_failsCleanlyEvenWithHugeLengthLimit() {
    ExprLimits wide = new ExprLimits(1_000_000, 50, 12, 128);
    String deep = "(".repeat(200_000) + "1" + ")".repeat(200_000);
    assertThat(kindOf(deep, wide)).isEqualTo(ParseException.Kind.TOO_DEEP);
    assertThat(kindOf("-".repeat(200_000) + "1", wide)).isEqualTo(ParseException.Kind.TOO_DEEP);
  }

  @Test
  void code_isNeverEvaluated() {
    for (String code :
        List.of(
            "System.exit(1)",
            "java.lang.Runtime.getRuntime()",
            "1;2",
            "__import__('os')",
            "eval(\"1\")",
            "x=1",
            "2**3",
            "1e9",
            "0x10",
            "1.5")) {
      assertThatThrownBy(() -> Expr.parse(code)).isInstanceOf(ParseException.class);
    }
  }

  @Test
  void malformedInput_hasSpecificKinds() {
    assertThat(kindOf("")).isEqualTo(ParseException.Kind.EMPTY);
    assertThat(kindOf("   ")).isEqualTo(ParseException.Kind.EMPTY);
    assertThat(kindOf("1+")).isEqualTo(ParseException.Kind.UNEXPECTED_END);
    assertThat(kindOf("(1+2")).isEqualTo(ParseException.Kind.UNEXPECTED_END);
    assertThat(kindOf("1+2)")).isEqualTo(ParseException.Kind.TRAILING_INPUT);
    assertThat(kindOf("1 2")).isEqualTo(ParseException.Kind.TRAILING_INPUT);
    assertThat(kindOf("a")).isEqualTo(ParseException.Kind.UNEXPECTED_CHARACTER);
    assertThat(kindOf("(1+2]")).isEqualTo(ParseException.Kind.UNEXPECTED_CHARACTER);
  }

  @Test
  void parseException_saysWhere() {
    ParseException e = catchThrowableOfType(ParseException.class, () -> Expr.parse("1+x"));
    assertThat(e.position()).isEqualTo(2);
    assertThat(e.getMessage()).contains("'x'").contains("position 2");
  }

  /** Random strings over the parser's alphabet and beyond: only ParseException may come out. */
  @Property(tries = 2000)
  void parser_throwsOnlyParseException(@ForAll("junk") String text) {
    try {
      ParsedExpr p = Expr.parse(text);
      assertThat(p.value().bitLength()).isLessThanOrEqualTo(ExprLimits.DEFAULT.maxBits());
    } catch (ParseException expected) {
      assertThat(expected.kind()).isNotNull();
    }
  }

  @Property(tries = 500)
  void parser_throwsOnlyParseException_onArbitraryUnicode(
      @ForAll @StringLength(max = 80) String text) {
    try {
      Expr.parse(text);
    } catch (ParseException expected) {
      assertThat(expected.kind()).isNotNull();
    }
  }

  @Provide
  Arbitrary<String> junk() {
    return Arbitraries.strings().withChars("0123456789+-*/() x.".toCharArray()).ofMaxLength(70);
  }

  /** An expression tree and its value computed independently, in long arithmetic. */
  record Tree(String text, long value) {}

  @Property(tries = 1000)
  void parser_agreesWithDirectEvaluation(@ForAll("trees") Tree t) throws ParseException {
    assertThat(Expr.eval(t.text())).isEqualTo(Rational.of(t.value()));
  }

  @Provide
  Arbitrary<Tree> trees() {
    return tree(3);
  }

  private Arbitrary<Tree> tree(int depth) {
    Arbitrary<Tree> leaf =
        Arbitraries.integers().between(0, 999).map(n -> new Tree(Integer.toString(n), n));
    if (depth == 0) {
      return leaf;
    }
    Arbitrary<Tree> node =
        Combinators.combine(tree(depth - 1), tree(depth - 1), Arbitraries.of('+', '-', '*'))
            .as(
                (a, b, op) ->
                    new Tree(
                        "(" + a.text() + ")" + op + "(" + b.text() + ")",
                        switch (op) {
                          case '+' -> a.value() + b.value();
                          case '-' -> a.value() - b.value();
                          default -> a.value() * b.value();
                        }));
    return Arbitraries.frequencyOf(Tuple.of(1, leaf), Tuple.of(2, node));
  }
}
