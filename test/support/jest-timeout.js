// Tests against real servers wait for real timers measured in seconds. Set here rather than as
// `testTimeout` in project configs, which Jest ignores (with a warning) in a multi-project run.
jest.setTimeout(60_000);
