/** A usage error: printed with the command's usage line and exit code 2, without a stack trace. */
export class CliError extends Error {
  override name = 'CliError';
}

/** A failure already explained on stderr (bad data, no data): exit code 1, no stack trace. */
export class CommandFailed extends Error {
  override name = 'CommandFailed';
}
