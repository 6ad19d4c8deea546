package dev.r3.model;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;

/**
 * How many libtorch intra-op threads each compute path of this process uses (issue 14.2).
 *
 * <p>libtorch on the CPU runs an op's parallel loops on an OpenMP team of the calling thread, and
 * the team's size is a setting of that thread (libgomp keeps {@code omp_set_num_threads} per
 * thread; {@code at::set_num_threads} sets it): the learner's thread and each rollout thread of one
 * JVM can use different counts, and a count set on one thread leaves the others alone (measured:
 * {@code CoreShareTest}).
 *
 * <p>Two policies:
 *
 * <ul>
 *   <li>{@link Policy#FIXED}: nothing is set; every thread keeps the process's setting ({@code
 *       OMP_NUM_THREADS}, 1 with the {@code ./r3} launcher).
 *   <li>{@link Policy#SHARED}: the cores are divided among the roles computing now. A role alone
 *       gets all of them: the learner while the rollout workers wait on the staleness gate, a
 *       rollout worker while the learner waits for a batch; the learner and one worker get half
 *       each; two workers count as two.
 * </ul>
 *
 * <p>Who computes: every learner trainer call ({@code score}, each mini-step) and every rollout
 * worker's engine call (a continuous batch's slice of decode steps, or a group) enter a {@link
 * Section} and leave it when done; the thread count is decided on entry, so a long learner step
 * follows the workers mini-step by mini-step. A role counts as computing for {@code linger} after
 * its last section ended, so that the gap between two slices of a running batch (an actor message)
 * does not hand the learner both cores only to take one back a few milliseconds later.
 *
 * <p>Sections of one role may overlap (several workers). A thread left by a section gets the count
 * it had on entry back. Thread-safe.
 */
public final class CoreShare {

  /** Who enters. */
  public enum Role {
    LEARNER,
    ROLLOUT
  }

  /** How the cores are given out. */
  public enum Policy {
    FIXED,
    SHARED;

    /** {@code fixed} or {@code shared}, any case; anything else is an error naming the choices. */
    public static Policy parse(String s) {
      try {
        return valueOf(s.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "thread policy must be fixed or shared, got '" + s + "'");
      }
    }
  }

  /** Sets nothing: every thread keeps the process's intra-op setting. */
  public static final CoreShare FIXED = new CoreShare(Policy.FIXED, 1, Duration.ZERO);

  /** How a thread's intra-op count is read and set (libtorch's, or a test's). */
  interface Threads {
    int get();

    void set(int n);
  }

  private static final Threads LIBTORCH =
      new Threads() {
        @Override
        public int get() {
          Engine.getEngine("PyTorch"); // loads libtorch on first use (a section may come first)
          return JniUtils.getNumThreads();
        }

        @Override
        public void set(int n) {
          JniUtils.setNumThreads(n);
        }
      };

  private final Policy policy;
  private final int cores;
  private final long lingerNanos;
  private final int maxRolloutThreads;
  private final Threads threads;
  private final LongSupplier clock;
  private final AtomicInteger[] open = {new AtomicInteger(), new AtomicInteger()};
  private final AtomicLong[] lastEnd = {new AtomicLong(), new AtomicLong()};
  private final AtomicLongArray[] given; // per role: sections entered, by the thread count given

  /**
   * @param cores the cores to share out; 0 = this JVM's available processors
   * @param linger how long a role counts as computing after its last section ended
   */
  public CoreShare(Policy policy, int cores, Duration linger) {
    this(policy, cores, linger, 0);
  }

  /**
   * @param maxRolloutThreads the most threads a rollout section gets, 0 = no cap (decode gains
   *     nothing from a second thread at the sizes measured: {@code ./r3 bench --threads 1,2})
   */
  public CoreShare(Policy policy, int cores, Duration linger, int maxRolloutThreads) {
    this(policy, cores, linger, maxRolloutThreads, LIBTORCH, System::nanoTime);
  }

  CoreShare(
      Policy policy,
      int cores,
      Duration linger,
      int maxRolloutThreads,
      Threads threads,
      LongSupplier clock) {
    if (cores < 0) {
      throw new IllegalArgumentException("cores must be >= 0 (0 = all available), got " + cores);
    }
    if (maxRolloutThreads < 0) {
      throw new IllegalArgumentException(
          "max rollout threads must be >= 0 (0 = no cap), got " + maxRolloutThreads);
    }
    if (linger.isNegative()) {
      throw new IllegalArgumentException("linger must be >= 0, got " + linger);
    }
    this.policy = policy;
    this.cores = cores == 0 ? Runtime.getRuntime().availableProcessors() : cores;
    this.lingerNanos = linger.toNanos();
    this.maxRolloutThreads = maxRolloutThreads;
    this.threads = threads;
    this.clock = clock;
    this.given =
        new AtomicLongArray[] {
          new AtomicLongArray(this.cores + 1), new AtomicLongArray(this.cores + 1)
        };
    for (AtomicLong t : lastEnd) {
      t.set(clock.getAsLong() - lingerNanos - 1); // nobody has computed yet
    }
  }

  /**
   * Sets the calling thread's libtorch intra-op count outside any share (a benchmark comparing
   * counts); returns the count it had.
   */
  public static int setThisThread(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("intra-op threads must be >= 1, got " + n);
    }
    int before = LIBTORCH.get();
    LIBTORCH.set(n);
    return before;
  }

  public Policy policy() {
    return policy;
  }

  /**
   * Starts a compute section of {@code role} on the calling thread and sets the thread's intra-op
   * count (under {@link Policy#SHARED}); close it on the same thread when the compute is done.
   */
  public Section enter(Role role) {
    if (policy == Policy.FIXED) {
      given[role.ordinal()].incrementAndGet(0);
      return new Section(role, -1);
    }
    Section s = new Section(role, threads.get());
    s.apply(); // counts its own role: nothing to undo if libtorch fails here
    open[role.ordinal()].incrementAndGet();
    return s;
  }

  /** The intra-op threads a section of {@code role} entered now would get. */
  public int threadsFor(Role role) {
    if (policy == Policy.FIXED) {
      return threads.get();
    }
    long now = clock.getAsLong();
    int units = 0;
    for (Role r : Role.values()) {
      int n = open[r.ordinal()].get();
      if (r == role) {
        units += n + 1; // the new section beside its role's open ones
      } else if (n > 0) {
        units += n;
      } else if (now - lastEnd[r.ordinal()].get() < lingerNanos) {
        units += 1; // just left: likely back in a moment
      }
    }
    int n = Math.max(1, cores / units);
    return role == Role.ROLLOUT && maxRolloutThreads > 0 ? Math.min(n, maxRolloutThreads) : n;
  }

  /**
   * How many sections of {@code role} were entered with {@code threads} intra-op threads (0: under
   * {@link Policy#FIXED}, nothing set).
   */
  public long sections(Role role, int threads) {
    return threads < 0 || threads > cores ? 0 : given[role.ordinal()].get(threads);
  }

  /** One role's compute on one thread; not thread-safe (stays on the thread that entered). */
  public final class Section implements AutoCloseable {
    private final Role role;
    private final int before;
    private int threadsNow;
    private boolean closed;

    private Section(Role role, int before) {
      this.role = role;
      this.before = before;
      this.threadsNow = -1;
    }

    /** The intra-op threads this section computes with now ({@code -1} under FIXED: not set). */
    public int threads() {
      return threadsNow;
    }

    private void apply() {
      int n = threadsFor(role);
      if (before != n) {
        threads.set(n);
      }
      threadsNow = n;
      given[role.ordinal()].incrementAndGet(Math.min(n, cores));
    }

    @Override
    public void close() {
      if (closed || before < 0) {
        closed = true;
        return;
      }
      closed = true;
      lastEnd[role.ordinal()].set(clock.getAsLong());
      open[role.ordinal()].decrementAndGet();
      if (threads.get() != before) {
        threads.set(before);
      }
    }
  }
}
