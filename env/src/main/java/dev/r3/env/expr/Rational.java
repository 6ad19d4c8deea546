package dev.r3.env.expr;

import java.math.BigInteger;
import java.util.Objects;

/**
 * An exact fraction in lowest terms with a positive denominator.
 *
 * <p>Exact because graders compare for equality: {@code 7/2*2} must equal {@code 7}, which floating
 * point does not promise.
 */
public record Rational(BigInteger num, BigInteger den) implements Comparable<Rational> {
  public static final Rational ZERO = of(0);

  public Rational {
    Objects.requireNonNull(num, "num");
    Objects.requireNonNull(den, "den");
    if (den.signum() == 0) {
      throw new ArithmeticException("zero denominator");
    }
    if (den.signum() < 0) {
      num = num.negate();
      den = den.negate();
    }
    BigInteger g = num.gcd(den);
    if (!g.equals(BigInteger.ONE) && g.signum() != 0) {
      num = num.divide(g);
      den = den.divide(g);
    }
    if (num.signum() == 0) {
      den = BigInteger.ONE;
    }
  }

  public static Rational of(long n) {
    return new Rational(BigInteger.valueOf(n), BigInteger.ONE);
  }

  public static Rational of(BigInteger n) {
    return new Rational(n, BigInteger.ONE);
  }

  public Rational add(Rational o) {
    return new Rational(num.multiply(o.den).add(o.num.multiply(den)), den.multiply(o.den));
  }

  public Rational subtract(Rational o) {
    return new Rational(num.multiply(o.den).subtract(o.num.multiply(den)), den.multiply(o.den));
  }

  public Rational multiply(Rational o) {
    return new Rational(num.multiply(o.num), den.multiply(o.den));
  }

  /**
   * @throws ArithmeticException if {@code o} is zero
   */
  public Rational divide(Rational o) {
    if (o.num.signum() == 0) {
      throw new ArithmeticException("division by zero");
    }
    return new Rational(num.multiply(o.den), den.multiply(o.num));
  }

  public Rational negate() {
    return new Rational(num.negate(), den);
  }

  public boolean isInteger() {
    return den.equals(BigInteger.ONE);
  }

  /** Bits of the larger of numerator and denominator: the size bound the parser enforces. */
  public int bitLength() {
    return Math.max(num.bitLength(), den.bitLength());
  }

  @Override
  public int compareTo(Rational o) {
    return num.multiply(o.den).compareTo(o.num.multiply(den));
  }

  /** {@code 42}, {@code -7/2}. */
  @Override
  public String toString() {
    return isInteger() ? num.toString() : num + "/" + den;
  }
}
