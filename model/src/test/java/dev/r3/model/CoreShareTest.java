package dev.r3.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.pytorch.jni.JniUtils;
import dev.r3.model.CoreShare.Policy;
import dev.r3.model.CoreShare.Role;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CoreShareTest {

  /** A thread's intra-op count as libtorch would keep it, and every set recorded. */
  private static final class FakeThreads implements CoreShare.Threads {
    final ThreadLocal<Integer> count = ThreadLocal.withInitial(() -> 1);
    final List<Integer> sets = new ArrayList<>();

    @Override
    public int get() {
      return count.get();
    }

    @Override
    public void set(int n) {
      sets.add(n);
      count.set(n);
    }
  }

  private final FakeThreads threads = new FakeThreads();
  private final AtomicLong now = new AtomicLong(1_000_000_000L);

  private CoreShare shared(int cores, long lingerMs) {
    return new CoreShare(Policy.SHARED, cores, Duration.ofMillis(lingerMs), 0, threads, now::get);
  }

  @Test
  void aRoleAloneGetsEveryCore() {
    CoreShare share = shared(2, 50);
    try (CoreShare.Section learner = share.enter(Role.LEARNER)) {
      assertThat(learner.threads()).isEqualTo(2);
      assertThat(threads.get()).isEqualTo(2);
    }
    assertThat(threads.get()).as("the thread's own count is given back").isEqualTo(1);
  }

  @Test
  void theLearnerAndAWorkerComputingTogetherGetHalfEach() {
    CoreShare share = shared(4, 50);
    try (CoreShare.Section worker = share.enter(Role.ROLLOUT)) {
      assertThat(worker.threads()).isEqualTo(4);
      try (CoreShare.Section learner = share.enter(Role.LEARNER)) {
        assertThat(learner.threads()).isEqualTo(2);
      }
    }
  }

  @Test
  void twoWorkersCountAsTwoBesideTheLearner() {
    CoreShare share = shared(2, 0);
    try (CoreShare.Section a = share.enter(Role.ROLLOUT);
        CoreShare.Section b = share.enter(Role.ROLLOUT)) {
      assertThat(b.threads()).isEqualTo(1);
      assertThat(share.threadsFor(Role.LEARNER)).as("never below one thread").isEqualTo(1);
    }
  }

  @Test
  void aRoleThatJustLeftStillCountsForTheLinger() {
    CoreShare share = shared(2, 50);
    share.enter(Role.ROLLOUT).close(); // a continuous batch between two slices
    now.addAndGet(Duration.ofMillis(10).toNanos());
    assertThat(share.threadsFor(Role.LEARNER)).isEqualTo(1);
    now.addAndGet(Duration.ofMillis(41).toNanos());
    assertThat(share.threadsFor(Role.LEARNER))
        .as("the workers wait on the staleness gate: the learner gets both cores")
        .isEqualTo(2);
  }

  @Test
  void aLongLearnerStepFollowsTheWorkersSectionBySection() {
    CoreShare share = shared(2, 20);
    CoreShare.Section slice = share.enter(Role.ROLLOUT);
    try (CoreShare.Section score = share.enter(Role.LEARNER)) {
      assertThat(score.threads()).isEqualTo(1);
    }
    slice.close();
    now.addAndGet(Duration.ofMillis(25).toNanos());
    try (CoreShare.Section miniStep = share.enter(Role.LEARNER)) {
      assertThat(miniStep.threads()).isEqualTo(2);
    }
  }

  @Test
  void aCapKeepsRolloutSectionsAtItsCountWhileTheLearnerStillGetsEveryCore() {
    CoreShare share = new CoreShare(Policy.SHARED, 2, Duration.ZERO, 1, threads, now::get);
    try (CoreShare.Section worker = share.enter(Role.ROLLOUT)) {
      assertThat(worker.threads()).as("a worker alone, capped").isEqualTo(1);
    }
    try (CoreShare.Section learner = share.enter(Role.LEARNER)) {
      assertThat(learner.threads()).isEqualTo(2);
    }
  }

  @Test
  void fixedSetsNothing() {
    CoreShare share = new CoreShare(Policy.FIXED, 2, Duration.ofMillis(50), 0, threads, now::get);
    try (CoreShare.Section s = share.enter(Role.LEARNER);
        CoreShare.Section r = share.enter(Role.ROLLOUT)) {
      assertThat(s.threads()).isEqualTo(-1);
    }
    assertThat(threads.sets).isEmpty();
  }

  @Test
  void badSettingsAreRefusedByName() {
    assertThatThrownBy(() -> Policy.parse("adaptive"))
        .hasMessageContaining("fixed or shared")
        .hasMessageContaining("adaptive");
    assertThat(Policy.parse(" Shared ")).isEqualTo(Policy.SHARED);
    assertThatThrownBy(() -> new CoreShare(Policy.SHARED, -1, Duration.ZERO))
        .hasMessageContaining("cores");
  }

  /** The fact the policy stands on: libtorch's intra-op count is a setting of each thread. */
  @Test
  void libtorchKeepsTheIntraOpCountPerThread() throws Exception {
    ai.djl.engine.Engine.getInstance(); // loads libtorch
    int mine = JniUtils.getNumThreads();
    int other = mine == 1 ? 2 : 1;
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      CoreShare share = new CoreShare(Policy.SHARED, other, Duration.ZERO);
      int inside =
          pool.submit(
                  () -> {
                    try (CoreShare.Section s = share.enter(Role.LEARNER)) {
                      return JniUtils.getNumThreads();
                    }
                  })
              .get();
      assertThat(inside).isEqualTo(other);
      assertThat(JniUtils.getNumThreads()).as("this thread's count untouched").isEqualTo(mine);
      int after = pool.submit(JniUtils::getNumThreads).get();
      assertThat(after).as("the pool thread's count given back").isEqualTo(mine);
    } finally {
      pool.shutdownNow();
    }
  }
}
