package dev.r3.env.tasks;

import dev.r3.env.Environment;
import dev.r3.env.EnvironmentProvider;
import dev.r3.env.ParamSpec;
import dev.r3.env.Params;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The {@link EnvironmentProvider}s of the built-in tasks, registered in {@code META-INF/services}
 * like any plugin. They are public only because {@link java.util.ServiceLoader} requires it; create
 * environments through {@link dev.r3.env.Environments#create}.
 */
public final class Builtins {
  private Builtins() {}

  /** Shared plumbing: name, description, parameters, constructor. */
  abstract static class Base implements EnvironmentProvider {
    private final String name;
    private final String description;
    private final List<ParamSpec> params;
    private final Function<Params, Environment> make;

    Base(
        String name,
        String description,
        List<ParamSpec> params,
        Function<Params, Environment> make) {
      this.name = name;
      this.description = description;
      this.params = params;
      this.make = make;
    }

    @Override
    public final String name() {
      return name;
    }

    @Override
    public final String description() {
      return description;
    }

    @Override
    public final List<ParamSpec> parameters() {
      return params;
    }

    @Override
    public final Environment create(Map<String, String> raw) {
      return make.apply(Params.parse(name, raw, params));
    }
  }

  public static final class Add extends Base {
    public Add() {
      super(AddTask.NAME, AddTask.DESCRIPTION, AddTask.PARAMS, AddTask::new);
    }
  }

  public static final class Mul extends Base {
    public Mul() {
      super(MulTask.NAME, MulTask.DESCRIPTION, MulTask.PARAMS, MulTask::new);
    }
  }

  public static final class Sort extends Base {
    public Sort() {
      super(SortTask.NAME, SortTask.DESCRIPTION, SortTask.PARAMS, SortTask::new);
    }
  }

  public static final class Countdown extends Base {
    public Countdown() {
      super(
          CountdownTask.NAME, CountdownTask.DESCRIPTION, CountdownTask.PARAMS, CountdownTask::new);
    }
  }

  public static final class Calc extends Base {
    public Calc() {
      super(CalcTask.NAME, CalcTask.DESCRIPTION, CalcTask.PARAMS, CalcTask::new);
    }
  }

  public static final class Lookup extends Base {
    public Lookup() {
      super(LookupTask.NAME, LookupTask.DESCRIPTION, LookupTask.PARAMS, LookupTask::new);
    }
  }
}
