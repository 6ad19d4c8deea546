package dev.r3.actors.pipeline;

import dev.r3.actors.run.Resume;
import dev.r3.actors.run.TrainingState;
import dev.r3.model.ModelWeights;

/**
 * Where the {@link Learner} and the {@link ReplayBuffer} of a run start: version 0 of a new run,
 * the checkpoint a resumed run continues from, or the checkpoint a failed learner is restarted from
 * in the same run (the buffer is then told to rewind to it).
 */
final class RunOrigins {
  private RunOrigins() {}

  /** The learner of a new run ({@code resume} null: from {@code initial}) or of a resumed one. */
  static Learner.Origin learner(Resume resume, ModelWeights initial) {
    if (resume == null) {
      return new Learner.Origin(0, initial, null, 0, null);
    }
    return fromCheckpoint(resume, null);
  }

  /** The replacement of a failed learner, from checkpoint {@code r}: the buffer rewinds to it. */
  static Learner.Origin restartedLearner(Resume r) {
    TrainingState st = r.state();
    return fromCheckpoint(
        r, new ReplayBuffer.Rewind(st.version(), st.ledger().trained(), st.acceptedGroups()));
  }

  /** The buffer of a new run ({@code resume} null) or of a resumed one. */
  static ReplayBuffer.Origin buffer(Resume resume) {
    if (resume == null) {
      return ReplayBuffer.Origin.FRESH;
    }
    TrainingState st = resume.state();
    return new ReplayBuffer.Origin(
        st.version(), st.nextGroupId(), st.acceptedGroups(), st.ledger());
  }

  private static Learner.Origin fromCheckpoint(Resume r, ReplayBuffer.Rewind rewind) {
    TrainingState st = r.state();
    return new Learner.Origin(st.version(), r.weights(), r.optimizer(), st.nextGroupId(), rewind);
  }
}
