/** Does nothing: what remains is Temporal's cost of running an activity. */
export async function noop(n: number): Promise<number> {
  return n;
}
