/**
 * A setting the platform cannot start with. Its message is meant for the operator as it stands
 * (one line naming the setting), so start-up prints it without a stack trace.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
