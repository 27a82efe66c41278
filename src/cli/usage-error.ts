/** A mistake in how the command was called: printed as a plain message, exit code 2. */
export class UsageError extends Error {}
