"""The model: compiling a scenario to arrays, sampling, state, constants, rules and kernels,
the engine, outcomes, narrative."""
