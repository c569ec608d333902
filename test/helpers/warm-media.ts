/** Media workers warmed up before a test starts its clocks. */
/**
 * Resolves once every media worker has loaded its code and answered a request: a fresh worker
 * takes seconds on a busy machine, and that wait belongs to the set-up, not to the first call's
 * SIP timers.
 */
export async function warmMedia(media: {
  createSession(): Promise<{ close(): Promise<void> }>;
  stats(): { workers: number };
}): Promise<void> {
  const sessions = await Promise.all(Array.from({ length: media.stats().workers }, () => media.createSession()));
  await Promise.all(sessions.map((s) => s.close()));
}
