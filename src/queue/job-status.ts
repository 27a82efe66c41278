/** The states of a job (jobs.status): the column type is derived from this object. */
export const JobStatus = { queued: 'queued', running: 'running', failed: 'failed' } as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];
