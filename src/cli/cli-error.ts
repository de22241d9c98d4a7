/** A usage error: printed with the command's usage line and exit code 2, without a stack trace. */
export class CliError extends Error {
  override name = 'CliError';
}
